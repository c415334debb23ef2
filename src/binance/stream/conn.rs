//! One WebSocket connection as the streams use it: read text frames
//! continuously, answer pings (and flush the pong at once), and call the
//! connection dead after `idle` without any frame. Half-way through a
//! silence we send a ping of our own, so that a quiet but healthy stream
//! (the user-data stream between orders) answers with a pong.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Payload of the pings we send.
const OUR_PING: &[u8] = b"cockpit";

pub(crate) struct Connection {
    ws: Ws,
    idle: Duration,
    last_frame: Instant,
    pinged: bool,
}

impl Connection {
    /// Connects within `idle`. The error is a reason for the log and for
    /// `FeedDown`; it never contains the URL (which may carry a listenKey).
    pub async fn open(url: &str, idle: Duration) -> Result<Connection, String> {
        crate::binance::tls::install_provider();
        let connect = tokio_tungstenite::connect_async(url);
        match tokio::time::timeout(idle, connect).await {
            Err(_) => Err(format!("no connection within {}", secs(idle))),
            Ok(Err(e)) => Err(e.to_string()),
            Ok(Ok((ws, _response))) => Ok(Connection {
                ws,
                idle,
                last_frame: Instant::now(),
                pinged: false,
            }),
        }
    }

    /// The next text frame, or why the connection is over. Cancel-safe: a
    /// frame is never lost when this future is dropped.
    pub async fn next_text(&mut self) -> Result<String, String> {
        loop {
            let deadline = if self.pinged {
                self.last_frame + self.idle
            } else {
                self.last_frame + self.idle / 2
            };
            let message = match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) if self.pinged => {
                    return Err(format!("no frame for {}", secs(self.idle)));
                }
                Err(_) => {
                    self.pinged = true;
                    self.ws
                        .send(Message::Ping(OUR_PING.into()))
                        .await
                        .map_err(|e| e.to_string())?;
                    continue;
                }
                Ok(None) => return Err("connection closed".into()),
                Ok(Some(Err(e))) => return Err(e.to_string()),
                Ok(Some(Ok(message))) => message,
            };
            self.last_frame = Instant::now();
            self.pinged = false;
            match message {
                Message::Text(text) => return Ok(text.as_str().to_owned()),
                // tungstenite queued the pong with the same payload; send it now
                // rather than on the next read.
                Message::Ping(_) => self.ws.flush().await.map_err(|e| e.to_string())?,
                Message::Close(frame) => {
                    return Err(match frame {
                        Some(f) if !f.reason.is_empty() => {
                            format!("closed by the server ({}: {})", f.code, f.reason)
                        }
                        Some(f) => format!("closed by the server ({})", f.code),
                        None => "closed by the server".into(),
                    });
                }
                Message::Pong(_) | Message::Binary(_) | Message::Frame(_) => {}
            }
        }
    }

    /// A polite close, not waited on for long.
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(1), self.ws.close(None)).await;
    }
}

fn secs(d: Duration) -> String {
    format!("{d:?}")
}
