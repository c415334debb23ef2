//! The paging plan for `GET /fapi/v1/fundingRate`, without any I/O. Funding
//! settles every 8 h, stamped a few milliseconds after the hour, so rows are
//! events, not a grid: the next page starts 1 ms after the last row kept.

use rust_decimal::Decimal;
use serde::Deserialize;

use crate::binance::BinanceError;
use crate::binance::wire::de;

/// Rows per funding request at most.
pub const MAX_FUNDING_ROWS: u32 = 1000;

/// One settled funding rate.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FundingRow {
    #[serde(rename = "fundingTime", deserialize_with = "de::int")]
    pub time_ms: i64,
    /// As Binance wrote it (scale kept: `0.00010000`).
    #[serde(rename = "fundingRate", deserialize_with = "de::decimal")]
    pub rate: Decimal,
}

impl FundingRow {
    /// One row of Binance's answer (`{"symbol", "fundingTime", "fundingRate", …}`).
    pub fn from_json(value: serde_json::Value) -> Result<FundingRow, BinanceError> {
        let text = value.to_string();
        serde_json::from_value(value).map_err(|e| {
            BinanceError::Decode(format!("fundingRate row: {e} in `{}`", de::excerpt(&text)))
        })
    }
}

/// One funding request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FundingRequest {
    pub start_ms: i64,
    /// Inclusive.
    pub end_ms: i64,
    pub limit: u32,
}

#[derive(Debug, Clone)]
pub struct FundingPager {
    next_ms: i64,
    /// Exclusive.
    end_ms: i64,
    done: bool,
}

impl FundingPager {
    /// Rates stamped in `[start_ms, end_ms)`.
    pub fn new(start_ms: i64, end_ms: i64) -> FundingPager {
        FundingPager {
            next_ms: start_ms,
            end_ms,
            done: start_ms >= end_ms,
        }
    }

    pub fn request(&self) -> Option<FundingRequest> {
        (!self.done).then_some(FundingRequest {
            start_ms: self.next_ms,
            end_ms: self.end_ms - 1,
            limit: MAX_FUNDING_ROWS,
        })
    }

    /// Takes Binance's answer; the rows to append, oldest first. Paging ends
    /// when an answer brings nothing new or reaches the end.
    pub fn accept(&mut self, mut rows: Vec<FundingRow>) -> Vec<FundingRow> {
        rows.sort_by_key(|r| r.time_ms);
        // A row at or after the end, or a page shorter than asked for, says
        // nothing is left before the end.
        let past_end = rows.last().is_some_and(|r| r.time_ms >= self.end_ms)
            || rows.len() < MAX_FUNDING_ROWS as usize;
        let mut kept: Vec<FundingRow> = Vec::with_capacity(rows.len());
        for row in rows {
            if row.time_ms >= self.next_ms
                && row.time_ms < self.end_ms
                && kept.last().is_none_or(|k| k.time_ms < row.time_ms)
            {
                kept.push(row);
            }
        }
        match kept.last() {
            Some(last) => {
                self.next_ms = last.time_ms + 1;
                self.done = past_end || self.next_ms >= self.end_ms;
            }
            None => self.done = true,
        }
        kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H8: i64 = 8 * 3_600_000;

    fn row(t: i64) -> FundingRow {
        FundingRow {
            time_ms: t,
            rate: "0.0001".parse().unwrap(),
        }
    }

    #[test]
    fn parses_binance_rows_keeping_the_rate_as_written() {
        let text = std::fs::read_to_string(
            crate::shared_data::file("binance/fixtures/rest/http_futures_market_funding_rate.json")
                .unwrap(),
        )
        .unwrap();
        let values: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
        let rows: Vec<FundingRow> = values
            .into_iter()
            .map(|v| FundingRow::from_json(v).unwrap())
            .collect();
        assert_eq!(rows[0].time_ms, 1_570_608_000_000);
        assert_eq!(rows[0].rate.to_string(), "-0.03750000");
        assert_eq!(rows[1].rate.to_string(), "0.00010000");
    }

    #[test]
    fn a_row_without_a_rate_is_a_decode_error() {
        let err = FundingRow::from_json(serde_json::json!({"fundingTime": 1})).unwrap_err();
        assert!(err.to_string().contains("fundingRate"), "{err}");
    }

    #[test]
    fn pages_advance_one_ms_after_the_last_row_and_stop_when_nothing_is_new() {
        let mut p = FundingPager::new(0, 10_000 * H8);
        assert_eq!(
            p.request(),
            Some(FundingRequest {
                start_ms: 0,
                end_ms: 10_000 * H8 - 1,
                limit: 1000
            })
        );
        // A full page, out of order.
        let mut page: Vec<FundingRow> = (0..1000).rev().map(|i| row(i * H8 + 3)).collect();
        page.swap(0, 1);
        let kept = p.accept(page);
        assert_eq!(kept.len(), 1000);
        assert!(kept.windows(2).all(|w| w[0].time_ms < w[1].time_ms));
        assert_eq!(p.request().unwrap().start_ms, 999 * H8 + 4);
        // Old rows again: nothing new.
        assert!(p.accept(vec![row(999 * H8 + 3)]).is_empty());
        assert_eq!(p.request(), None);
    }

    #[test]
    fn a_short_page_is_the_last() {
        let mut p = FundingPager::new(0, 10_000 * H8);
        assert_eq!(p.accept(vec![row(3), row(H8 + 3)]).len(), 2);
        assert_eq!(p.request(), None);
    }

    #[test]
    fn rows_at_or_after_the_end_are_not_kept() {
        let mut p = FundingPager::new(0, H8);
        let kept = p.accept(vec![row(0), row(H8), row(2 * H8)]);
        assert_eq!(kept.len(), 1);
        assert_eq!(p.request(), None);
    }
}
