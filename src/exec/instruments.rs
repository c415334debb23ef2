//! Contract filters for the paper exchange and the demo market. Live trading
//! reads them from Binance's exchangeInfo instead.

use crate::domain::{Instrument, Notional, Price, Qty, Symbol};

/// Binance USD-M filters for the majors (as of 2026); other symbols get a
/// fine grid that any price accepts.
pub fn paper_instrument(symbol: &Symbol) -> Instrument {
    let (tick, step, min_qty, min_notional) = match symbol.as_str() {
        "BTCUSDT" => ("0.1", "0.001", "0.001", "100"),
        "ETHUSDT" => ("0.01", "0.001", "0.001", "20"),
        "SOLUSDT" => ("0.01", "0.01", "0.01", "5"),
        _ => ("0.0001", "0.001", "0.001", "5"),
    };
    let parse_p = |s: &str| s.parse::<Price>().unwrap_or(Price::ZERO);
    let parse_q = |s: &str| s.parse::<Qty>().unwrap_or(Qty::ZERO);
    let parse_n = |s: &str| s.parse::<Notional>().unwrap_or(Notional::ZERO);
    Instrument::new(
        symbol.clone(),
        parse_p(tick),
        parse_q(step),
        parse_q(min_qty),
        parse_n(min_notional),
    )
    .unwrap_or_else(|_| unreachable!("the table's tick and step sizes are positive"))
}
