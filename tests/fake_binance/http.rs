//! The REST server: hyper over loopback. Per request: faults first (a ban,
//! then injected faults), then the endpoint's weight, API key, timestamp and
//! signature checks, then the endpoint itself; rate-limit headers on every
//! answer; everything logged.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

use super::faults::{Fault, Picked};
use super::log::{OrderLogEntry, Outcome, RequestLogEntry};
use super::params::{ApiError, Params};
use super::rest::{self, Auth, Ep};
use super::{Shared, lock};

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

/// One keep-alive connection. `lost` is notified by a request answered with
/// `Fault::ResponseLost`: the connection is then dropped without a response.
async fn connection(stream: TcpStream, shared: Arc<Shared>) {
    let lost = Arc::new(Notify::new());
    let service = {
        let (shared, lost) = (shared.clone(), lost.clone());
        service_fn(move |req| handle(shared.clone(), lost.clone(), req))
    };
    let serving = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    let mut shutdown = shared.shutdown.subscribe();
    tokio::select! {
        _ = serving => {}
        _ = lost.notified() => {}
        _ = shutdown.changed() => {}
    }
}

/// A request as received.
struct Received {
    method: String,
    path: String,
    query: String,
    body: String,
    api_key: Option<String>,
}

/// An answer before it becomes a hyper response.
struct Answer {
    status: u16,
    body: String,
    html: bool,
    headers: Vec<(&'static str, String)>,
}

impl Answer {
    fn json(status: u16, body: String) -> Answer {
        Answer {
            status,
            body,
            html: false,
            headers: Vec::new(),
        }
    }

    fn error(e: &ApiError) -> Answer {
        Answer::json(e.status, e.body())
    }

    fn html(status: u16) -> Answer {
        Answer {
            status,
            body: format!(
                "<html>\r\n<head><title>{status}</title></head>\r\n<body>\r\n<center><h1>{status}</h1></center>\r\n</body>\r\n</html>\r\n"
            ),
            html: true,
            headers: Vec::new(),
        }
    }

    fn into_response(self) -> Response<Full<Bytes>> {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let content_type = if self.html {
            "text/html"
        } else {
            "application/json"
        };
        let mut builder = Response::builder()
            .status(status)
            .header("Content-Type", content_type);
        for (name, value) in self.headers {
            builder = builder.header(name, value);
        }
        builder
            .body(Full::new(Bytes::from(self.body)))
            .expect("a response from valid parts")
    }
}

/// What happens after the answer is ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum After {
    Send,
    Delay(Duration),
    /// Drop the connection instead of answering.
    Lose,
}

async fn handle(
    shared: Arc<Shared>,
    lost: Arc<Notify>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or_default().to_string();
    let api_key = req
        .headers()
        .get("X-MBX-APIKEY")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = match req.into_body().collect().await {
        Ok(b) => String::from_utf8_lossy(&b.to_bytes()).into_owned(),
        Err(_) => String::new(),
    };
    let received = Received {
        method,
        path,
        query,
        body,
        api_key,
    };
    let (answer, after) = respond(&shared, &received);
    shared.log.request(RequestLogEntry {
        wall: Instant::now(),
        method: received.method,
        path: received.path,
        query: received.query,
        status: if after == After::Lose {
            0
        } else {
            answer.status
        },
    });
    match after {
        After::Send => {}
        After::Delay(d) => tokio::time::sleep(d).await,
        After::Lose => {
            lost.notify_one();
            // Never answer: the connection task drops the socket.
            let never: Infallible = std::future::pending().await;
            match never {}
        }
    }
    Ok(answer.into_response())
}

fn respond(shared: &Shared, r: &Received) -> (Answer, After) {
    let ep = Ep::find(&r.method, &r.path);
    let params = Params::parse(&r.query, &r.body);
    let mut entry = ep
        .filter(|e| e.affects_orders())
        .map(|_| order_entry(shared, r, &params));
    let (mut answer, after, outcome) = match shared.faults.pick(&r.method, &r.path) {
        Some(Picked::Banned { remaining }) => {
            (banned(shared, remaining), After::Send, Outcome::Banned)
        }
        Some(Picked::Fault(Fault::Status5xx(status))) => (
            Answer::html(status),
            After::Send,
            Outcome::Faulted(format!("Status5xx({status}): not executed")),
        ),
        Some(Picked::Fault(Fault::RateLimited { retry_after_s })) => (
            rate_limited(retry_after_s),
            After::Send,
            Outcome::Faulted("RateLimited: not executed".to_string()),
        ),
        Some(Picked::Fault(fault)) => {
            let (answer, outcome) = execute(shared, ep, r, &params, entry.as_mut());
            let said =
                |name: &str| Outcome::Faulted(format!("{name}: executed first, {outcome:?}"));
            match fault {
                Fault::Unknown503Executed => {
                    (unknown_503(), After::Send, said("Unknown503Executed"))
                }
                Fault::ResponseLost => (answer, After::Lose, said("ResponseLost")),
                Fault::Slow(d) => (answer, After::Delay(d), said(&format!("Slow({d:?})"))),
                other => unreachable!("{other:?} is answered without executing"),
            }
        }
        None => {
            let (answer, outcome) = execute(shared, ep, r, &params, entry.as_mut());
            (answer, After::Send, outcome)
        }
    };
    if !answer.html {
        answer
            .headers
            .push(("X-MBX-USED-WEIGHT-1M", shared.rate.weight().to_string()));
        if ep.is_some_and(Ep::affects_orders) {
            let (ten_s, minute) = shared.rate.orders();
            answer
                .headers
                .push(("X-MBX-ORDER-COUNT-10S", ten_s.to_string()));
            answer
                .headers
                .push(("X-MBX-ORDER-COUNT-1M", minute.to_string()));
        }
    }
    if let Some(mut e) = entry {
        e.outcome = outcome;
        shared.log.order(e);
    }
    (answer, after)
}

/// Weighs, authenticates and runs the request.
fn execute(
    shared: &Shared,
    ep: Option<Ep>,
    r: &Received,
    params: &Params,
    entry: Option<&mut OrderLogEntry>,
) -> (Answer, Outcome) {
    let Some(ep) = ep else {
        return (
            Answer::html(404),
            Outcome::Rejected {
                code: 0,
                msg: "404 not found".to_string(),
            },
        );
    };
    shared.rate.add_weight(ep.weight(params));
    if ep.places_order() {
        shared.rate.add_order();
    }
    let result =
        authenticate(shared, ep, r, params).and_then(|()| rest::execute(shared, ep, params));
    match result {
        Ok(done) => {
            if let (Some(e), Some(id)) = (entry, done.client_id) {
                e.client_id = id;
            }
            (Answer::json(200, done.body.to_string()), Outcome::Accepted)
        }
        Err(e) => (
            Answer::error(&e),
            Outcome::Rejected {
                code: e.code,
                msg: e.msg,
            },
        ),
    }
}

/// API key, then timestamp against server time (virtual + skew), then the
/// HMAC-SHA256 signature of the exact query + body without `signature=`.
fn authenticate(shared: &Shared, ep: Ep, r: &Received, p: &Params) -> Result<(), ApiError> {
    if ep.auth() == Auth::Public {
        return Ok(());
    }
    if r.api_key.as_deref() != Some(shared.config.api_key.as_str()) {
        return Err(
            ApiError::new(-2015, "Invalid API-key, IP, or permissions for action.")
                .with_status(401),
        );
    }
    if ep.auth() == Auth::ApiKey {
        return Ok(());
    }
    let timestamp = p
        .int("timestamp")?
        .ok_or_else(|| ApiError::mandatory("timestamp"))?;
    let recv_window = p.int("recvWindow")?.unwrap_or(5000);
    if !(1..=60_000).contains(&recv_window) {
        return Err(ApiError::new(-1131, "recvWindow must be less than 60000"));
    }
    let server = shared.server_time();
    if timestamp > server + 1000 {
        return Err(ApiError::new(
            -1021,
            "Timestamp for this request was 1000ms ahead of the server's time.",
        ));
    }
    if server - timestamp > recv_window {
        return Err(ApiError::new(
            -1021,
            "Timestamp for this request is outside of the recvWindow.",
        ));
    }
    let (query, query_sig) = without_signature(&r.query);
    let (body, body_sig) = without_signature(&r.body);
    let sent = query_sig
        .or(body_sig)
        .ok_or_else(|| ApiError::mandatory("signature"))?;
    // Binance signs the query string and the body concatenated as sent.
    let payload = format!("{query}{body}");
    let expected = cockpit::binance::sign::signature_with_key(&shared.config.api_secret, &payload);
    if !expected.eq_ignore_ascii_case(sent) {
        return Err(ApiError::new(
            -1022,
            "Signature for this request is not valid.",
        ));
    }
    Ok(())
}

/// `text` without its `signature=` parameter, and that parameter's value.
fn without_signature(text: &str) -> (String, Option<&str>) {
    let mut signature = None;
    let kept: Vec<&str> = text
        .split('&')
        .filter(|part| match part.strip_prefix("signature=") {
            Some(sig) => {
                signature = Some(sig);
                false
            }
            None => true,
        })
        .collect();
    (kept.join("&"), signature)
}

/// What the order log records of an order-affecting request, before its outcome.
fn order_entry(shared: &Shared, r: &Received, p: &Params) -> OrderLogEntry {
    let client_id = ["newClientOrderId", "origClientOrderId", "clientAlgoId"]
        .iter()
        .find_map(|k| p.get(k))
        .unwrap_or_default();
    OrderLogEntry {
        wall: Instant::now(),
        at_ms: shared.clock.now_ms(),
        endpoint: format!("{} {}", r.method, r.path),
        client_id: client_id.to_string(),
        symbol: p.symbol().unwrap_or_default(),
        side: p.get("side").unwrap_or_default().to_string(),
        order_type: p.get("type").unwrap_or_default().to_string(),
        qty: p.decimal("quantity").ok().flatten(),
        trigger: p.decimal("triggerPrice").ok().flatten(),
        reduce_only: p.get("reduceOnly") == Some("true"),
        close_position: p.get("closePosition") == Some("true"),
        outcome: Outcome::Accepted,
    }
}

/// 418 during a ban. "banned until" is the exchange time at which the ban
/// ends (the remaining wall time projected at the clock's speed), so that a
/// client on the virtual clock reads the same end as `Retry-After` gives.
fn banned(shared: &Shared, remaining: Duration) -> Answer {
    let until =
        shared.server_time() + (remaining.as_secs_f64() * 1000.0 * shared.clock.speed()) as i64;
    let body = json!({
        "code": -1003,
        "msg": format!("Way too many requests; IP(127.0.0.1) banned until {until}. Please use the websocket for live updates to avoid bans."),
    });
    let mut a = Answer::json(418, body.to_string());
    let secs = remaining.as_secs_f64().ceil().max(1.0) as u64;
    a.headers.push(("Retry-After", secs.to_string()));
    a
}

fn rate_limited(retry_after_s: u64) -> Answer {
    let body = json!({
        "code": -1003,
        "msg": "Too many requests; current limit is 2400 requests per minute. Please use the websocket for live updates to avoid polling the API.",
    });
    let mut a = Answer::json(429, body.to_string());
    a.headers.push(("Retry-After", retry_after_s.to_string()));
    a
}

fn unknown_503() -> Answer {
    let body = json!({
        "code": -1000,
        "msg": cockpit::binance::error::UNKNOWN_ERROR_MSG,
    });
    Answer::json(503, body.to_string())
}

/// Used weight and order counts in the current wall-clock windows.
#[derive(Default)]
pub(crate) struct RateCounters {
    state: Mutex<Windows>,
}

#[derive(Default)]
struct Windows {
    weight_minute: u64,
    weight: u32,
    orders_minute: u64,
    orders_1m: u32,
    orders_ten_s: u64,
    orders_10s: u32,
}

fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl RateCounters {
    pub fn add_weight(&self, w: u32) {
        let minute = unix_secs() / 60;
        let mut s = lock(&self.state);
        if s.weight_minute != minute {
            s.weight_minute = minute;
            s.weight = 0;
        }
        s.weight += w;
    }

    /// Weight used in the current minute.
    pub fn weight(&self) -> u32 {
        let s = lock(&self.state);
        if s.weight_minute == unix_secs() / 60 {
            s.weight
        } else {
            0
        }
    }

    pub fn add_order(&self) {
        let now = unix_secs();
        let mut s = lock(&self.state);
        if s.orders_minute != now / 60 {
            s.orders_minute = now / 60;
            s.orders_1m = 0;
        }
        if s.orders_ten_s != now / 10 {
            s.orders_ten_s = now / 10;
            s.orders_10s = 0;
        }
        s.orders_1m += 1;
        s.orders_10s += 1;
    }

    /// Orders placed in the current (10-second, minute) windows.
    pub fn orders(&self) -> (u32, u32) {
        let now = unix_secs();
        let s = lock(&self.state);
        let ten_s = if s.orders_ten_s == now / 10 {
            s.orders_10s
        } else {
            0
        };
        let minute = if s.orders_minute == now / 60 {
            s.orders_1m
        } else {
            0
        };
        (ten_s, minute)
    }
}
