//! The textbook EMA crossover: enters on the candle where the fast EMA crosses
//! the slow one. Simple on purpose, as a baseline to compare the main strategy with.

use crate::config::StrategyConfig;
use crate::domain::{Candle, Side, Symbol};
use crate::indicators::{IndicatorParams, IndicatorValues};

use super::levels::{ema_index, num};
use super::{Proposal, Reason, Signal, Strategy};

pub struct EmaCross {
    /// Indices of the fast and slow EMAs in `IndicatorValues::ema`.
    fast: usize,
    slow: usize,
    fast_period: usize,
    slow_period: usize,
    stop_atr_mult: f64,
    take_profit_atr_mult: f64,
    /// (fast, slow) after the previous closed candle: a cross needs both sides of it.
    prev: Option<(f64, f64)>,
    /// The EMAs before the latest closed candle, for `explain`.
    before: Option<(f64, f64)>,
}

impl EmaCross {
    pub const NAME: &'static str = "ema_cross";

    pub fn new(config: &StrategyConfig, indicators: &IndicatorParams) -> Result<Self, String> {
        Ok(EmaCross {
            fast: ema_index(
                &indicators.ema_periods,
                config.ema_fast,
                "strategy.ema_fast",
            )?,
            slow: ema_index(
                &indicators.ema_periods,
                config.ema_slow,
                "strategy.ema_slow",
            )?,
            fast_period: config.ema_fast,
            slow_period: config.ema_slow,
            stop_atr_mult: config.stop_atr_mult,
            take_profit_atr_mult: config.take_profit_atr_mult,
            prev: None,
            before: None,
        })
    }
}

impl EmaCross {
    /// The side and ATR this closed candle calls for; advances the state.
    fn signal(&mut self, candle: &Candle, values: &IndicatorValues) -> Option<Signal> {
        // A forming candle would overwrite the previous closed values.
        if !candle.closed {
            return None;
        }
        let now = values.ema[self.fast].zip(values.ema[self.slow]);
        let prev = std::mem::replace(&mut self.prev, now);
        self.before = prev;
        let ((fast, slow), (prev_fast, prev_slow)) = now.zip(prev)?;
        let side = if prev_fast <= prev_slow && fast > slow {
            Side::Buy
        } else if prev_fast >= prev_slow && fast < slow {
            Side::Sell
        } else {
            return None;
        };
        Some(Signal {
            side,
            atr: values.atr?,
            stop_atr_mult: self.stop_atr_mult,
            take_profit_atr_mult: self.take_profit_atr_mult,
        })
    }
}

impl Strategy for EmaCross {
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

    fn explain(&self, proposal: &mut Proposal, _candle: &Candle, values: &IndicatorValues) {
        let (Some((fast, slow)), Some((prev_fast, prev_slow)), Some(atr)) = (
            values.ema[self.fast].zip(values.ema[self.slow]),
            self.before,
            values.atr,
        ) else {
            return;
        };
        let side = proposal.side;
        let (f, s) = (self.fast_period, self.slow_period);
        let (direction, was) = match side {
            Side::Buy => ("above", "≤"),
            Side::Sell => ("below", "≥"),
        };
        let cross = format!(
            "EMA{f} {} crossed {direction} EMA{s} {} (previous candle {} {was} {})",
            num(fast),
            num(slow),
            num(prev_fast),
            num(prev_slow)
        );
        let atr_detail = format!(
            "ATR {}: stop {}×ATR, take-profit {}×ATR",
            num(atr),
            self.stop_atr_mult,
            self.take_profit_atr_mult
        );
        proposal.reasons = vec![
            Reason {
                check: "cross".into(),
                passed: true,
                detail: cross,
            },
            Reason {
                check: "atr".into(),
                passed: true,
                detail: atr_detail,
            },
        ];
    }
}
