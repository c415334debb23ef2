//! Proposals waiting for the operator, with the time left before expiry.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use crate::journal::RiskOutcome;
use crate::tui::App;
use crate::tui::theme;

pub fn approval_lines(app: &App) -> Vec<Line<'static>> {
    let s = &app.snapshot;
    if s.approvals.is_empty() {
        return vec![Line::styled(
            "nothing waiting (y approve · n reject)",
            theme::dim(),
        )];
    }
    s.approvals
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let left = d
                .deadline_ms
                .map_or(0, |t| ((t - s.at_ms).max(0) + 999) / 1000);
            let qty = match &d.risk {
                Some(RiskOutcome::Sized { sized, .. }) => sized.qty.to_string(),
                _ => String::new(),
            };
            let style = if i == app.selected_approval {
                Style::new().add_modifier(Modifier::REVERSED)
            } else {
                Style::new()
            };
            Line::from(vec![
                Span::styled(
                    format!(
                        "{} {} {} {} ",
                        if i == app.selected_approval { '>' } else { ' ' },
                        d.proposal.symbol,
                        d.proposal.side,
                        qty
                    ),
                    style,
                ),
                Span::styled(format!("{left}s"), theme::title()),
            ])
        })
        .collect()
}
