//! The account: wallet, one-way positions, every order and algo order ever
//! placed, and the REST views of them (positionRisk v3, account v3).
//! How orders are placed, matched and triggered is in `orders.rs`.

use std::collections::{BTreeMap, HashMap, HashSet};

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::FakeConfig;
use super::rules::{Rules, SymbolRules, money, plain};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Buy,
    Sell,
}

impl Side {
    pub fn parse(s: &str) -> Option<Side> {
        match s {
            "BUY" => Some(Side::Buy),
            "SELL" => Some(Side::Sell),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        }
    }

    /// +1 for a buy, −1 for a sell: the sign of its effect on the position.
    pub fn sign(self) -> Decimal {
        match self {
            Side::Buy => Decimal::ONE,
            Side::Sell => Decimal::NEGATIVE_ONE,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OrderStatus {
    New,
    PartiallyFilled,
    Filled,
    Canceled,
    Expired,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::New => "NEW",
            OrderStatus::PartiallyFilled => "PARTIALLY_FILLED",
            OrderStatus::Filled => "FILLED",
            OrderStatus::Canceled => "CANCELED",
            OrderStatus::Expired => "EXPIRED",
        }
    }

    pub fn is_open(self) -> bool {
        matches!(self, OrderStatus::New | OrderStatus::PartiallyFilled)
    }
}

/// A regular order (MARKET or LIMIT), including those an algo order placed.
#[derive(Debug, Clone)]
pub(crate) struct Order {
    pub id: u64,
    pub client_id: String,
    pub symbol: String,
    pub side: Side,
    /// `MARKET` or `LIMIT`.
    pub order_type: &'static str,
    /// The type asked for: the algo's type for an order it placed.
    pub orig_type: String,
    pub tif: String,
    pub qty: Decimal,
    /// Zero for a market order.
    pub price: Decimal,
    /// The trigger of the algo order that placed it, else zero.
    pub stop_price: Decimal,
    pub reduce_only: bool,
    pub close_position: bool,
    pub status: OrderStatus,
    pub executed: Decimal,
    pub cum_quote: Decimal,
    pub time: i64,
    pub update_time: i64,
    /// The 1m bar current when it was placed: only later bars can fill it.
    pub placed_idx: usize,
}

impl Order {
    pub fn avg_price(&self) -> Decimal {
        if self.executed.is_zero() {
            Decimal::ZERO
        } else {
            self.cum_quote / self.executed
        }
    }

    pub fn remaining(&self) -> Decimal {
        self.qty - self.executed
    }

    /// The REST shape, the union of the recorded order answers (new, query,
    /// cancel, open orders, ccxt's real captures). `activatePrice` and
    /// `priceRate` exist only for trailing stops, which the fake never has.
    pub fn json(&self, r: &SymbolRules) -> Value {
        json!({
            "orderId": self.id,
            "symbol": self.symbol,
            "status": self.status.as_str(),
            "clientOrderId": self.client_id,
            "price": r.price(self.price),
            "avgPrice": plain(self.avg_price()),
            "origQty": r.qty(self.qty),
            "executedQty": r.qty(self.executed),
            "cumQty": r.qty(self.executed),
            "cumQuote": money(self.cum_quote),
            "timeInForce": self.tif,
            "type": self.order_type,
            "reduceOnly": self.reduce_only,
            "closePosition": self.close_position,
            "side": self.side.as_str(),
            "positionSide": "BOTH",
            "stopPrice": r.price(self.stop_price),
            "workingType": "CONTRACT_PRICE",
            "priceProtect": false,
            "origType": self.orig_type,
            "priceMatch": "NONE",
            "selfTradePreventionMode": "NONE",
            "goodTillDate": 0,
            "time": self.time,
            "updateTime": self.update_time,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AlgoStatus {
    New,
    Triggering,
    Triggered,
    Finished,
    Canceled,
    Expired,
}

impl AlgoStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AlgoStatus::New => "NEW",
            AlgoStatus::Triggering => "TRIGGERING",
            AlgoStatus::Triggered => "TRIGGERED",
            AlgoStatus::Finished => "FINISHED",
            AlgoStatus::Canceled => "CANCELED",
            AlgoStatus::Expired => "EXPIRED",
        }
    }
}

/// A conditional order of the Algo Service.
#[derive(Debug, Clone)]
pub(crate) struct Algo {
    pub id: u64,
    pub client_id: String,
    pub symbol: String,
    pub side: Side,
    /// STOP_MARKET, TAKE_PROFIT_MARKET, STOP or TAKE_PROFIT.
    pub order_type: String,
    /// None with closePosition.
    pub qty: Option<Decimal>,
    pub trigger: Decimal,
    /// The limit price of STOP / TAKE_PROFIT.
    pub price: Option<Decimal>,
    pub close_position: bool,
    pub reduce_only: bool,
    pub working_type: String,
    pub status: AlgoStatus,
    /// The order it placed when triggered.
    pub actual_order_id: Option<u64>,
    pub actual_qty: Decimal,
    pub actual_price: Decimal,
    pub create_time: i64,
    pub update_time: i64,
    pub trigger_time: i64,
    pub placed_idx: usize,
}

/// The market (or limit) order type an algo places when it triggers.
impl Algo {
    pub fn actual_type(&self) -> &'static str {
        if self.price.is_some() {
            "LIMIT"
        } else {
            "MARKET"
        }
    }

    /// Whether `mark` fires it: stops fire on the way against the position
    /// (a sell stop at or below), take-profits on the way for it.
    pub fn fires_at(&self, mark: Decimal) -> bool {
        let is_stop = self.order_type.starts_with("STOP");
        match (is_stop, self.side) {
            (true, Side::Sell) | (false, Side::Buy) => mark <= self.trigger,
            (true, Side::Buy) | (false, Side::Sell) => mark >= self.trigger,
        }
    }

    /// The REST shape. `Query` adds the fields of `GET /fapi/v1/algoOrder`,
    /// `Open` those of `GET /fapi/v1/openAlgoOrders`, `New` those of the
    /// new-order answer; each is exactly its recorded example's key set.
    pub fn json(&self, r: &SymbolRules, shape: AlgoShape) -> Value {
        let actual_id = self
            .actual_order_id
            .map_or(String::new(), |id| id.to_string());
        let mut v = json!({
            "algoId": self.id,
            "clientAlgoId": self.client_id,
            "algoType": "CONDITIONAL",
            "orderType": self.order_type,
            "symbol": self.symbol,
            "side": self.side.as_str(),
            "positionSide": "BOTH",
            "timeInForce": "GTC",
            "quantity": r.qty(self.qty.unwrap_or_default()),
            "algoStatus": self.status.as_str(),
            "triggerPrice": r.price(self.trigger),
            "price": r.price(self.price.unwrap_or_default()),
            "icebergQuantity": null,
            "selfTradePreventionMode": "EXPIRE_MAKER",
            "workingType": self.working_type,
            "priceMatch": "NONE",
            "closePosition": self.close_position,
            "priceProtect": false,
            "reduceOnly": self.reduce_only,
            "createTime": self.create_time,
            "updateTime": self.update_time,
            "triggerTime": self.trigger_time,
            "goodTillDate": 0,
        });
        let extra = match shape {
            AlgoShape::New => json!({"activatePrice": "", "callbackRate": ""}),
            AlgoShape::Query => json!({
                "actualOrderId": actual_id,
                "actualPrice": plain(self.actual_price),
                "actualType": self.actual_type(),
                "actualQty": r.qty(self.actual_qty),
                "tpOrderType": "",
            }),
            AlgoShape::Open => json!({
                "actualOrderId": actual_id,
                "actualPrice": plain(self.actual_price),
                "tpTriggerPrice": "0.000",
                "tpPrice": "0.000",
                "slTriggerPrice": "0.000",
                "slPrice": "0.000",
                "tpOrderType": "",
            }),
        };
        if let (Some(v), Value::Object(extra)) = (v.as_object_mut(), extra) {
            v.extend(extra);
        }
        v
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AlgoShape {
    New,
    Query,
    Open,
}

/// An open algo order as a test sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenAlgo {
    pub client_algo_id: String,
    pub order_type: String,
    pub side: String,
    pub trigger_price: Decimal,
    pub close_position: bool,
    pub quantity: Option<Decimal>,
    pub reduce_only: bool,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Position {
    /// Signed: negative for a short.
    pub amt: Decimal,
    pub entry: Decimal,
    /// Realised PnL accumulated on this symbol (ACCOUNT_UPDATE `cr`).
    pub realized: Decimal,
    pub update_time: i64,
}

/// Binance's ids exceed 2^53; so do the fake's, to catch a float on the way.
const FIRST_ORDER_ID: u64 = (1 << 53) + 1_000_001;
const FIRST_ALGO_ID: u64 = 1_000_000_033_225_453;
const FIRST_TRADE_ID: u64 = 5_000_000_001;
const DEFAULT_LEVERAGE: u32 = 20;
/// Maintenance margin rate of the first bracket, for the views only.
const MAINT_RATE: Decimal = Decimal::from_parts(4, 0, 0, false, 3);

pub(crate) struct Account {
    pub wallet: Decimal,
    pub dual: bool,
    pub taker_fee: Decimal,
    pub maker_fee: Decimal,
    pub positions: BTreeMap<String, Position>,
    pub leverage: HashMap<String, u32>,
    pub isolated: HashSet<String>,
    pub orders: Vec<Order>,
    pub algos: Vec<Algo>,
    /// `GET /fapi/v1/income`: the funding fees settled, oldest first.
    pub income: Vec<super::settlement::IncomeRow>,
    next_order_id: u64,
    next_algo_id: u64,
    next_trade_id: u64,
}

impl Account {
    pub fn new(c: &FakeConfig) -> Account {
        Account {
            wallet: c.wallet,
            dual: c.dual_side_position,
            taker_fee: c.taker_fee,
            maker_fee: c.maker_fee,
            positions: BTreeMap::new(),
            leverage: HashMap::new(),
            isolated: HashSet::new(),
            orders: Vec::new(),
            algos: Vec::new(),
            income: Vec::new(),
            next_order_id: FIRST_ORDER_ID,
            next_algo_id: FIRST_ALGO_ID,
            next_trade_id: FIRST_TRADE_ID,
        }
    }

    pub fn new_order_id(&mut self) -> u64 {
        self.next_order_id += 1;
        self.next_order_id
    }

    pub fn new_algo_id(&mut self) -> u64 {
        self.next_algo_id += 1;
        self.next_algo_id
    }

    pub fn new_trade_id(&mut self) -> u64 {
        self.next_trade_id += 1;
        self.next_trade_id
    }

    pub fn leverage(&self, symbol: &str) -> u32 {
        self.leverage
            .get(symbol)
            .copied()
            .unwrap_or(DEFAULT_LEVERAGE)
    }

    pub fn position_amt(&self, symbol: &str) -> Decimal {
        self.positions.get(symbol).map_or(Decimal::ZERO, |p| p.amt)
    }

    pub fn entry_price(&self, symbol: &str) -> Decimal {
        self.positions
            .get(symbol)
            .map_or(Decimal::ZERO, |p| p.entry)
    }

    pub fn set_position(&mut self, symbol: &str, amt: Decimal, entry: Decimal, now: i64) {
        let p = self.positions.entry(symbol.to_string()).or_default();
        p.amt = amt;
        p.entry = if amt.is_zero() { Decimal::ZERO } else { entry };
        p.update_time = now;
    }

    /// Books a fill of `signed` (bought > 0, sold < 0) at `price` into the
    /// one-way position; returns the realised PnL (before fees).
    pub fn apply_fill(
        &mut self,
        symbol: &str,
        signed: Decimal,
        price: Decimal,
        now: i64,
    ) -> Decimal {
        let p = self.positions.entry(symbol.to_string()).or_default();
        p.update_time = now;
        let old = p.amt;
        if old.is_zero() || old.is_sign_negative() == signed.is_sign_negative() {
            // Opening or adding: the entry becomes the size-weighted average.
            let total = old.abs() + signed.abs();
            p.entry = ((old.abs() * p.entry + signed.abs() * price) / total).round_dp(8);
            p.amt = old + signed;
            return Decimal::ZERO;
        }
        let closing = signed.abs().min(old.abs());
        let direction = if old.is_sign_negative() {
            Decimal::NEGATIVE_ONE
        } else {
            Decimal::ONE
        };
        let realized = (closing * (price - p.entry) * direction).round_dp(8);
        p.realized += realized;
        p.amt = old + signed;
        if p.amt.is_zero() {
            p.entry = Decimal::ZERO;
        } else if p.amt.is_sign_negative() != old.is_sign_negative() {
            // Flipped: what is left was opened at this price.
            p.entry = price;
        }
        realized
    }

    pub fn unrealized(&self, symbol: &str, mark: Decimal) -> Decimal {
        self.positions
            .get(symbol)
            .map_or(Decimal::ZERO, |p| (p.amt * (mark - p.entry)).round_dp(8))
    }

    fn total_unrealized(&self, marks: &HashMap<String, Decimal>) -> Decimal {
        marks.iter().map(|(s, m)| self.unrealized(s, *m)).sum()
    }

    fn position_margin(&self, marks: &HashMap<String, Decimal>) -> Decimal {
        self.positions
            .iter()
            .map(|(s, p)| {
                let mark = marks.get(s).copied().unwrap_or(p.entry);
                p.amt.abs() * mark / Decimal::from(self.leverage(s))
            })
            .sum()
    }

    /// Margin held by resting orders that could add to a position.
    fn open_order_margin(&self) -> Decimal {
        self.orders
            .iter()
            .filter(|o| o.status.is_open() && !o.reduce_only)
            .map(|o| o.remaining() * o.price / Decimal::from(self.leverage(&o.symbol)))
            .sum()
    }

    /// Cross-margin balance free for new orders.
    pub fn available(&self, marks: &HashMap<String, Decimal>) -> Decimal {
        (self.wallet + self.total_unrealized(marks)
            - self.position_margin(marks)
            - self.open_order_margin())
        .round_dp(8)
    }

    /// `GET /fapi/v3/positionRisk`: one row per open position (`[]` when
    /// flat), shaped as the v3 example and ccxt's real capture.
    pub fn position_risk(
        &self,
        symbol: Option<&str>,
        marks: &HashMap<String, Decimal>,
        rules: &Rules,
    ) -> Vec<Value> {
        self.positions
            .iter()
            .filter(|(s, p)| !p.amt.is_zero() && symbol.is_none_or(|want| want == s.as_str()))
            .filter_map(|(s, p)| {
                let r = rules.get(s)?;
                let mark = marks.get(s).copied().unwrap_or(p.entry);
                let notional = p.amt * mark;
                let initial = notional.abs() / Decimal::from(self.leverage(s));
                Some(json!({
                    "symbol": s,
                    "positionSide": "BOTH",
                    "positionAmt": r.qty(p.amt),
                    "entryPrice": plain(p.entry),
                    "breakEvenPrice": plain(self.break_even(p)),
                    "markPrice": money(mark),
                    "unRealizedProfit": money(self.unrealized(s, mark)),
                    // The fake never liquidates.
                    "liquidationPrice": "0",
                    "isolatedMargin": "0",
                    "notional": money(notional),
                    "marginAsset": "USDT",
                    "isolatedWallet": "0",
                    "initialMargin": money(initial),
                    "maintMargin": money(notional.abs() * MAINT_RATE),
                    "positionInitialMargin": money(initial),
                    "openOrderInitialMargin": "0",
                    "adl": 0,
                    "bidNotional": "0",
                    "askNotional": "0",
                    "updateTime": p.update_time,
                }))
            })
            .collect()
    }

    /// The entry moved by the taker fee of closing (approximation).
    pub fn break_even(&self, p: &Position) -> Decimal {
        if p.amt.is_sign_negative() {
            p.entry * (Decimal::ONE - self.taker_fee)
        } else {
            p.entry * (Decimal::ONE + self.taker_fee)
        }
    }

    /// `GET /fapi/v3/account`, shaped as the v3 example: one USDT asset.
    pub fn account_json(&self, marks: &HashMap<String, Decimal>, rules: &Rules, now: i64) -> Value {
        let unrealized = self.total_unrealized(marks);
        let position_margin = self.position_margin(marks);
        let order_margin = self.open_order_margin();
        let maint: Decimal = self
            .positions
            .iter()
            .map(|(s, p)| p.amt.abs() * marks.get(s).copied().unwrap_or(p.entry) * MAINT_RATE)
            .sum();
        let available = self.available(marks).max(Decimal::ZERO);
        let margin_balance = self.wallet + unrealized;
        let positions: Vec<Value> = self
            .positions
            .iter()
            .filter(|(_, p)| !p.amt.is_zero())
            .filter_map(|(s, p)| {
                let r = rules.get(s)?;
                let mark = marks.get(s).copied().unwrap_or(p.entry);
                let notional = p.amt * mark;
                let initial = notional.abs() / Decimal::from(self.leverage(s));
                Some(json!({
                    "symbol": s,
                    "positionSide": "BOTH",
                    "positionAmt": r.qty(p.amt),
                    "unrealizedProfit": money(self.unrealized(s, mark)),
                    "isolatedMargin": "0",
                    "notional": money(notional),
                    "isolatedWallet": "0",
                    "initialMargin": money(initial),
                    "maintMargin": money(notional.abs() * MAINT_RATE),
                    "updateTime": p.update_time,
                }))
            })
            .collect();
        let initial = position_margin + order_margin;
        json!({
            "totalInitialMargin": money(initial),
            "totalMaintMargin": money(maint),
            "totalWalletBalance": money(self.wallet),
            "totalUnrealizedProfit": money(unrealized),
            "totalMarginBalance": money(margin_balance),
            "totalPositionInitialMargin": money(position_margin),
            "totalOpenOrderInitialMargin": money(order_margin),
            "totalCrossWalletBalance": money(self.wallet),
            "totalCrossUnPnl": money(unrealized),
            "availableBalance": money(available),
            "maxWithdrawAmount": money(available.min(self.wallet)),
            "assets": [{
                "asset": "USDT",
                "walletBalance": money(self.wallet),
                "unrealizedProfit": money(unrealized),
                "marginBalance": money(margin_balance),
                "maintMargin": money(maint),
                "initialMargin": money(initial),
                "positionInitialMargin": money(position_margin),
                "openOrderInitialMargin": money(order_margin),
                "crossWalletBalance": money(self.wallet),
                "crossUnPnl": money(unrealized),
                "availableBalance": money(available),
                "maxWithdrawAmount": money(available.min(self.wallet)),
                "updateTime": now,
            }],
            "positions": positions,
        })
    }

    pub fn open_order_ids(&self, symbol: &str) -> Vec<String> {
        self.orders
            .iter()
            .filter(|o| o.symbol == symbol && o.status.is_open())
            .map(|o| o.client_id.clone())
            .collect()
    }

    pub fn open_algos(&self, symbol: &str) -> Vec<OpenAlgo> {
        self.algos
            .iter()
            .filter(|a| a.symbol == symbol && a.status == AlgoStatus::New)
            .map(|a| OpenAlgo {
                client_algo_id: a.client_id.clone(),
                order_type: a.order_type.clone(),
                side: a.side.as_str().to_string(),
                trigger_price: a.trigger,
                close_position: a.close_position,
                quantity: a.qty,
                reduce_only: a.reduce_only,
            })
            .collect()
    }
}
