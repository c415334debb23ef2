//! Contract filters for the paper exchange and the demo market. Live trading
//! reads them from Binance's exchangeInfo instead.

use rust_decimal::Decimal;

use crate::domain::{Instrument, Notional, Price, Qty, Symbol};

/// Binance USD-M filters for the majors (as of 2026); other symbols get a
/// fine grid that any price accepts.
pub fn paper_instrument(symbol: &Symbol) -> Instrument {
    // (mantissa, scale): built without parsing, the paper exchange asks per fill.
    let (tick, step, min_qty, min_notional) = match symbol.as_str() {
        "BTCUSDT" => ((1, 1), (1, 3), (1, 3), (100, 0)),
        "ETHUSDT" => ((1, 2), (1, 3), (1, 3), (20, 0)),
        "SOLUSDT" => ((1, 2), (1, 2), (1, 2), (5, 0)),
        _ => ((1, 4), (1, 3), (1, 3), (5, 0)),
    };
    let d = |(m, scale): (i64, u32)| Decimal::new(m, scale);
    Instrument::new(
        symbol.clone(),
        Price::new(d(tick)).unwrap_or(Price::ZERO),
        Qty::new(d(step)).unwrap_or(Qty::ZERO),
        Qty::new(d(min_qty)).unwrap_or(Qty::ZERO),
        Notional::new(d(min_notional)).unwrap_or(Notional::ZERO),
    )
    .unwrap_or_else(|_| unreachable!("the table's tick and step sizes are positive"))
}
