//! Position sizing: risk fraction × TOTAL equity ÷ stop distance.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::{Instrument, Price, Qty, Side};

use super::Refusal;

/// A proposal's price levels on the instrument's tick grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Levels {
    pub entry: Price,
    pub stop: Price,
    pub take_profit: Price,
}

/// Rounds `entry` to the nearest tick; the stop AWAY from the entry (long:
/// down, short: up) so rounding never shrinks the stop distance; the
/// take-profit TOWARD the entry (long: down, short: up). Refuses
/// `StopOnWrongSide` / `TakeProfitOnWrongSide` (before rounding, and also when
/// equal to the entry after rounding) and `InvalidPrice` for negative inputs,
/// a non-positive entry, or a level that rounds to zero.
pub fn round_levels(
    side: Side,
    entry: Decimal,
    stop: Decimal,
    take_profit: Decimal,
    instrument: &Instrument,
) -> Result<Levels, Refusal> {
    if entry <= Decimal::ZERO {
        return Err(Refusal::InvalidPrice(format!(
            "entry {entry} must be positive"
        )));
    }
    let tick = instrument.tick_size.value();
    let price = |what: &str, value: Decimal| -> Result<Price, Refusal> {
        // `Instrument` divides by the tick and may round up by one: refuse
        // what would overflow there instead of panicking.
        if value.checked_div(tick).is_none() || value.checked_add(tick).is_none() {
            return Err(Refusal::InvalidPrice(format!(
                "{what} {value} cannot be put on the tick grid {tick}"
            )));
        }
        Price::new(value).map_err(|_| Refusal::InvalidPrice(format!("{what} {value} is negative")))
    };
    let (entry_p, stop_p, take_profit_p) = (
        price("entry", entry)?,
        price("stop", stop)?,
        price("take-profit", take_profit)?,
    );
    // +1 when a higher price is a win for this side.
    let up_wins = side == Side::Buy;
    // Checked before rounding too: rounding can carry a stop that is on the
    // wrong side by less than a tick over to the right one.
    let wrong_stop = |e: Decimal, s: Decimal| if up_wins { s >= e } else { s <= e };
    let wrong_take_profit = |e: Decimal, t: Decimal| if up_wins { t <= e } else { t >= e };
    if wrong_stop(entry, stop) {
        return Err(Refusal::StopOnWrongSide { entry, stop });
    }
    if wrong_take_profit(entry, take_profit) {
        return Err(Refusal::TakeProfitOnWrongSide { entry, take_profit });
    }

    let entry_r = instrument.round_price(entry_p);
    let (stop_r, take_profit_r) = if up_wins {
        (
            instrument.round_price_down(stop_p),
            instrument.round_price_down(take_profit_p),
        )
    } else {
        (
            instrument.round_price_up(stop_p),
            instrument.round_price_up(take_profit_p),
        )
    };
    if entry_r.is_zero() {
        return Err(Refusal::InvalidPrice(format!(
            "entry {entry} rounds to 0 on the tick grid {tick}"
        )));
    }
    if wrong_stop(entry_r.value(), stop_r.value()) {
        return Err(Refusal::StopOnWrongSide {
            entry: entry_r.value(),
            stop: stop_r.value(),
        });
    }
    if wrong_take_profit(entry_r.value(), take_profit_r.value()) {
        return Err(Refusal::TakeProfitOnWrongSide {
            entry: entry_r.value(),
            take_profit: take_profit_r.value(),
        });
    }
    // A trigger at 0 is not an order the exchange takes.
    for (what, level) in [("stop", stop_r), ("take-profit", take_profit_r)] {
        if level.is_zero() {
            return Err(Refusal::InvalidPrice(format!(
                "{what} rounds to 0 on the tick grid {tick}"
            )));
        }
    }
    Ok(Levels {
        entry: entry_r,
        stop: stop_r,
        take_profit: take_profit_r,
    })
}

#[derive(Debug, Clone, Copy)]
pub struct SizeInputs<'a> {
    /// TOTAL equity: wallet balance + unrealized PnL (not free balance).
    pub equity: Decimal,
    pub risk_fraction: Decimal,
    pub side: Side,
    pub levels: Levels,
    pub instrument: &'a Instrument,
    pub max_leverage: Decimal,
    pub max_notional: Decimal,
}

/// What capped the size below the risk-based quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cap {
    Leverage,
    MaxNotional,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sized {
    pub qty: Qty,
    /// qty × entry.
    pub notional: Decimal,
    /// qty × |entry − stop|: what the stop costs (before fees and slippage).
    pub risk_amount: Decimal,
    pub capped_by: Option<Cap>,
}

/// qty = risk_fraction × equity ÷ |entry − stop|, then capped so that
/// qty × entry ≤ max_leverage × equity and ≤ max_notional, rounded DOWN to the
/// step; refused below min qty / min notional, for non-positive equity, and
/// when the stop is not on the losing side. Every operation is checked: an
/// overflow is an `InvalidPrice` refusal, never a panic.
pub fn size_entry(inputs: &SizeInputs) -> Result<Sized, Refusal> {
    let i = inputs;
    let Levels { entry, stop, .. } = i.levels;
    let (entry, stop) = (entry.value(), stop.value());
    if i.equity <= Decimal::ZERO {
        return Err(Refusal::NonPositiveEquity { equity: i.equity });
    }
    for (what, value) in [
        ("risk fraction", i.risk_fraction),
        ("max leverage", i.max_leverage),
        ("max notional", i.max_notional),
        ("entry", entry),
    ] {
        if value <= Decimal::ZERO {
            return Err(Refusal::InvalidPrice(format!(
                "{what} {value} must be positive"
            )));
        }
    }
    let distance = match i.side {
        Side::Buy => entry - stop,
        Side::Sell => stop - entry,
    };
    if distance <= Decimal::ZERO {
        return Err(Refusal::StopOnWrongSide { entry, stop });
    }

    let budget = checked(i.risk_fraction.checked_mul(i.equity), "risk budget")?;
    // A quotient too large for a Decimal is a size the caps below cut down anyway.
    let by_risk = budget.checked_div(distance).unwrap_or(Decimal::MAX);
    let leverage_notional = checked(i.max_leverage.checked_mul(i.equity), "leverage cap")?;
    let by_leverage = checked(leverage_notional.checked_div(entry), "leverage cap")?;
    let by_notional = checked(i.max_notional.checked_div(entry), "notional cap")?;

    let mut qty = by_risk;
    let mut capped_by = None;
    for (cap, limit) in [
        (Cap::Leverage, by_leverage),
        (Cap::MaxNotional, by_notional),
    ] {
        if limit < qty {
            qty = limit;
            capped_by = Some(cap);
        }
    }

    let step = i.instrument.step_size.value();
    // `Instrument::round_qty_down` divides by the step: refuse what would overflow there.
    checked(qty.checked_div(step), "quantity in steps")?;
    let qty = Qty::new(qty).map_err(|e| Refusal::InvalidPrice(e.to_string()))?;
    let mut qty = i.instrument.round_qty_down(qty).value();
    // Decimal division rounds its 28th digit to nearest, so the quotient can
    // sit a hair above the exact one; if that carried it onto the next step,
    // the step back restores "never more than the budget or the caps".
    let within = |q: Decimal| -> Result<bool, Refusal> {
        let risk = checked(q.checked_mul(distance), "risk amount")?;
        let notional = checked(q.checked_mul(entry), "notional")?;
        Ok(risk <= budget && notional <= leverage_notional && notional <= i.max_notional)
    };
    if qty > Decimal::ZERO && !within(qty)? {
        qty -= step;
    }

    if qty <= Decimal::ZERO || qty < i.instrument.min_qty.value() {
        return Err(Refusal::BelowMinQty {
            qty: qty.max(Decimal::ZERO),
            min: i.instrument.min_qty.value(),
        });
    }
    let notional = checked(qty.checked_mul(entry), "notional")?;
    if notional < i.instrument.min_notional.value() {
        return Err(Refusal::BelowMinNotional {
            notional,
            min: i.instrument.min_notional.value(),
        });
    }
    let risk_amount = checked(qty.checked_mul(distance), "risk amount")?;
    Ok(Sized {
        qty: Qty::new(qty).map_err(|e| Refusal::InvalidPrice(e.to_string()))?,
        notional,
        risk_amount,
        capped_by,
    })
}

/// An overflowed step of the sizing arithmetic, as a refusal naming it.
fn checked(value: Option<Decimal>, what: &str) -> Result<Decimal, Refusal> {
    value.ok_or_else(|| Refusal::InvalidPrice(format!("{what} overflows a decimal")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Symbol;

    fn d(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap()
    }

    fn p(s: &str) -> Price {
        s.parse().unwrap()
    }

    /// Binance's BTCUSDT perpetual filters.
    fn btc() -> Instrument {
        Instrument::new(
            Symbol::new("BTCUSDT").unwrap(),
            p("0.1"),
            "0.001".parse().unwrap(),
            "0.001".parse().unwrap(),
            "100".parse().unwrap(),
        )
        .unwrap()
    }

    fn levels(entry: &str, stop: &str) -> Levels {
        Levels {
            entry: p(entry),
            stop: p(stop),
            take_profit: p(entry),
        }
    }

    fn inputs<'a>(i: &'a Instrument, side: Side, equity: &str, lv: Levels) -> SizeInputs<'a> {
        SizeInputs {
            equity: d(equity),
            risk_fraction: d("0.01"),
            side,
            levels: lv,
            instrument: i,
            max_leverage: d("3"),
            max_notional: d("50000"),
        }
    }

    #[test]
    fn long_levels_round_stop_away_and_take_profit_toward_the_entry() {
        let l = round_levels(
            Side::Buy,
            d("61300.04"),
            d("61150.06"),
            d("61750.09"),
            &btc(),
        )
        .unwrap();
        assert_eq!(
            (l.entry, l.stop, l.take_profit),
            (p("61300"), p("61150"), p("61750"))
        );
    }

    #[test]
    fn short_levels_round_stop_away_and_take_profit_toward_the_entry() {
        let l = round_levels(
            Side::Sell,
            d("61300.05"),
            d("61450.01"),
            d("60850.01"),
            &btc(),
        )
        .unwrap();
        assert_eq!(
            (l.entry, l.stop, l.take_profit),
            (p("61300.1"), p("61450.1"), p("60850.1"))
        );
    }

    #[test]
    fn levels_on_the_wrong_side_are_refused() {
        let i = btc();
        let e = round_levels(Side::Buy, d("100"), d("101"), d("110"), &i).unwrap_err();
        assert!(matches!(e, Refusal::StopOnWrongSide { .. }), "{e}");
        let e = round_levels(Side::Buy, d("100"), d("90"), d("99"), &i).unwrap_err();
        assert!(matches!(e, Refusal::TakeProfitOnWrongSide { .. }), "{e}");
        let e = round_levels(Side::Sell, d("100"), d("99"), d("90"), &i).unwrap_err();
        assert!(matches!(e, Refusal::StopOnWrongSide { .. }), "{e}");
        let e = round_levels(Side::Sell, d("100"), d("110"), d("100"), &i).unwrap_err();
        assert!(matches!(e, Refusal::TakeProfitOnWrongSide { .. }), "{e}");
        // Right side by less than a tick before rounding, nowhere after it.
        let e = round_levels(Side::Buy, d("100.04"), d("100.02"), d("110"), &i).unwrap_err();
        assert_eq!(
            e,
            Refusal::StopOnWrongSide {
                entry: d("100"),
                stop: d("100")
            }
        );
        let e = round_levels(Side::Buy, d("100.04"), d("90"), d("100.08"), &i).unwrap_err();
        assert!(matches!(e, Refusal::TakeProfitOnWrongSide { .. }), "{e}");
        // Wrong side before rounding even though rounding would hide it.
        let e = round_levels(Side::Buy, d("100.06"), d("100.07"), d("110"), &i).unwrap_err();
        assert_eq!(
            e,
            Refusal::StopOnWrongSide {
                entry: d("100.06"),
                stop: d("100.07")
            }
        );
    }

    #[test]
    fn negative_zero_and_huge_prices_are_invalid() {
        let i = btc();
        for (e, s, t) in [
            ("-100", "-110", "-90"),
            ("100", "-1", "110"),
            ("0", "0", "0"),
            ("0.01", "0.001", "0.02"),
        ] {
            let r = round_levels(Side::Buy, d(e), d(s), d(t), &i);
            assert!(
                matches!(r, Err(Refusal::InvalidPrice(_))),
                "{e} {s} {t}: {r:?}"
            );
        }
        let mut tiny = btc();
        tiny.tick_size = p("0.0000000000000000000000001");
        let r = round_levels(
            Side::Sell,
            Decimal::MAX / d("2"),
            Decimal::MAX,
            d("1"),
            &tiny,
        );
        assert!(matches!(r, Err(Refusal::InvalidPrice(_))), "{r:?}");
    }

    #[test]
    fn sizes_one_percent_of_equity_over_the_stop_distance() {
        let i = btc();
        // 100 USDT ÷ 600 = 0.1666… → 0.166 BTC.
        let s = size_entry(&inputs(&i, Side::Buy, "10000", levels("60000", "59400"))).unwrap();
        assert_eq!(s.qty.value(), d("0.166"));
        assert_eq!(s.notional, d("9960"));
        assert_eq!(s.risk_amount, d("99.6"));
        assert_eq!(s.capped_by, None);
        let s = size_entry(&inputs(&i, Side::Sell, "10000", levels("60000", "60600"))).unwrap();
        assert_eq!(s.qty.value(), d("0.166"));
    }

    #[test]
    fn leverage_and_max_notional_cap_the_size() {
        let i = btc();
        // 100 ÷ 60 = 1.67 BTC = 100k USDT; 3× of 10k equity allows 30k = 0.5 BTC.
        let s = size_entry(&inputs(&i, Side::Buy, "10000", levels("60000", "59940"))).unwrap();
        assert_eq!(s.qty.value(), d("0.5"));
        assert_eq!(s.capped_by, Some(Cap::Leverage));
        assert_eq!(s.risk_amount, d("30"));
        let mut inp = inputs(&i, Side::Buy, "10000", levels("60000", "59940"));
        inp.max_notional = d("20000");
        let s = size_entry(&inp).unwrap();
        assert_eq!(s.qty.value(), d("0.333"));
        assert_eq!(s.capped_by, Some(Cap::MaxNotional));
    }

    #[test]
    fn refusals_name_what_is_wrong() {
        let i = btc();
        let e = size_entry(&inputs(&i, Side::Buy, "0", levels("60000", "59400"))).unwrap_err();
        assert_eq!(e, Refusal::NonPositiveEquity { equity: d("0") });
        let e = size_entry(&inputs(&i, Side::Buy, "10000", levels("60000", "60000"))).unwrap_err();
        assert!(matches!(e, Refusal::StopOnWrongSide { .. }), "{e}");
        let e = size_entry(&inputs(&i, Side::Sell, "10000", levels("60000", "59400"))).unwrap_err();
        assert!(matches!(e, Refusal::StopOnWrongSide { .. }), "{e}");
        // 0.1 USDT ÷ 600 = 0.00017 BTC: below one step.
        let e = size_entry(&inputs(&i, Side::Buy, "10", levels("60000", "59400"))).unwrap_err();
        assert_eq!(
            e,
            Refusal::BelowMinQty {
                qty: d("0"),
                min: d("0.001")
            }
        );
        // 1 USDT ÷ 600 → 0.001 BTC = 60 USDT, below the 100 USDT minimum.
        let e = size_entry(&inputs(&i, Side::Buy, "100", levels("60000", "59400"))).unwrap_err();
        assert_eq!(
            e,
            Refusal::BelowMinNotional {
                notional: d("60"),
                min: d("100")
            }
        );
        let mut inp = inputs(&i, Side::Buy, "10000", levels("60000", "59400"));
        inp.risk_fraction = d("0");
        assert!(matches!(size_entry(&inp), Err(Refusal::InvalidPrice(_))));
    }

    #[test]
    fn overflow_is_a_refusal_not_a_panic() {
        let i = btc();
        let mut inp = inputs(&i, Side::Buy, "1", levels("60000", "59400"));
        inp.equity = Decimal::MAX;
        let e = size_entry(&inp).unwrap_err();
        assert!(
            matches!(e, Refusal::InvalidPrice(ref m) if m.contains("overflows")),
            "{e}"
        );
        // A stop distance so small the risk quantity overflows: the caps decide.
        let mut fine = btc();
        fine.tick_size = p("0.0000000000000000000000001");
        fine.step_size = "1".parse().unwrap();
        let lv = levels("1", "0.9999999999999999999999999");
        let mut inp = inputs(&fine, Side::Buy, "1000000", lv);
        inp.risk_fraction = d("0.05");
        let s = size_entry(&inp).unwrap();
        assert_eq!(s.qty.value(), d("50000"));
        assert_eq!(s.capped_by, Some(Cap::MaxNotional));
    }
}
