//! Trend + momentum + strength + volatility: enters with an established trend
//! when momentum is building, the trend is strong, and the market moves enough
//! to pay for the trade but not so much that the stop is noise.

use crate::config::StrategyConfig;
use crate::domain::{Candle, Side, Symbol};
use crate::indicators::{IndicatorParams, IndicatorValues};

use super::fixed::Fixed;
use super::levels::{ema_index, num};
use super::{Proposal, Reason, Signal, Strategy};

pub struct TrendMomentumVolatility {
    config: StrategyConfig,
    /// Indices of the fast and slow EMAs in `IndicatorValues::ema`.
    fast: usize,
    slow: usize,
    /// The RSI after the previous closed candle: "rising" compares against it.
    prev_rsi: Option<f64>,
    /// The RSI before the latest closed candle, for `explain`.
    rsi_before: Option<f64>,
    /// The thresholds as `explain` writes them, written once: formatting
    /// floats is most of what explaining a trade costs.
    bands: Bands,
}

struct Bands {
    rsi_long: String,
    rsi_short: String,
    adx_min: String,
    atr_pct: String,
}

impl Bands {
    fn of(c: &StrategyConfig) -> Bands {
        Bands {
            rsi_long: format!("[{}, {}]", c.rsi_long_min, c.rsi_long_max),
            rsi_short: format!("[{}, {}]", c.rsi_short_min, c.rsi_short_max),
            adx_min: c.adx_min.to_string(),
            atr_pct: format!(
                "[{}%, {}%]",
                num(c.atr_pct_min * 100.0),
                num(c.atr_pct_max * 100.0)
            ),
        }
    }
}

impl TrendMomentumVolatility {
    pub const NAME: &'static str = "trend_momentum_volatility";

    pub fn new(config: &StrategyConfig, indicators: &IndicatorParams) -> Result<Self, String> {
        let fast = ema_index(
            &indicators.ema_periods,
            config.ema_fast,
            "strategy.ema_fast",
        )?;
        let slow = ema_index(
            &indicators.ema_periods,
            config.ema_slow,
            "strategy.ema_slow",
        )?;
        Ok(TrendMomentumVolatility {
            config: config.clone(),
            fast,
            slow,
            prev_rsi: None,
            rsi_before: None,
            bands: Bands::of(config),
        })
    }
}

/// The values the rules read, all present.
struct Inputs {
    fast: f64,
    slow: f64,
    rsi: f64,
    prev_rsi: f64,
    atr: f64,
    adx: f64,
    plus_di: f64,
    minus_di: f64,
}

impl Inputs {
    fn of(fast: usize, slow: usize, v: &IndicatorValues, prev_rsi: Option<f64>) -> Option<Inputs> {
        Some(Inputs {
            fast: v.ema[fast]?,
            slow: v.ema[slow]?,
            rsi: v.rsi?,
            prev_rsi: prev_rsi?,
            atr: v.atr?,
            adx: v.adx?,
            plus_di: v.plus_di?,
            minus_di: v.minus_di?,
        })
    }
}

impl TrendMomentumVolatility {
    /// The side and ATR this closed candle calls for; advances the state.
    fn signal(&mut self, candle: &Candle, values: &IndicatorValues) -> Option<Signal> {
        // A forming candle would count as a bar in the RSI memory.
        if !candle.closed {
            return None;
        }
        // Remembered on every closed candle, whether or not anything is proposed.
        let prev_rsi = std::mem::replace(&mut self.prev_rsi, values.rsi);
        self.rsi_before = prev_rsi;
        let Inputs {
            fast,
            slow,
            rsi,
            prev_rsi,
            atr,
            adx,
            plus_di,
            minus_di,
        } = Inputs::of(self.fast, self.slow, values, prev_rsi)?;
        let c = &self.config;
        let close = candle.close.to_f64();

        // Every comparison below is false for NaN, so a NaN never proposes.
        let side = if fast > slow && close > fast {
            Side::Buy
        } else if fast < slow && close < fast {
            Side::Sell
        } else {
            return None;
        };
        let momentum = match side {
            Side::Buy => c.rsi_long_min <= rsi && rsi <= c.rsi_long_max && rsi > prev_rsi,
            Side::Sell => c.rsi_short_min <= rsi && rsi <= c.rsi_short_max && rsi < prev_rsi,
        };
        if !momentum {
            return None;
        }
        let (strong_di, weak_di) = match side {
            Side::Buy => (plus_di, minus_di),
            Side::Sell => (minus_di, plus_di),
        };
        if !(adx >= c.adx_min && strong_di > weak_di) {
            return None;
        }
        let atr_pct = atr / close;
        if !(c.atr_pct_min <= atr_pct && atr_pct <= c.atr_pct_max) {
            return None;
        }
        Some(Signal {
            side,
            atr,
            stop_atr_mult: c.stop_atr_mult,
            take_profit_atr_mult: c.take_profit_atr_mult,
        })
    }
}

impl Strategy for TrendMomentumVolatility {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn on_closed(
        &mut self,
        symbol: &Symbol,
        candle: &Candle,
        values: &IndicatorValues,
    ) -> Option<Proposal> {
        self.signal(candle, values)?
            .proposal(Self::NAME, symbol, candle)
    }

    fn would_propose(&mut self, _: &Symbol, candle: &Candle, values: &IndicatorValues) -> bool {
        self.signal(candle, values).is_some()
    }

    fn explain(&self, proposal: &mut Proposal, candle: &Candle, values: &IndicatorValues) {
        let Some(Inputs {
            fast,
            slow,
            rsi,
            prev_rsi,
            atr,
            adx,
            plus_di,
            minus_di,
        }) = Inputs::of(self.fast, self.slow, values, self.rsi_before)
        else {
            return;
        };
        let c = &self.config;
        let side = proposal.side;
        let atr_pct = atr / candle.close.to_f64();
        let (fast_n, slow_n) = (c.ema_fast, c.ema_slow);
        let passed = |check: &'static str, detail: String| Reason {
            check: check.into(),
            passed: true,
            detail,
        };
        let trend = match side {
            Side::Buy => format!(
                "EMA{fast_n} {} > EMA{slow_n} {}, close {} above EMA{fast_n}",
                num(fast),
                num(slow),
                candle.close
            ),
            Side::Sell => format!(
                "EMA{fast_n} {} < EMA{slow_n} {}, close {} below EMA{fast_n}",
                num(fast),
                num(slow),
                candle.close
            ),
        };
        let b = &self.bands;
        let momentum = match side {
            Side::Buy => format!(
                "RSI {} in {} and rising from {}",
                Fixed(rsi, 2),
                b.rsi_long,
                Fixed(prev_rsi, 2)
            ),
            Side::Sell => format!(
                "RSI {} in {} and falling from {}",
                Fixed(rsi, 2),
                b.rsi_short,
                Fixed(prev_rsi, 2)
            ),
        };
        let strength = match side {
            Side::Buy => format!(
                "ADX {} ≥ {}, +DI {} > −DI {}",
                Fixed(adx, 2),
                b.adx_min,
                Fixed(plus_di, 2),
                Fixed(minus_di, 2)
            ),
            Side::Sell => format!(
                "ADX {} ≥ {}, −DI {} > +DI {}",
                Fixed(adx, 2),
                b.adx_min,
                Fixed(minus_di, 2),
                Fixed(plus_di, 2)
            ),
        };
        let volatility = format!(
            "ATR {} is {}% of close, within {}",
            num(atr),
            Fixed(atr_pct * 100.0, 3),
            b.atr_pct
        );
        proposal.reasons = vec![
            passed("trend", trend),
            passed("momentum", momentum),
            passed("strength", strength),
            passed("volatility", volatility),
        ];
    }
}
