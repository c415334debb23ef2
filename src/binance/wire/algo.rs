//! A conditional (algo) order as the Algo Service answers it:
//! `POST/GET/DELETE /fapi/v1/algoOrder` and `GET /fapi/v1/openAlgoOrders`.

use serde::Deserialize;

use super::de;
use super::enums::{AlgoStatus, AlgoType, OrderType, PositionSide, WorkingType};
use crate::domain::{ClientOrderId, OrderKind, OrderState, Price, Qty, Side};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "Raw")]
pub struct AlgoOrder {
    pub algo_id: u64,
    pub client_algo_id: String,
    pub algo_type: AlgoType,
    /// `orderType`; some documentation examples name it `type`.
    pub order_type: OrderType,
    pub symbol: String,
    pub side: Side,
    pub position_side: Option<PositionSide>,
    /// Absent or zero with `closePosition`.
    pub quantity: Option<Qty>,
    pub algo_status: AlgoStatus,
    pub trigger_price: Price,
    pub price: Option<Price>,
    pub working_type: Option<WorkingType>,
    pub close_position: bool,
    pub reduce_only: bool,
    pub create_time: Option<i64>,
    pub update_time: Option<i64>,
    /// The order it placed when it fired (`actualOrderId`; `""` before).
    /// Its fills are that order's: the algo's own `actualQty` is not an
    /// executed quantity (a recorded CANCELED order that never fired shows
    /// its full quantity there).
    pub actual_order_id: Option<u64>,
}

impl AlgoOrder {
    pub fn client_id(&self) -> ClientOrderId {
        ClientOrderId(self.client_algo_id.clone())
    }

    /// Our state for it. The REST answer carries no executed quantity, so a
    /// FINISHED order is settled by the user stream or a trade query.
    pub fn order_state(&self) -> OrderState {
        self.algo_status.order_state(None, None)
    }

    /// The domain order kind, for the two kinds the bot places.
    pub fn kind(&self) -> Option<OrderKind> {
        let trigger = self.trigger_price;
        match self.order_type {
            OrderType::StopMarket => Some(OrderKind::StopMarket { trigger }),
            OrderType::TakeProfitMarket => Some(OrderKind::TakeProfitMarket { trigger }),
            _ => None,
        }
    }
}

/// The fields as sent. `orderType` and `type` are both optional here so that
/// an answer carrying both (or either) still parses; `try_from` insists on one.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    #[serde(deserialize_with = "de::int")]
    algo_id: u64,
    client_algo_id: String,
    algo_type: AlgoType,
    #[serde(default)]
    order_type: Option<OrderType>,
    #[serde(default, rename = "type")]
    type_alias: Option<OrderType>,
    symbol: String,
    #[serde(deserialize_with = "de::side")]
    side: Side,
    #[serde(default)]
    position_side: Option<PositionSide>,
    #[serde(default, deserialize_with = "de::opt_money")]
    quantity: Option<Qty>,
    algo_status: AlgoStatus,
    #[serde(deserialize_with = "de::money")]
    trigger_price: Price,
    #[serde(default, deserialize_with = "de::opt_money")]
    price: Option<Price>,
    #[serde(default)]
    working_type: Option<WorkingType>,
    #[serde(default)]
    close_position: bool,
    #[serde(default)]
    reduce_only: bool,
    #[serde(default, deserialize_with = "de::opt_int")]
    create_time: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_int")]
    update_time: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_int")]
    actual_order_id: Option<u64>,
}

impl TryFrom<Raw> for AlgoOrder {
    type Error = String;

    fn try_from(r: Raw) -> Result<Self, String> {
        let order_type = r.order_type.or(r.type_alias).ok_or_else(|| {
            format!(
                "algo order {} has neither `orderType` nor `type`",
                r.client_algo_id
            )
        })?;
        Ok(AlgoOrder {
            algo_id: r.algo_id,
            client_algo_id: r.client_algo_id,
            algo_type: r.algo_type,
            order_type,
            symbol: r.symbol,
            side: r.side,
            position_side: r.position_side,
            quantity: r.quantity,
            algo_status: r.algo_status,
            trigger_price: r.trigger_price,
            price: r.price,
            working_type: r.working_type,
            close_position: r.close_position,
            reduce_only: r.reduce_only,
            create_time: r.create_time,
            update_time: r.update_time,
            actual_order_id: r.actual_order_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#""algoId":1,"clientAlgoId":"ck-BTCUSDT-sbv0xc0-s","algoType":"CONDITIONAL","symbol":"BTCUSDT","side":"SELL","algoStatus":"NEW","triggerPrice":"60000.0","closePosition":true"#;

    #[test]
    fn order_type_wins_over_the_type_alias_and_one_is_required() {
        let both: AlgoOrder = serde_json::from_str(&format!(
            r#"{{{BASE},"orderType":"STOP_MARKET","type":"LIMIT"}}"#
        ))
        .unwrap();
        assert_eq!(both.order_type, OrderType::StopMarket);
        assert_eq!(
            both.kind(),
            Some(OrderKind::StopMarket {
                trigger: "60000".parse().unwrap()
            })
        );
        let err = serde_json::from_str::<AlgoOrder>(&format!("{{{BASE}}}"))
            .err()
            .unwrap();
        assert!(
            err.to_string().contains("neither `orderType` nor `type`"),
            "{err}"
        );
    }
}
