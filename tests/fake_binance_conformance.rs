//! Self-tests of the fake Binance USD-M exchange (`tests/fake_binance`): it
//! answers in Binance's recorded shapes, enforces Binance's rules (signing,
//! timestamps, filters, the client-id trap), replays the price path in order,
//! triggers algo orders, and injects the faults it promises. Real HTTP and
//! WebSocket over loopback; nothing else is reached.
//!
//! Key sets: a fake answer must carry every key of the recording of the same
//! endpoint or event (except keys named as absent for a reason, e.g.
//! `activatePrice` which Binance sends only for trailing stops), and may add
//! only keys that another recording of the same object carries (e.g. the
//! union of the order answers): nothing invented.

mod fake_binance;

use std::collections::BTreeSet;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cockpit::binance::wire::{
    Account, AlgoOrder, AlgoStatus, ExchangeInfo, ExecutionType, Kline, ListenKey, MarketEvent,
    OrderResponse, OrderStatus, PositionRisk, PositionSideDual, ServerTime, UserEvent,
    parse_market_frame, parse_user_event,
};
use cockpit::binance::{BinanceError, sign, streams};
use cockpit::domain::{Interval, Symbol};
use fake_binance::{FakeBinance, FakeConfig, Fault, Matcher, Outcome};
use futures_util::{SinkExt, StreamExt};
use rust_decimal::Decimal;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

// ------------------------------------------------------------------ data

fn shared_text(rel: &str) -> String {
    let path = cockpit::shared_data::file(rel).unwrap_or_else(|e| panic!("{e}"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn fixture(rel: &str) -> Value {
    let v: Value = serde_json::from_str(&shared_text(&format!("binance/fixtures/{rel}")))
        .unwrap_or_else(|e| panic!("{rel}: {e}"));
    // Some user-data recordings are combined-stream frames.
    match v.get("data") {
        Some(data) if v.get("stream").is_some() => data.clone(),
        _ => v,
    }
}

fn example(name: &str) -> Value {
    fixture(&format!("endpoint_examples/{name}.json"))["example_response"].clone()
}

fn ccxt(key_start: &str) -> Value {
    let all = fixture("rest/ccxt_response_binance_futures_excerpts.json");
    all.as_object()
        .unwrap()
        .iter()
        .find(|(k, _)| k.starts_with(key_start))
        .unwrap_or_else(|| panic!("no ccxt excerpt {key_start}"))
        .1
        .clone()
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn dec(v: &Value) -> Decimal {
    d(v.as_str()
        .unwrap_or_else(|| panic!("not a decimal string: {v}")))
}

/// The recorded BTCUSDT 1m bars: (open time, high, low, close).
fn btc_bars() -> Vec<(i64, Decimal, Decimal, Decimal)> {
    shared_text("klines/BTCUSDT-1m-umfutures.csv")
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].parse().unwrap(), d(f[2]), d(f[3]), d(f[4]))
        })
        .collect()
}

/// Index of the bar current at `now`.
fn bar_index(bars: &[(i64, Decimal, Decimal, Decimal)], now: i64) -> usize {
    bars.partition_point(|b| b.0 <= now) - 1
}

// -------------------------------------------------------------- key sets

fn key_diff(
    path: &str,
    fake: &Value,
    rec: &Value,
    lack: &[&str],
    add: &[&str],
    out: &mut Vec<String>,
) {
    match (fake, rec) {
        (Value::Object(f), Value::Object(r)) => {
            for k in r.keys() {
                if !f.contains_key(k) && !lack.contains(&k.as_str()) {
                    out.push(format!("{path}: lacks `{k}`"));
                }
            }
            for k in f.keys() {
                if !r.contains_key(k) && !add.contains(&k.as_str()) {
                    out.push(format!("{path}: adds `{k}`"));
                }
            }
            for (k, rv) in r {
                if let Some(fv) = f.get(k) {
                    key_diff(&format!("{path}.{k}"), fv, rv, lack, add, out);
                }
            }
        }
        (Value::Array(f), Value::Array(r)) => {
            if let (Some(f0), Some(r0)) = (f.first(), r.first()) {
                key_diff(&format!("{path}[0]"), f0, r0, lack, add, out);
            }
        }
        _ => {}
    }
}

/// The fake's `fake` has the key set of the recording `rec`, recursively,
/// up to `lack` (recorded keys it may omit) and `add` (keys it may add).
fn assert_keys(what: &str, fake: &Value, rec: &Value, lack: &[&str], add: &[&str]) {
    let mut problems = Vec::new();
    key_diff(what, fake, rec, lack, add, &mut problems);
    assert!(
        problems.is_empty(),
        "{problems:#?}\nfake: {fake}\nrecorded: {rec}"
    );
}

fn keys(v: &Value) -> Vec<String> {
    v.as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// Every key any recorded order answer carries.
fn order_keys_union() -> Vec<String> {
    let mut all = BTreeSet::new();
    for v in [
        fixture("rest/order_response.json"),
        example("POST_fapi_v1_order__new_order"),
        example("GET_fapi_v1_order__query_order"),
        example("DELETE_fapi_v1_order__cancel_order"),
        example("GET_fapi_v1_openOrders__current_all_open_orders")[0].clone(),
        ccxt("POST /fapi/v1/batchOrders")[0].clone(),
        ccxt("GET /fapi/v1/openOrder").clone(),
    ] {
        all.extend(keys(&v));
    }
    all.into_iter().collect()
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Keys Binance sends only for trailing-stop orders, which the fake never has.
const TRAILING_ONLY: &[&str] = &["activatePrice", "priceRate"];

// ---------------------------------------------------------------- REST client

struct Api {
    http: reqwest::Client,
    base: String,
    key: String,
    secret: String,
    clock: Arc<dyn Fn() -> i64 + Send + Sync>,
}

#[derive(Debug)]
struct Reply {
    status: u16,
    body: Value,
    text: String,
    headers: reqwest::header::HeaderMap,
}

impl Reply {
    fn code(&self) -> i64 {
        self.body["code"].as_i64().unwrap_or(0)
    }

    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    fn error(&self) -> BinanceError {
        let retry = self.header("Retry-After").and_then(|v| v.parse().ok());
        BinanceError::from_response(self.status, &self.text, retry)
    }

    fn ok(self, what: &str) -> Value {
        assert_eq!(self.status, 200, "{what}: {}", self.text);
        self.body
    }
}

impl Api {
    fn new(fake: &FakeBinance) -> Api {
        // reqwest is built without a default TLS provider; the project
        // installs ring once at start, tests do the same.
        let _ = rustls::crypto::ring::default_provider().install_default();
        Api {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
            base: fake.rest_url(),
            key: "fake-key".into(),
            secret: "fake-secret".into(),
            clock: fake.clock(),
        }
    }

    async fn try_send(
        &self,
        method: &str,
        path_query: &str,
        api_key: bool,
        body: Option<String>,
    ) -> Result<Reply, reqwest::Error> {
        let method = reqwest::Method::from_str(method).unwrap();
        let mut req = self
            .http
            .request(method, format!("{}{path_query}", self.base));
        if api_key {
            req = req.header("X-MBX-APIKEY", &self.key);
        }
        if let Some(body) = body {
            req = req
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(body);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await?;
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Reply {
            status,
            body,
            text,
            headers,
        })
    }

    async fn send(
        &self,
        method: &str,
        path_query: &str,
        api_key: bool,
        body: Option<String>,
    ) -> Reply {
        self.try_send(method, path_query, api_key, body)
            .await
            .unwrap_or_else(|e| panic!("{method} {path_query}: {e}"))
    }

    async fn public(&self, path: &str, query: &str) -> Reply {
        let pq = if query.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{query}")
        };
        self.send("GET", &pq, false, None).await
    }

    /// `params` + timestamp (the fake's clock) + recvWindow 60000, signed.
    /// The widest window: at 600× a millisecond of wall time is 0.6 s.
    fn signed_query(&self, params: &str) -> String {
        let sep = if params.is_empty() { "" } else { "&" };
        let q = format!("{params}{sep}timestamp={}&recvWindow=60000", (self.clock)());
        format!(
            "{q}&signature={}",
            sign::signature_with_key(&self.secret, &q)
        )
    }

    async fn try_signed(
        &self,
        method: &str,
        path: &str,
        params: &str,
    ) -> Result<Reply, reqwest::Error> {
        let q = self.signed_query(params);
        self.try_send(method, &format!("{path}?{q}"), true, None)
            .await
    }

    async fn signed(&self, method: &str, path: &str, params: &str) -> Reply {
        self.try_signed(method, path, params)
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    async fn mark(&self, symbol: &str) -> Decimal {
        let v = self
            .public("/fapi/v1/premiumIndex", &format!("symbol={symbol}"))
            .await
            .ok("premiumIndex");
        dec(&v["markPrice"])
    }

    async fn position_risk(&self) -> Vec<Value> {
        let v = self
            .signed("GET", "/fapi/v3/positionRisk", "")
            .await
            .ok("positionRisk");
        v.as_array().unwrap().clone()
    }
}

// ---------------------------------------------------------------- WebSocket

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(url: &str) -> Ws {
    tokio_tungstenite::connect_async(url)
        .await
        .unwrap_or_else(|e| panic!("connect {url}: {e}"))
        .0
}

/// Reads a connection in the background (which also answers pings, as
/// tokio-tungstenite does while reading), keeping text frames and pings.
struct Collector {
    texts: Arc<Mutex<Vec<String>>>,
    pings: Arc<Mutex<Vec<Vec<u8>>>>,
    /// Ended; `clean` when with a close frame.
    ended: Arc<AtomicBool>,
    clean: Arc<AtomicBool>,
    sender: tokio::sync::mpsc::UnboundedSender<String>,
}

fn collect(ws: Ws) -> Collector {
    let texts = Arc::new(Mutex::new(Vec::new()));
    let pings = Arc::new(Mutex::new(Vec::new()));
    let ended = Arc::new(AtomicBool::new(false));
    let clean = Arc::new(AtomicBool::new(false));
    let (sender, mut outbox) = tokio::sync::mpsc::unbounded_channel::<String>();
    let c = Collector {
        texts: texts.clone(),
        pings: pings.clone(),
        ended: ended.clone(),
        clean: clean.clone(),
        sender,
    };
    tokio::spawn(async move {
        let mut ws = ws;
        loop {
            tokio::select! {
                msg = ws.next() => match msg {
                    Some(Ok(Message::Text(t))) => texts.lock().unwrap().push(t.to_string()),
                    Some(Ok(Message::Ping(p))) => pings.lock().unwrap().push(p.to_vec()),
                    Some(Ok(Message::Close(_))) => { clean.store(true, Ordering::SeqCst); }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => break,
                },
                Some(out) = outbox.recv() => { let _ = ws.send(Message::text(out)).await; }
            }
        }
        ended.store(true, Ordering::SeqCst);
    });
    c
}

impl Collector {
    fn texts(&self) -> Vec<String> {
        self.texts.lock().unwrap().clone()
    }

    fn values(&self) -> Vec<Value> {
        self.texts()
            .iter()
            .map(|t| serde_json::from_str(t).unwrap_or_else(|e| panic!("{e}: {t}")))
            .collect()
    }

    fn send(&self, text: &str) {
        self.sender.send(text.to_string()).unwrap();
    }

    fn ended(&self) -> bool {
        self.ended.load(Ordering::SeqCst)
    }

    /// Waits until `done` holds for the frames received; panics naming `what`.
    async fn wait_for(
        &self,
        what: &str,
        timeout: Duration,
        done: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let start = Instant::now();
        loop {
            let v = self.values();
            if done(&v) {
                return v;
            }
            assert!(
                start.elapsed() < timeout,
                "timed out waiting for {what}; got {} frames: {v:#?}",
                v.len()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn wait_ended(&self, timeout: Duration) {
        let start = Instant::now();
        while !self.ended() {
            assert!(start.elapsed() < timeout, "connection did not end");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

fn user_event<'a>(
    events: &'a [Value],
    e: &str,
    pred: impl Fn(&Value) -> bool,
) -> Option<&'a Value> {
    events.iter().find(|v| v["e"] == e && pred(v))
}

async fn user_stream(fake: &FakeBinance, api: &Api) -> (String, Collector) {
    let key = api
        .send("POST", "/fapi/v1/listenKey", true, None)
        .await
        .ok("listenKey")["listenKey"]
        .as_str()
        .unwrap()
        .to_string();
    let ws = connect(&streams::user_data_url(&fake.ws_url(), &key)).await;
    (key, collect(ws))
}

async fn start(config: FakeConfig) -> (FakeBinance, Api) {
    let fake = FakeBinance::start(config).await;
    let api = Api::new(&fake);
    (fake, api)
}

fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

// ------------------------------------------------------------------ 1. shapes

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fake_speaks_binance_on_every_endpoint_and_stream() {
    let (fake, api) = start(FakeConfig::default()).await;
    let order_union = order_keys_union();
    let order_add = strs(&order_union);

    // Market data.
    let time = api.public("/fapi/v1/time", "").await;
    let w_before: u32 = time
        .header("X-MBX-USED-WEIGHT-1M")
        .unwrap()
        .parse()
        .unwrap();
    let time = time.ok("time");
    assert_keys(
        "time",
        &time,
        &example("GET_fapi_v1_time__check_server_time"),
        &[],
        &[],
    );
    let t: ServerTime = serde_json::from_value(time).unwrap();
    assert!(t.server_time >= fake.now_ms() - 60_000);

    let info = api
        .public("/fapi/v1/exchangeInfo", "")
        .await
        .ok("exchangeInfo");
    assert_keys(
        "exchangeInfo",
        &info,
        &fixture("rest/http_futures_market_exchange_info.json"),
        &[],
        &[],
    );
    let info: ExchangeInfo = serde_json::from_value(info).unwrap();
    assert_eq!(info.symbols.len(), 1, "only the configured symbols");
    let rules = info.rules_for(&sym("BTCUSDT")).unwrap();
    assert_eq!(rules.instrument.tick_size.value(), d("0.10"));
    assert!(!info.rate_limits.is_empty());

    let klines = api
        .public("/fapi/v1/klines", "symbol=BTCUSDT&interval=1m&limit=1000")
        .await;
    let w_after: u32 = klines
        .header("X-MBX-USED-WEIGHT-1M")
        .unwrap()
        .parse()
        .unwrap();
    // Weight 5 for limit ≤ 1000 (unless the minute window rolled over).
    assert!(
        w_after == w_before + 1 + 5 || w_after < w_before,
        "{w_before} → {w_after}"
    );
    let klines = klines.ok("klines");
    let recorded = fixture("rest/http_futures_market_klines.json");
    let rows = klines.as_array().unwrap();
    assert_eq!(rows.len(), 1000, "1000 bars of history at the start");
    for row in rows {
        let kinds: Vec<bool> = row
            .as_array()
            .unwrap()
            .iter()
            .map(Value::is_string)
            .collect();
        let want: Vec<bool> = recorded[0]
            .as_array()
            .unwrap()
            .iter()
            .map(Value::is_string)
            .collect();
        assert_eq!(kinds, want, "kline row field types: {row}");
    }
    let parsed: Vec<Kline> = serde_json::from_value(klines.clone()).unwrap();
    for pair in parsed.windows(2) {
        assert_eq!(pair[1].open_time_ms - pair[0].open_time_ms, 60_000);
    }
    assert!(parsed.last().unwrap().open_time_ms <= fake.now_ms());
    for k in &parsed {
        k.to_candle(true).unwrap();
    }
    let hourly: Vec<Kline> = serde_json::from_value(
        api.public("/fapi/v1/klines", "symbol=BTCUSDT&interval=1h&limit=3")
            .await
            .ok("1h"),
    )
    .unwrap();
    assert_eq!(hourly.len(), 3);
    assert!(
        hourly
            .iter()
            .all(|k| k.open_time_ms % 3_600_000 == 0
                && k.close_time_ms == k.open_time_ms + 3_599_999)
    );
    let too_many = api
        .public("/fapi/v1/klines", "symbol=BTCUSDT&interval=1m&limit=1501")
        .await;
    assert_eq!((too_many.status, too_many.code()), (400, -1130));
    assert_eq!(
        api.public("/fapi/v1/klines", "symbol=BTCUSDT&interval=7m")
            .await
            .code(),
        -1120
    );

    let funding = api
        .public("/fapi/v1/fundingRate", "symbol=BTCUSDT&limit=3")
        .await
        .ok("funding");
    assert_eq!(funding.as_array().unwrap().len(), 3);
    assert_keys(
        "fundingRate",
        &funding,
        &example("GET_fapi_v1_fundingRate__get_funding_rate_history"),
        &[],
        &[],
    );
    assert_keys(
        "fundingRate",
        &funding,
        &fixture("rest/http_futures_market_funding_rate.json"),
        &[],
        &["markPrice"],
    );
    assert!(
        funding
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["fundingTime"].as_i64().unwrap() <= fake.now_ms())
    );

    let premium = api
        .public("/fapi/v1/premiumIndex", "symbol=BTCUSDT")
        .await
        .ok("premiumIndex");
    assert_keys(
        "premiumIndex",
        &premium,
        &example("GET_fapi_v1_premiumIndex__mark_price"),
        &[],
        &[],
    );
    assert_keys(
        "premiumIndex",
        &premium,
        &fixture("rest/http_futures_market_premium_index.json"),
        &[],
        &[],
    );

    // Session and account settings.
    let lk = api
        .send("POST", "/fapi/v1/listenKey", true, None)
        .await
        .ok("listenKey");
    assert_keys(
        "listenKey",
        &lk,
        &example("POST_fapi_v1_listenKey__start_user_data_stream"),
        &[],
        &[],
    );
    let lk: ListenKey = serde_json::from_value(lk).unwrap();
    assert!(lk.listen_key.len() >= 60);
    let user = collect(connect(&streams::user_data_url(&fake.ws_url(), &lk.listen_key)).await);

    let dual = api
        .signed("GET", "/fapi/v1/positionSide/dual", "")
        .await
        .ok("dual");
    assert_keys(
        "dual",
        &dual,
        &example("GET_fapi_v1_positionSide_dual__get_current_position_mode"),
        &[],
        &[],
    );
    assert!(
        serde_json::from_value::<PositionSideDual>(dual)
            .unwrap()
            .is_one_way()
    );
    let lev = api
        .signed("POST", "/fapi/v1/leverage", "symbol=BTCUSDT&leverage=10")
        .await
        .ok("leverage");
    assert_keys(
        "leverage",
        &lev,
        &example("POST_fapi_v1_leverage__change_initial_leverage"),
        &[],
        &[],
    );
    assert_eq!(lev["leverage"], 10);
    let mt = api
        .signed(
            "POST",
            "/fapi/v1/marginType",
            "symbol=BTCUSDT&marginType=ISOLATED",
        )
        .await
        .ok("marginType");
    assert_keys(
        "marginType",
        &mt,
        &example("POST_fapi_v1_marginType__change_margin_type"),
        &[],
        &[],
    );
    let again = api
        .signed(
            "POST",
            "/fapi/v1/marginType",
            "symbol=BTCUSDT&marginType=ISOLATED",
        )
        .await;
    assert_eq!(again.code(), -4046);
    api.signed(
        "POST",
        "/fapi/v1/marginType",
        "symbol=BTCUSDT&marginType=CROSSED",
    )
    .await
    .ok("cross");

    // A market order, answered with RESULT.
    let filled = api
        .signed("POST", "/fapi/v1/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.002&newClientOrderId=shape-mkt&newOrderRespType=RESULT")
        .await
        .ok("market order");
    assert_keys(
        "new order",
        &filled,
        &example("POST_fapi_v1_order__new_order"),
        &[],
        &order_add,
    );
    assert_keys(
        "new order",
        &filled,
        &fixture("rest/order_response.json"),
        &[],
        &order_add,
    );
    let o: OrderResponse = serde_json::from_value(filled).unwrap();
    assert_eq!(o.status, OrderStatus::Filled);
    assert_eq!(o.executed_qty.value(), d("0.002"));
    assert!(o.fill_price().is_some());
    assert!(o.order_id > 1 << 53, "order ids exceed 2^53");

    // A resting limit order: query, list, cancel.
    let mark = api.mark("BTCUSDT").await;
    let low = ((mark * d("0.9")) / d("0.1")).floor() * d("0.1");
    let new = api
        .signed("POST", "/fapi/v1/order", &format!("symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=0.002&price={low}&timeInForce=GTC&newClientOrderId=shape-lmt"))
        .await
        .ok("limit order");
    assert_eq!(new["status"], "NEW");
    let q = api
        .signed(
            "GET",
            "/fapi/v1/order",
            "symbol=BTCUSDT&origClientOrderId=shape-lmt",
        )
        .await
        .ok("query");
    assert_keys(
        "query order",
        &q,
        &example("GET_fapi_v1_order__query_order"),
        TRAILING_ONLY,
        &order_add,
    );
    assert_keys(
        "query order",
        &q,
        &ccxt("GET /fapi/v1/openOrder"),
        &[],
        &order_add,
    );
    serde_json::from_value::<OrderResponse>(q).unwrap();
    let open = api
        .signed("GET", "/fapi/v1/openOrders", "symbol=BTCUSDT")
        .await
        .ok("open orders");
    assert_eq!(open.as_array().unwrap().len(), 1);
    assert_keys(
        "open orders",
        &open,
        &example("GET_fapi_v1_openOrders__current_all_open_orders"),
        TRAILING_ONLY,
        &order_add,
    );
    serde_json::from_value::<Vec<OrderResponse>>(open).unwrap();
    let cancel = api
        .signed(
            "DELETE",
            "/fapi/v1/order",
            "symbol=BTCUSDT&origClientOrderId=shape-lmt",
        )
        .await
        .ok("cancel");
    assert_keys(
        "cancel order",
        &cancel,
        &example("DELETE_fapi_v1_order__cancel_order"),
        TRAILING_ONLY,
        &order_add,
    );
    assert_eq!(
        serde_json::from_value::<OrderResponse>(cancel)
            .unwrap()
            .status,
        OrderStatus::Canceled
    );

    // An algo order: place, query, list, cancel.
    let stop = ((mark * d("0.8")) / d("0.1")).floor() * d("0.1");
    let algo = api
        .signed("POST", "/fapi/v1/algoOrder", &format!("algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=STOP_MARKET&triggerPrice={stop}&closePosition=true&workingType=MARK_PRICE&clientAlgoId=shape-sl"))
        .await
        .ok("algo order");
    assert_keys(
        "new algo",
        &algo,
        &example("POST_fapi_v1_algoOrder__new_algo_order"),
        &[],
        &[],
    );
    let a: AlgoOrder = serde_json::from_value(algo).unwrap();
    assert_eq!((a.algo_status, a.close_position), (AlgoStatus::New, true));
    assert_eq!(fake.open_algo_orders("BTCUSDT").len(), 1);
    let qa = api
        .signed("GET", "/fapi/v1/algoOrder", "clientAlgoId=shape-sl")
        .await
        .ok("query algo");
    assert_keys(
        "query algo",
        &qa,
        &example("GET_fapi_v1_algoOrder__query_algo_order"),
        &[],
        &[],
    );
    serde_json::from_value::<AlgoOrder>(qa).unwrap();
    let oa = api
        .signed("GET", "/fapi/v1/openAlgoOrders", "symbol=BTCUSDT")
        .await
        .ok("open algos");
    assert_keys(
        "open algos",
        &oa,
        &example("GET_fapi_v1_openAlgoOrders__current_all_algo_open_orders"),
        &[],
        &[],
    );
    assert_eq!(
        serde_json::from_value::<Vec<AlgoOrder>>(oa).unwrap().len(),
        1
    );
    let ca = api
        .signed("DELETE", "/fapi/v1/algoOrder", "clientAlgoId=shape-sl")
        .await
        .ok("cancel algo");
    assert_keys(
        "cancel algo",
        &ca,
        &example("DELETE_fapi_v1_algoOrder__cancel_algo_order"),
        &[],
        &[],
    );
    assert_eq!(ca["code"], "200");
    let all = api
        .signed("DELETE", "/fapi/v1/allOpenOrders", "symbol=BTCUSDT")
        .await
        .ok("cancel all");
    assert_keys(
        "cancel all",
        &all,
        &example("DELETE_fapi_v1_allOpenOrders__cancel_all_open_orders"),
        &[],
        &[],
    );
    let all = api
        .signed("DELETE", "/fapi/v1/algoOpenOrders", "symbol=BTCUSDT")
        .await
        .ok("cancel all algos");
    assert_keys(
        "cancel all algos",
        &all,
        &example("DELETE_fapi_v1_algoOpenOrders__cancel_all_algo_open_orders"),
        &[],
        &[],
    );
    let logged: Vec<String> = fake
        .order_log()
        .iter()
        .map(|e| e.endpoint.clone())
        .collect();
    for ep in [
        "DELETE /fapi/v1/allOpenOrders",
        "DELETE /fapi/v1/algoOpenOrders",
        "DELETE /fapi/v1/algoOrder",
        "POST /fapi/v1/algoOrder",
    ] {
        assert!(
            logged.iter().any(|l| l == ep),
            "{ep} missing from the order log: {logged:?}"
        );
    }

    // Positions and account.
    let risk = api.position_risk().await;
    let risk = Value::Array(risk);
    assert_keys(
        "positionRisk",
        &risk,
        &example("GET_fapi_v3_positionRisk__position_information_v3"),
        &[],
        &[],
    );
    assert_keys(
        "positionRisk",
        &risk,
        &ccxt("GET /fapi/v3/positionRisk"),
        &[],
        &[],
    );
    let rows: Vec<PositionRisk> = serde_json::from_value(risk).unwrap();
    assert_eq!(rows[0].position_amt, d("0.002"));
    let account = api
        .signed("GET", "/fapi/v3/account", "")
        .await
        .ok("account");
    assert_keys(
        "account",
        &account,
        &example("GET_fapi_v3_account__account_information_v3"),
        &[],
        &[],
    );
    assert_keys("account", &account, &ccxt("GET /fapi/v3/account"), &[], &[]);
    let acc: Account = serde_json::from_value(account).unwrap();
    assert_eq!(
        acc.equity(),
        acc.total_wallet_balance + acc.total_unrealized_profit
    );
    assert!(acc.total_wallet_balance < d("10000"), "fees were charged");
    let keep = api
        .send("PUT", "/fapi/v1/listenKey", true, None)
        .await
        .ok("keepalive");
    assert_keys(
        "keepalive",
        &keep,
        &example("PUT_fapi_v1_listenKey__keepalive_user_data_stream"),
        &[],
        &[],
    );

    // The user events of all this, each in its recorded shape and readable
    // by the adapter's parser.
    let events = user
        .wait_for("the algo cancel event", Duration::from_secs(5), |v| {
            user_event(v, "ALGO_UPDATE", |e| e["o"]["X"] == "CANCELED").is_some()
        })
        .await;
    for e in &events {
        parse_user_event(&e.to_string()).unwrap_or_else(|err| panic!("{err}: {e}"));
    }
    let otu = |x: &str| {
        user_event(&events, "ORDER_TRADE_UPDATE", |e| e["o"]["x"] == x)
            .unwrap_or_else(|| panic!("no ORDER_TRADE_UPDATE {x}: {events:#?}"))
    };
    let newest_new = fixture("user_data/ws_futures_order_update_new_reduce_only_qty.json");
    assert_keys("OTU NEW", otu("NEW"), &newest_new, &[], &[]);
    assert_keys(
        "OTU NEW",
        otu("NEW"),
        &fixture("user_data/order_update_new.json"),
        &[],
        &["gtd", "W"],
    );
    let newest_trade = fixture("user_data/ws_futures_order_update_trade_reduce_only_qty.json");
    assert_keys("OTU TRADE", otu("TRADE"), &newest_trade, &[], &[]);
    assert_keys(
        "OTU TRADE",
        otu("TRADE"),
        &fixture("user_data/order_update_trade.json"),
        &[],
        &["gtd", "W"],
    );
    assert_keys("OTU CANCELED", otu("CANCELED"), &newest_new, &[], &[]);
    let lite = user_event(&events, "TRADE_LITE", |_| true).expect("TRADE_LITE");
    assert_keys(
        "TRADE_LITE",
        lite,
        &fixture("user_data/trade_lite.json"),
        &[],
        &[],
    );
    assert_keys(
        "TRADE_LITE",
        lite,
        &fixture("user_data/ws_futures_trade_lite.json"),
        &[],
        &[],
    );
    let acct = user_event(&events, "ACCOUNT_UPDATE", |_| true).expect("ACCOUNT_UPDATE");
    assert_keys(
        "ACCOUNT_UPDATE",
        acct,
        &fixture("user_data/account_update.json"),
        &[],
        &[],
    );
    let algo_new =
        user_event(&events, "ALGO_UPDATE", |e| e["o"]["X"] == "NEW").expect("ALGO_UPDATE NEW");
    // `rm` (a reject reason) is in the documentation example of a NEW event only.
    assert_keys(
        "ALGO_UPDATE NEW",
        algo_new,
        &fixture("user_data/algo_update_new.json"),
        &["rm"],
        &[],
    );
    let algo_cx = user_event(&events, "ALGO_UPDATE", |e| e["o"]["X"] == "CANCELED").unwrap();
    assert_keys(
        "ALGO_UPDATE CANCELED",
        algo_cx,
        &fixture("user_data/algo_update_canceled.json"),
        &["rm"],
        &[],
    );
    let UserEvent::OrderTradeUpdate(t) = parse_user_event(&otu("TRADE").to_string()).unwrap()
    else {
        panic!("not an order update");
    };
    assert_eq!(t.order.execution_type, ExecutionType::Trade);
    assert!(t.order.order_id > 1 << 53);

    // Market streams on their routes, built with the adapter's own URL helpers.
    let market = collect(
        connect(&streams::market_url(
            &fake.ws_url(),
            &[sym("BTCUSDT")],
            Interval::M1,
        ))
        .await,
    );
    let public = collect(connect(&streams::public_url(&fake.ws_url(), &[sym("BTCUSDT")])).await);
    let frames = market
        .wait_for(
            "a closed kline and a mark price",
            Duration::from_secs(5),
            |v| {
                v.iter().any(|f| f["data"]["k"]["x"] == true)
                    && v.iter().any(|f| f["data"]["k"]["x"] == false)
                    && v.iter().any(|f| f["data"]["e"] == "markPriceUpdate")
            },
        )
        .await;
    let books = public
        .wait_for("a book ticker", Duration::from_secs(5), |v| !v.is_empty())
        .await;
    for f in frames.iter().chain(&books) {
        assert_eq!(keys(f), ["data", "stream"], "combined envelope: {f}");
        let parsed = parse_market_frame(&f.to_string()).unwrap();
        assert_eq!(parsed.stream.as_deref(), f["stream"].as_str());
        assert!(!matches!(parsed.event, MarketEvent::Other { .. }), "{f}");
    }
    let data = |pred: &dyn Fn(&Value) -> bool| {
        frames
            .iter()
            .map(|f| &f["data"])
            .find(|d| pred(d))
            .unwrap()
            .clone()
    };
    assert_keys(
        "kline open",
        &data(&|d| d["k"]["x"] == false),
        &fixture("ws/kline_stream_open.json"),
        &[],
        &[],
    );
    assert_keys(
        "kline closed",
        &data(&|d| d["k"]["x"] == true),
        &fixture("ws/kline_stream_closed.json"),
        &[],
        &[],
    );
    assert_keys(
        "markPrice",
        &data(&|d| d["e"] == "markPriceUpdate"),
        &fixture("ws/mark_price_stream.json"),
        &[],
        &[],
    );
    assert_keys(
        "bookTicker",
        &books[0]["data"],
        &fixture("ws/book_ticker_stream.json"),
        &[],
        &[],
    );
}

// -------------------------------------------------------------- 2. signing

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signatures_keys_and_timestamps_are_checked_as_binance_does() {
    let (fake, api) = start(FakeConfig::default()).await;
    // Frozen clock: timestamps are exact.
    fake.pause_market(true);
    let now = fake.now_ms();
    let signed = |params: &str, secret: &str| {
        format!(
            "{params}&signature={}",
            sign::signature_with_key(secret, params)
        )
    };
    let path = |q: String| format!("/fapi/v3/account?{q}");

    let good = api
        .send(
            "GET",
            &path(signed(&format!("timestamp={now}"), "fake-secret")),
            true,
            None,
        )
        .await;
    assert_eq!(good.status, 200, "{}", good.text);

    let wrong = api
        .send(
            "GET",
            &path(signed(&format!("timestamp={now}"), "wrong-secret")),
            true,
            None,
        )
        .await;
    assert_eq!((wrong.status, wrong.code()), (400, -1022));
    assert!(matches!(wrong.error(), BinanceError::BadSignature { .. }));
    // A parameter changed after signing.
    let tampered = signed(
        &format!("symbol=BTCUSDT&leverage=5&timestamp={now}"),
        "fake-secret",
    )
    .replace("leverage=5", "leverage=50");
    let r = api
        .send("POST", &format!("/fapi/v1/leverage?{tampered}"), true, None)
        .await;
    assert_eq!(r.code(), -1022);

    let no_key = api
        .send(
            "GET",
            &path(signed(&format!("timestamp={now}"), "fake-secret")),
            false,
            None,
        )
        .await;
    assert_eq!((no_key.status, no_key.code()), (401, -2015));
    assert_eq!(
        api.send("POST", "/fapi/v1/listenKey", false, None)
            .await
            .code(),
        -2015
    );
    let no_ts = api
        .send(
            "GET",
            &path(signed("recvWindow=5000", "fake-secret")),
            true,
            None,
        )
        .await;
    assert_eq!(no_ts.code(), -1102);

    let stale = api
        .send(
            "GET",
            &path(signed(
                &format!("timestamp={}&recvWindow=5000", now - 5001),
                "fake-secret",
            )),
            true,
            None,
        )
        .await;
    assert_eq!((stale.status, stale.code()), (400, -1021));
    assert!(matches!(
        stale.error(),
        BinanceError::TimestampOutsideRecvWindow { .. }
    ));
    let in_window = api
        .send(
            "GET",
            &path(signed(
                &format!("timestamp={}&recvWindow=5000", now - 5000),
                "fake-secret",
            )),
            true,
            None,
        )
        .await;
    assert_eq!(in_window.status, 200);
    let ahead = api
        .send(
            "GET",
            &path(signed(&format!("timestamp={}", now + 1001), "fake-secret")),
            true,
            None,
        )
        .await;
    assert_eq!(ahead.code(), -1021);

    // A skewed server clock: our clock is 20 s behind it, then ahead of it.
    fake.faults().set_skew_ms(20_000);
    let server = api.public("/fapi/v1/time", "").await.ok("time")["serverTime"]
        .as_i64()
        .unwrap();
    assert_eq!(server, now + 20_000);
    let behind = api
        .send(
            "GET",
            &path(signed(&format!("timestamp={now}"), "fake-secret")),
            true,
            None,
        )
        .await;
    assert_eq!(behind.code(), -1021);
    let synced = api
        .send(
            "GET",
            &path(signed(&format!("timestamp={server}"), "fake-secret")),
            true,
            None,
        )
        .await;
    assert_eq!(
        synced.status, 200,
        "a client re-synced from /time is accepted"
    );
    fake.faults().set_skew_ms(-20_000);
    let fast = api
        .send(
            "GET",
            &path(signed(&format!("timestamp={now}"), "fake-secret")),
            true,
            None,
        )
        .await;
    assert_eq!(fast.code(), -1021);
    fake.faults().set_skew_ms(0);

    // Parameters in a form body: the signature covers query + body as sent.
    let body = signed(
        &format!("symbol=BTCUSDT&leverage=7&timestamp={now}"),
        "fake-secret",
    );
    let r = api
        .send("POST", "/fapi/v1/leverage", true, Some(body))
        .await;
    assert_eq!(r.ok("form body")["leverage"], 7);
    let query = "symbol=BTCUSDT";
    let body_params = format!("leverage=8&timestamp={now}");
    let sig = sign::signature_with_key("fake-secret", &format!("{query}{body_params}"));
    let r = api
        .send(
            "POST",
            &format!("/fapi/v1/leverage?{query}"),
            true,
            Some(format!("{body_params}&signature={sig}")),
        )
        .await;
    assert_eq!(r.ok("query + body")["leverage"], 8);
}

// ------------------------------------------------- 3. orders and the id trap

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_market_order_fills_and_a_client_id_is_unique_only_among_open_orders() {
    let (fake, api) = start(FakeConfig {
        symbols: vec!["BTCUSDT".into(), "ETHUSDT".into()],
        ..FakeConfig::default()
    })
    .await;
    fake.pause_market(true);
    let mark = api.mark("BTCUSDT").await;

    let buy = api
        .signed("POST", "/fapi/v1/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010&newClientOrderId=t3-entry&newOrderRespType=RESULT")
        .await
        .ok("market buy");
    assert_eq!(buy["status"], "FILLED");
    assert_eq!(
        dec(&buy["avgPrice"]),
        mark,
        "a market order fills at the last price"
    );
    assert_eq!(fake.position_amt("BTCUSDT"), d("0.010"));
    let rows = api.position_risk().await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["positionAmt"], "0.010");
    assert_eq!(dec(&rows[0]["entryPrice"]), mark);
    let fee = (d("0.010") * mark * d("0.0004")).round_dp(8);
    assert_eq!(fake.wallet(), d("10000") - fee, "the taker fee is charged");
    let ack = api
        .signed(
            "POST",
            "/fapi/v1/order",
            "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001",
        )
        .await
        .ok("ack");
    assert_eq!(
        (ack["status"].as_str(), ack["executedQty"].as_str()),
        (Some("NEW"), Some("0.000")),
        "ACK answers before matching"
    );
    assert!(
        ack["clientOrderId"].as_str().is_some_and(|c| !c.is_empty()),
        "an id is generated"
    );

    // The same id while the order is open: -4116.
    let below = mark - d("1000");
    let limit = format!(
        "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=0.010&price={below}&timeInForce=GTC&newClientOrderId=t3-limit"
    );
    api.signed("POST", "/fapi/v1/order", &limit)
        .await
        .ok("limit");
    let dup = api.signed("POST", "/fapi/v1/order", &limit).await;
    assert_eq!((dup.status, dup.code()), (400, -4116));
    assert!(matches!(
        dup.error(),
        BinanceError::DuplicatedClientOrderId { .. }
    ));
    assert_eq!(fake.open_orders("BTCUSDT"), ["t3-limit"]);
    assert_eq!(
        fake.order_log().last().unwrap().outcome,
        Outcome::Rejected {
            code: -4116,
            msg: "Duplicate clientOrderId.".into()
        }
    );
    api.signed(
        "DELETE",
        "/fapi/v1/order",
        "symbol=BTCUSDT&origClientOrderId=t3-limit",
    )
    .await
    .ok("cancel");
    let again = api
        .signed(
            "DELETE",
            "/fapi/v1/order",
            "symbol=BTCUSDT&origClientOrderId=t3-limit",
        )
        .await;
    assert_eq!(
        again.code(),
        -2011,
        "a cancelled order cannot be cancelled again"
    );

    // The trap: the id of a FILLED order is accepted again and fills again.
    let resend = api
        .signed("POST", "/fapi/v1/order", "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.011&reduceOnly=true&newClientOrderId=t3-entry&newOrderRespType=RESULT")
        .await
        .ok("same id after fill");
    assert_eq!(resend["status"], "FILLED");
    assert_eq!(fake.position_amt("BTCUSDT"), Decimal::ZERO);
    let q = api
        .signed(
            "GET",
            "/fapi/v1/order",
            "symbol=BTCUSDT&origClientOrderId=t3-entry",
        )
        .await
        .ok("query");
    assert_eq!(q["side"], "SELL", "the latest order with that id");
    assert!(
        api.position_risk().await.is_empty(),
        "v3 positionRisk is [] when flat"
    );

    // Rejections with Binance's codes.
    let cases = [
        (
            "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.001&reduceOnly=true",
            -2022,
        ),
        (
            "symbol=BTCUSDT&side=SELL&type=STOP_MARKET&quantity=0.001&stopPrice=1000",
            -4120,
        ),
        ("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.0015", -1111),
        (
            "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=0.001&price=50000.05&timeInForce=GTC",
            -1111,
        ),
        ("symbol=ETHUSDT&side=BUY&type=MARKET&quantity=0.001", -4164),
        ("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=100", -2019),
        (
            "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&newClientOrderId=bad%20id",
            -1100,
        ),
        ("symbol=DOGEUSDT&side=BUY&type=MARKET&quantity=1", -1121),
    ];
    for (params, code) in cases {
        let r = api.signed("POST", "/fapi/v1/order", params).await;
        assert_eq!((r.status, r.code()), (400, code), "{params}: {}", r.text);
    }
    assert_eq!(
        api.signed(
            "GET",
            "/fapi/v1/order",
            "symbol=BTCUSDT&origClientOrderId=nope"
        )
        .await
        .code(),
        -2013
    );
    assert_eq!(
        api.signed("DELETE", "/fapi/v1/order", "symbol=BTCUSDT&orderId=1")
            .await
            .code(),
        -2011
    );

    // A resting limit fills (maker, at its price) when a later bar reaches it.
    let bars = btc_bars();
    let i = bar_index(&bars, fake.now_ms());
    let next = &bars[i + 1..i + 30];
    let min_low = next.iter().map(|b| b.2).min().unwrap();
    let max_high = next.iter().map(|b| b.1).max().unwrap();
    let (side, price) = if min_low < mark {
        ("BUY", min_low)
    } else {
        ("SELL", max_high)
    };
    assert!(price != mark, "the data moves within 30 bars");
    let placed = api
        .signed("POST", "/fapi/v1/order", &format!("symbol=BTCUSDT&side={side}&type=LIMIT&quantity=0.002&price={price}&timeInForce=GTC&newClientOrderId=t3-rest&newOrderRespType=RESULT"))
        .await
        .ok("resting limit");
    assert_eq!(placed["status"], "NEW", "not marketable: it rests");
    let wallet = fake.wallet();
    fake.pause_market(false);
    let start = Instant::now();
    let done = loop {
        let q = api
            .signed(
                "GET",
                "/fapi/v1/order",
                "symbol=BTCUSDT&origClientOrderId=t3-rest",
            )
            .await
            .ok("query");
        if q["status"] == "FILLED" {
            break q;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the limit never filled: {q}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(dec(&done["avgPrice"]), price);
    let maker_fee = (d("0.002") * price * d("0.0002")).round_dp(8);
    assert_eq!(
        fake.wallet(),
        wallet - maker_fee,
        "the maker fee is charged"
    );
}

// --------------------------------------------------- 4. algo order triggers

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_market_close_position_triggers_when_the_path_crosses_it() {
    let (fake, api) = start(FakeConfig::default()).await;
    let (_, user) = user_stream(&fake, &api).await;
    fake.pause_market(true);
    let mark = api.mark("BTCUSDT").await;
    let bars = btc_bars();
    let i = bar_index(&bars, fake.now_ms());
    assert_eq!(bars[i].3, mark, "the mark is the current bar's close");
    // The first later close below the mark becomes the trigger: it fires
    // exactly at that bar, at that price.
    let (k, trigger) = bars[i + 1..]
        .iter()
        .enumerate()
        .find(|(_, b)| b.3 < mark)
        .map(|(k, b)| (k + 1, b.3))
        .unwrap();
    assert!(k < 100, "the price falls within 100 bars ({k})");

    api.signed(
        "POST",
        "/fapi/v1/order",
        "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.005&newClientOrderId=t4-entry",
    )
    .await
    .ok("entry");
    let above = api
        .signed("POST", "/fapi/v1/algoOrder", &format!("algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=STOP_MARKET&triggerPrice={}&closePosition=true", mark + d("10")))
        .await;
    assert_eq!(
        above.code(),
        -2021,
        "a stop above the price would trigger at once"
    );
    api.signed("POST", "/fapi/v1/algoOrder", &format!("algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=STOP_MARKET&triggerPrice={trigger}&closePosition=true&workingType=MARK_PRICE&clientAlgoId=t4-sl"))
        .await
        .ok("stop");
    let dup = api
        .signed("POST", "/fapi/v1/algoOrder", &format!("algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=STOP_MARKET&triggerPrice={trigger}&closePosition=true&clientAlgoId=t4-sl"))
        .await;
    assert_eq!(dup.code(), -4116);
    let open = fake.open_algo_orders("BTCUSDT");
    assert_eq!(
        (open.len(), open[0].trigger_price, open[0].close_position),
        (1, trigger, true)
    );

    fake.pause_market(false);
    let events = user
        .wait_for("ALGO_UPDATE FINISHED", Duration::from_secs(20), |v| {
            user_event(v, "ALGO_UPDATE", |e| e["o"]["X"] == "FINISHED").is_some()
        })
        .await;
    assert_eq!(
        fake.position_amt("BTCUSDT"),
        Decimal::ZERO,
        "closed to exactly zero"
    );
    assert!(fake.open_algo_orders("BTCUSDT").is_empty());

    let algo: Vec<&Value> = events.iter().filter(|e| e["e"] == "ALGO_UPDATE").collect();
    let statuses: Vec<&str> = algo.iter().map(|e| e["o"]["X"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["NEW", "TRIGGERING", "TRIGGERED", "FINISHED"]);
    let triggering = algo[1];
    let triggered = algo[2];
    let finished = algo[3];
    assert_keys(
        "TRIGGERING",
        triggering,
        &fixture("user_data/ws_futures_algo_update_triggering.json"),
        &[],
        &[],
    );
    assert_keys(
        "TRIGGERED",
        triggered,
        &fixture("user_data/ws_futures_algo_update_triggered.json"),
        &[],
        &[],
    );
    assert_keys(
        "FINISHED",
        finished,
        &fixture("user_data/ws_futures_algo_update_finished.json"),
        &[],
        &[],
    );
    let UserEvent::AlgoUpdate(done) = parse_user_event(&finished.to_string()).unwrap() else {
        panic!("not an algo update");
    };
    assert_eq!(done.order.executed_qty.unwrap().value(), d("0.005"));
    assert_eq!(
        done.order.avg_price.unwrap().value(),
        trigger,
        "filled at the crossing bar's close"
    );
    assert_eq!(done.order_state(), cockpit::domain::OrderState::Filled);
    let actual = done.order.actual_order_id.unwrap();
    let UserEvent::AlgoUpdate(t) = parse_user_event(&triggered.to_string()).unwrap() else {
        panic!("not an algo update");
    };
    assert_eq!(t.order.actual_order_id, Some(actual));

    // Its market order's fill, then the flat position, before FINISHED.
    let pos = |e: &Value| events.iter().position(|x| x == e).unwrap();
    let fill = user_event(&events, "ORDER_TRADE_UPDATE", |e| {
        e["o"]["i"].as_u64() == Some(actual) && e["o"]["X"] == "FILLED"
    })
    .expect("the triggered order's fill");
    assert_eq!(fill["o"]["ot"], "STOP_MARKET");
    assert_eq!(fill["o"]["cp"], true);
    let flat = user_event(&events, "ACCOUNT_UPDATE", |e| {
        e["a"]["P"][0]["pa"] == "0.000"
    })
    .expect("flat position");
    assert!(pos(triggered) < pos(fill) && pos(fill) < pos(flat) && pos(flat) < pos(finished));
    let logged = fake.order_log();
    let trig = logged
        .iter()
        .find(|e| e.endpoint == "TRIGGER")
        .expect("a TRIGGER log line");
    assert_eq!(
        (trig.client_id.as_str(), trig.qty, trig.outcome.clone()),
        ("t4-sl", Some(d("0.005")), Outcome::Accepted)
    );

    // A closePosition stop with nothing to close finishes with nothing filled.
    fake.pause_market(true);
    let mark = api.mark("BTCUSDT").await;
    let i = bar_index(&bars, fake.now_ms());
    let (_, rise) = bars[i + 1..]
        .iter()
        .enumerate()
        .find(|(_, b)| b.3 > mark)
        .map(|(k, b)| (k, b.3))
        .unwrap();
    api.signed("POST", "/fapi/v1/algoOrder", &format!("algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=TAKE_PROFIT_MARKET&triggerPrice={rise}&closePosition=true&clientAlgoId=t4-tp"))
        .await
        .ok("take profit while flat");
    fake.pause_market(false);
    let events = user
        .wait_for("the take-profit's end", Duration::from_secs(20), |v| {
            user_event(v, "ALGO_UPDATE", |e| {
                e["o"]["caid"] == "t4-tp" && e["o"]["X"] == "FINISHED"
            })
            .is_some()
        })
        .await;
    let end = user_event(&events, "ALGO_UPDATE", |e| {
        e["o"]["caid"] == "t4-tp" && e["o"]["X"] == "FINISHED"
    })
    .unwrap();
    assert_keys(
        "FINISHED empty",
        end,
        &fixture("user_data/ws_futures_algo_update_finished_canceled.json"),
        &[],
        &[],
    );
    let UserEvent::AlgoUpdate(u) = parse_user_event(&end.to_string()).unwrap() else {
        panic!()
    };
    assert_eq!(
        u.order_state(),
        cockpit::domain::OrderState::Cancelled,
        "aq 0: nothing filled"
    );
    assert_eq!(fake.position_amt("BTCUSDT"), Decimal::ZERO);
}

// ------------------------------------------------------------ 5. klines

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_klines_arrive_in_order_and_only_on_routed_lower_case_streams() {
    let (fake, _api) = start(FakeConfig::default()).await;
    let ws = fake.ws_url();
    let combined = collect(
        connect(&format!(
            "{ws}/market/stream?streams=btcusdt@kline_1m/btcusdt@kline_5m"
        ))
        .await,
    );
    let raw = collect(connect(&format!("{ws}/market/ws/btcusdt@kline_1m")).await);
    let silent = [
        format!("{ws}/market/ws/BTCUSDT@kline_1m"),
        format!("{ws}/market/stream?streams=BTCUSDT@kline_1m"),
        format!("{ws}/stream?streams=btcusdt@kline_1m"),
        format!("{ws}/ws/btcusdt@kline_1m"),
        format!("{ws}/market/ws/btcusdt@bookTicker"),
        format!("{ws}/public/ws/btcusdt@kline_1m"),
    ];
    let mut quiet = Vec::new();
    for url in &silent {
        quiet.push((url, collect(connect(url).await)));
    }
    // The unrouted endpoint even acknowledges a SUBSCRIBE, and still feeds nothing.
    quiet[3]
        .1
        .send(r#"{"method":"SUBSCRIBE","params":["btcusdt@kline_1m"],"id":7}"#);
    tokio::time::sleep(Duration::from_millis(2000)).await;

    let frames = combined.values();
    let mut seen: Vec<i64> = Vec::new();
    let mut closed: Vec<i64> = Vec::new();
    for f in frames.iter().filter(|f| f["stream"] == "btcusdt@kline_1m") {
        parse_market_frame(&f.to_string()).unwrap();
        let k = &f["data"]["k"];
        let t = k["t"].as_i64().unwrap();
        if k["x"] == true {
            assert!(!closed.contains(&t), "bar {t} closed twice");
            closed.push(t);
        } else {
            assert!(!closed.contains(&t), "an update of bar {t} after it closed");
            if !seen.contains(&t) {
                for earlier in seen.iter().filter(|&&s| s < t) {
                    assert!(
                        closed.contains(earlier),
                        "bar {t} updated before bar {earlier} closed"
                    );
                }
            }
        }
        if !seen.contains(&t) {
            seen.push(t);
        }
    }
    assert!(
        closed.len() >= 10,
        "about 20 bars in 2 s at 600×, got {}",
        closed.len()
    );
    for pair in closed.windows(2) {
        assert_eq!(pair[1] - pair[0], 60_000, "no gap, no reorder: {closed:?}");
    }
    let sent = fake.closed_candles_sent("BTCUSDT", "1m");
    assert!(
        closed.iter().all(|t| sent.contains(t)),
        "{closed:?} ⊄ {sent:?}"
    );
    let five: Vec<i64> = frames
        .iter()
        .filter(|f| f["stream"] == "btcusdt@kline_5m" && f["data"]["k"]["x"] == true)
        .map(|f| f["data"]["k"]["t"].as_i64().unwrap())
        .collect();
    assert!(five.len() >= 2, "5m closes: {five:?}");
    assert!(five.iter().all(|t| t % 300_000 == 0));
    assert!(five.windows(2).all(|p| p[1] - p[0] == 300_000));

    let raw = raw.values();
    assert!(!raw.is_empty());
    assert!(
        raw.iter()
            .all(|v| v.get("stream").is_none() && v["e"] == "kline"),
        "raw form is unwrapped"
    );

    for (url, c) in &quiet {
        let texts = c.texts();
        let data: Vec<&String> = texts.iter().filter(|t| !t.contains("\"result\"")).collect();
        assert!(data.is_empty(), "{url} was fed: {data:?}");
    }
    assert_eq!(
        quiet[3].1.values(),
        [serde_json::json!({"result": null, "id": 7})]
    );
}

// ------------------------------------------------------------- 6. faults

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_response_still_executes_the_order() {
    let (fake, api) = start(FakeConfig::default()).await;
    fake.faults().next(
        Matcher::request("POST", "/fapi/v1/order"),
        Fault::ResponseLost,
        1,
    );
    let r = api
        .try_signed(
            "POST",
            "/fapi/v1/order",
            "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.003&newClientOrderId=t6-lost",
        )
        .await;
    let err = r.expect_err("the connection drops without an answer");
    assert!(!err.is_timeout(), "{err}");
    assert_eq!(fake.position_amt("BTCUSDT"), d("0.003"), "executed anyway");
    let entry = fake
        .order_log()
        .into_iter()
        .find(|e| e.client_id == "t6-lost")
        .unwrap();
    assert_eq!(
        entry.outcome,
        Outcome::Faulted("ResponseLost: executed first, Accepted".into())
    );
    assert_eq!(fake.requests_seen().last().unwrap().status, 0);
    // Resolving by the client id shows it filled; the next request works.
    let q = api
        .signed(
            "GET",
            "/fapi/v1/order",
            "symbol=BTCUSDT&origClientOrderId=t6-lost",
        )
        .await
        .ok("query");
    assert_eq!(q["status"], "FILLED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_faults_answer_as_promised_and_say_whether_they_executed() {
    let (fake, api) = start(FakeConfig::default()).await;
    let f = fake.faults();
    let order = "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001";
    let post_order = Matcher::request("POST", "/fapi/v1/order");

    f.next(post_order, Fault::RateLimited { retry_after_s: 7 }, 1);
    let r = api.signed("POST", "/fapi/v1/order", order).await;
    assert_eq!(
        (r.status, r.code(), r.header("Retry-After").as_deref()),
        (429, -1003, Some("7"))
    );
    assert_eq!(
        r.error(),
        BinanceError::RateLimited {
            retry_after_ms: Some(7000)
        }
    );
    assert_eq!(fake.position_amt("BTCUSDT"), Decimal::ZERO, "not executed");

    f.next(post_order, Fault::Status5xx(502), 1);
    let r = api.signed("POST", "/fapi/v1/order", order).await;
    assert_eq!(r.status, 502);
    assert!(r.error().is_unknown_outcome());
    assert_eq!(fake.position_amt("BTCUSDT"), Decimal::ZERO, "not executed");

    f.next(post_order, Fault::Unknown503Executed, 1);
    let r = api.signed("POST", "/fapi/v1/order", order).await;
    assert_eq!((r.status, r.code()), (503, -1000));
    assert_eq!(
        r.error(),
        BinanceError::Server {
            status: 503,
            msg: cockpit::binance::error::UNKNOWN_ERROR_MSG.into()
        }
    );
    assert_eq!(fake.position_amt("BTCUSDT"), d("0.001"), "executed");

    f.next(post_order, Fault::Slow(Duration::from_millis(300)), 1);
    let t0 = Instant::now();
    let r = api.signed("POST", "/fapi/v1/order", order).await;
    assert!(t0.elapsed() >= Duration::from_millis(300));
    assert_eq!(r.status, 200);
    assert_eq!(fake.position_amt("BTCUSDT"), d("0.002"), "executed");
    assert!(
        r.header("X-MBX-ORDER-COUNT-10S").is_some() && r.header("X-MBX-ORDER-COUNT-1M").is_some()
    );

    let outcomes: Vec<String> = fake
        .order_log()
        .iter()
        .map(|e| match &e.outcome {
            Outcome::Faulted(s) => s.clone(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            "RateLimited: not executed",
            "Status5xx(502): not executed",
            "Unknown503Executed: executed first, Accepted",
            "Slow(300ms): executed first, Accepted",
        ]
    );

    // A ratio fault is a deterministic draw for a seed.
    let mut patterns = Vec::new();
    for _ in 0..2 {
        f.clear();
        f.ratio(
            Matcher::path("/fapi/v1/time"),
            Fault::Status5xx(503),
            0.5,
            42,
        );
        let mut hits = Vec::new();
        for _ in 0..40 {
            hits.push(api.public("/fapi/v1/time", "").await.status == 503);
        }
        patterns.push(hits);
    }
    assert_eq!(patterns[0], patterns[1]);
    let n = patterns[0].iter().filter(|h| **h).count();
    assert!((8..=32).contains(&n), "{n} of 40 at 0.5");
    f.clear();
    assert_eq!(api.public("/fapi/v1/time", "").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ban_answers_418_to_everything_until_it_ends() {
    let (fake, api) = start(FakeConfig::default()).await;
    fake.faults().next(
        Matcher::path("/fapi/v1/time"),
        Fault::Ban { for_ms: 1500 },
        1,
    );
    let t0 = Instant::now();
    let r = api.public("/fapi/v1/time", "").await;
    assert_eq!(
        (r.status, r.code(), r.header("Retry-After").as_deref()),
        (418, -1003, Some("2"))
    );
    let BinanceError::Banned {
        until_ms: Some(until),
        retry_after_ms: Some(2000),
    } = r.error()
    else {
        panic!("{:?}", r.error());
    };
    assert!(until > fake.now_ms(), "banned until a future exchange time");
    assert!(fake.faults().is_banned());
    assert_eq!(api.public("/fapi/v1/exchangeInfo", "").await.status, 418);
    let order = api
        .signed(
            "POST",
            "/fapi/v1/order",
            "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001",
        )
        .await;
    assert_eq!(order.status, 418);
    assert_eq!(fake.position_amt("BTCUSDT"), Decimal::ZERO);
    assert_eq!(fake.order_log().last().unwrap().outcome, Outcome::Banned);
    while t0.elapsed() < Duration::from_millis(1600) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!fake.faults().is_banned());
    assert_eq!(api.public("/fapi/v1/time", "").await.status, 200);
    let statuses: Vec<u16> = fake.requests_seen().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [418, 418, 418, 200]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pings_are_answered_with_the_same_payload() {
    let (fake, _api) = start(FakeConfig {
        ping_every: Duration::from_millis(100),
        ..FakeConfig::default()
    })
    .await;
    let c = collect(connect(&format!("{}/market/ws/btcusdt@markPrice@1s", fake.ws_url())).await);
    tokio::time::sleep(Duration::from_millis(700)).await;
    let sent = fake.pings_sent();
    let pongs = fake.pongs();
    assert!(sent.len() >= 4, "{} pings", sent.len());
    assert!(pongs.len() >= 3, "{} pongs", pongs.len());
    assert_eq!(
        sent.iter().collect::<BTreeSet<_>>().len(),
        sent.len(),
        "distinct payloads"
    );
    assert!(
        pongs.iter().all(|p| sent.contains(p)),
        "each pong echoes a ping"
    );
    let seen = c.pings.lock().unwrap().clone();
    assert_eq!(
        seen[..],
        sent[..seen.len()],
        "the client saw the pings in order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_listen_key_says_so_closes_the_stream_and_cannot_be_kept_alive() {
    let (fake, api) = start(FakeConfig::default()).await;
    let (key, user) = user_stream(&fake, &api).await;
    assert_eq!(
        api.send("PUT", "/fapi/v1/listenKey", true, None)
            .await
            .status,
        200
    );
    fake.faults().expire_listen_keys();
    let events = user
        .wait_for("listenKeyExpired", Duration::from_secs(3), |v| {
            v.iter().any(|e| e["e"] == "listenKeyExpired")
        })
        .await;
    let expired = &events[0];
    assert!(expired["E"].is_string(), "its E is a string: {expired}");
    let UserEvent::ListenKeyExpired(x) = parse_user_event(&expired.to_string()).unwrap() else {
        panic!("{expired}");
    };
    assert_eq!(x.listen_key.as_deref(), Some(key.as_str()));
    user.wait_ended(Duration::from_secs(3)).await;
    let keep = api.send("PUT", "/fapi/v1/listenKey", true, None).await;
    assert_eq!((keep.status, keep.code()), (400, -1125));
    // The old key opens nothing; a new key works.
    let old = collect(connect(&streams::user_data_url(&fake.ws_url(), &key)).await);
    old.wait_ended(Duration::from_secs(3)).await;
    let (new_key, _) = user_stream(&fake, &api).await;
    assert_ne!(new_key, key);
    assert_eq!(fake.listen_keys_created(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_streams_end_without_a_close_frame() {
    let (fake, api) = start(FakeConfig::default()).await;
    let market = collect(connect(&format!("{}/market/ws/btcusdt@kline_1m", fake.ws_url())).await);
    let (_, user) = user_stream(&fake, &api).await;
    market
        .wait_for("a kline", Duration::from_secs(3), |v| !v.is_empty())
        .await;
    assert_eq!(fake.open_streams(), (1, 1));
    fake.faults().drop_streams();
    market.wait_ended(Duration::from_secs(3)).await;
    user.wait_ended(Duration::from_secs(3)).await;
    assert!(!market.clean.load(Ordering::SeqCst) && !user.clean.load(Ordering::SeqCst));
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(fake.open_streams(), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_events_can_be_duplicated_and_reordered_without_loss() {
    let (fake, api) = start(FakeConfig::default()).await;
    let (_, user) = user_stream(&fake, &api).await;
    let kinds = |v: &[Value]| -> Vec<String> {
        v.iter()
            .map(|e| {
                format!(
                    "{}:{}",
                    e["e"].as_str().unwrap(),
                    e["o"]["x"].as_str().unwrap_or("")
                )
            })
            .collect()
    };
    let buy = "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001";
    api.signed("POST", "/fapi/v1/order", buy).await.ok("plain");
    let plain = user
        .wait_for("4 events", Duration::from_secs(3), |v| v.len() == 4)
        .await;
    assert_eq!(
        kinds(&plain),
        [
            "ORDER_TRADE_UPDATE:NEW",
            "TRADE_LITE:",
            "ORDER_TRADE_UPDATE:TRADE",
            "ACCOUNT_UPDATE:"
        ]
    );

    fake.faults().duplicate_user_events(true);
    api.signed("POST", "/fapi/v1/order", buy)
        .await
        .ok("duplicated");
    let v = user
        .wait_for("8 more events", Duration::from_secs(3), |v| v.len() == 12)
        .await;
    let dup = &v[4..];
    for pair in dup.chunks(2) {
        assert_eq!(pair[0], pair[1], "each event twice in a row");
    }
    fake.faults().duplicate_user_events(false);

    fake.faults().reorder_user_events(true);
    api.signed("POST", "/fapi/v1/order", buy)
        .await
        .ok("reordered");
    let v = user
        .wait_for("4 more events", Duration::from_secs(3), |v| v.len() == 16)
        .await;
    assert_eq!(
        kinds(&v[12..]),
        [
            "TRADE_LITE:",
            "ORDER_TRADE_UPDATE:NEW",
            "ACCOUNT_UPDATE:",
            "ORDER_TRADE_UPDATE:TRADE"
        ]
    );
    // A lone event is flushed by the timer, not lost.
    api.signed(
        "POST",
        "/fapi/v1/algoOrder",
        "algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=STOP_MARKET&triggerPrice=1000.0&closePosition=true",
    )
    .await
    .ok("algo");
    user.wait_for("the held-back event", Duration::from_secs(2), |v| {
        v.len() == 17
    })
    .await;
}
