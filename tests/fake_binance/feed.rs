//! The market feed: stream names, the event shapes of the recorded `ws/`
//! fixtures, and the task that advances the price path one 1m bar at a time,
//! pushing stream frames and letting the account react to each bar.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::Shared;
use super::hub::Route;
use super::market::{Agg, Series, bucket, interval_ms, next_funding_time};
use super::orders;
use super::rules::{SymbolRules, money};

/// A stream the fake feeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stream {
    /// Upper-case symbol.
    pub symbol: String,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    Kline { interval: String, ms: i64 },
    MarkPrice,
    BookTicker,
}

impl Stream {
    /// `btcusdt@kline_1m`, `btcusdt@markPrice@1s` (or `@markPrice`),
    /// `btcusdt@bookTicker`. The symbol must be lower-case and served: any
    /// other name is accepted by the server and never fed, as on Binance.
    pub fn parse(name: &str, symbols: &[String]) -> Option<Stream> {
        let (sym, rest) = name.split_once('@')?;
        if sym.is_empty() || sym != sym.to_ascii_lowercase() {
            return None;
        }
        let symbol = sym.to_ascii_uppercase();
        if !symbols.contains(&symbol) {
            return None;
        }
        let kind = match rest {
            "markPrice@1s" | "markPrice" => Kind::MarkPrice,
            "bookTicker" => Kind::BookTicker,
            _ => {
                let interval = rest.strip_prefix("kline_")?;
                Kind::Kline {
                    ms: interval_ms(interval)?,
                    interval: interval.to_string(),
                }
            }
        };
        Some(Stream { symbol, kind })
    }

    pub fn route(&self) -> Route {
        match self.kind {
            Kind::BookTicker => Route::Public,
            _ => Route::Market,
        }
    }
}

/// Advances the feed every few milliseconds: each 1m bar the clock has
/// reached since the last pass is a step, processed in order, none skipped.
pub(crate) async fn run(shared: Arc<Shared>) {
    let mut shutdown = shared.shutdown.subscribe();
    // The clock starts at the open of bar `start_index`: steps count from there.
    let start_index = shared.config.start_index;
    let mut last: Vec<(String, Option<usize>)> = shared
        .config
        .symbols
        .iter()
        .map(|s| {
            let len = shared.market.series(s).map_or(0, |x| x.bars.len());
            (
                s.clone(),
                len.checked_sub(1).map(|end| start_index.min(end)),
            )
        })
        .collect();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(5)) => {}
            _ = shutdown.changed() => return,
        }
        let now = shared.clock.now_ms();
        for (symbol, last_idx) in &mut last {
            let Some(idx) = shared.market.series(symbol).and_then(|s| s.index_at(now)) else {
                continue;
            };
            let from = last_idx.map_or(idx, |l| l + 1);
            for i in from..=idx {
                step(&shared, symbol, i);
            }
            if from <= idx {
                *last_idx = Some(idx);
            }
        }
    }
}

/// Bar `i` of `symbol` becomes current: stream frames first, then the
/// account (resting limits, algo triggers) at that bar.
fn step(shared: &Shared, symbol: &str, i: usize) {
    let (Some(series), Some(r)) = (shared.market.series(symbol), shared.rules.get(symbol)) else {
        return;
    };
    let bar = &series.bars[i];
    let t = bar.open_time;
    let mut frames: HashMap<(Route, String), Vec<Value>> = HashMap::new();
    for (route, name) in shared.hub.routed_streams() {
        let Some(stream) = Stream::parse(&name, &shared.config.symbols) else {
            continue;
        };
        // A stream on the other route's connection is never fed.
        if stream.symbol != symbol || stream.route() != route {
            continue;
        }
        let events = match &stream.kind {
            Kind::Kline { interval, ms } => kline_frames(shared, series, r, interval, *ms, i, t),
            Kind::MarkPrice => vec![mark_price_event(series, t)],
            Kind::BookTicker => vec![book_ticker_event(series, r, i, t)],
        };
        frames.insert((route, name), events);
    }
    shared.hub.push_market(&frames);
    shared.trade(|a, fx| orders::on_step(a, symbol, i, bar, r, t, fx));
}

/// The kline frames of step `i`: the bar that just closed (`x: true`), when
/// this step starts a new interval bar, before the first update of the new one.
fn kline_frames(
    shared: &Shared,
    series: &Series,
    r: &SymbolRules,
    interval: &str,
    ms: i64,
    i: usize,
    t: i64,
) -> Vec<Value> {
    let mut out = Vec::new();
    let current = bucket(t, ms);
    if let Some(prev) = i.checked_sub(1) {
        let prev_bucket = bucket(series.bars[prev].open_time, ms);
        if prev_bucket != current
            && let Some(closed) = series.aggregate(prev_bucket, ms, prev)
        {
            shared
                .market
                .record_closed(&series.symbol, interval, closed.open_time);
            out.push(kline_event(&series.symbol, interval, &closed, true, r, t));
        }
    }
    if let Some(forming) = series.aggregate(current, ms, i) {
        out.push(kline_event(&series.symbol, interval, &forming, false, r, t));
    }
    out
}

/// `<symbol>@kline_<interval>` as in `ws/kline_stream_*.json`. Trade ids and
/// taker volumes are synthetic (the data has none).
fn kline_event(
    symbol: &str,
    interval: &str,
    a: &Agg,
    closed: bool,
    r: &SymbolRules,
    t: i64,
) -> Value {
    let first_trade = 1_000_000 + a.first as u64 * 1_000;
    json!({
        "e": "kline",
        "E": t,
        "s": symbol,
        "k": {
            "t": a.open_time,
            "T": a.close_time,
            "s": symbol,
            "i": interval,
            "f": first_trade,
            "L": first_trade + a.trades.saturating_sub(1),
            "o": r.price(a.open),
            "c": r.price(a.close),
            "h": r.price(a.high),
            "l": r.price(a.low),
            "v": r.qty(a.volume),
            "n": a.trades,
            "x": closed,
            "q": money(a.quote_volume),
            "V": r.qty(a.volume / Decimal::TWO),
            "Q": money(a.quote_volume / Decimal::TWO),
            "B": "0",
        }
    })
}

/// `<symbol>@markPrice@1s` as in `ws/mark_price_stream.json`: mark = index =
/// last price; funding from the recorded history.
fn mark_price_event(series: &Series, t: i64) -> Value {
    let mark = money(series.price_at(t));
    json!({
        "e": "markPriceUpdate",
        "E": t,
        "s": series.symbol,
        "p": mark,
        "i": mark,
        "P": mark,
        "r": money(series.funding_rate_at(t)),
        "T": next_funding_time(t),
        "st": 1,
    })
}

/// `<symbol>@bookTicker` as in `ws/book_ticker_stream.json`: the bid at the
/// last price, the ask one tick above, synthetic sizes.
fn book_ticker_event(series: &Series, r: &SymbolRules, i: usize, t: i64) -> Value {
    let last = series.price_at(t);
    json!({
        "e": "bookTicker",
        "u": 400_000_000 + i as u64,
        "E": t,
        "T": t,
        "s": series.symbol,
        "b": r.price(last),
        "B": r.qty(Decimal::new(5, 0)),
        "a": r.price(last + r.tick),
        "A": r.qty(Decimal::new(5, 0)),
        "st": 1,
        "ps": series.symbol,
    })
}
