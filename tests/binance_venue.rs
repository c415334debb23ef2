//! The live venue against the fake exchange on loopback, without the
//! engine: the REST client, the venue task and the user-data stream wired
//! as a session wires them (`session::binance::forward_user_stream`), with
//! the venue's reports read straight from its channel. Each test makes the
//! exchange misbehave in one precise way and checks what the venue reports
//! and what reached the exchange (the fake's own logs).

mod fake_binance;

use std::sync::Arc;
use std::time::{Duration, Instant};

use cockpit::binance::rest::{Credentials, RestClient, RestConfig};
use cockpit::binance::retry::RetryPolicy;
use cockpit::binance::stream::{UserStreamConfig, run_user_stream};
use cockpit::binance::venue::{self, BinanceVenue, VenueCommand, VenueConfig};
use cockpit::config::Secret;
use cockpit::domain::{ClientOrderId, Leg, OrderKind, OrderRequest, Price, Qty, Side, Symbol};
use cockpit::engine::Event;
use cockpit::exec::{AccountSnapshot, ExecReport};
use fake_binance::{FakeBinance, FakeConfig, Fault, ForcedClose, Matcher};
use rust_decimal::Decimal;
use tokio::sync::mpsc;

const BTC: &str = "BTCUSDT";
const ETH: &str = "ETHUSDT";

struct Venue {
    venue: BinanceVenue,
    reports: mpsc::Receiver<(i64, Event)>,
    /// Every report received so far, in order.
    seen: Vec<ExecReport>,
}

impl Venue {
    fn send(&self, command: VenueCommand) {
        self.venue.commands().send(command).unwrap();
    }

    /// Receives reports until one satisfies `want`; returns it.
    async fn until(
        &mut self,
        limit: Duration,
        what: &str,
        want: impl Fn(&ExecReport) -> bool,
    ) -> ExecReport {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let next = tokio::time::timeout_at(deadline, self.reports.recv()).await;
            let Ok(Some((_, event))) = next else {
                panic!(
                    "timed out after {limit:?} waiting for {what}; reports: {:#?}",
                    self.seen
                );
            };
            if let Event::Exec(report) = event {
                self.seen.push(report.clone());
                if want(&report) {
                    return report;
                }
            }
        }
    }

    /// Collects whatever arrives within `d`.
    async fn drain_for(&mut self, d: Duration) {
        let deadline = tokio::time::Instant::now() + d;
        while let Ok(Some((_, event))) =
            tokio::time::timeout_at(deadline, self.reports.recv()).await
        {
            if let Event::Exec(report) = event {
                self.seen.push(report);
            }
        }
    }

    async fn reconciled(&mut self, limit: Duration) -> AccountSnapshot {
        match self
            .until(limit, "a reconciliation", |r| {
                matches!(r, ExecReport::Reconciled(_))
            })
            .await
        {
            ExecReport::Reconciled(s) => *s,
            _ => unreachable!(),
        }
    }
}

fn symbols(names: &[&str]) -> Vec<Symbol> {
    names.iter().map(|s| Symbol::new(s).unwrap()).collect()
}

async fn fake(symbols: &[&str]) -> FakeBinance {
    FakeBinance::start(FakeConfig {
        speed: 60.0,
        symbols: symbols.iter().map(|s| s.to_string()).collect(),
        ..FakeConfig::default()
    })
    .await
}

/// The venue and the user stream on the fake, and the first
/// reconciliation (the stream's first connect) received.
async fn start(fake: &FakeBinance, traded: &[&str]) -> Venue {
    cockpit::logging::init_stderr();
    let rest = Arc::new(
        RestClient::new(
            RestConfig {
                recv_window_ms: 60_000,
                timeout: Duration::from_secs(5),
                ..RestConfig::new(fake.rest_url())
            },
            Some(Credentials {
                key: Secret::new("fake-key"),
                secret: Secret::new("fake-secret"),
            }),
            fake.clock(),
        )
        .unwrap(),
    );
    rest.sync_time().await.unwrap();
    let (tx, reports) = mpsc::channel(1024);
    let venue = venue::spawn(
        rest.clone(),
        VenueConfig {
            stop_deadline: Duration::from_secs(3),
            recv_window_ms: 60_000,
            symbols: symbols(traded),
            ..VenueConfig::default()
        },
        tx,
    );
    let (user_tx, user_rx) = mpsc::channel(1024);
    let reconnect = RetryPolicy {
        max_attempts: u32::MAX,
        base: Duration::from_millis(20),
        cap: Duration::from_millis(200),
    };
    tokio::spawn(run_user_stream(
        UserStreamConfig {
            reconnect,
            ..UserStreamConfig::new(fake.ws_url())
        },
        rest,
        user_tx,
    ));
    tokio::spawn(cockpit::session::binance::forward_user_stream(
        user_rx,
        venue.commands(),
    ));
    let mut v = Venue {
        venue,
        reports,
        seen: Vec::new(),
    };
    v.reconciled(Duration::from_secs(10)).await;
    v
}

/// Keeps the user stream down: no listenKey can be made, and the open
/// stream is cut. Events meanwhile are lost, as on Binance.
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

/// A quantity worth about 200 USDT at `price`, on the 0.001 step.
fn qty_for(price: Decimal) -> Decimal {
    (Decimal::from(200) / price)
        .round_dp(3)
        .max(Decimal::new(1, 3))
}

fn order(
    id: &str,
    symbol: &str,
    side: Side,
    kind: OrderKind,
    qty: Decimal,
    leg: Leg,
) -> OrderRequest {
    OrderRequest {
        id: ClientOrderId(id.into()),
        symbol: Symbol::new(symbol).unwrap(),
        side,
        kind,
        qty: Qty::new(qty).unwrap(),
        leg,
        decision_id: None,
    }
}

fn filled(r: &ExecReport, id: &str) -> bool {
    matches!(r, ExecReport::Filled(f) if f.order_id.as_str() == id)
}

fn held(s: &AccountSnapshot, symbol: &str) -> Decimal {
    s.positions
        .iter()
        .filter(|p| p.symbol.as_str() == symbol)
        .map(|p| p.qty.value() * Decimal::from(p.side.sign()))
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_read_before_a_fill_is_read_again_never_reported_stale() {
    let fake = fake(&[BTC]).await;
    let mut v = start(&fake, &[BTC]).await;
    let seen_risk = || {
        fake.requests_seen()
            .iter()
            .filter(|r| r.path == "/fapi/v3/positionRisk")
            .count()
    };
    let before = seen_risk();
    // The reconciliation's position read happens now, flat, and its answer
    // comes 1.5 s later.
    fake.faults().next(
        Matcher::request("GET", "/fapi/v3/positionRisk"),
        Fault::Slow(Duration::from_millis(1_500)),
        1,
    );
    v.send(VenueCommand::Reconcile);
    wait_for(Duration::from_secs(5), "the slow position read", || {
        seen_risk() > before
    })
    .await;
    // Meanwhile an entry fills.
    let qty = qty_for(fake.mark_price(BTC));
    let id = "ck-BTCUSDT-race1-e";
    v.send(VenueCommand::Submit(order(
        id,
        BTC,
        Side::Buy,
        OrderKind::Market,
        qty,
        Leg::Entry,
    )));
    v.until(Duration::from_secs(5), "the entry's fill", |r| {
        filled(r, id)
    })
    .await;
    let snapshot = v.reconciled(Duration::from_secs(10)).await;
    assert_eq!(
        held(&snapshot, BTC),
        qty,
        "the first snapshot after the fill holds it: {:#?}",
        v.seen
    );
    assert_eq!(fake.position_amt(BTC), qty);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_waits_for_an_order_in_flight_before_it_is_reported() {
    let fake = fake(&[BTC]).await;
    let mut v = start(&fake, &[BTC]).await;
    // Only the order's own answer can tell the fill.
    cut_user_stream(&fake).await;
    fake.faults().next(
        Matcher::request("POST", "/fapi/v1/order"),
        Fault::Slow(Duration::from_millis(2_000)),
        1,
    );
    let qty = qty_for(fake.mark_price(BTC));
    let id = "ck-BTCUSDT-race2-e";
    v.send(VenueCommand::Submit(order(
        id,
        BTC,
        Side::Buy,
        OrderKind::Market,
        qty,
        Leg::Entry,
    )));
    wait_for(Duration::from_secs(5), "the entry executed", || {
        fake.position_amt(BTC) == qty
    })
    .await;
    // The account already holds the position; its answer is on its way.
    v.send(VenueCommand::Reconcile);
    let snapshot = v.reconciled(Duration::from_secs(10)).await;
    assert!(
        v.seen.iter().any(|r| filled(r, id)),
        "the snapshot waited for the order's answer, and the fill was reported first: {:#?}",
        v.seen
    );
    assert_eq!(held(&snapshot, BTC), qty);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limit_entry_filled_while_the_user_stream_was_down_is_reported_at_reconnect() {
    let fake = fake(&[BTC]).await;
    let mut v = start(&fake, &[BTC]).await;
    cut_user_stream(&fake).await;
    // A resting buy a little under the market: a later bar reaches it.
    let mark = fake.mark_price(BTC);
    let price = (mark - Decimal::ONE).round_dp(1);
    let qty = qty_for(mark);
    let id = "ck-BTCUSDT-gap1-e";
    v.send(VenueCommand::Submit(order(
        id,
        BTC,
        Side::Buy,
        OrderKind::Limit {
            price: Price::new(price).unwrap(),
        },
        qty,
        Leg::Entry,
    )));
    v.until(
        Duration::from_secs(5),
        "the entry accepted",
        |r| matches!(r, ExecReport::Accepted { id: a, .. } if a.as_str() == id),
    )
    .await;
    wait_for(
        Duration::from_secs(60),
        "the limit filled on the exchange",
        || fake.position_amt(BTC) == qty,
    )
    .await;
    // Nothing told the venue; the stream comes back.
    v.drain_for(Duration::from_millis(300)).await;
    assert!(
        !v.seen.iter().any(|r| filled(r, id)),
        "no event during the gap"
    );
    fake.faults().clear();
    let snapshot = v.reconciled(Duration::from_secs(10)).await;
    let fill = v
        .seen
        .iter()
        .find_map(|r| match r {
            ExecReport::Filled(f) if f.order_id.as_str() == id => Some(f.clone()),
            _ => None,
        })
        .unwrap_or_else(|| {
            panic!(
                "the missed fill was reported before the snapshot: {:#?}",
                v.seen
            )
        });
    assert_eq!(fill.qty.value(), qty);
    assert_eq!(fill.price.value(), price);
    assert_eq!(held(&snapshot, BTC), qty);
    // And told once, though the stream may tell it again.
    v.drain_for(Duration::from_millis(500)).await;
    let fills = v.seen.iter().filter(|r| filled(r, id)).count();
    assert_eq!(fills, 1, "{:#?}", v.seen);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_rest_of_a_position_never_closes_the_new_one_that_followed() {
    let fake = fake(&[BTC]).await;
    let mark = fake.mark_price(BTC);
    let qty = qty_for(mark);
    fake.set_position(BTC, qty, mark);
    let mut v = start(&fake, &[BTC]).await;
    // The close executes at once; its answer comes 1.5 s later.
    fake.faults().next(
        Matcher::request("POST", "/fapi/v1/order"),
        Fault::Slow(Duration::from_millis(1_500)),
        1,
    );
    let exit = "ck-BTCUSDT-xrace1";
    v.send(VenueCommand::Submit(order(
        exit,
        BTC,
        Side::Sell,
        OrderKind::Market,
        qty,
        Leg::Exit,
    )));
    wait_for(Duration::from_secs(5), "the close executed", || {
        fake.position_amt(BTC).is_zero()
    })
    .await;
    // Flat: the engine opens a new long before the close's answer is back.
    let entry = "ck-BTCUSDT-after1-e";
    v.send(VenueCommand::Submit(order(
        entry,
        BTC,
        Side::Buy,
        OrderKind::Market,
        qty,
        Leg::Entry,
    )));
    v.until(Duration::from_secs(5), "the new entry's fill", |r| {
        filled(r, entry)
    })
    .await;
    if !v.seen.iter().any(|r| filled(r, exit)) {
        v.until(Duration::from_secs(5), "the close's fill", |r| {
            filled(r, exit)
        })
        .await;
    }
    // Time for the close's remainder loop to read the position.
    v.drain_for(Duration::from_millis(1_500)).await;
    assert_eq!(
        fake.position_amt(BTC),
        qty,
        "the new position is still open: {:#?}",
        fake.order_log()
    );
    let follow_ups: Vec<_> = fake
        .order_log()
        .into_iter()
        .filter(|e| e.client_id.starts_with(&format!("{exit}r")))
        .collect();
    assert!(follow_ups.is_empty(), "{follow_ups:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn funding_of_a_cross_position_is_booked_with_its_symbol() {
    let fake = fake(&[BTC, ETH]).await;
    let btc = qty_for(fake.mark_price(BTC));
    fake.set_position(BTC, btc, fake.mark_price(BTC));
    let mut v = start(&fake, &[BTC, ETH]).await;
    let income_reads = || {
        fake.requests_seen()
            .iter()
            .filter(|r| r.path == "/fapi/v1/income")
            .count()
    };
    // One position: the event's balance change is its fee.
    let change = fake.settle_funding(BTC, Decimal::new(1, 4));
    assert!(change < Decimal::ZERO, "a long pays a positive rate");
    let report = v
        .until(Duration::from_secs(5), "the BTC funding", |r| {
            matches!(r, ExecReport::Funding { .. })
        })
        .await;
    let ExecReport::Funding { symbol, amount, .. } = report else {
        unreachable!()
    };
    assert_eq!(symbol.as_str(), BTC);
    assert_eq!(amount, -change, "amount > 0 is paid");
    assert_eq!(income_reads(), 0, "one position needs no history");

    // Two cross positions: the event cannot say whose fee it is; the
    // income history does.
    let eth_mark = fake.mark_price(ETH);
    let eth = -(Decimal::from(200) / eth_mark).round_dp(3);
    fake.set_position(ETH, eth, eth_mark);
    v.send(VenueCommand::Reconcile);
    let snapshot = v.reconciled(Duration::from_secs(10)).await;
    assert_eq!(held(&snapshot, ETH), eth);
    let change = fake.settle_funding(ETH, Decimal::new(1, 4));
    assert!(change > Decimal::ZERO, "a short receives a positive rate");
    let report = v
        .until(
            Duration::from_secs(10),
            "the ETH funding",
            |r| matches!(r, ExecReport::Funding { symbol, .. } if symbol.as_str() == ETH),
        )
        .await;
    let ExecReport::Funding { amount, .. } = report else {
        unreachable!()
    };
    assert_eq!(amount, -change, "amount < 0 is received");
    assert!(
        income_reads() > 0,
        "the symbol came from the income history"
    );
    v.drain_for(Duration::from_millis(500)).await;
    let fundings = v
        .seen
        .iter()
        .filter(|r| matches!(r, ExecReport::Funding { .. }))
        .count();
    assert_eq!(fundings, 2, "each fee booked once: {:#?}", v.seen);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn funding_of_an_isolated_position_is_booked_from_its_position_row() {
    let fake = fake(&[BTC, ETH]).await;
    fake.set_isolated(ETH, true);
    fake.set_position(BTC, qty_for(fake.mark_price(BTC)), fake.mark_price(BTC));
    let eth = (Decimal::from(200) / fake.mark_price(ETH)).round_dp(3);
    fake.set_position(ETH, eth, fake.mark_price(ETH));
    let mut v = start(&fake, &[BTC, ETH]).await;
    let change = fake.settle_funding(ETH, Decimal::new(-2, 4));
    let report = v
        .until(Duration::from_secs(5), "the funding", |r| {
            matches!(r, ExecReport::Funding { .. })
        })
        .await;
    let ExecReport::Funding { symbol, amount, .. } = report else {
        unreachable!()
    };
    assert_eq!(symbol.as_str(), ETH);
    assert_eq!(amount, -change);
    assert!(amount < Decimal::ZERO, "a long receives a negative rate");
    let income_reads = fake
        .requests_seen()
        .iter()
        .filter(|r| r.path == "/fapi/v1/income")
        .count();
    assert_eq!(income_reads, 0, "the event named its position");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_liquidation_and_an_auto_deleveraging_are_reported_as_forced_closes() {
    let fake = fake(&[BTC, ETH]).await;
    let btc = qty_for(fake.mark_price(BTC));
    fake.set_position(BTC, btc, fake.mark_price(BTC));
    let eth = (Decimal::from(200) / fake.mark_price(ETH)).round_dp(3);
    fake.set_position(ETH, -eth, fake.mark_price(ETH));
    let mut v = start(&fake, &[BTC, ETH]).await;
    // Each event twice: booked once all the same.
    fake.faults().duplicate_user_events(true);

    fake.force_close(BTC, ForcedClose::Liquidation);
    let report = v
        .until(Duration::from_secs(5), "the liquidation", |r| {
            matches!(r, ExecReport::Liquidated(_))
        })
        .await;
    let ExecReport::Liquidated(fill) = report else {
        unreachable!()
    };
    assert!(fill.order_id.as_str().starts_with("autoclose-"), "{fill:?}");
    assert_eq!(fill.symbol.as_str(), BTC);
    assert_eq!(
        (fill.side, fill.qty.value(), fill.leg),
        (Side::Sell, btc, Leg::Exit)
    );
    assert!(fill.fee > Decimal::ZERO, "the event's commission: {fill:?}");

    fake.force_close(ETH, ForcedClose::AutoDeleverage);
    let report = v
        .until(
            Duration::from_secs(5),
            "the ADL",
            |r| matches!(r, ExecReport::Liquidated(f) if f.symbol.as_str() == ETH),
        )
        .await;
    let ExecReport::Liquidated(fill) = report else {
        unreachable!()
    };
    assert!(
        fill.order_id.as_str().starts_with("adl_autoclose"),
        "{fill:?}"
    );
    assert_eq!((fill.side, fill.qty.value()), (Side::Buy, eth));

    v.drain_for(Duration::from_millis(500)).await;
    let forced = v
        .seen
        .iter()
        .filter(|r| matches!(r, ExecReport::Liquidated(_)))
        .count();
    assert_eq!(forced, 2, "{:#?}", v.seen);
    assert!(fake.position_amt(BTC).is_zero() && fake.position_amt(ETH).is_zero());
}
