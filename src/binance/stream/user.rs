//! The user-data stream: orders, fills, balances and positions as they
//! happen. A listenKey opens it (`POST /fapi/v1/listenKey`), a keep-alive
//! (`PUT`) every 30 minutes keeps it open; when the key expires, a
//! keep-alive fails or the connection drops, a new key is made and the
//! stream reconnects with backoff. The consumer hears `Disconnected` then
//! `Connected`, and reconciles over REST on every `Connected`: events sent
//! while we were away are not replayed by Binance.
//!
//! The key reads the account: it appears in no log line and no error, only
//! its first characters do.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::conn::Connection;
use super::dedupe::RecentTexts;
use super::market::{STABLE_AFTER, default_reconnect};
use crate::binance::rest::RestClient;
use crate::binance::retry::RetryPolicy;
use crate::binance::streams;
use crate::binance::wire::{UserEvent, parse_user_event};

/// Binance wants a keep-alive every 30 to 60 minutes.
pub const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(30 * 60);
/// The user stream may be silent between orders; Binance pings every 3
/// minutes and we ping half-way through a silence, so 4 minutes without any
/// frame means the connection is dead.
pub const DEFAULT_USER_IDLE_TIMEOUT: Duration = Duration::from_secs(4 * 60);

#[derive(Debug, Clone)]
pub struct UserStreamConfig {
    pub ws_base: String,
    /// 30 minutes.
    pub keep_alive_every: Duration,
    pub reconnect: RetryPolicy,
    /// No frame at all for this long = dead connection, reconnect.
    pub idle_timeout: Duration,
}

impl UserStreamConfig {
    pub fn new(ws_base: impl Into<String>) -> UserStreamConfig {
        UserStreamConfig {
            ws_base: ws_base.into(),
            keep_alive_every: DEFAULT_KEEP_ALIVE,
            reconnect: default_reconnect(),
            idle_timeout: DEFAULT_USER_IDLE_TIMEOUT,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserStreamMessage {
    /// A (re)connect: the consumer reconciles orders and positions over REST.
    Connected,
    /// The stream is down (once per outage); events may be missed until
    /// the next `Connected`.
    Disconnected {
        reason: String,
    },
    Event(Box<UserEvent>),
}

/// Runs until `tx` is closed. Exact duplicate events (the same text among
/// the last [`super::dedupe::RECENT_EVENTS`]) are dropped; `listenKeyExpired`
/// is not forwarded: it is handled here, by a new key and a reconnect.
pub async fn run_user_stream(
    config: UserStreamConfig,
    rest: Arc<RestClient>,
    tx: mpsc::Sender<UserStreamMessage>,
) {
    let mut recent = RecentTexts::default();
    let mut attempt: u32 = 0;
    let mut down = false;
    loop {
        let reason = match connect(&config, &rest, &tx).await {
            Connect::Stop => return,
            Connect::Failed(reason) => reason,
            Connect::Open(mut conn, key) => {
                log::info!(target: "binance", "user-data stream connected (listenKey {})", mask(&key));
                if tx.send(UserStreamMessage::Connected).await.is_err() {
                    conn.close().await;
                    return;
                }
                down = false;
                let since = Instant::now();
                let end = session(&mut conn, &config, &rest, &tx, &mut recent).await;
                conn.close().await;
                if since.elapsed() >= STABLE_AFTER {
                    attempt = 0;
                }
                match end {
                    None => return,
                    Some(reason) => redact(&reason, &key),
                }
            }
        };
        attempt = attempt.saturating_add(1);
        let wait = config.reconnect.backoff(attempt);
        log::warn!(target: "binance", "user-data stream down: {reason}; new listenKey and reconnect in {wait:?}");
        if !down {
            down = true;
            if tx
                .send(UserStreamMessage::Disconnected { reason })
                .await
                .is_err()
            {
                return;
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = tx.closed() => return,
        }
    }
}

enum Connect {
    Stop,
    Failed(String),
    Open(Box<Connection>, String),
}

/// A new listenKey and a connection with it.
async fn connect(
    config: &UserStreamConfig,
    rest: &RestClient,
    tx: &mpsc::Sender<UserStreamMessage>,
) -> Connect {
    let key = tokio::select! {
        k = rest.create_listen_key() => k,
        _ = tx.closed() => return Connect::Stop,
    };
    let key = match key {
        Ok(k) => k.listen_key,
        Err(e) => return Connect::Failed(format!("cannot create a listenKey: {e}")),
    };
    let url = streams::user_data_url(&config.ws_base, &key);
    let opened = tokio::select! {
        c = Connection::open(&url, config.idle_timeout) => c,
        _ = tx.closed() => return Connect::Stop,
    };
    match opened {
        Ok(conn) => Connect::Open(Box::new(conn), key),
        Err(reason) => Connect::Failed(format!("cannot connect: {}", redact(&reason, &key))),
    }
}

/// One connection until it ends: `Some(reason)` to reconnect with a new
/// key, `None` when the consumer is gone.
async fn session(
    conn: &mut Connection,
    config: &UserStreamConfig,
    rest: &RestClient,
    tx: &mpsc::Sender<UserStreamMessage>,
    recent: &mut RecentTexts,
) -> Option<String> {
    let every = config.keep_alive_every;
    let keep_alive = async {
        let mut next = Instant::now() + every;
        loop {
            tokio::time::sleep_until(next).await;
            next += every;
            match rest.keep_alive_listen_key().await {
                Ok(()) => log::debug!(target: "binance", "listenKey kept alive"),
                Err(e) => return e,
            }
        }
    };
    tokio::pin!(keep_alive);
    loop {
        tokio::select! {
            _ = tx.closed() => return None,
            e = &mut keep_alive => return Some(format!("listenKey keep-alive failed: {e}")),
            text = conn.next_text() => {
                let text = match text {
                    Ok(t) => t,
                    Err(reason) => return Some(reason),
                };
                if !recent.first_time(&text) {
                    log::debug!(target: "binance", "duplicate user-data event dropped");
                    continue;
                }
                match parse_user_event(&text) {
                    Ok(UserEvent::ListenKeyExpired(_)) => {
                        return Some("listenKey expired".into());
                    }
                    Ok(event) => {
                        if tx.send(UserStreamMessage::Event(Box::new(event))).await.is_err() {
                            return None;
                        }
                    }
                    Err(e) => log::warn!(target: "binance", "user-data frame ignored: {e}"),
                }
            }
        }
    }
}

/// The first four characters of a listenKey, for the log.
pub fn mask(key: &str) -> String {
    let start: String = key.chars().take(4).collect();
    format!("{start}…")
}

/// `text` with every occurrence of `key` (plain or percent-encoded as in
/// the URL) replaced by its mask.
pub fn redact(text: &str, key: &str) -> String {
    if key.is_empty() {
        return text.to_string();
    }
    let masked = mask(key);
    let mut out = text.replace(key, &masked);
    let encoded = streams::user_data_url("", key);
    if let Some((_, encoded)) = encoded.split_once("listenKey=")
        && encoded != key
    {
        out = out.replace(encoded, &masked);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1";

    #[test]
    fn the_key_never_shows_in_full() {
        assert_eq!(mask(KEY), "pqia…");
        let url = streams::user_data_url("wss://fstream.binance.com", KEY);
        let reason = format!("HTTP error: 404 Not Found for {url}");
        let r = redact(&reason, KEY);
        assert!(!r.contains(KEY), "{r}");
        assert!(r.ends_with("listenKey=pqia…"), "{r}");
        let odd = "a b&c/xyz";
        let r = redact(&streams::user_data_url("ws://x", odd), odd);
        assert!(!r.contains("a%20b%26c%2Fxyz"), "{r}");
        assert_eq!(redact("nothing here", ""), "nothing here");
    }
}
