//! Scenario tests of the engine core: events go in one by one, actions come
//! out, and the test plays the exchange by answering with reports.

use std::str::FromStr;

use cockpit::config::{Automation, Config};
use cockpit::domain::{
    Candle, ClientOrderId, Fill, Interval, Leg, Liquidity, Mode, OrderKind, OrderRequest,
    OrderState, Price, Qty, Side, Symbol, TradingState,
};
use cockpit::engine::{Action, Command, Engine, Event};
use cockpit::exec::ExecReport;
use cockpit::journal::{DecisionStatus, Record};
use cockpit::risk::Refusal;
use rust_decimal::Decimal;

mod common;
use common::{Scripted, submitted};

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
    engine: Engine,
    /// Index of the next hourly candle.
    n: i64,
}

fn world(automation: Automation, armed: bool) -> World {
    let mut config = Config::default();
    config.market.interval = Interval::H1;
    config.engine.mode = Mode::Paper;
    config.engine.automation = automation;
    config.engine.armed = armed;
    let engine = Engine::new(&config, "test", i64::MAX / 4)
        .unwrap()
        .with_strategies(|| Box::new(Scripted));
    World { engine, n: 0 }
}

impl World {
    fn now(&self) -> i64 {
        T0 + self.n * HOUR
    }

    /// A closed hourly candle with this close (and a 1-point range around it).
    fn candle(&mut self, close: &str) -> Vec<Action> {
        let c: Price = close.parse().unwrap();
        let candle = Candle::new(self.now(), c, c, c, c, Qty::ZERO, true).unwrap();
        self.n += 1;
        let at = self.now();
        self.engine.process(
            at,
            Event::Candle {
                symbol: btc(),
                candle,
            },
        )
    }

    fn command(&mut self, c: Command) -> Vec<Action> {
        let at = self.now();
        self.engine.process(at, Event::Command(c))
    }

    fn report(&mut self, r: ExecReport) -> Vec<Action> {
        let at = self.now();
        self.engine.process(at, Event::Exec(r))
    }

    fn fill(&mut self, order: &OrderRequest, price: &str) -> Vec<Action> {
        let price: Price = price.parse().unwrap();
        let fee = price.value() * order.qty.value() * d("0.0005");
        let at = self.now();
        self.report(ExecReport::Filled(Fill {
            order_id: order.id.clone(),
            symbol: order.symbol.clone(),
            side: order.side,
            leg: order.leg,
            qty: order.qty,
            price,
            fee,
            liquidity: Liquidity::Taker,
            at_ms: at,
        }))
    }

    /// Opens a long at 1000 and returns (entry, stop, take-profit) orders.
    fn open_long(&mut self) -> (OrderRequest, OrderRequest, OrderRequest) {
        let actions = self.candle("1000");
        let entry = submitted(&actions).remove(0);
        self.report(ExecReport::Accepted {
            id: entry.id.clone(),
            at_ms: self.now(),
        });
        let actions = self.fill(&entry, "1000.2");
        let protective = submitted(&actions);
        assert_eq!(protective.len(), 2, "{actions:#?}");
        for o in &protective {
            self.report(ExecReport::Accepted {
                id: o.id.clone(),
                at_ms: self.now(),
            });
        }
        (entry, protective[0].clone(), protective[1].clone())
    }
}

fn cancelled(actions: &[Action]) -> Vec<ClientOrderId> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Cancel(id) => Some(id.clone()),
            _ => None,
        })
        .collect()
}

fn decisions(actions: &[Action]) -> Vec<cockpit::journal::DecisionRecord> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Journal(Record::Decision(d)) => Some((**d).clone()),
            _ => None,
        })
        .collect()
}

fn refusal(actions: &[Action]) -> Option<Refusal> {
    decisions(actions).into_iter().find_map(|d| match d.risk {
        Some(cockpit::journal::RiskOutcome::Refused { refusal, .. }) => Some(refusal),
        _ => None,
    })
}

fn trades(actions: &[Action]) -> Vec<cockpit::journal::TradeRecord> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Journal(Record::Trade(t)) => Some((**t).clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_proposal_is_sized_exactly_per_the_formula() {
    let mut w = world(Automation::Auto, true);
    w.candle("990");
    let actions = w.candle("1000");
    let orders = submitted(&actions);
    assert_eq!(orders.len(), 1, "{actions:#?}");
    let entry = &orders[0];
    // Expected fill 1000 × (1 + 0.0002 slippage) = 1000.2; stop 985 → 15.2 per BTC;
    // 1% of 10 000 = 100 USDT → 6.5789… BTC, rounded down to the 0.001 step.
    assert_eq!(entry.qty, Qty::from_str("6.578").unwrap());
    assert_eq!(entry.side, Side::Buy);
    assert_eq!(entry.kind, OrderKind::Market);
    assert_eq!(entry.leg, Leg::Entry);
    assert!(entry.id.as_str().starts_with("ck-BTCUSDT-") && entry.id.as_str().ends_with("-e"));
    assert!(entry.id.as_str().len() <= 36);
    let d = &decisions(&actions)[0];
    assert_eq!(d.status, DecisionStatus::Sent);
    assert_eq!(d.confirmation.reason, "AI: off");
    assert_eq!(d.id, format!("BTCUSDT-{}", T0 + HOUR));
}

#[test]
fn a_stop_hit_closes_the_position_and_cancels_the_take_profit() {
    let mut w = world(Automation::Auto, true);
    let (entry, stop, tp) = w.open_long();
    assert_eq!(stop.leg, Leg::Stop);
    // The levels keep their distances from the actual fill (1000.2), not the close.
    assert_eq!(
        stop.kind,
        OrderKind::StopMarket {
            trigger: "985.2".parse().unwrap()
        }
    );
    assert_eq!(stop.side, Side::Sell);
    assert_eq!(stop.qty, entry.qty);
    assert_eq!(
        tp.kind,
        OrderKind::TakeProfitMarket {
            trigger: "1030.2".parse().unwrap()
        }
    );
    let snap = w.engine.snapshot();
    let pos = snap.symbols[0].position.as_ref().unwrap();
    assert!(pos.stop_confirmed && pos.take_profit_confirmed);

    let actions = w.fill(&stop, "985");
    let t = trades(&actions);
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].exit_reason, "stop");
    // (985 − 1000.2) × 6.578 − fees on both legs.
    let gross = (d("985") - d("1000.2")) * d("6.578");
    let fees = d("1000.2") * d("6.578") * d("0.0005") + d("985") * d("6.578") * d("0.0005");
    assert_eq!(t[0].pnl, gross - fees);
    assert!(t[0].risk_fraction <= d("0.01"), "{}", t[0].risk_fraction);
    assert_eq!(cancelled(&actions), vec![tp.id.clone()]);
    assert!(w.engine.snapshot().symbols[0].position.is_none());
    assert_eq!(w.engine.equity(), d("10000") + gross - fees);
}

#[test]
fn a_take_profit_hit_closes_the_position_in_profit() {
    let mut w = world(Automation::Auto, true);
    let (_, stop, tp) = w.open_long();
    let actions = w.fill(&tp, "1030");
    let t = trades(&actions);
    assert_eq!(t[0].exit_reason, "take_profit");
    assert!(t[0].pnl > Decimal::ZERO);
    assert_eq!(cancelled(&actions), vec![stop.id]);
}

#[test]
fn the_breaker_trips_flattens_and_halts() {
    let mut w = world(Automation::Auto, true);
    w.candle("990");
    w.open_long();
    // 6.578 BTC falling 50 points = −329 USDT = −3.3% of 10 000.
    let at = w.now();
    let actions = w.engine.process(
        at,
        Event::Price {
            symbol: btc(),
            price: "950".parse().unwrap(),
        },
    );
    let exits = submitted(&actions);
    assert_eq!(exits.len(), 1, "{actions:#?}");
    assert_eq!(exits[0].leg, Leg::Exit);
    assert_eq!(exits[0].side, Side::Sell);
    assert_eq!(w.engine.snapshot().trading_state, TradingState::Halted);
    let exit = exits[0].clone();
    let t = trades(&w.fill(&exit, "950"));
    assert_eq!(t[0].exit_reason, "breaker");
    // Halted: a new proposal is refused.
    let actions = w.candle("1000");
    assert!(submitted(&actions).is_empty());
    assert_eq!(
        refusal(&actions),
        Some(Refusal::TradingState(TradingState::Halted))
    );
    // The next UTC day releases it.
    while w.now() < T0 + 24 * HOUR {
        w.candle("999");
    }
    assert_eq!(w.engine.snapshot().trading_state, TradingState::Active);
}

#[test]
fn the_cooldown_blocks_entries_after_three_losses() {
    let mut w = world(Automation::Auto, true);
    for _ in 0..3 {
        let (_, stop, _) = w.open_long();
        w.fill(&stop, "999");
        w.candle("999");
    }
    let actions = w.candle("1000");
    assert!(submitted(&actions).is_empty());
    assert!(
        matches!(refusal(&actions), Some(Refusal::Cooldown { .. })),
        "{actions:#?}"
    );
    // Four hours later entries are allowed again.
    for _ in 0..4 {
        w.candle("999");
    }
    assert_eq!(submitted(&w.candle("1000")).len(), 1);
}

#[test]
fn reducing_refuses_an_entry_but_keeps_the_stop() {
    let mut w = world(Automation::Auto, true);
    let (_, stop, _) = w.open_long();
    w.command(Command::ReduceOnly);
    w.fill(&stop, "985");
    let actions = w.candle("1000");
    assert_eq!(
        refusal(&actions),
        Some(Refusal::TradingState(TradingState::Reducing))
    );
}

#[test]
fn flatten_and_halt_closes_positions_and_refuses_everything_but_closes() {
    let mut w = world(Automation::Auto, true);
    let (_, _, _) = w.open_long();
    let actions = w.command(Command::FlattenAndHalt);
    let exits = submitted(&actions);
    assert_eq!(exits.len(), 1);
    assert_eq!(exits[0].leg, Leg::Exit);
    assert!(actions.iter().any(|a| matches!(a, Action::Journal(Record::Command(c)) if c.command == "flatten and halt" && c.accepted)));
    let t = trades(&w.fill(&exits[0].clone(), "1001"));
    assert_eq!(t[0].exit_reason, "flatten");
    let actions = w.candle("1000");
    assert_eq!(
        refusal(&actions),
        Some(Refusal::TradingState(TradingState::Halted))
    );
    w.command(Command::Resume);
    assert_eq!(submitted(&w.candle("1000")).len(), 1);
}

#[test]
fn semi_auto_queues_and_expiry_rejects() {
    let mut w = world(Automation::Semi, true);
    let actions = w.candle("1000");
    assert!(submitted(&actions).is_empty());
    let d = decisions(&actions);
    assert_eq!(d[0].status, DecisionStatus::Queued);
    assert_eq!(w.engine.snapshot().approvals.len(), 1);
    let at = w.now() + 59_000;
    assert!(submitted(&w.engine.process(at, Event::Timer)).is_empty());
    assert_eq!(w.engine.snapshot().approvals.len(), 1);
    let actions = w.engine.process(w.now() + 60_000, Event::Timer);
    assert_eq!(decisions(&actions)[0].status, DecisionStatus::Expired);
    assert!(w.engine.snapshot().approvals.is_empty());
    // Approving it now is refused.
    let id = d[0].id.clone();
    let actions = w.command(Command::Approve(id));
    assert!(submitted(&actions).is_empty());
}

#[test]
fn semi_auto_approval_sends_the_entry_and_rejection_drops_it() {
    let mut w = world(Automation::Semi, true);
    let d = decisions(&w.candle("1000"));
    let actions = w.command(Command::Approve(d[0].id.clone()));
    assert_eq!(submitted(&actions).len(), 1);
    assert_eq!(decisions(&actions)[0].status, DecisionStatus::Sent);

    let mut w = world(Automation::Semi, true);
    let d = decisions(&w.candle("2000"));
    assert_eq!(d[0].status, DecisionStatus::Queued);
    let actions = w.command(Command::Reject(d[0].id.clone()));
    assert!(submitted(&actions).is_empty());
    assert_eq!(decisions(&actions)[0].status, DecisionStatus::Rejected);
    assert!(w.engine.snapshot().approvals.is_empty());
}

#[test]
fn disarmed_blocks_entries_but_manages_exits() {
    let mut w = world(Automation::Auto, true);
    let (_, stop, _) = w.open_long();
    w.command(Command::Disarm);
    let actions = w.candle("1000");
    assert_eq!(refusal(&actions), Some(Refusal::Disarmed));
    let t = trades(&w.fill(&stop, "985"));
    assert_eq!(t.len(), 1, "the stop still closes the position");
}

#[test]
fn shadow_records_and_sends_nothing() {
    let mut w = world(Automation::Auto, true);
    w.command(Command::SetMode(Mode::Shadow));
    let actions = w.candle("1000");
    assert!(submitted(&actions).is_empty());
    assert_eq!(decisions(&actions)[0].status, DecisionStatus::Recorded);
}

#[test]
fn live_is_refused_without_a_live_venue() {
    let mut w = world(Automation::Auto, true);
    let actions = w.command(Command::SetMode(Mode::Live));
    assert_eq!(w.engine.snapshot().mode, Mode::Paper);
    assert!(actions.iter().any(|a| matches!(a, Action::Journal(Record::Command(c)) if !c.accepted && c.result.contains("--live"))));
}

#[test]
fn paper_and_live_do_not_switch_while_something_is_open() {
    let mut w = world(Automation::Auto, true);
    w.engine.set_live_available(true);
    let entry = submitted(&w.candle("1000")).remove(0);
    assert_eq!(entry.leg, cockpit::domain::Leg::Entry);
    let actions = w.command(Command::SetMode(Mode::Live));
    assert_eq!(
        w.engine.snapshot().mode,
        Mode::Paper,
        "an entry is in flight"
    );
    assert!(actions.iter().any(|a| matches!(a, Action::Journal(Record::Command(c)) if !c.accepted && c.result.contains("flatten"))));
    // Shadow is not a book of its own: paper → shadow stays allowed.
    w.command(Command::SetMode(Mode::Shadow));
    assert_eq!(w.engine.snapshot().mode, Mode::Shadow);
}

#[test]
fn live_mode_with_a_venue_sends_entries() {
    let mut w = world(Automation::Auto, true);
    w.engine.set_live_available(true);
    w.command(Command::SetMode(Mode::Live));
    assert_eq!(w.engine.snapshot().mode, Mode::Live);
    let sent = submitted(&w.candle("1000"));
    assert_eq!(sent.len(), 1, "the decision goes to the venue");
}

/// A world whose book was journaled with a long open, in `mode`, restored
/// into a run with the live venue attached.
fn restored_with_a_long(mode: Mode) -> World {
    let mut w = world(Automation::Auto, true);
    if mode == Mode::Live {
        w.engine.set_live_available(true);
        w.command(Command::SetMode(Mode::Live));
    }
    w.open_long();
    let json = serde_json::to_string(&w.engine.state()).unwrap();
    let mut fresh = world(Automation::Auto, false);
    fresh.engine.restore(serde_json::from_str(&json).unwrap());
    fresh.engine.set_live_available(true);
    fresh
}

#[test]
fn a_restored_live_book_with_a_position_resumes_in_live_even_unasked() {
    let mut w = restored_with_a_long(Mode::Live);
    let said = w.engine.resume_live(false).unwrap();
    assert!(said.unwrap().contains("1 position(s)"));
    let snap = w.engine.snapshot();
    assert_eq!(snap.mode, Mode::Live, "real positions are managed live");
    assert!(!snap.armed, "a restart never arms");
}

#[test]
fn live_is_refused_at_start_over_a_paper_book_with_a_position() {
    let mut w = restored_with_a_long(Mode::Paper);
    let e = w.engine.resume_live(true).unwrap_err();
    assert!(e.contains("flatten"), "{e}");
    assert_eq!(w.engine.snapshot().mode, Mode::Paper);
    // Unasked, the paper book simply stays in paper.
    assert_eq!(w.engine.resume_live(false), Ok(None));
}

#[test]
fn live_at_start_over_an_empty_book_is_entered_when_asked() {
    let mut w = world(Automation::Auto, false);
    w.engine.set_live_available(true);
    assert_eq!(w.engine.resume_live(false), Ok(None));
    assert_eq!(w.engine.snapshot().mode, Mode::Paper);
    assert!(w.engine.resume_live(true).unwrap().is_some());
    assert_eq!(w.engine.snapshot().mode, Mode::Live);
}

#[test]
fn a_rejected_stop_closes_the_position() {
    let mut w = world(Automation::Auto, true);
    let actions = w.candle("1000");
    let entry = submitted(&actions).remove(0);
    let actions = w.fill(&entry, "1000.2");
    let stop = submitted(&actions).remove(0);
    let actions = w.report(ExecReport::Rejected {
        id: stop.id,
        reason: "test".into(),
        at_ms: 0,
    });
    let exits = submitted(&actions);
    assert_eq!(exits.len(), 1);
    assert_eq!(exits[0].leg, Leg::Exit);
}

#[test]
fn restore_brings_back_positions_and_risk_state() {
    let mut w = world(Automation::Auto, true);
    w.open_long();
    w.command(Command::PauseEntries);
    let state = w.engine.state();
    let json = serde_json::to_string(&state).unwrap();
    let mut fresh = world(Automation::Auto, true);
    fresh.engine.restore(serde_json::from_str(&json).unwrap());
    assert_eq!(fresh.engine.state(), state);
    let snap = fresh.engine.snapshot();
    assert!(snap.risk.entries_paused);
    assert!(snap.symbols[0].position.is_some());
}

#[test]
fn an_approval_after_its_deadline_is_refused_even_before_the_timer() {
    let mut w = world(Automation::Semi, true);
    let d = decisions(&w.candle("1000"));
    w.n += 1; // an hour later, no timer in between
    let actions = w.command(Command::Approve(d[0].id.clone()));
    assert!(submitted(&actions).is_empty(), "{actions:#?}");
    assert!(
        decisions(&actions)
            .iter()
            .any(|r| r.status == DecisionStatus::Expired)
    );
}

#[test]
fn an_entry_filled_in_two_parts_is_one_position_protected_in_full() {
    let mut w = world(Automation::Auto, true);
    let entry = submitted(&w.candle("1000")).remove(0);
    let half = Qty::from_str("3.289").unwrap();
    let part = OrderRequest {
        qty: half,
        ..entry.clone()
    };
    let actions = w.fill(&part, "1000.2");
    let protective = submitted(&actions);
    assert_eq!(protective.len(), 2);
    assert!(
        protective.iter().all(|o| o.qty == entry.qty),
        "protect the whole order"
    );
    let actions = w.fill(&part, "1000.4");
    assert!(submitted(&actions).is_empty(), "no second set of stops");
    let snap = w.engine.snapshot();
    let pos = &snap.symbols[0].position.as_ref().unwrap().position;
    assert_eq!(pos.qty, entry.qty);
    assert_eq!(pos.entry_price, "1000.3".parse().unwrap());
    let t = trades(&w.fill(&protective[0], "985.2"));
    assert_eq!(t[0].qty, entry.qty);
}

#[test]
fn warming_up_with_a_restored_position_moves_neither_marks_nor_the_breaker() {
    let mut w = world(Automation::Auto, true);
    w.open_long();
    let state = w.engine.state();
    let mut fresh = world(Automation::Auto, true);
    fresh.engine.restore(state);
    fresh.engine.set_warming(true);
    // Years-old history far below the entry: a real mark would trip the breaker.
    let mut actions = Vec::new();
    for i in 0..5 {
        let c: Price = "500".parse().unwrap();
        let candle = Candle::new(T0 - (10 - i) * HOUR, c, c, c, c, Qty::ZERO, true).unwrap();
        actions.extend(fresh.engine.process(
            T0 - (9 - i) * HOUR,
            Event::Candle {
                symbol: btc(),
                candle,
            },
        ));
    }
    fresh.engine.set_warming(false);
    assert!(submitted(&actions).is_empty(), "{actions:#?}");
    assert_eq!(fresh.engine.snapshot().trading_state, TradingState::Active);
    assert_eq!(
        fresh.engine.snapshot().symbols[0]
            .position
            .as_ref()
            .unwrap()
            .mark,
        "1000".parse().unwrap()
    );
}

#[test]
fn an_operator_halt_survives_the_next_utc_day() {
    let mut w = world(Automation::Auto, true);
    w.candle("999");
    w.command(Command::FlattenAndHalt);
    while w.now() < T0 + 26 * HOUR {
        w.candle("999");
    }
    assert_eq!(w.engine.snapshot().trading_state, TradingState::Halted);
}

#[test]
fn a_late_acceptance_never_moves_an_order_back_from_a_partial_fill_or_a_cancel() {
    let mut w = world(Automation::Auto, true);
    let actions = w.candle("1000");
    let entry = submitted(&actions).remove(0);
    let half = OrderRequest {
        qty: Qty::new(entry.qty.value() / d("2")).unwrap(),
        ..entry.clone()
    };
    w.fill(&half, "1000.2");
    // Events reordered, or the REST answer after the stream.
    w.report(ExecReport::Accepted {
        id: entry.id.clone(),
        at_ms: w.now(),
    });
    let state = |w: &mut World| {
        w.engine
            .snapshot()
            .open_orders
            .iter()
            .find(|o| o.request.id == entry.id)
            .map(|o| o.state.clone())
    };
    assert!(
        matches!(state(&mut w), Some(OrderState::PartiallyFilled { .. })),
        "the partial fill stands"
    );
    w.command(Command::FlattenAndHalt);
    assert_eq!(state(&mut w), Some(OrderState::PendingCancel));
    w.report(ExecReport::Accepted {
        id: entry.id.clone(),
        at_ms: w.now(),
    });
    assert_eq!(state(&mut w), Some(OrderState::PendingCancel));
}

#[test]
fn a_liquidation_or_an_auto_deleveraging_closes_the_position_with_its_reason() {
    for (id, reason) in [
        ("autoclose-1234567890", "liquidation"),
        ("adl_autoclose", "adl"),
    ] {
        let mut w = world(Automation::Auto, true);
        let (entry, stop, tp) = w.open_long();
        let at = w.now();
        let actions = w.report(ExecReport::Liquidated(Fill {
            order_id: ClientOrderId(id.into()),
            symbol: btc(),
            side: Side::Sell,
            leg: Leg::Exit,
            qty: entry.qty,
            price: "940".parse().unwrap(),
            fee: d("1"),
            liquidity: Liquidity::Taker,
            at_ms: at,
        }));
        let t = trades(&actions);
        assert_eq!(t.len(), 1, "{id}");
        assert_eq!(t[0].exit_reason, reason);
        let mut gone = cancelled(&actions);
        gone.sort();
        let mut expected = vec![stop.id.clone(), tp.id.clone()];
        expected.sort();
        assert_eq!(
            gone, expected,
            "{id}: its stop and take-profit are cancelled"
        );
        assert!(w.engine.snapshot().symbols[0].position.is_none());
    }
}
