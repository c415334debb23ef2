//! The figures of a backtest. Money stays decimal; ratios are `f64`, and a
//! ratio with nothing to divide by is `None` (null in the JSON), never 0 or ∞.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use crate::engine::RunStats;
use crate::journal::TradeRecord;

use super::curve::FinishedCurve;

/// Crypto trades every day of the year.
const DAYS_PER_YEAR: f64 = 365.0;
const YEAR_MS: f64 = 365.25 * 86_400_000.0;
/// Fewer daily returns than this make annualised ratios noise: they are
/// left out (None) rather than shown.
const MIN_DAYS_FOR_RATIOS: u64 = 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub start_equity: Decimal,
    pub final_equity: Decimal,
    pub total_return: Option<f64>,
    pub cagr: Option<f64>,
    /// Annualised standard deviation of daily returns.
    pub volatility: Option<f64>,
    /// Annualised, from daily returns, risk-free rate 0.
    pub sharpe: Option<f64>,
    pub sortino: Option<f64>,
    /// Largest fall from a peak of total equity, as a fraction of the peak.
    pub max_drawdown: f64,
    /// Longest stretch below a previous peak, in ms.
    pub max_drawdown_duration_ms: i64,
    pub calmar: Option<f64>,
    pub trades: usize,
    pub wins: usize,
    pub losses: usize,
    pub win_rate: Option<f64>,
    pub profit_factor: Option<f64>,
    /// Mean net PnL of winning trades, USDT.
    pub avg_win: Option<Decimal>,
    /// Mean net PnL of losing trades (negative), USDT.
    pub avg_loss: Option<Decimal>,
    /// Mean net PnL per trade, USDT.
    pub expectancy: Option<Decimal>,
    /// Fraction of bars with a position open.
    pub exposure: Option<f64>,
    pub fees: Decimal,
    /// Net funding paid (negative: received), USDT.
    pub funding: Decimal,
    pub longest_losing_streak: u32,
    pub breaker_trips: u32,
    pub cooldowns: u32,
    pub first_ms: Option<i64>,
    pub last_ms: Option<i64>,
    /// Positions still open when the history ended (valued at the last close).
    pub open_at_end: usize,
}

/// `fees` and `funding` include what open positions paid so far.
pub struct Costs {
    pub fees: Decimal,
    pub funding: Decimal,
}

/// What the closed trades alone say; the headless summary reports these too.
#[derive(Debug, Clone, PartialEq)]
pub struct TradeStats {
    pub trades: usize,
    pub wins: usize,
    pub losses: usize,
    pub win_rate: Option<f64>,
    pub profit_factor: Option<f64>,
    pub avg_win: Option<Decimal>,
    pub avg_loss: Option<Decimal>,
    pub expectancy: Option<Decimal>,
    pub total_pnl: Decimal,
    pub longest_losing_streak: u32,
}

/// A ratio with nothing to divide by is None, never 0 or ∞.
pub fn ratio(a: Decimal, b: Decimal) -> Option<f64> {
    if b.is_zero() { None } else { (a / b).to_f64() }
}

/// A trade wins when its net PnL is above zero; a breakeven counts as a loss.
pub fn trade_stats(trades: &[TradeRecord]) -> TradeStats {
    let mean = |xs: &[Decimal]| -> Option<Decimal> {
        (!xs.is_empty()).then(|| xs.iter().sum::<Decimal>() / Decimal::from(xs.len()))
    };
    let all: Vec<Decimal> = trades.iter().map(|t| t.pnl).collect();
    let (wins, losses): (Vec<Decimal>, Vec<Decimal>) =
        all.iter().partition(|p| **p > Decimal::ZERO);
    let gross_win: Decimal = wins.iter().sum();
    let gross_loss: Decimal = -losses.iter().sum::<Decimal>();
    let longest_losing_streak = all
        .iter()
        .fold((0u32, 0u32), |(cur, best), p| {
            let cur = if *p <= Decimal::ZERO { cur + 1 } else { 0 };
            (cur, best.max(cur))
        })
        .1;
    TradeStats {
        trades: all.len(),
        wins: wins.len(),
        losses: losses.len(),
        win_rate: ratio(Decimal::from(wins.len()), Decimal::from(all.len())),
        profit_factor: ratio(gross_win, gross_loss),
        avg_win: mean(&wins),
        avg_loss: mean(&losses),
        expectancy: mean(&all),
        total_pnl: all.iter().sum(),
        longest_losing_streak,
    }
}

pub fn compute(
    trades: &[TradeRecord],
    curve: &FinishedCurve,
    stats: &RunStats,
    costs: Costs,
    open_at_end: usize,
) -> Metrics {
    let t = trade_stats(trades);
    let start = curve.first.map_or(Decimal::ZERO, |f| f.1);
    let end = curve.last.map_or(start, |l| l.1);
    let total_return = ratio(end - start, start);
    let years = match (curve.first, curve.last) {
        (Some(f), Some(l)) if l.0 > f.0 => Some((l.0 - f.0) as f64 / YEAR_MS),
        _ => None,
    };
    let cagr = match (total_return, years) {
        (Some(r), Some(y)) if 1.0 + r > 0.0 => Some((1.0 + r).powf(1.0 / y) - 1.0),
        (Some(_), Some(_)) => Some(-1.0),
        _ => None,
    };
    let r = &curve.returns;
    let annual = DAYS_PER_YEAR.sqrt();
    let std = r.std().filter(|_| r.days >= MIN_DAYS_FOR_RATIOS);
    let sharpe = match (r.mean(), std) {
        (Some(m), Some(s)) if s > 0.0 => Some(m / s * annual),
        _ => None,
    };
    let sortino = match (r.mean(), r.downside_deviation()) {
        (Some(m), Some(d)) if d > 0.0 && r.days >= MIN_DAYS_FOR_RATIOS => Some(m / d * annual),
        _ => None,
    };
    let calmar = match cagr {
        Some(c) if curve.max_drawdown > 0.0 && r.days >= MIN_DAYS_FOR_RATIOS => {
            Some(c / curve.max_drawdown)
        }
        _ => None,
    };
    Metrics {
        start_equity: start,
        final_equity: end,
        total_return,
        cagr,
        volatility: std.map(|s| s * annual),
        sharpe,
        sortino,
        max_drawdown: curve.max_drawdown,
        max_drawdown_duration_ms: curve.max_drawdown_ms,
        calmar,
        trades: t.trades,
        wins: t.wins,
        losses: t.losses,
        win_rate: t.win_rate,
        profit_factor: t.profit_factor,
        avg_win: t.avg_win.map(|d| d.round_dp(4)),
        avg_loss: t.avg_loss.map(|d| d.round_dp(4)),
        expectancy: t.expectancy.map(|d| d.round_dp(4)),
        exposure: (curve.bars > 0).then(|| curve.exposed_bars as f64 / curve.bars as f64),
        fees: costs.fees,
        funding: costs.funding,
        longest_losing_streak: t.longest_losing_streak,
        breaker_trips: stats.breaker_trips,
        cooldowns: stats.cooldowns,
        first_ms: curve.first.map(|f| f.0),
        last_ms: curve.last.map(|l| l.0),
        open_at_end,
    }
}
