//! Market data: candle series, CSV loading, gap detection and the demo market.

pub mod continuity;
pub mod csv;
pub mod csv_stream;
pub mod demo;
mod rng;
pub mod series;
pub mod stats;

pub use continuity::{Continuity, Gap};
pub use series::{Appended, CandleSeries};
