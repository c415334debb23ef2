//! The market stream against a real loopback connection: a minimal WebSocket
//! server that sends two closed klines, pings, then drops the connection, and
//! a tiny HTTP server answering `/fapi/v1/klines` and `/fapi/v1/time` for the
//! backfill (and the warm-up). Everything listens on 127.0.0.1; nothing reaches another host.
//! (The full fake exchange lives in `tests/fake_binance/`.)

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cockpit::binance::rest::{Clock, RestClient, RestConfig};
use cockpit::binance::retry::RetryPolicy;
use cockpit::binance::stream::{MarketSequencer, MarketStreamConfig, run_market_stream, warm_up};
use cockpit::domain::{Interval, Symbol};
use cockpit::engine::Event;
use futures_util::{SinkExt, StreamExt};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server;

const MIN: i64 = 60_000;
/// Candle k opens at T0 + k·MIN; the test's clock stands in candle 5, so
/// candles 0..=4 have closed.
const T0: i64 = 1_700_000_040_000;
const NOW: i64 = T0 + 5 * MIN + 30_000;
const PING: &[u8] = b"are-you-there";

fn open(k: i64) -> i64 {
    T0 + k * MIN
}

/// A combined-stream kline frame in the recorded shape.
fn kline_frame(k: i64, closed: bool) -> String {
    let (t, close_time) = (open(k), open(k) + MIN - 1);
    format!(
        r#"{{"stream":"btcusdt@kline_1m","data":{{"e":"kline","E":{close_time},"s":"BTCUSDT","k":{{"t":{t},"T":{close_time},"s":"BTCUSDT","i":"1m","f":100,"L":200,"o":"10.0","c":"12.0","h":"20.0","l":"5.0","v":"1000","n":100,"x":{closed},"q":"1.0000","V":"500","Q":"0.500","B":"123456"}}}}}}"#
    )
}

/// `/fapi/v1/klines` over candles 0..=5 (5 still forming) honouring
/// startTime, endTime and limit; `/fapi/v1/time` says NOW.
fn rest_answer(path: &str, query: &str) -> (u16, String) {
    let param = |name: &str| -> Option<i64> {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
    };
    match path {
        "/fapi/v1/time" => (200, format!(r#"{{"serverTime":{NOW}}}"#)),
        "/fapi/v1/klines" => {
            let start = param("startTime").unwrap_or(i64::MIN);
            let end = param("endTime").unwrap_or(i64::MAX);
            let limit = param("limit").unwrap_or(500) as usize;
            let rows: Vec<String> = (0..=5)
                .filter(|k| (start..=end).contains(&open(*k)))
                .take(limit)
                .map(|k| {
                    format!(
                        r#"[{},"10.0","20.0","5.0","12.0","1000",{},"1.0",100,"500","0.5","0"]"#,
                        open(k),
                        open(k) + MIN - 1
                    )
                })
                .collect();
            (200, format!("[{}]", rows.join(",")))
        }
        _ => (404, r#"{"code":-1,"msg":"not here"}"#.into()),
    }
}

async fn serve_rest(listener: TcpListener, requests: Arc<Mutex<Vec<String>>>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let requests = requests.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: Request<Incoming>| {
                let path = req.uri().path().to_string();
                let query = req.uri().query().unwrap_or_default().to_string();
                requests.lock().unwrap().push(format!("{path}?{query}"));
                let (status, body) = rest_answer(&path, &query);
                async move {
                    let mut response = Response::new(Full::new(Bytes::from(body)));
                    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                    Ok::<_, Infallible>(response)
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// First connection: closed candles 0 and 1, a ping, the pong awaited, then
/// the TCP connection dropped without a close frame. Second connection: a
/// duplicate of 1, candle 4 closed (also in the backfill), 5 forming, and
/// it stays open.
async fn serve_ws(
    listener: TcpListener,
    paths: Arc<Mutex<Vec<String>>>,
    pong: mpsc::UnboundedSender<Vec<u8>>,
) {
    for n in 0.. {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let paths = paths.clone();
        // The callback's type (and its large error) is tungstenite's.
        #[allow(clippy::result_large_err)]
        let callback = move |req: &server::Request, resp: server::Response| {
            paths.lock().unwrap().push(req.uri().to_string());
            Ok(resp)
        };
        let mut ws = tokio_tungstenite::accept_hdr_async(stream, callback)
            .await
            .unwrap();
        if n == 0 {
            for k in [0, 1] {
                ws.send(Message::text(kline_frame(k, true))).await.unwrap();
            }
            ws.send(Message::Ping(PING.into())).await.unwrap();
            let answer = tokio::time::timeout(Duration::from_secs(5), async {
                while let Some(Ok(m)) = ws.next().await {
                    if let Message::Pong(p) = m {
                        return Some(p.to_vec());
                    }
                }
                None
            })
            .await
            .ok()
            .flatten();
            pong.send(answer.unwrap_or_default()).unwrap();
            drop(ws);
        } else {
            tokio::spawn(async move {
                for (k, closed) in [(1, true), (4, true), (5, false)] {
                    ws.send(Message::text(kline_frame(k, closed)))
                        .await
                        .unwrap();
                }
                // Keep reading (answering pings) until the client goes.
                while let Some(Ok(_)) = ws.next().await {}
            });
        }
    }
}

#[tokio::test]
async fn a_dropped_connection_is_backfilled_without_a_gap_or_a_duplicate() {
    let rest_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ws_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let rest_addr = rest_listener.local_addr().unwrap();
    let ws_addr = ws_listener.local_addr().unwrap();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let paths = Arc::new(Mutex::new(Vec::new()));
    let (pong_tx, mut pong_rx) = mpsc::unbounded_channel();
    tokio::spawn(serve_rest(rest_listener, requests.clone()));
    tokio::spawn(serve_ws(ws_listener, paths.clone(), pong_tx));

    let clock: Clock = Arc::new(|| NOW);
    let rest = Arc::new(
        RestClient::new(RestConfig::new(format!("http://{rest_addr}")), None, clock).unwrap(),
    );
    let symbol = Symbol::new("BTCUSDT").unwrap();

    // The warm-up: the last three closed candles, stamped with their close.
    let history = warm_up(&rest, std::slice::from_ref(&symbol), Interval::M1, 3)
        .await
        .unwrap();
    let stamps: Vec<(i64, i64, bool)> = history
        .iter()
        .map(|(at, e)| match e {
            Event::Candle { candle, .. } => (*at, candle.open_time_ms, candle.closed),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        stamps,
        [2, 3, 4]
            .map(|k| (open(k) + MIN - 1, open(k), true))
            .to_vec()
    );
    requests.lock().unwrap().clear();
    let config = MarketStreamConfig {
        reconnect: RetryPolicy {
            max_attempts: u32::MAX,
            base: Duration::from_millis(20),
            cap: Duration::from_millis(100),
        },
        idle_timeout: Duration::from_secs(10),
        // Candle 4 closed 30 s before NOW: on time; the older ones are late.
        late_after_ms: 45_000,
        ..MarketStreamConfig::new(
            format!("ws://{ws_addr}"),
            vec![symbol.clone()],
            Interval::M1,
        )
    };
    let (tx, mut rx) = mpsc::channel(64);
    let stream = tokio::spawn(run_market_stream(
        config,
        MarketSequencer::new(Interval::M1, 45_000),
        rest.clone(),
        tx,
    ));

    // Everything until candle 5's forming update and the second `up`.
    let mut events = Vec::new();
    let collect = async {
        let (mut forming, mut ups) = (false, 0);
        while let Some((at, event)) = rx.recv().await {
            assert_eq!(at, NOW, "stamped with the server clock");
            forming |= matches!(&event, Event::Candle { candle, .. } if !candle.closed);
            ups += usize::from(event == Event::FeedUp);
            events.push(event);
            if forming && ups == 2 {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), collect)
        .await
        .expect("the stream came back with candle 5 forming");

    let pong = pong_rx.recv().await.unwrap();
    assert_eq!(pong, PING, "the pong echoed the ping's payload");

    let describe: Vec<String> = events
        .iter()
        .map(|e| match e {
            Event::Candle { candle, .. } if candle.closed => {
                format!("candle {}", (candle.open_time_ms - T0) / MIN)
            }
            Event::Candle { candle, .. } => format!("forming {}", (candle.open_time_ms - T0) / MIN),
            Event::LateCandle { candle, .. } => {
                format!("late {}", (candle.open_time_ms - T0) / MIN)
            }
            Event::FeedDown { .. } => "down".into(),
            Event::FeedUp => "up".into(),
            other => format!("{other:?}"),
        })
        .collect();
    // Candles 0 and 1 arrive minutes after their close: late. After the drop
    // 2 and 3 come late from the backfill, 4 on time; the duplicates of 1
    // and 4 on the new connection are dropped. The forming 5 comes from the
    // stream: after the resync, or replayed from its buffer just before `up`.
    let expected_tail = [
        vec!["down", "late 2", "late 3", "candle 4", "up", "forming 5"],
        vec!["down", "late 2", "late 3", "candle 4", "forming 5", "up"],
    ];
    assert_eq!(describe[..3], ["up", "late 0", "late 1"], "{describe:?}");
    assert!(
        expected_tail.iter().any(|t| describe[3..] == t[..]),
        "{describe:?}"
    );
    match &events[3] {
        Event::FeedDown { reason } => assert!(!reason.is_empty()),
        other => panic!("{other:?}"),
    }

    // Two connections, both on the routed market path.
    let paths = paths.lock().unwrap().clone();
    assert_eq!(paths.len(), 2, "{paths:?}");
    for p in &paths {
        assert_eq!(
            p,
            "/market/stream?streams=btcusdt@kline_1m/btcusdt@markPrice@1s"
        );
    }
    // The backfill asked for exactly the missing candles 2..=4.
    let requests = requests.lock().unwrap().clone();
    assert_eq!(
        requests,
        vec![format!(
            "/fapi/v1/klines?symbol=BTCUSDT&interval=1m&startTime={}&endTime={}&limit=3",
            open(2),
            open(5) - 1
        )]
    );

    // The engine goes: the stream ends.
    drop(rx);
    tokio::time::timeout(Duration::from_secs(5), stream)
        .await
        .expect("the stream stops when its receiver is dropped")
        .unwrap();
}
