//! The readable summary `cockpit backtest` prints without `--json`.

use std::fmt::Write;

use rust_decimal::Decimal;

use crate::domain::time::format_utc;
use crate::domain::{Interval, Symbol};

use super::judged::{AiEvaluation, Group};
use super::metrics::Metrics;
use super::run::BacktestResult;

pub fn pct(v: Option<f64>) -> String {
    v.map_or("—".into(), |x| format!("{:.2} %", x * 100.0))
}

pub fn num(v: Option<f64>) -> String {
    v.map_or("—".into(), |x| format!("{x:.2}"))
}

pub fn usdt(v: Option<Decimal>) -> String {
    v.map_or("—".into(), |x| format!("{} USDT", x.round_dp(2)))
}

pub fn duration(ms: i64) -> String {
    let hours = ms / 3_600_000;
    if hours >= 48 {
        format!("{} days", hours / 24)
    } else {
        format!("{hours} h")
    }
}

/// `2019-09-09 00:00:00 → 2026-11-20 23:00:00`, or `—` for an empty run.
pub fn period(m: &Metrics) -> String {
    match (m.first_ms, m.last_ms) {
        (Some(f), Some(l)) => format!("{} → {}", format_utc(f), format_utc(l)),
        _ => "—".into(),
    }
}

/// `BTCUSDT, ETHUSDT (1h)`; the interval is unknown in a result saved
/// before it was written.
pub fn symbols(symbols: &[Symbol], interval: Option<Interval>) -> String {
    let names: Vec<String> = symbols.iter().map(|s| s.to_string()).collect();
    match interval {
        Some(i) => format!("{} ({i})", names.join(", ")),
        None => names.join(", "),
    }
}

/// The run itself: what went in and how fast.
pub fn run_rows(
    symbol_list: &[Symbol],
    interval: Option<Interval>,
    bars: u64,
    elapsed_ms: u64,
    m: &Metrics,
) -> Vec<(&'static str, String)> {
    let rate = if elapsed_ms > 0 {
        format!(
            "{:.1} M candles/s",
            bars as f64 / elapsed_ms as f64 / 1000.0
        )
    } else {
        "—".into()
    };
    vec![
        ("symbols", symbols(symbol_list, interval)),
        ("period", period(m)),
        ("candles", format!("{bars} in {elapsed_ms} ms ({rate})")),
    ]
}

/// The figures, in two groups: returns and risk, then the trades.
pub fn metric_groups(m: &Metrics) -> [Vec<(&'static str, String)>; 2] {
    [
        vec![
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
        ],
        vec![
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
        ],
    ]
}

/// How the model judged: confirmed against vetoed proposals, each scored by
/// what the candles did next, traded or not.
pub fn ai_rows(ai: &AiEvaluation) -> Vec<(&'static str, String)> {
    let group = |g: &Group| {
        if g.scored == 0 {
            return format!("{} (none scored)", g.proposals);
        }
        format!(
            "{}: take-profit first {:.1} %, mean {:+.3} R",
            g.proposals,
            g.precision * 100.0,
            g.mean_r
        )
    };
    vec![
        ("model", ai.model.clone()),
        ("confirmed", group(&ai.confirmed)),
        ("vetoed", group(&ai.vetoed)),
        ("abstained", ai.abstained.to_string()),
        (
            "scored over",
            format!("{} candles after each proposal", ai.horizon_bars),
        ),
    ]
}

/// Two columns, one figure per line.
pub fn render(result: &BacktestResult) -> String {
    let m = &result.metrics;
    let run = run_rows(
        &result.symbols,
        Some(result.interval),
        result.bars,
        result.elapsed_ms,
        m,
    );
    let [risk, trades] = metric_groups(m);
    let ai = result.ai.as_ref().map(ai_rows).unwrap_or_default();
    let mut out = String::new();
    for group in [run, risk, trades, ai] {
        if group.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        for (name, value) in group {
            let _ = writeln!(out, "{name:<22} {value}");
        }
    }
    out
}
