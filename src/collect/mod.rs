//! `cockpit download`: Binance USD-M klines (and, on request, funding rates)
//! paged over the public REST API into the CSV files the rest of the cockpit
//! reads. A second run resumes after the last row of the file; the gaps
//! Binance has are reported, never filled in.
//!
//! One job a file: `dates` (the `--start`/`--end` forms), `kline_pager` and
//! `funding_pager` (which page next, which rows to keep: no I/O), `resume`
//! (what an existing file holds), `csv_out` (the file formats and appending),
//! `gaps`, `progress`, `report` (the closing summary), `error`, and `run`
//! (the download itself).

pub mod csv_out;
pub mod dates;
pub mod error;
pub mod funding_pager;
pub mod gaps;
pub mod kline_pager;
pub mod progress;
pub mod report;
pub mod resume;
pub mod run;

pub use dates::parse_time;
pub use error::DownloadError;
pub use progress::ProgressTarget;
pub use report::Report;
pub use run::{Job, Source, download};

use crate::domain::Symbol;

/// `--symbol`: Binance's name, upper-cased (`btcusdt` is `BTCUSDT`).
pub fn parse_symbol(text: &str) -> Result<Symbol, String> {
    Symbol::new(&text.trim().to_ascii_uppercase()).map_err(|e| e.to_string())
}
