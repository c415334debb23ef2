//! The terminal cockpit: a pure view over engine snapshots. It reads the
//! latest snapshot, sends commands, and never waits on the engine.

mod app;
mod event_loop;
pub mod report;
mod theme;
mod view;
pub mod widgets;

pub use app::{App, Overlay};
pub use event_loop::{Shutdown, run};
pub use view::{Panel, draw, draw_panel};
