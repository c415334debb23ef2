//! Who is connected to which stream, and the listen keys: market frames and
//! user events are handed to each connection's queue here; the connection
//! tasks in `ws.rs` write them out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::sync::watch;

use super::lock;
use super::user_events::listen_key_expired;

/// The WebSocket routes (since 2026-04-23).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Route {
    /// `/market/…`: klines, mark price, everything public but book data.
    Market,
    /// `/public/…`: bookTicker and depth.
    Public,
}

/// What a connection task is asked to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Out {
    Text(String),
    /// Close the connection properly (close frame).
    Close,
}

struct MarketConn {
    id: u64,
    /// `None`: an unrouted `/ws` or `/stream`, which is never fed.
    route: Option<Route>,
    /// Combined form: each frame wrapped as `{"stream", "data"}`.
    combined: bool,
    streams: Vec<String>,
    tx: UnboundedSender<Out>,
}

struct UserConn {
    id: u64,
    key: String,
    tx: UnboundedSender<Out>,
}

#[derive(Default)]
struct State {
    next_id: u64,
    market: Vec<MarketConn>,
    user: Vec<UserConn>,
    /// The account's listen key while one is valid.
    key: Option<String>,
    keys_created: usize,
}

pub(crate) struct Hub {
    state: Mutex<State>,
    /// Bumped to drop every connection abruptly.
    kill: watch::Sender<u64>,
}

impl Hub {
    pub fn new() -> Hub {
        Hub {
            state: Mutex::new(State::default()),
            kill: watch::channel(0).0,
        }
    }

    pub fn add_market(
        &self,
        route: Option<Route>,
        combined: bool,
        streams: Vec<String>,
    ) -> (u64, UnboundedReceiver<Out>) {
        let (tx, rx) = unbounded_channel();
        let mut s = lock(&self.state);
        s.next_id += 1;
        let id = s.next_id;
        s.market.push(MarketConn {
            id,
            route,
            combined,
            streams,
            tx,
        });
        (id, rx)
    }

    /// A user-stream connection for `key`; `None` when the key is not valid.
    pub fn add_user(&self, key: &str) -> Option<(u64, UnboundedReceiver<Out>)> {
        let mut s = lock(&self.state);
        if s.key.as_deref() != Some(key) {
            return None;
        }
        let (tx, rx) = unbounded_channel();
        s.next_id += 1;
        let id = s.next_id;
        s.user.push(UserConn {
            id,
            key: key.to_string(),
            tx,
        });
        Some((id, rx))
    }

    pub fn remove(&self, id: u64) {
        let mut s = lock(&self.state);
        s.market.retain(|c| c.id != id);
        s.user.retain(|c| c.id != id);
    }

    /// Live SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS on a market connection;
    /// returns the stream list after the change.
    pub fn change_streams(&self, id: u64, add: &[String], remove: &[String]) -> Vec<String> {
        let mut s = lock(&self.state);
        let Some(c) = s.market.iter_mut().find(|c| c.id == id) else {
            return Vec::new();
        };
        c.streams.retain(|x| !remove.contains(x));
        for name in add {
            if !c.streams.contains(name) {
                c.streams.push(name.clone());
            }
        }
        c.streams.clone()
    }

    /// Every stream name subscribed on a routed connection (deduplicated).
    pub fn routed_streams(&self) -> Vec<(Route, String)> {
        let s = lock(&self.state);
        let mut out: Vec<(Route, String)> = Vec::new();
        for c in &s.market {
            let Some(route) = c.route else { continue };
            for name in &c.streams {
                if !out.iter().any(|(r, n)| *r == route && n == name) {
                    out.push((route, name.clone()));
                }
            }
        }
        out
    }

    /// Sends each connection the frames of its streams, in its subscription
    /// order. `frames` holds the events of one step per (route, stream).
    pub fn push_market(&self, frames: &HashMap<(Route, String), Vec<Value>>) {
        let s = lock(&self.state);
        for c in &s.market {
            let Some(route) = c.route else { continue };
            for name in &c.streams {
                let Some(events) = frames.get(&(route, name.clone())) else {
                    continue;
                };
                for data in events {
                    let text = if c.combined {
                        json!({"stream": name, "data": data}).to_string()
                    } else {
                        data.to_string()
                    };
                    let _ = c.tx.send(Out::Text(text));
                }
            }
        }
    }

    /// Queues user events, in order, on every stream of the valid key.
    pub fn push_user(&self, events: &[Value]) {
        if events.is_empty() {
            return;
        }
        let s = lock(&self.state);
        let texts: Vec<String> = events.iter().map(Value::to_string).collect();
        for c in s
            .user
            .iter()
            .filter(|c| s.key.as_deref() == Some(c.key.as_str()))
        {
            for t in &texts {
                let _ = c.tx.send(Out::Text(t.clone()));
            }
        }
    }

    /// `POST /fapi/v1/listenKey`: the valid key if there is one (Binance
    /// extends and returns it), else a new one.
    pub fn create_key(&self) -> String {
        let mut s = lock(&self.state);
        if let Some(k) = &s.key {
            return k.clone();
        }
        let key = random_key();
        s.key = Some(key.clone());
        s.keys_created += 1;
        key
    }

    /// `PUT`: the valid key (the named one, if named); `None` → -1125.
    pub fn keepalive(&self, key: Option<&str>) -> Option<String> {
        let s = lock(&self.state);
        match (&s.key, key) {
            (Some(valid), Some(k)) if valid == k => Some(valid.clone()),
            (Some(valid), None) => Some(valid.clone()),
            _ => None,
        }
    }

    /// `DELETE`: the key is gone and its streams close.
    pub fn close_key(&self, key: Option<&str>) {
        let mut s = lock(&self.state);
        if key.is_none_or(|k| s.key.as_deref() == Some(k)) {
            s.key = None;
            for c in s.user.drain(..) {
                let _ = c.tx.send(Out::Close);
            }
        }
    }

    /// listenKeyExpired on every user stream, then close them; the key is gone.
    pub fn expire_all(&self, now: i64) {
        let mut s = lock(&self.state);
        s.key = None;
        for c in s.user.drain(..) {
            let expired = listen_key_expired(&c.key, now).to_string();
            let _ = c.tx.send(Out::Text(expired));
            let _ = c.tx.send(Out::Close);
        }
    }

    pub fn keys_created(&self) -> usize {
        lock(&self.state).keys_created
    }

    /// Drops every connection without a close frame.
    pub fn kill_all(&self) {
        self.kill.send_modify(|n| *n += 1);
    }

    pub fn kill_watch(&self) -> watch::Receiver<u64> {
        self.kill.subscribe()
    }

    /// (market, public and unrouted connections, user connections).
    pub fn connection_counts(&self) -> (usize, usize) {
        let s = lock(&self.state);
        (s.market.len(), s.user.len())
    }
}

/// 64 alphanumeric characters, like Binance's keys; distinct per call.
fn random_key() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut x = (nanos
        ^ COUNTER
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15))
        | 1;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..64)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(ALPHABET[(x % ALPHABET.len() as u64) as usize])
        })
        .collect()
}
