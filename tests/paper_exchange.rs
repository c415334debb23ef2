//! The paper exchange driven like the engine drives it: orders through the risk
//! gateway, candles (synthetic and real Binance 1h klines) through `on_candle`.

use std::io::Write;
use std::path::PathBuf;

use cockpit::config::PaperConfig;
use cockpit::domain::{
    Candle, ClientOrderId, Fill, Leg, Liquidity, OrderKind, OrderRequest, Price, Qty, Side, Symbol,
    TradingState,
};
use cockpit::exec::paper::{FundingSchedule, PaperExchange, PaperState};
use cockpit::exec::{Exchange, ExecReport};
use cockpit::market::csv::load;
use cockpit::risk::{GatewayContext, check};
use rust_decimal::Decimal;

const H: i64 = 3_600_000;
const EIGHT_H: i64 = 8 * H;
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

fn candle(t: i64, o: &str, h: &str, l: &str, c: &str) -> Candle {
    Candle::new(t, p(o), p(h), p(l), p(c), q("10"), true).unwrap()
}

fn order(oid: &str, side: Side, kind: OrderKind, qty: &str, leg: Leg) -> OrderRequest {
    OrderRequest {
        id: id(oid),
        symbol: btc(),
        side,
        kind,
        qty: q(qty),
        leg,
        decision_id: Some(format!("d-{oid}")),
    }
}

fn stop(trigger: &str) -> OrderKind {
    OrderKind::StopMarket {
        trigger: p(trigger),
    }
}
fn take_profit(trigger: &str) -> OrderKind {
    OrderKind::TakeProfitMarket {
        trigger: p(trigger),
    }
}

/// Through the real gateway, with a context that lets the order pass: for a
/// reducing order the engine believes a position is open.
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
    let approved = check(&ctx, req).unwrap_or_else(|r| panic!("gateway refused: {r}"));
    ex.submit(at, &approved)
}

/// Default config: slippage 0.0002, taker 0.0005, maker 0.0002, leverage 5,
/// maintenance margin 0.004; funding off unless a test turns it on.
fn exchange() -> PaperExchange {
    PaperExchange::new(
        &PaperConfig::default(),
        FundingSchedule::constant(Decimal::ZERO),
    )
}

fn only_fill(reports: &[ExecReport]) -> Fill {
    let fills: Vec<&Fill> = reports
        .iter()
        .filter_map(|r| match r {
            ExecReport::Filled(f) => Some(f),
            _ => None,
        })
        .collect();
    assert_eq!(fills.len(), 1, "{reports:?}");
    fills[0].clone()
}

/// Seen candle T0 (close 60000), then a 0.01 BTC long filled at the open of the
/// candle at T0+H: 60123.4 × 1.0002 = 60135.42468 → 60135.5.
fn long_at_60135_5(ex: &mut PaperExchange) {
    ex.on_candle(T0, &btc(), &candle(T0, "60000", "60200", "59800", "60100"));
    submit(
        ex,
        T0,
        order("e1", Side::Buy, OrderKind::Market, "0.01", Leg::Entry),
    );
    let r = ex.on_candle(
        T0 + H,
        &btc(),
        &candle(T0 + H, "60123.4", "60300", "60100", "60200"),
    );
    assert_eq!(only_fill(&r).price, p("60135.5"));
}

/// The long above plus a stop at 59000 and a take-profit at 61000, placed after
/// the entry candle (whose range touches neither).
fn long_with_bracket(ex: &mut PaperExchange) {
    long_at_60135_5(ex);
    let at = T0 + H;
    let r = submit(
        ex,
        at,
        order("s1", Side::Sell, stop("59000"), "0.01", Leg::Stop),
    );
    assert_eq!(
        r,
        vec![ExecReport::Accepted {
            id: id("s1"),
            at_ms: at
        }]
    );
    let r = submit(
        ex,
        at,
        order(
            "t1",
            Side::Sell,
            take_profit("61000"),
            "0.01",
            Leg::TakeProfit,
        ),
    );
    assert_eq!(
        r,
        vec![ExecReport::Accepted {
            id: id("t1"),
            at_ms: at
        }]
    );
}

#[test]
fn market_buy_fills_at_the_next_open_with_slippage_rounded_up_and_taker_fee() {
    let mut ex = exchange();
    ex.on_candle(T0, &btc(), &candle(T0, "60000", "60200", "59800", "60100"));
    let r = submit(
        &mut ex,
        T0,
        order("e1", Side::Buy, OrderKind::Market, "0.01", Leg::Entry),
    );
    assert_eq!(
        r,
        vec![ExecReport::Accepted {
            id: id("e1"),
            at_ms: T0
        }]
    );
    assert_eq!(ex.working_orders().len(), 1);
    let r = ex.on_candle(
        T0 + H + 5,
        &btc(),
        &candle(T0 + H, "60123.4", "60300", "60100", "60200"),
    );
    assert_eq!(
        r,
        vec![ExecReport::Filled(Fill {
            order_id: id("e1"),
            symbol: btc(),
            side: Side::Buy,
            leg: Leg::Entry,
            qty: q("0.01"),
            // 60123.4 × 1.0002 = 60135.42468, rounded up to the 0.1 tick.
            price: p("60135.5"),
            // 60135.5 × 0.01 × 0.0005
            fee: dec("0.3006775"),
            liquidity: Liquidity::Taker,
            // Taken at the candle's open, whenever the update was seen.
            at_ms: T0 + H,
        })]
    );
    let pos = ex.position(&btc()).unwrap();
    assert_eq!(
        (pos.side, pos.qty, pos.entry_price),
        (Side::Buy, q("0.01"), p("60135.5"))
    );
    assert!(ex.working_orders().is_empty());
}

#[test]
fn market_sell_fills_at_the_next_open_with_slippage_rounded_down() {
    let mut ex = exchange();
    ex.on_candle(T0, &btc(), &candle(T0, "60000", "60200", "59800", "60100"));
    submit(
        &mut ex,
        T0,
        order("e1", Side::Sell, OrderKind::Market, "0.01", Leg::Entry),
    );
    let r = ex.on_candle(
        T0 + H,
        &btc(),
        &candle(T0 + H, "60123.4", "60300", "60100", "60200"),
    );
    let f = only_fill(&r);
    // 60123.4 × 0.9998 = 60111.37532, rounded down to the tick.
    assert_eq!((f.price, f.fee), (p("60111.3"), dec("0.3005565")));
}

#[test]
fn stop_fills_at_its_trigger_when_the_low_reaches_it() {
    let mut ex = exchange();
    long_with_bracket(&mut ex);
    let at = T0 + 2 * H;
    let r = ex.on_candle(at, &btc(), &candle(at, "59500", "59600", "58800", "58900"));
    assert_eq!(
        r,
        vec![
            ExecReport::Filled(Fill {
                order_id: id("s1"),
                symbol: btc(),
                side: Side::Sell,
                leg: Leg::Stop,
                qty: q("0.01"),
                // 59000 × 0.9998 = 58988.2
                price: p("58988.2"),
                fee: dec("0.294941"),
                liquidity: Liquidity::Taker,
                at_ms: at,
            }),
            ExecReport::Cancelled {
                id: id("t1"),
                at_ms: at
            },
        ]
    );
    assert_eq!(ex.position(&btc()), None);
    assert!(ex.working_orders().is_empty());
}

#[test]
fn take_profit_fills_at_its_trigger_when_the_high_reaches_it() {
    let mut ex = exchange();
    long_with_bracket(&mut ex);
    let at = T0 + 2 * H;
    let r = ex.on_candle(at, &btc(), &candle(at, "60500", "61200", "60400", "61100"));
    let f = only_fill(&r);
    // 61000 × 0.9998 = 60987.8
    assert_eq!(
        (f.order_id.clone(), f.price, f.fee),
        (id("t1"), p("60987.8"), dec("0.304939"))
    );
    assert_eq!(
        r[1],
        ExecReport::Cancelled {
            id: id("s1"),
            at_ms: at
        }
    );
    assert_eq!(ex.position(&btc()), None);
}

#[test]
fn a_candle_touching_both_stop_and_take_profit_fills_the_stop_and_cancels_the_take_profit() {
    let mut ex = exchange();
    long_with_bracket(&mut ex);
    let at = T0 + 2 * H;
    let r = ex.on_candle(at, &btc(), &candle(at, "60000", "61500", "58500", "61400"));
    let f = only_fill(&r);
    assert_eq!((f.order_id.clone(), f.price), (id("s1"), p("58988.2")));
    assert_eq!(
        r[1],
        ExecReport::Cancelled {
            id: id("t1"),
            at_ms: at
        }
    );
    assert_eq!(r.len(), 2);
}

#[test]
fn a_gap_through_the_stop_fills_at_the_open_not_at_the_trigger() {
    let mut ex = exchange();
    long_with_bracket(&mut ex);
    let at = T0 + 2 * H;
    let r = ex.on_candle(at, &btc(), &candle(at, "58500", "58700", "58000", "58600"));
    let f = only_fill(&r);
    // 58500 × 0.9998 = 58488.3
    assert_eq!((f.order_id.clone(), f.price), (id("s1"), p("58488.3")));
}

#[test]
fn a_stop_submitted_inside_the_entry_candles_range_fires_at_once() {
    let mut ex = exchange();
    ex.on_candle(T0, &btc(), &candle(T0, "60000", "60200", "59800", "60100"));
    submit(
        &mut ex,
        T0,
        order("e1", Side::Buy, OrderKind::Market, "0.01", Leg::Entry),
    );
    // The closed entry candle dipped to 59000 after its open.
    let entry_candle = candle(T0 + H, "60123.4", "60300", "59000", "60200");
    ex.on_candle(T0 + H, &btc(), &entry_candle);
    let at = T0 + H + 1;
    let r = submit(
        &mut ex,
        at,
        order("s1", Side::Sell, stop("59500"), "0.01", Leg::Stop),
    );
    assert_eq!(
        r[0],
        ExecReport::Accepted {
            id: id("s1"),
            at_ms: at
        }
    );
    let f = only_fill(&r);
    // 59500 × 0.9998 = 59488.1
    assert_eq!(
        (f.order_id.clone(), f.price, f.at_ms),
        (id("s1"), p("59488.1"), at)
    );
    assert_eq!(ex.position(&btc()), None);
    // A take-profit placed next finds no position left.
    let r = submit(
        &mut ex,
        at,
        order(
            "t1",
            Side::Sell,
            take_profit("61000"),
            "0.01",
            Leg::TakeProfit,
        ),
    );
    assert!(matches!(&r[..], [ExecReport::Rejected { .. }]), "{r:?}");
}

#[test]
fn a_stop_submitted_with_its_pending_entry_is_checked_over_the_entry_candle() {
    let mut ex = exchange();
    ex.on_candle(T0, &btc(), &candle(T0, "60000", "60200", "59800", "60100"));
    submit(
        &mut ex,
        T0,
        order("e1", Side::Buy, OrderKind::Market, "0.01", Leg::Entry),
    );
    let r = submit(
        &mut ex,
        T0,
        order("s1", Side::Sell, stop("59500"), "0.01", Leg::Stop),
    );
    assert_eq!(
        r,
        vec![ExecReport::Accepted {
            id: id("s1"),
            at_ms: T0
        }]
    );
    let r = ex.on_candle(
        T0 + H,
        &btc(),
        &candle(T0 + H, "60123.4", "60300", "59000", "60200"),
    );
    let ids: Vec<&str> = r
        .iter()
        .filter_map(|r| match r {
            ExecReport::Filled(f) => Some(f.order_id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(ids, vec!["e1", "s1"]);
}

#[test]
fn a_stop_outside_the_entry_candles_range_keeps_working() {
    let mut ex = exchange();
    long_at_60135_5(&mut ex);
    let r = submit(
        &mut ex,
        T0 + H,
        order("s1", Side::Sell, stop("60050"), "0.01", Leg::Stop),
    );
    assert_eq!(r.len(), 1, "entry candle low was 60100: {r:?}");
    assert_eq!(ex.working_orders()[0].id, id("s1"));
}

fn funding_reports(reports: &[ExecReport]) -> Vec<(i64, Decimal, Decimal)> {
    reports
        .iter()
        .filter_map(|r| match r {
            ExecReport::Funding {
                rate,
                amount,
                at_ms,
                ..
            } => Some((*at_ms, *rate, *amount)),
            _ => None,
        })
        .collect()
}

/// Enters 0.01 BTC on `side` at T0+H and runs hourly candles to T0+17H whose
/// open is 61000 at 8 h boundaries; returns every report after the entry.
fn hold_across_two_funding_times(ex: &mut PaperExchange, side: Side) -> Vec<ExecReport> {
    ex.on_candle(T0, &btc(), &candle(T0, "60000", "60200", "59800", "60100"));
    submit(
        ex,
        T0,
        order("e1", side, OrderKind::Market, "0.01", Leg::Entry),
    );
    ex.on_candle(
        T0 + H,
        &btc(),
        &candle(T0 + H, "60000", "60100", "59900", "60000"),
    );
    let mut out = Vec::new();
    for i in 2..=17 {
        let t = T0 + i * H;
        let open = if t % EIGHT_H == 0 { "61000" } else { "60000" };
        out.extend(ex.on_candle(t, &btc(), &candle(t, open, "61000", "59900", "60000")));
    }
    out
}

#[test]
fn constant_funding_is_paid_by_a_long_and_received_by_a_short_every_8_hours() {
    let config = PaperConfig::default();
    let mut long = PaperExchange::new(&config, FundingSchedule::constant(dec("0.0001")));
    let r = hold_across_two_funding_times(&mut long, Side::Buy);
    // 61000 × 0.01 × 0.0001 = 0.061 at 08:00 and 16:00.
    assert_eq!(
        funding_reports(&r),
        vec![
            (T0 + EIGHT_H, dec("0.0001"), dec("0.061")),
            (T0 + 2 * EIGHT_H, dec("0.0001"), dec("0.061")),
        ]
    );
    assert!(r.iter().all(|r| match r {
        ExecReport::Funding { symbol, .. } => *symbol == btc(),
        _ => false,
    }));
    let mut short = PaperExchange::new(&config, FundingSchedule::constant(dec("0.0001")));
    let r = hold_across_two_funding_times(&mut short, Side::Sell);
    assert_eq!(
        funding_reports(&r),
        vec![
            (T0 + EIGHT_H, dec("0.0001"), dec("-0.061")),
            (T0 + 2 * EIGHT_H, dec("0.0001"), dec("-0.061")),
        ]
    );
}

#[test]
fn funding_from_a_schedule_file_matches_late_records_and_falls_back_elsewhere() {
    let mut file = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
    // Binance stamps settlements a few ms late; no record for 16:00.
    writeln!(file, "funding_time_ms,funding_rate").unwrap();
    writeln!(file, "{},-3e-04", T0 + EIGHT_H + 7).unwrap();
    let schedule = FundingSchedule::load_csv(file.path(), dec("0.0001")).unwrap();
    let mut long = PaperExchange::new(&PaperConfig::default(), schedule.clone());
    let r = hold_across_two_funding_times(&mut long, Side::Buy);
    assert_eq!(
        funding_reports(&r),
        vec![
            // A negative rate: the long receives 61000 × 0.01 × 0.0003.
            (T0 + EIGHT_H, dec("-0.0003"), dec("-0.183")),
            (T0 + 2 * EIGHT_H, dec("0.0001"), dec("0.061")),
        ]
    );
    let mut short = PaperExchange::new(&PaperConfig::default(), schedule);
    let r = hold_across_two_funding_times(&mut short, Side::Sell);
    let amounts: Vec<Decimal> = funding_reports(&r).iter().map(|f| f.2).collect();
    assert_eq!(amounts, vec![dec("0.183"), dec("-0.061")]);
}

#[test]
fn no_funding_without_a_position() {
    let mut ex = PaperExchange::new(
        &PaperConfig::default(),
        FundingSchedule::constant(dec("0.0001")),
    );
    for i in 0..20 {
        let t = T0 + i * H;
        let r = ex.on_candle(t, &btc(), &candle(t, "60000", "60000", "60000", "60000"));
        assert!(r.is_empty());
    }
}

#[test]
fn a_long_without_a_stop_is_liquidated_at_its_liquidation_price() {
    let mut ex = exchange();
    long_at_60135_5(&mut ex);
    // 60135.5 × (1 − 1/5 + 0.004) = 48348.942 → 48348.9
    assert_eq!(ex.liquidation_price(&btc()), Some(p("48348.9")));
    let r = submit(
        &mut ex,
        T0 + H,
        order(
            "t1",
            Side::Sell,
            take_profit("70000"),
            "0.01",
            Leg::TakeProfit,
        ),
    );
    assert_eq!(r.len(), 1);
    let at = T0 + 2 * H;
    let r = ex.on_candle(at, &btc(), &candle(at, "55000", "55000", "48000", "49000"));
    assert_eq!(
        r,
        vec![
            ExecReport::Liquidated(Fill {
                order_id: id("autoclose-BTCUSDT-1700013600000"),
                symbol: btc(),
                side: Side::Sell,
                leg: Leg::Exit,
                qty: q("0.01"),
                price: p("48348.9"),
                // 48348.9 × 0.01 × 0.0005
                fee: dec("0.2417445"),
                liquidity: Liquidity::Taker,
                at_ms: at,
            }),
            ExecReport::Cancelled {
                id: id("t1"),
                at_ms: at
            },
        ]
    );
    assert_eq!(ex.position(&btc()), None);
    assert_eq!(ex.liquidation_price(&btc()), None);
}

#[test]
fn a_duplicate_client_order_id_is_rejected_working_or_done() {
    let mut ex = exchange();
    ex.on_candle(T0, &btc(), &candle(T0, "60000", "60200", "59800", "60100"));
    let e1 = order("e1", Side::Buy, OrderKind::Market, "0.01", Leg::Entry);
    submit(&mut ex, T0, e1.clone());
    let duplicate = vec![ExecReport::Rejected {
        id: id("e1"),
        reason: "duplicate client order id".into(),
        at_ms: T0,
    }];
    assert_eq!(submit(&mut ex, T0, e1.clone()), duplicate);
    assert_eq!(ex.working_orders().len(), 1, "placed once only");
    ex.on_candle(
        T0 + H,
        &btc(),
        &candle(T0 + H, "60000", "60000", "60000", "60000"),
    );
    assert_eq!(ex.position(&btc()).unwrap().qty, q("0.01"));
    let mut again = duplicate.clone();
    if let ExecReport::Rejected { at_ms, .. } = &mut again[0] {
        *at_ms = T0 + H;
    }
    assert_eq!(submit(&mut ex, T0 + H, e1), again);
    assert_eq!(ex.position(&btc()).unwrap().qty, q("0.01"));
}

#[test]
fn reducing_orders_without_a_position_are_rejected() {
    let mut ex = exchange();
    ex.on_candle(T0, &btc(), &candle(T0, "60000", "60200", "59800", "60100"));
    for (oid, kind, leg) in [
        ("s1", stop("59000"), Leg::Stop),
        ("t1", take_profit("61000"), Leg::TakeProfit),
        ("x1", OrderKind::Market, Leg::Exit),
    ] {
        let r = submit(&mut ex, T0, order(oid, Side::Sell, kind, "0.01", leg));
        assert_eq!(
            r,
            vec![ExecReport::Rejected {
                id: id(oid),
                reason: "no position to reduce".into(),
                at_ms: T0,
            }]
        );
    }
    assert!(ex.working_orders().is_empty());
}

#[test]
fn a_reducing_order_on_the_positions_own_side_is_rejected() {
    let mut ex = exchange();
    long_at_60135_5(&mut ex);
    let req = order("x1", Side::Buy, OrderKind::Market, "0.01", Leg::Exit);
    // Straight to the exchange's rule: the gateway would refuse it first.
    let ctx = GatewayContext {
        now_ms: T0 + H,
        trading_state: TradingState::Active,
        armed: true,
        entries_paused: false,
        cooldown_until_ms: None,
        open_positions: 1,
        max_open_positions: 10,
        position_side: Some(Side::Sell),
    };
    let r = ex.submit(T0 + H, &check(&ctx, req).unwrap());
    assert!(
        matches!(&r[..], [ExecReport::Rejected { reason, .. }] if reason.contains("increase")),
        "{r:?}"
    );
}

// ---- Real candles: a small bracket strategy over Binance 1h klines ----

fn real(name: &str) -> PathBuf {
    cockpit::shared_data::file(name).unwrap_or_else(|e| panic!("{e}"))
}

/// 400 hourly BTCUSDT candles from index 40 000 (spring 2024).
fn real_candles() -> Vec<Candle> {
    let file = load(&real("klines/BTCUSDT-1h-umfutures.csv")).unwrap();
    file.candles[40_000..40_400].to_vec()
}

fn real_exchange(leverage: i64) -> PaperExchange {
    let schedule =
        FundingSchedule::load_csv(&real("klines/BTCUSDT-fundingrate.csv"), dec("0.0001")).unwrap();
    let config = PaperConfig {
        leverage: Decimal::from(leverage),
        ..PaperConfig::default()
    };
    PaperExchange::new(&config, schedule)
}

/// High enough that some positions reach liquidation before their 3 % stop.
const HIGH_LEVERAGE: i64 = 40;

/// The price `pct` percent away from `price`, on the 0.1 tick.
fn away(price: Price, pct: i64) -> Price {
    let raw = price.value() * (Decimal::ONE_HUNDRED + Decimal::from(pct)) / Decimal::ONE_HUNDRED;
    Price::new(raw.round_dp(1)).unwrap()
}

/// One hour of the strategy: a forming update at the half-way price, then the
/// closed candle; a bracket after each entry fill; a new entry every 12 hours
/// when flat; an exit at index ≡ 25 (mod 50). Stateless apart from the
/// exchange, so a restored exchange continues exactly.
fn drive(ex: &mut PaperExchange, i: usize, c: &Candle) -> Vec<ExecReport> {
    let sym = btc();
    let at = c.open_time_ms;
    let mid = Price::new(((c.open.value() + c.close.value()) / Decimal::TWO).round_dp(1)).unwrap();
    let forming = Candle::new(
        at,
        c.open,
        c.open.max(mid),
        c.open.min(mid),
        mid,
        Qty::ZERO,
        false,
    )
    .unwrap();
    let mut out = ex.on_candle(at + 1_800_000, &sym, &forming);
    out.extend(ex.on_candle(at + H - 1, &sym, c));
    let entries: Vec<Fill> = out
        .iter()
        .filter_map(|r| match r {
            ExecReport::Filled(f) if f.leg == Leg::Entry => Some(f.clone()),
            _ => None,
        })
        .collect();
    let now = at + H;
    for f in entries {
        let sign = f.side.sign() as i64;
        // Every third stop lies beyond the liquidation price (about 2.1 % away).
        let stop_pct = if (i / 12) % 3 == 2 { 3 } else { 1 };
        let close = f.side.opposite();
        let s = order(
            &format!("s{i}"),
            close,
            OrderKind::StopMarket {
                trigger: away(f.price, -stop_pct * sign),
            },
            "0.01",
            Leg::Stop,
        );
        let t = order(
            &format!("t{i}"),
            close,
            OrderKind::TakeProfitMarket {
                trigger: away(f.price, 2 * sign),
            },
            "0.01",
            Leg::TakeProfit,
        );
        out.extend(submit(ex, now, s));
        out.extend(submit(ex, now, t));
    }
    if ex.position(&sym).is_none() && ex.working_orders().is_empty() && i.is_multiple_of(12) {
        let side = if (i / 12).is_multiple_of(2) {
            Side::Buy
        } else {
            Side::Sell
        };
        out.extend(submit(
            ex,
            now,
            order(
                &format!("e{i}"),
                side,
                OrderKind::Market,
                "0.01",
                Leg::Entry,
            ),
        ));
    }
    if i % 50 == 25
        && let Some(pos) = ex.position(&sym)
    {
        out.extend(submit(
            ex,
            now,
            order(
                &format!("x{i}"),
                pos.side.opposite(),
                OrderKind::Market,
                "0.01",
                Leg::Exit,
            ),
        ));
    }
    out
}

fn run(ex: &mut PaperExchange, candles: &[Candle], from: usize) -> Vec<ExecReport> {
    let mut out = Vec::new();
    for (i, c) in candles.iter().enumerate().skip(from) {
        out.extend(drive(ex, i, c));
    }
    out
}

#[test]
fn restoring_the_state_reproduces_an_uninterrupted_run_exactly() {
    let candles = real_candles();
    let mut whole = real_exchange(HIGH_LEVERAGE);
    let expected = run(&mut whole, &candles, 0);

    // The run must exercise every kind of event for the comparison to mean something.
    let count = |pred: &dyn Fn(&ExecReport) -> bool| expected.iter().filter(|r| pred(r)).count();
    let leg_fills =
        |leg: Leg| count(&move |r: &ExecReport| matches!(r, ExecReport::Filled(f) if f.leg == leg));
    let seen = [
        leg_fills(Leg::Entry),
        leg_fills(Leg::Stop),
        leg_fills(Leg::TakeProfit),
        leg_fills(Leg::Exit),
        count(&|r| matches!(r, ExecReport::Liquidated(_))),
        count(&|r| matches!(r, ExecReport::Funding { .. })),
        count(&|r| matches!(r, ExecReport::Cancelled { .. })),
    ];
    eprintln!("entries, stops, take-profits, exits, liquidations, fundings, cancels: {seen:?}");
    assert!(seen.iter().all(|n| *n > 0), "{seen:?}");

    for split in [1, 13, 14, 100, 257, 399] {
        let mut first = real_exchange(HIGH_LEVERAGE);
        let mut got = run(&mut first, &candles[..split], 0);
        let saved = serde_json::to_string(&first.state()).unwrap();
        drop(first);
        let mut second = real_exchange(HIGH_LEVERAGE);
        second.restore(serde_json::from_str::<PaperState>(&saved).unwrap());
        got.extend(run(&mut second, &candles, split));
        assert_eq!(got, expected, "split at {split}");
        assert_eq!(second.state(), whole.state(), "split at {split}");
    }
}

#[test]
fn funding_on_real_candles_uses_binances_recorded_rates() {
    let candles = real_candles();
    // The first candle that opens at a funding time.
    let k = candles
        .iter()
        .position(|c| c.open_time_ms % EIGHT_H == 0)
        .unwrap()
        + 1;
    // Binance's history, read here independently of the schedule.
    let text = std::fs::read_to_string(real("klines/BTCUSDT-fundingrate.csv")).unwrap();
    let rate_at = |t: i64| {
        text.lines()
            .skip(1)
            .find_map(|l| {
                let (time, rate) = l.split_once(',')?;
                let time: i64 = time.parse().ok()?;
                ((time - t).abs() <= 60_000).then(|| {
                    Decimal::from_scientific(rate)
                        .or_else(|_| rate.parse())
                        .unwrap()
                })
            })
            .unwrap()
    };
    let mut amounts = Vec::new();
    for side in [Side::Buy, Side::Sell] {
        let mut ex = real_exchange(5);
        ex.on_candle(0, &btc(), &candles[k - 1]);
        submit(
            &mut ex,
            0,
            order("e1", side, OrderKind::Market, "0.01", Leg::Entry),
        );
        let mut funding = Vec::new();
        for c in &candles[k..k + 24] {
            funding.extend(funding_reports(&ex.on_candle(c.open_time_ms, &btc(), c)));
        }
        assert!(
            ex.position(&btc()).is_some(),
            "no stop: the position is held"
        );
        let times: Vec<i64> = funding.iter().map(|f| f.0).collect();
        let t1 = candles[k].open_time_ms.div_euclid(EIGHT_H) * EIGHT_H + EIGHT_H;
        assert_eq!(times, vec![t1, t1 + EIGHT_H, t1 + 2 * EIGHT_H]);
        for (t, rate, amount) in &funding {
            let open = candles.iter().find(|c| c.open_time_ms == *t).unwrap().open;
            assert_eq!(*rate, rate_at(*t));
            let expected = open.value() * dec("0.01") * rate * Decimal::from(side.sign());
            assert_eq!(*amount, expected);
        }
        amounts.push(funding.iter().map(|f| f.2).collect::<Vec<_>>());
    }
    assert_eq!(
        amounts[1],
        amounts[0].iter().map(|a| -a).collect::<Vec<_>>()
    );
}
