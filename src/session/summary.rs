//! The `--summary-json` written at exit: bars, every closed trade, metrics.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Value, json};

use crate::backtest::metrics::{ratio, trade_stats};
use crate::engine::Engine;

pub fn summary_json(engine: &Engine) -> Value {
    json!({
        "bars": engine.bars(),
        "trades": engine.trades(),
        "metrics": metrics_json(engine),
    })
}

/// Money stays decimal (as strings); ratios are plain numbers.
pub fn metrics_json(engine: &Engine) -> Value {
    let trades = engine.trades();
    let stats = engine.stats();
    let t = trade_stats(trades);
    let fees: Decimal = trades.iter().map(|t| t.fees).sum();
    let funding: Decimal = trades.iter().map(|t| t.funding).sum();
    let start = stats.start_equity.unwrap_or_default();
    let end = engine.equity();
    json!({
        "trades": t.trades,
        "wins": t.wins,
        "losses": t.losses,
        "win_rate": t.win_rate,
        "total_pnl": t.total_pnl,
        "fees": fees,
        "funding": funding,
        "start_equity": start,
        "final_equity": end,
        "total_return": ratio(end - start, start),
        "max_drawdown": stats.max_drawdown.to_f64(),
        "profit_factor": t.profit_factor,
        "longest_losing_streak": t.longest_losing_streak,
        "breaker_trips": stats.breaker_trips,
        "cooldowns": stats.cooldowns,
        "first_ms": stats.first_ms,
        "last_ms": stats.last_ms,
    })
}
