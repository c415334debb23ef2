//! Funding rates for the paper exchange: Binance's history from a CSV file, a
//! constant fallback for the times the file does not cover.

use std::collections::BTreeMap;
use std::path::Path;

use rust_decimal::Decimal;

use crate::config::PaperConfig;

/// Binance USD-M funding settles every 8 h, at 00:00, 08:00 and 16:00 UTC.
pub const FUNDING_PERIOD_MS: i64 = 8 * 60 * 60 * 1000;

/// Binance stamps a settlement a few milliseconds after the funding time, so a
/// record counts for the funding time it lies within this distance of.
const MATCH_WINDOW_MS: i64 = 60_000;

/// Funding rates by time (Binance history), with a fallback rate.
#[derive(Debug, Clone, Default)]
pub struct FundingSchedule {
    /// Rate by the time Binance recorded it (BTreeMap: lookups by range).
    rates: BTreeMap<i64, Decimal>,
    fallback: Decimal,
}

impl FundingSchedule {
    /// The same rate at every funding time.
    pub fn constant(rate: Decimal) -> FundingSchedule {
        FundingSchedule {
            rates: BTreeMap::new(),
            fallback: rate,
        }
    }

    /// Reads `funding_time_ms,funding_rate` rows (Binance's history; a header
    /// line is skipped, rates may be written as `4.955e-05`). Times the file
    /// does not cover use `fallback_rate`. Errors name the file and the line.
    pub fn load_csv(path: &Path, fallback_rate: Decimal) -> Result<FundingSchedule, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read funding file {}: {e}", path.display()))?;
        let mut rates = BTreeMap::new();
        for (index, raw) in text.lines().enumerate() {
            let line_no = index + 1;
            let line = raw.trim();
            if line.is_empty() {
                continue;
            }
            if index == 0 && line.starts_with(|c: char| c.is_ascii_alphabetic()) {
                // The header names the columns; nothing to read from it.
                continue;
            }
            let bad = |problem: String| format!("{}:{line_no}: {problem}", path.display());
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            let [time, rate] = fields.as_slice() else {
                return Err(bad(format!(
                    "expected 2 fields `funding_time_ms,funding_rate`, got {}",
                    fields.len()
                )));
            };
            let time: i64 = time
                .parse()
                .map_err(|_| bad(format!("funding time `{time}` is not a whole number of ms")))?;
            let rate = Decimal::from_str_exact(rate)
                .or_else(|_| Decimal::from_scientific(rate))
                .map_err(|_| bad(format!("funding rate `{rate}` is not a number")))?;
            rates.insert(time, rate.normalize());
        }
        if rates.is_empty() {
            return Err(format!("{}: no funding rates in the file", path.display()));
        }
        Ok(FundingSchedule {
            rates,
            fallback: fallback_rate,
        })
    }

    /// The schedule the config asks for: its file when one is named, else the
    /// constant `funding_rate`.
    pub fn from_config(config: &PaperConfig) -> Result<FundingSchedule, String> {
        if config.funding_file.trim().is_empty() {
            Ok(FundingSchedule::constant(config.funding_rate))
        } else {
            FundingSchedule::load_csv(Path::new(config.funding_file.trim()), config.funding_rate)
        }
    }

    /// The rate settled at `funding_time_ms`: the record nearest to it within
    /// ±60 s (the earlier one on a tie), else the fallback.
    pub fn rate_at(&self, funding_time_ms: i64) -> Decimal {
        let from = funding_time_ms.saturating_sub(MATCH_WINDOW_MS);
        let to = funding_time_ms.saturating_add(MATCH_WINDOW_MS);
        self.rates
            .range(from..=to)
            .min_by_key(|(t, _)| (**t - funding_time_ms).abs())
            .map(|(_, r)| *r)
            .unwrap_or(self.fallback)
    }

    /// The rate of the latest record at or before `at_ms` (what had been
    /// settled by then); None before the first record or without a file.
    pub fn latest_at(&self, at_ms: i64) -> Option<Decimal> {
        self.rates.range(..=at_ms).next_back().map(|(_, r)| *r)
    }

    /// How many records the file held (0 for a constant schedule).
    pub fn len(&self) -> usize {
        self.rates.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rates.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap()
    }

    fn file(content: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
        f.write_all(content.as_bytes()).unwrap();
        f
    }

    #[test]
    fn late_records_match_their_funding_time_and_others_fall_back() {
        let f = file("funding_time_ms,funding_rate\n28800005,4.955e-05\n57600000,-0.0003\n");
        let s = FundingSchedule::load_csv(f.path(), dec("0.0001")).unwrap();
        assert_eq!(s.rate_at(28_800_000), dec("0.00004955"));
        assert_eq!(s.rate_at(57_600_000), dec("-0.0003"));
        assert_eq!(s.rate_at(86_400_000), dec("0.0001"));
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn a_record_more_than_a_minute_away_does_not_count() {
        let f = file("28860001,0.0005\n");
        let s = FundingSchedule::load_csv(f.path(), dec("0.0001")).unwrap();
        assert_eq!(s.rate_at(28_800_000), dec("0.0001"));
    }

    #[test]
    fn a_bad_row_names_the_file_and_the_line() {
        let f = file("funding_time_ms,funding_rate\n28800000,0.0001\n57600000,abc\n");
        let err = FundingSchedule::load_csv(f.path(), Decimal::ZERO).unwrap_err();
        assert!(err.contains(&format!("{}:3:", f.path().display())), "{err}");
        assert!(err.contains("`abc` is not a number"), "{err}");
    }

    #[test]
    fn a_missing_file_is_an_error_naming_it() {
        let err =
            FundingSchedule::load_csv(Path::new("/nonexistent/f.csv"), Decimal::ZERO).unwrap_err();
        assert!(err.contains("/nonexistent/f.csv"), "{err}");
    }

    #[test]
    fn the_real_binance_history_loads() {
        let path = crate::shared_data::file("klines/BTCUSDT-fundingrate.csv").unwrap();
        let s = FundingSchedule::load_csv(&path, Decimal::ZERO).unwrap();
        assert_eq!(s.len(), 7323);
        assert_eq!(s.rate_at(1_568_102_400_000), dec("0.0001"));
        assert_eq!(s.rate_at(1_778_918_400_000), dec("-0.0000021"));
    }
}
