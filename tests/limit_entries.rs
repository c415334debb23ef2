//! `engine.entry_order = "limit"`: the entry rests at the signal close
//! improved by the offset, fills only when the market reaches it, is
//! protected like a market entry, and is cancelled when it waits too long.
//! The engine and the paper exchange through the runner, as in a session.

use std::str::FromStr;

use cockpit::config::{Automation, Config, EntryOrder};
use cockpit::domain::{Candle, Interval, Leg, Mode, OrderKind, Price, Qty, Side, Symbol};
use cockpit::engine::{Event, Runner};
use cockpit::exec::paper::{FundingSchedule, PaperExchange};
use cockpit::journal::DecisionStatus;
use rust_decimal::Decimal;

mod common;

const HOUR: i64 = 3_600_000;
/// 2024-01-01T00:00Z.
const T0: i64 = 1_704_067_200_000;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn btc() -> Symbol {
    Symbol::new("BTCUSDT").unwrap()
}

struct World {
    runner: Runner,
    n: i64,
}

fn world(timeout_bars: u32) -> World {
    let mut config = Config::default();
    config.market.interval = Interval::H1;
    config.engine.mode = Mode::Paper;
    config.engine.automation = Automation::Auto;
    config.engine.armed = true;
    config.engine.entry_order = EntryOrder::Limit;
    config.engine.limit_offset = d("0.001");
    config.engine.limit_timeout_bars = timeout_bars;
    config.paper.funding_rate = Decimal::ZERO;
    let engine = cockpit::engine::Engine::new(&config, "test", i64::MAX / 4)
        .unwrap()
        .with_strategies(|| Box::new(common::Scripted));
    let exchange = PaperExchange::new(&config.paper, FundingSchedule::constant(Decimal::ZERO));
    World {
        runner: Runner::new(engine, exchange, None),
        n: 0,
    }
}

impl World {
    /// A closed hourly candle: open = close, with this low and high.
    fn candle(&mut self, low: &str, close: &str, high: &str) {
        let p = |s: &str| Price::from_str(s).unwrap();
        let candle = Candle::new(
            T0 + self.n * HOUR,
            p(close),
            p(high),
            p(low),
            p(close),
            Qty::ZERO,
            true,
        )
        .unwrap();
        self.n += 1;
        self.runner.step(
            T0 + self.n * HOUR,
            Event::Candle {
                symbol: btc(),
                candle,
            },
        );
    }
}

#[test]
fn a_limit_entry_rests_at_the_improved_close_and_fills_only_when_reached() {
    let mut w = world(2);
    // The scripted strategy buys at a close of 1000: the limit rests at 999.
    w.candle("999.5", "1000", "1000.5");
    let snap = w.runner.engine.snapshot();
    let entry = snap
        .open_orders
        .iter()
        .find(|o| o.request.leg == Leg::Entry)
        .expect("the entry limit is working");
    assert_eq!(entry.request.side, Side::Buy);
    assert_eq!(
        entry.request.kind,
        OrderKind::Limit {
            price: Price::from_str("999").unwrap()
        }
    );

    // A candle that stays above 999 leaves it working.
    w.candle("999.5", "1001", "1002");
    let snap = w.runner.engine.snapshot();
    assert!(snap.symbols[0].position.is_none());
    assert!(snap.open_orders.iter().any(|o| o.request.leg == Leg::Entry));

    // One that trades through 999 fills it at 999, never better for us than the limit.
    w.candle("998", "1003", "1004");
    let snap = w.runner.engine.snapshot();
    let position = snap.symbols[0].position.as_ref().expect("the limit filled");
    assert_eq!(
        position.position.entry_price,
        Price::from_str("999").unwrap()
    );
    let legs: Vec<Leg> = snap.open_orders.iter().map(|o| o.request.leg).collect();
    assert!(legs.contains(&Leg::Stop), "{legs:?}");
    assert!(legs.contains(&Leg::TakeProfit), "{legs:?}");
    assert!(!legs.contains(&Leg::Entry), "{legs:?}");
    // Filled at its limit, the strategy's levels stand (scripted: close −15 / +30).
    assert_eq!(position.stop, Price::from_str("985").unwrap());
    assert_eq!(position.take_profit, Price::from_str("1030").unwrap());
}

#[test]
fn an_unfilled_limit_entry_is_cancelled_after_its_timeout_and_its_decision_expires() {
    let mut w = world(1);
    w.candle("999.5", "1000", "1000.5");
    assert!(
        w.runner
            .engine
            .snapshot()
            .open_orders
            .iter()
            .any(|o| o.request.leg == Leg::Entry)
    );
    // The next candle never reaches 999: at its close the limit is cancelled.
    w.candle("999.5", "1001", "1002");
    let snap = w.runner.engine.snapshot();
    assert!(snap.open_orders.is_empty(), "{:?}", snap.open_orders);
    assert!(snap.symbols[0].position.is_none());
    let decision = snap
        .decisions
        .iter()
        .find(|r| r.proposal.side == Side::Buy)
        .expect("the decision is kept");
    assert_eq!(decision.status, DecisionStatus::Expired);

    // Later prices at the old limit fill nothing.
    w.candle("990", "995", "1001");
    let snap = w.runner.engine.snapshot();
    assert!(snap.symbols[0].position.is_none());
    assert!(w.runner.engine.trades().is_empty());
}
