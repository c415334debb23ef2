//! Model drift per feature and overall: "no model" until the AI layer exists.

use ratatui::text::Line;

use crate::tui::App;
use crate::tui::theme;

pub fn drift_lines(app: &App) -> Vec<Line<'static>> {
    vec![Line::styled(
        format!("no model ({})", app.snapshot.confirmer),
        theme::dim(),
    )]
}
