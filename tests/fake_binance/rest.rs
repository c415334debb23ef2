//! The REST endpoints: which exist, who may call them, what they weigh, and
//! the answers of the market, session and account-setting ones. Trading
//! endpoints are in `orders.rs`.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::market::{Agg, interval_ms, next_funding_time};
use super::orders::{self, Ctx};
use super::params::{ApiError, Done, Params};
use super::rules::{SymbolRules, fixed, money};
use super::{Shared, lock};

/// What a caller must show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Auth {
    Public,
    /// `X-MBX-APIKEY` only (the listenKey endpoints).
    ApiKey,
    /// API key, timestamp and signature.
    Signed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ep {
    Ping,
    Time,
    ExchangeInfo,
    Klines,
    FundingRate,
    PremiumIndex,
    ListenKeyNew,
    ListenKeyKeep,
    ListenKeyClose,
    PositionModeGet,
    PositionModeSet,
    Leverage,
    MarginType,
    NewOrder,
    QueryOrder,
    CancelOrder,
    OpenOrders,
    CancelAll,
    NewAlgo,
    QueryAlgo,
    CancelAlgo,
    OpenAlgos,
    CancelAllAlgos,
    PositionRisk,
    Account,
    Income,
}

impl Ep {
    pub fn find(method: &str, path: &str) -> Option<Ep> {
        Some(match (method, path) {
            ("GET", "/fapi/v1/ping") => Ep::Ping,
            ("GET", "/fapi/v1/time") => Ep::Time,
            ("GET", "/fapi/v1/exchangeInfo") => Ep::ExchangeInfo,
            ("GET", "/fapi/v1/klines") => Ep::Klines,
            ("GET", "/fapi/v1/fundingRate") => Ep::FundingRate,
            ("GET", "/fapi/v1/premiumIndex") => Ep::PremiumIndex,
            ("POST", "/fapi/v1/listenKey") => Ep::ListenKeyNew,
            ("PUT", "/fapi/v1/listenKey") => Ep::ListenKeyKeep,
            ("DELETE", "/fapi/v1/listenKey") => Ep::ListenKeyClose,
            ("GET", "/fapi/v1/positionSide/dual") => Ep::PositionModeGet,
            ("POST", "/fapi/v1/positionSide/dual") => Ep::PositionModeSet,
            ("POST", "/fapi/v1/leverage") => Ep::Leverage,
            ("POST", "/fapi/v1/marginType") => Ep::MarginType,
            ("POST", "/fapi/v1/order") => Ep::NewOrder,
            ("GET", "/fapi/v1/order") => Ep::QueryOrder,
            ("DELETE", "/fapi/v1/order") => Ep::CancelOrder,
            ("GET", "/fapi/v1/openOrders") => Ep::OpenOrders,
            ("DELETE", "/fapi/v1/allOpenOrders") => Ep::CancelAll,
            ("POST", "/fapi/v1/algoOrder") => Ep::NewAlgo,
            ("GET", "/fapi/v1/algoOrder") => Ep::QueryAlgo,
            ("DELETE", "/fapi/v1/algoOrder") => Ep::CancelAlgo,
            ("GET", "/fapi/v1/openAlgoOrders") => Ep::OpenAlgos,
            ("DELETE", "/fapi/v1/algoOpenOrders") => Ep::CancelAllAlgos,
            ("GET", "/fapi/v3/positionRisk") => Ep::PositionRisk,
            ("GET", "/fapi/v3/account") => Ep::Account,
            ("GET", "/fapi/v1/income") => Ep::Income,
            _ => return None,
        })
    }

    pub fn auth(self) -> Auth {
        match self {
            Ep::Ping
            | Ep::Time
            | Ep::ExchangeInfo
            | Ep::Klines
            | Ep::FundingRate
            | Ep::PremiumIndex => Auth::Public,
            Ep::ListenKeyNew | Ep::ListenKeyKeep | Ep::ListenKeyClose => Auth::ApiKey,
            _ => Auth::Signed,
        }
    }

    /// Order-affecting: logged in the order log, answered with the
    /// order-count headers.
    pub fn affects_orders(self) -> bool {
        matches!(
            self,
            Ep::NewOrder
                | Ep::CancelOrder
                | Ep::CancelAll
                | Ep::NewAlgo
                | Ep::CancelAlgo
                | Ep::CancelAllAlgos
        )
    }

    /// Counts against the ORDERS limits.
    pub fn places_order(self) -> bool {
        matches!(self, Ep::NewOrder | Ep::NewAlgo)
    }

    /// REQUEST_WEIGHT as documented; new orders weigh 0 on the IP limit.
    pub fn weight(self, p: &Params) -> u32 {
        let has_symbol = p.get("symbol").is_some();
        match self {
            Ep::Klines => match p.int("limit").ok().flatten().unwrap_or(500) {
                l if l < 100 => 1,
                l if l < 500 => 2,
                l if l <= 1000 => 5,
                _ => 10,
            },
            Ep::PremiumIndex if !has_symbol => 10,
            Ep::OpenOrders | Ep::OpenAlgos if !has_symbol => 40,
            Ep::PositionModeGet => 30,
            Ep::PositionRisk | Ep::Account => 5,
            Ep::Income => 30,
            Ep::NewOrder | Ep::NewAlgo => 0,
            _ => 1,
        }
    }
}

/// The market as orders see it at `now`.
pub(crate) fn ctx(shared: &Shared, now: i64) -> Ctx<'_> {
    Ctx {
        now,
        rules: &shared.rules,
        marks: shared.marks(now),
        indices: shared
            .config
            .symbols
            .iter()
            .filter_map(|s| Some((s.clone(), shared.market.series(s)?.index_at(now)?)))
            .collect(),
    }
}

/// Runs an authenticated request.
pub(crate) fn execute(shared: &Shared, ep: Ep, p: &Params) -> Result<Done, ApiError> {
    let now = shared.clock.now_ms();
    let body = match ep {
        Ep::Ping => json!({}),
        Ep::Time => json!({"serverTime": shared.server_time()}),
        Ep::ExchangeInfo => shared.rules.exchange_info(shared.server_time()),
        Ep::Klines => klines(shared, p, now)?,
        Ep::FundingRate => funding_rate(shared, p, now)?,
        Ep::PremiumIndex => premium_index(shared, p, now)?,
        Ep::ListenKeyNew => json!({"listenKey": shared.hub.create_key()}),
        Ep::ListenKeyKeep => {
            let key = shared
                .hub
                .keepalive(p.get("listenKey"))
                .ok_or_else(|| ApiError::new(-1125, "This listenKey does not exist."))?;
            json!({"listenKey": key})
        }
        // The REST answer is an empty object (the recorded example is the
        // WebSocket-API variant of this call).
        Ep::ListenKeyClose => {
            shared.hub.close_key(p.get("listenKey"));
            json!({})
        }
        Ep::PositionModeGet => json!({"dualSidePosition": lock(&shared.account).dual}),
        Ep::PositionModeSet => position_mode(shared, p)?,
        Ep::Leverage => leverage(shared, p)?,
        Ep::MarginType => margin_type(shared, p)?,
        Ep::PositionRisk => {
            let c = ctx(shared, now);
            let symbol = match p.symbol() {
                Some(s) if shared.rules.get(&s).is_none() => {
                    return Err(ApiError::invalid_symbol());
                }
                other => other,
            };
            let rows =
                lock(&shared.account).position_risk(symbol.as_deref(), &c.marks, &shared.rules);
            Value::Array(rows)
        }
        Ep::Account => {
            let c = ctx(shared, now);
            lock(&shared.account).account_json(&c.marks, &shared.rules, now)
        }
        Ep::Income => income(shared, p, now)?,
        trading => return trade(shared, trading, p, now),
    };
    Ok(Done::body(body))
}

fn trade(shared: &Shared, ep: Ep, p: &Params, now: i64) -> Result<Done, ApiError> {
    let c = ctx(shared, now);
    shared.trade(|a, fx| match ep {
        Ep::NewOrder => orders::new_order(a, &c, p, fx),
        Ep::QueryOrder => orders::query_order(a, &c, p),
        Ep::CancelOrder => orders::cancel_order(a, &c, p, fx),
        Ep::OpenOrders => orders::open_orders(a, &c, p),
        Ep::CancelAll => orders::cancel_all(a, &c, p, fx),
        Ep::NewAlgo => orders::new_algo(a, &c, p, fx),
        Ep::QueryAlgo => orders::query_algo(a, &c, p),
        Ep::CancelAlgo => orders::cancel_algo(a, &c, p, fx),
        Ep::OpenAlgos => orders::open_algos(a, &c, p),
        Ep::CancelAllAlgos => orders::cancel_all_algos(a, &c, p, fx),
        other => unreachable!("{other:?} is not a trading endpoint"),
    })
}

fn symbol_rules<'a>(shared: &'a Shared, p: &Params) -> Result<(String, &'a SymbolRules), ApiError> {
    let symbol = p.symbol().ok_or_else(|| ApiError::mandatory("symbol"))?;
    let r = shared
        .rules
        .get(&symbol)
        .ok_or_else(ApiError::invalid_symbol)?;
    Ok((symbol, r))
}

/// One kline row: `[openTime, o, h, l, c, volume, closeTime, quoteVolume,
/// trades, takerBuyBase, takerBuyQuote, "0"]`.
fn kline_row(a: &Agg, r: &SymbolRules) -> Value {
    json!([
        a.open_time,
        r.price(a.open),
        r.price(a.high),
        r.price(a.low),
        r.price(a.close),
        r.qty(a.volume),
        a.close_time,
        money(a.quote_volume),
        a.trades,
        r.qty(a.volume / Decimal::TWO),
        money(a.quote_volume / Decimal::TWO),
        "0",
    ])
}

/// `GET /fapi/v1/klines`: only bars opened by now, the last one forming.
fn klines(shared: &Shared, p: &Params, now: i64) -> Result<Value, ApiError> {
    let (symbol, r) = symbol_rules(shared, p)?;
    let series = shared
        .market
        .series(&symbol)
        .ok_or_else(ApiError::invalid_symbol)?;
    let ms =
        interval_ms(p.req("interval")?).ok_or_else(|| ApiError::new(-1120, "Invalid interval."))?;
    let limit = p.int("limit")?.unwrap_or(500);
    if !(1..=1500).contains(&limit) {
        return Err(ApiError::invalid("limit"));
    }
    let rows = series.klines(
        ms,
        p.int("startTime")?,
        p.int("endTime")?,
        limit as usize,
        now,
    );
    Ok(Value::Array(rows.iter().map(|a| kline_row(a, r)).collect()))
}

/// `GET /fapi/v1/fundingRate`: the recorded history up to now, with the
/// price of the path at each funding time as `markPrice` (the first bar's
/// open before the 1m data starts).
fn funding_rate(shared: &Shared, p: &Params, now: i64) -> Result<Value, ApiError> {
    let symbols = match p.symbol() {
        Some(_) => vec![symbol_rules(shared, p)?.0],
        None => shared.config.symbols.clone(),
    };
    let limit = p.int("limit")?.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid("limit"));
    }
    let (start, end) = (
        p.int("startTime")?,
        p.int("endTime")?.unwrap_or(now).min(now),
    );
    let mut out = Vec::new();
    for symbol in symbols {
        let Some(series) = shared.market.series(&symbol) else {
            continue;
        };
        let past: Vec<&(i64, Decimal)> =
            series.funding().iter().filter(|(t, _)| *t <= end).collect();
        let chosen: Vec<&(i64, Decimal)> = match start {
            Some(s) => past
                .into_iter()
                .filter(|(t, _)| *t >= s)
                .take(limit as usize)
                .collect(),
            None => past[past.len().saturating_sub(limit as usize)..].to_vec(),
        };
        out.extend(chosen.into_iter().map(|(t, rate)| {
            json!({
                "symbol": symbol,
                "fundingRate": fixed(*rate, 8),
                "fundingTime": t,
                "markPrice": fixed(series.price_at(*t), 8),
            })
        }));
    }
    Ok(Value::Array(out))
}

/// `GET /fapi/v1/premiumIndex[?symbol]`: mark = index = last price.
fn premium_index(shared: &Shared, p: &Params, now: i64) -> Result<Value, ApiError> {
    let row = |symbol: &str| -> Option<Value> {
        let series = shared.market.series(symbol)?;
        let mark = money(series.price_at(now));
        Some(json!({
            "symbol": symbol,
            "markPrice": mark,
            "indexPrice": mark,
            "estimatedSettlePrice": mark,
            "lastFundingRate": fixed(series.funding_rate_at(now), 8),
            "interestRate": "0.00010000",
            "nextFundingTime": next_funding_time(now),
            "time": now,
        }))
    };
    match p.symbol() {
        Some(_) => {
            let (symbol, _) = symbol_rules(shared, p)?;
            row(&symbol).ok_or_else(ApiError::invalid_symbol)
        }
        None => Ok(Value::Array(
            shared
                .config
                .symbols
                .iter()
                .filter_map(|s| row(s))
                .collect(),
        )),
    }
}

/// `GET /fapi/v1/income`: the funding fees settled (the only income the
/// fake records), filtered by `incomeType`, `symbol` and time; without a
/// time, the last 7 days, as Binance does.
fn income(shared: &Shared, p: &Params, now: i64) -> Result<Value, ApiError> {
    let symbol = match p.symbol() {
        Some(_) => Some(symbol_rules(shared, p)?.0),
        None => None,
    };
    let kind = p.get("incomeType");
    let limit = p.int("limit")?.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid("limit"));
    }
    let start = p.int("startTime")?.unwrap_or(now - 7 * 86_400_000);
    let end = p.int("endTime")?.unwrap_or(now);
    let a = lock(&shared.account);
    let rows: Vec<Value> = a
        .income
        .iter()
        .filter(|r| kind.is_none_or(|k| k == r.income_type))
        .filter(|r| symbol.as_deref().is_none_or(|s| s == r.symbol))
        .filter(|r| (start..=end).contains(&r.time))
        .take(limit as usize)
        .map(|r| r.json())
        .collect();
    Ok(Value::Array(rows))
}

/// `POST /fapi/v1/leverage`.
fn leverage(shared: &Shared, p: &Params) -> Result<Value, ApiError> {
    let (symbol, _) = symbol_rules(shared, p)?;
    let lev = p
        .int("leverage")?
        .ok_or_else(|| ApiError::mandatory("leverage"))?;
    if !(1..=125).contains(&lev) {
        return Err(ApiError::new(-4028, format!("Leverage {lev} is not valid")));
    }
    lock(&shared.account)
        .leverage
        .insert(symbol.clone(), lev as u32);
    // The notional cap of the first bracket allowing this leverage.
    let max_notional = match lev {
        101..=125 => "50000",
        51..=100 => "600000",
        21..=50 => "3000000",
        11..=20 => "12000000",
        6..=10 => "50000000",
        3..=5 => "80000000",
        2 => "150000000",
        _ => "300000000",
    };
    Ok(json!({"leverage": lev, "maxNotionalValue": max_notional, "symbol": symbol}))
}

/// `POST /fapi/v1/marginType` (ISOLATED | CROSSED).
fn margin_type(shared: &Shared, p: &Params) -> Result<Value, ApiError> {
    let (symbol, _) = symbol_rules(shared, p)?;
    let isolated = match p.req("marginType")? {
        "ISOLATED" => true,
        "CROSSED" => false,
        _ => return Err(ApiError::invalid("marginType")),
    };
    let mut a = lock(&shared.account);
    if a.isolated.contains(&symbol) == isolated {
        return Err(ApiError::new(-4046, "No need to change margin type."));
    }
    if !a.position_amt(&symbol).is_zero() {
        return Err(ApiError::new(
            -4048,
            "Margin type cannot be changed if there exists position.",
        ));
    }
    if isolated {
        a.isolated.insert(symbol);
    } else {
        a.isolated.remove(&symbol);
    }
    Ok(json!({"code": 200, "msg": "success"}))
}

/// `POST /fapi/v1/positionSide/dual`: only the reported mode changes; the
/// fake always nets positions one-way.
fn position_mode(shared: &Shared, p: &Params) -> Result<Value, ApiError> {
    let dual = match p.req("dualSidePosition")? {
        "true" => true,
        "false" => false,
        _ => return Err(ApiError::invalid("dualSidePosition")),
    };
    let mut a = lock(&shared.account);
    if a.dual == dual {
        return Err(ApiError::new(-4059, "No need to change position side."));
    }
    let busy = a.positions.values().any(|p| !p.amt.is_zero())
        || a.orders.iter().any(|o| o.status.is_open());
    if busy {
        return Err(ApiError::new(
            -4068,
            "Position side cannot be changed if there exists position.",
        ));
    }
    a.dual = dual;
    Ok(json!({"code": 200, "msg": "success"}))
}
