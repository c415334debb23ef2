//! The paper exchange: the simulated Binance USD-M venue behind paper mode and
//! backtests. It fills and triggers orders only from the candle updates it is
//! shown, in one-way mode (at most one position per symbol), and keeps its own
//! positions from its own fills.
//!
//! Every rule below is deterministic: no clock, no randomness, and every
//! collection that reaches a report or the state is ordered (BTreeMap, Vec in
//! submission order), so a replay of the same calls gives the same reports.
//!
//! # The price path of one update
//!
//! Each `on_candle` call covers a *span* of prices:
//! - a new candle (a later open time than the last update of the symbol) spans
//!   from its `open` over its whole `[low, high]`;
//! - a further update of the same candle spans from the previous update's close
//!   to the new close, widened by any new high or low beyond the previous
//!   update's high/low;
//! - an update of an older candle is stale and ignored (no reports).
//!
//! # Order of processing within one update
//!
//! 1. Funding for every funding time the candle's open time has reached.
//! 2. Pending market orders, in submission order, at the *market price*: the
//!    open of a new candle, else the update's close (the next price seen).
//! 3. Resting entry limits that the span reaches.
//! 4. The position's reducing orders and liquidation over the span that follows
//!    its entry (see [`PaperExchange::position_events`] for the conservative
//!    order: stops before liquidation before take-profits).
//!
//! # Stops submitted after their entry filled
//!
//! The engine usually learns of an entry fill from the update that filled it
//! and only then places the stop and the take-profit. On closed candles the
//! next update is the next candle, so a stop inside the entry candle's range
//! would never fire although the market went through it. Hence a reducing
//! order submitted while the entry's candle is still the current one is checked
//! at once against the prices seen since the entry (the *entry window*: for an
//! entry at a candle's open, that candle's whole `[low, high]` seen so far) and
//! fills at once when touched. This is conservative: it may fire on a price
//! seen before the stop was placed, never miss one. The window ends with the
//! entry's candle: an order replaced later (a trailing stop) waits for the next
//! update, because the candle it would be checked against is already over.

mod funding;

pub use funding::{FUNDING_PERIOD_MS, FundingSchedule};

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::config::PaperConfig;
use crate::domain::{
    Candle, ClientOrderId, Fill, Instrument, Leg, Liquidity, OrderKind, OrderRequest, Position,
    Price, Qty, Side, Symbol,
};
use crate::risk::Approved;

use super::instruments::paper_instrument;
use super::{Exchange, ExecReport};

/// Where prices went during one update (or since an entry): the first price and
/// the extremes reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Span {
    start: Price,
    low: Price,
    high: Price,
}

impl Span {
    fn at(price: Price) -> Span {
        Span {
            start: price,
            low: price,
            high: price,
        }
    }

    fn widen(&mut self, other: Span) {
        self.low = self.low.min(other.low);
        self.high = self.high.max(other.high);
    }
}

/// The last update seen for a symbol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct SeenMarket {
    open_time_ms: i64,
    close: Price,
    /// The candle's high and low as of the last update.
    high: Price,
    low: Price,
    /// The latest funding time already settled (or passed while flat).
    funding_settled_ms: i64,
}

/// The prices seen since the position's latest entry fill, within the entry's
/// candle; see the module notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct EntryWindow {
    candle_open_ms: i64,
    span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct WorkingOrder {
    request: OrderRequest,
    /// A stop or take-profit placed while its entry was still pending: it
    /// protects the position that entry will open, and a position going flat
    /// before that does not cancel it.
    awaiting_entry: bool,
}

/// Everything needed to rebuild the paper exchange after a restart: restoring
/// it and repeating the same calls gives exactly the reports of an
/// uninterrupted run. The config and the funding schedule come from `new`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PaperState {
    markets: BTreeMap<Symbol, SeenMarket>,
    positions: BTreeMap<Symbol, Position>,
    /// Working orders in submission order: pending market orders, resting
    /// limits, stops and take-profits.
    orders: Vec<WorkingOrder>,
    windows: BTreeMap<Symbol, EntryWindow>,
    /// Every client order id the exchange accepted, working or done.
    seen_ids: BTreeSet<ClientOrderId>,
}

pub struct PaperExchange {
    config: PaperConfig,
    funding: FundingSchedule,
    state: PaperState,
    /// Each position's liquidation price, worked out once: it moves only
    /// with the side and the entry price. Derived, so not part of the state.
    liquidations: Vec<(Symbol, Side, Price, Option<Price>)>,
}

impl PaperExchange {
    pub fn new(config: &PaperConfig, funding: FundingSchedule) -> PaperExchange {
        PaperExchange {
            config: config.clone(),
            funding,
            state: PaperState::default(),
            liquidations: Vec::new(),
        }
    }

    pub fn state(&self) -> PaperState {
        self.state.clone()
    }

    pub fn restore(&mut self, state: PaperState) {
        self.state = state;
    }

    /// The open position on `symbol`, as the exchange's fills made it.
    pub fn position(&self, symbol: &Symbol) -> Option<Position> {
        self.state.positions.get(symbol).cloned()
    }

    /// All open positions, by symbol.
    pub fn positions(&self) -> Vec<Position> {
        self.state.positions.values().cloned().collect()
    }

    /// Working orders in submission order (pending market orders included).
    pub fn working_orders(&self) -> Vec<OrderRequest> {
        self.state
            .orders
            .iter()
            .map(|o| o.request.clone())
            .collect()
    }

    /// Isolated-margin liquidation price of the position on `symbol`, rounded
    /// to the tick: long = entry × (1 − 1/leverage + maintenance margin),
    /// short = entry × (1 + 1/leverage − maintenance margin). None without a
    /// position, or when the config's leverage makes it meaningless (≤ 0, or a
    /// long whose margin covers a fall to zero).
    pub fn liquidation_price(&self, symbol: &Symbol) -> Option<Price> {
        let position = self.state.positions.get(symbol)?;
        self.liquidation_of(position)
    }

    /// [`Self::liquidation_of`], remembered per symbol until the position's
    /// side or entry price changes (every candle of a held position asks).
    fn liquidation_cached(&mut self, position: &Position) -> Option<Price> {
        let key = (&position.symbol, position.side, position.entry_price);
        if let Some(&(_, _, _, liq)) = self
            .liquidations
            .iter()
            .find(|(s, side, entry, _)| (s, *side, *entry) == key)
        {
            return liq;
        }
        let liq = self.liquidation_of(position);
        self.liquidations.retain(|(s, ..)| *s != position.symbol);
        self.liquidations.push((
            position.symbol.clone(),
            position.side,
            position.entry_price,
            liq,
        ));
        liq
    }

    fn liquidation_of(&self, position: &Position) -> Option<Price> {
        let raw = position
            .isolated_liquidation_price(self.config.leverage, self.config.maintenance_margin)?;
        Some(paper_instrument(&position.symbol).round_price(raw))
    }

    /// The order logic behind [`Exchange::submit`], on the bare request.
    fn submit_request(&mut self, at_ms: i64, req: &OrderRequest) -> Vec<ExecReport> {
        let reject = |reason: &str| {
            vec![ExecReport::Rejected {
                id: req.id.clone(),
                reason: reason.to_string(),
                at_ms,
            }]
        };
        // Binance -4116: an id is never placed twice, whatever became of it.
        if self.state.seen_ids.contains(&req.id) {
            return reject("duplicate client order id");
        }
        if req.qty.is_zero() {
            return reject("quantity must be greater than zero");
        }
        let position_side = self.state.positions.get(&req.symbol).map(|p| p.side);
        let mut awaiting_entry = false;
        if req.leg.is_reducing() {
            match position_side {
                Some(side) if side == req.side => {
                    return reject("reduce-only order would increase the position");
                }
                Some(_) => {}
                None => {
                    let protective = matches!(req.leg, Leg::Stop | Leg::TakeProfit)
                        && req.kind != OrderKind::Market;
                    if protective && self.has_pending_entry(&req.symbol, req.side.opposite()) {
                        awaiting_entry = true;
                    } else {
                        return reject("no position to reduce");
                    }
                }
            }
        } else {
            if req.kind.trigger().is_some() {
                return reject("stop and take-profit orders only close positions");
            }
            if position_side.is_some_and(|side| side != req.side) {
                return reject("one-way mode: an entry against the open position must be an exit");
            }
        }

        self.state.seen_ids.insert(req.id.clone());
        self.state.orders.push(WorkingOrder {
            request: req.clone(),
            awaiting_entry,
        });
        let mut out = vec![ExecReport::Accepted {
            id: req.id.clone(),
            at_ms,
        }];
        if req.leg.is_reducing() && !awaiting_entry && req.kind != OrderKind::Market {
            out.extend(self.check_against_entry_window(at_ms, req));
        }
        out
    }

    /// Fills a just-placed reducing order at once if the prices seen since the
    /// entry (within the entry's candle) reached it; see the module notes.
    fn check_against_entry_window(&mut self, at_ms: i64, req: &OrderRequest) -> Vec<ExecReport> {
        let Some(window) = self.state.windows.get(&req.symbol).copied() else {
            return Vec::new();
        };
        let Some(raw) = hit_price(req.side, req.kind, window.span) else {
            return Vec::new();
        };
        self.fill_working(at_ms, &req.id, raw)
    }

    fn has_pending_entry(&self, symbol: &Symbol, side: Side) -> bool {
        self.state.orders.iter().any(|o| {
            o.request.symbol == *symbol && o.request.leg == Leg::Entry && o.request.side == side
        })
    }

    fn index_of(&self, id: &ClientOrderId) -> Option<usize> {
        self.state.orders.iter().position(|o| o.request.id == *id)
    }

    /// Ids of the working orders of `symbol` that `keep` selects, in submission order.
    fn ids_where(
        &self,
        symbol: &Symbol,
        keep: impl Fn(&WorkingOrder) -> bool,
    ) -> Vec<ClientOrderId> {
        self.state
            .orders
            .iter()
            .filter(|o| o.request.symbol == *symbol && keep(o))
            .map(|o| o.request.id.clone())
            .collect()
    }

    fn cancel_ids(&mut self, at_ms: i64, ids: Vec<ClientOrderId>) -> Vec<ExecReport> {
        let mut out = Vec::new();
        for id in ids {
            if let Some(i) = self.index_of(&id) {
                self.state.orders.remove(i);
                out.push(ExecReport::Cancelled { id, at_ms });
            }
        }
        out
    }

    /// The position went flat: its reducing orders have nothing left to
    /// protect. Orders awaiting a pending entry belong to the next position.
    fn on_flat(&mut self, at_ms: i64, symbol: &Symbol) -> Vec<ExecReport> {
        self.state.windows.remove(symbol);
        let ids = self.ids_where(symbol, |o| o.request.leg.is_reducing() && !o.awaiting_entry);
        self.cancel_ids(at_ms, ids)
    }

    /// An entry filled: orders awaiting it now protect the position; one on
    /// the wrong side of it (its entry was another one) is cancelled.
    fn on_entry_filled(&mut self, at_ms: i64, symbol: &Symbol, side: Side) -> Vec<ExecReport> {
        let wrong = self.ids_where(symbol, |o| o.awaiting_entry && o.request.side == side);
        let out = self.cancel_ids(at_ms, wrong);
        for o in &mut self.state.orders {
            if o.request.symbol == *symbol {
                o.awaiting_entry = false;
            }
        }
        out
    }

    /// Orders awaiting an entry that is no longer pending are cancelled.
    fn drop_orphans(&mut self, at_ms: i64, symbol: &Symbol) -> Vec<ExecReport> {
        let orphans: Vec<ClientOrderId> = self
            .state
            .orders
            .iter()
            .filter(|o| {
                o.request.symbol == *symbol
                    && o.awaiting_entry
                    && !self.has_pending_entry(symbol, o.request.side.opposite())
            })
            .map(|o| o.request.id.clone())
            .collect();
        self.cancel_ids(at_ms, orphans)
    }

    /// Executes working order `id` against raw market price `raw` (before
    /// slippage): removes it, caps a reducing order at the position, books the
    /// fill and handles the position going flat or being opened.
    fn fill_working(&mut self, at_ms: i64, id: &ClientOrderId, raw: Price) -> Vec<ExecReport> {
        let Some(i) = self.index_of(id) else {
            return Vec::new();
        };
        let order = self.state.orders.remove(i).request;
        let position = self.state.positions.get(&order.symbol);
        let qty = if order.leg.is_reducing() {
            match position {
                Some(p) if p.side != order.side => order.qty.min(p.qty),
                // Nothing to reduce any more: a reduce-only order never opens one.
                _ => {
                    return vec![ExecReport::Cancelled {
                        id: order.id,
                        at_ms,
                    }];
                }
            }
        } else {
            if position.is_some_and(|p| p.side != order.side) {
                // One-way mode: an entry never flips a position.
                let mut out = vec![ExecReport::Cancelled {
                    id: order.id,
                    at_ms,
                }];
                out.extend(self.drop_orphans(at_ms, &order.symbol));
                return out;
            }
            order.qty
        };
        let instrument = paper_instrument(&order.symbol);
        let (price, liquidity, fee_rate) = match order.kind {
            OrderKind::Limit { .. } => (raw, Liquidity::Maker, self.config.maker_fee),
            _ => (
                slipped(&instrument, order.side, raw, self.config.slippage),
                Liquidity::Taker,
                self.config.taker_fee,
            ),
        };
        let fill = Fill {
            order_id: order.id.clone(),
            symbol: order.symbol.clone(),
            side: order.side,
            leg: order.leg,
            qty,
            price,
            fee: fee(price, qty, fee_rate),
            liquidity,
            at_ms,
        };
        let flat = self.book(&fill);
        let mut out = vec![ExecReport::Filled(fill)];
        if flat {
            out.extend(self.on_flat(at_ms, &order.symbol));
        } else if order.leg == Leg::Entry {
            out.extend(self.on_entry_filled(at_ms, &order.symbol, order.side));
        }
        out
    }

    /// Applies a fill to the position; true when it left the position flat.
    fn book(&mut self, fill: &Fill) -> bool {
        let positions = &mut self.state.positions;
        match positions.get_mut(&fill.symbol) {
            None => {
                positions.insert(
                    fill.symbol.clone(),
                    Position {
                        symbol: fill.symbol.clone(),
                        side: fill.side,
                        qty: fill.qty,
                        entry_price: fill.price,
                        opened_at_ms: fill.at_ms,
                    },
                );
                false
            }
            Some(p) if p.side == fill.side => {
                let qty = p.qty.value() + fill.qty.value();
                let cost =
                    p.entry_price.value() * p.qty.value() + fill.price.value() * fill.qty.value();
                if let Some(avg) = cost
                    .checked_div(qty)
                    .and_then(|a| Price::new(a.normalize()).ok())
                {
                    p.entry_price = avg;
                }
                p.qty = p.qty + fill.qty;
                false
            }
            Some(p) => {
                // Reducing fills are capped at the position, so this never goes below zero.
                let left = Qty::new(p.qty.value() - fill.qty.value()).unwrap_or(Qty::ZERO);
                if left.is_zero() {
                    positions.remove(&fill.symbol);
                    true
                } else {
                    p.qty = left;
                    false
                }
            }
        }
    }

    /// Funding for every funding time in (last settled, candle open]: the
    /// candle's open time decides, never the update's `at_ms`, so a replay of
    /// the same candles settles the same times at the same prices. A candle
    /// longer than 8 h settles the funding times inside it at the next candle.
    fn settle_funding(
        &mut self,
        symbol: &Symbol,
        settled_ms: Option<i64>,
        open_time_ms: i64,
        price: Price,
    ) -> (i64, Vec<ExecReport>) {
        let latest = open_time_ms.div_euclid(FUNDING_PERIOD_MS) * FUNDING_PERIOD_MS;
        let mut out = Vec::new();
        // Before the first update of a symbol there can be no position on it.
        let (Some(settled), Some(position)) = (settled_ms, self.state.positions.get(symbol)) else {
            return (latest, out);
        };
        let mut time = settled + FUNDING_PERIOD_MS;
        while time <= latest {
            let rate = self.funding.rate_at(time);
            if !rate.is_zero() {
                let amount = position.notional(price) * rate * Decimal::from(position.side.sign());
                out.push(ExecReport::Funding {
                    symbol: symbol.clone(),
                    rate,
                    amount: amount.normalize(),
                    at_ms: time,
                });
            }
            time += FUNDING_PERIOD_MS;
        }
        (latest.max(settled), out)
    }

    /// Reducing orders and liquidation of the position on `symbol` over `span`,
    /// in the conservative order:
    /// 1. take-profits and limits the span's first price already reached (a gap
    ///    beyond them): that price is a real trade, nothing came before it;
    /// 2. a first price at or beyond the liquidation price liquidates;
    /// 3. stops the span reaches before the liquidation price (a stop exactly
    ///    at it fires first), nearest to the first price first;
    /// 4. liquidation if the span reaches it;
    /// 5. take-profits and limits the span reaches, nearest first.
    ///
    /// The order of the highs and lows inside a span is unknown, so when one
    /// span touches both a stop and a take-profit the stop fills first and the
    /// take-profit is cancelled with the flat position.
    fn position_events(&mut self, at_ms: i64, symbol: &Symbol, span: Span) -> Vec<ExecReport> {
        let mut out = Vec::new();
        let Some(held) = self.state.positions.get(symbol).cloned() else {
            return out;
        };
        let side = held.side;
        let closing = side.opposite();
        let active = |o: &WorkingOrder| {
            o.request.leg.is_reducing()
                && !o.awaiting_entry
                && o.request.side == closing
                && o.request.kind != OrderKind::Market
        };
        let is_stop = |o: &WorkingOrder| matches!(o.request.kind, OrderKind::StopMarket { .. });
        // Sort key: distance from the first price in the position's adverse
        // (stops) or favourable (take-profits) direction; the sort is stable,
        // so equal prices keep submission order.
        let nearest = |ids: Vec<(ClientOrderId, Price)>, ascending: bool| {
            let mut ids = ids;
            ids.sort_by(|a, b| {
                if ascending {
                    a.1.cmp(&b.1)
                } else {
                    b.1.cmp(&a.1)
                }
            });
            ids
        };

        let beyond = |price: Price, level: Price| match side {
            Side::Buy => price <= level,
            Side::Sell => price >= level,
        };
        let extreme = match side {
            Side::Buy => span.low,
            Side::Sell => span.high,
        };
        // Most candles of a held position reach no order and come nowhere
        // near the liquidation price: nothing to do (the steps below would
        // find nothing either).
        let liquidation = self.liquidation_cached(&held);
        if liquidation.is_none_or(|liq| !beyond(extreme, liq))
            && !self.state.orders.iter().any(|o| {
                o.request.symbol == *symbol
                    && active(o)
                    && hit_price(o.request.side, o.request.kind, span).is_some()
            })
        {
            return out;
        }

        // 1. Favourable orders reached by the first price itself.
        let at_start = self.ids_where(symbol, |o| {
            active(o)
                && !is_stop(o)
                && hit_price(o.request.side, o.request.kind, Span::at(span.start)).is_some()
        });
        for id in at_start {
            out.extend(self.fill_working(at_ms, &id, span.start));
        }

        // 2-4. Adverse: stops and liquidation.
        let Some(position) = self.state.positions.get(symbol).cloned() else {
            return out;
        };
        let liquidation = self.liquidation_cached(&position);
        if let Some(liq) = liquidation
            && beyond(span.start, liq)
        {
            out.extend(self.liquidate(at_ms, &position, liq));
            return out;
        }
        let stops: Vec<(ClientOrderId, Price)> = self
            .state
            .orders
            .iter()
            .filter(|o| o.request.symbol == *symbol && active(o) && is_stop(o))
            .filter_map(|o| {
                let trigger = o.request.kind.trigger()?;
                hit_price(o.request.side, o.request.kind, span)?;
                // A stop beyond the liquidation price comes after it.
                let before_liq =
                    liquidation.is_none_or(|liq| !beyond(trigger, liq) || trigger == liq);
                before_liq.then(|| (o.request.id.clone(), trigger))
            })
            .collect();
        for (id, _) in nearest(stops, side == Side::Sell) {
            if let Some(i) = self.index_of(&id) {
                let kind = self.state.orders[i].request.kind;
                if let Some(raw) = hit_price(closing, kind, span) {
                    out.extend(self.fill_working(at_ms, &id, raw));
                }
            }
        }
        let Some(position) = self.state.positions.get(symbol).cloned() else {
            return out;
        };
        if let Some(liq) = liquidation
            && beyond(extreme, liq)
        {
            out.extend(self.liquidate(at_ms, &position, liq));
            return out;
        }

        // 5. Favourable orders inside the span.
        let targets: Vec<(ClientOrderId, Price)> = self
            .state
            .orders
            .iter()
            .filter(|o| o.request.symbol == *symbol && active(o) && !is_stop(o))
            .filter_map(|o| {
                let level = order_level(o.request.kind)?;
                hit_price(o.request.side, o.request.kind, span)?;
                Some((o.request.id.clone(), level))
            })
            .collect();
        for (id, _) in nearest(targets, side == Side::Buy) {
            if let Some(i) = self.index_of(&id) {
                let kind = self.state.orders[i].request.kind;
                if let Some(raw) = hit_price(closing, kind, span) {
                    out.extend(self.fill_working(at_ms, &id, raw));
                }
            }
        }
        out
    }

    /// Closes `position` at its liquidation price (no slippage: isolated
    /// margin caps the loss there), taker fee, and cancels its orders.
    fn liquidate(&mut self, at_ms: i64, position: &Position, price: Price) -> Vec<ExecReport> {
        let fill = Fill {
            // Binance names its liquidation orders "autoclose-…"; the id is
            // derived from the symbol and the time so a replay repeats it.
            order_id: ClientOrderId(format!("autoclose-{}-{at_ms}", position.symbol)),
            symbol: position.symbol.clone(),
            side: position.side.opposite(),
            leg: Leg::Exit,
            qty: position.qty,
            price,
            fee: fee(price, position.qty, self.config.taker_fee),
            liquidity: Liquidity::Taker,
            at_ms,
        };
        self.state.positions.remove(&position.symbol);
        let mut out = vec![ExecReport::Liquidated(fill)];
        out.extend(self.on_flat(at_ms, &position.symbol));
        out
    }
}

impl Exchange for PaperExchange {
    fn name(&self) -> &'static str {
        "paper"
    }

    fn submit(&mut self, at_ms: i64, order: &Approved) -> Vec<ExecReport> {
        self.submit_request(at_ms, order.request())
    }

    fn cancel(&mut self, at_ms: i64, id: &ClientOrderId) -> Vec<ExecReport> {
        let Some(i) = self.index_of(id) else {
            return vec![ExecReport::Rejected {
                id: id.clone(),
                reason: "unknown order".to_string(),
                at_ms,
            }];
        };
        let order = self.state.orders.remove(i).request;
        let mut out = vec![ExecReport::Cancelled {
            id: order.id.clone(),
            at_ms,
        }];
        if order.leg == Leg::Entry {
            out.extend(self.drop_orphans(at_ms, &order.symbol));
        }
        out
    }

    fn on_candle(&mut self, at_ms: i64, symbol: &Symbol, candle: &Candle) -> Vec<ExecReport> {
        let previous = self.state.markets.get(symbol).cloned();
        let (span, market_price, new_candle) = match &previous {
            Some(seen) if candle.open_time_ms < seen.open_time_ms => {
                // An update of a candle already left behind: stale, ignored.
                return Vec::new();
            }
            Some(seen) if candle.open_time_ms == seen.open_time_ms => {
                let mut span = Span {
                    start: seen.close,
                    low: seen.close.min(candle.close),
                    high: seen.close.max(candle.close),
                };
                if candle.low < seen.low {
                    span.low = span.low.min(candle.low);
                }
                if candle.high > seen.high {
                    span.high = span.high.max(candle.high);
                }
                (span, candle.close, false)
            }
            _ => (
                Span {
                    start: candle.open,
                    low: candle.low,
                    high: candle.high,
                },
                candle.open,
                true,
            ),
        };

        let mut out = Vec::new();
        let funding_settled_ms = if new_candle {
            let (settled, reports) = self.settle_funding(
                symbol,
                previous.as_ref().map(|s| s.funding_settled_ms),
                candle.open_time_ms,
                span.start,
            );
            out.extend(reports);
            settled
        } else {
            previous.as_ref().map_or(0, |s| s.funding_settled_ms)
        };

        // Nothing held and nothing working on this symbol: no fill can
        // happen, only the last-seen market moves (a flat book's candle).
        let held = self.state.positions.contains_key(symbol);
        if !held
            && !self
                .state
                .orders
                .iter()
                .any(|o| o.request.symbol == *symbol)
        {
            self.state.windows.remove(symbol);
            self.remember_market(symbol, candle, funding_settled_ms);
            return out;
        }

        // The span each position is exposed to: the whole update for one held
        // before it; for one opened now, what follows its entry.
        let mut position_span = held.then_some(span);
        let mut entry_span: Option<Span> = None;

        // Pending market orders at the market price, in submission order.
        let market_ids = self.ids_where(symbol, |o| o.request.kind == OrderKind::Market);
        for id in market_ids {
            let was_flat = !self.state.positions.contains_key(symbol);
            let is_entry = self
                .index_of(&id)
                .is_some_and(|i| self.state.orders[i].request.leg == Leg::Entry);
            // A market order taken at a candle's open happened at its open
            // time, not when the closed candle was seen.
            let fill_ms = if new_candle {
                candle.open_time_ms.min(at_ms)
            } else {
                at_ms
            };
            let reports = self.fill_working(fill_ms, &id, market_price);
            let filled = reports.iter().any(|r| matches!(r, ExecReport::Filled(_)));
            out.extend(reports);
            if filled && is_entry {
                // At a candle's open the whole candle follows the entry; at a
                // later update only its close is known to follow.
                let after = if new_candle {
                    span
                } else {
                    Span::at(market_price)
                };
                entry_span = Some(after);
                if was_flat {
                    position_span = Some(after);
                }
            }
        }

        // Resting entry limits the span reaches, at the limit (or the first
        // price when it opened through the limit).
        let limit_ids = self.ids_where(symbol, |o| {
            o.request.leg == Leg::Entry && matches!(o.request.kind, OrderKind::Limit { .. })
        });
        for id in limit_ids {
            let Some(i) = self.index_of(&id) else {
                continue;
            };
            let order = &self.state.orders[i].request;
            let Some(raw) = hit_price(order.side, order.kind, span) else {
                continue;
            };
            let was_flat = !self.state.positions.contains_key(symbol);
            let reports = self.fill_working(at_ms, &id, raw);
            let filled = reports.iter().any(|r| matches!(r, ExecReport::Filled(_)));
            out.extend(reports);
            if filled {
                // Where inside the span the limit filled is unknown: its
                // position is exposed to the whole span (conservative).
                let after = Span { start: raw, ..span };
                entry_span = Some(after);
                if was_flat {
                    position_span = Some(after);
                }
            }
        }

        if let Some(exposed) = position_span {
            out.extend(self.position_events(at_ms, symbol, exposed));
        }
        out.extend(self.drop_orphans(at_ms, symbol));

        // The entry window lives as long as the entry's candle and the position.
        if !self.state.positions.contains_key(symbol) {
            self.state.windows.remove(symbol);
        } else if let Some(after) = entry_span {
            self.state.windows.insert(
                symbol.clone(),
                EntryWindow {
                    candle_open_ms: candle.open_time_ms,
                    span: after,
                },
            );
        } else {
            match self.state.windows.get_mut(symbol) {
                Some(window) if window.candle_open_ms == candle.open_time_ms => {
                    window.span.widen(span)
                }
                _ => {
                    self.state.windows.remove(symbol);
                }
            }
        }

        self.remember_market(symbol, candle, funding_settled_ms);
        out
    }
}

impl PaperExchange {
    fn remember_market(&mut self, symbol: &Symbol, candle: &Candle, funding_settled_ms: i64) {
        let seen = SeenMarket {
            open_time_ms: candle.open_time_ms,
            close: candle.close,
            high: candle.high,
            low: candle.low,
            funding_settled_ms,
        };
        match self.state.markets.get_mut(symbol) {
            Some(market) => *market = seen,
            None => {
                self.state.markets.insert(symbol.clone(), seen);
            }
        }
    }
}

/// The price (before slippage) at which an order of `side` and `kind` executes
/// over `span`, if the span reaches it:
/// - a sell stop when the low reaches the trigger, a buy stop when the high
///   does: at the trigger, or at the first price if that was already beyond
///   it (a gap through a stop fills at the gap, never at the better trigger);
/// - a sell take-profit or limit when the high reaches its price, a buy one
///   when the low does: at its price, or at the first price if that was
///   already beyond it (better, and a real trade).
fn hit_price(side: Side, kind: OrderKind, span: Span) -> Option<Price> {
    match (kind, side) {
        (OrderKind::Market, _) => None,
        (OrderKind::StopMarket { trigger }, Side::Sell) => {
            (span.low <= trigger).then(|| trigger.min(span.start))
        }
        (OrderKind::StopMarket { trigger }, Side::Buy) => {
            (span.high >= trigger).then(|| trigger.max(span.start))
        }
        (
            OrderKind::TakeProfitMarket { trigger: level } | OrderKind::Limit { price: level },
            Side::Sell,
        ) => (span.high >= level).then(|| level.max(span.start)),
        (
            OrderKind::TakeProfitMarket { trigger: level } | OrderKind::Limit { price: level },
            Side::Buy,
        ) => (span.low <= level).then(|| level.min(span.start)),
    }
}

/// The trigger or limit price of a resting order.
fn order_level(kind: OrderKind) -> Option<Price> {
    match kind {
        OrderKind::Market => None,
        OrderKind::Limit { price } => Some(price),
        OrderKind::StopMarket { trigger } | OrderKind::TakeProfitMarket { trigger } => {
            Some(trigger)
        }
    }
}

/// A market execution `slippage` worse than `raw`, on the tick grid and never
/// better than the slipped price: buys round up, sells round down.
fn slipped(instrument: &Instrument, side: Side, raw: Price, slippage: Decimal) -> Price {
    let factor = match side {
        Side::Buy => Decimal::ONE + slippage,
        Side::Sell => Decimal::ONE - slippage,
    };
    let worse = Price::new(raw.value() * factor).unwrap_or(Price::ZERO);
    match side {
        Side::Buy => instrument.round_price_up(worse),
        Side::Sell => instrument.round_price_down(worse),
    }
}

fn fee(price: Price, qty: Qty, rate: Decimal) -> Decimal {
    ((price * qty).value() * rate).normalize()
}

#[cfg(test)]
mod tests;
