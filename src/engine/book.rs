//! The engine's own account book: wallet, open positions with their plans,
//! and the orders it has sent. Built only from exchange reports.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::{ClientOrderId, Fill, Leg, OrderRequest, OrderState, Position, Price, Symbol};
use crate::journal::TradeRecord;
use crate::strategy::Reason;

/// An open position and what it was opened for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenPosition {
    pub position: Position,
    pub stop: Price,
    pub take_profit: Price,
    pub decision_id: String,
    /// Open time of the candle behind the decision: its orders' ids derive from it.
    #[serde(default)]
    pub candle_open_ms: i64,
    pub equity_before: Decimal,
    pub reasons: Vec<Reason>,
    pub ai: String,
    /// Fees and funding paid so far over the round trip.
    pub fees: Decimal,
    pub funding: Decimal,
    /// Realized PnL of partial closes so far (before fees).
    pub realized: Decimal,
    /// Total quantity bought (long) or sold (short) to open, for the trade record.
    pub entry_qty: Decimal,
    /// Why the next reducing fill happens, when the engine asked for it.
    pub exit_reason: Option<String>,
}

/// An order the engine sent and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackedOrder {
    pub request: OrderRequest,
    pub state: OrderState,
    pub sent_ms: i64,
    /// For an entry: the position it opens (levels, reasons, equity before).
    pub plan: Option<Box<OpenPosition>>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Book {
    pub wallet: Decimal,
    pub positions: BTreeMap<Symbol, OpenPosition>,
    pub orders: BTreeMap<ClientOrderId, TrackedOrder>,
    /// Last price seen per symbol, for unrealized PnL.
    pub marks: BTreeMap<Symbol, Price>,
}

/// What a fill did to the book.
#[derive(Debug, Clone, PartialEq)]
pub enum FillEffect {
    Opened,
    /// A further part of the entry filled: averaged in.
    Added,
    /// Part of the position closed; it is still open.
    Reduced,
    Closed(Box<TradeRecord>),
    /// The fill had no position to act on (already flat).
    Ignored,
}

impl Book {
    pub fn new(wallet: Decimal) -> Book {
        Book {
            wallet,
            ..Book::default()
        }
    }

    pub fn unrealized(&self) -> Decimal {
        self.positions
            .values()
            .map(|p| {
                let mark = self
                    .marks
                    .get(&p.position.symbol)
                    .copied()
                    .unwrap_or(p.position.entry_price);
                p.position.unrealized_pnl(mark)
            })
            .sum()
    }

    /// TOTAL equity: wallet + unrealized PnL.
    pub fn equity(&self) -> Decimal {
        self.wallet + self.unrealized()
    }

    /// Orders not yet final (working, pending, unknown).
    pub fn live_orders(&self) -> impl Iterator<Item = &TrackedOrder> {
        self.orders.values().filter(|o| !o.state.is_final())
    }

    pub fn set_state(&mut self, id: &ClientOrderId, state: OrderState) -> Option<&TrackedOrder> {
        let order = self.orders.get_mut(id)?;
        order.state = state;
        Some(order)
    }

    /// Applies a fill. `plan` gives the levels and context of an entry.
    pub fn apply_fill(&mut self, fill: &Fill, plan: Option<OpenPosition>) -> FillEffect {
        self.wallet -= fill.fee;
        if fill.leg == Leg::Entry {
            if let Some(open) = self.positions.get_mut(&fill.symbol) {
                // A second fill of the same entry: average in.
                let old = open.position.qty.value();
                let add = fill.qty.value();
                let total = old + add;
                if !total.is_zero() {
                    let avg = (open.position.entry_price.value() * old + fill.price.value() * add)
                        / total;
                    open.position.entry_price = Price::new(avg).unwrap_or(fill.price);
                }
                open.position.qty = open.position.qty + fill.qty;
                open.entry_qty += add;
                open.fees += fill.fee;
                return FillEffect::Added;
            }
            let Some(mut plan) = plan else {
                return FillEffect::Ignored;
            };
            plan.position = Position {
                symbol: fill.symbol.clone(),
                side: fill.side,
                qty: fill.qty,
                entry_price: fill.price,
                opened_at_ms: fill.at_ms,
            };
            plan.fees += fill.fee;
            plan.entry_qty = fill.qty.value();
            self.positions.insert(fill.symbol.clone(), plan);
            return FillEffect::Opened;
        }
        let Some(open) = self.positions.get_mut(&fill.symbol) else {
            return FillEffect::Ignored;
        };
        if fill.side == open.position.side {
            return FillEffect::Ignored;
        }
        let qty = fill.qty.value().min(open.position.qty.value());
        let pnl = (fill.price - open.position.entry_price)
            * qty
            * Decimal::from(open.position.side.sign());
        self.wallet += pnl;
        open.realized += pnl;
        open.fees += fill.fee;
        let remaining = open.position.qty.value() - qty;
        if remaining > Decimal::ZERO {
            open.position.qty = crate::domain::Qty::new(remaining).unwrap_or_default();
            return FillEffect::Reduced;
        }
        let Some(closed) = self.positions.remove(&fill.symbol) else {
            return FillEffect::Ignored;
        };
        let reason = closed.exit_reason.clone().unwrap_or_else(|| {
            match fill.leg {
                Leg::Stop => "stop",
                Leg::TakeProfit => "take_profit",
                Leg::Exit | Leg::Entry => "exit",
            }
            .to_string()
        });
        let entry = closed.position.entry_price;
        let entry_qty = closed.entry_qty;
        let risk = (entry - closed.stop).abs() * entry_qty;
        let risk_fraction = if closed.equity_before.is_zero() {
            Decimal::ZERO
        } else {
            (risk / closed.equity_before).round_dp(8)
        };
        FillEffect::Closed(Box::new(TradeRecord {
            symbol: closed.position.symbol.clone(),
            side: closed.position.side,
            entry_time_ms: closed.position.opened_at_ms,
            entry_price: entry,
            qty: crate::domain::Qty::new(entry_qty).unwrap_or_default(),
            stop_price: closed.stop,
            take_profit_price: closed.take_profit,
            exit_time_ms: fill.at_ms,
            exit_price: fill.price,
            exit_reason: reason,
            pnl: closed.realized - closed.fees - closed.funding,
            fees: closed.fees,
            funding: closed.funding,
            equity_before: closed.equity_before,
            risk_fraction,
            reasons: closed.reasons,
            ai: closed.ai,
            decision_id: closed.decision_id,
        }))
    }
}
