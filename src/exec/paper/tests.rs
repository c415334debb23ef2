//! Unit tests of the paper exchange's finer rules; the main scenarios are in
//! tests/paper_exchange.rs.

use super::*;
use crate::domain::TradingState;
use crate::risk::{GatewayContext, check};

const H: i64 = 3_600_000;
/// 2023-11-15 00:00 UTC, a funding time.
const T0: i64 = 1_700_006_400_000;

fn p(s: &str) -> Price {
    s.parse().unwrap()
}
fn q(s: &str) -> Qty {
    s.parse().unwrap()
}
fn dec(s: &str) -> Decimal {
    Decimal::from_str_exact(s).unwrap()
}
fn btc() -> Symbol {
    Symbol::new("BTCUSDT").unwrap()
}
fn id(s: &str) -> ClientOrderId {
    ClientOrderId(s.to_string())
}

fn candle(t: i64, o: &str, h: &str, l: &str, c: &str, closed: bool) -> Candle {
    Candle::new(t, p(o), p(h), p(l), p(c), q("1"), closed).unwrap()
}

fn order(oid: &str, side: Side, kind: OrderKind, qty: &str, leg: Leg) -> OrderRequest {
    OrderRequest {
        id: id(oid),
        symbol: btc(),
        side,
        kind,
        qty: q(qty),
        leg,
        decision_id: None,
    }
}

/// Through the real gateway, with a context that lets the order pass (for a
/// reducing order the engine believes a position is open).
fn submit(ex: &mut PaperExchange, at: i64, req: OrderRequest) -> Vec<ExecReport> {
    let position_side = req.leg.is_reducing().then(|| req.side.opposite());
    let ctx = GatewayContext {
        now_ms: at,
        trading_state: TradingState::Active,
        armed: true,
        entries_paused: false,
        cooldown_until_ms: None,
        open_positions: 0,
        max_open_positions: 10,
        position_side,
    };
    let approved = check(&ctx, req).unwrap();
    ex.submit(at, &approved)
}

fn exchange() -> PaperExchange {
    PaperExchange::new(
        &PaperConfig::default(),
        FundingSchedule::constant(Decimal::ZERO),
    )
}

fn fills(reports: &[ExecReport]) -> Vec<(String, Price, Qty)> {
    reports
        .iter()
        .filter_map(|r| match r {
            ExecReport::Filled(f) | ExecReport::Liquidated(f) => {
                Some((f.order_id.0.clone(), f.price, f.qty))
            }
            _ => None,
        })
        .collect()
}

/// A long of 0.01 BTC entered at the open of the candle at T0+H (60000 → 60012 slipped).
fn long_entered(ex: &mut PaperExchange) {
    ex.on_candle(
        T0,
        &btc(),
        &candle(T0, "60000", "60100", "59900", "60000", true),
    );
    submit(
        ex,
        T0 + H,
        order("e1", Side::Buy, OrderKind::Market, "0.01", Leg::Entry),
    );
    let r = ex.on_candle(
        T0 + H,
        &btc(),
        &candle(T0 + H, "60000", "60000", "60000", "60000", false),
    );
    assert_eq!(fills(&r), vec![("e1".into(), p("60012"), q("0.01"))]);
}

#[test]
fn a_market_order_during_a_forming_candle_fills_at_the_next_close() {
    let mut ex = exchange();
    ex.on_candle(
        T0,
        &btc(),
        &candle(T0, "60000", "60100", "59900", "60050", false),
    );
    submit(
        &mut ex,
        T0 + 1,
        order("e1", Side::Sell, OrderKind::Market, "0.01", Leg::Entry),
    );
    let r = ex.on_candle(
        T0 + 2,
        &btc(),
        &candle(T0, "60000", "60100", "59900", "60020", false),
    );
    // 60020 × 0.9998 = 60007.996, a sell rounds down to the tick.
    assert_eq!(fills(&r), vec![("e1".into(), p("60007.9"), q("0.01"))]);
}

#[test]
fn a_forming_candle_span_counts_only_new_extremes() {
    let mut ex = exchange();
    long_entered(&mut ex);
    // Next candle: the position is older than it, so a stop placed now waits.
    ex.on_candle(
        T0 + 2 * H,
        &btc(),
        &candle(T0 + 2 * H, "60000", "60000", "59900", "60000", false),
    );
    let stop = OrderKind::StopMarket {
        trigger: p("59950"),
    };
    let r = submit(
        &mut ex,
        T0 + 2 * H + 1,
        order("s1", Side::Sell, stop, "0.01", Leg::Stop),
    );
    assert_eq!(r.len(), 1, "{r:?}");
    // Same low as before: that low came before the stop, nothing new reached it.
    let r = ex.on_candle(
        T0 + 2 * H + 2,
        &btc(),
        &candle(T0 + 2 * H, "60000", "60010", "59900", "60010", false),
    );
    assert!(fills(&r).is_empty(), "{r:?}");
    // A new low below the stop: it fires at the trigger (59950 × 0.9998 = 59938.01).
    let r = ex.on_candle(
        T0 + 2 * H + 3,
        &btc(),
        &candle(T0 + 2 * H, "60000", "60010", "59800", "59850", false),
    );
    assert_eq!(fills(&r), vec![("s1".into(), p("59938"), q("0.01"))]);
    assert_eq!(ex.position(&btc()), None);
}

#[test]
fn an_update_of_an_older_candle_is_ignored() {
    let mut ex = exchange();
    long_entered(&mut ex);
    let before = ex.state();
    let r = ex.on_candle(
        T0 + 2 * H,
        &btc(),
        &candle(T0, "1000", "1000", "1000", "1000", true),
    );
    assert!(r.is_empty());
    assert_eq!(ex.state(), before);
}

#[test]
fn a_take_profit_gapped_through_fills_at_the_open_before_a_stop_in_the_same_candle() {
    let mut ex = exchange();
    long_entered(&mut ex);
    let stop = OrderKind::StopMarket {
        trigger: p("59000"),
    };
    let tp = OrderKind::TakeProfitMarket {
        trigger: p("61000"),
    };
    submit(
        &mut ex,
        T0 + H,
        order("s1", Side::Sell, stop, "0.01", Leg::Stop),
    );
    submit(
        &mut ex,
        T0 + H,
        order("t1", Side::Buy.opposite(), tp, "0.01", Leg::TakeProfit),
    );
    // Opens above the take-profit: that open is a real trade, before any low.
    let r = ex.on_candle(
        T0 + 2 * H,
        &btc(),
        &candle(T0 + 2 * H, "61500", "61600", "58000", "58500", true),
    );
    // 61500 × 0.9998 = 61487.7
    assert_eq!(fills(&r), vec![("t1".into(), p("61487.7"), q("0.01"))]);
    assert!(r.contains(&ExecReport::Cancelled {
        id: id("s1"),
        at_ms: T0 + 2 * H
    }));
}

#[test]
fn a_stop_before_the_liquidation_price_fires_instead_of_liquidation() {
    let mut ex = exchange();
    long_entered(&mut ex);
    // 60012 × 0.804 = 48249.648 → 48249.6
    assert_eq!(ex.liquidation_price(&btc()), Some(p("48249.6")));
    let stop = OrderKind::StopMarket {
        trigger: p("50000"),
    };
    submit(
        &mut ex,
        T0 + H,
        order("s1", Side::Sell, stop, "0.01", Leg::Stop),
    );
    let r = ex.on_candle(
        T0 + 2 * H,
        &btc(),
        &candle(T0 + 2 * H, "55000", "55000", "40000", "41000", true),
    );
    assert_eq!(fills(&r), vec![("s1".into(), p("49990"), q("0.01"))]);
    assert!(!r.iter().any(|r| matches!(r, ExecReport::Liquidated(_))));
}

#[test]
fn a_stop_beyond_the_liquidation_price_is_cancelled_by_the_liquidation() {
    let mut ex = exchange();
    long_entered(&mut ex);
    let stop = OrderKind::StopMarket {
        trigger: p("45000"),
    };
    submit(
        &mut ex,
        T0 + H,
        order("s1", Side::Sell, stop, "0.01", Leg::Stop),
    );
    let r = ex.on_candle(
        T0 + 2 * H,
        &btc(),
        &candle(T0 + 2 * H, "55000", "55000", "40000", "41000", true),
    );
    let ExecReport::Liquidated(fill) = &r[0] else {
        panic!("{r:?}")
    };
    assert_eq!(
        (fill.price, fill.qty, fill.side, fill.leg),
        (p("48249.6"), q("0.01"), Side::Sell, Leg::Exit)
    );
    // 48249.6 × 0.01 × 0.0005
    assert_eq!(fill.fee, dec("0.241248"));
    assert_eq!(
        r[1],
        ExecReport::Cancelled {
            id: id("s1"),
            at_ms: T0 + 2 * H
        }
    );
}

#[test]
fn a_short_liquidates_above_its_entry() {
    let mut ex = exchange();
    ex.on_candle(
        T0,
        &btc(),
        &candle(T0, "60000", "60000", "60000", "60000", true),
    );
    submit(
        &mut ex,
        T0,
        order("e1", Side::Sell, OrderKind::Market, "0.01", Leg::Entry),
    );
    ex.on_candle(
        T0 + H,
        &btc(),
        &candle(T0 + H, "50000", "50000", "50000", "50000", true),
    );
    // Sold at 50000 × 0.9998 = 49990; liquidation 49990 × 1.196 = 59788.04 → 59788
    assert_eq!(ex.liquidation_price(&btc()), Some(p("59788")));
    let r = ex.on_candle(
        T0 + 2 * H,
        &btc(),
        &candle(T0 + 2 * H, "50000", "60000", "50000", "59000", true),
    );
    assert_eq!(
        fills(&r),
        vec![(
            "autoclose-BTCUSDT-1700013600000".into(),
            p("59788"),
            q("0.01")
        )]
    );
    assert_eq!(ex.position(&btc()), None);
}

#[test]
fn a_limit_entry_fills_at_its_price_as_maker_and_an_open_through_it_fills_at_the_open() {
    let mut ex = exchange();
    ex.on_candle(
        T0,
        &btc(),
        &candle(T0, "60000", "60000", "60000", "60000", true),
    );
    let limit = |price| OrderKind::Limit { price: p(price) };
    submit(
        &mut ex,
        T0,
        order("e1", Side::Buy, limit("59500"), "0.01", Leg::Entry),
    );
    let r = ex.on_candle(
        T0 + H,
        &btc(),
        &candle(T0 + H, "60000", "60100", "59600", "59700", true),
    );
    assert!(fills(&r).is_empty());
    let r = ex.on_candle(
        T0 + 2 * H,
        &btc(),
        &candle(T0 + 2 * H, "59700", "59800", "59400", "59500", true),
    );
    let ExecReport::Filled(f) = &r[0] else {
        panic!("{r:?}")
    };
    assert_eq!(
        (f.price, f.liquidity, f.fee),
        (p("59500"), Liquidity::Maker, dec("0.119"))
    );
    submit(
        &mut ex,
        T0 + 2 * H,
        order("e2", Side::Buy, limit("59000"), "0.01", Leg::Entry),
    );
    let r = ex.on_candle(
        T0 + 3 * H,
        &btc(),
        &candle(T0 + 3 * H, "58000", "58100", "57900", "58000", true),
    );
    assert_eq!(fills(&r), vec![("e2".into(), p("58000"), q("0.01"))]);
    let pos = ex.position(&btc()).unwrap();
    assert_eq!((pos.qty, pos.entry_price), (q("0.02"), p("58750")));
}

#[test]
fn cancelling_a_working_order_and_an_unknown_one() {
    let mut ex = exchange();
    long_entered(&mut ex);
    let stop = OrderKind::StopMarket {
        trigger: p("59000"),
    };
    submit(
        &mut ex,
        T0 + H,
        order("s1", Side::Sell, stop, "0.01", Leg::Stop),
    );
    assert_eq!(ex.working_orders().len(), 1);
    assert_eq!(
        ex.cancel(T0 + H, &id("s1")),
        vec![ExecReport::Cancelled {
            id: id("s1"),
            at_ms: T0 + H
        }]
    );
    assert!(ex.working_orders().is_empty());
    for gone in ["s1", "e1", "nope"] {
        assert_eq!(
            ex.cancel(T0 + H, &id(gone)),
            vec![ExecReport::Rejected {
                id: id(gone),
                reason: "unknown order".into(),
                at_ms: T0 + H
            }]
        );
    }
}

#[test]
fn a_stop_placed_with_a_pending_entry_waits_for_it_and_goes_with_it_when_cancelled() {
    let mut ex = exchange();
    ex.on_candle(
        T0,
        &btc(),
        &candle(T0, "60000", "60000", "60000", "60000", true),
    );
    let limit = OrderKind::Limit { price: p("55000") };
    submit(
        &mut ex,
        T0,
        order("e1", Side::Buy, limit, "0.01", Leg::Entry),
    );
    let stop = OrderKind::StopMarket {
        trigger: p("54000"),
    };
    let r = submit(
        &mut ex,
        T0,
        order("s1", Side::Sell, stop, "0.01", Leg::Stop),
    );
    assert_eq!(
        r,
        vec![ExecReport::Accepted {
            id: id("s1"),
            at_ms: T0
        }]
    );
    // The price falls through the stop before the entry fills: nothing happens to it.
    let r = ex.on_candle(
        T0 + H,
        &btc(),
        &candle(T0 + H, "60000", "60000", "56000", "56000", true),
    );
    assert!(r.is_empty(), "{r:?}");
    let r = ex.cancel(T0 + H, &id("e1"));
    assert_eq!(
        r,
        vec![
            ExecReport::Cancelled {
                id: id("e1"),
                at_ms: T0 + H
            },
            ExecReport::Cancelled {
                id: id("s1"),
                at_ms: T0 + H
            },
        ]
    );
}

#[test]
fn an_entry_against_the_open_position_is_rejected_in_one_way_mode() {
    let mut ex = exchange();
    long_entered(&mut ex);
    let r = submit(
        &mut ex,
        T0 + H,
        order("e2", Side::Sell, OrderKind::Market, "0.01", Leg::Entry),
    );
    assert!(
        matches!(&r[0], ExecReport::Rejected { reason, .. } if reason.contains("one-way")),
        "{r:?}"
    );
}

#[test]
fn an_exit_larger_than_the_position_closes_it_without_flipping() {
    let mut ex = exchange();
    long_entered(&mut ex);
    submit(
        &mut ex,
        T0 + H,
        order("x1", Side::Sell, OrderKind::Market, "5", Leg::Exit),
    );
    let r = ex.on_candle(
        T0 + H + 1,
        &btc(),
        &candle(T0 + H, "60000", "60000", "60000", "60000", false),
    );
    assert_eq!(fills(&r), vec![("x1".into(), p("59988"), q("0.01"))]);
    assert_eq!(ex.position(&btc()), None);
}

#[test]
fn state_survives_a_json_round_trip() {
    let mut ex = exchange();
    long_entered(&mut ex);
    let json = serde_json::to_string(&ex.state()).unwrap();
    let back: PaperState = serde_json::from_str(&json).unwrap();
    assert_eq!(back, ex.state());
}
