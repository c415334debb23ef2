//! A fake Binance USD-M Futures exchange on loopback, for tests only.
//!
//! It replays the real BTCUSDT 1m klines of the shared data at a chosen speed
//! (a virtual clock), serves the REST endpoints the adapter uses with
//! Binance's signing, timestamp and rate-limit rules, pushes the routed market
//! streams and the user-data stream in Binance's exact shapes, keeps a one-way
//! account (orders, algo orders, positions, fills) and injects faults on
//! demand. Everything binds to 127.0.0.1; nothing reaches another host.
//!
//! Include it from an integration test with `mod fake_binance;`.

// Each test binary includes this module and uses only part of it.
#![allow(dead_code)]

mod account;
mod clock;
mod faults;
mod feed;
mod http;
mod hub;
mod log;
mod market;
mod orders;
mod params;
mod rest;
mod rules;
mod settlement;
mod user_events;
mod ws;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rust_decimal::Decimal;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

// The public API; a test binary may use only part of it.
#[allow(unused_imports)]
pub use account::OpenAlgo;
#[allow(unused_imports)]
pub use faults::{Fault, Faults, Matcher};
#[allow(unused_imports)]
pub use log::{OrderLogEntry, Outcome, RequestLogEntry};
#[allow(unused_imports)]
pub use settlement::ForcedClose;

/// How the fake exchange behaves. `Default` gives one BTCUSDT market at 600×.
#[derive(Debug, Clone)]
pub struct FakeConfig {
    /// Symbols served. BTCUSDT replays the recorded 1m path; ETHUSDT is that
    /// path scaled (there is no ETH 1m file); any other symbol gets the BTC
    /// path unscaled and BTCUSDT's filters.
    pub symbols: Vec<String>,
    /// Virtual milliseconds per wall millisecond: 600 makes a 1m candle every
    /// 100 ms of wall time.
    pub speed: f64,
    /// Index into the 1m data where the virtual clock starts, so that this
    /// many candles of history exist for warm-up.
    pub start_index: usize,
    pub api_key: String,
    pub api_secret: String,
    /// Wallet balance in USDT.
    pub wallet: Decimal,
    /// Hedge mode as reported by `GET /fapi/v1/positionSide/dual`; the
    /// account itself always nets one-way.
    pub dual_side_position: bool,
    /// Wall interval between the server's WebSocket pings.
    pub ping_every: Duration,
    pub taker_fee: Decimal,
    pub maker_fee: Decimal,
}

impl Default for FakeConfig {
    fn default() -> Self {
        FakeConfig {
            symbols: vec!["BTCUSDT".to_string()],
            speed: 600.0,
            start_index: 1000,
            api_key: "fake-key".to_string(),
            api_secret: "fake-secret".to_string(),
            wallet: Decimal::from(10_000),
            dual_side_position: false,
            ping_every: Duration::from_secs(3),
            taker_fee: Decimal::new(4, 4),
            maker_fee: Decimal::new(2, 4),
        }
    }
}

/// Everything the servers and background tasks share.
pub(crate) struct Shared {
    pub config: FakeConfig,
    pub clock: clock::Clock,
    pub market: market::Market,
    pub rules: rules::Rules,
    pub account: Mutex<account::Account>,
    pub faults: Faults,
    pub log: log::Log,
    pub hub: hub::Hub,
    pub rate: http::RateCounters,
    /// Set once to stop every task and connection.
    pub shutdown: watch::Sender<bool>,
}

/// What an account operation produced besides its answer: user-stream events
/// in order, and order-log lines for orders the exchange placed itself.
#[derive(Default)]
pub(crate) struct Effects {
    pub events: Vec<Value>,
    pub log: Vec<OrderLogEntry>,
}

impl Shared {
    /// Server time: the virtual clock plus the injected skew.
    pub fn server_time(&self) -> i64 {
        self.clock.now_ms() + self.faults.skew_ms()
    }

    /// Last (= mark) price of every symbol now.
    pub fn marks(&self, now: i64) -> HashMap<String, Decimal> {
        self.config
            .symbols
            .iter()
            .filter_map(|s| Some((s.clone(), self.market.last_price(s, now)?)))
            .collect()
    }

    /// Runs an account operation under the account lock and publishes its
    /// effects before the lock is released, so that the user stream carries
    /// events in the order the account changed.
    pub fn trade<R>(&self, op: impl FnOnce(&mut account::Account, &mut Effects) -> R) -> R {
        let mut account = lock(&self.account);
        let mut fx = Effects::default();
        let out = op(&mut account, &mut fx);
        self.hub.push_user(&fx.events);
        for entry in fx.log {
            self.log.order(entry);
        }
        out
    }
}

/// A poisoned lock only means another test thread panicked; the data is still
/// what that thread left, which is good enough for a fake.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Stops the background tasks when the last handle goes.
struct Guard {
    shared: Arc<Shared>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.shared.shutdown.send_replace(true);
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// A running fake exchange. Clones share it; it stops when the last clone is
/// dropped or on [`FakeBinance::shutdown`].
#[derive(Clone)]
pub struct FakeBinance {
    shared: Arc<Shared>,
    guard: Arc<Guard>,
    rest_addr: SocketAddr,
    ws_addr: SocketAddr,
}

impl FakeBinance {
    /// Loads the data, binds REST and WebSocket listeners on 127.0.0.1:0 and
    /// starts the clock. Panics with a clear message when the shared data is
    /// missing (tests fail, never skip).
    pub async fn start(config: FakeConfig) -> FakeBinance {
        assert!(config.speed > 0.0, "FakeConfig.speed must be positive");
        assert!(!config.symbols.is_empty(), "FakeConfig.symbols is empty");
        let rules = rules::Rules::load(&config.symbols);
        let market = market::Market::load(&config.symbols, &rules);
        let start_ms = market.start_time(config.start_index);
        let (shutdown, _) = watch::channel(false);
        let shared = Arc::new_cyclic(|weak| Shared {
            clock: clock::Clock::new(start_ms, config.speed),
            account: Mutex::new(account::Account::new(&config)),
            faults: Faults::new(weak.clone()),
            log: log::Log::default(),
            hub: hub::Hub::new(),
            rate: http::RateCounters::default(),
            shutdown,
            market,
            rules,
            config,
        });
        let rest = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake REST listener");
        let ws = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake WebSocket listener");
        let rest_addr = rest.local_addr().expect("REST listener address");
        let ws_addr = ws.local_addr().expect("WebSocket listener address");
        let tasks = vec![
            tokio::spawn(http::serve(rest, shared.clone())),
            tokio::spawn(ws::serve(ws, shared.clone())),
            tokio::spawn(feed::run(shared.clone())),
        ];
        let guard = Arc::new(Guard {
            shared: shared.clone(),
            tasks,
        });
        FakeBinance {
            shared,
            guard,
            rest_addr,
            ws_addr,
        }
    }

    /// `http://127.0.0.1:P`
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.rest_addr)
    }

    /// `ws://127.0.0.1:Q`; the routes `/market/…`, `/public/…` and
    /// `/private/…` hang under it.
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.ws_addr)
    }

    /// The virtual exchange time in ms, without the injected skew: what a
    /// client's own clock would read if it ran at the fake's speed.
    pub fn clock(&self) -> Arc<dyn Fn() -> i64 + Send + Sync> {
        let shared = self.shared.clone();
        Arc::new(move || shared.clock.now_ms())
    }

    pub fn now_ms(&self) -> i64 {
        self.shared.clock.now_ms()
    }

    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Every order-affecting request and every order the exchange placed itself.
    pub fn order_log(&self) -> Vec<OrderLogEntry> {
        self.shared.log.orders()
    }

    /// Signed one-way position amount; zero when flat or unknown.
    pub fn position_amt(&self, symbol: &str) -> Decimal {
        lock(&self.shared.account).position_amt(symbol)
    }

    /// Average entry price of the position; zero when flat.
    pub fn entry_price(&self, symbol: &str) -> Decimal {
        lock(&self.shared.account).entry_price(symbol)
    }

    /// The last (= mark) price of `symbol` now; zero for a symbol not served.
    pub fn mark_price(&self, symbol: &str) -> Decimal {
        let now = self.now_ms();
        self.shared.marks(now).remove(symbol).unwrap_or_default()
    }

    /// Wallet balance in USDT (realised PnL in, fees out).
    pub fn wallet(&self) -> Decimal {
        lock(&self.shared.account).wallet
    }

    /// Seeds a position without any order or protection (restart tests).
    /// No user event is sent: the exchange simply has it.
    pub fn set_position(&self, symbol: &str, amt: Decimal, entry: Decimal) {
        let now = self.now_ms();
        lock(&self.shared.account).set_position(symbol, amt, entry, now);
    }

    /// Settles funding at `rate` on `symbol`'s position now (ACCOUNT_UPDATE
    /// with reason FUNDING_FEE, and a row of the income history). Returns
    /// the wallet's change: negative when the position paid.
    pub fn settle_funding(&self, symbol: &str, rate: Decimal) -> Decimal {
        let now = self.now_ms();
        let mark = self.mark_price(symbol);
        let Some(r) = self.shared.rules.get(symbol) else {
            return Decimal::ZERO;
        };
        self.shared
            .trade(|a, fx| settlement::settle_funding(a, symbol, rate, mark, r, now, fx))
    }

    /// Closes `symbol`'s whole position at the mark as Binance's
    /// liquidation or auto-deleveraging engine does.
    pub fn force_close(&self, symbol: &str, kind: ForcedClose) {
        let now = self.now_ms();
        let mark = self.mark_price(symbol);
        let Some(r) = self.shared.rules.get(symbol) else {
            return;
        };
        self.shared
            .trade(|a, fx| settlement::force_close(a, symbol, kind, mark, r, now, fx));
    }

    /// Isolated (true) or cross margin for `symbol`, without the checks of
    /// `POST /fapi/v1/marginType`.
    pub fn set_isolated(&self, symbol: &str, isolated: bool) {
        let mut a = lock(&self.shared.account);
        if isolated {
            a.isolated.insert(symbol.to_string());
        } else {
            a.isolated.remove(symbol);
        }
    }

    /// Client order ids of the open regular orders of `symbol`.
    pub fn open_orders(&self, symbol: &str) -> Vec<String> {
        lock(&self.shared.account).open_order_ids(symbol)
    }

    pub fn open_algo_orders(&self, symbol: &str) -> Vec<OpenAlgo> {
        lock(&self.shared.account).open_algos(symbol)
    }

    /// Open times of the closed klines pushed on the streams for
    /// (`symbol`, `interval`), in order, without duplicates.
    pub fn closed_candles_sent(&self, symbol: &str, interval: &str) -> Vec<i64> {
        self.shared.market.closed_sent(symbol, interval)
    }

    /// Every HTTP request, faulted ones included.
    pub fn requests_seen(&self) -> Vec<RequestLogEntry> {
        self.shared.log.requests()
    }

    /// Payloads of the Pong frames received, in order.
    pub fn pongs(&self) -> Vec<Vec<u8>> {
        self.shared.log.pongs()
    }

    /// Payloads of the Ping frames sent, in order; each is distinct.
    pub fn pings_sent(&self) -> Vec<Vec<u8>> {
        self.shared.log.pings()
    }

    /// Freezes (or resumes) the virtual clock: no new candles, no fills, no
    /// triggers while frozen.
    pub fn pause_market(&self, paused: bool) {
        self.shared.clock.set_paused(paused);
    }

    pub fn listen_keys_created(&self) -> usize {
        self.shared.hub.keys_created()
    }

    /// Open WebSocket connections: (market and public and unrouted, user).
    pub fn open_streams(&self) -> (usize, usize) {
        self.shared.hub.connection_counts()
    }

    /// Stops the servers, the clock task and every connection now.
    pub fn shutdown(&self) {
        self.shared.shutdown.send_replace(true);
        for t in &self.guard.tasks {
            t.abort();
        }
    }
}
