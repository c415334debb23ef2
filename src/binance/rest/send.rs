//! Sending one request: the throttle gate, the signature, the answer's
//! headers, and the retry policy's decision after a failure.

use std::time::Duration;

use reqwest::Method;

use super::RestClient;
use super::throttle::Gate;
use crate::binance::BinanceError;
use crate::binance::retry::{Next, RequestKind};
use crate::binance::sign;

/// How a request authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Auth {
    None,
    /// `X-MBX-APIKEY` only (listenKey).
    ApiKey,
    /// API key, timestamp, recvWindow and signature.
    Signed,
}

pub(super) struct Request<'a> {
    pub method: Method,
    pub path: &'static str,
    pub params: Vec<(&'static str, String)>,
    pub auth: Auth,
    pub weight: u32,
    pub kind: RequestKind,
    /// Counts against the account's order limits.
    pub order: bool,
    pub label: &'a str,
}

/// A throttle wait longer than this is not waited out inside a request:
/// the caller gets the error and decides (a cancel should not sit a minute).
const MAX_GATE_WAIT: Duration = Duration::from_secs(65);

impl RestClient {
    /// Sends with the retry policy; the body of the successful answer.
    pub(super) async fn send(&self, request: &Request<'_>) -> Result<String, BinanceError> {
        let mut attempt = 1;
        loop {
            let error = match self.send_once(request).await {
                Ok(body) => return Ok(body),
                Err(e) => e,
            };
            match self.retry.next(request.kind, &error, attempt) {
                Next::GiveUp => return Err(error),
                Next::Retry(wait) => {
                    log::debug!(target: "binance", "{} failed ({error}); retrying in {wait:?}", request.label);
                    tokio::time::sleep(wait).await;
                }
                Next::ResyncAndRetry => {
                    log::warn!(target: "binance", "{}: {error}", request.label);
                    self.sync_time().await?;
                }
            }
            attempt += 1;
        }
    }

    pub(super) async fn send_once(&self, request: &Request<'_>) -> Result<String, BinanceError> {
        loop {
            let now = self.server_now();
            let gate = self
                .throttle()
                .before_send(now, request.weight, request.order);
            match gate {
                Gate::Go => break,
                Gate::Banned { until_ms } => {
                    return Err(BinanceError::Banned {
                        until_ms: Some(until_ms),
                        retry_after_ms: None,
                    });
                }
                Gate::Wait(wait) if wait <= MAX_GATE_WAIT => {
                    log::info!(target: "binance", "{}: near the rate limit, waiting {wait:?}", request.label);
                    tokio::time::sleep(wait).await;
                }
                Gate::Wait(_) => {
                    return Err(BinanceError::RateLimited {
                        retry_after_ms: None,
                    });
                }
            }
        }
        let mut query = encode(&request.params);
        if request.auth == Auth::Signed {
            let credentials = self.credentials.as_ref().ok_or_else(no_keys)?;
            if !query.is_empty() {
                query.push('&');
            }
            query.push_str(&format!(
                "timestamp={}&recvWindow={}",
                self.server_now(),
                self.recv_window_ms
            ));
            query = sign::signed_query(&credentials.secret, &query);
        }
        let url = if query.is_empty() {
            format!("{}{}", self.base, request.path)
        } else {
            format!("{}{}?{}", self.base, request.path, query)
        };
        let mut builder = self.http.request(request.method.clone(), url);
        if request.auth != Auth::None {
            let credentials = self.credentials.as_ref().ok_or_else(no_keys)?;
            builder = builder.header("X-MBX-APIKEY", credentials.key.expose());
        }
        self.throttle()
            .sent(self.server_now(), request.weight, request.order);
        let response = builder.send().await.map_err(transport_error)?;
        let status = response.status().as_u16();
        let headers = response.headers();
        let header =
            |name: &str| -> Option<u64> { headers.get(name)?.to_str().ok()?.trim().parse().ok() };
        let retry_after = header("retry-after");
        self.throttle().observe(
            self.server_now(),
            header("x-mbx-used-weight-1m").map(|v| v as u32),
            header("x-mbx-order-count-10s").map(|v| v as u32),
            header("x-mbx-order-count-1m").map(|v| v as u32),
        );
        let body = response.text().await.map_err(transport_error)?;
        if (200..300).contains(&status) {
            return Ok(body);
        }
        let error = BinanceError::from_response(status, &body, retry_after);
        if let BinanceError::Banned {
            until_ms,
            retry_after_ms,
        } = &error
        {
            let until = until_ms
                .or(retry_after_ms.map(|ms| self.server_now() + ms as i64))
                .unwrap_or(self.server_now() + 60_000);
            self.throttle().ban(until);
            log::error!(target: "binance", "{error}");
        }
        Err(error)
    }
}

fn no_keys() -> BinanceError {
    BinanceError::Other {
        code: 0,
        msg: "this request needs API keys: set BINANCE_API_KEY and BINANCE_API_SECRET (or binance.key_file)".into(),
    }
}

/// reqwest's error without the URL (it holds the signature and the query).
fn transport_error(e: reqwest::Error) -> BinanceError {
    if e.is_timeout() {
        BinanceError::Timeout
    } else {
        BinanceError::Connection(e.without_url().to_string())
    }
}

/// `a=1&b=x`, every byte outside the unreserved set percent-encoded, so the
/// text signed is exactly the text sent.
pub(super) fn encode(params: &[(&'static str, String)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        for b in v.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_only_what_must_be() {
        let q = encode(&[
            ("symbol", "BTCUSDT".into()),
            ("newClientOrderId", "ck-BTC:1/x y".into()),
            ("price", "0.10".into()),
        ]);
        assert_eq!(
            q,
            "symbol=BTCUSDT&newClientOrderId=ck-BTC%3A1%2Fx%20y&price=0.10"
        );
    }
}
