//! The one gateway: every order the engine wants sent passes `check`, and only
//! an [`Approved`] order can be handed to an exchange.

use crate::domain::time::format_utc;
use crate::domain::{OrderRequest, Side, TradingState};

use super::Refusal;

/// An order risk has approved. It can only be made by [`check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approved(OrderRequest);

impl Approved {
    pub fn request(&self) -> &OrderRequest {
        &self.0
    }

    pub fn into_request(self) -> OrderRequest {
        self.0
    }
}

/// Everything the gateway needs to know, gathered by the engine.
#[derive(Debug, Clone)]
pub struct GatewayContext {
    pub now_ms: i64,
    pub trading_state: TradingState,
    pub armed: bool,
    pub entries_paused: bool,
    pub cooldown_until_ms: Option<i64>,
    /// Open positions across all symbols.
    pub open_positions: usize,
    pub max_open_positions: u32,
    /// The side of the open position on the request's symbol, if any.
    pub position_side: Option<Side>,
}

/// Entries (leg Entry) need, checked in this order: trading state Active,
/// armed, not paused, not in cooldown, no position on the symbol, fewer than
/// max open positions. Reducing legs (Stop, TakeProfit, Exit) are allowed in
/// EVERY trading state (a position is never left without a stop; Halted still
/// closes), but only when there is a position and the order's side is
/// opposite to it.
pub fn check(ctx: &GatewayContext, request: OrderRequest) -> Result<Approved, Refusal> {
    if request.leg.is_reducing() {
        let position_side = ctx.position_side.ok_or(Refusal::NoPositionToReduce)?;
        if request.side == position_side {
            return Err(Refusal::WouldNotReduce {
                order_side: request.side,
                position_side,
            });
        }
        return Ok(Approved(request));
    }
    entry_gate(ctx)?;
    Ok(Approved(request))
}

/// Whether the account takes any new entry now, whatever its size: the
/// engine asks before sizing a proposal, so a proposal that cannot be
/// traded costs no sizing, and the operator reads the reason that matters.
pub fn entry_gate(ctx: &GatewayContext) -> Result<(), Refusal> {
    match first_shut(ctx) {
        Some(shut) => Err(shut.refusal()),
        None => Ok(()),
    }
}

/// `entry_gate(ctx).is_err()` without writing the refusal: a backtest asks
/// on every candle, and a cooldown's refusal prints a date.
pub fn entries_shut(ctx: &GatewayContext) -> bool {
    first_shut(ctx).is_some()
}

/// The first rule that shuts entries, as data.
#[derive(Clone, Copy)]
enum Shut {
    TradingState(TradingState),
    Disarmed,
    EntriesPaused,
    Cooldown { until_ms: i64 },
    AlreadyInPosition { side: Side },
    MaxOpenPositions { open: usize, max: u32 },
}

fn first_shut(ctx: &GatewayContext) -> Option<Shut> {
    if !ctx.trading_state.allows_entries() {
        return Some(Shut::TradingState(ctx.trading_state));
    }
    if !ctx.armed {
        return Some(Shut::Disarmed);
    }
    if ctx.entries_paused {
        return Some(Shut::EntriesPaused);
    }
    if let Some(until_ms) = ctx.cooldown_until_ms.filter(|&until| ctx.now_ms < until) {
        return Some(Shut::Cooldown { until_ms });
    }
    if let Some(side) = ctx.position_side {
        return Some(Shut::AlreadyInPosition { side });
    }
    // usize → u64 is lossless on every platform Rust supports.
    if ctx.open_positions as u64 >= u64::from(ctx.max_open_positions) {
        return Some(Shut::MaxOpenPositions {
            open: ctx.open_positions,
            max: ctx.max_open_positions,
        });
    }
    None
}

impl Shut {
    fn refusal(self) -> Refusal {
        match self {
            Shut::TradingState(state) => Refusal::TradingState(state),
            Shut::Disarmed => Refusal::Disarmed,
            Shut::EntriesPaused => Refusal::EntriesPaused,
            Shut::Cooldown { until_ms } => Refusal::Cooldown {
                until_ms,
                until: format!("{} UTC", format_utc(until_ms)),
            },
            Shut::AlreadyInPosition { side } => Refusal::AlreadyInPosition { side },
            Shut::MaxOpenPositions { open, max } => Refusal::MaxOpenPositions { open, max },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ClientOrderId, Leg, OrderKind, Symbol};

    const NOW: i64 = 1_709_210_096_000;

    /// Everything allows an entry.
    fn open() -> GatewayContext {
        GatewayContext {
            now_ms: NOW,
            trading_state: TradingState::Active,
            armed: true,
            entries_paused: false,
            cooldown_until_ms: None,
            open_positions: 0,
            max_open_positions: 2,
            position_side: None,
        }
    }

    fn order(leg: Leg, side: Side) -> OrderRequest {
        OrderRequest {
            id: ClientOrderId("c-1".to_string()),
            symbol: Symbol::new("BTCUSDT").unwrap(),
            side,
            kind: OrderKind::Market,
            qty: "0.01".parse().unwrap(),
            leg,
            decision_id: None,
        }
    }

    /// An entry through the gateway; every test through here also holds
    /// the backtest's shortcut to the gate's answer.
    fn entry(ctx: &GatewayContext) -> Result<Approved, Refusal> {
        let result = check(ctx, order(Leg::Entry, Side::Buy));
        assert_eq!(entries_shut(ctx), result.is_err(), "{ctx:?}");
        result
    }

    #[test]
    fn an_entry_passes_when_everything_allows_it() {
        let req = order(Leg::Entry, Side::Buy);
        let ok = check(&open(), req.clone()).unwrap();
        assert_eq!(ok.request(), &req);
        assert_eq!(ok.into_request(), req);
    }

    #[test]
    fn entries_need_an_active_trading_state() {
        for state in [TradingState::Reducing, TradingState::Halted] {
            let ctx = GatewayContext {
                trading_state: state,
                ..open()
            };
            assert_eq!(entry(&ctx), Err(Refusal::TradingState(state)));
        }
    }

    #[test]
    fn entries_need_arming_and_no_pause() {
        let ctx = GatewayContext {
            armed: false,
            ..open()
        };
        assert_eq!(entry(&ctx), Err(Refusal::Disarmed));
        let ctx = GatewayContext {
            entries_paused: true,
            ..open()
        };
        assert_eq!(entry(&ctx), Err(Refusal::EntriesPaused));
    }

    #[test]
    fn entries_wait_out_the_cooldown() {
        let until = NOW + 1000;
        let ctx = GatewayContext {
            cooldown_until_ms: Some(until),
            ..open()
        };
        let e = entry(&ctx).unwrap_err();
        assert_eq!(
            e,
            Refusal::Cooldown {
                until_ms: until,
                until: "2024-02-29 12:34:57 UTC".to_string()
            }
        );
        assert_eq!(
            e.to_string(),
            "cooldown after consecutive losses until 2024-02-29 12:34:57 UTC"
        );
        let over = GatewayContext {
            now_ms: until,
            ..ctx
        };
        assert!(entry(&over).is_ok());
    }

    #[test]
    fn one_position_per_symbol_and_at_most_max_in_all() {
        let ctx = GatewayContext {
            position_side: Some(Side::Sell),
            open_positions: 1,
            ..open()
        };
        assert_eq!(
            entry(&ctx),
            Err(Refusal::AlreadyInPosition { side: Side::Sell })
        );
        let ctx = GatewayContext {
            open_positions: 2,
            ..open()
        };
        assert_eq!(
            entry(&ctx),
            Err(Refusal::MaxOpenPositions { open: 2, max: 2 })
        );
        let ctx = GatewayContext {
            open_positions: 1,
            ..open()
        };
        assert!(entry(&ctx).is_ok());
    }

    #[test]
    fn entry_checks_come_in_their_order() {
        let mut ctx = GatewayContext {
            now_ms: NOW,
            trading_state: TradingState::Halted,
            armed: false,
            entries_paused: true,
            cooldown_until_ms: Some(NOW + 1),
            open_positions: 5,
            max_open_positions: 2,
            position_side: Some(Side::Buy),
        };
        let first = |ctx: &GatewayContext| entry(ctx).unwrap_err();
        assert_eq!(first(&ctx), Refusal::TradingState(TradingState::Halted));
        ctx.trading_state = TradingState::Active;
        assert_eq!(first(&ctx), Refusal::Disarmed);
        ctx.armed = true;
        assert_eq!(first(&ctx), Refusal::EntriesPaused);
        ctx.entries_paused = false;
        assert!(matches!(first(&ctx), Refusal::Cooldown { .. }));
        ctx.cooldown_until_ms = None;
        assert_eq!(first(&ctx), Refusal::AlreadyInPosition { side: Side::Buy });
        ctx.position_side = None;
        assert!(matches!(first(&ctx), Refusal::MaxOpenPositions { .. }));
    }

    #[test]
    fn reductions_pass_in_every_state_when_they_reduce() {
        for state in [
            TradingState::Active,
            TradingState::Reducing,
            TradingState::Halted,
        ] {
            for leg in [Leg::Stop, Leg::TakeProfit, Leg::Exit] {
                let ctx = GatewayContext {
                    trading_state: state,
                    armed: false,
                    entries_paused: true,
                    cooldown_until_ms: Some(NOW + 1),
                    open_positions: 9,
                    position_side: Some(Side::Buy),
                    ..open()
                };
                assert!(
                    check(&ctx, order(leg, Side::Sell)).is_ok(),
                    "{state} {leg:?}"
                );
            }
        }
    }

    #[test]
    fn reductions_need_a_position_and_the_opposite_side() {
        assert_eq!(
            check(&open(), order(Leg::Exit, Side::Sell)),
            Err(Refusal::NoPositionToReduce)
        );
        let ctx = GatewayContext {
            position_side: Some(Side::Sell),
            ..open()
        };
        assert_eq!(
            check(&ctx, order(Leg::Stop, Side::Sell)),
            Err(Refusal::WouldNotReduce {
                order_side: Side::Sell,
                position_side: Side::Sell
            })
        );
        assert!(check(&ctx, order(Leg::Stop, Side::Buy)).is_ok());
    }
}
