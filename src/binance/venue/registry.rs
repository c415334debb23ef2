//! What the venue knows about each of the bot's orders: which endpoint it
//! lives on, the exchange's id for it, and how much of it has been reported
//! filled — so a fill told twice (the order's answer, the user stream, a
//! duplicated event) is booked once.

use std::collections::HashMap;

use rust_decimal::Decimal;

use crate::domain::{ClientOrderId, Fill, Leg, Liquidity, OrderRequest, Price, Qty, Symbol};

#[derive(Debug, Clone)]
pub struct Entry {
    pub request: OrderRequest,
    /// A conditional order on the Algo Service (stop, take-profit).
    pub algo: bool,
    /// The exchange's order id (for an algo order: of the market order it placed).
    pub exchange_order_id: Option<u64>,
    /// Cumulative quantity and average price already reported.
    pub reported_qty: Decimal,
    pub reported_avg: Decimal,
    /// The outcome was unknown and has not been settled yet.
    pub unknown: bool,
    /// Reported accepted (or filled): an acceptance is told once.
    pub accepted: bool,
    /// A cancel was asked for: never (re)send it.
    pub cancel_requested: bool,
    pub done: bool,
    /// When the engine handed it over, in submission order.
    pub seq: u64,
}

/// A cumulative execution as the exchange reports it.
#[derive(Debug, Clone, Copy)]
pub struct Execution {
    pub cum_qty: Decimal,
    pub avg: Decimal,
    /// The fee of the new part when the exchange states it.
    pub fee: Option<Decimal>,
    /// Otherwise the fee is estimated at this rate.
    pub fee_rate: Decimal,
    pub liquidity: Liquidity,
    pub at_ms: i64,
}

#[derive(Debug, Default)]
pub struct Registry {
    orders: HashMap<ClientOrderId, Entry>,
    /// Exchange order id → our id, for the market orders algo orders place.
    by_exchange_id: HashMap<u64, ClientOrderId>,
    last_seq: u64,
}

/// The leg an id of ours names: `ck-SYM-<time>-e|s|t` or `ck-SYM-x…`.
pub fn leg_of(id: &str) -> Option<Leg> {
    let mut parts = id.split('-').skip(2);
    let third = parts.next()?;
    if third.starts_with('x') {
        return Some(Leg::Exit);
    }
    match parts.next()? {
        "e" => Some(Leg::Entry),
        "s" => Some(Leg::Stop),
        "t" => Some(Leg::TakeProfit),
        _ => None,
    }
}

impl Registry {
    pub fn insert(&mut self, request: OrderRequest) {
        let algo = matches!(request.leg, Leg::Stop | Leg::TakeProfit);
        self.last_seq += 1;
        self.orders.insert(
            request.id.clone(),
            Entry {
                request,
                algo,
                exchange_order_id: None,
                reported_qty: Decimal::ZERO,
                reported_avg: Decimal::ZERO,
                unknown: false,
                accepted: false,
                cancel_requested: false,
                done: false,
                seq: self.last_seq,
            },
        );
    }

    /// The sequence number the next order will follow.
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// Whether an entry on `symbol` was handed over after order `seq`.
    pub fn entry_since(&self, symbol: &Symbol, seq: u64) -> bool {
        self.orders
            .values()
            .any(|e| e.seq > seq && e.request.leg == Leg::Entry && e.request.symbol == *symbol)
    }

    /// Orders placed (or in doubt) and not final: those whose events a gap
    /// in the user stream may have swallowed.
    pub fn working(&self) -> Vec<Entry> {
        let mut out: Vec<Entry> = self
            .orders
            .values()
            .filter(|e| !e.done && (e.accepted || e.unknown))
            .cloned()
            .collect();
        out.sort_by_key(|e| e.seq);
        out
    }

    pub fn get(&self, id: &ClientOrderId) -> Option<&Entry> {
        self.orders.get(id)
    }

    pub fn get_mut(&mut self, id: &ClientOrderId) -> Option<&mut Entry> {
        self.orders.get_mut(id)
    }

    pub fn link_exchange_id(&mut self, id: &ClientOrderId, exchange_id: u64) {
        if let Some(e) = self.orders.get_mut(id) {
            e.exchange_order_id = Some(exchange_id);
        }
        self.by_exchange_id.insert(exchange_id, id.clone());
    }

    pub fn by_exchange_id(&self, exchange_id: u64) -> Option<&ClientOrderId> {
        self.by_exchange_id.get(&exchange_id)
    }

    /// The part of a cumulative execution (`cum_qty` at `avg` price) not
    /// reported yet, as a fill; None when nothing new executed.
    pub fn new_fill(&mut self, id: &ClientOrderId, x: Execution) -> Option<Fill> {
        let Execution {
            cum_qty,
            avg,
            fee,
            fee_rate,
            liquidity,
            at_ms,
        } = x;
        let e = self.orders.get_mut(id)?;
        if cum_qty <= e.reported_qty {
            return None;
        }
        let qty = cum_qty - e.reported_qty;
        // The new part's price from the two averages.
        let price = (avg * cum_qty - e.reported_avg * e.reported_qty) / qty;
        let price = Price::new(price.round_dp(8))
            .ok()
            .or(Price::new(avg).ok())?;
        e.reported_qty = cum_qty;
        e.reported_avg = avg;
        let qty = Qty::new(qty).ok()?;
        let fee = fee.unwrap_or_else(|| (qty.value() * price.value() * fee_rate).round_dp(8));
        Some(Fill {
            order_id: id.clone(),
            symbol: e.request.symbol.clone(),
            side: e.request.side,
            leg: e.request.leg,
            qty,
            price,
            fee,
            liquidity,
            at_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{OrderKind, Side};

    fn request() -> OrderRequest {
        OrderRequest {
            id: ClientOrderId("ck-BTCUSDT-abc-e".into()),
            symbol: Symbol::new("BTCUSDT").unwrap(),
            side: Side::Buy,
            kind: OrderKind::Market,
            qty: Qty::new(Decimal::new(3, 0)).unwrap(),
            leg: Leg::Entry,
            decision_id: None,
        }
    }

    #[test]
    fn an_entry_after_an_exit_is_seen_and_only_working_orders_are_listed() {
        let mut r = Registry::default();
        let exit = OrderRequest {
            id: ClientOrderId("ck-BTCUSDT-xabc1".into()),
            leg: Leg::Exit,
            side: Side::Sell,
            ..request()
        };
        r.insert(exit.clone());
        let exit_seq = r.get(&exit.id).unwrap().seq;
        assert!(!r.entry_since(&exit.symbol, exit_seq));
        let other = OrderRequest {
            id: ClientOrderId("ck-ETHUSDT-abc-e".into()),
            symbol: Symbol::new("ETHUSDT").unwrap(),
            ..request()
        };
        r.insert(other);
        assert!(!r.entry_since(&exit.symbol, exit_seq), "another symbol's");
        r.insert(request());
        assert!(r.entry_since(&exit.symbol, exit_seq));
        assert!(r.working().is_empty(), "nothing placed yet");
        r.get_mut(&request().id).unwrap().accepted = true;
        r.get_mut(&exit.id).unwrap().unknown = true;
        let ids: Vec<String> = r.working().iter().map(|e| e.request.id.0.clone()).collect();
        assert_eq!(ids, ["ck-BTCUSDT-xabc1", "ck-BTCUSDT-abc-e"]);
        r.get_mut(&exit.id).unwrap().done = true;
        assert_eq!(r.working().len(), 1);
    }

    #[test]
    fn legs_from_ids() {
        assert_eq!(leg_of("ck-BTCUSDT-sbx2kg-e"), Some(Leg::Entry));
        assert_eq!(leg_of("ck-BTCUSDT-sbx2kg-s"), Some(Leg::Stop));
        assert_eq!(leg_of("ck-BTCUSDT-sbx2kg-t"), Some(Leg::TakeProfit));
        assert_eq!(leg_of("ck-BTCUSDT-xsbx2kg3"), Some(Leg::Exit));
        assert_eq!(leg_of("web_abc"), None);
    }

    #[test]
    fn a_fill_told_twice_is_booked_once_and_parts_get_their_own_price() {
        let mut r = Registry::default();
        let req = request();
        let id = req.id.clone();
        r.insert(req);
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        let x = |cum: &str, avg: &str, fee: Option<Decimal>, rate: &str| Execution {
            cum_qty: d(cum),
            avg: d(avg),
            fee,
            fee_rate: d(rate),
            liquidity: Liquidity::Taker,
            at_ms: 1,
        };
        let first = r.new_fill(&id, x("1", "100", None, "0.0004")).unwrap();
        assert_eq!(first.price.value(), d("100"));
        assert!(r.new_fill(&id, x("1", "100", None, "0")).is_none());
        let second = r.new_fill(&id, x("3", "102", Some(d("0.1")), "0")).unwrap();
        assert_eq!(second.qty.value(), d("2"));
        assert_eq!(second.price.value(), d("103"));
        assert_eq!(second.fee, d("0.1"));
        assert_eq!(first.fee, d("0.04"));
    }
}
