//! An order as the REST API answers it: `POST /fapi/v1/order` (new),
//! `GET` (query), `DELETE` (cancel), open orders and batch elements.

use serde::Deserialize;

use super::de;
use super::enums::{OrderStatus, OrderType, PositionSide, WorkingType};
use crate::domain::{ClientOrderId, OrderState, Price, Qty, Side};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderResponse {
    /// Above 2^53 on mainnet: an integer, never a float.
    #[serde(deserialize_with = "de::int")]
    pub order_id: u64,
    pub client_order_id: String,
    pub symbol: String,
    pub status: OrderStatus,
    #[serde(deserialize_with = "de::side")]
    pub side: Side,
    #[serde(rename = "type")]
    pub order_type: OrderType,
    #[serde(deserialize_with = "de::money")]
    pub orig_qty: Qty,
    #[serde(deserialize_with = "de::money")]
    pub executed_qty: Qty,
    /// Absent from the documented new-order answer; `"0.00"` until a fill.
    #[serde(default, deserialize_with = "de::opt_money")]
    pub avg_price: Option<Price>,
    /// `"0"` for market orders.
    #[serde(default, deserialize_with = "de::opt_money")]
    pub price: Option<Price>,
    #[serde(default)]
    pub reduce_only: bool,
    #[serde(default)]
    pub close_position: bool,
    #[serde(default)]
    pub position_side: Option<PositionSide>,
    #[serde(default)]
    pub working_type: Option<WorkingType>,
    #[serde(deserialize_with = "de::int")]
    pub update_time: i64,
}

impl OrderResponse {
    pub fn client_id(&self) -> ClientOrderId {
        ClientOrderId(self.client_order_id.clone())
    }

    pub fn order_state(&self) -> OrderState {
        self.status.order_state(self.executed_qty)
    }

    /// The average fill price, once something filled (Binance writes
    /// `"0.00"` before).
    pub fn fill_price(&self) -> Option<Price> {
        self.avg_price
            .filter(|p| !p.is_zero() && !self.executed_qty.is_zero())
    }
}
