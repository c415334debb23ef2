//! The latest proposals: algo side and reasons, the confirmer's verdict, the
//! risk result, and a running tally of agreement.

use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};

use crate::ai::Verdict;
use crate::domain::Side;
use crate::journal::{DecisionRecord, RiskOutcome};
use crate::tui::App;
use crate::tui::theme;

pub fn confluence_lines(app: &App, rows: usize) -> Vec<Line<'static>> {
    let s = &app.snapshot;
    let t = &s.tally;
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{} ", s.confirmer), theme::dim()),
        Span::raw(format!(
            "· {} proposed · {} confirmed · {} vetoed · {} abstained",
            t.proposals, t.confirmed, t.vetoed, t.abstained
        )),
    ])];
    if s.decisions.is_empty() {
        lines.push(Line::styled("no proposal yet", theme::dim()));
        return lines;
    }
    let mut newest = true;
    for d in s.decisions.iter().rev() {
        if lines.len() >= rows {
            break;
        }
        lines.push(decision_line(d));
        // The newest decision also says why the model judged as it did.
        if std::mem::take(&mut newest)
            && d.confirmation.verdict != Verdict::Off
            && lines.len() < rows
        {
            lines.push(Line::styled(
                format!("      AI: {}", d.confirmation.reason),
                theme::dim(),
            ));
        }
    }
    lines
}

fn decision_line(d: &DecisionRecord) -> Line<'static> {
    let p = &d.proposal;
    let (side, colour) = match p.side {
        Side::Buy => ("LONG ", theme::UP),
        Side::Sell => ("SHORT", theme::DOWN),
    };
    let time = crate::domain::time::format_utc(d.at_ms);
    let hhmm = time.get(11..16).unwrap_or("").to_string();
    let checks: String = p
        .reasons
        .iter()
        .map(|r| if r.passed { '✓' } else { '✗' })
        .collect();
    let ai = match d.confirmation.verdict {
        Verdict::Off => Span::styled("AI off", theme::dim()),
        Verdict::Confirmed => Span::styled(
            format!(
                "AI ✓ {:.0}%",
                d.confirmation.confidence.unwrap_or(0.0) * 100.0
            ),
            Style::new().fg(Color::Green),
        ),
        Verdict::Vetoed => Span::styled(
            format!(
                "AI ✗ {:.0}%",
                d.confirmation.confidence.unwrap_or(0.0) * 100.0
            ),
            Style::new().fg(Color::Red),
        ),
        Verdict::Abstained => Span::styled("AI abstained ✗", Style::new().fg(Color::Yellow)),
        Verdict::AbstainedPass => {
            Span::styled("AI abstained → algo", Style::new().fg(Color::Yellow))
        }
    };
    let risk = match &d.risk {
        Some(RiskOutcome::Sized { sized, .. }) => format!("{} {}", sized.qty, d.status.label()),
        Some(RiskOutcome::Refused { reason, .. }) => format!("refused: {reason}"),
        None => d.status.label().to_string(),
    };
    Line::from(vec![
        Span::styled(format!("{hhmm} "), theme::dim()),
        Span::raw(format!("{} ", p.symbol)),
        Span::styled(side, Style::new().fg(colour)),
        Span::raw(format!(" {checks} ")),
        ai,
        Span::raw(format!(" → {risk}")),
    ])
}
