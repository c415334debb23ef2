//! What the exchange holds against what the book believes, at start and
//! after every reconnect. The exchange is the truth for positions, equity
//! and open orders; the book keeps its plans (stop, take-profit, reasons).
//! A position without a working stop gets one at once; orders of ours the
//! book does not know are cancelled.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;

use crate::domain::{ClientOrderId, Leg, OrderState, Position, Price, Side, Symbol};
use crate::exec::AccountSnapshot;

use super::book::{OpenPosition, TrackedOrder};
use super::core::Engine;
use super::event::{Action, NoticeLevel};

impl Engine {
    pub(super) fn on_reconciled(&mut self, snapshot: AccountSnapshot, out: &mut Vec<Action>) {
        self.book.wallet = snapshot.wallet;
        let held: BTreeMap<Symbol, Position> = snapshot
            .positions
            .iter()
            .map(|p| (p.symbol.clone(), p.clone()))
            .collect();
        let symbols: BTreeSet<Symbol> = held
            .keys()
            .chain(self.book.positions.keys())
            .cloned()
            .collect();
        for symbol in symbols {
            match (self.book.positions.get_mut(&symbol), held.get(&symbol)) {
                (Some(open), Some(p)) if open.position.side == p.side => {
                    if open.position.qty != p.qty || open.position.entry_price != p.entry_price {
                        open.position.qty = p.qty;
                        open.position.entry_price = p.entry_price;
                        self.notice(
                            out,
                            NoticeLevel::Warn,
                            format!(
                                "{symbol}: position corrected to the exchange's {} {} at {}",
                                p.side, p.qty, p.entry_price
                            ),
                        );
                    }
                }
                (Some(_), Some(p)) => {
                    self.book.positions.remove(&symbol);
                    self.adopt(p.clone(), &snapshot, out);
                }
                (None, Some(p)) => self.adopt(p.clone(), &snapshot, out),
                (Some(_), None) => {
                    self.book.positions.remove(&symbol);
                    self.notice(
                        out,
                        NoticeLevel::Warn,
                        format!("{symbol}: the exchange holds no position; it was closed while the bot was away"),
                    );
                }
                (None, None) => {}
            }
            self.journal_position(&symbol, out);
        }
        self.reconcile_orders(&snapshot, out);
        let symbols: Vec<Symbol> = self.book.positions.keys().cloned().collect();
        for symbol in symbols {
            self.protect_missing(&symbol, out);
        }
        self.dirty = true;
        out.push(Action::Publish);
        self.notice(
            out,
            NoticeLevel::Info,
            format!(
                "reconciled with the exchange: {} position(s), {} open order(s) of ours, wallet {} USDT",
                snapshot.positions.len(),
                snapshot.open_orders.len(),
                snapshot.wallet.round_dp(2)
            ),
        );
    }

    /// A position the book did not know: its levels come from an open stop
    /// and take-profit of ours if there are, else from the ATR.
    fn adopt(&mut self, position: Position, snapshot: &AccountSnapshot, out: &mut Vec<Action>) {
        let symbol = position.symbol.clone();
        let trigger = |leg: Leg| {
            snapshot
                .open_orders
                .iter()
                .find(|o| o.symbol == symbol && o.leg == leg)
                .and_then(|o| o.kind.trigger())
        };
        let (atr_stop, atr_tp) = self.atr_levels(&position).unzip();
        let stop = trigger(Leg::Stop).or(atr_stop);
        let take_profit = trigger(Leg::TakeProfit).or(atr_tp);
        let (Some(stop), Some(take_profit)) = (stop, take_profit) else {
            self.notice(
                out,
                NoticeLevel::Error,
                format!("{symbol}: a position of {} {} with no stop and no ATR to place one: closing it", position.side, position.qty),
            );
            self.book.positions.insert(
                symbol.clone(),
                self.adopted(position, Price::ZERO, Price::ZERO),
            );
            self.flatten_symbol(&symbol, "unprotected at reconciliation", out);
            return;
        };
        self.notice(
            out,
            NoticeLevel::Warn,
            format!(
                "{symbol}: adopted the exchange's {} {} at {} (stop {stop}, take-profit {take_profit})",
                position.side, position.qty, position.entry_price
            ),
        );
        let open = self.adopted(position, stop, take_profit);
        self.book.positions.insert(symbol, open);
    }

    fn adopted(&self, position: Position, stop: Price, take_profit: Price) -> OpenPosition {
        OpenPosition {
            decision_id: format!("{}-adopted-{}", position.symbol, self.now_ms),
            candle_open_ms: self.now_ms,
            equity_before: self.book.equity(),
            entry_qty: position.qty.value(),
            position,
            stop,
            take_profit,
            reasons: vec![],
            ai: "adopted".into(),
            fees: Decimal::ZERO,
            funding: Decimal::ZERO,
            realized: Decimal::ZERO,
            exit_reason: None,
        }
    }

    /// Stop and take-profit at the strategy's ATR multiples from the entry.
    fn atr_levels(&self, position: &Position) -> Option<(Price, Price)> {
        let index = self
            .symbols
            .iter()
            .position(|s| s.symbol == position.symbol)?;
        let atr = Decimal::from_f64(self.symbols[index].latest().atr?)?;
        let k = Decimal::from(position.side.sign());
        let entry = position.entry_price.value();
        let stop = entry - k * atr * Decimal::from_f64(self.stop_atr_mult)?;
        let tp = entry + k * atr * Decimal::from_f64(self.take_profit_atr_mult)?;
        let instrument = &self.instruments[index];
        let (stop, tp) = (Price::new(stop).ok()?, Price::new(tp).ok()?);
        Some(match position.side {
            Side::Buy => (
                instrument.round_price_down(stop),
                instrument.round_price_down(tp),
            ),
            Side::Sell => (
                instrument.round_price_up(stop),
                instrument.round_price_up(tp),
            ),
        })
        .filter(|(s, t)| !s.is_zero() && !t.is_zero())
    }

    fn reconcile_orders(&mut self, snapshot: &AccountSnapshot, out: &mut Vec<Action>) {
        let on_exchange: BTreeSet<&ClientOrderId> =
            snapshot.open_orders.iter().map(|o| &o.id).collect();
        // Working in the book, gone from the exchange: settled while away.
        let gone: Vec<ClientOrderId> = self
            .book
            .live_orders()
            .filter(|o| matches!(o.state, OrderState::Open | OrderState::PendingCancel))
            .filter(|o| !on_exchange.contains(&o.request.id))
            .map(|o| o.request.id.clone())
            .collect();
        for id in gone {
            if self.book.set_state(&id, OrderState::Cancelled).is_some() {
                self.journal_order(&id, self.now_ms, out);
            }
        }
        for order in &snapshot.open_orders {
            if self.book.orders.contains_key(&order.id) {
                if let Some(tracked) = self.book.orders.get_mut(&order.id)
                    && matches!(tracked.state, OrderState::Unknown | OrderState::PendingNew)
                {
                    tracked.state = OrderState::Open;
                    self.journal_order(&order.id, self.now_ms, out);
                }
                continue;
            }
            let protects_a_position = order.leg.is_reducing()
                && order.kind.trigger().is_some()
                && self
                    .book
                    .positions
                    .get(&order.symbol)
                    .is_some_and(|p| p.position.side == order.side.opposite());
            let duplicate_leg = self
                .book
                .live_orders()
                .any(|o| o.request.symbol == order.symbol && o.request.leg == order.leg);
            if protects_a_position && !duplicate_leg {
                // A stop or take-profit of ours for the position we hold: keep it.
                self.book.orders.insert(
                    order.id.clone(),
                    TrackedOrder {
                        request: order.clone(),
                        state: OrderState::Open,
                        sent_ms: snapshot.at_ms,
                        plan: None,
                    },
                );
                self.journal_order(&order.id, self.now_ms, out);
            } else {
                self.notice(
                    out,
                    NoticeLevel::Warn,
                    format!(
                        "{}: cancelling orphaned order {} of ours",
                        order.symbol, order.id
                    ),
                );
                out.push(Action::Cancel(order.id.clone()));
            }
        }
    }

    /// Sends the stop (and take-profit) a held position lacks.
    pub(super) fn protect_missing(&mut self, symbol: &Symbol, out: &mut Vec<Action>) {
        let Some(open) = self.book.positions.get(symbol) else {
            return;
        };
        let has = |leg: Leg| {
            self.book.live_orders().any(|o| {
                o.request.symbol == *symbol
                    && o.request.leg == leg
                    && o.state != OrderState::PendingCancel
            })
        };
        let (has_stop, has_tp) = (has(Leg::Stop), has(Leg::TakeProfit));
        if has_stop && has_tp {
            return;
        }
        let qty = open.position.qty;
        if !has_stop {
            self.notice(
                out,
                NoticeLevel::Warn,
                format!(
                    "{symbol}: no protective stop on the exchange; placing one at {}",
                    open.stop
                ),
            );
        }
        let missing: Vec<Leg> = [(Leg::Stop, has_stop), (Leg::TakeProfit, has_tp)]
            .into_iter()
            .filter(|(_, present)| !present)
            .map(|(leg, _)| leg)
            .collect();
        self.send_protection(symbol, qty, &missing, out);
    }
}
