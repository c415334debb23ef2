//! TODO(helper): the paper exchange.
use serde::{Deserialize, Serialize};

use crate::config::PaperConfig;
use crate::domain::{Candle, ClientOrderId, Symbol};
use crate::risk::Approved;

use super::{Exchange, ExecReport};

/// Funding rates by time (Binance history), with a fallback rate.
#[derive(Debug, Clone, Default)]
pub struct FundingSchedule {
    _private: (),
}

/// Everything needed to rebuild the paper exchange after a restart.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PaperState {
    _private: (),
}

pub struct PaperExchange {
    _private: (),
}

impl PaperExchange {
    pub fn new(config: &PaperConfig, funding: FundingSchedule) -> PaperExchange {
        let _ = (config, funding);
        todo!()
    }
    pub fn state(&self) -> PaperState {
        todo!()
    }
    pub fn restore(&mut self, state: PaperState) {
        let _ = state;
        todo!()
    }
}

impl Exchange for PaperExchange {
    fn name(&self) -> &'static str {
        "paper"
    }
    fn submit(&mut self, at_ms: i64, order: &Approved) -> Vec<ExecReport> {
        let _ = (at_ms, order);
        todo!()
    }
    fn cancel(&mut self, at_ms: i64, id: &ClientOrderId) -> Vec<ExecReport> {
        let _ = (at_ms, id);
        todo!()
    }
    fn on_candle(&mut self, at_ms: i64, symbol: &Symbol, candle: &Candle) -> Vec<ExecReport> {
        let _ = (at_ms, symbol, candle);
        todo!()
    }
}
