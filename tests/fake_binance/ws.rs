//! The WebSocket server: routes a connection by its URL (`/market/…`,
//! `/public/…`, `/private/…`; anything else is accepted and never fed),
//! pings it, records pongs, and writes what the hub queues for it. User
//! streams honour the duplicate / reorder faults.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::{WebSocketStream, accept_hdr_async};

use super::Shared;
use super::hub::{Out, Route};
use super::params::percent_decode;

/// How long a held-back user event waits for a partner to swap with.
const REORDER_FLUSH: Duration = Duration::from_millis(200);

pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut shutdown = shared.shutdown.subscribe();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    tokio::spawn(connection(stream, shared.clone()));
                }
            }
            _ = shutdown.changed() => return,
        }
    }
}

/// Where a connection's URL leads.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Market {
        route: Route,
        combined: bool,
        streams: Vec<String>,
    },
    User(String),
    /// Unrouted `/ws`, `/stream` or anything unknown: accepted, never fed.
    Nowhere,
}

fn target(uri: &str) -> Target {
    let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
    let param = |name: &str| {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
            .map(percent_decode)
    };
    let names = |s: &str| -> Vec<String> {
        s.split('/')
            .filter(|n| !n.is_empty())
            .map(percent_decode)
            .collect()
    };
    let mut parts = path.trim_start_matches('/').splitn(3, '/');
    let (route, form, rest) = (parts.next(), parts.next(), parts.next());
    let route = match route {
        Some("market") => Route::Market,
        Some("public") => Route::Public,
        Some("private") => {
            return match (form, rest, param("listenKey")) {
                (Some("ws"), Some(key), _) if !key.is_empty() => Target::User(percent_decode(key)),
                (Some("ws"), None, Some(key)) => Target::User(key),
                _ => Target::Nowhere,
            };
        }
        _ => return Target::Nowhere,
    };
    match (form, rest) {
        (Some("stream"), None) => Target::Market {
            route,
            combined: true,
            streams: param("streams").map(|s| names(&s)).unwrap_or_default(),
        },
        (Some("ws"), Some(rest)) => Target::Market {
            route,
            combined: false,
            streams: names(rest),
        },
        _ => Target::Nowhere,
    }
}

async fn connection(stream: TcpStream, shared: Arc<Shared>) {
    let mut uri = String::new();
    // The error type is tungstenite's handshake contract, not ours to shrink.
    #[allow(clippy::result_large_err)]
    let callback = |req: &Request, resp: Response| {
        uri = req.uri().to_string();
        Ok::<Response, ErrorResponse>(resp)
    };
    let Ok(mut ws) = accept_hdr_async(stream, callback).await else {
        return;
    };
    match target(&uri) {
        Target::Market {
            route,
            combined,
            streams,
        } => {
            let (id, rx) = shared.hub.add_market(Some(route), combined, streams);
            run(ws, &shared, id, rx, false).await;
        }
        Target::Nowhere => {
            let (id, rx) = shared.hub.add_market(None, false, Vec::new());
            run(ws, &shared, id, rx, false).await;
        }
        Target::User(key) => match shared.hub.add_user(&key) {
            Some((id, rx)) => run(ws, &shared, id, rx, true).await,
            None => {
                let _ = ws.close(None).await;
            }
        },
    }
}

type Ws = WebSocketStream<TcpStream>;

/// Serves one connection until either side closes it or it is dropped.
async fn run(mut ws: Ws, shared: &Shared, id: u64, mut rx: UnboundedReceiver<Out>, user: bool) {
    let every = shared.config.ping_every;
    let mut ping = tokio::time::interval_at(Instant::now() + every, every);
    let mut kill = shared.hub.kill_watch();
    let mut shutdown = shared.shutdown.subscribe();
    // A user event held back by the reorder fault, and until when.
    let mut held: Option<(String, Instant)> = None;
    loop {
        let flush_at = held.as_ref().map(|(_, at)| *at);
        tokio::select! {
            out = rx.recv() => match out {
                Some(Out::Text(text)) => {
                    let sent = if user {
                        deliver_user(&mut ws, shared, &mut held, text).await
                    } else {
                        ws.send(Message::text(text)).await
                    };
                    if sent.is_err() {
                        break;
                    }
                }
                Some(Out::Close) | None => {
                    if let Some((text, _)) = held.take() {
                        let _ = ws.send(Message::text(text)).await;
                    }
                    let _ = ws.close(None).await;
                    break;
                }
            },
            _ = ping.tick() => {
                let payload = shared.log.next_ping();
                if ws.send(Message::Ping(payload.into())).await.is_err() {
                    break;
                }
            }
            incoming = ws.next() => match incoming {
                Some(Ok(Message::Pong(payload))) => shared.log.pong(payload.to_vec()),
                Some(Ok(Message::Text(text))) => {
                    if let Some(reply) = command(shared, id, user, text.as_str())
                        && ws.send(Message::text(reply)).await.is_err()
                    {
                        break;
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            _ = tokio::time::sleep_until(flush_at.unwrap_or_else(Instant::now)), if flush_at.is_some() => {
                if let Some((text, _)) = held.take()
                    && ws.send(Message::text(text)).await.is_err()
                {
                    break;
                }
            }
            // Dropped abruptly: no close frame, the socket just goes.
            _ = kill.changed() => break,
            _ = shutdown.changed() => break,
        }
    }
    shared.hub.remove(id);
}

/// Sends one user event under the stream faults: twice when duplicating;
/// when reordering, held back until the next one has gone out first.
async fn deliver_user(
    ws: &mut Ws,
    shared: &Shared,
    held: &mut Option<(String, Instant)>,
    text: String,
) -> Result<(), tokio_tungstenite::tungstenite::Error> {
    let copies = if shared.faults.duplicating() { 2 } else { 1 };
    let mut batch = Vec::new();
    if shared.faults.reordering() {
        match held.take() {
            Some((earlier, _)) => {
                batch.push(text);
                batch.push(earlier);
            }
            None => *held = Some((text, Instant::now() + REORDER_FLUSH)),
        }
    } else {
        if let Some((earlier, _)) = held.take() {
            batch.push(earlier);
        }
        batch.push(text);
    }
    for t in batch {
        for _ in 0..copies {
            ws.send(Message::text(t.clone())).await?;
        }
    }
    Ok(())
}

/// A client command: SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS, answered
/// as Binance does (`{"result": null, "id": N}`). Unrouted and user
/// connections acknowledge and change nothing.
fn command(shared: &Shared, id: u64, user: bool, text: &str) -> Option<String> {
    let v: Value = serde_json::from_str(text).ok()?;
    let method = v["method"].as_str()?;
    let names: Vec<String> = v["params"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let result = match (method, user) {
        ("SUBSCRIBE", false) => {
            shared.hub.change_streams(id, &names, &[]);
            Value::Null
        }
        ("UNSUBSCRIBE", false) => {
            shared.hub.change_streams(id, &[], &names);
            Value::Null
        }
        ("LIST_SUBSCRIPTIONS", false) => json!(shared.hub.change_streams(id, &[], &[])),
        _ => Value::Null,
    };
    Some(json!({"result": result, "id": v["id"]}).to_string())
}
