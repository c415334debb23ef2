//! The strategies on hand-built indicator values (each condition failing in
//! turn) and on six years of real BTCUSDT hourly candles.

use std::time::Instant;

use cockpit::config::StrategyConfig;
use cockpit::domain::{Candle, Price, Qty, Side, Symbol};
use cockpit::indicators::{IndicatorParams, IndicatorSet, IndicatorValues};
use cockpit::strategy::{
    self, EmaCross, Proposal, STRATEGY_NAMES, Strategy, TrendMomentumVolatility,
};
use rust_decimal::Decimal;

fn d(s: &str) -> Decimal {
    Decimal::from_str_exact(s).unwrap()
}

fn btc() -> Symbol {
    Symbol::new("BTCUSDT").unwrap()
}

fn candle(open_time_ms: i64, close: &str) -> Candle {
    let p: Price = close.parse().unwrap();
    Candle::new(open_time_ms, p, p, p, p, Qty::ZERO, true).unwrap()
}

fn tmv() -> TrendMomentumVolatility {
    TrendMomentumVolatility::new(&StrategyConfig::default(), &IndicatorParams::default()).unwrap()
}

/// The default config watches EMA50 and EMA200: indices 1 and 2 of [20, 50, 200].
/// Every condition of a long holds: trend, RSI 60 in [50, 70] (rising from the
/// 55 the first candle feeds), ADX 30 with +DI above −DI, ATR 1% of the close.
fn long_values() -> IndicatorValues {
    IndicatorValues {
        ema: [Some(61_250.0), Some(61_234.5), Some(60_010.2)],
        rsi: Some(60.0),
        atr: Some(612.5),
        adx: Some(30.0),
        plus_di: Some(30.0),
        minus_di: Some(15.0),
        ..IndicatorValues::default()
    }
}

/// One change to a set of indicator values.
type Edit = fn(&mut IndicatorValues);

const LONG_CLOSE: &str = "61300";

/// The mirror: fast below slow, close below fast, RSI 40 falling from 45,
/// −DI above +DI.
fn short_values() -> IndicatorValues {
    IndicatorValues {
        ema: [Some(60_750.0), Some(60_765.5), Some(61_989.8)],
        rsi: Some(40.0),
        atr: Some(607.0),
        adx: Some(30.0),
        plus_di: Some(15.0),
        minus_di: Some(30.0),
        ..IndicatorValues::default()
    }
}

const SHORT_CLOSE: &str = "60700";

/// Feeds a fresh strategy the previous candle (its RSI `prev_rsi`) and then
/// `values` on the next one; what the second candle proposes.
fn two_candles(prev_rsi: f64, close: &str, values: IndicatorValues) -> Option<Proposal> {
    let mut s = tmv();
    let first = IndicatorValues {
        rsi: Some(prev_rsi),
        ..values
    };
    let none = s.on_closed(&btc(), &candle(0, close), &first);
    assert!(
        none.is_none(),
        "the first candle has no RSI to compare with"
    );
    let second = candle(3_600_000, close);
    let mut p = s.on_closed(&btc(), &second, &values)?;
    s.explain(&mut p, &second, &values);
    Some(p)
}

fn long_with(f: impl FnOnce(&mut IndicatorValues)) -> Option<Proposal> {
    let mut v = long_values();
    f(&mut v);
    two_candles(55.0, LONG_CLOSE, v)
}

fn short_with(f: impl FnOnce(&mut IndicatorValues)) -> Option<Proposal> {
    let mut v = short_values();
    f(&mut v);
    two_candles(45.0, SHORT_CLOSE, v)
}

#[test]
fn all_conditions_hold_gives_a_long_with_exact_levels() {
    let p = long_with(|_| {}).expect("a long");
    assert_eq!(p.side, Side::Buy);
    assert_eq!(p.symbol, btc());
    assert_eq!(p.candle_open_ms, 3_600_000);
    assert_eq!(p.entry, d("61300"));
    // 1.5 × 612.5 = 918.75 below, 3 × 612.5 = 1837.5 above.
    assert_eq!(p.stop, d("60381.25"));
    assert_eq!(p.take_profit, d("63137.5"));
    assert_eq!(p.atr, 612.5);
    assert_eq!(p.strategy, "trend_momentum_volatility");
    let checks: Vec<&str> = p.reasons.iter().map(|r| r.check.as_ref()).collect();
    assert_eq!(checks, ["trend", "momentum", "strength", "volatility"]);
    assert!(p.reasons.iter().all(|r| r.passed));
    let detail = |i: usize| p.reasons[i].detail.as_str();
    assert_eq!(
        detail(0),
        "EMA50 61234.5 > EMA200 60010.2, close 61300 above EMA50"
    );
    assert_eq!(detail(1), "RSI 60.00 in [50, 70] and rising from 55.00");
    assert_eq!(detail(2), "ADX 30.00 ≥ 25, +DI 30.00 > −DI 15.00");
    assert!(
        detail(3).starts_with("ATR 612.5 is 0.999% of close"),
        "{}",
        detail(3)
    );
}

#[test]
fn the_mirror_gives_a_short_with_exact_levels() {
    let p = short_with(|_| {}).expect("a short");
    assert_eq!(p.side, Side::Sell);
    assert_eq!(p.entry, d("60700"));
    // 1.5 × 607 = 910.5 above, 3 × 607 = 1821 below.
    assert_eq!(p.stop, d("61610.5"));
    assert_eq!(p.take_profit, d("58879"));
    let trend = &p.reasons[0].detail;
    assert_eq!(
        trend,
        "EMA50 60765.5 < EMA200 61989.8, close 60700 below EMA50"
    );
    assert!(p.reasons[1].detail.contains("falling from 45.00"));
    assert!(p.reasons[2].detail.contains("−DI 30.00 > +DI 15.00"));
}

#[test]
fn each_failing_long_condition_alone_stops_the_proposal() {
    let cases: [(&str, Edit); 10] = [
        ("fast EMA below slow", |v| v.ema[2] = Some(61_300.0)),
        ("close below fast EMA", |v| v.ema[1] = Some(61_300.5)),
        ("RSI above the long band", |v| v.rsi = Some(70.5)),
        ("RSI below the long band", |v| v.rsi = Some(49.9)),
        ("RSI not rising", |v| v.rsi = Some(55.0)),
        ("ADX too weak", |v| v.adx = Some(24.9)),
        ("+DI not above −DI", |v| v.minus_di = Some(30.0)),
        ("ATR too small", |v| v.atr = Some(61.0)),
        ("ATR too large", |v| v.atr = Some(3_100.0)),
        ("ATR NaN", |v| v.atr = Some(f64::NAN)),
    ];
    for (what, breaks) in cases {
        assert_eq!(long_with(breaks), None, "{what}");
    }
}

#[test]
fn each_failing_short_condition_alone_stops_the_proposal() {
    let cases: [(&str, Edit); 8] = [
        ("fast EMA above slow", |v| v.ema[2] = Some(60_000.0)),
        ("close above fast EMA", |v| v.ema[1] = Some(60_650.0)),
        ("RSI above the short band", |v| v.rsi = Some(50.1)),
        ("RSI below the short band", |v| v.rsi = Some(29.0)),
        ("RSI rising", |v| v.rsi = Some(45.5)),
        ("ADX too weak", |v| v.adx = Some(10.0)),
        ("−DI not above +DI", |v| v.plus_di = Some(31.0)),
        ("ATR too large", |v| v.atr = Some(3_100.0)),
    ];
    for (what, breaks) in cases {
        assert_eq!(short_with(breaks), None, "{what}");
    }
}

#[test]
fn rsi_rising_is_measured_against_the_previous_candle() {
    // 60 after 59.99 rises; 60 after 60 does not; 60 after 61 falls.
    assert!(two_candles(59.99, LONG_CLOSE, long_values()).is_some());
    assert!(two_candles(60.0, LONG_CLOSE, long_values()).is_none());
    assert!(two_candles(61.0, LONG_CLOSE, long_values()).is_none());
    // The memory follows every closed candle, proposal or not.
    let mut s = tmv();
    let c = candle(0, LONG_CLOSE);
    let at = |rsi| IndicatorValues {
        rsi: Some(rsi),
        ..long_values()
    };
    assert!(s.on_closed(&btc(), &c, &at(55.0)).is_none());
    assert!(s.on_closed(&btc(), &c, &at(60.0)).is_some());
    assert!(s.on_closed(&btc(), &c, &at(59.0)).is_none());
    assert!(s.on_closed(&btc(), &c, &at(59.5)).is_some());
}

#[test]
fn nothing_while_warming_up() {
    let cases: [(&str, Edit); 7] = [
        ("fast EMA", |v| v.ema[1] = None),
        ("slow EMA", |v| v.ema[2] = None),
        ("RSI", |v| v.rsi = None),
        ("ATR", |v| v.atr = None),
        ("ADX", |v| v.adx = None),
        ("+DI", |v| v.plus_di = None),
        ("−DI", |v| v.minus_di = None),
    ];
    for (what, missing) in cases {
        assert_eq!(long_with(missing), None, "{what} missing");
    }
    // Without a previous RSI the first candle cannot be "rising".
    let mut s = tmv();
    assert!(
        s.on_closed(&btc(), &candle(0, LONG_CLOSE), &long_values())
            .is_none()
    );
    assert!(
        s.on_closed(&btc(), &candle(0, LONG_CLOSE), &IndicatorValues::default())
            .is_none()
    );
    // EMA20 is not watched: its absence changes nothing.
    assert!(long_with(|v| v.ema[0] = None).is_some());
}

#[test]
fn a_forming_candle_is_ignored_and_leaves_the_memory_alone() {
    let mut s = tmv();
    let c = candle(0, LONG_CLOSE);
    let forming = Candle {
        closed: false,
        ..c.clone()
    };
    let at = |rsi| IndicatorValues {
        rsi: Some(rsi),
        ..long_values()
    };
    s.on_closed(&btc(), &c, &at(55.0));
    assert!(s.on_closed(&btc(), &forming, &at(65.0)).is_none());
    // Still compared with 55, not with the forming candle's 65.
    assert!(s.on_closed(&btc(), &c, &at(60.0)).is_some());
}

fn cross_values(fast: f64, slow: f64) -> IndicatorValues {
    IndicatorValues {
        ema: [None, Some(fast), Some(slow)],
        atr: Some(2.0),
        ..IndicatorValues::default()
    }
}

#[test]
fn ema_cross_fires_once_on_the_cross_candle() {
    let mut s = EmaCross::new(&StrategyConfig::default(), &IndicatorParams::default()).unwrap();
    assert_eq!(s.name(), "ema_cross");
    let mut step = |t: i64, fast, slow| {
        let (c, v) = (candle(t, "100"), cross_values(fast, slow));
        let mut p = s.on_closed(&btc(), &c, &v)?;
        s.explain(&mut p, &c, &v);
        Some(p)
    };
    assert!(step(0, 99.0, 100.0).is_none(), "no previous candle");
    assert!(step(1, 99.5, 100.0).is_none(), "still below");
    let long = step(2, 100.5, 100.0).expect("cross up");
    assert_eq!(long.side, Side::Buy);
    assert_eq!((long.stop, long.take_profit), (d("97"), d("106")));
    assert_eq!(long.candle_open_ms, 2);
    assert_eq!(long.strategy, "ema_cross");
    let checks: Vec<&str> = long.reasons.iter().map(|r| r.check.as_ref()).collect();
    assert_eq!(checks, ["cross", "atr"]);
    assert!(
        long.reasons[0]
            .detail
            .contains("EMA50 100.5 crossed above EMA200 100")
    );
    assert!(
        step(3, 101.0, 100.0).is_none(),
        "the candle after the cross"
    );
    let short = step(4, 99.0, 100.0).expect("cross down");
    assert_eq!(short.side, Side::Sell);
    assert_eq!((short.stop, short.take_profit), (d("103"), d("94")));
    assert!(step(5, 98.0, 100.0).is_none());
}

#[test]
fn ema_cross_needs_atr_and_both_emas() {
    let mut s = EmaCross::new(&StrategyConfig::default(), &IndicatorParams::default()).unwrap();
    let c = candle(0, "100");
    s.on_closed(&btc(), &c, &cross_values(99.0, 100.0));
    let no_atr = IndicatorValues {
        atr: None,
        ..cross_values(101.0, 100.0)
    };
    assert!(s.on_closed(&btc(), &c, &no_atr).is_none());
    // A gap in the EMAs forgets the previous side: no cross across it.
    let mut s = EmaCross::new(&StrategyConfig::default(), &IndicatorParams::default()).unwrap();
    s.on_closed(&btc(), &c, &cross_values(99.0, 100.0));
    s.on_closed(&btc(), &c, &IndicatorValues::default());
    assert!(
        s.on_closed(&btc(), &c, &cross_values(101.0, 100.0))
            .is_none()
    );
}

#[test]
fn build_knows_both_names_and_lists_them_for_an_unknown_one() {
    let params = IndicatorParams::default();
    for name in STRATEGY_NAMES {
        let config = StrategyConfig {
            name: name.to_string(),
            ..StrategyConfig::default()
        };
        assert_eq!(strategy::build(&config, &params).unwrap().name(), name);
    }
    let config = StrategyConfig {
        name: "martingale".to_string(),
        ..StrategyConfig::default()
    };
    let err = strategy::build(&config, &params).err().unwrap();
    assert_eq!(
        err,
        "unknown strategy \"martingale\"; choose one of: trend_momentum_volatility, ema_cross"
    );
}

#[test]
fn a_period_not_computed_is_named_with_the_key_to_fix() {
    let config = StrategyConfig {
        ema_slow: 100,
        ..StrategyConfig::default()
    };
    let params = IndicatorParams::default();
    for err in [
        TrendMomentumVolatility::new(&config, &params)
            .err()
            .unwrap(),
        EmaCross::new(&config, &params).err().unwrap(),
    ] {
        assert!(err.contains("EMA100"), "{err}");
        assert!(err.contains("indicators.ema_periods"), "{err}");
        assert!(err.contains("strategy.ema_slow"), "{err}");
    }
}

#[test]
fn real_btc_hourly_candles_give_longs_and_shorts_with_stops_on_the_losing_side() {
    let path = cockpit::shared_data::file("klines/BTCUSDT-1h-umfutures.csv")
        .unwrap_or_else(|e| panic!("{e}"));
    let file = cockpit::market::csv::load(&path).unwrap();
    let params = IndicatorParams::default();
    let mut indicators = IndicatorSet::new(&params);
    let mut strategies: [Box<dyn Strategy>; 2] = STRATEGY_NAMES.map(|name| {
        let config = StrategyConfig {
            name: name.to_string(),
            ..StrategyConfig::default()
        };
        strategy::build(&config, &params).unwrap()
    });
    let symbol = btc();
    let mut counts = [[0usize; 2]; 2];
    // Runs of consecutive proposals on the same side count once here.
    let mut episodes = [[0usize; 2]; 2];
    let mut last: [Option<(i64, Side)>; 2] = [None, None];
    // Time spent on candles that proposed nothing (the common, allocation-free path).
    let mut quiet = [(std::time::Duration::ZERO, 0u32); 2];
    for candle in &file.candles {
        let values = *indicators.update(&candle.bar());
        for (k, s) in strategies.iter_mut().enumerate() {
            let started = Instant::now();
            let proposal = s.on_closed(&symbol, candle, &values);
            let took = started.elapsed();
            let Some(p) = proposal else {
                quiet[k].0 += took;
                quiet[k].1 += 1;
                continue;
            };
            assert_eq!(p.candle_open_ms, candle.open_time_ms);
            let side_index = usize::from(p.side == Side::Sell);
            let continues = last[k]
                .is_some_and(|(t, side)| side == p.side && candle.open_time_ms - t == 3_600_000);
            if !continues {
                episodes[k][side_index] += 1;
            }
            last[k] = Some((candle.open_time_ms, p.side));
            assert_eq!(p.entry, candle.close.value());
            match p.side {
                Side::Buy => {
                    assert!(p.stop < p.entry && p.entry < p.take_profit, "{p:?}");
                    counts[k][0] += 1;
                }
                Side::Sell => {
                    assert!(p.take_profit < p.entry && p.entry < p.stop, "{p:?}");
                    counts[k][1] += 1;
                }
            }
            assert!(p.stop > Decimal::ZERO && p.take_profit > Decimal::ZERO);
        }
    }
    let n = file.candles.len();
    for (k, name) in STRATEGY_NAMES.iter().enumerate() {
        println!(
            "{name}: {} longs, {} shorts ({} and {} runs) over {n} hourly candles, \
             {:.0} ns per quiet candle (timer included)",
            counts[k][0],
            counts[k][1],
            episodes[k][0],
            episodes[k][1],
            quiet[k].0.as_nanos() as f64 / f64::from(quiet[k].1.max(1))
        );
    }
    // Six and a half years of hours: a filter that fires on a few percent of
    // candles at most, but does fire in both directions.
    let [longs, shorts] = counts[0];
    assert!((100..=5_000).contains(&longs), "{longs} longs");
    assert!((100..=5_000).contains(&shorts), "{shorts} shorts");
    let [cross_longs, cross_shorts] = counts[1];
    assert!(
        (20..=1_000).contains(&cross_longs),
        "{cross_longs} cross longs"
    );
    assert!(cross_longs.abs_diff(cross_shorts) <= 1, "crosses alternate");
}

/// The engine's shortcut for a proposal the entry gate refuses anyway:
/// `would_propose` must say exactly what `on_closed` says, candle after
/// candle, and leave the strategy in the same state (the next answers agree).
#[test]
fn would_propose_agrees_with_on_closed_on_real_candles() {
    let path = cockpit::shared_data::file("klines/BTCUSDT-1h-umfutures.csv")
        .unwrap_or_else(|e| panic!("{e}"));
    let file = cockpit::market::csv::load(&path).unwrap();
    let params = IndicatorParams::default();
    for name in STRATEGY_NAMES {
        let config = StrategyConfig {
            name: name.to_string(),
            ..StrategyConfig::default()
        };
        let mut building = strategy::build(&config, &params).unwrap();
        let mut asking = strategy::build(&config, &params).unwrap();
        let mut indicators = IndicatorSet::new(&params);
        let symbol = btc();
        let mut proposals = 0;
        for (i, candle) in file.candles.iter().enumerate() {
            let values = *indicators.update(&candle.bar());
            // Alternate which one builds, so both paths feed the same state.
            let (a, b) = if i % 2 == 0 {
                (&mut building, &mut asking)
            } else {
                (&mut asking, &mut building)
            };
            let built = a.on_closed(&symbol, candle, &values).is_some();
            assert_eq!(
                b.would_propose(&symbol, candle, &values),
                built,
                "{name} at {}",
                candle.open_time_ms
            );
            proposals += usize::from(built);
        }
        assert!(proposals > 100, "{name}: {proposals} proposals");
    }
}
