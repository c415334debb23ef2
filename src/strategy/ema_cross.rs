//! TODO(helper)
use crate::config::StrategyConfig;
use crate::domain::{Candle, Symbol};
use crate::indicators::{IndicatorParams, IndicatorValues};

use super::{Proposal, Strategy};

pub struct EmaCross {
    _private: (),
}

impl EmaCross {
    pub const NAME: &'static str = "ema_cross";

    pub fn new(config: &StrategyConfig, indicators: &IndicatorParams) -> Result<Self, String> {
        let _ = (config, indicators);
        Ok(EmaCross { _private: () })
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
        let _ = (symbol, candle, values);
        None
    }
}
