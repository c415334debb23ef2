//! The `--summary-json` written at exit: bars, every closed trade, metrics.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Value, json};

use crate::engine::Engine;
use crate::journal::TradeRecord;

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
    let wins: Vec<&TradeRecord> = trades.iter().filter(|t| t.pnl > Decimal::ZERO).collect();
    let losses: Vec<&TradeRecord> = trades.iter().filter(|t| t.pnl <= Decimal::ZERO).collect();
    let gross_win: Decimal = wins.iter().map(|t| t.pnl).sum();
    let gross_loss: Decimal = losses.iter().map(|t| -t.pnl).sum();
    let total_pnl: Decimal = trades.iter().map(|t| t.pnl).sum();
    let fees: Decimal = trades.iter().map(|t| t.fees).sum();
    let funding: Decimal = trades.iter().map(|t| t.funding).sum();
    let start = stats.start_equity.unwrap_or_default();
    let end = engine.equity();
    let ratio = |a: Decimal, b: Decimal| -> Option<f64> {
        if b.is_zero() { None } else { (a / b).to_f64() }
    };
    let max_loss_streak = trades
        .iter()
        .fold((0u32, 0u32), |(cur, best), t| {
            let cur = if t.pnl <= Decimal::ZERO { cur + 1 } else { 0 };
            (cur, best.max(cur))
        })
        .1;
    json!({
        "trades": trades.len(),
        "wins": wins.len(),
        "losses": losses.len(),
        "win_rate": ratio(Decimal::from(wins.len()), Decimal::from(trades.len())),
        "total_pnl": total_pnl,
        "fees": fees,
        "funding": funding,
        "start_equity": start,
        "final_equity": end,
        "total_return": ratio(end - start, start),
        "max_drawdown": stats.max_drawdown.to_f64(),
        "profit_factor": ratio(gross_win, gross_loss),
        "longest_losing_streak": max_loss_streak,
        "breaker_trips": stats.breaker_trips,
        "cooldowns": stats.cooldowns,
        "first_ms": stats.first_ms,
        "last_ms": stats.last_ms,
    })
}
