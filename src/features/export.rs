//! `cockpit features`: the feature vectors of a candle file as CSV, for the
//! training pipeline, with the strategy's proposal on each candle so that
//! labels follow the same stop and take-profit rules as live trading.
//!
//! Columns: `open_time_ms,open,high,low,close,volume,signal,entry,stop,
//! take_profit,<features…>`. `signal` is +1 (long), −1 (short) or 0; a
//! feature cell is empty while the features warm up. Numbers are written
//! with Rust's `{}`, the shortest text that parses back to the same `f64`.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use rust_decimal::prelude::ToPrimitive;

use crate::config::Config;
use crate::domain::{Side, Symbol};
use crate::exec::paper::FundingSchedule;
use crate::indicators::IndicatorSet;
use crate::market::csv;
use crate::strategy;

use super::{FeatureBuilder, names};

/// What one export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportSummary {
    pub rows: usize,
    pub warm_rows: usize,
    pub signals: usize,
}

/// Writes the features of `data` to `out` (CSV). With `funding`, the rate
/// last settled at each candle's close becomes the last feature.
pub fn export(
    config: &Config,
    data: &Path,
    funding: Option<&Path>,
    out: &Path,
) -> Result<ExportSummary, String> {
    if out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
    {
        return Err(format!(
            "{}: Parquet is not written; give a .csv path (pandas and the training pipeline read CSV)",
            out.display()
        ));
    }
    let file = csv::load(data).map_err(|e| e.to_string())?;
    let schedule = funding
        .map(|path| FundingSchedule::load_csv(path, rust_decimal::Decimal::ZERO))
        .transpose()
        .map_err(|e| format!("--funding: {e}"))?;
    let symbol = csv::symbol_of_path(data).unwrap_or_else(|| {
        Symbol::new("UNKNOWN").unwrap_or_else(|_| unreachable!("a valid symbol"))
    });
    let mut strategy = strategy::build(&config.strategy, &config.indicators)
        .map_err(|e| format!("strategy.name: {e}"))?;
    let interval_ms = file.interval.duration_ms();
    let mut indicators = IndicatorSet::new(&config.indicators);
    let mut features = FeatureBuilder::new(interval_ms, schedule.is_some());

    let created =
        std::fs::File::create(out).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    let mut w = BufWriter::new(created);
    let write_err = |e: std::io::Error| format!("cannot write {}: {e}", out.display());
    let columns = names(schedule.is_some());
    writeln!(
        w,
        "open_time_ms,open,high,low,close,volume,signal,entry,stop,take_profit,{}",
        columns.join(",")
    )
    .map_err(write_err)?;
    // A row still warming up: one empty cell per feature.
    let empty_features = vec![b','; columns.len()];
    let mut summary = ExportSummary {
        rows: 0,
        warm_rows: 0,
        signals: 0,
    };
    for candle in &file.candles {
        let bar = candle.bar();
        let values = *indicators.update(&bar);
        let close_ms = bar.open_time_ms + interval_ms;
        let rate = schedule
            .as_ref()
            .and_then(|s| s.latest_at(close_ms))
            .and_then(|r| r.to_f64());
        let row = features.update(&bar, &values, rate);
        let proposal = strategy.on_closed(&symbol, candle, &values);
        write!(
            w,
            "{},{},{},{},{},{}",
            bar.open_time_ms, bar.open, bar.high, bar.low, bar.close, bar.volume
        )
        .map_err(write_err)?;
        match &proposal {
            Some(p) => {
                let sign = match p.side {
                    Side::Buy => 1,
                    Side::Sell => -1,
                };
                write!(w, ",{sign},{},{},{}", p.entry, p.stop, p.take_profit).map_err(write_err)?;
                summary.signals += 1;
            }
            None => w.write_all(b",0,,,").map_err(write_err)?,
        }
        match row {
            Some(row) => {
                for x in row {
                    write!(w, ",{x}").map_err(write_err)?;
                }
                summary.warm_rows += 1;
            }
            None => w.write_all(&empty_features).map_err(write_err)?,
        }
        w.write_all(b"\n").map_err(write_err)?;
        summary.rows += 1;
    }
    w.flush().map_err(write_err)?;
    Ok(summary)
}

/// The arguments of `cockpit features`.
#[derive(Debug, clap::Args)]
pub struct FeaturesArgs {
    /// Candle CSV (the shared layout or Binance's kline columns).
    #[arg(long, value_name = "FILE.csv")]
    pub data: PathBuf,
    /// Binance funding history (funding_time_ms,funding_rate): adds `funding_rate`.
    #[arg(long, value_name = "FILE.csv")]
    pub funding: Option<PathBuf>,
    /// Where to write the CSV.
    #[arg(long, value_name = "OUT.csv")]
    pub out: PathBuf,
}
