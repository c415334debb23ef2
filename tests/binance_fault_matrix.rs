//! The fault matrix: the whole stack — engine, runner, the Binance venue and
//! streams — against the fake exchange on loopback, with the exchange
//! misbehaving. Every assertion reads the fake's own logs: what reached the
//! exchange, not what the bot believes it sent.
//!
//! The fake runs a virtual clock at 60× (a 1m candle per wall second); the
//! bot signs and stamps with that clock, so recvWindow and late-candle ages
//! are virtual too.

mod fake_binance;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cockpit::binance::rest::Credentials;
use cockpit::config::{Automation, Config, Secret};
use cockpit::domain::{Candle, Interval, Side, Symbol};
use cockpit::engine::{Command, EngineChannels, Runner, Snapshot, run_engine};
use cockpit::indicators::IndicatorValues;
use cockpit::strategy::{Proposal, Reason, Strategy};
use fake_binance::{FakeBinance, FakeConfig, Fault, ForcedClose, Matcher, OrderLogEntry, Outcome};
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

const SPEED: f64 = 60.0;
const SYMBOL: &str = "BTCUSDT";

/// Proposes on every `every`-th closed 1m candle, alternating long and
/// short, with the stop and take-profit `width` (a fraction) away.
struct EveryNth {
    every: i64,
    width: f64,
}

impl Strategy for EveryNth {
    fn name(&self) -> &'static str {
        "every-nth"
    }
    fn on_closed(&mut self, symbol: &Symbol, c: &Candle, _: &IndicatorValues) -> Option<Proposal> {
        let minute = c.open_time_ms / 60_000;
        if minute % self.every != 0 {
            return None;
        }
        let side = if (minute / self.every) % 2 == 0 {
            Side::Buy
        } else {
            Side::Sell
        };
        let close = c.close.value();
        let k = Decimal::from(side.sign());
        let d = close * Decimal::from_f64(self.width).unwrap();
        Some(Proposal {
            symbol: symbol.clone(),
            side,
            candle_open_ms: c.open_time_ms,
            entry: close,
            stop: close - k * d,
            take_profit: close + k * d,
            atr: 1.0,
            strategy: "every-nth".into(),
            reasons: vec![Reason {
                check: "script".into(),
                passed: true,
                detail: format!("minute {minute}"),
            }],
        })
    }
}

/// Proposes as [`EveryNth`] does, with the widths given in turn; when they
/// run out it repeats the last one (`repeat`) or proposes nothing more.
/// A proposal refused (a position already open) uses its width all the same.
struct Script {
    every: i64,
    widths: std::collections::VecDeque<f64>,
    repeat: bool,
}

impl Script {
    fn new(every: i64, widths: &[f64], repeat: bool) -> Script {
        Script {
            every,
            widths: widths.iter().copied().collect(),
            repeat,
        }
    }
}

impl Strategy for Script {
    fn name(&self) -> &'static str {
        "script"
    }
    fn on_closed(&mut self, symbol: &Symbol, c: &Candle, v: &IndicatorValues) -> Option<Proposal> {
        if (c.open_time_ms / 60_000) % self.every != 0 {
            return None;
        }
        let width = match (self.widths.len(), self.repeat) {
            (0, _) => return None,
            (1, true) => self.widths[0],
            _ => self.widths.pop_front()?,
        };
        EveryNth {
            every: self.every,
            width,
        }
        .on_closed(symbol, c, v)
    }
}

struct Never;

impl Strategy for Never {
    fn name(&self) -> &'static str {
        "never"
    }
    fn on_closed(&mut self, _: &Symbol, _: &Candle, _: &IndicatorValues) -> Option<Proposal> {
        None
    }
}

struct Stack {
    commands: mpsc::Sender<Command>,
    snapshots: watch::Receiver<Arc<Snapshot>>,
    task: JoinHandle<Runner>,
    _link: Box<dyn std::any::Any + Send>,
}

impl Stack {
    async fn stop(self) -> Runner {
        let _ = self.commands.send(Command::Shutdown).await;
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("the engine stops within 10 s")
            .expect("the engine task does not panic")
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        Arc::clone(&self.snapshots.borrow())
    }
}

fn config(fake: &FakeBinance, dir: &Path) -> Config {
    let mut c = Config::default();
    c.market.symbols = vec![Symbol::new(SYMBOL).unwrap()];
    c.market.interval = Interval::M1;
    c.binance.rest_url = fake.rest_url();
    c.binance.ws_url = fake.ws_url();
    c.binance.recv_window_ms = 60_000;
    c.binance.warm_up_bars = 300;
    c.binance.late_candle_ms = 60_000;
    c.binance.reconnect_min_ms = 20;
    c.binance.reconnect_max_ms = 200;
    c.binance.stop_deadline_ms = 3_000;
    c.binance.request_timeout_ms = 1_500;
    c.engine.automation = Automation::Auto;
    c.engine.armed = true;
    // The fake's fees: a fill known only from a REST answer (no commission
    // in it) is booked at these rates, so the book's wallet can be
    // compared with the exchange's.
    c.paper.taker_fee = Decimal::new(4, 4);
    c.paper.maker_fee = Decimal::new(2, 4);
    c.risk.risk_per_trade = Decimal::new(1, 3);
    // Tight scripted trades lose to fees; the cooldown would stop the test.
    c.risk.cooldown_losses = 1_000;
    c.risk.daily_loss_limit = Decimal::new(5, 1);
    c.paths.journal = dir.join("journal.sqlite").display().to_string();
    c.paths.log_dir = dir.join("logs").display().to_string();
    c
}

fn credentials() -> Credentials {
    Credentials {
        key: Secret::new("fake-key"),
        secret: Secret::new("fake-secret"),
    }
}

async fn fake() -> FakeBinance {
    FakeBinance::start(FakeConfig {
        speed: SPEED,
        ..FakeConfig::default()
    })
    .await
}

async fn start(
    fake: &FakeBinance,
    dir: &Path,
    strategy: impl Fn() -> Box<dyn Strategy> + 'static,
) -> Stack {
    // COCKPIT_LOG=debug shows the whole conversation on stderr.
    cockpit::logging::init_stderr();
    let config = config(fake, dir);
    let journal = cockpit::session::open_journal(&config.paths.journal()).unwrap();
    let mut run = cockpit::session::binance::prepare(
        &config,
        Some(credentials()),
        fake.clock(),
        Some(journal),
        true,
        &algo_only(),
    )
    .await
    .expect("the session connects to the fake exchange");
    run.runner.engine.set_strategies(strategy);
    assert_eq!(
        run.runner.engine.mode(),
        cockpit::domain::Mode::Live,
        "--live starts in live mode"
    );
    let (commands, command_rx) = mpsc::channel(64);
    let (snapshot_tx, snapshots) = watch::channel(Arc::new(run.runner.engine.snapshot()));
    let clock = fake.clock();
    let task = tokio::spawn(run_engine(
        run.runner,
        run.feed,
        run.warm_up,
        EngineChannels {
            commands: command_rx,
            snapshots: snapshot_tx,
            notices: None,
        },
        move || clock(),
    ));
    Stack {
        commands,
        snapshots,
        task,
        _link: Box::new(run.link),
    }
}

/// Polls `done` every 20 ms until it holds or `limit` passes.
async fn wait_for(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn executed(e: &OrderLogEntry) -> bool {
    match &e.outcome {
        Outcome::Accepted => true,
        Outcome::Faulted(text) => text.contains("executed first"),
        _ => false,
    }
}

fn entries(log: &[OrderLogEntry]) -> Vec<&OrderLogEntry> {
    log.iter()
        .filter(|e| e.endpoint == "POST /fapi/v1/order" && e.client_id.ends_with("-e"))
        .collect()
}

fn never_cancelled_all(log: &[OrderLogEntry]) {
    for e in log {
        assert!(
            !e.endpoint.contains("allOpenOrders") && !e.endpoint.contains("algoOpenOrders"),
            "the bot cancels only its own orders, one by one: {e:?}"
        );
        let exchanges_own = ["TRIGGER", "LIQUIDATION", "ADL"].contains(&e.endpoint.as_str());
        if !e.client_id.is_empty() && !exchanges_own {
            assert!(
                e.client_id.starts_with("ck-"),
                "an order without the bot's prefix: {e:?}"
            );
        }
    }
}

/// Each decision's entry executed on the exchange exactly once.
fn assert_one_execution_per_entry(log: &[OrderLogEntry]) -> usize {
    let mut per_id: BTreeMap<&str, usize> = BTreeMap::new();
    for e in entries(log) {
        *per_id.entry(e.client_id.as_str()).or_default() += usize::from(executed(e));
    }
    for (id, n) in &per_id {
        assert!(*n <= 1, "entry {id} executed {n} times: {log:#?}");
    }
    per_id.values().filter(|n| **n == 1).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exactly_one_entry_per_decision_when_order_answers_are_lost() {
    let fake = fake().await;
    let dir = tempfile::tempdir().unwrap();
    let order = Matcher::request("POST", "/fapi/v1/order");
    fake.faults().next(order, Fault::ResponseLost, 1);
    fake.faults().next(order, Fault::Unknown503Executed, 1);
    fake.faults().next(order, Fault::Status5xx(502), 1);
    fake.faults()
        .next(order, Fault::Slow(Duration::from_secs(3)), 1);
    let stack = start(&fake, dir.path(), || {
        Box::new(EveryNth {
            every: 2,
            width: 0.0004,
        })
    })
    .await;
    wait_for(Duration::from_secs(60), "five executed entries", || {
        assert_one_execution_per_entry(&fake.order_log()) >= 5
    })
    .await;
    let log = fake.order_log();
    let faulted = entries(&log)
        .iter()
        .filter(|e| matches!(e.outcome, Outcome::Faulted(_)))
        .count();
    assert!(faulted >= 3, "the faults hit entries: {log:#?}");
    assert_one_execution_per_entry(&log);
    never_cancelled_all(&log);
    let mut runner = stack.stop().await;
    let unknown = runner
        .engine
        .snapshot()
        .open_orders
        .iter()
        .filter(|o| o.state == cockpit::domain::OrderState::Unknown)
        .count();
    assert_eq!(unknown, 0, "every unknown outcome was settled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_protective_stop_is_on_the_exchange_within_one_second_of_every_fill() {
    let fake = fake().await;
    let dir = tempfile::tempdir().unwrap();
    let stack = start(&fake, dir.path(), || {
        Box::new(EveryNth {
            every: 2,
            width: 0.0004,
        })
    })
    .await;
    wait_for(Duration::from_secs(60), "four executed entries", || {
        assert_one_execution_per_entry(&fake.order_log()) >= 4
    })
    .await;
    // The last entry's stop may still be on its way.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let log = fake.order_log();
    let mut checked = 0;
    for entry in entries(&log).into_iter().filter(|e| executed(e)) {
        let stop_id = format!("{}s", entry.client_id.trim_end_matches('e'));
        let stop = log
            .iter()
            .find(|e| {
                e.endpoint == "POST /fapi/v1/algoOrder"
                    && e.client_id == stop_id
                    && e.outcome == Outcome::Accepted
            })
            .unwrap_or_else(|| panic!("no stop {stop_id} for {entry:?}: {log:#?}"));
        assert_eq!(stop.order_type, "STOP_MARKET");
        assert!(stop.close_position, "the stop closes the whole position");
        let after = stop.wall.duration_since(entry.wall);
        assert!(
            after < Duration::from_secs(1),
            "{stop_id} placed {after:?} after its fill"
        );
        checked += 1;
    }
    assert!(checked >= 4);
    never_cancelled_all(&log);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flatten_and_halt_reaches_exactly_zero_within_two_seconds_with_half_the_requests_failing() {
    let fake = fake().await;
    let dir = tempfile::tempdir().unwrap();
    let stack = start(&fake, dir.path(), || {
        Box::new(EveryNth {
            every: 2,
            width: 0.05,
        })
    })
    .await;
    wait_for(
        Duration::from_secs(30),
        "an open position with its stop",
        || {
            !fake.position_amt(SYMBOL).is_zero()
                && fake
                    .open_algo_orders(SYMBOL)
                    .iter()
                    .any(|a| a.order_type == "STOP_MARKET")
        },
    )
    .await;
    fake.faults()
        .ratio(Matcher::ANY, Fault::Status5xx(503), 0.5, 7);
    let sent = Instant::now();
    stack.commands.send(Command::FlattenAndHalt).await.unwrap();
    wait_for(Duration::from_secs(2), "the position at zero", || {
        fake.position_amt(SYMBOL).is_zero()
    })
    .await;
    let took = sent.elapsed();
    fake.faults().clear();
    // Nothing reopens it: the engine is halted.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        fake.position_amt(SYMBOL),
        Decimal::ZERO,
        "flat {took:?} after the command, and stays flat"
    );
    let log = fake.order_log();
    let failed = fake
        .requests_seen()
        .iter()
        .filter(|r| r.status == 503)
        .count();
    assert!(failed > 0, "the faults were active");
    assert_one_execution_per_entry(&log);
    never_cancelled_all(&log);
    let mut runner = stack.stop().await;
    assert_eq!(
        runner.engine.snapshot().trading_state,
        cockpit::domain::TradingState::Halted
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_order_is_sent_during_a_418_ban() {
    let fake = fake().await;
    let dir = tempfile::tempdir().unwrap();
    let stack = start(&fake, dir.path(), || {
        Box::new(EveryNth {
            every: 2,
            width: 0.0004,
        })
    })
    .await;
    wait_for(Duration::from_secs(30), "a first entry", || {
        assert_one_execution_per_entry(&fake.order_log()) >= 1
    })
    .await;
    // The reconciliation after the user stream reconnects meets the ban.
    fake.faults().next(
        Matcher::request("GET", "/fapi/v3/account"),
        Fault::Ban { for_ms: 3_000 },
        1,
    );
    fake.faults().drop_streams();
    wait_for(Duration::from_secs(5), "the ban", || {
        fake.faults().is_banned()
    })
    .await;
    wait_for(Duration::from_secs(2), "the ban in the header", || {
        stack.snapshot().feed.banned_until_ms.is_some()
    })
    .await;
    wait_for(Duration::from_secs(6), "the end of the ban", || {
        !fake.faults().is_banned()
    })
    .await;
    let banned: Vec<_> = fake
        .order_log()
        .into_iter()
        .filter(|e| e.outcome == Outcome::Banned)
        .collect();
    assert!(banned.is_empty(), "orders sent during the ban: {banned:#?}");
    let refused = fake
        .requests_seen()
        .iter()
        .filter(|r| r.status == 418)
        .count();
    assert!(refused <= 2, "{refused} requests reached a banned exchange");
    // Trading resumes after the ban.
    let before = assert_one_execution_per_entry(&fake.order_log());
    wait_for(Duration::from_secs(30), "an entry after the ban", || {
        assert_one_execution_per_entry(&fake.order_log()) > before
    })
    .await;
    wait_for(Duration::from_secs(2), "the header clears the ban", || {
        stack.snapshot().feed.banned_until_ms.is_none()
    })
    .await;
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_closed_candle_is_missed_or_doubled_across_twenty_forced_reconnects() {
    let fake = fake().await;
    let dir = tempfile::tempdir().unwrap();
    let stack = start(&fake, dir.path(), || Box::new(Never)).await;
    let closed = |stack: &Stack| stack.snapshot().symbols[0].history.len();
    for i in 0..20 {
        let before = closed(&stack);
        wait_for(
            Duration::from_secs(10),
            &format!("a closed candle before drop {i}"),
            || closed(&stack) > before,
        )
        .await;
        fake.faults().drop_streams();
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let before = closed(&stack);
    wait_for(
        Duration::from_secs(10),
        "candles after the last reconnect",
        || closed(&stack) > before + 1,
    )
    .await;
    let snapshot = stack.snapshot();
    let opens: Vec<i64> = snapshot.symbols[0]
        .history
        .iter()
        .map(|p| p.bar.open_time_ms)
        .collect();
    for pair in opens.windows(2) {
        assert_eq!(
            pair[1] - pair[0],
            60_000,
            "a gap or a duplicate between {} and {}",
            pair[0],
            pair[1]
        );
    }
    let seen: BTreeSet<i64> = opens.iter().copied().collect();
    let last = *opens.last().unwrap();
    let sent: Vec<i64> = fake
        .closed_candles_sent(SYMBOL, "1m")
        .into_iter()
        .filter(|t| *t <= last)
        .collect();
    assert!(sent.len() >= 20, "the stream pushed closed candles");
    for t in sent {
        assert!(
            seen.contains(&t),
            "closed candle {t} sent by the exchange never reached the engine"
        );
    }
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_with_an_open_unprotected_position_protects_it_at_once() {
    let fake = fake().await;
    let dir = tempfile::tempdir().unwrap();
    fake.pause_market(true);
    let price = fake.mark_price(SYMBOL);
    fake.set_position(SYMBOL, Decimal::new(-5, 2), price);
    fake.pause_market(false);
    assert!(fake.open_algo_orders(SYMBOL).is_empty());
    let started = Instant::now();
    let stack = start(&fake, dir.path(), || Box::new(Never)).await;
    wait_for(Duration::from_secs(3), "a stop for the position", || {
        fake.open_algo_orders(SYMBOL)
            .iter()
            .any(|a| a.order_type == "STOP_MARKET" && a.close_position && a.side == "BUY")
    })
    .await;
    let stop = fake
        .open_algo_orders(SYMBOL)
        .into_iter()
        .find(|a| a.order_type == "STOP_MARKET")
        .unwrap();
    assert!(
        stop.trigger_price > price,
        "a short's stop is above the entry: {stop:?} vs {price}"
    );
    eprintln!("protected {:?} after start", started.elapsed());
    wait_for(
        Duration::from_secs(2),
        "the adopted position on screen",
        || stack.snapshot().symbols[0].position.is_some(),
    )
    .await;
    let snapshot = stack.snapshot();
    let position = snapshot.symbols[0].position.as_ref().unwrap();
    assert_eq!(position.position.qty.value(), Decimal::new(5, 2));
    never_cancelled_all(&fake.order_log());
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hedge_mode_is_refused_with_a_clear_message() {
    let fake = FakeBinance::start(FakeConfig {
        speed: SPEED,
        dual_side_position: true,
        ..FakeConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let config = config(&fake, dir.path());
    let err = cockpit::session::binance::prepare(
        &config,
        Some(credentials()),
        fake.clock(),
        None,
        true,
        &algo_only(),
    )
    .await
    .err()
    .expect("hedge mode is refused");
    let text = format!("{err:#}");
    assert!(
        text.contains("hedge mode") && text.contains("One-way"),
        "{text}"
    );
    assert!(fake.order_log().is_empty(), "no order before the refusal");
}

/// The engine's position on SYMBOL as a signed amount (zero when flat).
fn engine_position(stack: &Stack) -> Decimal {
    stack.snapshot().symbols[0]
        .position
        .as_ref()
        .map_or(Decimal::ZERO, |p| {
            p.position.qty.value() * Decimal::from(p.position.side.sign())
        })
}

fn has_stop(fake: &FakeBinance) -> bool {
    fake.open_algo_orders(SYMBOL)
        .iter()
        .any(|a| a.order_type == "STOP_MARKET")
}

/// Keeps the user stream down (no listenKey can be made) and cuts the
/// open streams; user events meanwhile are lost, as on Binance.
async fn cut_user_stream(fake: &FakeBinance) {
    fake.faults().ratio(
        Matcher::request("POST", "/fapi/v1/listenKey"),
        Fault::Status5xx(503),
        1.0,
        1,
    );
    fake.faults().drop_streams();
    wait_for(Duration::from_secs(5), "the user stream down", || {
        fake.open_streams().1 == 0
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicated_and_reordered_user_events_place_each_entry_once_and_book_each_fill_once() {
    let fake = fake().await;
    let dir = tempfile::tempdir().unwrap();
    fake.faults().duplicate_user_events(true);
    fake.faults().reorder_user_events(true);
    // Quick round trips through stops and take-profits (a proposal made
    // while one is open is refused), then one that stays open.
    let mut widths = vec![0.0004; 12];
    widths.push(0.05);
    let stack = start(&fake, dir.path(), move || {
        Box::new(Script::new(2, &widths, true))
    })
    .await;
    let wide_stop = || {
        let entry = fake.entry_price(SYMBOL);
        !entry.is_zero()
            && fake.open_algo_orders(SYMBOL).iter().any(|a| {
                a.order_type == "STOP_MARKET"
                    && (a.trigger_price - entry).abs() / entry > Decimal::new(1, 2)
            })
    };
    wait_for(
        Duration::from_secs(120),
        "quick trades, then a position left open with its stop",
        || assert_one_execution_per_entry(&fake.order_log()) >= 3 && wide_stop(),
    )
    .await;
    // Let the last events (held back by the reorder) arrive.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let log = fake.order_log();
    let mut sent: BTreeMap<&str, usize> = BTreeMap::new();
    for e in entries(&log) {
        *sent.entry(e.client_id.as_str()).or_default() += 1;
    }
    for (id, n) in &sent {
        assert_eq!(*n, 1, "entry {id} was sent {n} times: {log:#?}");
    }
    let stops: Vec<_> = fake
        .open_algo_orders(SYMBOL)
        .into_iter()
        .filter(|a| a.order_type == "STOP_MARKET")
        .collect();
    assert_eq!(stops.len(), 1, "one stop on the exchange: {stops:#?}");
    assert_eq!(
        engine_position(&stack),
        fake.position_amt(SYMBOL),
        "the book holds exactly the exchange's position"
    );
    let snapshot = stack.snapshot();
    let working_stops = snapshot
        .open_orders
        .iter()
        .filter(|o| o.request.leg == cockpit::domain::Leg::Stop)
        .count();
    assert_eq!(working_stops, 1, "{:#?}", snapshot.open_orders);
    // A fill counted twice would move the wallet by its fee and PnL again.
    let gap = (snapshot.account.wallet - fake.wallet()).abs();
    assert!(
        gap < Decimal::new(1, 2),
        "book wallet {} vs exchange {}",
        snapshot.account.wallet,
        fake.wallet()
    );
    assert!(snapshot.trades_closed >= 2, "the quick trades closed");
    never_cancelled_all(&log);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_or_take_profit_filled_while_the_user_stream_was_down_is_booked_as_a_trade() {
    let fake = fake().await;
    let dir = tempfile::tempdir().unwrap();
    let stack = start(&fake, dir.path(), || {
        Box::new(Script::new(2, &[0.0006], false))
    })
    .await;
    wait_for(
        Duration::from_secs(30),
        "a position with its stop and take-profit",
        || !fake.position_amt(SYMBOL).is_zero() && fake.open_algo_orders(SYMBOL).len() == 2,
    )
    .await;
    cut_user_stream(&fake).await;
    wait_for(
        Duration::from_secs(90),
        "the stop or the take-profit filled on the exchange",
        || fake.position_amt(SYMBOL).is_zero(),
    )
    .await;
    assert!(
        stack.snapshot().symbols[0].position.is_some(),
        "nothing told the engine during the gap"
    );
    fake.faults().clear();
    wait_for(
        Duration::from_secs(10),
        "the close booked as a trade after the reconnect",
        || {
            let s = stack.snapshot();
            s.trades_closed == 1 && s.symbols[0].position.is_none()
        },
    )
    .await;
    wait_for(
        Duration::from_secs(5),
        "the other protective order cancelled",
        || fake.open_algo_orders(SYMBOL).is_empty(),
    )
    .await;
    assert_wallets_agree(&stack, &fake);
    never_cancelled_all(&fake.order_log());
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn funding_and_a_liquidation_reach_the_book_as_they_happen() {
    let fake = fake().await;
    let dir = tempfile::tempdir().unwrap();
    let stack = start(&fake, dir.path(), || {
        Box::new(Script::new(2, &[0.05], false))
    })
    .await;
    wait_for(Duration::from_secs(30), "a position with its stop", || {
        !fake.position_amt(SYMBOL).is_zero() && has_stop(&fake)
    })
    .await;
    wait_for(Duration::from_secs(5), "the position in the book", || {
        engine_position(&stack) == fake.position_amt(SYMBOL)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = stack.snapshot().account.wallet;
    let change = fake.settle_funding(SYMBOL, Decimal::new(1, 4));
    assert!(!change.is_zero());
    wait_for(Duration::from_secs(5), "the funding in the wallet", || {
        stack.snapshot().account.wallet == before + change
    })
    .await;

    fake.force_close(SYMBOL, ForcedClose::Liquidation);
    wait_for(
        Duration::from_secs(5),
        "the liquidation closing the position in the book",
        || {
            let s = stack.snapshot();
            s.trades_closed == 1 && s.symbols[0].position.is_none()
        },
    )
    .await;
    wait_for(
        Duration::from_secs(5),
        "the liquidated position's stop and take-profit cancelled",
        || fake.open_algo_orders(SYMBOL).is_empty(),
    )
    .await;
    assert_wallets_agree(&stack, &fake);
    never_cancelled_all(&fake.order_log());
    stack.stop().await;
}

/// The book's wallet is the exchange's, to the cent.
fn assert_wallets_agree(stack: &Stack, fake: &FakeBinance) {
    let wallet = stack.snapshot().account.wallet;
    let gap = (wallet - fake.wallet()).abs();
    assert!(
        gap < Decimal::new(1, 2),
        "book wallet {wallet} vs exchange {}",
        fake.wallet()
    );
}

/// These scenarios script the strategy; no model may veto its proposals.
fn algo_only() -> cockpit::ai::setup::AiFlags {
    cockpit::ai::setup::AiFlags {
        model: Some(String::new()),
        onnxruntime: None,
    }
}
