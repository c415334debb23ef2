//! What the exchange reports: acceptance, rejection, fills, cancels, funding.
//! After an entry fills, its stop and take-profit are sent at once.

use crate::domain::{
    ClientOrderId, Fill, Leg, OrderKind, OrderRequest, OrderState, Price, Side, Symbol,
};
use crate::exec::ExecReport;
use crate::journal::{DecisionStatus, FundingRecord, OrderRecord, PositionRecord, Record};
use crate::risk::{self, RiskEvent};

use super::book::{FillEffect, TrackedOrder};
use super::core::Engine;
use super::event::{Action, NoticeLevel};
use super::latency::Stage;

impl Engine {
    pub(super) fn on_report(&mut self, report: ExecReport, out: &mut Vec<Action>) {
        self.dirty = true;
        out.push(Action::Publish);
        match report {
            ExecReport::Accepted { id, .. } => {
                self.acknowledge(&id);
                // A late acceptance (events reordered, the REST answer after
                // the stream) never moves an order back from a partial fill
                // or a cancel request.
                let waiting = self.book.orders.get(&id).is_some_and(|o| {
                    matches!(o.state, OrderState::PendingNew | OrderState::Unknown)
                });
                if waiting {
                    self.set_order_state(&id, OrderState::Open, out);
                }
            }
            ExecReport::Rejected { id, reason, .. } => self.on_rejected(&id, reason, out),
            ExecReport::Cancelled { id, .. } => {
                self.on_entry_cancelled(&id, out);
                let unasked_stop = self.book.orders.get(&id).and_then(|o| {
                    (o.request.leg == Leg::Stop && o.state != OrderState::PendingCancel)
                        .then(|| o.request.symbol.clone())
                });
                self.set_order_state(&id, OrderState::Cancelled, out);
                if let Some(symbol) = unasked_stop
                    && self.book.positions.contains_key(&symbol)
                {
                    self.notice(
                        out,
                        NoticeLevel::Error,
                        format!("{symbol}: the exchange ended the stop {id} without a fill; protecting the position again"),
                    );
                    self.protect_missing(&symbol, out);
                }
            }
            ExecReport::Filled(fill) => self.on_fill(fill, None, out),
            ExecReport::Liquidated(fill) => {
                // Binance names an auto-deleveraging close `adl_autoclose…`.
                let (what, reason) = if fill.order_id.as_str().starts_with("adl_") {
                    ("closed by AUTO-DELEVERAGING", "adl")
                } else {
                    ("LIQUIDATED", "liquidation")
                };
                self.notice(
                    out,
                    NoticeLevel::Error,
                    format!(
                        "{}: position {what}: {} {} at {}",
                        fill.symbol, fill.side, fill.qty, fill.price
                    ),
                );
                self.on_fill(fill, Some(reason), out);
            }
            ExecReport::Unknown { id, reason, .. } => {
                let pending = self
                    .book
                    .orders
                    .get(&id)
                    .is_some_and(|o| o.state == OrderState::PendingNew);
                if pending && self.book.set_state(&id, OrderState::Unknown).is_some() {
                    self.journal_order(&id, self.now_ms, out);
                    self.notice(
                        out,
                        NoticeLevel::Warn,
                        format!(
                            "{id}: outcome unknown ({reason}); asking the exchange, not resending"
                        ),
                    );
                }
            }
            // The account is the live book's truth; a paper book is its own.
            ExecReport::Reconciled(snapshot) if self.mode == crate::domain::Mode::Live => {
                self.on_reconciled(*snapshot, out)
            }
            ExecReport::Reconciled(_) => {}
            ExecReport::Funding {
                symbol,
                rate,
                amount,
                at_ms,
            } => {
                self.book.wallet -= amount;
                if let Some(open) = self.book.positions.get_mut(&symbol) {
                    open.funding += amount;
                }
                self.journal(out, || {
                    Record::Funding(FundingRecord {
                        at_ms,
                        symbol,
                        rate,
                        amount,
                    })
                });
            }
        }
    }

    /// An entry cancelled before any fill ends its decision; one cancelled
    /// after a part filled leaves that part as the position.
    fn on_entry_cancelled(&mut self, id: &ClientOrderId, out: &mut Vec<Action>) {
        let Some(order) = self.book.orders.get(id) else {
            return;
        };
        if order.request.leg != Leg::Entry || order.state.is_final() {
            return;
        }
        let decision = order.request.decision_id.clone();
        let unfilled = self
            .book
            .positions
            .get(&order.request.symbol)
            .is_none_or(|p| Some(&p.decision_id) != decision.as_ref());
        if unfilled {
            self.set_decision_status(decision.as_deref(), DecisionStatus::Expired, out);
        }
    }

    fn acknowledge(&mut self, id: &ClientOrderId) {
        if let Some(i) = self.awaiting_ack.iter().position(|(a, _)| a == id) {
            let (_, sent_us) = self.awaiting_ack.swap_remove(i);
            self.latency.record(Stage::Ack, (self.clock)() - sent_us);
        }
    }

    fn set_order_state(&mut self, id: &ClientOrderId, state: OrderState, out: &mut Vec<Action>) {
        if self.book.set_state(id, state).is_some() {
            self.journal_order(id, self.now_ms, out);
        }
    }

    /// Appends the order's current state to the journal.
    pub(super) fn journal_order(&self, id: &ClientOrderId, at_ms: i64, out: &mut Vec<Action>) {
        if let Some(order) = self.book.orders.get(id) {
            self.journal(out, || {
                Record::Order(OrderRecord {
                    at_ms,
                    request: order.request.clone(),
                    state: order.state.clone(),
                })
            });
        }
    }

    fn on_rejected(&mut self, id: &ClientOrderId, reason: String, out: &mut Vec<Action>) {
        let Some(order) = self.book.orders.get(id) else {
            // Not an order the book still tracks: typically a cancel of a
            // protective order the venue already closed with its position.
            self.notice(
                out,
                NoticeLevel::Info,
                format!("{id}: {reason}; it is no longer open, nothing to do"),
            );
            return;
        };
        if order.state.is_final() {
            // The venue closed it already (e.g. its sibling stop filled first).
            return;
        }
        if order.state == OrderState::PendingCancel {
            // Cancelling an order the venue already closed: it is gone either way.
            self.set_order_state(id, OrderState::Cancelled, out);
            return;
        }
        let request = order.request.clone();
        self.set_order_state(
            id,
            OrderState::Rejected {
                reason: reason.clone(),
            },
            out,
        );
        self.notice(
            out,
            NoticeLevel::Error,
            format!(
                "{}: {:?} order {id} rejected: {reason}",
                request.symbol, request.leg
            ),
        );
        match request.leg {
            Leg::Entry => self.set_decision_status(
                request.decision_id.as_deref(),
                DecisionStatus::Failed,
                out,
            ),
            Leg::Stop => {
                // Never leave a position without a stop: close it.
                self.notice(
                    out,
                    NoticeLevel::Error,
                    format!(
                        "{}: no protective stop, closing the position",
                        request.symbol
                    ),
                );
                self.flatten_symbol(&request.symbol, "stop rejected", out);
            }
            Leg::TakeProfit | Leg::Exit => {}
        }
    }

    fn on_fill(&mut self, fill: Fill, exit_reason: Option<&str>, out: &mut Vec<Action>) {
        self.acknowledge(&fill.order_id);
        let mut ordered_qty = fill.qty;
        let plan = self.book.orders.get_mut(&fill.order_id).and_then(|o| {
            let before = match &o.state {
                OrderState::PartiallyFilled { filled } => *filled,
                _ => crate::domain::Qty::ZERO,
            };
            let filled = before + fill.qty;
            ordered_qty = o.request.qty;
            if filled.value() < o.request.qty.value() {
                o.state = OrderState::PartiallyFilled { filled };
                // Kept until the order is done: later parts average into the position.
                o.plan.as_deref().cloned()
            } else {
                o.state = OrderState::Filled;
                // A filled order leaves the book after this event.
                o.plan.take().map(|plan| *plan)
            }
        });
        self.journal_order(&fill.order_id, fill.at_ms, out);
        if let (Some(reason), Some(open)) = (exit_reason, self.book.positions.get_mut(&fill.symbol))
        {
            open.exit_reason = Some(reason.to_string());
        }
        self.journal(out, || Record::Fill(fill.clone()));
        let reference = plan
            .as_ref()
            .filter(|_| !self.book.positions.contains_key(&fill.symbol))
            .map(|p| p.position.entry_price);
        match self.book.apply_fill(&fill, plan) {
            FillEffect::Opened => {
                if let Some(reference) = reference {
                    self.anchor_levels(&fill, reference);
                }
                self.narrate(out, NoticeLevel::Info, || {
                    format!(
                        "{}: {} {} filled at {}",
                        fill.symbol, fill.side, fill.qty, fill.price
                    )
                });
                let decision = self
                    .book
                    .positions
                    .get(&fill.symbol)
                    .map(|p| p.decision_id.clone());
                self.set_decision_status(decision.as_deref(), DecisionStatus::Filled, out);
                if reference.is_some() {
                    self.protect(&fill.symbol, ordered_qty, out);
                }
                self.journal_position(&fill.symbol, out);
            }
            FillEffect::Added | FillEffect::Reduced => self.journal_position(&fill.symbol, out),
            FillEffect::Closed(trade) => {
                self.narrate(
                    out,
                    if trade.pnl.is_sign_negative() {
                        NoticeLevel::Warn
                    } else {
                        NoticeLevel::Info
                    },
                    || {
                        format!(
                            "{}: {} closed by {} at {}, PnL {} USDT",
                            trade.symbol,
                            trade.side,
                            trade.exit_reason,
                            trade.exit_price,
                            trade.pnl.round_dp(2)
                        )
                    },
                );
                self.cancel_working(&fill.symbol, |o| o.request.leg.is_reducing(), out);
                self.journal_position(&fill.symbol, out);
                if let Some(RiskEvent::CooldownStarted { losses, until_ms }) =
                    self.risk.on_trade_closed(
                        self.now_ms,
                        trade.pnl,
                        self.risk_config.cooldown_losses,
                        self.risk_config.cooldown_hours,
                    )
                {
                    self.stats.cooldowns += 1;
                    self.notice(
                        out,
                        NoticeLevel::Warn,
                        format!(
                            "cooldown: {losses} losses in a row, no new entries until {}",
                            crate::domain::time::format_utc(until_ms)
                        ),
                    );
                }
                self.journal(out, || Record::Trade(trade.clone()));
                self.record_trade(*trade);
            }
            FillEffect::Ignored => self.notice(
                out,
                NoticeLevel::Warn,
                format!(
                    "{}: fill {} matched no position",
                    fill.symbol, fill.order_id
                ),
            ),
        }
        self.check_equity(out);
    }

    /// The stop and take-profit keep their ATR distances from the price the
    /// entry actually got, not from the candle close it was planned at: the
    /// size was computed for that distance, so the risk at the stop stays
    /// within the fraction however the market order filled.
    fn anchor_levels(&mut self, fill: &Fill, reference: Price) {
        let Some(index) = self.symbols.iter().position(|s| s.symbol == fill.symbol) else {
            return;
        };
        let instrument = &self.instruments[index];
        let Some(open) = self.book.positions.get_mut(&fill.symbol) else {
            return;
        };
        let shift = fill.price - reference;
        let moved = |p: Price| Price::new(p.value() + shift).ok();
        let (Some(stop), Some(tp)) = (moved(open.stop), moved(open.take_profit)) else {
            return;
        };
        let (stop, tp) = match open.position.side {
            Side::Buy => (
                instrument.round_price_down(stop),
                instrument.round_price_down(tp),
            ),
            Side::Sell => (
                instrument.round_price_up(stop),
                instrument.round_price_up(tp),
            ),
        };
        let entry = fill.price;
        let valid = match open.position.side {
            Side::Buy => stop < entry && tp > entry && !stop.is_zero(),
            Side::Sell => stop > entry && tp < entry && !tp.is_zero(),
        };
        if valid {
            open.stop = stop;
            open.take_profit = tp;
        }
    }

    /// Sends the stop and the take-profit of a freshly opened position, for
    /// the whole ordered quantity: later parts of a partly filled entry are
    /// covered from the start (the venue closes the whole position anyway).
    fn protect(&mut self, symbol: &Symbol, qty: crate::domain::Qty, out: &mut Vec<Action>) {
        self.send_protection(symbol, qty, &[Leg::Stop, Leg::TakeProfit], out);
    }

    /// Sends the protective orders `legs` (stop, take-profit) of the open
    /// position on `symbol` at its planned levels.
    pub(super) fn send_protection(
        &mut self,
        symbol: &Symbol,
        qty: crate::domain::Qty,
        legs: &[Leg],
        out: &mut Vec<Action>,
    ) {
        let Some(open) = self.book.positions.get(symbol) else {
            return;
        };
        let base = open.candle_open_ms;
        let side = open.position.side.opposite();
        let decision = open.decision_id.clone();
        let (stop, take_profit) = (open.stop, open.take_profit);
        for &leg in legs {
            let kind = match leg {
                Leg::Stop => OrderKind::StopMarket { trigger: stop },
                Leg::TakeProfit => OrderKind::TakeProfitMarket {
                    trigger: take_profit,
                },
                Leg::Entry | Leg::Exit => continue,
            };
            let request = OrderRequest {
                id: super::decide::order_id(symbol, base, leg),
                symbol: symbol.clone(),
                side,
                kind,
                qty,
                leg,
                decision_id: Some(decision.clone()),
            };
            self.submit_checked(request, out);
        }
    }

    /// Passes a request through the gateway; sends it or reports the refusal.
    pub(super) fn submit_checked(&mut self, request: OrderRequest, out: &mut Vec<Action>) {
        match risk::check(&self.gateway_context(&request.symbol), request.clone()) {
            Ok(approved) => {
                self.track(request, None);
                out.push(Action::Submit(approved));
            }
            Err(refusal) => self.notice(
                out,
                NoticeLevel::Error,
                format!(
                    "{}: {:?} order refused: {refusal}",
                    request.symbol, request.leg
                ),
            ),
        }
    }

    pub(super) fn set_decision_status(
        &mut self,
        decision_id: Option<&str>,
        status: DecisionStatus,
        out: &mut Vec<Action>,
    ) {
        let Some(id) = decision_id else { return };
        // Newest first: a fill or a cancel is almost always for a recent decision.
        if let Some(i) = self.decisions.iter().rposition(|d| d.id == id) {
            self.decisions[i].status = status;
            self.journal(out, || {
                Record::Decision(Box::new(self.decisions[i].clone()))
            });
        }
    }

    pub(super) fn journal_position(&self, symbol: &Symbol, out: &mut Vec<Action>) {
        self.journal(out, || {
            let open = self.book.positions.get(symbol);
            Record::Position(PositionRecord {
                at_ms: self.now_ms,
                symbol: symbol.clone(),
                position: open.map(|o| o.position.clone()),
                stop: open.map(|o| o.stop),
                take_profit: open.map(|o| o.take_profit),
            })
        });
    }

    /// Cancels the bot's live orders on `symbol` that `which` picks (and
    /// not already being cancelled); returns their ids.
    pub(super) fn cancel_working(
        &mut self,
        symbol: &Symbol,
        which: impl Fn(&TrackedOrder) -> bool,
        out: &mut Vec<Action>,
    ) -> Vec<ClientOrderId> {
        let ids: Vec<ClientOrderId> = self
            .book
            .live_orders()
            .filter(|o| {
                o.request.symbol == *symbol && which(o) && o.state != OrderState::PendingCancel
            })
            .map(|o| o.request.id.clone())
            .collect();
        for id in &ids {
            self.request_cancel(id, out);
        }
        ids
    }

    pub(super) fn request_cancel(&mut self, id: &ClientOrderId, out: &mut Vec<Action>) {
        self.set_order_state(id, OrderState::PendingCancel, out);
        out.push(Action::Cancel(id.clone()));
    }
}
