//! Strategies propose; they never size, send or veto. A proposal carries its
//! side, its price levels and the reasons it was made, as data.

mod ema_cross;
mod fixed;
mod levels;
mod trend_momentum;

use std::borrow::Cow;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::config::StrategyConfig;
use crate::domain::{Candle, Side, Symbol};
use crate::indicators::{IndicatorParams, IndicatorValues};

pub use ema_cross::EmaCross;
pub use trend_momentum::TrendMomentumVolatility;

/// The strategy names the config accepts.
pub const STRATEGY_NAMES: [&str; 2] = [TrendMomentumVolatility::NAME, EmaCross::NAME];

/// One condition the strategy checked, whether it held, and the values behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// Short stable name, e.g. "trend", "momentum", "strength", "volatility"
    /// (borrowed from the strategy: every trade carries four of them).
    pub check: Cow<'static, str>,
    pub passed: bool,
    /// Human-readable with the numbers, e.g. "EMA50 61234.5 > EMA200 60010.2, close above EMA50".
    pub detail: String,
}

/// A trade idea. Prices are unrounded: risk rounds them to the instrument's tick.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    pub symbol: Symbol,
    pub side: Side,
    /// Open time of the closed candle that produced it (with the symbol, the decision's identity).
    pub candle_open_ms: i64,
    /// Reference entry: that candle's close.
    pub entry: Decimal,
    /// entry ∓ stop_atr_mult·ATR: always on the losing side.
    pub stop: Decimal,
    /// entry ± take_profit_atr_mult·ATR: always on the winning side.
    pub take_profit: Decimal,
    /// The ATR the levels were computed from.
    pub atr: f64,
    /// The strategy's name (borrowed from it; a journal read back owns it).
    pub strategy: Cow<'static, str>,
    pub reasons: Vec<Reason>,
}

/// Called once per closed candle per symbol (each symbol has its own instance),
/// after the indicators have been updated with that candle.
pub trait Strategy: Send {
    fn name(&self) -> &'static str;
    /// Writes the reasons of the proposal `on_closed` just returned, which
    /// may leave them empty: formatting the numbers costs more than the rest
    /// of a decision, so the engine asks only when someone reads them (the
    /// cockpit, the journal) or the proposal is traded.
    fn explain(&self, _proposal: &mut Proposal, _candle: &Candle, _values: &IndicatorValues) {}
    fn on_closed(
        &mut self,
        symbol: &Symbol,
        candle: &Candle,
        values: &IndicatorValues,
    ) -> Option<Proposal>;
    /// Whether `on_closed` would propose on this candle, advancing the same
    /// state, for an engine that already knows the entry gate refuses and
    /// that nobody reads the refusal: the proposal would only be counted.
    /// The built-in strategies answer without working out their levels.
    fn would_propose(
        &mut self,
        symbol: &Symbol,
        candle: &Candle,
        values: &IndicatorValues,
    ) -> bool {
        self.on_closed(symbol, candle, values).is_some()
    }
}

/// What a built-in strategy saw on a closed candle, before its levels are
/// worked out in decimals.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Signal {
    side: Side,
    atr: f64,
    stop_atr_mult: f64,
    take_profit_atr_mult: f64,
}

impl Signal {
    /// `None` when the ATR levels are unusable (see `levels::atr_levels`).
    fn proposal(
        &self,
        strategy: &'static str,
        symbol: &Symbol,
        candle: &Candle,
    ) -> Option<Proposal> {
        levels::atr_proposal(
            strategy,
            symbol,
            candle,
            self.side,
            self.atr,
            (self.stop_atr_mult, self.take_profit_atr_mult),
        )
    }
}

/// Builds the strategy the config names. `indicators` tells where the EMAs are.
pub fn build(
    config: &StrategyConfig,
    indicators: &IndicatorParams,
) -> Result<Box<dyn Strategy>, String> {
    match config.name.as_str() {
        TrendMomentumVolatility::NAME => {
            Ok(Box::new(TrendMomentumVolatility::new(config, indicators)?))
        }
        EmaCross::NAME => Ok(Box::new(EmaCross::new(config, indicators)?)),
        other => Err(format!(
            "unknown strategy \"{other}\"; choose one of: {}",
            STRATEGY_NAMES.join(", ")
        )),
    }
}
