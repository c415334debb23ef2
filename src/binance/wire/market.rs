//! Market stream events (`/market` and `/public` routes): klines, mark price
//! and funding, best bid/ask.

use rust_decimal::Decimal;
use serde::Deserialize;

use super::de;
use super::frame;
use super::kline::KlineBar;
use crate::binance::BinanceError;
use crate::domain::{Price, Qty};

/// One market frame: the stream it came on (combined streams only) and the event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketFrame {
    pub stream: Option<String>,
    pub event: MarketEvent,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarketEvent {
    Kline(KlineEvent),
    MarkPrice(MarkPriceEvent),
    BookTicker(BookTicker),
    /// A stream this version does not read (aggTrade, depthUpdate, …).
    Other {
        event_type: String,
    },
}

/// Parses a frame from a market or public connection, with or without the
/// combined-stream envelope. Garbage is a `Decode` error, never a panic.
pub fn parse_market_frame(text: &str) -> Result<MarketFrame, BinanceError> {
    let f = frame::open("market", text)?;
    let event = match f.event_type.as_str() {
        "kline" => MarketEvent::Kline(f.parse()?),
        "markPriceUpdate" => MarketEvent::MarkPrice(f.parse()?),
        "bookTicker" => MarketEvent::BookTicker(f.parse()?),
        _ => MarketEvent::Other {
            event_type: f.event_type.clone(),
        },
    };
    Ok(MarketFrame {
        stream: f.stream,
        event,
    })
}

/// `<symbol>@kline_<interval>`; its candle is in `k`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct KlineEvent {
    #[serde(rename = "E", deserialize_with = "de::int")]
    pub event_time_ms: i64,
    #[serde(rename = "s")]
    pub symbol: String,
    #[serde(rename = "k")]
    pub kline: KlineBar,
}

/// `<symbol>@markPrice@1s`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MarkPriceEvent {
    #[serde(rename = "E", deserialize_with = "de::int")]
    pub event_time_ms: i64,
    #[serde(rename = "s")]
    pub symbol: String,
    #[serde(rename = "p", deserialize_with = "de::money")]
    pub mark_price: Price,
    #[serde(rename = "i", default, deserialize_with = "de::opt_money")]
    pub index_price: Option<Price>,
    /// Signed; `""` for contracts without funding (delivery).
    #[serde(rename = "r", default, deserialize_with = "de::opt_decimal")]
    pub funding_rate: Option<Decimal>,
    #[serde(rename = "T", deserialize_with = "de::int")]
    pub next_funding_time_ms: i64,
}

/// `<symbol>@bookTicker`: best bid and ask.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BookTicker {
    #[serde(rename = "u", deserialize_with = "de::int")]
    pub update_id: u64,
    #[serde(rename = "E", deserialize_with = "de::int")]
    pub event_time_ms: i64,
    #[serde(rename = "T", deserialize_with = "de::int")]
    pub transaction_time_ms: i64,
    #[serde(rename = "s")]
    pub symbol: String,
    #[serde(rename = "b", deserialize_with = "de::money")]
    pub bid_price: Price,
    #[serde(rename = "B", deserialize_with = "de::money")]
    pub bid_qty: Qty,
    #[serde(rename = "a", deserialize_with = "de::money")]
    pub ask_price: Price,
    #[serde(rename = "A", deserialize_with = "de::money")]
    pub ask_qty: Qty,
}
