//! `trades.csv`: one row per closed trade, times both readable (UTC) and in ms.

use std::fmt::Write;

use crate::domain::Side;
use crate::domain::time::format_utc;
use crate::journal::TradeRecord;

pub const HEADER: &str = "symbol,side,entry_time,entry_time_ms,entry_price,qty,stop_price,\
take_profit_price,exit_time,exit_time_ms,exit_price,exit_reason,pnl,fees,funding,\
equity_before,risk_fraction,ai,decision_id";

/// `2024-02-29T12:34:56Z`.
fn iso(ms: i64) -> String {
    format!("{}Z", format_utc(ms).replacen(' ', "T", 1))
}

/// Quoted when it holds a comma, a quote or a line break.
fn field(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\"")).into()
    } else {
        text.into()
    }
}

pub fn render(trades: &[TradeRecord]) -> String {
    let mut out = String::with_capacity(200 * (trades.len() + 1));
    out.push_str(HEADER);
    out.push('\n');
    for t in trades {
        let side = match t.side {
            Side::Buy => "long",
            Side::Sell => "short",
        };
        let _ = writeln!(
            out,
            "{},{side},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            field(&t.symbol.to_string()),
            iso(t.entry_time_ms),
            t.entry_time_ms,
            t.entry_price,
            t.qty,
            t.stop_price,
            t.take_profit_price,
            iso(t.exit_time_ms),
            t.exit_time_ms,
            t.exit_price,
            field(&t.exit_reason),
            t.pnl,
            t.fees,
            t.funding,
            t.equity_before,
            t.risk_fraction,
            field(&t.ai),
            field(&t.decision_id),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_iso_utc_and_odd_text_is_quoted() {
        assert_eq!(iso(1_709_210_096_000), "2024-02-29T12:34:56Z");
        assert_eq!(field("stop"), "stop");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"no\""), "\"say \"\"no\"\"\"");
        assert_eq!(HEADER.split(',').count(), 19);
    }
}
