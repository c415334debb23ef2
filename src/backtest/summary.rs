//! The readable summary `cockpit backtest` prints without `--json`.

use std::fmt::Write;

use rust_decimal::Decimal;

use crate::domain::time::format_utc;

use super::run::BacktestResult;

fn pct(v: Option<f64>) -> String {
    v.map_or("—".into(), |x| format!("{:.2} %", x * 100.0))
}

fn num(v: Option<f64>) -> String {
    v.map_or("—".into(), |x| format!("{x:.2}"))
}

fn usdt(v: Option<Decimal>) -> String {
    v.map_or("—".into(), |x| format!("{} USDT", x.round_dp(2)))
}

fn duration(ms: i64) -> String {
    let hours = ms / 3_600_000;
    if hours >= 48 {
        format!("{} days", hours / 24)
    } else {
        format!("{hours} h")
    }
}

/// Two columns, one figure per line.
pub fn render(result: &BacktestResult) -> String {
    let m = &result.metrics;
    let symbols: Vec<String> = result.symbols.iter().map(|s| s.to_string()).collect();
    let period = match (m.first_ms, m.last_ms) {
        (Some(f), Some(l)) => format!("{} → {}", format_utc(f), format_utc(l)),
        _ => "—".into(),
    };
    let rate = if result.elapsed_ms > 0 {
        format!(
            "{:.1} M candles/s",
            result.bars as f64 / result.elapsed_ms as f64 / 1000.0
        )
    } else {
        "—".into()
    };
    let rows: Vec<(&str, String)> = vec![
        (
            "symbols",
            format!("{} ({})", symbols.join(", "), result.interval),
        ),
        ("period", period),
        (
            "candles",
            format!("{} in {} ms ({rate})", result.bars, result.elapsed_ms),
        ),
        ("", String::new()),
        ("start equity", usdt(Some(m.start_equity))),
        ("final equity", usdt(Some(m.final_equity))),
        ("total return", pct(m.total_return)),
        ("CAGR", pct(m.cagr)),
        ("volatility (annual)", pct(m.volatility)),
        ("Sharpe", num(m.sharpe)),
        ("Sortino", num(m.sortino)),
        ("max drawdown", format!("{:.2} %", m.max_drawdown * 100.0)),
        ("longest drawdown", duration(m.max_drawdown_duration_ms)),
        ("Calmar", num(m.calmar)),
        ("", String::new()),
        (
            "trades",
            format!("{} ({} won, {} lost)", m.trades, m.wins, m.losses),
        ),
        ("win rate", pct(m.win_rate)),
        ("profit factor", num(m.profit_factor)),
        ("average win", usdt(m.avg_win)),
        ("average loss", usdt(m.avg_loss)),
        ("expectancy", usdt(m.expectancy)),
        ("exposure", pct(m.exposure)),
        ("fees paid", usdt(Some(m.fees))),
        ("funding paid", usdt(Some(m.funding))),
        ("longest losing streak", m.longest_losing_streak.to_string()),
        ("breaker trips", m.breaker_trips.to_string()),
        ("cooldowns", m.cooldowns.to_string()),
        ("open at the end", m.open_at_end.to_string()),
    ];
    let mut out = String::new();
    for (name, value) in rows {
        if name.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "{name:<22} {value}");
        }
    }
    out
}
