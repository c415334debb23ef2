//! The circuit breaker and the cooldown: risk state that survives restarts
//! (the journal stores it after every change).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::time::utc_day_start;
use crate::domain::{Memo, TradingState};

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
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
    /// The trading state the breaker interrupted, restored when it is released.
    #[serde(default)]
    pub state_before_breaker: Option<TradingState>,
    /// The breaker's floor for the day's reference and limit it was worked
    /// out for: `on_equity` runs on every candle, the reference changes once a day.
    /// `(day_start_equity, daily_loss_limit, floor)`.
    #[serde(skip)]
    floor: Memo<(Decimal, Decimal, Decimal)>,
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
    /// Active, not paused, the day's reference equity `equity`.
    pub fn new(now_ms: i64, equity: Decimal) -> RiskState {
        RiskState {
            trading_state: TradingState::Active,
            entries_paused: false,
            day_start_ms: utc_day_start(now_ms),
            day_start_equity: equity,
            breaker_tripped_at_ms: None,
            consecutive_losses: 0,
            cooldown_until_ms: None,
            state_before_breaker: None,
            floor: Memo::default(),
        }
    }

    /// Call on every equity observation. A new UTC day resets day_start_*; if
    /// the breaker had tripped it is released (trading_state back to Active,
    /// tripped_at cleared). If equity ≤ day_start_equity × (1 − daily_loss_limit)
    /// and the breaker has not tripped yet: trip it (Halted, tripped_at = now).
    pub fn on_equity(
        &mut self,
        now_ms: i64,
        equity: Decimal,
        daily_loss_limit: Decimal,
    ) -> Option<RiskEvent> {
        let day = utc_day_start(now_ms);
        // Only forward: a clock stepping back must not open a second "new day".
        if day > self.day_start_ms {
            self.day_start_ms = day;
            self.day_start_equity = equity;
            let breaker_released = self.breaker_tripped_at_ms.take().is_some();
            if breaker_released {
                // Back to what the operator had set (Active or Reducing), not simply Active.
                self.trading_state = self
                    .state_before_breaker
                    .take()
                    .unwrap_or(TradingState::Active);
            }
            // The day's first observation is its reference: no drop to trip on.
            return Some(RiskEvent::NewDay {
                day_start_equity: equity,
                breaker_released,
            });
        }
        // Already halted (by the breaker or the operator): nothing more to stop,
        // and the operator's halt must not be lifted by the next day's release.
        if self.breaker_tripped_at_ms.is_some() || self.trading_state == TradingState::Halted {
            return None;
        }
        let floor = match self.floor.0 {
            Some((reference, limit, floor))
                if reference == self.day_start_equity && limit == daily_loss_limit =>
            {
                floor
            }
            _ => {
                // Only an absurd equity overflows; then there is no threshold to cross.
                let floor = self
                    .day_start_equity
                    .checked_mul(Decimal::ONE.checked_sub(daily_loss_limit)?)?;
                self.floor = Memo(Some((self.day_start_equity, daily_loss_limit, floor)));
                floor
            }
        };
        if equity > floor {
            return None;
        }
        self.state_before_breaker = Some(self.trading_state);
        self.trading_state = TradingState::Halted;
        self.breaker_tripped_at_ms = Some(now_ms);
        let drop = self
            .day_start_equity
            .checked_sub(equity)
            .and_then(|lost| lost.checked_div(self.day_start_equity))
            .unwrap_or(Decimal::ONE);
        Some(RiskEvent::BreakerTripped { drop })
    }

    /// A losing trade (pnl < 0, fees included) counts; a non-losing one resets
    /// the count. At `losses_limit` the cooldown starts for `hours` and the
    /// count resets. A `losses_limit` of 0 never starts one (the config refuses 0).
    pub fn on_trade_closed(
        &mut self,
        now_ms: i64,
        pnl: Decimal,
        losses_limit: u32,
        hours: u32,
    ) -> Option<RiskEvent> {
        if pnl >= Decimal::ZERO {
            self.consecutive_losses = 0;
            return None;
        }
        self.consecutive_losses = self.consecutive_losses.saturating_add(1);
        if losses_limit == 0 || self.consecutive_losses < losses_limit {
            return None;
        }
        let losses = self.consecutive_losses;
        self.consecutive_losses = 0;
        let until_ms = now_ms.saturating_add(i64::from(hours).saturating_mul(HOUR_MS));
        // A loss during a cooldown never shortens it.
        let until_ms = self.cooldown_until_ms.map_or(until_ms, |u| u.max(until_ms));
        self.cooldown_until_ms = Some(until_ms);
        Some(RiskEvent::CooldownStarted { losses, until_ms })
    }

    pub fn in_cooldown(&self, now_ms: i64) -> bool {
        self.cooldown_until_ms.is_some_and(|until| now_ms < until)
    }

    /// Operator "resume": Active, entries unpaused, breaker cleared and the
    /// day's reference equity set to `equity` so it does not trip again at once.
    /// A cooldown is left running: it ends by itself.
    pub fn resume(&mut self, equity: Decimal) {
        self.trading_state = TradingState::Active;
        self.entries_paused = false;
        self.breaker_tripped_at_ms = None;
        self.state_before_breaker = None;
        self.day_start_equity = equity;
    }
}

const HOUR_MS: i64 = 3_600_000;

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap()
    }

    /// 2024-02-29 12:34:56 UTC.
    const NOON: i64 = 1_709_210_096_000;
    const DAY_MS: i64 = 86_400_000;
    const LIMIT: &str = "0.03";

    #[test]
    fn starts_active_with_the_day_and_its_equity() {
        let s = RiskState::new(NOON, d("10000"));
        assert_eq!(s.trading_state, TradingState::Active);
        assert!(!s.entries_paused);
        assert_eq!(s.day_start_ms, 1_709_164_800_000);
        assert_eq!(s.day_start_equity, d("10000"));
        assert_eq!(s.breaker_tripped_at_ms, None);
        assert_eq!(s.consecutive_losses, 0);
        assert!(!s.in_cooldown(NOON));
    }

    #[test]
    fn breaker_trips_exactly_at_the_limit() {
        let mut s = RiskState::new(NOON, d("10000"));
        assert_eq!(s.on_equity(NOON + 1, d("9700.01"), d(LIMIT)), None);
        assert_eq!(s.trading_state, TradingState::Active);
        assert_eq!(
            s.on_equity(NOON + 2, d("9700"), d(LIMIT)),
            Some(RiskEvent::BreakerTripped { drop: d("0.03") })
        );
        assert_eq!(s.trading_state, TradingState::Halted);
        assert_eq!(s.breaker_tripped_at_ms, Some(NOON + 2));
        // Tripped once: lower equity the same day says nothing more.
        assert_eq!(s.on_equity(NOON + 3, d("9000"), d(LIMIT)), None);
        assert_eq!(s.breaker_tripped_at_ms, Some(NOON + 2));
    }

    #[test]
    fn the_release_restores_reducing_and_never_lifts_an_operator_halt() {
        let mut s = RiskState::new(NOON, d("10000"));
        s.trading_state = TradingState::Reducing;
        s.on_equity(NOON, d("9500"), d(LIMIT));
        assert_eq!(s.trading_state, TradingState::Halted);
        s.on_equity(NOON + DAY_MS, d("9500"), d(LIMIT));
        assert_eq!(s.trading_state, TradingState::Reducing);

        let mut s = RiskState::new(NOON, d("10000"));
        s.trading_state = TradingState::Halted;
        assert_eq!(s.on_equity(NOON, d("9000"), d(LIMIT)), None);
        s.on_equity(NOON + DAY_MS, d("9000"), d(LIMIT));
        assert_eq!(s.trading_state, TradingState::Halted);
    }

    #[test]
    fn a_new_utc_day_releases_the_breaker_and_resets_the_reference() {
        let mut s = RiskState::new(NOON, d("10000"));
        s.on_equity(NOON, d("9500"), d(LIMIT));
        assert_eq!(s.trading_state, TradingState::Halted);
        let midnight = s.day_start_ms + DAY_MS;
        // Still the same day one millisecond before midnight.
        assert_eq!(s.on_equity(midnight - 1, d("9500"), d(LIMIT)), None);
        assert_eq!(
            s.on_equity(midnight, d("9500"), d(LIMIT)),
            Some(RiskEvent::NewDay {
                day_start_equity: d("9500"),
                breaker_released: true
            })
        );
        assert_eq!(s.trading_state, TradingState::Active);
        assert_eq!(s.breaker_tripped_at_ms, None);
        assert_eq!((s.day_start_ms, s.day_start_equity), (midnight, d("9500")));
        // The new reference: 3% of 9500 is 285.
        assert_eq!(s.on_equity(midnight + 1, d("9215.01"), d(LIMIT)), None);
        assert!(s.on_equity(midnight + 2, d("9215"), d(LIMIT)).is_some());
    }

    #[test]
    fn a_new_day_without_a_trip_releases_nothing_and_keeps_other_halts() {
        let mut s = RiskState::new(NOON, d("10000"));
        s.trading_state = TradingState::Reducing;
        assert_eq!(
            s.on_equity(NOON + DAY_MS, d("10100"), d(LIMIT)),
            Some(RiskEvent::NewDay {
                day_start_equity: d("10100"),
                breaker_released: false
            })
        );
        assert_eq!(s.trading_state, TradingState::Reducing);
        // A clock stepping back is not a new day.
        assert_eq!(s.on_equity(NOON, d("10100"), d(LIMIT)), None);
        assert_eq!(s.day_start_equity, d("10100"));
    }

    #[test]
    fn cooldown_after_n_losses_and_a_win_resets_the_count() {
        let mut s = RiskState::new(NOON, d("10000"));
        assert_eq!(s.on_trade_closed(NOON, d("-10"), 3, 4), None);
        assert_eq!(s.on_trade_closed(NOON, d("-10"), 3, 4), None);
        assert_eq!(s.consecutive_losses, 2);
        // Break-even counts as not losing.
        assert_eq!(s.on_trade_closed(NOON, d("0"), 3, 4), None);
        assert_eq!(s.consecutive_losses, 0);
        s.on_trade_closed(NOON, d("-1"), 3, 4);
        s.on_trade_closed(NOON, d("-1"), 3, 4);
        let until = NOON + 4 * 3_600_000;
        assert_eq!(
            s.on_trade_closed(NOON, d("-0.01"), 3, 4),
            Some(RiskEvent::CooldownStarted {
                losses: 3,
                until_ms: until
            })
        );
        assert_eq!(s.consecutive_losses, 0);
        assert_eq!(s.cooldown_until_ms, Some(until));
        assert!(s.in_cooldown(until - 1));
        assert!(!s.in_cooldown(until));
    }

    #[test]
    fn a_zero_loss_limit_never_starts_a_cooldown() {
        let mut s = RiskState::new(NOON, d("10000"));
        assert_eq!(s.on_trade_closed(NOON, d("-1"), 0, 4), None);
        assert_eq!(s.cooldown_until_ms, None);
    }

    #[test]
    fn resume_clears_the_halt_and_rebases_the_day() {
        let mut s = RiskState::new(NOON, d("10000"));
        s.on_equity(NOON, d("9600"), d(LIMIT));
        s.entries_paused = true;
        s.resume(d("9600"));
        assert_eq!(s.trading_state, TradingState::Active);
        assert!(!s.entries_paused);
        assert_eq!(s.breaker_tripped_at_ms, None);
        assert_eq!(s.day_start_equity, d("9600"));
        // It does not trip again at once, and it can trip again later.
        assert_eq!(s.on_equity(NOON + 1, d("9600"), d(LIMIT)), None);
        assert!(s.on_equity(NOON + 2, d("9312"), d(LIMIT)).is_some());
    }
}
