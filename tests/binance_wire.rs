//! The Binance adapter's pure layer against recorded data: signing against
//! the published vectors, the error taxonomy against the bodies Binance sends,
//! every wire type against the recorded fixtures (documentation examples and
//! ccxt's real captures), and the engine's client order ids against Binance's
//! rule. Nothing here opens a connection.

use std::str::FromStr;

use cockpit::binance::client_id::{self, BOT_PREFIX};
use cockpit::binance::sign;
use cockpit::binance::wire::{
    Account, AlgoOrder, AlgoStatus, ExchangeInfo, ExecutionType, Kline, ListenKey, MarketEvent,
    OrderResponse, OrderStatus, OrderType, PositionRisk, PositionSide, PositionSideDual,
    ServerTime, UserEvent, WorkingType, parse_market_frame, parse_user_event,
};
use cockpit::binance::{BinanceError, streams};
use cockpit::config::{Automation, Config, Secret};
use cockpit::domain::{
    Candle, ClientOrderId, Fill, Interval, Leg, Liquidity, Mode, OrderKind, OrderState, Price, Qty,
    Side, Symbol,
};
use cockpit::engine::{Command, Engine, Event};
use cockpit::exec::ExecReport;
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::Value;

mod common;
use common::{Scripted, submitted};

// ---------------------------------------------------------------- helpers

fn text(relative: &str) -> String {
    let path = cockpit::shared_data::file(&format!("binance/{relative}"))
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json(relative: &str) -> Value {
    serde_json::from_str(&text(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

/// The `example_response` of an endpoint example file, as JSON text.
fn example(file: &str) -> String {
    json(&format!("fixtures/endpoint_examples/{file}.json"))["example_response"].to_string()
}

/// One response from ccxt's real captures, chosen by the start of its key.
fn ccxt(key_start: &str) -> String {
    let all = json("fixtures/rest/ccxt_response_binance_futures_excerpts.json");
    let map = all.as_object().unwrap();
    let (_, v) = map
        .iter()
        .find(|(k, _)| k.starts_with(key_start))
        .unwrap_or_else(|| panic!("no ccxt excerpt starting with {key_start}"));
    v.to_string()
}

fn parse<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> T {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("{what}: {e}\n{s}"))
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}
fn p(s: &str) -> Price {
    s.parse().unwrap()
}
fn q(s: &str) -> Qty {
    s.parse().unwrap()
}
fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

// ---------------------------------------------------------------- signing

#[test]
fn signing_reproduces_every_published_vector() {
    let vectors = json("signing_vectors.json");
    let vectors = vectors.as_array().unwrap();
    assert_eq!(vectors.len(), 4);
    for v in vectors {
        let name = v["name"].as_str().unwrap();
        let key = v["secretKey"].as_str().unwrap();
        let payload = v["payload"].as_str().unwrap();
        let expected = v["expected"].as_str().unwrap();
        let computed = v["computed_python_hmac"].as_str().unwrap();
        if v["matches"].as_bool().unwrap() {
            assert_eq!(sign::signature_with_key(key, payload), expected, "{name}");
            // The same through the redacting credential type.
            assert_eq!(
                sign::signature(&Secret::new(key), payload),
                expected,
                "{name}"
            );
        } else {
            // The documentation printed its signature for a payload with a
            // stray space; the payload as it should be gives Python's value.
            let printed = v["payload_as_printed_in_doc"].as_str().unwrap();
            assert_eq!(sign::signature_with_key(key, printed), expected, "{name}");
            assert_eq!(sign::signature_with_key(key, payload), computed, "{name}");
            assert_ne!(expected, computed, "{name}");
        }
        assert_eq!(computed.len(), 64, "{name}");
    }
}

#[test]
fn a_signed_query_ends_with_the_signature_of_everything_before_it() {
    let v = &json("signing_vectors.json")[0];
    let secret = Secret::new(v["secretKey"].as_str().unwrap());
    let payload = v["payload"].as_str().unwrap();
    assert_eq!(
        sign::signed_query(&secret, payload),
        format!("{payload}&signature={}", v["expected"].as_str().unwrap())
    );
    // The credential never shows itself, even next to its signature.
    assert!(!format!("{secret:?} {secret}").contains(secret.expose()));
}

// ---------------------------------------------------------------- errors

/// The variant's name, to compare with the code it should come from.
fn variant(e: &BinanceError) -> &'static str {
    match e {
        BinanceError::TooManyRequests { .. } => "TooManyRequests",
        BinanceError::TimestampOutsideRecvWindow { .. } => "TimestampOutsideRecvWindow",
        BinanceError::BadSignature { .. } => "BadSignature",
        BinanceError::Precision { .. } => "Precision",
        BinanceError::UnknownOrder { .. } => "UnknownOrder",
        BinanceError::MarginInsufficient { .. } => "MarginInsufficient",
        BinanceError::ReduceOnlyRejected { .. } => "ReduceOnlyRejected",
        BinanceError::DuplicatedClientOrderId { .. } => "DuplicatedClientOrderId",
        BinanceError::UseAlgoEndpoint { .. } => "UseAlgoEndpoint",
        BinanceError::PercentPrice { .. } => "PercentPrice",
        BinanceError::NotionalTooSmall { .. } => "NotionalTooSmall",
        BinanceError::Other { .. } => "Other",
        BinanceError::RateLimited { .. } => "RateLimited",
        BinanceError::Banned { .. } => "Banned",
        BinanceError::Timeout => "Timeout",
        BinanceError::Connection(_) => "Connection",
        BinanceError::Server { .. } => "Server",
        BinanceError::Decode(_) => "Decode",
    }
}

fn named(code: i64) -> &'static str {
    match code {
        -1003 => "TooManyRequests",
        -1021 => "TimestampOutsideRecvWindow",
        -1022 => "BadSignature",
        -1111 => "Precision",
        -2011 => "UnknownOrder",
        -2019 => "MarginInsufficient",
        -2022 => "ReduceOnlyRejected",
        -4116 => "DuplicatedClientOrderId",
        -4120 => "UseAlgoEndpoint",
        -4131 => "PercentPrice",
        -4164 => "NotionalTooSmall",
        _ => "Other",
    }
}

/// Every `{…}` in a quoted log line that is valid JSON with a `code`.
fn bodies_in(line: &str) -> Option<String> {
    let (start, end) = (line.find('{')?, line.rfind('}')?);
    let body = &line[start..=end];
    let v: Value = serde_json::from_str(body).ok()?;
    v.get("code")?;
    Some(body.to_string())
}

fn expect_from(status: u16, body: &str, code: i64, msg: Option<&str>) {
    let e = BinanceError::from_response(status, body, None);
    let want = match status {
        429 => "RateLimited",
        418 => "Banned",
        _ => named(code),
    };
    assert_eq!(variant(&e), want, "HTTP {status} {body}");
    if status != 429 && status != 418 {
        assert_eq!(e.code(), Some(code), "{body}");
        if let Some(msg) = msg {
            assert!(e.to_string().contains(msg), "{e} lacks {msg}");
        }
        // A rejection is a known outcome: the order does not exist.
        assert!(!e.is_unknown_outcome(), "{e}");
    }
}

#[test]
fn every_recorded_error_body_maps_to_its_variant() {
    let file = json("error_codes_usdm.json");
    let mut codes = Vec::new();
    let mut checked = 0;
    for (key, entry) in file.as_object().unwrap() {
        let Ok(code) = key.parse::<i64>() else {
            continue; // "_format"
        };
        codes.push(code);
        assert_ne!(named(code), "Other", "{code} has a named variant");
        for status in entry["http"].as_array().unwrap() {
            let status = status.as_u64().unwrap() as u16;
            for msg in entry["doc"].as_array().unwrap() {
                let msg = msg.as_str().unwrap();
                let body = serde_json::json!({ "code": code, "msg": msg }).to_string();
                expect_from(status, &body, code, Some(msg));
                checked += 1;
            }
        }
        let quoted = entry["ccxt_comment"].as_str().into_iter().chain(
            entry["observed"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str),
        );
        for line in quoted {
            if let Some(body) = bodies_in(line) {
                let status = if line.contains("HTTP 418") { 418 } else { 400 };
                expect_from(status, &body, code, None);
                checked += 1;
            }
        }
    }
    codes.sort_unstable();
    assert_eq!(
        codes,
        [
            -4164, -4131, -2022, -2019, -2011, -1111, -1022, -1021, -1003
        ]
    );
    assert!(checked >= 20, "{checked}");
}

#[test]
fn the_ban_recorded_in_the_wild_reads_its_end() {
    let line = json("error_codes_usdm.json")["-1003"]["observed"][0]
        .as_str()
        .unwrap()
        .to_string();
    let body = bodies_in(&line).unwrap();
    assert_eq!(
        BinanceError::from_response(418, &body, Some(60)),
        BinanceError::Banned {
            until_ms: Some(1_787_546_698_129),
            retry_after_ms: Some(60_000)
        }
    );
}

#[test]
fn codes_missing_from_the_recordings_map_from_the_documented_messages() {
    // -4116 and -4120 are named in the notes but absent from
    // error_codes_usdm.json; the messages are Binance's documented ones.
    for (code, msg) in [
        (-4116, "ClientOrderId is duplicated."),
        (
            -4120,
            "Order type not supported for this endpoint. Please use the Algo Order API endpoints instead.",
        ),
    ] {
        let body = serde_json::json!({ "code": code, "msg": msg }).to_string();
        expect_from(400, &body, code, Some(msg));
    }
}

#[test]
fn transport_failures_and_5xx_leave_an_order_unknown() {
    let unknown = format!(
        r#"{{"code":-1000,"msg":"{}"}}"#,
        cockpit::binance::error::UNKNOWN_ERROR_MSG
    );
    for e in [
        BinanceError::Timeout,
        BinanceError::Connection("connection reset by peer".into()),
        BinanceError::from_response(503, &unknown, None),
        BinanceError::from_response(500, "", None),
    ] {
        assert!(e.is_unknown_outcome(), "{e}");
        assert!(e.is_retryable_read(), "{e}");
    }
    let rate = BinanceError::from_response(429, "", Some(3));
    assert_eq!(
        rate,
        BinanceError::RateLimited {
            retry_after_ms: Some(3000)
        }
    );
    assert!(rate.is_retryable_read());
}

// ---------------------------------------------------------------- REST

#[test]
fn server_time() {
    let t: ServerTime = parse("time", &example("GET_fapi_v1_time__check_server_time"));
    assert_eq!(t.server_time, 1_499_827_319_559);
}

#[test]
fn exchange_info_gives_btcusdt_its_real_filters_and_the_rate_limits() {
    let info: ExchangeInfo = parse(
        "exchangeInfo",
        &text("fixtures/rest/http_futures_market_exchange_info.json"),
    );
    let btc = info.rules_for(&sym("BTCUSDT")).unwrap();
    let i = &btc.instrument;
    assert_eq!(i.symbol, sym("BTCUSDT"));
    assert_eq!(i.tick_size, p("0.10"));
    assert_eq!(i.step_size, q("0.001"));
    assert_eq!(i.min_qty, q("0.001"));
    assert_eq!(i.min_notional.value(), d("10"));
    assert_eq!(btc.max_qty, Some(q("1000")));
    let market = btc.market_lot.as_ref().unwrap();
    assert_eq!((market.step_size, market.min_qty), (q("0.001"), q("0.001")));
    let pp = btc.percent_price.as_ref().unwrap();
    assert_eq!(
        (pp.multiplier_up, pp.multiplier_down),
        (d("1.1000"), d("0.5454"))
    );
    assert!(btc.is_trading());
    assert_eq!(btc.contract_type, "PERPETUAL");
    // The instrument rounds as the venue expects.
    assert_eq!(i.round_price(p("65000.06")), p("65000.1"));

    let limits: Vec<_> = info
        .rate_limits
        .iter()
        .map(|r| (r.rate_limit_type.as_str(), r.limit, r.window_ms()))
        .collect();
    assert_eq!(
        limits,
        [
            ("REQUEST_WEIGHT", 6000, Some(60_000)),
            ("ORDERS", 1200, Some(60_000)),
            ("ORDERS", 300, Some(10_000)),
        ]
    );
    assert!(info.rules_for(&sym("ETHUSDT")).is_ok());
    // A delivery contract is listed but is not a symbol the bot trades.
    let delivery = info
        .symbols
        .iter()
        .find(|s| s.symbol == "BTCUSDT_220325")
        .unwrap();
    let err = delivery.rules().unwrap_err().to_string();
    assert!(err.contains("BTCUSDT_220325"), "{err}");
    let err = info.rules_for(&sym("DOGEUSDT")).unwrap_err().to_string();
    assert!(err.contains("does not list DOGEUSDT"), "{err}");
}

#[test]
fn the_documented_exchange_info_example_parses_but_lacks_a_lot_size_filter() {
    // The example merges every filter's fields into one PRICE_FILTER.
    let info: ExchangeInfo = parse(
        "exchangeInfo example",
        &example("GET_fapi_v1_exchangeInfo__exchange_information"),
    );
    assert_eq!(info.rate_limits[0].limit, 2400);
    assert_eq!(info.server_time, Some(1_565_613_908_500));
    let err = info.rules_for(&sym("BLZUSDT")).unwrap_err();
    assert_eq!(
        err,
        BinanceError::Decode("exchangeInfo symbol BLZUSDT: no LOT_SIZE filter".into())
    );
}

#[test]
fn kline_rows_become_candles() {
    let rows: Vec<Kline> = parse(
        "klines",
        &text("fixtures/rest/http_futures_market_klines.json"),
    );
    assert_eq!(rows.len(), 1);
    let k = &rows[0];
    assert_eq!(
        (k.open_time_ms, k.close_time_ms),
        (1_499_040_000_000, 1_499_644_799_999)
    );
    let c = k.to_candle(true).unwrap();
    assert_eq!(
        c,
        Candle::new(
            1_499_040_000_000,
            p("0.01634790"),
            p("0.80000000"),
            p("0.01575800"),
            p("0.01577100"),
            q("148976.11427815"),
            true
        )
        .unwrap()
    );
    assert!(!k.to_candle(false).unwrap().closed);
}

#[test]
fn order_responses_parse_from_every_recording() {
    let new: OrderResponse = parse("order_response", &text("fixtures/rest/order_response.json"));
    assert_eq!(new.order_id, 12_345_678);
    assert_eq!(new.client_id(), ClientOrderId("testOrder123".into()));
    assert_eq!(new.status, OrderStatus::New);
    assert_eq!(new.order_state(), OrderState::Open);
    assert_eq!(
        (new.side, new.order_type.clone()),
        (Side::Buy, OrderType::Limit)
    );
    assert_eq!(new.avg_price, Some(p("0.00")));
    assert_eq!(new.fill_price(), None);
    assert_eq!(new.working_type, Some(WorkingType::ContractPrice));

    // The documented new-order answer has no avgPrice at all.
    let doc: OrderResponse = parse("new order", &example("POST_fapi_v1_order__new_order"));
    assert_eq!((doc.order_id, doc.avg_price), (22_542_179, None));
    assert_eq!(doc.position_side, Some(PositionSide::Short));

    let cancel: OrderResponse = parse("cancel", &example("DELETE_fapi_v1_order__cancel_order"));
    assert_eq!(cancel.order_state(), OrderState::Cancelled);
    let query: OrderResponse = parse("query", &example("GET_fapi_v1_order__query_order"));
    assert_eq!(query.order_type, OrderType::TrailingStopMarket);
    let listed: Vec<OrderResponse> = parse(
        "open orders",
        &text("fixtures/rest/http_futures_account_orders.json"),
    );
    assert_eq!(listed[0].order_id, 1_917_641);

    // Real captures: a batch element, and an open order whose ids ccxt stored as strings.
    let batch: Vec<OrderResponse> = parse("batchOrders", &ccxt("POST /fapi/v1/batchOrders"));
    assert_eq!(batch[0].order_id, 4_087_922_044);
    assert_eq!(batch[0].orig_qty, q("0.200"));
    let open: OrderResponse = parse("openOrder", &ccxt("GET /fapi/v1/openOrder"));
    assert_eq!(
        (open.order_id, open.update_time),
        (664_082_074, 1_707_907_323_991)
    );
}

#[test]
fn an_order_id_above_two_to_the_53_stays_exact() {
    let body = text("fixtures/rest/order_response.json").replace("12345678", "9007199254740993");
    let o: OrderResponse = parse("big id", &body);
    assert_eq!(o.order_id, 9_007_199_254_740_993);
}

#[test]
fn algo_orders_read_order_type_and_accept_type() {
    let new: AlgoOrder = parse(
        "new algo",
        &example("POST_fapi_v1_algoOrder__new_algo_order"),
    );
    assert_eq!(new.algo_id, 2_146_760);
    assert_eq!(new.client_algo_id, "6B2I9XVcJpCjqPAJ4YoFX7");
    assert_eq!(new.order_type, OrderType::TakeProfit);
    assert_eq!(new.algo_status, AlgoStatus::New);
    assert_eq!(new.trigger_price, p("750.000"));
    assert_eq!(new.price, Some(p("750")));
    assert_eq!(new.quantity, Some(q("0.01")));
    assert_eq!(new.working_type, Some(WorkingType::ContractPrice));
    assert!(!new.close_position && !new.reduce_only);
    assert_eq!(new.order_state(), OrderState::Open);
    // A limit take-profit is not one of the bot's kinds.
    assert_eq!(new.kind(), None);

    let queried: AlgoOrder = parse(
        "query algo",
        &example("GET_fapi_v1_algoOrder__query_algo_order"),
    );
    assert_eq!(queried.order_state(), OrderState::Cancelled);
    for file in [
        "GET_fapi_v1_openAlgoOrders__current_all_algo_open_orders",
        "GET_fapi_v1_allAlgoOrders__query_all_algo_orders",
    ] {
        let list: Vec<AlgoOrder> = parse(file, &example(file));
        assert_eq!(list.len(), 1, "{file}");
        assert_eq!(list[0].order_type, OrderType::TakeProfit, "{file}");
    }

    // This recording names the field `type`, as some documentation does.
    let open: Vec<AlgoOrder> = parse("open algo", &text("fixtures/rest/open_algo_orders.json"));
    let stop = &open[0];
    assert_eq!(stop.order_type, OrderType::StopMarket);
    assert_eq!(stop.client_id(), ClientOrderId("test-algo-order-1".into()));
    assert_eq!(stop.working_type, Some(WorkingType::MarkPrice));
    assert_eq!(
        stop.kind(),
        Some(OrderKind::StopMarket {
            trigger: p("45000")
        })
    );
}

#[test]
fn position_risk_v3_is_empty_when_flat_and_signed_when_not() {
    let flat: Vec<PositionRisk> = parse("flat", "[]");
    assert!(flat.is_empty());

    let doc: Vec<PositionRisk> = parse(
        "positionRisk v3",
        &example("GET_fapi_v3_positionRisk__position_information_v3"),
    );
    let ada = doc[0].to_position().unwrap().unwrap();
    assert_eq!(
        (ada.symbol, ada.side, ada.qty),
        (sym("ADAUSDT"), Side::Buy, q("30"))
    );
    assert_eq!(ada.entry_price, p("0.385"));
    assert_eq!(doc[0].liquidation_price, Price::ZERO);

    for key in [
        "GET /fapi/v3/positionRisk (ccxt fetchPositions linear, no symbols",
        "GET /fapi/v3/positionRisk (ccxt fetchPositions linear, symbols",
    ] {
        let rows: Vec<PositionRisk> = parse(key, &ccxt(key));
        let btc = rows[0].to_position().unwrap().unwrap();
        assert_eq!(
            (btc.side, btc.qty, btc.entry_price),
            (Side::Buy, q("0.009"), p("67445.9"))
        );
        assert_eq!(btc.opened_at_ms, 1_722_161_166_529);
        assert_eq!(rows[0].margin_asset.as_deref(), Some("USDT"));
    }

    let older: Vec<PositionRisk> =
        parse("position_risk", &text("fixtures/rest/position_risk.json"));
    assert_eq!(older[0].un_realized_profit, d("1.00000000"));
    // Hedge-mode rows: a short is a negative amount.
    let hedge: Vec<PositionRisk> = parse(
        "hedge",
        &text("fixtures/rest/http_futures_account_positions_hedge.json"),
    );
    let short = hedge[1].to_position().unwrap().unwrap();
    assert_eq!((short.side, short.qty), (Side::Sell, q("10")));
    assert_eq!(hedge[1].position_side, PositionSide::Short);
    let one_way: Vec<PositionRisk> = parse(
        "one way",
        &text("fixtures/rest/http_futures_account_positions_one_way.json"),
    );
    assert_eq!(one_way[0].to_position().unwrap(), None);
}

#[test]
fn account_v3_equity_is_wallet_plus_unrealized() {
    let real: Account = parse("account v3", &ccxt("GET /fapi/v3/account"));
    assert_eq!(real.total_wallet_balance, d("25.72610060"));
    assert_eq!(real.total_unrealized_profit, d("0.54230362"));
    assert_eq!(real.equity(), d("26.26840422"));
    assert_eq!(
        real.equity(),
        real.total_wallet_balance + real.total_unrealized_profit
    );
    let usdt = real.assets.iter().find(|a| a.asset == "USDT").unwrap();
    assert_eq!(usdt.margin_balance, d("4.27203287"));

    let doc: Account = parse(
        "account v3 doc",
        &example("GET_fapi_v3_account__account_information_v3"),
    );
    assert_eq!(doc.equity(), d("126.72469206"));
    // v2 has the same totals; the adapter reads v3.
    let v2: Account = parse("account v2", &ccxt("GET /fapi/v2/account"));
    assert_eq!(v2.equity(), d("31.02261200"));
}

#[test]
fn position_mode_and_listen_key() {
    let doc: PositionSideDual = parse(
        "dual",
        &example("GET_fapi_v1_positionSide_dual__get_current_position_mode"),
    );
    assert!(!doc.is_one_way());
    let rest: PositionSideDual = parse(
        "dual",
        &text("fixtures/rest/http_futures_account_position_side_dual.json"),
    );
    assert!(rest.dual_side_position);
    assert!(parse::<PositionSideDual>("one-way", r#"{"dualSidePosition":false}"#).is_one_way());

    let key: ListenKey = parse(
        "listenKey",
        &example("POST_fapi_v1_listenKey__start_user_data_stream"),
    );
    assert_eq!(
        key.listen_key,
        "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1"
    );
    assert_eq!(format!("{key:?}"), "ListenKey(pqia…)");
    let kept: ListenKey = parse(
        "keepalive",
        &example("PUT_fapi_v1_listenKey__keepalive_user_data_stream"),
    );
    assert!(kept.listen_key.starts_with("3HBn"));
}

// ---------------------------------------------------------------- market streams

fn market(relative: &str) -> MarketEvent {
    parse_market_frame(&text(relative))
        .unwrap_or_else(|e| panic!("{relative}: {e}"))
        .event
}

#[test]
fn a_closed_kline_event_becomes_a_closed_candle() {
    let MarketEvent::Kline(k) = market("fixtures/ws/kline_stream_closed.json") else {
        panic!("not a kline");
    };
    assert_eq!(
        (k.symbol.as_str(), k.kline.interval.as_str()),
        ("BTCUSDT", "1m")
    );
    assert_eq!(k.kline.close_time_ms, 1_638_747_719_999);
    let c = k.kline.to_candle().unwrap();
    assert!(c.closed);
    assert_eq!(
        (c.open_time_ms, c.open, c.high, c.low, c.close, c.volume),
        (
            1_638_747_660_000,
            p("0.0010"),
            p("0.0025"),
            p("0.0010"),
            p("0.0020"),
            q("1000")
        )
    );
}

#[test]
fn the_documented_open_kline_is_read_but_refused_as_a_candle() {
    // The documentation's open-kline example has a low (0.0015) above its
    // open (0.0010): the wire parse keeps it, the domain refuses it.
    let MarketEvent::Kline(k) = market("fixtures/ws/kline_stream_open.json") else {
        panic!("not a kline");
    };
    assert!(!k.kline.closed);
    assert_eq!(
        k.kline.to_candle().unwrap_err(),
        BinanceError::Decode(
            "BTCUSDT kline: candle at 1638747660000: open 0.001 is outside the bar's range 0.0015..0.0025"
                .into()
        )
    );
}

#[test]
fn mark_price_and_book_ticker_events() {
    let MarketEvent::MarkPrice(m) = market("fixtures/ws/mark_price_stream.json") else {
        panic!("not a mark price");
    };
    assert_eq!(m.mark_price, p("11794.15000000"));
    assert_eq!(m.index_price, Some(p("11784.62659091")));
    assert_eq!(m.funding_rate, Some(d("0.00038167")));
    assert_eq!(m.next_funding_time_ms, 1_562_306_400_000);

    for file in [
        "fixtures/ws/book_ticker_stream.json",
        "fixtures/user_data/ws_futures_book_ticker.json",
    ] {
        let MarketEvent::BookTicker(b) = market(file) else {
            panic!("{file}: not a book ticker");
        };
        assert_eq!(b.update_id, 400_900_217);
        assert_eq!(
            (b.bid_price, b.bid_qty),
            (p("25.35190000"), q("31.21000000"))
        );
        assert_eq!(
            (b.ask_price, b.ask_qty),
            (p("25.36520000"), q("40.66000000"))
        );
    }
}

#[test]
fn the_combined_stream_envelope_is_unwrapped_and_names_its_stream() {
    let inner = text("fixtures/ws/kline_stream_closed.json");
    let framed = format!(r#"{{"stream":"btcusdt@kline_1m","data":{inner}}}"#);
    let f = parse_market_frame(&framed).unwrap();
    assert_eq!(f.stream.as_deref(), Some("btcusdt@kline_1m"));
    assert!(matches!(f.event, MarketEvent::Kline(ref k) if k.kline.closed));
    // The name we subscribe with is the name Binance wraps with.
    assert_eq!(
        streams::kline(&sym("BTCUSDT"), Interval::M1),
        f.stream.unwrap()
    );
}

#[test]
fn market_streams_the_bot_does_not_read_are_other_not_errors() {
    for (file, e) in [
        ("fixtures/ws/agg_trade_stream.json", "aggTrade"),
        ("fixtures/ws/depth_update_stream.json", "depthUpdate"),
        ("fixtures/ws/liquidation_stream.json", "forceOrder"),
        ("fixtures/ws/ticker_stream.json", "24hrTicker"),
        ("fixtures/ws/trade_stream.json", "trade"),
    ] {
        assert_eq!(
            market(file),
            MarketEvent::Other {
                event_type: e.into()
            },
            "{file}"
        );
    }
}

// ---------------------------------------------------------------- user data

fn user(relative: &str) -> UserEvent {
    parse_user_event(&text(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

#[test]
fn every_user_data_fixture_parses() {
    let dir = cockpit::shared_data::file("binance/fixtures/user_data/trade_lite.json")
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 33);
    let mut kinds = std::collections::BTreeMap::<String, usize>::new();
    for name in names {
        let event = user(&format!("fixtures/user_data/{name}"));
        let kind = match event {
            UserEvent::OrderTradeUpdate(_) => "ORDER_TRADE_UPDATE".to_string(),
            UserEvent::AccountUpdate(_) => "ACCOUNT_UPDATE".to_string(),
            UserEvent::AlgoUpdate(_) => "ALGO_UPDATE".to_string(),
            UserEvent::TradeLite(_) => "TRADE_LITE".to_string(),
            UserEvent::ListenKeyExpired(_) => "listenKeyExpired".to_string(),
            // The market events filed under user_data/.
            UserEvent::Other { event_type } => format!("other {event_type}"),
        };
        *kinds.entry(kind).or_default() += 1;
    }
    let kinds: Vec<(&str, usize)> = kinds.iter().map(|(k, n)| (k.as_str(), *n)).collect();
    assert_eq!(
        kinds,
        [
            ("ACCOUNT_UPDATE", 2),
            ("ALGO_UPDATE", 6),
            ("ORDER_TRADE_UPDATE", 19),
            ("TRADE_LITE", 2),
            ("other 24hrTicker", 1),
            ("other bookTicker", 1),
            ("other depthUpdate", 2),
        ]
    );
}

fn order_update(relative: &str) -> cockpit::binance::wire::OrderTradeUpdate {
    match user(relative) {
        UserEvent::OrderTradeUpdate(u) => u,
        other => panic!("{relative}: {other:?}"),
    }
}

#[test]
fn a_trade_update_becomes_a_fill_of_our_order() {
    let u = order_update("fixtures/user_data/order_update_trade.json");
    assert_eq!(u.order.execution_type, ExecutionType::Trade);
    assert_eq!(
        u.order_state(),
        OrderState::PartiallyFilled { filled: q("0.001") }
    );
    let fill = u.fill(Leg::Entry).unwrap().unwrap();
    assert_eq!(
        fill,
        Fill {
            order_id: ClientOrderId("TEST".into()),
            symbol: sym("BTCUSDT"),
            side: Side::Buy,
            leg: Leg::Entry,
            qty: q("0.001"),
            price: p("7100.50"),
            fee: d("0.01000000"),
            liquidity: Liquidity::Maker,
            at_ms: 1_568_879_465_651,
        }
    );
    assert_eq!(
        (u.order.order_id, u.order.trade_id),
        (8_886_774, 12_345_678)
    );
    assert_eq!(u.order.realized_profit, Some(d("12.34")));
}

#[test]
fn new_orders_and_pending_liquidations_are_not_fills() {
    let new = order_update("fixtures/user_data/order_update_new.json");
    assert_eq!(new.order.order_type, OrderType::TrailingStopMarket);
    assert_eq!(new.order.stop_price, Some(p("7103.04")));
    assert_eq!(new.order_state(), OrderState::Open);
    assert_eq!(new.fill(Leg::Entry).unwrap(), None);
    let pending = order_update("fixtures/user_data/order_update_calculated_pending.json");
    assert_eq!(pending.order.commission_asset, None);
    assert_eq!(pending.fill(Leg::Exit).unwrap(), None);
    let zero = order_update("fixtures/user_data/ws_futures_order_update_liquidation_zero_qty.json");
    assert_eq!(zero.fill(Leg::Exit).unwrap(), None);
}

#[test]
fn a_liquidation_execution_is_a_fill_that_moves_the_position() {
    let u = order_update("fixtures/user_data/order_update_calculated.json");
    assert_eq!(u.order.execution_type, ExecutionType::Calculated);
    let fill = u.fill(Leg::Exit).unwrap().unwrap();
    assert_eq!(
        (fill.side, fill.qty, fill.price),
        (Side::Sell, q("0.014"), p("9910.12"))
    );
    assert_eq!(fill.liquidity, Liquidity::Taker);
    // Null fields in these recordings are absent values, not errors.
    let u = order_update("fixtures/user_data/ws_futures_order_update_liquidation.json");
    assert_eq!(u.order.stop_price, None);
    assert_eq!(u.order.order_id, 9_876_543_210);
    assert_eq!(u.fill(Leg::Exit).unwrap().unwrap().fee, d("5.00000000"));
}

#[test]
fn insurance_and_adl_statuses_are_known() {
    let insurance = order_update("fixtures/user_data/order_update_insurance.json");
    assert_eq!(insurance.order.status, OrderStatus::NewInsurance);
    let adl = order_update("fixtures/user_data/order_update_adl.json");
    assert_eq!(adl.order.status, OrderStatus::NewAdl);
    assert_eq!(adl.order.position_side, PositionSide::Short);
}

#[test]
fn a_fill_on_a_delivery_contract_names_the_symbol_it_cannot_book() {
    let u = order_update("fixtures/user_data/order_update_delivery.json");
    let err = u.fill(Leg::Exit).unwrap_err().to_string();
    assert!(err.contains("BTCUSD_240329"), "{err}");
}

#[test]
fn a_fee_in_bnb_is_refused_with_a_reason() {
    let body = text("fixtures/user_data/order_update_trade.json")
        .replace(r#""N": "USDT""#, r#""N": "BNB""#);
    let UserEvent::OrderTradeUpdate(u) = parse_user_event(&body).unwrap() else {
        panic!("not an order update");
    };
    let err = u.fill(Leg::Entry).unwrap_err().to_string();
    assert!(err.contains("commission in BNB"), "{err}");
}

#[test]
fn an_account_update_reports_balances_and_one_way_positions() {
    let UserEvent::AccountUpdate(a) = user("fixtures/user_data/account_update.json") else {
        panic!("not an account update");
    };
    assert_eq!(a.account.reason, "ORDER");
    let b = &a.account.balances[0];
    assert_eq!(
        (b.asset.as_str(), b.wallet_balance),
        ("USDT", d("122624.12345678"))
    );
    let positions = a.positions().unwrap();
    assert_eq!(positions.len(), 3);
    assert_eq!(positions[0].1, None);
    let long = positions[1].1.as_ref().unwrap();
    assert_eq!(
        (long.side, long.qty, long.entry_price),
        (Side::Buy, q("20"), p("6563.6"))
    );
    let short = positions[2].1.as_ref().unwrap();
    assert_eq!((short.side, short.qty), (Side::Sell, q("10")));
    assert_eq!(a.account.positions[2].unrealized_pnl, d("-1423.15600"));

    let UserEvent::AccountUpdate(bnfcr) = user("fixtures/user_data/account_update_bnfcr.json")
    else {
        panic!("not an account update");
    };
    assert_eq!(bnfcr.account.balances[0].asset, "BNFCR");
    assert!(bnfcr.positions().unwrap().is_empty());
}

fn algo(relative: &str) -> cockpit::binance::wire::AlgoUpdate {
    match user(relative) {
        UserEvent::AlgoUpdate(u) => u,
        other => panic!("{relative}: {other:?}"),
    }
}

#[test]
fn algo_updates_follow_a_protective_order_through_its_trigger() {
    let new = algo("fixtures/user_data/algo_update_new.json");
    assert_eq!(
        new.client_id(),
        ClientOrderId("Q5xaq5EGKgXXa0fD7fs0Ip".into())
    );
    assert_eq!(new.order.algo_id, 2_148_719);
    assert_eq!(new.order.actual_order_id, None);
    assert_eq!(new.order_state(), OrderState::Open);
    let canceled = algo("fixtures/user_data/algo_update_canceled.json");
    assert_eq!(canceled.order_state(), OrderState::Cancelled);
    assert_eq!(canceled.order.reason.as_deref(), Some("Reduce Only reject"));

    let steps = [
        (
            "ws_futures_algo_update_triggering",
            AlgoStatus::Triggering,
            None,
            OrderState::Open,
        ),
        (
            "ws_futures_algo_update_triggered",
            AlgoStatus::Triggered,
            Some(88_937_381_063),
            OrderState::Open,
        ),
        (
            "ws_futures_algo_update_finished",
            AlgoStatus::Finished,
            Some(88_937_381_063),
            OrderState::Filled,
        ),
        (
            "ws_futures_algo_update_finished_canceled",
            AlgoStatus::Finished,
            Some(88_937_381_064),
            OrderState::Cancelled,
        ),
    ];
    for (file, status, actual, state) in steps {
        let u = algo(&format!("fixtures/user_data/{file}.json"));
        assert_eq!(u.order.status, status, "{file}");
        assert_eq!(u.order.actual_order_id, actual, "{file}");
        assert_eq!(u.order_state(), state, "{file}");
        assert_eq!(u.order.order_type, OrderType::StopMarket, "{file}");
        assert_eq!(u.order.trigger_price, p("0.13855"), "{file}");
        assert_eq!(
            u.order.algo_id,
            1_000_000_033_225_453 + u64::from(file.ends_with("canceled"))
        );
    }
    let finished = algo("fixtures/user_data/ws_futures_algo_update_finished.json");
    assert_eq!(finished.order.avg_price, Some(p("0.13856")));
    assert_eq!(finished.order.executed_qty, Some(q("38")));
}

#[test]
fn trade_lite_keeps_an_order_id_beyond_two_to_the_53() {
    let UserEvent::TradeLite(t) = user("fixtures/user_data/ws_futures_trade_lite.json") else {
        panic!("not a trade lite");
    };
    assert_eq!(t.order_id, 8_389_765_739_703_625_592);
    assert_eq!(
        (t.last_filled_qty, t.last_filled_price),
        (q("0.037"), p("2631.90"))
    );
    assert_eq!(t.client_order_id, "O-20240930-081155-001-000-29");
    let UserEvent::TradeLite(t) = user("fixtures/user_data/trade_lite.json") else {
        panic!("not a trade lite");
    };
    assert!(t.is_maker);
}

#[test]
fn listen_key_expired_takes_its_time_as_a_string_or_a_number() {
    // No recording exists; the shape is the documented one.
    for e in [r#""1736996475556""#, "1736996475556"] {
        let frame = format!(
            r#"{{"e":"listenKeyExpired","E":{e},"listenKey":"WsCMN0a4KHUPTQuX6IUnqEZfB1inxmv1qR4kbf1LuEjur5VdbzqvyxqG9TSjVVxv"}}"#
        );
        let UserEvent::ListenKeyExpired(x) = parse_user_event(&frame).unwrap() else {
            panic!("not listenKeyExpired: {frame}");
        };
        assert_eq!(x.event_time_ms, 1_736_996_475_556);
    }
}

#[test]
fn an_unknown_user_event_is_other_and_garbage_is_a_short_decode_error() {
    assert_eq!(
        parse_user_event(r#"{"e":"MARGIN_CALL","E":1,"cw":"3.1"}"#).unwrap(),
        UserEvent::Other {
            event_type: "MARGIN_CALL".into()
        }
    );
    let long_garbage = format!("not json {}", "x".repeat(500));
    for frame in [
        "",
        "null",
        "[1,2]",
        r#"{"E":1}"#,
        r#"{"e":"ORDER_TRADE_UPDATE","E":1}"#,
        r#"{"e":"ORDER_TRADE_UPDATE","E":1,"T":1,"o":{"s":"BTCUSDT"}}"#,
        long_garbage.as_str(),
    ] {
        let err = parse_user_event(frame).unwrap_err();
        let BinanceError::Decode(msg) = &err else {
            panic!("{frame}: {err:?}");
        };
        assert!(msg.len() < 400, "{msg}");
    }
    let err = parse_user_event(&long_garbage).unwrap_err().to_string();
    assert!(err.contains("not json xxx") && err.contains('…'), "{err}");
}

proptest! {
    #[test]
    fn no_frame_makes_the_parsers_panic(frame in ".{0,200}") {
        let _ = parse_user_event(&frame);
        let _ = parse_market_frame(&frame);
    }

    #[test]
    fn a_mangled_recording_never_panics(cut in 0usize..700, junk in "[\\[\\]{}\",:0-9a-z]{0,5}") {
        let base = text("fixtures/user_data/order_update_trade.json");
        let cut = cut.min(base.len());
        let cut = (0..=cut).rev().find(|&i| base.is_char_boundary(i)).unwrap_or(0);
        let frame = format!("{}{junk}{}", &base[..cut], &base[cut..]);
        let _ = parse_user_event(&frame);
    }
}

// ---------------------------------------------------------------- client order ids

const HOUR: i64 = 3_600_000;
/// 2017-01-01T00:00Z: before Binance USD-M futures existed.
const FROM: i64 = 1_483_228_800_000;
/// 9999-12-31T23:00Z: the last hour a four-digit year can name.
const UNTIL: i64 = 253_402_297_200_000;

/// Every client order id the engine builds for one trade on `symbol`: the
/// entry (decide.rs), the stop and take-profit (reports.rs) and the operator's
/// exit (commands.rs), from the real engine fed the events that cause them.
fn engine_ids(symbol: &Symbol, t0: i64) -> Vec<ClientOrderId> {
    let mut config = Config::default();
    config.market.symbols = vec![symbol.clone()];
    config.market.interval = Interval::H1;
    config.engine.mode = Mode::Paper;
    config.engine.automation = Automation::Auto;
    config.engine.armed = true;
    let mut engine = Engine::new(&config, "test", i64::MAX / 4)
        .unwrap()
        .with_strategies(|| Box::new(Scripted));
    let candle = |open: i64, close: &str| Event::Candle {
        symbol: symbol.clone(),
        candle: Candle::new(
            open,
            p(close),
            p(close),
            p(close),
            p(close),
            Qty::ZERO,
            true,
        )
        .unwrap(),
    };
    engine.process(t0 + HOUR, candle(t0, "990"));
    let at = t0 + 2 * HOUR;
    let entry = submitted(&engine.process(at, candle(t0 + HOUR, "1000")));
    assert_eq!(entry.len(), 1, "no entry for {symbol} at {t0}");
    let entry = entry[0].clone();
    engine.process(
        at,
        Event::Exec(ExecReport::Accepted {
            id: entry.id.clone(),
            at_ms: at,
        }),
    );
    let protective = submitted(&engine.process(
        at,
        Event::Exec(ExecReport::Filled(Fill {
            order_id: entry.id.clone(),
            symbol: symbol.clone(),
            side: entry.side,
            leg: entry.leg,
            qty: entry.qty,
            price: p("1000"),
            fee: Decimal::ZERO,
            liquidity: Liquidity::Taker,
            at_ms: at,
        })),
    ));
    assert_eq!(protective.len(), 2, "no protective orders for {symbol}");
    let exit = submitted(&engine.process(at + 1, Event::Command(Command::FlattenAndHalt)));
    assert_eq!(exit.len(), 1, "no exit for {symbol}");
    assert_eq!(exit[0].leg, Leg::Exit);
    std::iter::once(entry)
        .chain(protective)
        .chain(exit)
        .map(|o| o.id)
        .collect()
}

fn assert_valid_for_binance(ids: &[ClientOrderId]) {
    for id in ids {
        let id = id.as_str();
        assert!(client_id::is_valid(id), "{id} ({} chars)", id.len());
        assert!(client_id::is_own(id, BOT_PREFIX), "{id}");
    }
}

#[test]
fn the_engine_ids_for_long_symbols_are_valid_binance_ids() {
    // Long names of the 1000… and 1000000… kind Binance lists, and the
    // longest name our Symbol admits (20 characters). The exchangeInfo
    // fixture's longest, BTCUSDT_220325 (14), is a delivery contract that
    // Symbol refuses, so the engine never builds an id for it.
    for name in [
        "BTCUSDT",
        "1000SHIBUSDT",
        "1000PEPEUSDT",
        "1000000MOGUSDT",
        "ABCDEFGHIJKLMNOPUSDT",
    ] {
        for t0 in [FROM, 1_776_902_400_000, UNTIL - 2 * HOUR] {
            let ids = engine_ids(&sym(name), t0);
            assert_eq!(ids.len(), 4);
            assert_valid_for_binance(&ids);
            let kinds: Vec<char> = ids
                .iter()
                .map(|i| i.as_str().chars().last().unwrap())
                .collect();
            assert_eq!(&kinds[..3], ['e', 's', 't'], "{ids:?}");
            assert!(
                ids[3].as_str().starts_with(&format!("ck-{name}-x")),
                "{ids:?}"
            );
        }
    }
    // The longest today: 20-character symbol, 2026.
    let longest = engine_ids(&sym("ABCDEFGHIJKLMNOPUSDT"), 1_776_902_400_000)
        .into_iter()
        .map(|i| i.as_str().len())
        .max();
    assert_eq!(longest, Some(34));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_engine_id_is_a_valid_binance_id(
        name in "[A-Z0-9]{2,20}",
        hour in (FROM / HOUR)..(UNTIL / HOUR - 2),
    ) {
        let ids = engine_ids(&sym(&name), hour * HOUR);
        for id in &ids {
            prop_assert!(client_id::is_valid(id.as_str()), "{} ({} chars)", id, id.as_str().len());
            prop_assert!(client_id::is_own(id.as_str(), BOT_PREFIX));
        }
    }
}

#[test]
fn the_income_history_and_a_fired_algo_order_parse_from_their_examples() {
    let rows: Vec<cockpit::binance::wire::Income> =
        parse("income", &example("GET_fapi_v1_income__get_income_history"));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].income, Decimal::from_str("-0.375").unwrap());
    assert_eq!(
        (rows[0].symbol.as_str(), rows[0].asset.as_str()),
        ("", "USDT")
    );
    assert_eq!(rows[0].tran_id, 9_689_322_392);
    // Not fired: `actualOrderId` is "" although `actualQty` shows a quantity.
    let queried: AlgoOrder = parse(
        "query algo",
        &example("GET_fapi_v1_algoOrder__query_algo_order"),
    );
    assert_eq!(queried.actual_order_id, None);
    let fired = example("GET_fapi_v1_algoOrder__query_algo_order").replace(
        r#""actualOrderId":"""#,
        r#""actualOrderId":"9007199254741993""#,
    );
    let fired: AlgoOrder = parse("fired algo", &fired);
    assert_eq!(fired.actual_order_id, Some(9_007_199_254_741_993));
}
