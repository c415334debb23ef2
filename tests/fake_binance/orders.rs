//! Trading: placing, matching, cancelling and querying regular and algo
//! orders, and what each 1m step of the price path does to them (resting
//! limits fill, algo orders trigger). Every change emits its user events.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::Effects;
use super::account::{Account, Algo, AlgoShape, AlgoStatus, Order, OrderStatus, Side};
use super::log::{OrderLogEntry, Outcome};
use super::market::Bar;
use super::params::{ApiError, Done, Params, illegal_client_id, valid_client_id};
use super::rules::{Rules, SymbolRules};
use super::user_events::{Trade, account_update, algo_update, order_update, trade_lite};

/// The market as an order sees it.
pub(crate) struct Ctx<'a> {
    pub now: i64,
    pub rules: &'a Rules,
    pub marks: HashMap<String, Decimal>,
    /// Index of the 1m bar current now, per symbol.
    pub indices: HashMap<String, usize>,
}

impl Ctx<'_> {
    fn mark(&self, symbol: &str) -> Decimal {
        self.marks.get(symbol).copied().unwrap_or_default()
    }

    fn idx(&self, symbol: &str) -> usize {
        self.indices.get(symbol).copied().unwrap_or_default()
    }

    fn symbol(&self, p: &Params) -> Result<(String, &SymbolRules), ApiError> {
        let symbol = p.symbol().ok_or_else(|| ApiError::mandatory("symbol"))?;
        let r = self
            .rules
            .get(&symbol)
            .ok_or_else(ApiError::invalid_symbol)?;
        Ok((symbol, r))
    }

    fn optional_symbol(&self, p: &Params) -> Result<Option<String>, ApiError> {
        match p.symbol() {
            None => Ok(None),
            Some(_) => self.symbol(p).map(|(s, _)| Some(s)),
        }
    }
}

const CANCEL_ALL_DONE: &str = "The operation of cancel all open order is done.";

fn unknown_order() -> ApiError {
    ApiError::new(-2011, "Unknown order sent.")
}

fn no_such_order() -> ApiError {
    ApiError::new(-2013, "Order does not exist.")
}

fn side(p: &Params) -> Result<Side, ApiError> {
    Side::parse(p.req("side")?).ok_or_else(|| ApiError::new(-1117, "Invalid side."))
}

/// The client id sent under `name`, checked against Binance's rule, or none.
fn sent_client_id(p: &Params, name: &str) -> Result<Option<String>, ApiError> {
    match p.get(name) {
        Some(id) if !valid_client_id(id) => Err(illegal_client_id(name)),
        other => Ok(other.map(str::to_string)),
    }
}

fn check_qty(qty: Decimal, r: &SymbolRules, max: Decimal) -> Result<Decimal, ApiError> {
    if qty <= Decimal::ZERO || qty < r.min_qty {
        return Err(ApiError::new(-4003, "Quantity less than or equal to zero."));
    }
    if !r.on_step(qty) {
        return Err(ApiError::new(
            -1111,
            "Precision is over the maximum defined for this asset.",
        ));
    }
    if qty > max {
        return Err(ApiError::new(-4005, "Quantity greater than max quantity."));
    }
    Ok(qty)
}

fn check_price(price: Decimal, r: &SymbolRules) -> Result<Decimal, ApiError> {
    if price <= Decimal::ZERO {
        return Err(ApiError::new(-4001, "Price less than 0."));
    }
    if !r.on_tick(price) {
        return Err(ApiError::new(
            -1111,
            "Precision is over the maximum defined for this asset.",
        ));
    }
    if price < r.min_price {
        return Err(ApiError::new(-4013, "Price less than min price."));
    }
    if price > r.max_price {
        return Err(ApiError::new(-4016, "Price greater than max price."));
    }
    Ok(price)
}

/// Whether an order of `side` reduces a position of `pos` (opposite sign).
fn opposes(pos: Decimal, side: Side) -> bool {
    !pos.is_zero() && (side.sign() * pos).is_sign_negative()
}

/// The part of `qty` that would add to the position (margin is needed for it).
fn increase(pos: Decimal, side: Side, qty: Decimal) -> Decimal {
    if opposes(pos, side) {
        (qty - pos.abs()).max(Decimal::ZERO)
    } else {
        qty
    }
}

// ------------------------------------------------------------ regular orders

/// `POST /fapi/v1/order`: MARKET and LIMIT; conditional types belong to the
/// algo endpoint (-4120).
pub(crate) fn new_order(
    a: &mut Account,
    ctx: &Ctx,
    p: &Params,
    fx: &mut Effects,
) -> Result<Done, ApiError> {
    let (symbol, r) = ctx.symbol(p)?;
    let side = side(p)?;
    let order_type = match p.req("type")? {
        "MARKET" => "MARKET",
        "LIMIT" => "LIMIT",
        "STOP_MARKET" | "TAKE_PROFIT_MARKET" | "STOP" | "TAKE_PROFIT" | "TRAILING_STOP_MARKET" => {
            return Err(ApiError::new(
                -4120,
                "Order type not supported for this endpoint. Please use the Algo Order API endpoints instead.",
            ));
        }
        _ => return Err(ApiError::new(-1116, "Invalid orderType.")),
    };
    let market = order_type == "MARKET";
    let sent_id = sent_client_id(p, "newClientOrderId")?;
    // The Binance trap: an id is unique only among OPEN orders.
    if let Some(id) = &sent_id
        && a.orders
            .iter()
            .any(|o| &o.client_id == id && o.status.is_open())
    {
        return Err(ApiError::new(-4116, "Duplicate clientOrderId."));
    }
    let max_qty = if market { r.market_max_qty } else { r.max_qty };
    let qty = check_qty(p.req_decimal("quantity")?, r, max_qty)?;
    let reduce_only = p.flag("reduceOnly")?;
    let mark = ctx.mark(&symbol);
    let (price, tif) = if market {
        if p.get("price").is_some() {
            return Err(ApiError::not_required("price"));
        }
        (Decimal::ZERO, "GTC".to_string())
    } else {
        let price = check_price(p.req_decimal("price")?, r)?;
        let tif = p.req("timeInForce")?;
        if !matches!(tif, "GTC" | "IOC" | "FOK" | "GTX") {
            return Err(ApiError::new(-1115, "Invalid timeInForce."));
        }
        (price, tif.to_string())
    };
    let result = match p.get("newOrderRespType") {
        None | Some("ACK") => false,
        Some("RESULT") => true,
        Some(_) => return Err(ApiError::invalid("newOrderRespType")),
    };
    let at_price = if market { mark } else { price };
    if !reduce_only && qty * at_price < r.min_notional {
        return Err(ApiError::new(
            -4164,
            format!(
                "Order's notional must be no smaller than {} (unless you choose reduce only).",
                r.min_notional.normalize()
            ),
        ));
    }
    let pos = a.position_amt(&symbol);
    if reduce_only && !(opposes(pos, side) && qty <= pos.abs()) {
        return Err(ApiError::new(-2022, "ReduceOnly Order is rejected."));
    }
    let required = increase(pos, side, qty) * at_price / Decimal::from(a.leverage(&symbol));
    if required > a.available(&ctx.marks) {
        return Err(ApiError::new(-2019, "Margin is insufficient."));
    }

    let id = a.new_order_id();
    let client_id = sent_id.unwrap_or_else(|| format!("fake{id}"));
    a.orders.push(Order {
        id,
        client_id: client_id.clone(),
        symbol: symbol.clone(),
        side,
        order_type,
        orig_type: order_type.to_string(),
        tif,
        qty,
        price,
        stop_price: Decimal::ZERO,
        reduce_only,
        close_position: false,
        status: OrderStatus::New,
        executed: Decimal::ZERO,
        cum_quote: Decimal::ZERO,
        time: ctx.now,
        update_time: ctx.now,
        placed_idx: ctx.idx(&symbol),
    });
    let i = a.orders.len() - 1;
    fx.events
        .push(order_update(&a.orders[i], "NEW", None, r, ctx.now));
    // ACK answers before matching, as Binance does.
    let ack = a.orders[i].json(r);
    match_on_entry(a, i, mark, r, ctx.now, fx);
    let body = if result { a.orders[i].json(r) } else { ack };
    Ok(Done {
        body,
        client_id: Some(client_id),
    })
}

/// A new order meets the market: MARKET and marketable LIMIT orders take at
/// the last price (taker); a post-only (GTX) that would take and an IOC/FOK
/// that would rest expire; the rest waits for a later bar.
fn match_on_entry(
    a: &mut Account,
    i: usize,
    mark: Decimal,
    r: &SymbolRules,
    now: i64,
    fx: &mut Effects,
) {
    let o = &a.orders[i];
    let marketable = o.order_type == "MARKET"
        || match o.side {
            Side::Buy => o.price >= mark,
            Side::Sell => o.price <= mark,
        };
    let (tif, qty) = (o.tif.clone(), o.remaining());
    match (tif.as_str(), marketable) {
        ("GTX", true) | ("IOC" | "FOK", false) => expire(a, i, r, now, fx),
        (_, true) => fill(a, i, qty, mark, false, r, now, fx),
        _ => {}
    }
}

/// One execution of order `i`: position, wallet (realised PnL in, fee out),
/// order state, then TRADE_LITE, ORDER_TRADE_UPDATE and ACCOUNT_UPDATE.
#[allow(clippy::too_many_arguments)]
fn fill(
    a: &mut Account,
    i: usize,
    qty: Decimal,
    price: Decimal,
    maker: bool,
    r: &SymbolRules,
    now: i64,
    fx: &mut Effects,
) {
    let (symbol, side) = (a.orders[i].symbol.clone(), a.orders[i].side);
    let realized = a.apply_fill(&symbol, side.sign() * qty, price, now);
    let rate = if maker { a.maker_fee } else { a.taker_fee };
    let fee = (qty * price * rate).round_dp(8);
    a.wallet += realized - fee;
    let trade = Trade {
        id: a.new_trade_id(),
        qty,
        price,
        fee,
        realized,
        maker,
    };
    let o = &mut a.orders[i];
    o.executed += qty;
    o.cum_quote += qty * price;
    o.update_time = now;
    o.status = if o.remaining().is_zero() {
        OrderStatus::Filled
    } else {
        OrderStatus::PartiallyFilled
    };
    let o = &a.orders[i];
    fx.events.push(trade_lite(o, &trade, r, now));
    fx.events
        .push(order_update(o, "TRADE", Some(&trade), r, now));
    fx.events.push(account_update(a, &symbol, price, r, now));
    if !a.orders[i].status.is_open() {
        settle_algo(a, i, r, now, fx);
    }
}

fn expire(a: &mut Account, i: usize, r: &SymbolRules, now: i64, fx: &mut Effects) {
    close_order(a, i, OrderStatus::Expired, "EXPIRED", r, now, fx);
}

fn close_order(
    a: &mut Account,
    i: usize,
    status: OrderStatus,
    execution: &str,
    r: &SymbolRules,
    now: i64,
    fx: &mut Effects,
) {
    let o = &mut a.orders[i];
    o.status = status;
    o.update_time = now;
    fx.events
        .push(order_update(&a.orders[i], execution, None, r, now));
    settle_algo(a, i, r, now, fx);
}

/// When the order a triggered algo placed is final, the algo is FINISHED
/// with what it executed (`aq` 0 when nothing filled).
fn settle_algo(a: &mut Account, i: usize, r: &SymbolRules, now: i64, fx: &mut Effects) {
    let (id, executed, avg) = {
        let o = &a.orders[i];
        (o.id, o.executed, o.avg_price())
    };
    if let Some(al) = a
        .algos
        .iter_mut()
        .find(|al| al.status == AlgoStatus::Triggered && al.actual_order_id == Some(id))
    {
        al.status = AlgoStatus::Finished;
        al.actual_qty = executed;
        al.actual_price = avg;
        al.update_time = now;
        fx.events.push(algo_update(al, None, r, now));
    }
}

/// Order `i` of `symbol` chosen by `orderId` or (the latest, open first)
/// `origClientOrderId`.
fn find_order(a: &Account, symbol: &str, p: &Params) -> Result<Option<usize>, ApiError> {
    if let Some(id) = p.u64("orderId")? {
        return Ok(a
            .orders
            .iter()
            .position(|o| o.id == id && o.symbol == symbol));
    }
    let Some(cid) = p.get("origClientOrderId") else {
        return Err(ApiError::new(
            -1102,
            "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
        ));
    };
    let same = |o: &Order| o.client_id == cid && o.symbol == symbol;
    Ok(a.orders
        .iter()
        .rposition(|o| same(o) && o.status.is_open())
        .or_else(|| a.orders.iter().rposition(same)))
}

/// `GET /fapi/v1/order`: any order ever placed, not only open ones.
pub(crate) fn query_order(a: &Account, ctx: &Ctx, p: &Params) -> Result<Done, ApiError> {
    let (symbol, r) = ctx.symbol(p)?;
    let i = find_order(a, &symbol, p)?.ok_or_else(no_such_order)?;
    Ok(Done::body(a.orders[i].json(r)))
}

/// `DELETE /fapi/v1/order`: only an open order can be cancelled.
pub(crate) fn cancel_order(
    a: &mut Account,
    ctx: &Ctx,
    p: &Params,
    fx: &mut Effects,
) -> Result<Done, ApiError> {
    let (symbol, r) = ctx.symbol(p)?;
    let i = find_order(a, &symbol, p)?
        .filter(|&i| a.orders[i].status.is_open())
        .ok_or_else(unknown_order)?;
    close_order(a, i, OrderStatus::Canceled, "CANCELED", r, ctx.now, fx);
    Ok(Done {
        body: a.orders[i].json(r),
        client_id: Some(a.orders[i].client_id.clone()),
    })
}

/// `GET /fapi/v1/openOrders[?symbol]`.
pub(crate) fn open_orders(a: &Account, ctx: &Ctx, p: &Params) -> Result<Done, ApiError> {
    let symbol = ctx.optional_symbol(p)?;
    let list: Vec<Value> = a
        .orders
        .iter()
        .filter(|o| o.status.is_open() && symbol.as_deref().is_none_or(|s| s == o.symbol))
        .filter_map(|o| Some(o.json(ctx.rules.get(&o.symbol)?)))
        .collect();
    Ok(Done::body(Value::Array(list)))
}

/// `DELETE /fapi/v1/allOpenOrders?symbol`: every open regular order of the symbol.
pub(crate) fn cancel_all(
    a: &mut Account,
    ctx: &Ctx,
    p: &Params,
    fx: &mut Effects,
) -> Result<Done, ApiError> {
    let (symbol, r) = ctx.symbol(p)?;
    let open: Vec<usize> = (0..a.orders.len())
        .filter(|&i| a.orders[i].symbol == symbol && a.orders[i].status.is_open())
        .collect();
    for i in open {
        close_order(a, i, OrderStatus::Canceled, "CANCELED", r, ctx.now, fx);
    }
    Ok(Done::body(json!({"code": 200, "msg": CANCEL_ALL_DONE})))
}

// --------------------------------------------------------------- algo orders

/// `POST /fapi/v1/algoOrder` (algoType CONDITIONAL).
pub(crate) fn new_algo(
    a: &mut Account,
    ctx: &Ctx,
    p: &Params,
    fx: &mut Effects,
) -> Result<Done, ApiError> {
    if p.req("algoType")? != "CONDITIONAL" {
        return Err(ApiError::invalid("algoType"));
    }
    let (symbol, r) = ctx.symbol(p)?;
    let side = side(p)?;
    // Trailing stops are not modelled.
    let order_type = match p.req("type")? {
        t @ ("STOP_MARKET" | "TAKE_PROFIT_MARKET" | "STOP" | "TAKE_PROFIT") => t.to_string(),
        _ => return Err(ApiError::new(-1116, "Invalid orderType.")),
    };
    let sent_id = sent_client_id(p, "clientAlgoId")?;
    if let Some(id) = &sent_id
        && a.algos
            .iter()
            .any(|al| &al.client_id == id && al.status == AlgoStatus::New)
    {
        return Err(ApiError::new(-4116, "Duplicate clientOrderId."));
    }
    let trigger = check_price(p.req_decimal("triggerPrice")?, r)?;
    let close_position = p.flag("closePosition")?;
    let reduce_only = p.flag("reduceOnly")?;
    let qty = if close_position {
        if p.get("quantity").is_some() {
            return Err(ApiError::not_required("quantity"));
        }
        if reduce_only {
            return Err(ApiError::not_required("reduceOnly"));
        }
        None
    } else {
        Some(check_qty(p.req_decimal("quantity")?, r, r.max_qty)?)
    };
    let price = if order_type.ends_with("_MARKET") {
        if p.get("price").is_some() {
            return Err(ApiError::not_required("price"));
        }
        None
    } else {
        Some(check_price(p.req_decimal("price")?, r)?)
    };
    let working_type = match p.get("workingType") {
        None => "CONTRACT_PRICE",
        Some(w @ ("MARK_PRICE" | "CONTRACT_PRICE")) => w,
        Some(_) => return Err(ApiError::invalid("workingType")),
    };
    let open = a
        .algos
        .iter()
        .filter(|al| al.symbol == symbol && al.status == AlgoStatus::New)
        .count();
    if open >= r.max_algo_orders {
        return Err(ApiError::new(-4045, "Reach max stop order limit."));
    }
    let id = a.new_algo_id();
    let algo = Algo {
        id,
        client_id: sent_id.unwrap_or_else(|| format!("fakealgo{id}")),
        symbol: symbol.clone(),
        side,
        order_type,
        qty,
        trigger,
        price,
        close_position,
        reduce_only,
        working_type: working_type.to_string(),
        status: AlgoStatus::New,
        actual_order_id: None,
        actual_qty: Decimal::ZERO,
        actual_price: Decimal::ZERO,
        create_time: ctx.now,
        update_time: ctx.now,
        trigger_time: 0,
        placed_idx: ctx.idx(&symbol),
    };
    if algo.fires_at(ctx.mark(&symbol)) {
        return Err(ApiError::new(-2021, "Order would immediately trigger."));
    }
    fx.events.push(algo_update(&algo, None, r, ctx.now));
    let body = algo.json(r, AlgoShape::New);
    let client_id = algo.client_id.clone();
    a.algos.push(algo);
    Ok(Done {
        body,
        client_id: Some(client_id),
    })
}

/// The algo order chosen by `algoId` or (the latest, open first) `clientAlgoId`.
fn find_algo(a: &Account, p: &Params) -> Result<Option<usize>, ApiError> {
    if let Some(id) = p.u64("algoId")? {
        return Ok(a.algos.iter().position(|al| al.id == id));
    }
    let Some(cid) = p.get("clientAlgoId") else {
        return Err(ApiError::new(
            -1102,
            "Param 'clientAlgoId' or 'algoId' must be sent, but both were empty/null!",
        ));
    };
    let same = |al: &Algo| al.client_id == cid;
    Ok(a.algos
        .iter()
        .rposition(|al| same(al) && al.status == AlgoStatus::New)
        .or_else(|| a.algos.iter().rposition(same)))
}

/// `GET /fapi/v1/algoOrder`.
pub(crate) fn query_algo(a: &Account, ctx: &Ctx, p: &Params) -> Result<Done, ApiError> {
    let i = find_algo(a, p)?.ok_or_else(no_such_order)?;
    let al = &a.algos[i];
    let r = ctx
        .rules
        .get(&al.symbol)
        .ok_or_else(ApiError::invalid_symbol)?;
    Ok(Done::body(al.json(r, AlgoShape::Query)))
}

/// `DELETE /fapi/v1/algoOrder`: only an untriggered algo order can be cancelled.
pub(crate) fn cancel_algo(
    a: &mut Account,
    ctx: &Ctx,
    p: &Params,
    fx: &mut Effects,
) -> Result<Done, ApiError> {
    let i = find_algo(a, p)?
        .filter(|&i| a.algos[i].status == AlgoStatus::New)
        .ok_or_else(unknown_order)?;
    let r = ctx
        .rules
        .get(&a.algos[i].symbol)
        .ok_or_else(ApiError::invalid_symbol)?;
    let al = &mut a.algos[i];
    al.status = AlgoStatus::Canceled;
    al.update_time = ctx.now;
    fx.events.push(algo_update(al, None, r, ctx.now));
    // As recorded: `code` is a string here.
    Ok(Done {
        body: json!({"algoId": al.id, "clientAlgoId": al.client_id, "code": "200", "msg": "success"}),
        client_id: Some(al.client_id.clone()),
    })
}

/// `GET /fapi/v1/openAlgoOrders[?symbol]`: untriggered algo orders.
pub(crate) fn open_algos(a: &Account, ctx: &Ctx, p: &Params) -> Result<Done, ApiError> {
    let symbol = ctx.optional_symbol(p)?;
    let list: Vec<Value> = a
        .algos
        .iter()
        .filter(|al| {
            al.status == AlgoStatus::New && symbol.as_deref().is_none_or(|s| s == al.symbol)
        })
        .filter_map(|al| Some(al.json(ctx.rules.get(&al.symbol)?, AlgoShape::Open)))
        .collect();
    Ok(Done::body(Value::Array(list)))
}

/// `DELETE /fapi/v1/algoOpenOrders?symbol`.
pub(crate) fn cancel_all_algos(
    a: &mut Account,
    ctx: &Ctx,
    p: &Params,
    fx: &mut Effects,
) -> Result<Done, ApiError> {
    let (symbol, r) = ctx.symbol(p)?;
    for al in a
        .algos
        .iter_mut()
        .filter(|al| al.symbol == symbol && al.status == AlgoStatus::New)
    {
        al.status = AlgoStatus::Canceled;
        al.update_time = ctx.now;
        fx.events.push(algo_update(al, None, r, ctx.now));
    }
    Ok(Done::body(json!({"code": 200, "msg": CANCEL_ALL_DONE})))
}

// ------------------------------------------------------------ the price path

/// Bar `idx` of `symbol` has become current: resting limits whose price the
/// bar reached fill (maker, at their price, at most a tenth of the bar's
/// volume per bar), then algo orders whose trigger its close crossed fire.
pub(crate) fn on_step(
    a: &mut Account,
    symbol: &str,
    idx: usize,
    bar: &Bar,
    r: &SymbolRules,
    now: i64,
    fx: &mut Effects,
) {
    let resting: Vec<usize> = (0..a.orders.len())
        .filter(|&i| {
            let o = &a.orders[i];
            o.symbol == symbol
                && o.status.is_open()
                && o.order_type == "LIMIT"
                && o.placed_idx < idx
        })
        .collect();
    let cap = ((bar.volume / Decimal::TEN / r.step).floor() * r.step).max(r.step);
    for i in resting {
        let o = &a.orders[i];
        let reached = match o.side {
            Side::Buy => bar.low <= o.price,
            Side::Sell => bar.high >= o.price,
        };
        if !reached {
            continue;
        }
        let (side, price, reduce_only) = (o.side, o.price, o.reduce_only);
        let mut qty = o.remaining().min(cap);
        if reduce_only {
            // A reduce-only order never grows or flips the position.
            let pos = a.position_amt(symbol);
            qty = if opposes(pos, side) {
                qty.min(pos.abs())
            } else {
                Decimal::ZERO
            };
            if qty.is_zero() {
                expire(a, i, r, now, fx);
                continue;
            }
        }
        fill(a, i, qty, price, true, r, now, fx);
    }
    let firing: Vec<usize> = (0..a.algos.len())
        .filter(|&j| {
            let al = &a.algos[j];
            al.symbol == symbol
                && al.status == AlgoStatus::New
                && al.placed_idx < idx
                && al.fires_at(bar.close)
        })
        .collect();
    for j in firing {
        trigger(a, j, bar.close, idx, r, now, fx);
    }
}

/// An algo order fires: TRIGGERING, then its order is placed (TRIGGERED with
/// `ai`), then the order executes like any other (closePosition: the whole
/// position; reduce-only: at most the position, never a flip). With nothing
/// to close, the order expires and the algo finishes with `aq` 0.
fn trigger(
    a: &mut Account,
    j: usize,
    mark: Decimal,
    idx: usize,
    r: &SymbolRules,
    now: i64,
    fx: &mut Effects,
) {
    {
        let al = &mut a.algos[j];
        al.status = AlgoStatus::Triggering;
        al.trigger_time = now;
        al.update_time = now;
    }
    fx.events.push(algo_update(&a.algos[j], None, r, now));
    let al = a.algos[j].clone();
    let pos = a.position_amt(&al.symbol);
    let reducing = al.close_position || al.reduce_only;
    let qty = match (reducing, opposes(pos, al.side)) {
        (false, _) => al.qty.unwrap_or_default(),
        (true, false) => Decimal::ZERO,
        (true, true) => al.qty.map_or(pos.abs(), |q| q.min(pos.abs())),
    };
    let id = a.new_order_id();
    a.orders.push(Order {
        id,
        client_id: al.client_id.clone(),
        symbol: al.symbol.clone(),
        side: al.side,
        order_type: al.actual_type(),
        orig_type: al.order_type.clone(),
        tif: "GTC".to_string(),
        qty,
        price: al.price.unwrap_or_default(),
        stop_price: al.trigger,
        reduce_only: reducing,
        close_position: al.close_position,
        status: OrderStatus::New,
        executed: Decimal::ZERO,
        cum_quote: Decimal::ZERO,
        time: now,
        update_time: now,
        placed_idx: idx,
    });
    let i = a.orders.len() - 1;
    {
        let al = &mut a.algos[j];
        al.status = AlgoStatus::Triggered;
        al.actual_order_id = Some(id);
    }
    fx.events.push(algo_update(&a.algos[j], None, r, now));
    fx.log.push(OrderLogEntry {
        wall: std::time::Instant::now(),
        at_ms: now,
        endpoint: "TRIGGER".to_string(),
        client_id: al.client_id.clone(),
        symbol: al.symbol.clone(),
        side: al.side.as_str().to_string(),
        order_type: al.order_type.clone(),
        qty: Some(qty),
        trigger: Some(al.trigger),
        reduce_only: al.reduce_only,
        close_position: al.close_position,
        outcome: if qty.is_zero() {
            Outcome::Rejected {
                code: 0,
                msg: "expired: no position to reduce".to_string(),
            }
        } else {
            Outcome::Accepted
        },
    });
    if qty.is_zero() {
        expire(a, i, r, now, fx);
        return;
    }
    fx.events
        .push(order_update(&a.orders[i], "NEW", None, r, now));
    match_on_entry(a, i, mark, r, now, fx);
}
