//! Exchanges: the `Exchange` trait the engine's runner drives, and the paper
//! exchange. The Binance adapter implements the same trait.

pub mod instruments;
pub mod paper;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::{Candle, ClientOrderId, Fill, OrderRequest, Position, Symbol};
use crate::risk::Approved;

/// What an exchange reports back. The engine learns about orders only from these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "report")]
pub enum ExecReport {
    /// The order is working on the exchange (a stop waiting for its trigger).
    Accepted {
        id: ClientOrderId,
        at_ms: i64,
    },
    Rejected {
        id: ClientOrderId,
        reason: String,
        at_ms: i64,
    },
    Filled(Fill),
    Cancelled {
        id: ClientOrderId,
        at_ms: i64,
    },
    /// Funding settled on a position: `amount` > 0 was paid, < 0 received
    /// (USDT). `rate` is zero where the venue does not state it (Binance's
    /// funding event carries the amount only).
    Funding {
        symbol: Symbol,
        rate: Decimal,
        amount: Decimal,
        at_ms: i64,
    },
    /// The exchange closed (part of) the position itself at `fill.price`:
    /// a liquidation, or an auto-deleveraging (order id `adl_…`).
    Liquidated(Fill),
    /// The order's outcome is not known (timeout, 5xx, dropped connection):
    /// it may exist. It stays in doubt until the venue settles it.
    Unknown {
        id: ClientOrderId,
        reason: String,
        at_ms: i64,
    },
    /// What the exchange holds, read at start and after every reconnect.
    Reconciled(Box<AccountSnapshot>),
}

/// The account as the exchange reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountSnapshot {
    pub at_ms: i64,
    /// Wallet balance (realized), USDT.
    pub wallet: Decimal,
    /// Wallet plus unrealized PnL: the equity risk sizes on.
    pub equity: Decimal,
    pub positions: Vec<Position>,
    /// The bot's own open orders and algo orders (ids with its prefix).
    pub open_orders: Vec<OrderRequest>,
}

/// A venue. Calls return what the venue reports at once; a real exchange may
/// report more later through the runner's account feed.
pub trait Exchange: Send {
    fn name(&self) -> &'static str;
    /// Hands an approved order to the venue.
    fn submit(&mut self, at_ms: i64, order: &Approved) -> Vec<ExecReport>;
    fn cancel(&mut self, at_ms: i64, id: &ClientOrderId) -> Vec<ExecReport>;
    /// Every market update (forming or closed candle) the venue should see:
    /// the paper exchange fills and triggers orders from these.
    fn on_candle(&mut self, at_ms: i64, symbol: &Symbol, candle: &Candle) -> Vec<ExecReport>;
    /// Read the account again and report it (`ExecReport::Reconciled`);
    /// a venue that is its own truth (paper) has nothing to do.
    fn reconcile(&mut self) {}
}
