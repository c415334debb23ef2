//! The cockpit's panels, each a pure function of view state.

mod candles;
mod header;
mod help;
mod indicators;

pub use candles::CandleChart;
pub use header::header_line;
pub use help::help_lines;
pub use indicators::indicator_lines;
