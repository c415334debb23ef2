//! The account as the REST API reports it: positions (`GET
//! /fapi/v3/positionRisk`), balances (`GET /fapi/v3/account`) and the
//! position mode (`GET /fapi/v1/positionSide/dual`).

use rust_decimal::Decimal;
use serde::Deserialize;

use super::de;
use super::enums::PositionSide;
use crate::binance::BinanceError;
use crate::domain::{Position, Price, Qty, Side, Symbol};

/// One row of `GET /fapi/v3/positionRisk`. v3 lists only open positions
/// (`[]` when flat) and no longer carries leverage or margin type.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PositionRisk {
    pub symbol: String,
    pub position_side: PositionSide,
    /// Signed: negative for a short.
    #[serde(deserialize_with = "de::decimal")]
    pub position_amt: Decimal,
    #[serde(deserialize_with = "de::money")]
    pub entry_price: Price,
    #[serde(default, deserialize_with = "de::opt_money")]
    pub break_even_price: Option<Price>,
    #[serde(deserialize_with = "de::money")]
    pub mark_price: Price,
    #[serde(deserialize_with = "de::decimal")]
    pub un_realized_profit: Decimal,
    /// `"0"` when there is none (cross margin with ample balance).
    #[serde(deserialize_with = "de::money")]
    pub liquidation_price: Price,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    pub notional: Option<Decimal>,
    #[serde(default)]
    pub margin_asset: Option<String>,
    #[serde(deserialize_with = "de::int")]
    pub update_time: i64,
}

impl PositionRisk {
    /// Our one-way position, `None` when flat. `opened_at_ms` is the row's
    /// update time: Binance does not report when a position opened.
    pub fn to_position(&self) -> Result<Option<Position>, BinanceError> {
        position(
            &self.symbol,
            self.position_amt,
            self.entry_price,
            self.update_time,
        )
    }
}

/// A signed amount as a one-way [`Position`]; shared with ACCOUNT_UPDATE.
pub(super) fn position(
    symbol: &str,
    amount: Decimal,
    entry_price: Price,
    at_ms: i64,
) -> Result<Option<Position>, BinanceError> {
    if amount.is_zero() {
        return Ok(None);
    }
    let problem = |what: String| BinanceError::Decode(format!("position {symbol}: {what}"));
    let symbol = Symbol::new(symbol).map_err(|e| problem(e.to_string()))?;
    let side = if amount.is_sign_negative() {
        Side::Sell
    } else {
        Side::Buy
    };
    let qty = Qty::new(amount.abs()).map_err(|e| problem(e.to_string()))?;
    Ok(Some(Position {
        symbol,
        side,
        qty,
        entry_price,
        opened_at_ms: at_ms,
    }))
}

/// `GET /fapi/v3/account`: the totals the bot sizes from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// Wallet balance plus unrealized PnL: the equity risk is sized on.
    #[serde(deserialize_with = "de::decimal")]
    pub total_margin_balance: Decimal,
    #[serde(deserialize_with = "de::decimal")]
    pub total_wallet_balance: Decimal,
    #[serde(deserialize_with = "de::decimal")]
    pub total_unrealized_profit: Decimal,
    #[serde(default, deserialize_with = "de::opt_decimal")]
    pub available_balance: Option<Decimal>,
    #[serde(default)]
    pub assets: Vec<AccountAsset>,
}

impl Account {
    /// Total equity in the quote asset.
    pub fn equity(&self) -> Decimal {
        self.total_margin_balance
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountAsset {
    pub asset: String,
    #[serde(deserialize_with = "de::decimal")]
    pub wallet_balance: Decimal,
    #[serde(deserialize_with = "de::decimal")]
    pub unrealized_profit: Decimal,
    #[serde(deserialize_with = "de::decimal")]
    pub margin_balance: Decimal,
    #[serde(deserialize_with = "de::decimal")]
    pub available_balance: Decimal,
}

/// `GET /fapi/v1/positionSide/dual`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PositionSideDual {
    /// True in hedge mode, which the bot refuses to trade in.
    pub dual_side_position: bool,
}

impl PositionSideDual {
    pub fn is_one_way(self) -> bool {
        !self.dual_side_position
    }
}

/// One row of `GET /fapi/v1/income`: a change of the wallet (funding fee,
/// realized PnL, commission, transfer, …) and the symbol it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Income {
    /// `""` for an income of no symbol (a transfer).
    pub symbol: String,
    pub income_type: String,
    /// Signed: negative when the account paid.
    #[serde(deserialize_with = "de::decimal")]
    pub income: Decimal,
    pub asset: String,
    #[serde(deserialize_with = "de::int")]
    pub time: i64,
    /// Unique per income: the key that tells one told twice.
    #[serde(deserialize_with = "de::int")]
    pub tran_id: u64,
}
