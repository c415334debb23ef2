//! Model drift: the overall PSI as a gauge against its limit, the state
//! (filling, ok, over: the model abstains) and the features that moved most.
//! Without a model it says why there is none.

use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};

use crate::tui::App;
use crate::tui::theme;

pub fn drift_lines(app: &App, width: u16, rows: u16) -> Vec<Line<'static>> {
    let s = &app.snapshot;
    let width = usize::from(width).max(10);
    let Some(drift) = &s.drift else {
        return match &s.ai_detail {
            Some(detail) => wrap(detail, width, usize::from(rows))
                .into_iter()
                .map(|l| Line::styled(l, Style::new().fg(Color::Yellow)))
                .collect(),
            None => vec![Line::styled(
                format!("no model ({})", s.confirmer),
                theme::dim(),
            )],
        };
    };
    let Some(score) = drift.score else {
        return vec![
            Line::styled("PSI —", theme::dim()),
            Line::styled(
                format!("filling {}/{} candles", drift.filled, drift.window),
                theme::dim(),
            ),
        ];
    };
    let colour = if drift.over() {
        Color::Red
    } else if score > drift.limit / 2.0 {
        Color::Yellow
    } else {
        Color::Green
    };
    let head = format!("PSI {score:.2} ");
    let tail = format!(" limit {}", drift.limit);
    let bar_width = width.saturating_sub(head.chars().count() + tail.chars().count() + 2);
    // The bar spans twice the limit, so the limit sits in its middle.
    let filled = ((score / (2.0 * drift.limit)).min(1.0) * bar_width as f64).round() as usize;
    let most: Vec<String> = drift
        .most_moved(3)
        .iter()
        .map(|(name, psi)| format!("{name} {psi:.2}"))
        .collect();
    let state = if drift.over() {
        Span::styled(
            "over the limit: the model abstains",
            Style::new().fg(Color::Red),
        )
    } else {
        Span::styled(
            format!("ok over the last {} candles", drift.window),
            theme::dim(),
        )
    };
    vec![
        Line::from(vec![
            Span::raw(head),
            Span::styled(
                format!("▕{}{}▏", "█".repeat(filled), "░".repeat(bar_width - filled)),
                Style::new().fg(colour),
            ),
            Span::styled(tail, theme::dim()),
        ]),
        Line::from(state),
        Line::styled(format!("most: {}", most.join(", ")), theme::dim()),
    ]
}

/// Splits `text` into at most `rows` lines of `width` characters, at spaces
/// where it can.
fn wrap(text: &str, width: usize, rows: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split(' ') {
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines.truncate(rows.max(1));
    lines
}
