//! What the exchange does to a position by itself, on a test's demand:
//! funding settlement (ACCOUNT_UPDATE with reason FUNDING_FEE, recorded in
//! the income history), and closes it forces — a liquidation (client id
//! `autoclose-…`, execution CALCULATED) or an auto-deleveraging
//! (`adl_autoclose`, execution TRADE), in the recorded shapes of
//! `fixtures/user_data/`.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::Effects;
use super::account::{Account, Order, OrderStatus, Side};
use super::log::{OrderLogEntry, Outcome};
use super::rules::{SymbolRules, money};
use super::user_events::{Trade, account_update, order_update};

/// A close the exchange forces on a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForcedClose {
    Liquidation,
    AutoDeleverage,
}

/// One row of `GET /fapi/v1/income`.
#[derive(Debug, Clone)]
pub(crate) struct IncomeRow {
    pub symbol: String,
    pub income_type: &'static str,
    pub income: Decimal,
    pub time: i64,
    pub tran_id: u64,
}

impl IncomeRow {
    pub fn json(&self) -> Value {
        json!({
            "symbol": self.symbol,
            "incomeType": self.income_type,
            "income": money(self.income),
            "asset": "USDT",
            "info": self.income_type,
            "time": self.time,
            "tranId": self.tran_id,
            "tradeId": "",
        })
    }
}

/// Funding at `rate` on `symbol`'s position at price `mark`: a long pays a
/// positive rate, a short receives it. Returns the wallet's change
/// (negative when paid). As Binance documents it, the event of a cross
/// position carries the balance only; that of an isolated position also
/// its one position row.
pub(crate) fn settle_funding(
    a: &mut Account,
    symbol: &str,
    rate: Decimal,
    mark: Decimal,
    r: &SymbolRules,
    now: i64,
    fx: &mut Effects,
) -> Decimal {
    let amt = a.position_amt(symbol);
    if amt.is_zero() {
        return Decimal::ZERO;
    }
    let change = (-amt * mark * rate).round_dp(8);
    a.wallet += change;
    let tran_id = a.new_trade_id();
    a.income.push(IncomeRow {
        symbol: symbol.to_string(),
        income_type: "FUNDING_FEE",
        income: change,
        time: now,
        tran_id,
    });
    let mut event = account_update(a, symbol, mark, r, now);
    event["a"]["m"] = json!("FUNDING_FEE");
    event["a"]["B"][0]["bc"] = json!(money(change));
    if !a.isolated.contains(symbol) {
        event["a"]["P"] = json!([]);
    }
    fx.events.push(event);
    change
}

/// Closes `symbol`'s whole position at `mark` the way Binance's own
/// liquidation or ADL engine does.
pub(crate) fn force_close(
    a: &mut Account,
    symbol: &str,
    kind: ForcedClose,
    mark: Decimal,
    r: &SymbolRules,
    now: i64,
    fx: &mut Effects,
) {
    let amt = a.position_amt(symbol);
    if amt.is_zero() {
        return;
    }
    let side = if amt.is_sign_positive() {
        Side::Sell
    } else {
        Side::Buy
    };
    let qty = amt.abs();
    let id = a.new_order_id();
    let (client_id, order_type, tif, execution) = match kind {
        ForcedClose::Liquidation => (format!("autoclose-{id}"), "LIMIT", "IOC", "CALCULATED"),
        // Binance reuses this id for every ADL order.
        ForcedClose::AutoDeleverage => ("adl_autoclose".to_string(), "MARKET", "GTC", "TRADE"),
    };
    let realized = a.apply_fill(symbol, side.sign() * qty, mark, now);
    let fee = (qty * mark * a.taker_fee).round_dp(8);
    a.wallet += realized - fee;
    let trade = Trade {
        id: a.new_trade_id(),
        qty,
        price: mark,
        fee,
        realized,
        maker: false,
    };
    a.orders.push(Order {
        id,
        client_id: client_id.clone(),
        symbol: symbol.to_string(),
        side,
        order_type,
        orig_type: order_type.to_string(),
        tif: tif.to_string(),
        qty,
        price: if order_type == "LIMIT" {
            mark
        } else {
            Decimal::ZERO
        },
        stop_price: Decimal::ZERO,
        reduce_only: true,
        close_position: false,
        status: OrderStatus::Filled,
        executed: qty,
        cum_quote: qty * mark,
        time: now,
        update_time: now,
        placed_idx: 0,
    });
    let o = &a.orders[a.orders.len() - 1];
    fx.events
        .push(order_update(o, execution, Some(&trade), r, now));
    fx.events.push(account_update(a, symbol, mark, r, now));
    fx.log.push(OrderLogEntry {
        wall: std::time::Instant::now(),
        at_ms: now,
        endpoint: match kind {
            ForcedClose::Liquidation => "LIQUIDATION",
            ForcedClose::AutoDeleverage => "ADL",
        }
        .to_string(),
        client_id,
        symbol: symbol.to_string(),
        side: side.as_str().to_string(),
        order_type: order_type.to_string(),
        qty: Some(qty),
        trigger: None,
        reduce_only: true,
        close_position: false,
        outcome: Outcome::Accepted,
    });
}
