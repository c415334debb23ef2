//! TODO(helper)
use crate::config::StrategyConfig;
use crate::domain::{Candle, Symbol};
use crate::indicators::{IndicatorParams, IndicatorValues};

use super::{Proposal, Strategy};

pub struct TrendMomentumVolatility {
    _private: (),
}

impl TrendMomentumVolatility {
    pub const NAME: &'static str = "trend_momentum_volatility";

    pub fn new(config: &StrategyConfig, indicators: &IndicatorParams) -> Result<Self, String> {
        let _ = (config, indicators);
        Ok(TrendMomentumVolatility { _private: () })
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
        let _ = (symbol, candle, values);
        None
    }
}
