//! Per-stage latency p50/p99 and the last decision's candle close → order
//! sent, against the 3 s budget.

use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};

use crate::engine::Stage;
use crate::tui::App;
use crate::tui::theme;

/// Candle close → order sent must stay under this.
pub const LATENCY_BUDGET_MS: i64 = 3_000;

pub fn latency_lines(app: &App) -> Vec<Line<'static>> {
    let stats = &app.snapshot.latency;
    if stats.is_empty() {
        return vec![Line::styled("no closed candle yet", theme::dim())];
    }
    let mut lines = vec![Line::styled(
        format!("{:<11}{:>8}{:>8}{:>8}", "stage", "p50", "p99", "last"),
        theme::dim(),
    )];
    for s in stats {
        let unit = s.stage.unit();
        let style = if s.stage == Stage::CloseToSent && s.last > LATENCY_BUDGET_MS {
            Style::new().fg(Color::Red)
        } else {
            Style::new()
        };
        lines.push(Line::from(vec![
            Span::raw(format!("{:<11}", s.stage.label())),
            Span::styled(
                format!("{:>6}{unit}{:>6}{unit}{:>6}{unit}", s.p50, s.p99, s.last),
                style,
            ),
        ]));
    }
    lines
}
