//! `GET /fapi/v1/exchangeInfo`: the symbols' filters and the rate limits.

use rust_decimal::Decimal;
use serde::Deserialize;

use super::de;
use crate::binance::BinanceError;
use crate::domain::{Instrument, Notional, Price, Qty, Symbol};

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExchangeInfo {
    #[serde(default, deserialize_with = "de::opt_int")]
    pub server_time: Option<i64>,
    #[serde(default)]
    pub rate_limits: Vec<RateLimit>,
    pub symbols: Vec<SymbolInfo>,
}

impl ExchangeInfo {
    /// The trading rules of `symbol`; an error when Binance does not list it
    /// or lists it without the filters the bot needs.
    pub fn rules_for(&self, symbol: &Symbol) -> Result<SymbolRules, BinanceError> {
        self.symbols
            .iter()
            .find(|s| s.symbol == symbol.as_str())
            .ok_or_else(|| {
                BinanceError::Decode(format!(
                    "exchangeInfo does not list {symbol}; check market.symbols against Binance USD-M"
                ))
            })?
            .rules()
    }
}

/// One entry of `rateLimits`: `limit` per `intervalNum` × `interval`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLimit {
    /// `REQUEST_WEIGHT` (per IP) or `ORDERS` (per account).
    pub rate_limit_type: String,
    /// `SECOND`, `MINUTE` or `DAY`.
    pub interval: String,
    #[serde(deserialize_with = "de::int")]
    pub interval_num: u32,
    #[serde(deserialize_with = "de::int")]
    pub limit: u32,
}

impl RateLimit {
    /// The window's length; `None` for an interval unit this version does not know.
    pub fn window_ms(&self) -> Option<u64> {
        let unit: u64 = match self.interval.as_str() {
            "SECOND" => 1_000,
            "MINUTE" => 60_000,
            "HOUR" => 3_600_000,
            "DAY" => 86_400_000,
            _ => return None,
        };
        Some(unit * u64::from(self.interval_num))
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SymbolInfo {
    /// As Binance spells it; delivery contracts carry `_YYMMDD`, which is not
    /// a [`Symbol`] the bot trades.
    pub symbol: String,
    #[serde(default)]
    pub contract_type: String,
    /// `TRADING` when orders are accepted.
    pub status: String,
    #[serde(default)]
    pub base_asset: String,
    #[serde(default)]
    pub quote_asset: String,
    #[serde(default)]
    pub filters: Vec<Filter>,
}

/// The filters the adapter enforces locally before sending an order.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "filterType")]
pub enum Filter {
    #[serde(rename = "PRICE_FILTER", rename_all = "camelCase")]
    Price {
        #[serde(deserialize_with = "de::money")]
        tick_size: Price,
        #[serde(default, deserialize_with = "de::opt_money")]
        min_price: Option<Price>,
        #[serde(default, deserialize_with = "de::opt_money")]
        max_price: Option<Price>,
    },
    #[serde(rename = "LOT_SIZE")]
    LotSize(LotSize),
    /// Limits for MARKET orders, often tighter than LOT_SIZE.
    #[serde(rename = "MARKET_LOT_SIZE")]
    MarketLotSize(LotSize),
    #[serde(rename = "MIN_NOTIONAL")]
    MinNotional {
        #[serde(deserialize_with = "de::money")]
        notional: Notional,
    },
    #[serde(rename = "PERCENT_PRICE")]
    PercentPrice(PercentPrice),
    /// MAX_NUM_ORDERS, MAX_NUM_ALGO_ORDERS and filters added later.
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LotSize {
    #[serde(deserialize_with = "de::money")]
    pub step_size: Qty,
    #[serde(deserialize_with = "de::money")]
    pub min_qty: Qty,
    #[serde(default, deserialize_with = "de::opt_money")]
    pub max_qty: Option<Qty>,
}

/// A limit order's price must lie within `[mark × down, mark × up]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PercentPrice {
    #[serde(deserialize_with = "de::decimal")]
    pub multiplier_up: Decimal,
    #[serde(deserialize_with = "de::decimal")]
    pub multiplier_down: Decimal,
}

/// A symbol's trading rules: the domain [`Instrument`] (tick, step, minimum
/// quantity and notional) and the filters it does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymbolRules {
    pub instrument: Instrument,
    /// `TRADING`, `SETTLING`, `PENDING_TRADING`, …: only TRADING takes orders.
    pub status: String,
    pub contract_type: String,
    pub max_qty: Option<Qty>,
    pub market_lot: Option<LotSize>,
    pub percent_price: Option<PercentPrice>,
}

impl SymbolRules {
    pub fn is_trading(&self) -> bool {
        self.status == "TRADING"
    }
}

impl SymbolInfo {
    /// This symbol's rules; an error names the symbol and the missing filter.
    pub fn rules(&self) -> Result<SymbolRules, BinanceError> {
        let problem = |what: String| {
            BinanceError::Decode(format!("exchangeInfo symbol {}: {what}", self.symbol))
        };
        let symbol = Symbol::new(&self.symbol).map_err(|e| problem(e.to_string()))?;
        let mut tick = None;
        let mut lot = None;
        let mut market_lot = None;
        let mut min_notional = None;
        let mut percent_price = None;
        for f in &self.filters {
            match f {
                Filter::Price { tick_size, .. } => tick = Some(*tick_size),
                Filter::LotSize(l) => lot = Some(l.clone()),
                Filter::MarketLotSize(l) => market_lot = Some(l.clone()),
                Filter::MinNotional { notional } => min_notional = Some(*notional),
                Filter::PercentPrice(p) => percent_price = Some(p.clone()),
                Filter::Other => {}
            }
        }
        let missing = |name: &str| problem(format!("no {name} filter"));
        let tick = tick.ok_or_else(|| missing("PRICE_FILTER"))?;
        let lot = lot.ok_or_else(|| missing("LOT_SIZE"))?;
        let min_notional = min_notional.ok_or_else(|| missing("MIN_NOTIONAL"))?;
        let instrument = Instrument::new(symbol, tick, lot.step_size, lot.min_qty, min_notional)
            .map_err(|e| problem(e.to_string()))?;
        Ok(SymbolRules {
            instrument,
            status: self.status.clone(),
            contract_type: self.contract_type.clone(),
            max_qty: lot.max_qty,
            market_lot,
            percent_price,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_type_added_later_is_ignored() {
        let f: Vec<Filter> = serde_json::from_str(
            r#"[{"filterType":"POSITION_RISK_CONTROL","positionControlSide":"NONE"},
                {"filterType":"MIN_NOTIONAL","notional":"5"}]"#,
        )
        .unwrap();
        assert_eq!(f[0], Filter::Other);
        assert_eq!(
            f[1],
            Filter::MinNotional {
                notional: "5".parse().unwrap()
            }
        );
    }

    #[test]
    fn rate_limit_windows() {
        let r = RateLimit {
            rate_limit_type: "ORDERS".into(),
            interval: "SECOND".into(),
            interval_num: 10,
            limit: 300,
        };
        assert_eq!(r.window_ms(), Some(10_000));
    }
}
