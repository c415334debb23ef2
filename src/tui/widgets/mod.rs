//! The cockpit's panels, each a pure function of view state.

mod approvals;
mod candles;
mod confluence;
mod drift;
mod header;
mod help;
mod indicators;
mod kill_switch;
mod latency;
mod mini_chart;
mod positions;

pub use approvals::approval_lines;
pub use candles::{CandleChart, Level};
pub use confluence::confluence_lines;
pub use drift::drift_lines;
pub use header::header_lines;
pub use help::help_lines;
pub use indicators::IndicatorPanel;
pub use kill_switch::kill_switch_lines;
pub use latency::{LATENCY_BUDGET_MS, latency_lines};
pub use positions::position_lines;
