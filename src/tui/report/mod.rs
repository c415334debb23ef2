//! `cockpit report DIR`: a saved backtest report in the terminal.

mod view;

use std::io;

use crossterm::event::{self, Event};
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::layout::Rect;

use crate::backtest::report::SavedResult;

pub use view::ReportView;

/// Takes over the terminal until `q` or Esc, and restores it on every way
/// out (`ratatui::init` restores it before a panic message too).
pub fn run(saved: SavedResult) -> io::Result<()> {
    let mut terminal = ratatui::init();
    let result = event_loop(&mut terminal, ReportView::new(saved), event::read);
    ratatui::restore();
    result
}

/// Draws, then waits for the next event; draws again after a key or a resize.
pub fn event_loop<B: Backend>(
    terminal: &mut Terminal<B>,
    mut view: ReportView,
    mut next: impl FnMut() -> io::Result<Event>,
) -> io::Result<()> {
    // Any backend: the terminal's errors are io::Error, the test backend's never happen.
    let failed = |e: B::Error| io::Error::other(e.to_string());
    loop {
        terminal
            .draw(|f| f.render_widget(&view, f.area()))
            .map_err(failed)?;
        match next()? {
            Event::Key(key) => {
                let size = terminal.size().map_err(failed)?;
                view.on_key(key, Rect::new(0, 0, size.width, size.height));
                if view.quit {
                    return Ok(());
                }
            }
            Event::Resize(..) => {}
            _ => continue,
        }
    }
}
