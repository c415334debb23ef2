//! What the fake saw and did, for tests to assert on: order-affecting
//! requests, every HTTP request, WebSocket pings sent and pongs received.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use rust_decimal::Decimal;

use super::lock;

/// One order-affecting request (new, cancel, cancel-all, for regular and algo
/// orders) or one order the exchange placed itself when an algo order
/// triggered (`endpoint` "TRIGGER", `client_id` the algo's clientAlgoId).
#[derive(Debug, Clone, PartialEq)]
pub struct OrderLogEntry {
    pub wall: Instant,
    /// Virtual exchange time (without skew).
    pub at_ms: i64,
    /// `"POST /fapi/v1/order"`, `"DELETE /fapi/v1/algoOrder"`, `"TRIGGER"`, …
    pub endpoint: String,
    /// newClientOrderId / origClientOrderId / clientAlgoId as sent, or the one
    /// the exchange generated or resolved; empty for cancel-all.
    pub client_id: String,
    pub symbol: String,
    pub side: String,
    pub order_type: String,
    pub qty: Option<Decimal>,
    /// triggerPrice of an algo order.
    pub trigger: Option<Decimal>,
    pub reduce_only: bool,
    pub close_position: bool,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Accepted,
    Rejected {
        code: i64,
        msg: String,
    },
    /// A fault answered the request. The text names the fault and says
    /// whether the request was executed first, e.g.
    /// `"ResponseLost: executed first, Accepted"` or
    /// `"Status5xx(502): not executed"`.
    Faulted(String),
    /// Refused during an IP ban (HTTP 418), not executed.
    Banned,
}

/// One HTTP request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLogEntry {
    pub wall: Instant,
    pub method: String,
    pub path: String,
    /// The raw query string (body parameters are not included).
    pub query: String,
    /// The status returned; 0 when the connection was dropped without a
    /// response (`Fault::ResponseLost`).
    pub status: u16,
}

#[derive(Default)]
pub(crate) struct Log {
    orders: Mutex<Vec<OrderLogEntry>>,
    requests: Mutex<Vec<RequestLogEntry>>,
    pings: Mutex<Vec<Vec<u8>>>,
    pongs: Mutex<Vec<Vec<u8>>>,
    ping_seq: AtomicU64,
}

impl Log {
    pub fn order(&self, e: OrderLogEntry) {
        lock(&self.orders).push(e);
    }

    pub fn orders(&self) -> Vec<OrderLogEntry> {
        lock(&self.orders).clone()
    }

    pub fn request(&self, e: RequestLogEntry) {
        lock(&self.requests).push(e);
    }

    pub fn requests(&self) -> Vec<RequestLogEntry> {
        lock(&self.requests).clone()
    }

    /// A new, distinct ping payload, recorded as sent.
    pub fn next_ping(&self) -> Vec<u8> {
        let n = self.ping_seq.fetch_add(1, Ordering::Relaxed);
        let payload = format!("fake-ping-{n}").into_bytes();
        lock(&self.pings).push(payload.clone());
        payload
    }

    pub fn pings(&self) -> Vec<Vec<u8>> {
        lock(&self.pings).clone()
    }

    pub fn pong(&self, payload: Vec<u8>) {
        lock(&self.pongs).push(payload);
    }

    pub fn pongs(&self) -> Vec<Vec<u8>> {
        lock(&self.pongs).clone()
    }
}
