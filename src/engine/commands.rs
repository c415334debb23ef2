//! Operator commands. Every command is journaled with its result.

use crate::domain::{ClientOrderId, Leg, Mode, OrderKind, OrderRequest, Symbol, TradingState};
use crate::journal::{CommandRecord, DecisionStatus, Record};
use crate::risk;

use super::core::Engine;
use super::event::{Action, Command, NoticeLevel};

impl Engine {
    pub(super) fn on_command(&mut self, command: Command, out: &mut Vec<Action>) {
        let described = command.describe();
        let result: Result<String, String> = match command {
            Command::Shutdown => {
                self.notice(out, NoticeLevel::Info, "engine stopping".into());
                out.push(Action::Stop);
                Ok("stopping; positions and exchange stops stay as they are".into())
            }
            Command::Arm => {
                self.armed = true;
                Ok("armed: new entries allowed".into())
            }
            Command::Disarm => {
                self.armed = false;
                Ok("disarmed: no new entries, exits and stops still managed".into())
            }
            Command::SetMode(Mode::Live) if !self.live_available => Err(format!(
                "live trading needs Binance API keys and `cockpit run --feed binance --live`; staying in {}",
                self.mode
            )),
            // Paper and live keep one book: switching between them with
            // something open would mix a simulated and a real position.
            Command::SetMode(mode)
                if mode != self.mode
                    && (mode == Mode::Live || self.mode == Mode::Live)
                    && (!self.book.positions.is_empty()
                        || self.book.live_orders().next().is_some()) =>
            {
                Err(format!(
                    "positions or orders are open in {}: flatten them (K, F) before switching to {mode}",
                    self.mode
                ))
            }
            Command::SetMode(mode) => {
                self.mode = mode;
                if mode == Mode::Shadow {
                    self.reject_all_approvals("switched to shadow", out);
                }
                Ok(format!("mode {mode}"))
            }
            Command::SetAutomation(a) => {
                self.automation = a;
                Ok(format!("automation {a:?}").to_lowercase())
            }
            Command::Approve(id) => self.approve(&id, out),
            Command::Reject(id) => match self.approvals.iter().position(|p| p.record.id == id) {
                Some(i) => {
                    let mut record = self.approvals.remove(i).record;
                    record.status = DecisionStatus::Rejected;
                    self.finish_decision(record, out);
                    Ok(format!("{id} rejected"))
                }
                None => Err(format!("no pending approval {id}")),
            },
            Command::PauseEntries => {
                self.risk.entries_paused = true;
                self.dirty = true;
                Ok("entries paused; exits and stops still managed".into())
            }
            Command::ReduceOnly => {
                if self.risk.trading_state == TradingState::Halted {
                    Err("halted: resume first".into())
                } else {
                    self.risk.trading_state = TradingState::Reducing;
                    self.dirty = true;
                    self.reject_all_approvals("reduce-only", out);
                    Ok("reduce-only: only orders that shrink positions".into())
                }
            }
            Command::FlattenAndHalt => {
                self.risk.trading_state = TradingState::Halted;
                self.dirty = true;
                self.reject_all_approvals("flatten and halt", out);
                let n = self.flatten_all("flatten", out);
                Ok(format!("halted; closing {n} position(s)"))
            }
            Command::Resume => {
                let equity = self.book.equity();
                self.risk.resume(equity);
                self.dirty = true;
                Ok("resumed: trading Active".into())
            }
        };
        let (accepted, text) = match result {
            Ok(t) => (true, t),
            Err(t) => (false, t),
        };
        self.notice(
            out,
            if accepted {
                NoticeLevel::Info
            } else {
                NoticeLevel::Warn
            },
            format!("{described}: {text}"),
        );
        self.journal(out, || {
            Record::Command(CommandRecord {
                at_ms: self.now_ms,
                command: described,
                accepted,
                result: text,
            })
        });
        out.push(Action::Publish);
    }

    fn approve(&mut self, id: &str, out: &mut Vec<Action>) -> Result<String, String> {
        // A late approval must not beat the timer that would have expired it.
        self.expire_approvals(out);
        let i = self
            .approvals
            .iter()
            .position(|p| p.record.id == id)
            .ok_or_else(|| format!("no pending approval {id}"))?;
        let pending = self.approvals.remove(i);
        let mut record = pending.record;
        // The world may have changed since it was queued: the gateway decides again.
        match risk::check(&self.gateway_context(&pending.order.symbol), pending.order) {
            Ok(approved) => {
                let received = (self.clock)();
                self.send_entry(&mut record, approved, pending.plan, received, out);
                self.finish_decision(record, out);
                Ok(format!("{id} sent"))
            }
            Err(refusal) => {
                record.status = DecisionStatus::Refused;
                record.risk = Some(crate::journal::RiskOutcome::Refused {
                    reason: refusal.to_string(),
                    refusal: refusal.clone(),
                });
                self.finish_decision(record, out);
                Err(format!("{id} refused: {refusal}"))
            }
        }
    }

    /// Cancels the bot's orders and closes every position; returns how many.
    pub(super) fn flatten_all(&mut self, reason: &str, out: &mut Vec<Action>) -> usize {
        let symbols: Vec<Symbol> = self
            .book
            .positions
            .keys()
            .cloned()
            .chain(self.book.live_orders().map(|o| o.request.symbol.clone()))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut closed = 0;
        for symbol in symbols {
            if self.flatten_symbol(&symbol, reason, out) {
                closed += 1;
            }
        }
        closed
    }

    /// Cancels pending entries on `symbol` and closes its position with a
    /// reduce-only market order. Protective orders stay until the close fills,
    /// so the position is never unprotected. Returns whether a close was sent.
    pub(super) fn flatten_symbol(
        &mut self,
        symbol: &Symbol,
        reason: &str,
        out: &mut Vec<Action>,
    ) -> bool {
        self.cancel_working(symbol, |o| o.request.leg == Leg::Entry, out);
        let Some(open) = self.book.positions.get_mut(symbol) else {
            return false;
        };
        let exit_in_flight = self.book.orders.values().any(|o| {
            o.request.symbol == *symbol && o.request.leg == Leg::Exit && !o.state.is_final()
        });
        if exit_in_flight {
            return true;
        }
        open.exit_reason = Some(reason.to_string());
        let request = OrderRequest {
            // Unique across restarts (the counter is journaled) and within
            // Binance's 36 characters for symbols up to 20.
            id: ClientOrderId(format!(
                "ck-{}-x{}{}",
                symbol,
                super::decide::base36(self.now_ms.max(0) as u64),
                super::decide::base36(self.exit_seq % 36)
            )),
            symbol: symbol.clone(),
            side: open.position.side.opposite(),
            kind: OrderKind::Market,
            qty: open.position.qty,
            leg: Leg::Exit,
            decision_id: Some(open.decision_id.clone()),
        };
        self.exit_seq += 1;
        self.submit_checked(request, out);
        true
    }
}
