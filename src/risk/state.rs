//! The circuit breaker and the cooldown: risk state that survives restarts
//! (the journal stores it after every change).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::TradingState;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskState {
    pub trading_state: TradingState,
    /// The operator's "pause entries": exits and stops still managed.
    pub entries_paused: bool,
    /// Start of the current UTC day, ms.
    pub day_start_ms: i64,
    /// Total equity at the first observation of the current UTC day.
    pub day_start_equity: Decimal,
    /// When the daily-loss breaker tripped; cleared at the next UTC day or by an operator reset.
    pub breaker_tripped_at_ms: Option<i64>,
    pub consecutive_losses: u32,
    pub cooldown_until_ms: Option<i64>,
}

/// What changed in the risk state, for the engine to act on and announce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RiskEvent {
    /// A new UTC day began; `breaker_released` when that ended a breaker halt.
    NewDay {
        day_start_equity: Decimal,
        breaker_released: bool,
    },
    /// Equity fell `drop` (a fraction) from the day's start: flatten and halt.
    BreakerTripped { drop: Decimal },
    /// `losses` consecutive losing trades: no new entries until `until_ms`.
    CooldownStarted { losses: u32, until_ms: i64 },
}

impl RiskState {
    pub fn new(now_ms: i64, equity: Decimal) -> RiskState {
        let _ = (now_ms, equity);
        todo!("helper implements")
    }

    /// TODO(helper): call on every equity observation. A new UTC day
    /// (crate::domain::time::utc_day_start) resets day_start_*; if the breaker
    /// had tripped it is released (trading_state back to Active, tripped_at
    /// cleared). If equity ≤ day_start_equity × (1 − daily_loss_limit) and the
    /// breaker has not tripped yet: trip it (Halted, tripped_at = now).
    pub fn on_equity(
        &mut self,
        now_ms: i64,
        equity: Decimal,
        daily_loss_limit: Decimal,
    ) -> Option<RiskEvent> {
        let _ = (now_ms, equity, daily_loss_limit);
        todo!("helper implements")
    }

    /// TODO(helper): a losing trade (pnl < 0, fees included) counts; a
    /// non-losing one resets the count. At `losses_limit` the cooldown starts
    /// for `hours` and the count resets.
    pub fn on_trade_closed(
        &mut self,
        now_ms: i64,
        pnl: Decimal,
        losses_limit: u32,
        hours: u32,
    ) -> Option<RiskEvent> {
        let _ = (now_ms, pnl, losses_limit, hours);
        todo!("helper implements")
    }

    pub fn in_cooldown(&self, now_ms: i64) -> bool {
        self.cooldown_until_ms.is_some_and(|until| now_ms < until)
    }

    /// Operator "resume": Active, entries unpaused, breaker cleared and the
    /// day's reference equity set to `equity` so it does not trip again at once.
    pub fn resume(&mut self, equity: Decimal) {
        let _ = equity;
        todo!("helper implements")
    }
}
