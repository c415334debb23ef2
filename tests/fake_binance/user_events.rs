//! User-data stream events in the recorded shapes (`fixtures/user_data/`):
//! ORDER_TRADE_UPDATE, TRADE_LITE, ACCOUNT_UPDATE, ALGO_UPDATE and
//! listenKeyExpired.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::account::{Account, Algo, AlgoStatus, Order};
use super::rules::{SymbolRules, money, plain};

/// One execution of an order.
#[derive(Debug, Clone)]
pub(crate) struct Trade {
    pub id: u64,
    pub qty: Decimal,
    pub price: Decimal,
    pub fee: Decimal,
    pub realized: Decimal,
    pub maker: bool,
}

/// ORDER_TRADE_UPDATE; `execution` is `x` (NEW, TRADE, CANCELED, EXPIRED).
/// The shape is the newest recorded one (with `gtd` and `W`); fee fields are
/// `null` when nothing traded, as in those recordings.
pub(crate) fn order_update(
    o: &Order,
    execution: &str,
    trade: Option<&Trade>,
    r: &SymbolRules,
    now: i64,
) -> Value {
    json!({
        "e": "ORDER_TRADE_UPDATE",
        "E": now,
        "T": now,
        "o": {
            "s": o.symbol,
            "c": o.client_id,
            "S": o.side.as_str(),
            "o": o.order_type,
            "f": o.tif,
            "q": r.qty(o.qty),
            "p": r.price(o.price),
            "ap": plain(o.avg_price()),
            "sp": r.price(o.stop_price),
            "x": execution,
            "X": o.status.as_str(),
            "i": o.id,
            "l": r.qty(trade.map_or(Decimal::ZERO, |t| t.qty)),
            "z": r.qty(o.executed),
            "L": r.price(trade.map_or(Decimal::ZERO, |t| t.price)),
            "N": trade.map(|_| "USDT"),
            "n": trade.map(|t| money(t.fee)),
            "T": now,
            "t": trade.map_or(0, |t| t.id),
            "b": "0",
            "a": "0",
            "m": trade.is_some_and(|t| t.maker),
            "R": o.reduce_only,
            "wt": "CONTRACT_PRICE",
            "ot": o.orig_type,
            "ps": "BOTH",
            "cp": o.close_position,
            "AP": "0",
            "cr": "0",
            "pP": false,
            "si": 0,
            "ss": 0,
            "rp": money(trade.map_or(Decimal::ZERO, |t| t.realized)),
            "gtd": 0,
            "W": o.time,
            "V": "EXPIRE_MAKER",
        }
    })
}

/// TRADE_LITE: the fast, fee-less notice of a fill.
pub(crate) fn trade_lite(o: &Order, t: &Trade, r: &SymbolRules, now: i64) -> Value {
    json!({
        "e": "TRADE_LITE",
        "E": now,
        "T": now,
        "s": o.symbol,
        "q": r.qty(o.qty),
        "p": r.price(o.price),
        "m": t.maker,
        "c": o.client_id,
        "S": o.side.as_str(),
        "L": r.price(t.price),
        "l": r.qty(t.qty),
        "t": t.id,
        "i": o.id,
    })
}

/// ACCOUNT_UPDATE after a fill: the USDT balance and `symbol`'s position.
pub(crate) fn account_update(
    a: &Account,
    symbol: &str,
    mark: Decimal,
    r: &SymbolRules,
    now: i64,
) -> Value {
    let p = a.positions.get(symbol).cloned().unwrap_or_default();
    json!({
        "e": "ACCOUNT_UPDATE",
        "T": now,
        "E": now,
        "a": {
            "m": "ORDER",
            "B": [{
                "a": "USDT",
                "wb": money(a.wallet),
                "cw": money(a.wallet),
                "bc": "0",
            }],
            "P": [{
                "s": symbol,
                "pa": r.qty(p.amt),
                "ep": plain(p.entry),
                "bep": plain(a.break_even(&p)),
                "cr": money(p.realized),
                "up": money(a.unrealized(symbol, mark)),
                "mt": if a.isolated.contains(symbol) { "isolated" } else { "cross" },
                "iw": "0",
                "ps": "BOTH",
            }],
        }
    })
}

/// ALGO_UPDATE. TRIGGERING carries no `ap`/`aq`/`act`, as recorded; `rm`
/// (the reason) is sent only when there is one.
pub(crate) fn algo_update(a: &Algo, reason: Option<&str>, r: &SymbolRules, now: i64) -> Value {
    let mut o = json!({
        "caid": a.client_id,
        "aid": a.id,
        "at": "CONDITIONAL",
        "o": a.order_type,
        "s": a.symbol,
        "S": a.side.as_str(),
        "ps": "BOTH",
        "f": "GTC",
        "q": r.qty(a.qty.unwrap_or_default()),
        "X": a.status.as_str(),
        "ai": a.actual_order_id.map_or(String::new(), |id| id.to_string()),
        "ap": plain(a.actual_price),
        "aq": r.qty(a.actual_qty),
        "act": if a.actual_order_id.is_some() { a.actual_type() } else { "" },
        "tp": r.price(a.trigger),
        "p": r.price(a.price.unwrap_or_default()),
        "V": "EXPIRE_MAKER",
        "wt": a.working_type,
        "pm": "NONE",
        "cp": a.close_position,
        "pP": false,
        "R": a.reduce_only,
        "tt": a.trigger_time,
        "gtd": 0,
    });
    if let Some(map) = o.as_object_mut() {
        if a.status == AlgoStatus::Triggering {
            for k in ["ap", "aq", "act"] {
                map.remove(k);
            }
        }
        if let Some(reason) = reason {
            map.insert("rm".into(), Value::from(reason));
        }
    }
    json!({"e": "ALGO_UPDATE", "T": now, "E": now, "o": o})
}

/// listenKeyExpired; its `E` is a string, as Binance sends it.
pub(crate) fn listen_key_expired(key: &str, now: i64) -> Value {
    json!({"e": "listenKeyExpired", "E": now.to_string(), "listenKey": key})
}
