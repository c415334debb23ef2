//! User-data stream events (`/private/ws?listenKey=…`): orders, fills,
//! balances and positions, algo (protective) orders, key expiry.

use rust_decimal::Decimal;
use serde::Deserialize;

use super::account::position;
use super::de;
use super::enums::{AlgoStatus, AlgoType, ExecutionType, OrderStatus, OrderType, PositionSide};
use super::frame;
use crate::binance::BinanceError;
use crate::domain::{ClientOrderId, Fill, Leg, Liquidity, OrderState, Position, Price, Qty, Side};

/// One user-data event, chosen by its `e`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserEvent {
    OrderTradeUpdate(OrderTradeUpdate),
    AccountUpdate(AccountUpdate),
    AlgoUpdate(AlgoUpdate),
    TradeLite(TradeLite),
    /// The key expired: the stream is dead until a new key is made.
    ListenKeyExpired(ListenKeyExpired),
    /// An event this version does not read (MARGIN_CALL,
    /// ACCOUNT_CONFIG_UPDATE, …): logged, never an error.
    Other {
        event_type: String,
    },
}

/// Parses a user-data frame, with or without the combined-stream envelope.
/// Garbage is a `Decode` error with an excerpt, never a panic.
pub fn parse_user_event(text: &str) -> Result<UserEvent, BinanceError> {
    let f = frame::open("user-data", text)?;
    Ok(match f.event_type.as_str() {
        "ORDER_TRADE_UPDATE" => UserEvent::OrderTradeUpdate(f.parse()?),
        "ACCOUNT_UPDATE" => UserEvent::AccountUpdate(f.parse()?),
        "ALGO_UPDATE" => UserEvent::AlgoUpdate(f.parse()?),
        "TRADE_LITE" => UserEvent::TradeLite(f.parse()?),
        "listenKeyExpired" => UserEvent::ListenKeyExpired(f.parse()?),
        _ => UserEvent::Other {
            event_type: f.event_type,
        },
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OrderTradeUpdate {
    #[serde(rename = "E", deserialize_with = "de::int")]
    pub event_time_ms: i64,
    #[serde(rename = "T", deserialize_with = "de::int")]
    pub transaction_time_ms: i64,
    #[serde(rename = "o")]
    pub order: OrderUpdate,
}

/// The `o` of an ORDER_TRADE_UPDATE. Several fields are `null` in some
/// recordings (`sp`, `N`, `n`) or absent before a fill: those are options.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OrderUpdate {
    #[serde(rename = "s")]
    pub symbol: String,
    #[serde(rename = "c")]
    pub client_order_id: String,
    #[serde(rename = "S", deserialize_with = "de::side")]
    pub side: Side,
    #[serde(rename = "o")]
    pub order_type: OrderType,
    #[serde(rename = "q", deserialize_with = "de::money")]
    pub orig_qty: Qty,
    #[serde(rename = "p", deserialize_with = "de::money")]
    pub price: Price,
    #[serde(rename = "ap", deserialize_with = "de::money")]
    pub avg_price: Price,
    #[serde(rename = "sp", default, deserialize_with = "de::opt_money")]
    pub stop_price: Option<Price>,
    #[serde(rename = "x")]
    pub execution_type: ExecutionType,
    #[serde(rename = "X")]
    pub status: OrderStatus,
    #[serde(rename = "i", deserialize_with = "de::int")]
    pub order_id: u64,
    /// This event's fill.
    #[serde(rename = "l", deserialize_with = "de::money")]
    pub last_filled_qty: Qty,
    #[serde(rename = "z", deserialize_with = "de::money")]
    pub filled_qty: Qty,
    #[serde(rename = "L", deserialize_with = "de::money")]
    pub last_filled_price: Price,
    #[serde(rename = "N", default)]
    pub commission_asset: Option<String>,
    #[serde(rename = "n", default, deserialize_with = "de::opt_decimal")]
    pub commission: Option<Decimal>,
    #[serde(rename = "T", deserialize_with = "de::int")]
    pub trade_time_ms: i64,
    #[serde(rename = "t", deserialize_with = "de::int")]
    pub trade_id: u64,
    #[serde(rename = "m")]
    pub is_maker: bool,
    #[serde(rename = "R")]
    pub reduce_only: bool,
    #[serde(rename = "ps")]
    pub position_side: PositionSide,
    #[serde(rename = "cp", default)]
    pub close_position: bool,
    #[serde(rename = "rp", default, deserialize_with = "de::opt_decimal")]
    pub realized_profit: Option<Decimal>,
}

impl OrderTradeUpdate {
    pub fn client_id(&self) -> ClientOrderId {
        ClientOrderId(self.order.client_order_id.clone())
    }

    pub fn order_state(&self) -> OrderState {
        self.order.status.order_state(self.order.filled_qty)
    }

    /// The fill this event reports, booked as `leg` (which only our client
    /// order id can tell). `None` when nothing executed. CALCULATED is a
    /// liquidation or ADL execution: it moves the position like a trade.
    /// The same trade may be reported more than once; dedupe on
    /// (`order_id`, `trade_id`). The fee must be in USDT: a fee in BNB cannot
    /// be booked without its price.
    pub fn fill(&self, leg: Leg) -> Result<Option<Fill>, BinanceError> {
        let o = &self.order;
        let is_trade = matches!(
            o.execution_type,
            ExecutionType::Trade | ExecutionType::Calculated
        );
        if !is_trade || o.last_filled_qty.is_zero() {
            return Ok(None);
        }
        let fee = match (o.commission_asset.as_deref(), o.commission) {
            (_, None) => Decimal::ZERO,
            (Some("USDT") | None, Some(fee)) => fee,
            (Some(asset), Some(_)) => {
                return Err(BinanceError::Decode(format!(
                    "fill of {}: commission in {asset}, only USDT fees can be booked; \
                     turn off paying fees in BNB",
                    o.client_order_id
                )));
            }
        };
        let symbol = o
            .symbol
            .parse()
            .map_err(|e| BinanceError::Decode(format!("fill of {}: {e}", o.client_order_id)))?;
        Ok(Some(Fill {
            order_id: self.client_id(),
            symbol,
            side: o.side,
            leg,
            qty: o.last_filled_qty,
            price: o.last_filled_price,
            fee,
            liquidity: if o.is_maker {
                Liquidity::Maker
            } else {
                Liquidity::Taker
            },
            at_ms: o.trade_time_ms,
        }))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AccountUpdate {
    #[serde(rename = "E", deserialize_with = "de::int")]
    pub event_time_ms: i64,
    #[serde(rename = "T", deserialize_with = "de::int")]
    pub transaction_time_ms: i64,
    #[serde(rename = "a")]
    pub account: AccountChange,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AccountChange {
    /// Why: ORDER, FUNDING_FEE, DEPOSIT, …
    #[serde(rename = "m")]
    pub reason: String,
    #[serde(rename = "B", default)]
    pub balances: Vec<BalanceChange>,
    #[serde(rename = "P", default)]
    pub positions: Vec<PositionChange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BalanceChange {
    #[serde(rename = "a")]
    pub asset: String,
    #[serde(rename = "wb", deserialize_with = "de::decimal")]
    pub wallet_balance: Decimal,
    #[serde(rename = "cw", deserialize_with = "de::decimal")]
    pub cross_wallet_balance: Decimal,
    /// The change, excluding PnL and commission.
    #[serde(rename = "bc", default, deserialize_with = "de::opt_decimal")]
    pub balance_change: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PositionChange {
    #[serde(rename = "s")]
    pub symbol: String,
    /// Signed: negative for a short.
    #[serde(rename = "pa", deserialize_with = "de::decimal")]
    pub amount: Decimal,
    #[serde(rename = "ep", deserialize_with = "de::money")]
    pub entry_price: Price,
    #[serde(rename = "up", deserialize_with = "de::decimal")]
    pub unrealized_pnl: Decimal,
    /// `cross` or `isolated`.
    #[serde(rename = "mt")]
    pub margin_type: String,
    #[serde(rename = "ps")]
    pub position_side: PositionSide,
}

impl AccountUpdate {
    /// The positions this event reports, as one-way positions; `None` for a
    /// symbol that is now flat.
    pub fn positions(&self) -> Result<Vec<(String, Option<Position>)>, BinanceError> {
        self.account
            .positions
            .iter()
            .map(|p| {
                position(&p.symbol, p.amount, p.entry_price, self.transaction_time_ms)
                    .map(|pos| (p.symbol.clone(), pos))
            })
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AlgoUpdate {
    #[serde(rename = "E", deserialize_with = "de::int")]
    pub event_time_ms: i64,
    #[serde(rename = "T", deserialize_with = "de::int")]
    pub transaction_time_ms: i64,
    #[serde(rename = "o")]
    pub order: AlgoOrderUpdate,
}

/// The `o` of an ALGO_UPDATE.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AlgoOrderUpdate {
    #[serde(rename = "caid")]
    pub client_algo_id: String,
    #[serde(rename = "aid", deserialize_with = "de::int")]
    pub algo_id: u64,
    #[serde(rename = "at")]
    pub algo_type: AlgoType,
    #[serde(rename = "o")]
    pub order_type: OrderType,
    #[serde(rename = "s")]
    pub symbol: String,
    #[serde(rename = "S", deserialize_with = "de::side")]
    pub side: Side,
    #[serde(rename = "ps")]
    pub position_side: PositionSide,
    #[serde(rename = "q", default, deserialize_with = "de::opt_money")]
    pub quantity: Option<Qty>,
    #[serde(rename = "X")]
    pub status: AlgoStatus,
    /// The order it placed when triggered: `""` before, digits after.
    #[serde(rename = "ai", default, deserialize_with = "de::opt_int")]
    pub actual_order_id: Option<u64>,
    #[serde(rename = "ap", default, deserialize_with = "de::opt_money")]
    pub avg_price: Option<Price>,
    #[serde(rename = "aq", default, deserialize_with = "de::opt_money")]
    pub executed_qty: Option<Qty>,
    #[serde(rename = "tp", deserialize_with = "de::money")]
    pub trigger_price: Price,
    #[serde(rename = "cp", default)]
    pub close_position: bool,
    #[serde(rename = "R", default)]
    pub reduce_only: bool,
    #[serde(rename = "tt", default, deserialize_with = "de::opt_int")]
    pub trigger_time_ms: Option<i64>,
    /// Why it was rejected or cancelled, when Binance says.
    #[serde(rename = "rm", default)]
    pub reason: Option<String>,
}

impl AlgoUpdate {
    pub fn client_id(&self) -> ClientOrderId {
        ClientOrderId(self.order.client_algo_id.clone())
    }

    pub fn order_state(&self) -> OrderState {
        let o = &self.order;
        o.status.order_state(o.executed_qty, o.reason.as_deref())
    }
}

/// A fast, fee-less trade notice; the booked fill comes from the matching
/// ORDER_TRADE_UPDATE, which carries the commission.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TradeLite {
    #[serde(rename = "E", deserialize_with = "de::int")]
    pub event_time_ms: i64,
    #[serde(rename = "T", deserialize_with = "de::int")]
    pub transaction_time_ms: i64,
    #[serde(rename = "s")]
    pub symbol: String,
    #[serde(rename = "c")]
    pub client_order_id: String,
    #[serde(rename = "S", deserialize_with = "de::side")]
    pub side: Side,
    #[serde(rename = "q", deserialize_with = "de::money")]
    pub orig_qty: Qty,
    #[serde(rename = "l", deserialize_with = "de::money")]
    pub last_filled_qty: Qty,
    #[serde(rename = "L", deserialize_with = "de::money")]
    pub last_filled_price: Price,
    #[serde(rename = "i", deserialize_with = "de::int")]
    pub order_id: u64,
    #[serde(rename = "t", deserialize_with = "de::int")]
    pub trade_id: u64,
    #[serde(rename = "m")]
    pub is_maker: bool,
}

/// `listenKeyExpired`. Its `E` arrives as a string.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ListenKeyExpired {
    #[serde(rename = "E", deserialize_with = "de::int")]
    pub event_time_ms: i64,
    #[serde(rename = "listenKey", default)]
    pub listen_key: Option<String>,
}
