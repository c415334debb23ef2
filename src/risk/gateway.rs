//! The one gateway: every order the engine wants sent passes `check`, and only
//! an [`Approved`] order can be handed to an exchange.

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

/// TODO(helper): entries (leg Entry) need: trading state Active, armed, not
/// paused, not in cooldown, fewer than max open positions, no position on the
/// symbol. Reducing legs (Stop, TakeProfit, Exit) are allowed in EVERY trading
/// state (a position is never left without a stop; Halted still closes), but
/// only when there is a position and the order's side is opposite to it.
pub fn check(ctx: &GatewayContext, request: OrderRequest) -> Result<Approved, Refusal> {
    let _ = ctx;
    Ok(Approved(request))
}
