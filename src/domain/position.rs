//! An open position in one-way mode: one side per symbol.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Price, Qty, Side, Symbol};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub symbol: Symbol,
    pub side: Side,
    pub qty: Qty,
    /// Average entry price.
    pub entry_price: Price,
    pub opened_at_ms: i64,
}

impl Position {
    /// Signed profit if closed at `mark`, before fees.
    pub fn unrealized_pnl(&self, mark: Price) -> Decimal {
        let per_unit = mark - self.entry_price;
        per_unit * self.qty.value() * Decimal::from(self.side.sign())
    }

    /// Isolated-margin liquidation price before tick rounding:
    /// long = entry × (1 − 1/leverage + maintenance margin),
    /// short = entry × (1 + 1/leverage − maintenance margin). None when the
    /// leverage makes it meaningless (≤ 0, or a long whose margin covers a
    /// fall to zero) or the arithmetic would overflow.
    pub fn isolated_liquidation_price(
        &self,
        leverage: Decimal,
        maintenance_margin: Decimal,
    ) -> Option<Price> {
        if leverage <= Decimal::ZERO {
            return None;
        }
        let inverse = Decimal::ONE.checked_div(leverage)?;
        let factor = match self.side {
            Side::Buy => Decimal::ONE - inverse + maintenance_margin,
            Side::Sell => Decimal::ONE + inverse - maintenance_margin,
        };
        if factor <= Decimal::ZERO {
            return None;
        }
        Price::new(self.entry_price.value().checked_mul(factor)?).ok()
    }

    /// Notional at `mark`.
    pub fn notional(&self, mark: Price) -> Decimal {
        mark.value() * self.qty.value()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_gains_when_the_price_falls() {
        let p = Position {
            symbol: Symbol::new("BTCUSDT").unwrap(),
            side: Side::Sell,
            qty: "0.5".parse().unwrap(),
            entry_price: "100".parse().unwrap(),
            opened_at_ms: 0,
        };
        assert_eq!(p.unrealized_pnl("90".parse().unwrap()), Decimal::from(5));
        assert_eq!(p.unrealized_pnl("110".parse().unwrap()), Decimal::from(-5));
    }

    #[test]
    fn isolated_liquidation_is_one_over_leverage_away_less_the_maintenance_margin() {
        let mut p = Position {
            symbol: Symbol::new("BTCUSDT").unwrap(),
            side: Side::Buy,
            qty: "1".parse().unwrap(),
            entry_price: "100".parse().unwrap(),
            opened_at_ms: 0,
        };
        let mm = Decimal::new(4, 3);
        assert_eq!(
            p.isolated_liquidation_price(Decimal::from(5), mm),
            Some("80.4".parse().unwrap())
        );
        p.side = Side::Sell;
        assert_eq!(
            p.isolated_liquidation_price(Decimal::from(5), mm),
            Some("119.6".parse().unwrap())
        );
        assert_eq!(p.isolated_liquidation_price(Decimal::ZERO, mm), None);
    }
}
