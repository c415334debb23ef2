use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use super::{DomainError, Notional, Price, Qty, Symbol};

/// A tradable contract and the exchange's filters for it (Binance's
/// PRICE_FILTER tickSize, LOT_SIZE stepSize/minQty, MIN_NOTIONAL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instrument {
    pub symbol: Symbol,
    pub tick_size: Price,
    pub step_size: Qty,
    pub min_qty: Qty,
    pub min_notional: Notional,
}

impl Instrument {
    pub fn new(
        symbol: Symbol,
        tick_size: Price,
        step_size: Qty,
        min_qty: Qty,
        min_notional: Notional,
    ) -> Result<Instrument, DomainError> {
        if tick_size.is_zero() {
            return Err(DomainError::NotPositive {
                what: "tick size",
                value: tick_size.to_string(),
            });
        }
        if step_size.is_zero() {
            return Err(DomainError::NotPositive {
                what: "step size",
                value: step_size.to_string(),
            });
        }
        Ok(Instrument {
            symbol,
            tick_size,
            step_size,
            min_qty,
            min_notional,
        })
    }

    /// The nearest multiple of the tick size; a price exactly half-way goes away from zero.
    pub fn round_price(&self, price: Price) -> Price {
        self.price_to_tick(price, RoundingStrategy::MidpointAwayFromZero)
    }

    /// The highest tick at or below `price` (e.g. a long's stop must not move up).
    pub fn round_price_down(&self, price: Price) -> Price {
        self.price_to_tick(price, RoundingStrategy::ToNegativeInfinity)
    }

    /// The lowest tick at or above `price`.
    pub fn round_price_up(&self, price: Price) -> Price {
        self.price_to_tick(price, RoundingStrategy::ToPositiveInfinity)
    }

    /// Quantity rounded DOWN to the step: rounding up would risk more than sized.
    pub fn round_qty_down(&self, qty: Qty) -> Qty {
        let step = self.step_size.value();
        let steps = (qty.value() / step).round_dp_with_strategy(0, RoundingStrategy::ToZero);
        Qty::new((steps * step).normalize()).unwrap_or(Qty::ZERO)
    }

    /// Whether an order of `qty` at `price` passes the exchange's minimums.
    pub fn meets_minimums(&self, qty: Qty, price: Price) -> bool {
        qty >= self.min_qty && !qty.is_zero() && price * qty >= self.min_notional
    }

    fn price_to_tick(&self, price: Price, strategy: RoundingStrategy) -> Price {
        let tick = self.tick_size.value();
        let ticks: Decimal = (price.value() / tick).round_dp_with_strategy(0, strategy);
        Price::new((ticks * tick).normalize()).unwrap_or(Price::ZERO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn btc() -> Instrument {
        Instrument::new(
            Symbol::new("BTCUSDT").unwrap(),
            "0.10".parse().unwrap(),
            "0.001".parse().unwrap(),
            "0.001".parse().unwrap(),
            "10".parse().unwrap(),
        )
        .unwrap()
    }

    fn p(s: &str) -> Price {
        s.parse().unwrap()
    }
    fn q(s: &str) -> Qty {
        s.parse().unwrap()
    }

    #[test]
    fn price_rounds_to_nearest_tick_and_half_goes_up() {
        let i = btc();
        assert_eq!(i.round_price(p("65000.04")), p("65000.0"));
        assert_eq!(i.round_price(p("65000.05")), p("65000.1"));
        assert_eq!(i.round_price(p("65000.06")), p("65000.1"));
        assert_eq!(i.round_price(p("65000.1")), p("65000.1"));
    }

    #[test]
    fn directional_price_rounding_never_crosses_the_input() {
        let i = btc();
        assert_eq!(i.round_price_down(p("65000.19")), p("65000.1"));
        assert_eq!(i.round_price_up(p("65000.11")), p("65000.2"));
        assert_eq!(i.round_price_up(p("65000.1")), p("65000.1"));
    }

    #[test]
    fn quantity_rounds_down_never_up() {
        let i = btc();
        assert_eq!(i.round_qty_down(q("0.0019999")), q("0.001"));
        assert_eq!(i.round_qty_down(q("0.002")), q("0.002"));
        assert_eq!(i.round_qty_down(q("0.0009")), Qty::ZERO);
        assert_eq!(i.round_qty_down(q("12.3456789")), q("12.345"));
    }

    #[test]
    fn odd_steps_like_five_units_round_down_to_multiples() {
        let mut i = btc();
        i.step_size = q("5");
        assert_eq!(i.round_qty_down(q("14.99")), q("10"));
        i.tick_size = p("0.25");
        assert_eq!(i.round_price(p("1.12")), p("1"));
        assert_eq!(i.round_price(p("1.13")), p("1.25"));
    }

    #[test]
    fn minimums_check_both_quantity_and_notional() {
        let i = btc();
        assert!(!i.meets_minimums(q("0.0001"), p("65000")));
        assert!(!i.meets_minimums(q("0.001"), p("9000")));
        assert!(i.meets_minimums(q("0.001"), p("10000")));
        assert!(!i.meets_minimums(Qty::ZERO, p("1")));
    }

    #[test]
    fn zero_tick_or_step_is_refused() {
        let e = Instrument::new(
            Symbol::new("X1").unwrap(),
            Price::ZERO,
            q("1"),
            q("1"),
            Notional::ZERO,
        );
        assert!(e.is_err());
    }

    proptest! {
        #[test]
        fn rounded_qty_is_a_step_multiple_not_above_input(raw in 0u64..10_000_000_000u64) {
            let i = btc();
            let qty = Qty::new(Decimal::new(raw as i64, 7)).unwrap();
            let r = i.round_qty_down(qty);
            prop_assert!(r <= qty);
            prop_assert!(qty.value() - r.value() < i.step_size.value());
            prop_assert!((r.value() % i.step_size.value()).is_zero());
        }

        #[test]
        fn rounded_price_is_within_half_a_tick(raw in 1u64..10_000_000_000u64) {
            let i = btc();
            let price = Price::new(Decimal::new(raw as i64, 4)).unwrap();
            let r = i.round_price(price);
            prop_assert!((r - price).abs() <= i.tick_size.value() / Decimal::TWO);
            prop_assert!((r.value() % i.tick_size.value()).is_zero());
        }
    }
}
