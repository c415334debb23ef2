//! The decision pipeline of one closed candle: strategy proposes, the
//! confirmer judges, risk sizes and gates, then the mode and the automation
//! decide whether it is recorded, queued or sent.

use rust_decimal::Decimal;

use crate::ai::Verdict;
use crate::config::{Automation, EntryOrder};
use crate::domain::{ClientOrderId, Leg, Mode, OrderKind, OrderRequest, Price, Side, Symbol};
use crate::journal::{DecisionRecord, DecisionStatus, LatencyStamps, Record, RiskOutcome};
use crate::risk::{self, Approved, GatewayContext, Levels, Refusal, RiskEvent, SizeInputs};

use super::book::{OpenPosition, TrackedOrder};
use super::core::{Engine, PendingApproval};
use super::event::{Action, NoticeLevel};
use super::latency::Stage;

impl Engine {
    pub(super) fn decide(
        &mut self,
        index: usize,
        at_ms: i64,
        close_ms: i64,
        received_us: i64,
        features_us: i64,
        out: &mut Vec<Action>,
    ) {
        let state = &self.symbols[index];
        // By reference: 256 bytes, and most candles propose nothing.
        let values = state.indicators.values();
        let Some(candle) = state.series.last_closed() else {
            return;
        };
        // Nobody reads a refused decision here (no journal, no screen, no
        // model): when the entry gate refuses anyway, the strategy only says
        // whether it would have proposed, and the proposal is counted, not
        // built. A backtest spends most of its proposals on candles where a
        // position is already open. (The count can include a proposal whose
        // levels would have been unusable, a zero ATR: only the tally sees it.)
        if !self.journaling
            && !self.explaining
            && !self.confirmer.reads_features()
            && risk::entries_shut(&self.gateway_context(&state.symbol))
        {
            if self.strategies[index].would_propose(&state.symbol, candle, values) {
                self.tally.proposals += 1;
                self.tally.unjudged += 1;
            }
            return;
        }
        let Some(mut proposal) = self.strategies[index].on_closed(&state.symbol, candle, values)
        else {
            return;
        };
        if self.explaining {
            self.explain(index, &mut proposal);
        }
        let features = self.symbols[index].features.latest();
        let confirmation = self.confirmer.confirm(&proposal, features);
        let decided_us = (self.clock)();
        self.tally.proposals += 1;
        match confirmation.verdict {
            Verdict::Confirmed => self.tally.confirmed += 1,
            Verdict::Vetoed => self.tally.vetoed += 1,
            Verdict::Abstained | Verdict::AbstainedPass => self.tally.abstained += 1,
            Verdict::Off => self.tally.unjudged += 1,
        }
        let symbol = proposal.symbol.clone();
        let mut record = DecisionRecord {
            id: format!("{}-{}", symbol, proposal.candle_open_ms),
            at_ms,
            proposal,
            indicators: *values,
            confirmation,
            risk: None,
            status: DecisionStatus::Proposed,
            deadline_ms: None,
            latency: LatencyStamps {
                candle_close_ms: close_ms,
                received_ms: at_ms,
                features_us: features_us - received_us,
                decision_us: decided_us - received_us,
                risk_us: 0,
                sent_us: None,
                acked_us: None,
            },
        };
        self.latency
            .record(Stage::Decision, decided_us - features_us);
        if !record.confirmation.verdict.passes() {
            record.status = match record.confirmation.verdict {
                Verdict::Vetoed => DecisionStatus::Vetoed,
                _ => DecisionStatus::Abstained,
            };
            self.finish_decision(record, out);
            return;
        }
        let outcome =
            risk::entry_gate(&self.gateway_context(&record.proposal.symbol)).and_then(|()| {
                // A trade keeps its reasons even where decisions go unexplained.
                self.explain(index, &mut record.proposal);
                self.size_and_gate(index, &record)
            });
        let risk_us = (self.clock)();
        record.latency.risk_us = risk_us - received_us;
        self.latency.record(Stage::Risk, risk_us - decided_us);
        let (approved, mut plan) = match outcome {
            Err(refusal) => {
                record.risk = Some(RiskOutcome::Refused {
                    reason: refusal.to_string(),
                    refusal,
                });
                record.status = DecisionStatus::Refused;
                self.finish_decision(record, out);
                return;
            }
            Ok((levels, sized, approved, plan)) => {
                record.risk = Some(RiskOutcome::Sized { levels, sized });
                (approved, plan)
            }
        };
        match (self.mode, self.automation) {
            (Mode::Shadow, _) => record.status = DecisionStatus::Recorded,
            (Mode::Paper | Mode::Live, Automation::Semi) => {
                record.status = DecisionStatus::Queued;
                record.deadline_ms = Some(self.now_ms + self.approval_timeout_ms);
                self.notice(
                    out,
                    NoticeLevel::Info,
                    format!(
                        "{}: {} {} waiting for approval (y/n)",
                        record.id,
                        record.proposal.side,
                        approved.request().qty
                    ),
                );
                plan.reasons = record.proposal.reasons.clone();
                self.approvals.push(PendingApproval {
                    record: record.clone(),
                    order: approved.into_request(),
                    plan,
                });
            }
            (Mode::Paper | Mode::Live, Automation::Auto) => {
                // Where no one reads decisions (a backtest), the trade takes
                // the reasons instead of a copy.
                let reasons = &mut record.proposal.reasons;
                plan.reasons = if self.journaling || self.explaining {
                    reasons.clone()
                } else {
                    std::mem::take(reasons)
                };
                self.send_entry(&mut record, approved, plan, received_us, out);
            }
        }
        self.finish_decision(record, out);
    }

    /// Feeds the closed candle's features to the confirmer's drift window
    /// and, when drift crosses its limit either way, says so in the log and
    /// the journal.
    pub(super) fn watch_drift(&mut self, index: usize, at_ms: i64, out: &mut Vec<Action>) {
        self.confirmer
            .observe(self.symbols[index].features.latest());
        let over = self.confirmer.drift_over();
        if over == self.drift_over {
            return;
        }
        self.drift_over = over;
        let drift = self.confirmer.drift();
        let score = drift.as_ref().and_then(|d| d.score);
        let limit = drift.as_ref().map_or(0.0, |d| d.limit);
        let worst = drift
            .as_ref()
            .and_then(|d| d.features.iter().max_by(|a, b| a.1.total_cmp(&b.1)))
            .map(|(name, psi)| format!(", most in {name} ({psi:.2})"))
            .unwrap_or_default();
        let (event, level, detail) = if over {
            (
                "drift_over",
                NoticeLevel::Warn,
                format!(
                    "model drift {:.2} over its limit {limit}{worst}: the model abstains",
                    score.unwrap_or(0.0)
                ),
            )
        } else {
            (
                "drift_ok",
                NoticeLevel::Info,
                format!(
                    "model drift {:.2} back under its limit {limit}: the model judges again",
                    score.unwrap_or(0.0)
                ),
            )
        };
        self.journal(out, || {
            Record::Ai(crate::journal::AiRecord {
                at_ms,
                event: event.to_string(),
                detail: detail.clone(),
                drift: score,
            })
        });
        self.notice(out, level, detail);
    }

    /// Has the strategy write the reasons of its proposal on the latest
    /// closed candle, unless they are written already.
    fn explain(&self, index: usize, proposal: &mut crate::strategy::Proposal) {
        let state = &self.symbols[index];
        if let (true, Some(candle)) = (proposal.reasons.is_empty(), state.series.last_closed()) {
            self.strategies[index].explain(proposal, candle, state.indicators.values());
        }
    }

    /// Journals the decision, keeps it for the Confluence panel, and logs refusals.
    pub(super) fn finish_decision(&mut self, record: DecisionRecord, out: &mut Vec<Action>) {
        if let Some(RiskOutcome::Refused { reason, .. }) = &record.risk
            && self.armed
            && self.explaining
        {
            self.notice(
                out,
                NoticeLevel::Info,
                format!("{}: {} refused: {reason}", record.id, record.proposal.side),
            );
        }
        self.journal(out, || Record::Decision(Box::new(record.clone())));
        self.remember(record);
    }

    pub(super) fn send_entry(
        &mut self,
        record: &mut DecisionRecord,
        approved: Approved,
        plan: OpenPosition,
        received_us: i64,
        out: &mut Vec<Action>,
    ) {
        let sent_us = (self.clock)();
        record.status = DecisionStatus::Sent;
        record.latency.sent_us = Some(sent_us - received_us);
        self.latency.record(
            Stage::CloseToSent,
            self.now_ms - record.latency.candle_close_ms + (sent_us - received_us) / 1000,
        );
        self.awaiting_ack
            .push((approved.request().id.clone(), sent_us));
        self.track(approved.request().clone(), Some(plan));
        out.push(Action::Submit(approved));
    }

    pub(super) fn track(&mut self, request: OrderRequest, plan: Option<OpenPosition>) {
        self.book.orders.insert(
            request.id.clone(),
            TrackedOrder {
                request,
                state: crate::domain::OrderState::PendingNew,
                sent_ms: self.now_ms,
                plan: plan.map(Box::new),
            },
        );
        self.dirty = true;
    }

    fn size_and_gate(
        &self,
        index: usize,
        record: &DecisionRecord,
    ) -> Result<(Levels, risk::Sized, Approved, OpenPosition), Refusal> {
        let p = &record.proposal;
        let instrument = &self.instruments[index];
        let levels = risk::round_levels(p.side, p.entry, p.stop, p.take_profit, instrument)?;
        let (kind, expected) = match self.entry_order {
            EntryOrder::Market => {
                // Size on the price the market order is expected to get,
                // slippage included, so the realised risk stays within the
                // fraction.
                let slip = self.paper_config.slippage;
                let expected = match p.side {
                    Side::Buy => instrument
                        .round_price_up(price(levels.entry.value() * (Decimal::ONE + slip))?),
                    Side::Sell => instrument
                        .round_price_down(price(levels.entry.value() * (Decimal::ONE - slip))?),
                };
                (OrderKind::Market, expected)
            }
            EntryOrder::Limit => {
                // A limit fills at its price or better: that is the entry.
                let offset = self.limit_offset;
                let limit = match p.side {
                    Side::Buy => instrument
                        .round_price_down(price(levels.entry.value() * (Decimal::ONE - offset))?),
                    Side::Sell => instrument
                        .round_price_up(price(levels.entry.value() * (Decimal::ONE + offset))?),
                };
                (OrderKind::Limit { price: limit }, limit)
            }
        };
        let equity = self.book.equity();
        let sized = risk::size_entry(&SizeInputs {
            equity,
            risk_fraction: self.risk_config.risk_per_trade,
            side: p.side,
            levels: Levels {
                entry: expected,
                ..levels
            },
            instrument,
            max_leverage: self.risk_config.max_leverage,
            max_notional: self.risk_config.max_notional,
        })?;
        let request = OrderRequest {
            id: order_id(&p.symbol, p.candle_open_ms, Leg::Entry),
            symbol: p.symbol.clone(),
            side: p.side,
            kind,
            qty: sized.qty,
            leg: Leg::Entry,
            decision_id: Some(record.id.clone()),
        };
        let approved = risk::check(&self.gateway_context(&p.symbol), request)?;
        let plan = OpenPosition {
            position: crate::domain::Position {
                symbol: p.symbol.clone(),
                side: p.side,
                qty: sized.qty,
                // Where the levels were measured from: the close for a market
                // order, the limit for a limit (the fill shifts them from there).
                entry_price: match kind {
                    OrderKind::Limit { price } => price,
                    _ => levels.entry,
                },
                opened_at_ms: self.now_ms,
            },
            stop: levels.stop,
            take_profit: levels.take_profit,
            decision_id: record.id.clone(),
            candle_open_ms: p.candle_open_ms,
            equity_before: equity,
            // Filled in by `decide` when it sends or queues the entry: it
            // knows whether the decision keeps a copy.
            reasons: Vec::new(),
            ai: verdict_label(record.confirmation.verdict).to_string(),
            fees: Decimal::ZERO,
            funding: Decimal::ZERO,
            realized: Decimal::ZERO,
            entry_qty: Decimal::ZERO,
            exit_reason: None,
        };
        Ok((levels, sized, approved, plan))
    }

    pub(super) fn gateway_context(&self, symbol: &Symbol) -> GatewayContext {
        GatewayContext {
            now_ms: self.now_ms,
            trading_state: self.risk.trading_state,
            armed: self.armed,
            entries_paused: self.risk.entries_paused,
            cooldown_until_ms: self.risk.cooldown_until_ms,
            open_positions: self.book.positions.len()
                + self
                    .book
                    .live_orders()
                    .filter(|o| {
                        o.request.leg == Leg::Entry
                            && !self.book.positions.contains_key(&o.request.symbol)
                    })
                    .count(),
            max_open_positions: self.risk_config.max_open_positions,
            position_side: self
                .book
                .positions
                .get(symbol)
                .map(|p| p.position.side)
                .or_else(|| {
                    // An entry in flight counts as the position it will become.
                    self.book
                        .live_orders()
                        .find(|o| o.request.symbol == *symbol && o.request.leg == Leg::Entry)
                        .map(|o| o.request.side)
                }),
        }
    }

    /// Feeds total equity to the breaker; a trip flattens everything.
    pub(super) fn check_equity(&mut self, out: &mut Vec<Action>) {
        self.check_equity_at(self.book.equity(), out);
    }

    /// [`Self::check_equity`] with the equity already valued.
    pub(super) fn check_equity_at(&mut self, equity: Decimal, out: &mut Vec<Action>) {
        let Some(event) =
            self.risk
                .on_equity(self.now_ms, equity, self.risk_config.daily_loss_limit)
        else {
            return;
        };
        self.dirty = true;
        match event {
            RiskEvent::BreakerTripped { drop } => {
                self.stats.breaker_trips += 1;
                self.notice(
                    out,
                    NoticeLevel::Error,
                    format!(
                        "circuit breaker: equity down {}% today, flattening and halting until the next UTC day",
                        (drop * Decimal::from(100)).round_dp(2)
                    ),
                );
                self.reject_all_approvals("circuit breaker", out);
                self.flatten_all("breaker", out);
            }
            RiskEvent::NewDay {
                breaker_released, ..
            } => {
                if breaker_released {
                    self.notice(
                        out,
                        NoticeLevel::Warn,
                        "new UTC day: circuit breaker released, trading Active".into(),
                    );
                }
            }
            RiskEvent::CooldownStarted { .. } => {}
        }
        out.push(Action::Publish);
    }

    pub(super) fn expire_approvals(&mut self, out: &mut Vec<Action>) {
        let now = self.now_ms;
        let (expired, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.approvals)
            .into_iter()
            .partition(|p| p.record.deadline_ms.is_some_and(|d| now >= d));
        self.approvals = kept;
        for p in expired {
            let mut record = p.record;
            record.status = DecisionStatus::Expired;
            self.notice(
                out,
                NoticeLevel::Warn,
                format!("{}: approval deadline passed, rejected", record.id),
            );
            self.finish_decision(record, out);
            out.push(Action::Publish);
        }
    }

    /// Cancels the entry limits on `symbol` that waited their time out: a
    /// signal is only worth its price for a while.
    pub(super) fn expire_entry_limits(&mut self, symbol: &Symbol, out: &mut Vec<Action>) {
        let now = self.now_ms;
        let timeout = self.limit_timeout_ms;
        let expired = self.cancel_working(
            symbol,
            |o| {
                o.request.leg == Leg::Entry
                    && matches!(o.request.kind, OrderKind::Limit { .. })
                    && now - o.sent_ms >= timeout
            },
            out,
        );
        for id in expired {
            self.notice(
                out,
                NoticeLevel::Info,
                format!("{id}: entry limit not filled in time, cancelling it"),
            );
        }
    }

    pub(super) fn reject_all_approvals(&mut self, why: &str, out: &mut Vec<Action>) {
        for p in std::mem::take(&mut self.approvals) {
            let mut record = p.record;
            record.status = DecisionStatus::Rejected;
            self.notice(
                out,
                NoticeLevel::Info,
                format!("{}: rejected ({why})", record.id),
            );
            self.finish_decision(record, out);
        }
    }
}

fn price(value: Decimal) -> Result<Price, Refusal> {
    Price::new(value).map_err(|e| Refusal::InvalidPrice(e.to_string()))
}

pub(super) fn verdict_label(v: Verdict) -> &'static str {
    match v {
        Verdict::Confirmed => "confirmed",
        Verdict::Vetoed => "vetoed",
        Verdict::Abstained => "abstained",
        Verdict::AbstainedPass => "abstained (passed)",
        Verdict::Off => "off",
    }
}

/// Deterministic client order ids: the same decision and leg always give the
/// same id (Binance refuses a duplicate), within Binance's 36 characters.
pub(super) fn order_id(symbol: &Symbol, candle_open_ms: i64, leg: Leg) -> ClientOrderId {
    // Written piece by piece: every trade makes three of these.
    let mut id = String::with_capacity(36);
    id.push_str("ck-");
    id.push_str(symbol.as_str());
    id.push('-');
    push_base36(&mut id, (candle_open_ms / 1000).max(0) as u64);
    id.push('-');
    id.push(leg.code());
    ClientOrderId(id)
}

pub(super) fn base36(n: u64) -> String {
    let mut out = String::new();
    push_base36(&mut out, n);
    out
}

fn push_base36(out: &mut String, mut n: u64) {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    // u64::MAX has 13 base-36 digits.
    let mut digits = [0u8; 13];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = DIGITS[(n % 36) as usize];
        n /= 36;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[start..] {
        out.push(char::from(d));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_ids_are_short_and_say_symbol_time_and_leg() {
        let btc = Symbol::new("BTCUSDT").unwrap();
        // 2024-01-01T00:00:00Z is 1_704_067_200 s, "s6k2o0" in base 36.
        assert_eq!(
            order_id(&btc, 1_704_067_200_000, Leg::Stop).0,
            "ck-BTCUSDT-s6k2o0-s"
        );
        assert_eq!(order_id(&btc, -5, Leg::Entry).0, "ck-BTCUSDT-0-e");
        assert_eq!(base36(35), "z");
        assert_eq!(base36(36), "10");
        assert_eq!(base36(u64::MAX), "3w5e11264sgsf");
        // The longest symbol in the year 2100 (4_102_444_800 s) still fits
        // Binance's 36 characters.
        let longest = order_id(
            &Symbol::new("ABCDEFGHIJKLMNOPQRST").unwrap(),
            4_102_444_800_000,
            Leg::Exit,
        );
        assert!(longest.0.len() <= 36, "{}", longest.0);
    }
}
