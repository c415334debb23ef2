//! History before the streams start: the last closed candles per symbol over
//! REST, so that the indicators are ready at the first live candle. The
//! sequencer is then seeded from them
//! ([`super::MarketSequencer::seed_from`]), which is what lets a later
//! reconnect know which candles it missed.

use crate::binance::BinanceError;
use crate::binance::rest::RestClient;
use crate::binance::wire::Kline;
use crate::domain::{Interval, Symbol};
use crate::engine::Event;

/// Bars per klines request at most (Binance's limit).
pub const KLINES_PAGE: i64 = 1500;

/// The last `bars` closed candles of each symbol, as `Event::Candle`
/// (closed) stamped with their close time, in time order (so in time order
/// per symbol too). The forming candle is not among them. Call after
/// `rest.sync_time()`: "closed" is judged by `rest.server_now()`.
pub async fn warm_up(
    rest: &RestClient,
    symbols: &[Symbol],
    interval: Interval,
    bars: usize,
) -> Result<Vec<(i64, Event)>, BinanceError> {
    let now = rest.server_now();
    let mut out = Vec::new();
    let Some((start, end)) = warm_up_range(now, interval, bars) else {
        return Ok(out);
    };
    for symbol in symbols {
        let rows = fetch_range(rest, symbol, interval, start, end).await?;
        let tail = closed_tail(rows, now, bars);
        log::info!(target: "binance", "{symbol}: {} closed {interval} candles for the warm-up", tail.len());
        for row in tail {
            let candle = row.to_candle(true).map_err(|e| match e {
                BinanceError::Decode(m) => BinanceError::Decode(format!("{symbol} {m}")),
                other => other,
            })?;
            out.push((
                row.close_time_ms,
                Event::Candle {
                    symbol: symbol.clone(),
                    candle,
                },
            ));
        }
    }
    // Stable: each symbol's candles keep their order.
    out.sort_by_key(|(at, _)| *at);
    Ok(out)
}

/// The open time of the first and the close time of the last of the `bars`
/// candles that have closed by `now` (Binance's candles start on multiples
/// of their interval since the epoch, a day's at 00:00 UTC).
pub fn warm_up_range(now_ms: i64, interval: Interval, bars: usize) -> Option<(i64, i64)> {
    if bars == 0 {
        return None;
    }
    let d = interval.duration_ms();
    let last_open = now_ms.div_euclid(d) * d - d;
    let first_open = last_open - (bars as i64 - 1) * d;
    Some((first_open, last_open + d - 1))
}

/// The closed rows (close time before now), each once, in order, the last
/// `bars` of them.
fn closed_tail(mut rows: Vec<Kline>, now_ms: i64, bars: usize) -> Vec<Kline> {
    rows.retain(|r| r.close_time_ms < now_ms);
    rows.sort_by_key(|r| r.open_time_ms);
    rows.dedup_by_key(|r| r.open_time_ms);
    let skip = rows.len().saturating_sub(bars);
    rows.drain(..skip);
    rows
}

/// Every kline opening in `start_ms..=end_ms`, paged forward at most
/// [`KLINES_PAGE`] per request, each request no larger than it needs to be
/// (the weight grows with `limit`). The REST client retries each request
/// under its own policy; an error here is what it gave up on.
pub async fn fetch_range(
    rest: &RestClient,
    symbol: &Symbol,
    interval: Interval,
    start_ms: i64,
    end_ms: i64,
) -> Result<Vec<Kline>, BinanceError> {
    let d = interval.duration_ms();
    let mut rows: Vec<Kline> = Vec::new();
    let mut cursor = start_ms;
    while cursor <= end_ms {
        let wanted = ((end_ms - cursor).div_euclid(d) + 1).clamp(1, KLINES_PAGE);
        let page = rest
            .klines(symbol, interval, Some(cursor), Some(end_ms), wanted as u32)
            .await?;
        let Some(last) = page.last() else { break };
        let next = last.open_time_ms + d;
        let full = page.len() as i64 >= wanted;
        rows.extend(page.into_iter().filter(|r| r.open_time_ms >= cursor));
        if !full || next <= cursor {
            break;
        }
        cursor = next;
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binance::stream::market_sequencer::tests::{MIN, row};

    #[test]
    fn the_range_ends_with_the_last_closed_candle() {
        // 10:30 into candle 10: candles 1..=9 are the last nine closed.
        let now = 10 * MIN + 30_000;
        assert_eq!(
            warm_up_range(now, Interval::M1, 9),
            Some((MIN, 10 * MIN - 1))
        );
        // At the very first millisecond of candle 10, candle 9 has closed.
        assert_eq!(
            warm_up_range(10 * MIN, Interval::M1, 1),
            Some((9 * MIN, 10 * MIN - 1))
        );
        assert_eq!(warm_up_range(now, Interval::M1, 0), None);
        let day = Interval::D1.duration_ms();
        assert_eq!(
            warm_up_range(3 * day + 5, Interval::D1, 2),
            Some((day, 3 * day - 1))
        );
    }

    #[test]
    fn the_tail_drops_the_forming_row_and_duplicates_and_keeps_the_last_bars() {
        let rows = vec![
            row(3 * MIN, "12"),
            row(MIN, "12"),
            row(2 * MIN, "12"),
            row(2 * MIN, "12"),
            row(4 * MIN, "11"),
        ];
        let tail = closed_tail(rows, 4 * MIN + 10, 2);
        let opens: Vec<i64> = tail.iter().map(|r| r.open_time_ms).collect();
        assert_eq!(opens, vec![2 * MIN, 3 * MIN]);
    }
}
