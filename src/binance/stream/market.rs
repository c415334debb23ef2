//! The market connections: klines and mark prices on the `/market` route
//! (one combined connection) feeding the engine through the
//! [`MarketSequencer`], and best bid/ask on the `/public` route (a second
//! connection) published through a `watch` channel.
//!
//! Reconnecting is normal operation (Binance cuts every connection after 24
//! hours): on any drop the engine gets one `FeedDown`, the connection comes
//! back after the retry policy's backoff, the candles missed meanwhile are
//! fetched over REST before anything new is forwarded, then `FeedUp`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use rust_decimal::Decimal;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::conn::Connection;
use super::market_sequencer::MarketSequencer;
use super::warm_up::fetch_range;
use crate::binance::rest::RestClient;
use crate::binance::retry::RetryPolicy;
use crate::binance::streams;
use crate::binance::wire::{Kline, MarketEvent, parse_market_frame};
use crate::domain::{Interval, Symbol};
use crate::engine::Event;

/// A closed candle older than this when it arrives is a `LateCandle`.
pub const DEFAULT_LATE_AFTER_MS: i64 = 10_000;
/// No frame at all for this long: the connection is dead.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// A connection up at least this long resets the reconnect backoff.
pub const STABLE_AFTER: Duration = Duration::from_secs(30);

/// Backoff between reconnects: from ½ s, doubling up to 30 s, jittered.
/// `max_attempts` is not used: a stream never gives up.
pub fn default_reconnect() -> RetryPolicy {
    RetryPolicy {
        max_attempts: u32::MAX,
        base: Duration::from_millis(500),
        cap: Duration::from_secs(30),
    }
}

#[derive(Debug, Clone)]
pub struct MarketStreamConfig {
    /// `wss://fstream.binance.com`, `wss://fstream.binancefuture.com`, or loopback.
    pub ws_base: String,
    pub symbols: Vec<Symbol>,
    pub interval: Interval,
    pub late_after_ms: i64,
    pub reconnect: RetryPolicy,
    /// No frame at all for this long = dead connection, reconnect.
    pub idle_timeout: Duration,
}

impl MarketStreamConfig {
    pub fn new(ws_base: impl Into<String>, symbols: Vec<Symbol>, interval: Interval) -> Self {
        MarketStreamConfig {
            ws_base: ws_base.into(),
            symbols,
            interval,
            late_after_ms: DEFAULT_LATE_AFTER_MS,
            reconnect: default_reconnect(),
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
        }
    }
}

/// Best bid and ask per symbol, from the `/public` route's bookTicker.
pub type BestBidAsk = BTreeMap<Symbol, (Decimal, Decimal)>;

/// Runs until `tx` is closed. `sequencer` comes seeded from the warm-up
/// (without a seed a symbol has no backfill); `config.late_after_ms` is
/// the one it uses. Events are stamped with `rest.server_now()`.
pub async fn run_market_stream(
    config: MarketStreamConfig,
    mut sequencer: MarketSequencer,
    rest: Arc<RestClient>,
    tx: mpsc::Sender<(i64, Event)>,
) {
    if sequencer.interval() != config.interval {
        log::error!(
            target: "binance",
            "market sequencer built for {} but the stream is {}: starting it afresh (no backfill until a candle closes)",
            sequencer.interval(),
            config.interval
        );
        sequencer = MarketSequencer::new(config.interval, config.late_after_ms);
    }
    sequencer.set_late_after_ms(config.late_after_ms);
    let url = streams::market_url(&config.ws_base, &config.symbols, config.interval);
    let mut attempt: u32 = 0;
    // The engine was told FeedDown and has not had FeedUp since.
    let mut feed_down = false;
    loop {
        let opened = tokio::select! {
            c = Connection::open(&url, config.idle_timeout) => c,
            _ = tx.closed() => return,
        };
        let reason = match opened {
            Err(reason) => format!("cannot connect: {reason}"),
            Ok(mut conn) => {
                if attempt > 0 {
                    log::info!(target: "binance", "market stream reconnected (attempt {attempt}), backfilling");
                } else {
                    log::info!(target: "binance", "market stream connected: {url}");
                }
                let mut live_since = None;
                let end = session(
                    &mut conn,
                    &config,
                    &mut sequencer,
                    &rest,
                    &tx,
                    &mut feed_down,
                    &mut live_since,
                )
                .await;
                if live_since.is_some_and(|t: Instant| t.elapsed() >= STABLE_AFTER) {
                    attempt = 0;
                }
                match end {
                    End::Stop => {
                        conn.close().await;
                        return;
                    }
                    End::Dropped(reason) => {
                        conn.close().await;
                        reason
                    }
                }
            }
        };
        attempt = attempt.saturating_add(1);
        let wait = config.reconnect.backoff(attempt);
        log::warn!(target: "binance", "market stream down: {reason}; reconnecting in {wait:?}");
        if !feed_down {
            feed_down = true;
            if !send(&tx, &rest, vec![Event::FeedDown { reason }]).await {
                return;
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = tx.closed() => return,
        }
    }
}

enum End {
    /// The engine is gone.
    Stop,
    /// The connection is over, for this reason.
    Dropped(String),
}

/// One connection: resync (backfill while the stream's frames are
/// buffered), then live until the connection drops.
async fn session(
    conn: &mut Connection,
    config: &MarketStreamConfig,
    sequencer: &mut MarketSequencer,
    rest: &RestClient,
    tx: &mpsc::Sender<(i64, Event)>,
    feed_down: &mut bool,
    live_since: &mut Option<Instant>,
) -> End {
    sequencer.begin_resync();
    let now = rest.server_now();
    let ranges: Vec<(Symbol, (i64, i64))> = config
        .symbols
        .iter()
        .filter_map(|s| sequencer.backfill_range(s, now).map(|r| (s.clone(), r)))
        .collect();
    let backfill = backfill(rest, config.interval, ranges, config.reconnect);
    tokio::pin!(backfill);
    loop {
        // Biased: a finished backfill is handled before the next frame, so
        // a resync with nothing to fetch ends at once.
        tokio::select! {
            biased;
            _ = tx.closed() => return End::Stop,
            rows = &mut backfill, if live_since.is_none() => {
                let now = rest.server_now();
                let mut events = Vec::new();
                for (symbol, rows) in rows {
                    events.extend(sequencer.on_backfill(&symbol, rows, now));
                }
                events.extend(sequencer.finish_resync(now));
                if !send(tx, rest, events).await {
                    return End::Stop;
                }
                *feed_down = false;
                *live_since = Some(Instant::now());
            }
            text = conn.next_text() => {
                let text = match text {
                    Ok(t) => t,
                    Err(reason) => return End::Dropped(reason),
                };
                match parse_market_frame(&text) {
                    Ok(frame) => {
                        let events = sequencer.on_frame(&frame, rest.server_now());
                        if !send(tx, rest, events).await {
                            return End::Stop;
                        }
                    }
                    Err(e) => log::warn!(target: "binance", "market frame ignored: {e}"),
                }
            }
        }
    }
}

/// The missing candles of each symbol over REST. A request that fails
/// (after the REST client's own retries) is tried again after the backoff,
/// until it succeeds or the connection drops (which drops this future).
async fn backfill(
    rest: &RestClient,
    interval: Interval,
    ranges: Vec<(Symbol, (i64, i64))>,
    policy: RetryPolicy,
) -> Vec<(Symbol, Vec<Kline>)> {
    let mut out = Vec::with_capacity(ranges.len());
    for (symbol, (start, end)) in ranges {
        let missing = (end + 1 - start) / interval.duration_ms();
        log::info!(target: "binance", "{symbol}: backfilling {missing} closed {interval} candles");
        let mut attempt = 0;
        loop {
            match fetch_range(rest, &symbol, interval, start, end).await {
                Ok(rows) => {
                    out.push((symbol, rows));
                    break;
                }
                Err(e) => {
                    attempt += 1;
                    let wait = policy.backoff(attempt);
                    log::warn!(target: "binance", "{symbol}: backfill failed ({e}); retrying in {wait:?}");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
    out
}

/// Sends each event stamped with the server clock; false when the engine is gone.
async fn send(tx: &mpsc::Sender<(i64, Event)>, rest: &RestClient, events: Vec<Event>) -> bool {
    for event in events {
        if tx.send((rest.server_now(), event)).await.is_err() {
            return false;
        }
    }
    true
}

/// Best bid/ask of `config.symbols` from the `/public` route, published in
/// `book` (an entry per symbol once it has quoted; emptied while the
/// connection is down, so that nobody reads a stale quote). Same reconnect
/// rule as the market stream. Runs until every receiver of `book` is dropped.
pub async fn run_book_ticker_stream(config: MarketStreamConfig, book: watch::Sender<BestBidAsk>) {
    let url = streams::public_url(&config.ws_base, &config.symbols);
    let mut attempt: u32 = 0;
    loop {
        let opened = tokio::select! {
            c = Connection::open(&url, config.idle_timeout) => c,
            _ = book.closed() => return,
        };
        let reason = match opened {
            Err(reason) => format!("cannot connect: {reason}"),
            Ok(mut conn) => {
                log::info!(target: "binance", "book ticker stream connected: {url}");
                let since = Instant::now();
                let reason = loop {
                    let text = tokio::select! {
                        t = conn.next_text() => t,
                        _ = book.closed() => {
                            conn.close().await;
                            return;
                        }
                    };
                    let text = match text {
                        Ok(t) => t,
                        Err(reason) => break reason,
                    };
                    match parse_market_frame(&text) {
                        Ok(frame) => {
                            if let MarketEvent::BookTicker(t) = frame.event
                                && let Ok(symbol) = Symbol::new(&t.symbol)
                            {
                                book.send_modify(|m| {
                                    m.insert(symbol, (t.bid_price.value(), t.ask_price.value()));
                                });
                            }
                        }
                        Err(e) => log::warn!(target: "binance", "book ticker frame ignored: {e}"),
                    }
                };
                conn.close().await;
                if since.elapsed() >= STABLE_AFTER {
                    attempt = 0;
                }
                reason
            }
        };
        book.send_if_modified(|m| {
            let had = !m.is_empty();
            m.clear();
            had
        });
        attempt = attempt.saturating_add(1);
        let wait = config.reconnect.backoff(attempt);
        log::warn!(target: "binance", "book ticker stream down: {reason}; reconnecting in {wait:?}");
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = book.closed() => return,
        }
    }
}
