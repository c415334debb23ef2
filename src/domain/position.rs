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
}
