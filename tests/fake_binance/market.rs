//! The price path: the recorded BTCUSDT 1m klines, replayed by the virtual
//! clock, aggregated to longer intervals on demand; funding rates from the
//! recorded funding history.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex, OnceLock};

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::lock;
use super::rules::Rules;

/// One recorded 1m bar.
#[derive(Debug, Clone)]
pub(crate) struct Bar {
    pub open_time: i64,
    pub open: Decimal,
    pub high: Decimal,
    pub low: Decimal,
    pub close: Decimal,
    pub volume: Decimal,
}

/// A bar of any interval, aggregated from 1m bars `first..=last`.
#[derive(Debug, Clone)]
pub(crate) struct Agg {
    pub open_time: i64,
    pub close_time: i64,
    pub open: Decimal,
    pub high: Decimal,
    pub low: Decimal,
    pub close: Decimal,
    pub volume: Decimal,
    pub quote_volume: Decimal,
    pub trades: u64,
    pub first: usize,
    pub last: usize,
}

/// Binance's intervals, each as whole 1m bars (1m … 1d).
pub(crate) fn interval_ms(interval: &str) -> Option<i64> {
    let minutes = match interval {
        "1m" => 1,
        "3m" => 3,
        "5m" => 5,
        "15m" => 15,
        "30m" => 30,
        "1h" => 60,
        "2h" => 120,
        "4h" => 240,
        "6h" => 360,
        "8h" => 480,
        "12h" => 720,
        "1d" => 1440,
        _ => return None,
    };
    Some(minutes * 60_000)
}

/// The start of the `interval_ms` bar holding `t` (bars align to the epoch).
pub(crate) fn bucket(t: i64, interval_ms: i64) -> i64 {
    t - t.rem_euclid(interval_ms)
}

/// Synthetic trade count of a 1m bar: Binance reports one, the data has none.
fn trades_of(b: &Bar) -> u64 {
    (b.volume * Decimal::TEN).to_u64().unwrap_or(1).max(1)
}

/// Funding events (time ms, rate), in time order.
type Funding = Arc<Vec<(i64, Decimal)>>;

pub(crate) struct Series {
    pub symbol: String,
    pub bars: Arc<Vec<Bar>>,
    funding: Funding,
}

impl Series {
    /// The bar current at `now`: the last one whose open time has passed.
    pub fn index_at(&self, now: i64) -> Option<usize> {
        self.bars
            .partition_point(|b| b.open_time <= now)
            .checked_sub(1)
    }

    /// The `interval_ms` bar opening at `bucket`, made of the 1m bars up to
    /// `upto` (the forming bar holds only what has happened).
    pub fn aggregate(&self, bucket: i64, interval_ms: i64, upto: usize) -> Option<Agg> {
        let lo = self.bars.partition_point(|b| b.open_time < bucket);
        let hi = self
            .bars
            .partition_point(|b| b.open_time < bucket + interval_ms)
            .min(upto + 1);
        let bars = self.bars.get(lo..hi).filter(|s| !s.is_empty())?;
        let mut a = Agg {
            open_time: bucket,
            close_time: bucket + interval_ms - 1,
            open: bars[0].open,
            high: bars[0].high,
            low: bars[0].low,
            close: bars[bars.len() - 1].close,
            volume: Decimal::ZERO,
            quote_volume: Decimal::ZERO,
            trades: 0,
            first: lo,
            last: hi - 1,
        };
        for b in bars {
            a.high = a.high.max(b.high);
            a.low = a.low.min(b.low);
            a.volume += b.volume;
            a.quote_volume += b.volume * (b.open + b.close) / Decimal::TWO;
            a.trades += trades_of(b);
        }
        Some(a)
    }

    /// `GET /fapi/v1/klines`: bars opened at or before `now` (the last one
    /// forming), from `start` on when given, else the latest up to `end`.
    pub fn klines(
        &self,
        interval_ms: i64,
        start: Option<i64>,
        end: Option<i64>,
        limit: usize,
        now: i64,
    ) -> Vec<Agg> {
        let Some(cur) = self.index_at(now) else {
            return Vec::new();
        };
        let first = bucket(self.bars[0].open_time, interval_ms);
        let mut last = bucket(self.bars[cur].open_time, interval_ms);
        if let Some(end) = end {
            last = last.min(bucket(end, interval_ms));
        }
        let mut out = Vec::new();
        match start {
            Some(start) => {
                // Bars opening at or after startTime.
                let mut b = bucket(start + interval_ms - 1, interval_ms).max(first);
                while b <= last && out.len() < limit {
                    out.extend(self.aggregate(b, interval_ms, cur));
                    b += interval_ms;
                }
            }
            None => {
                let mut b = last;
                while b >= first && out.len() < limit {
                    out.extend(self.aggregate(b, interval_ms, cur));
                    b -= interval_ms;
                }
                out.reverse();
            }
        }
        out
    }

    /// Funding events (time, rate), in time order.
    pub fn funding(&self) -> &[(i64, Decimal)] {
        &self.funding
    }

    /// The last funding rate settled at or before `now`.
    pub fn funding_rate_at(&self, now: i64) -> Decimal {
        let n = self.funding.partition_point(|(t, _)| *t <= now);
        n.checked_sub(1)
            .map_or(Decimal::ZERO, |i| self.funding[i].1)
    }

    /// The price at `t`: the close of the bar current then (the first bar's
    /// open before the data starts).
    pub fn price_at(&self, t: i64) -> Decimal {
        match self.index_at(t) {
            Some(i) => self.bars[i].close,
            None => self.bars[0].open,
        }
    }
}

/// Funding settles every 8 hours, at 00:00, 08:00 and 16:00 UTC.
pub(crate) fn next_funding_time(now: i64) -> i64 {
    const EIGHT_HOURS: i64 = 8 * 3_600_000;
    bucket(now, EIGHT_HOURS) + EIGHT_HOURS
}

pub(crate) struct Market {
    series: Vec<Series>,
    /// Closed klines pushed, per (symbol, interval), in push order.
    closed: Mutex<HashMap<(String, String), Vec<i64>>>,
}

impl Market {
    pub fn load(symbols: &[String], rules: &Rules) -> Market {
        let series = symbols
            .iter()
            .map(|s| {
                let r = rules
                    .get(s)
                    .expect("rules exist for every configured symbol");
                Series {
                    symbol: s.clone(),
                    bars: path_for(s, r.tick, r.step),
                    funding: funding_for(s),
                }
            })
            .collect();
        Market {
            series,
            closed: Mutex::new(HashMap::new()),
        }
    }

    /// The virtual clock's start: the open time of bar `start_index` (the last
    /// bar when the data is shorter).
    pub fn start_time(&self, start_index: usize) -> i64 {
        let bars = &self.series[0].bars;
        bars[start_index.min(bars.len() - 1)].open_time
    }

    pub fn series(&self, symbol: &str) -> Option<&Series> {
        self.series.iter().find(|s| s.symbol == symbol)
    }

    /// Last price, which is also the mark price here: the close of the 1m bar
    /// current at `now` (the fake has no order book and no index basket).
    pub fn last_price(&self, symbol: &str, now: i64) -> Option<Decimal> {
        let s = self.series(symbol)?;
        Some(s.bars[s.index_at(now)?].close)
    }

    pub fn record_closed(&self, symbol: &str, interval: &str, open_time: i64) {
        let mut closed = lock(&self.closed);
        let list = closed
            .entry((symbol.to_string(), interval.to_string()))
            .or_default();
        if !list.contains(&open_time) {
            list.push(open_time);
        }
    }

    pub fn closed_sent(&self, symbol: &str, interval: &str) -> Vec<i64> {
        lock(&self.closed)
            .get(&(symbol.to_string(), interval.to_string()))
            .cloned()
            .unwrap_or_default()
    }
}

type Loaded<T> = OnceLock<Result<Arc<T>, String>>;

fn read_shared(rel: &str) -> Result<String, String> {
    let path = cockpit::shared_data::file(rel)?;
    std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
}

/// The recorded BTCUSDT 1m bars, read once per test binary.
fn btc_1m() -> Arc<Vec<Bar>> {
    static BTC: Loaded<Vec<Bar>> = OnceLock::new();
    let loaded = BTC.get_or_init(|| {
        let rel = "klines/BTCUSDT-1m-umfutures.csv";
        let text = read_shared(rel)?;
        let mut bars = Vec::with_capacity(43_200);
        for (n, line) in text.lines().enumerate().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let bad = || format!("{rel} line {}: `{line}`", n + 1);
            if f.len() < 6 {
                return Err(bad());
            }
            let d = |i: usize| Decimal::from_str(f[i].trim()).map_err(|_| bad());
            bars.push(Bar {
                open_time: f[0].trim().parse().map_err(|_| bad())?,
                open: d(1)?,
                high: d(2)?,
                low: d(3)?,
                close: d(4)?,
                volume: d(5)?,
            });
        }
        if bars.is_empty() {
            return Err(format!("{rel} has no rows"));
        }
        Ok(Arc::new(bars))
    });
    loaded.clone().unwrap_or_else(|e| panic!("{e}"))
}

/// The price path of `symbol`. There is no ETHUSDT 1m file, so ETHUSDT is the
/// BTC path × 0.05 (prices rounded to ETH's tick, volume × 20 so that traded
/// notional stays alike); any other symbol replays the BTC path unscaled.
fn path_for(symbol: &str, tick: Decimal, step: Decimal) -> Arc<Vec<Bar>> {
    let btc = btc_1m();
    if symbol != "ETHUSDT" {
        return btc;
    }
    let scale = Decimal::new(5, 2);
    let price = |p: Decimal| (p * scale / tick).round() * tick;
    let volume = |v: Decimal| (v / scale / step).round() * step;
    Arc::new(
        btc.iter()
            .map(|b| Bar {
                open_time: b.open_time,
                open: price(b.open),
                high: price(b.high),
                low: price(b.low),
                close: price(b.close),
                volume: volume(b.volume),
            })
            .collect(),
    )
}

/// `klines/<SYMBOL>-fundingrate.csv` (`funding_time_ms,funding_rate`), or
/// BTCUSDT's when the symbol has none.
fn funding_for(symbol: &str) -> Funding {
    static CACHE: Mutex<Vec<(String, Funding)>> = Mutex::new(Vec::new());
    let mut cache = lock(&CACHE);
    if let Some((_, f)) = cache.iter().find(|(s, _)| s == symbol) {
        return f.clone();
    }
    let own = format!("klines/{symbol}-fundingrate.csv");
    let text = read_shared(&own)
        .or_else(|_| read_shared("klines/BTCUSDT-fundingrate.csv"))
        .unwrap_or_else(|e| panic!("{e}"));
    let rows: Vec<(i64, Decimal)> = text
        .lines()
        .skip(1)
        .filter_map(|line| {
            let (t, r) = line.split_once(',')?;
            let rate = Decimal::from_str(r.trim())
                .or_else(|_| Decimal::from_scientific(r.trim()))
                .ok()?;
            Some((t.trim().parse().ok()?, rate))
        })
        .collect();
    let rows = Arc::new(rows);
    cache.push((symbol.to_string(), rows.clone()));
    rows
}
