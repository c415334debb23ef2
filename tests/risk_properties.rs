//! Sizing and level rounding hold their promises for any account, price and
//! exchange filters: never more risk than the budget, never more notional than
//! the caps, quantities on the step grid, stops strictly on the losing side.

use cockpit::domain::{Instrument, Price, Qty, Side, Symbol};
use cockpit::risk::{Refusal, SizeInputs, round_levels, size_entry};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// 10^exp for exp in -28..=28.
fn pow10(exp: i32) -> Decimal {
    if exp >= 0 {
        Decimal::from(10u64.pow(exp as u32))
    } else {
        Decimal::new(1, (-exp) as u32)
    }
}

/// The number of integer digits minus one: 61234.5 → 4, 0.0123 → −2.
fn magnitude(x: Decimal) -> i32 {
    let mut m = 0;
    let mut v = x;
    while v >= Decimal::TEN {
        v /= Decimal::TEN;
        m += 1;
    }
    while v < Decimal::ONE {
        v *= Decimal::TEN;
        m -= 1;
    }
    m
}

#[derive(Debug, Clone)]
struct Case {
    side: Side,
    equity: Decimal,
    fraction: Decimal,
    entry: Decimal,
    /// Stop distance as a fraction of the entry.
    stop_pct: Decimal,
    /// Tick = tick_mantissa × 10^(magnitude(entry) − tick_digits).
    tick_mantissa: i64,
    tick_digits: i32,
    /// Step = step_mantissa × 10^step_exp.
    step_mantissa: i64,
    step_exp: i32,
    min_qty_steps: i64,
    min_notional: Decimal,
    max_leverage: Decimal,
    max_notional: Decimal,
}

fn case() -> impl Strategy<Value = Case> {
    (
        (
            prop_oneof![Just(Side::Buy), Just(Side::Sell)],
            // 100.00 .. 10,000,000.00 USDT
            10_000i64..=1_000_000_000,
            // 0.001 .. 0.05
            10i64..=500,
            // 0.01 .. 200,000 with four decimals
            100i64..=2_000_000_000,
            // 0.05% .. 20% of the entry
            5i64..=2_000,
        ),
        (
            prop_oneof![Just(1i64), Just(5), Just(25)],
            3i32..=7,
            prop_oneof![Just(1i64), Just(5)],
            -6i32..=2,
            1i64..=3,
            prop_oneof![Just(0i64), Just(5), Just(100)],
            1i64..=20,
            1_000i64..=2_000_000,
        ),
    )
        .prop_map(
            |(
                (side, equity, fraction, entry, stop_pct),
                (tm, td, sm, se, min_steps, min_notional, lev, max_notional),
            )| Case {
                side,
                equity: Decimal::new(equity, 2),
                fraction: Decimal::new(fraction, 4),
                entry: Decimal::new(entry, 4),
                stop_pct: Decimal::new(stop_pct, 4),
                tick_mantissa: tm,
                tick_digits: td,
                step_mantissa: sm,
                step_exp: se,
                min_qty_steps: min_steps,
                min_notional: Decimal::from(min_notional),
                max_leverage: Decimal::from(lev),
                max_notional: Decimal::from(max_notional),
            },
        )
}

impl Case {
    fn instrument(&self) -> Instrument {
        let tick =
            Decimal::from(self.tick_mantissa) * pow10(magnitude(self.entry) - self.tick_digits);
        let step = Decimal::from(self.step_mantissa) * pow10(self.step_exp);
        Instrument::new(
            Symbol::new("TESTUSDT").unwrap(),
            Price::new(tick.normalize()).unwrap(),
            Qty::new(step.normalize()).unwrap(),
            Qty::new(step * Decimal::from(self.min_qty_steps)).unwrap(),
            self.min_notional.try_into().unwrap(),
        )
        .unwrap()
    }

    /// Raw (unrounded) stop and take-profit, the take-profit twice as far.
    fn raw_levels(&self) -> (Decimal, Decimal) {
        let d = self.entry * self.stop_pct;
        match self.side {
            Side::Buy => (self.entry - d, self.entry + d * Decimal::TWO),
            Side::Sell => (self.entry + d, self.entry - d * Decimal::TWO),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// (c) after rounding, the stop is strictly on the losing side, the take-profit
    /// strictly on the winning side, all three on the tick grid, and the stop
    /// never moved toward the entry.
    #[test]
    fn rounded_levels_are_on_the_grid_and_the_right_sides(c in case()) {
        let inst = c.instrument();
        let tick = inst.tick_size.value();
        let (stop, tp) = c.raw_levels();
        match round_levels(c.side, c.entry, stop, tp, &inst) {
            Ok(l) => {
                let (e, s, t) = (l.entry.value(), l.stop.value(), l.take_profit.value());
                for v in [e, s, t] {
                    prop_assert!((v % tick).is_zero(), "{v} off the grid {tick}");
                    prop_assert!(v > Decimal::ZERO);
                }
                prop_assert!((e - c.entry).abs() * Decimal::TWO <= tick);
                match c.side {
                    Side::Buy => {
                        prop_assert!(s < e && e < t, "{s} {e} {t}");
                        prop_assert!(s <= stop && t <= tp);
                    }
                    Side::Sell => {
                        prop_assert!(t < e && e < s, "{t} {e} {s}");
                        prop_assert!(s >= stop && t >= tp);
                    }
                }
            }
            // Only a stop or take-profit within a tick of the entry is refused.
            Err(Refusal::StopOnWrongSide { .. }) => {
                prop_assert!((stop - c.entry).abs() < tick * Decimal::TWO);
            }
            Err(Refusal::TakeProfitOnWrongSide { .. }) => {
                prop_assert!((tp - c.entry).abs() < tick * Decimal::TWO);
            }
            Err(other) => prop_assert!(false, "unexpected refusal {other}"),
        }
    }

    /// (a) risk within the budget and within one step of it unless capped,
    /// (b) qty on the step grid, (d) notional within both caps.
    #[test]
    fn sized_entries_keep_the_budget_the_grid_and_the_caps(c in case()) {
        let inst = c.instrument();
        let (stop, tp) = c.raw_levels();
        let Ok(levels) = round_levels(c.side, c.entry, stop, tp, &inst) else {
            return Ok(());
        };
        let inputs = SizeInputs {
            equity: c.equity,
            risk_fraction: c.fraction,
            side: c.side,
            levels,
            instrument: &inst,
            max_leverage: c.max_leverage,
            max_notional: c.max_notional,
        };
        let entry = levels.entry.value();
        let distance = (entry - levels.stop.value()).abs();
        let step = inst.step_size.value();
        let budget = c.fraction * c.equity;
        match size_entry(&inputs) {
            Ok(s) => {
                let qty = s.qty.value();
                prop_assert!(qty > Decimal::ZERO && qty >= inst.min_qty.value());
                prop_assert!((qty % step).is_zero(), "{qty} is not a multiple of {step}");
                prop_assert_eq!(s.risk_amount, qty * distance);
                prop_assert_eq!(s.notional, qty * entry);
                prop_assert!(s.risk_amount <= budget, "{} > {budget}", s.risk_amount);
                prop_assert!(s.notional <= c.max_leverage * c.equity);
                prop_assert!(s.notional <= c.max_notional);
                prop_assert!(s.notional >= inst.min_notional.value());
                match s.capped_by {
                    None => prop_assert!(
                        s.risk_amount > budget - step * distance,
                        "{} not within a step of {budget}", s.risk_amount
                    ),
                    Some(_) => {
                        let cap = (c.max_leverage * c.equity).min(c.max_notional);
                        // Capped means the cap, not the rounding, bound it.
                        prop_assert!(s.notional > cap - step * entry);
                    }
                }
            }
            Err(Refusal::BelowMinQty { qty, min }) => {
                prop_assert!(qty < min || qty.is_zero());
            }
            Err(Refusal::BelowMinNotional { notional, min }) => {
                prop_assert!(notional < min);
            }
            Err(other) => prop_assert!(false, "unexpected refusal {other}"),
        }
    }
}

/// The generator must mostly produce sizable trades, or the properties above
/// would hold vacuously.
#[test]
fn most_generated_cases_are_sized() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = case();
    let (mut sized, mut total) = (0, 0);
    for _ in 0..2000 {
        let c = strategy.new_tree(&mut runner).unwrap().current();
        let inst = c.instrument();
        let (stop, tp) = c.raw_levels();
        total += 1;
        if let Ok(levels) = round_levels(c.side, c.entry, stop, tp, &inst) {
            let inputs = SizeInputs {
                equity: c.equity,
                risk_fraction: c.fraction,
                side: c.side,
                levels,
                instrument: &inst,
                max_leverage: c.max_leverage,
                max_notional: c.max_notional,
            };
            sized += usize::from(size_entry(&inputs).is_ok());
        }
    }
    println!("{sized} of {total} generated cases were sized");
    assert!(sized * 2 > total, "only {sized} of {total} sized");
}
