//! Market data: candle series, CSV loading, gap detection and the demo market.

pub mod demo;
