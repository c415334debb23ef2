//! Colours and glyphs in one place. Up and down candles differ in glyph as well
//! as colour, so the chart reads on a monochrome terminal too.

use ratatui::style::{Color, Modifier, Style};

use crate::domain::Mode;

pub const UP: Color = Color::Green;
pub const DOWN: Color = Color::Red;
pub const UP_BODY: char = '█';
pub const DOWN_BODY: char = '▒';
pub const WICK: char = '│';
pub const EMA_DOT: char = '·';
pub const EMA_COLORS: [Color; 3] = [Color::Yellow, Color::Cyan, Color::Magenta];

pub fn title() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

pub fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

pub fn mode(mode: Mode) -> Style {
    match mode {
        Mode::Shadow => Style::new().fg(Color::Blue).add_modifier(Modifier::BOLD),
        Mode::Paper => Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
        // Live must be impossible to miss: reversed red.
        Mode::Live => Style::new()
            .fg(Color::White)
            .bg(Color::Red)
            .add_modifier(Modifier::BOLD),
    }
}
