//! One typed method per endpoint the bot uses, with its weight and how it
//! may be retried. Bodies are parsed with the wire types.

use reqwest::Method;
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;

use super::RestClient;
use super::send::{Auth, Request};
use crate::binance::BinanceError;
use crate::binance::retry::RequestKind;
use crate::binance::wire::{
    Account, AlgoOrder, ExchangeInfo, Income, Kline, ListenKey, OrderResponse, PositionRisk,
    PositionSideDual, ServerTime,
};
use crate::domain::{Interval, Side, Symbol};

/// Bars per klines request at most.
pub const MAX_KLINES: u32 = 1500;

/// `POST /fapi/v1/order`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrderParams {
    pub symbol: Symbol,
    pub side: Side,
    /// None = MARKET; Some = LIMIT GTC at this price.
    pub limit_price: Option<Decimal>,
    pub quantity: Decimal,
    pub reduce_only: bool,
    pub client_id: String,
}

/// `POST /fapi/v1/algoOrder`: a conditional order closing the whole
/// position when the mark price crosses `trigger`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlgoOrderParams {
    pub symbol: Symbol,
    pub side: Side,
    /// STOP_MARKET or TAKE_PROFIT_MARKET.
    pub order_type: &'static str,
    pub trigger: Decimal,
    pub client_algo_id: String,
}

fn side(s: Side) -> &'static str {
    match s {
        Side::Buy => "BUY",
        Side::Sell => "SELL",
    }
}

fn parse<T: DeserializeOwned>(what: &str, body: &str) -> Result<T, BinanceError> {
    serde_json::from_str(body).map_err(|e| {
        BinanceError::Decode(format!(
            "{what}: {e} in `{}`",
            crate::binance::wire::de::excerpt(body)
        ))
    })
}

/// Weight of `GET /fapi/v1/klines` by `limit`.
pub fn klines_weight(limit: u32) -> u32 {
    match limit {
        0..100 => 1,
        100..500 => 2,
        500..=1000 => 5,
        _ => 10,
    }
}

impl RestClient {
    fn read(
        &self,
        path: &'static str,
        params: Vec<(&'static str, String)>,
        auth: Auth,
        weight: u32,
    ) -> Request<'static> {
        Request {
            method: Method::GET,
            path,
            params,
            auth,
            weight,
            kind: RequestKind::Read,
            order: false,
            label: path,
        }
    }

    /// Measures the offset between our clock and the server's (half the
    /// round trip is assumed each way).
    pub async fn sync_time(&self) -> Result<i64, BinanceError> {
        let request = Request {
            kind: RequestKind::Idempotent,
            ..self.read("/fapi/v1/time", vec![], Auth::None, 1)
        };
        let sent = (self.clock)();
        // Straight through, not through the retry policy: the policy calls
        // this on -1021.
        let body = self.send_once(&request).await?;
        let received = (self.clock)();
        let time: ServerTime = parse("server time", &body)?;
        let offset = time.server_time - (sent + received) / 2;
        self.offset_ms
            .store(offset, std::sync::atomic::Ordering::Relaxed);
        Ok(offset)
    }

    pub async fn exchange_info(&self) -> Result<ExchangeInfo, BinanceError> {
        let body = self
            .send(&self.read("/fapi/v1/exchangeInfo", vec![], Auth::None, 1))
            .await?;
        parse("exchangeInfo", &body)
    }

    /// Klines opening from `start_ms` (inclusive), at most `limit` (≤ 1500).
    /// The last row may be the forming candle.
    pub async fn klines(
        &self,
        symbol: &Symbol,
        interval: Interval,
        start_ms: Option<i64>,
        end_ms: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Kline>, BinanceError> {
        let limit = limit.clamp(1, MAX_KLINES);
        let mut params = vec![
            ("symbol", symbol.as_str().to_string()),
            ("interval", interval.as_str().to_string()),
        ];
        if let Some(s) = start_ms {
            params.push(("startTime", s.to_string()));
        }
        if let Some(e) = end_ms {
            params.push(("endTime", e.to_string()));
        }
        params.push(("limit", limit.to_string()));
        let body = self
            .send(&self.read("/fapi/v1/klines", params, Auth::None, klines_weight(limit)))
            .await?;
        parse("klines", &body)
    }

    /// `GET /fapi/v1/fundingRate`: raw rows (fundingTime, fundingRate, …).
    pub async fn funding_rates(
        &self,
        symbol: &Symbol,
        start_ms: i64,
        end_ms: Option<i64>,
        limit: u32,
    ) -> Result<Vec<serde_json::Value>, BinanceError> {
        let mut params = vec![
            ("symbol", symbol.as_str().to_string()),
            ("startTime", start_ms.to_string()),
        ];
        if let Some(e) = end_ms {
            params.push(("endTime", e.to_string()));
        }
        params.push(("limit", limit.clamp(1, 1000).to_string()));
        let body = self
            .send(&self.read("/fapi/v1/fundingRate", params, Auth::None, 1))
            .await?;
        parse("fundingRate", &body)
    }

    pub async fn position_mode(&self) -> Result<PositionSideDual, BinanceError> {
        let body = self
            .send(&self.read("/fapi/v1/positionSide/dual", vec![], Auth::Signed, 30))
            .await?;
        parse("position mode", &body)
    }

    pub async fn set_leverage(&self, symbol: &Symbol, leverage: u32) -> Result<(), BinanceError> {
        let request = Request {
            method: Method::POST,
            kind: RequestKind::Idempotent,
            ..self.read(
                "/fapi/v1/leverage",
                vec![
                    ("symbol", symbol.as_str().to_string()),
                    ("leverage", leverage.to_string()),
                ],
                Auth::Signed,
                1,
            )
        };
        self.send(&request).await.map(|_| ())
    }

    /// ISOLATED or CROSSED; "no need to change" (-4046) is success, and
    /// with a position open (-4048) the current type stays, with a warning.
    pub async fn set_margin_type(&self, symbol: &Symbol, margin: &str) -> Result<(), BinanceError> {
        let request = Request {
            method: Method::POST,
            kind: RequestKind::Idempotent,
            ..self.read(
                "/fapi/v1/marginType",
                vec![
                    ("symbol", symbol.as_str().to_string()),
                    ("marginType", margin.to_string()),
                ],
                Auth::Signed,
                1,
            )
        };
        match self.send(&request).await {
            Ok(_) => Ok(()),
            Err(BinanceError::Other { code: -4046, .. }) => Ok(()),
            Err(BinanceError::Other { code: -4048, msg }) => {
                log::warn!(target: "binance", "{symbol}: margin type left as it is: {msg}");
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    pub async fn position_risk(&self) -> Result<Vec<PositionRisk>, BinanceError> {
        let body = self
            .send(&self.read("/fapi/v3/positionRisk", vec![], Auth::Signed, 5))
            .await?;
        parse("positionRisk", &body)
    }

    pub async fn account(&self) -> Result<Account, BinanceError> {
        let body = self
            .send(&self.read("/fapi/v3/account", vec![], Auth::Signed, 5))
            .await?;
        parse("account", &body)
    }

    /// Never retried here: after an unknown outcome the caller queries the id.
    pub async fn new_order(&self, order: &NewOrderParams) -> Result<OrderResponse, BinanceError> {
        let mut params = vec![
            ("symbol", order.symbol.as_str().to_string()),
            ("side", side(order.side).to_string()),
        ];
        match order.limit_price {
            None => params.push(("type", "MARKET".into())),
            Some(price) => {
                params.push(("type", "LIMIT".into()));
                params.push(("timeInForce", "GTC".into()));
                params.push(("price", price.normalize().to_string()));
            }
        }
        params.push(("quantity", order.quantity.normalize().to_string()));
        if order.reduce_only {
            params.push(("reduceOnly", "true".into()));
        }
        params.push(("newClientOrderId", order.client_id.clone()));
        params.push(("newOrderRespType", "RESULT".into()));
        let request = Request {
            method: Method::POST,
            path: "/fapi/v1/order",
            params,
            auth: Auth::Signed,
            weight: 0,
            kind: RequestKind::NewOrder,
            order: true,
            label: "new order",
        };
        let body = self.send(&request).await?;
        parse("new order", &body)
    }

    /// `GET /fapi/v1/order` by client order id (-2013 when Binance has none).
    pub async fn query_order(
        &self,
        symbol: &Symbol,
        client_id: &str,
    ) -> Result<OrderResponse, BinanceError> {
        self.query_order_where(symbol, ("origClientOrderId", client_id.to_string()))
            .await
    }

    /// `GET /fapi/v1/order` by Binance's order id: the order a triggered
    /// algo order placed, whose client id is not ours to choose.
    pub async fn query_order_by_id(
        &self,
        symbol: &Symbol,
        order_id: u64,
    ) -> Result<OrderResponse, BinanceError> {
        self.query_order_where(symbol, ("orderId", order_id.to_string()))
            .await
    }

    async fn query_order_where(
        &self,
        symbol: &Symbol,
        id: (&'static str, String),
    ) -> Result<OrderResponse, BinanceError> {
        let body = self
            .send(&self.read(
                "/fapi/v1/order",
                vec![("symbol", symbol.as_str().to_string()), id],
                Auth::Signed,
                1,
            ))
            .await?;
        parse("query order", &body)
    }

    /// `GET /fapi/v1/income` of one type (`FUNDING_FEE`, …) between two
    /// times, oldest first.
    pub async fn income(
        &self,
        income_type: &str,
        start_ms: i64,
        end_ms: i64,
    ) -> Result<Vec<Income>, BinanceError> {
        let body = self
            .send(&self.read(
                "/fapi/v1/income",
                vec![
                    ("incomeType", income_type.to_string()),
                    ("startTime", start_ms.to_string()),
                    ("endTime", end_ms.to_string()),
                    ("limit", "1000".to_string()),
                ],
                Auth::Signed,
                30,
            ))
            .await?;
        parse("income", &body)
    }

    pub async fn cancel_order(
        &self,
        symbol: &Symbol,
        client_id: &str,
    ) -> Result<OrderResponse, BinanceError> {
        let request = Request {
            method: Method::DELETE,
            kind: RequestKind::Idempotent,
            label: "cancel order",
            ..self.read(
                "/fapi/v1/order",
                vec![
                    ("symbol", symbol.as_str().to_string()),
                    ("origClientOrderId", client_id.to_string()),
                ],
                Auth::Signed,
                1,
            )
        };
        let body = self.send(&request).await?;
        parse("cancel order", &body)
    }

    pub async fn open_orders(&self) -> Result<Vec<OrderResponse>, BinanceError> {
        let body = self
            .send(&self.read("/fapi/v1/openOrders", vec![], Auth::Signed, 40))
            .await?;
        parse("open orders", &body)
    }

    /// `closePosition=true`, `workingType=MARK_PRICE`. Never retried here.
    pub async fn new_algo_order(&self, order: &AlgoOrderParams) -> Result<AlgoOrder, BinanceError> {
        let request = Request {
            method: Method::POST,
            path: "/fapi/v1/algoOrder",
            params: vec![
                ("algoType", "CONDITIONAL".into()),
                ("symbol", order.symbol.as_str().to_string()),
                ("side", side(order.side).to_string()),
                ("type", order.order_type.to_string()),
                ("triggerPrice", order.trigger.normalize().to_string()),
                ("closePosition", "true".into()),
                ("workingType", "MARK_PRICE".into()),
                ("priceProtect", "true".into()),
                ("clientAlgoId", order.client_algo_id.clone()),
            ],
            auth: Auth::Signed,
            weight: 0,
            kind: RequestKind::NewOrder,
            order: true,
            label: "new algo order",
        };
        let body = self.send(&request).await?;
        parse("new algo order", &body)
    }

    pub async fn query_algo_order(&self, client_algo_id: &str) -> Result<AlgoOrder, BinanceError> {
        let body = self
            .send(&self.read(
                "/fapi/v1/algoOrder",
                vec![("clientAlgoId", client_algo_id.to_string())],
                Auth::Signed,
                1,
            ))
            .await?;
        parse("query algo order", &body)
    }

    /// Success is judged by the HTTP status: the body's `code` is "200" text.
    pub async fn cancel_algo_order(&self, client_algo_id: &str) -> Result<(), BinanceError> {
        let request = Request {
            method: Method::DELETE,
            kind: RequestKind::Idempotent,
            label: "cancel algo order",
            ..self.read(
                "/fapi/v1/algoOrder",
                vec![("clientAlgoId", client_algo_id.to_string())],
                Auth::Signed,
                1,
            )
        };
        self.send(&request).await.map(|_| ())
    }

    pub async fn open_algo_orders(&self) -> Result<Vec<AlgoOrder>, BinanceError> {
        let body = self
            .send(&self.read("/fapi/v1/openAlgoOrders", vec![], Auth::Signed, 40))
            .await?;
        parse("open algo orders", &body)
    }

    pub async fn create_listen_key(&self) -> Result<ListenKey, BinanceError> {
        let request = Request {
            method: Method::POST,
            kind: RequestKind::Idempotent,
            label: "create listenKey",
            ..self.read("/fapi/v1/listenKey", vec![], Auth::ApiKey, 1)
        };
        let body = self.send(&request).await?;
        parse("listenKey", &body)
    }

    /// Extends the key by 60 minutes; -1125 when it has expired.
    pub async fn keep_alive_listen_key(&self) -> Result<(), BinanceError> {
        let request = Request {
            method: Method::PUT,
            kind: RequestKind::Idempotent,
            label: "keep listenKey alive",
            ..self.read("/fapi/v1/listenKey", vec![], Auth::ApiKey, 1)
        };
        self.send(&request).await.map(|_| ())
    }
}
