//! Serde types for what Binance sends, each with its conversion to the
//! domain where the domain has a type for it. Money is parsed from decimal
//! strings straight to `rust_decimal`, ids as integers; a field Binance may
//! send empty or `null` is an `Option`.

mod account;
mod algo;
pub(crate) mod de;
mod enums;
mod exchange_info;
mod frame;
mod kline;
mod market;
mod order;
mod session;
mod user;

pub use account::{Account, AccountAsset, Income, PositionRisk, PositionSideDual};
pub use algo::AlgoOrder;
pub use enums::{
    AlgoStatus, AlgoType, ExecutionType, OrderStatus, OrderType, PositionSide, WorkingType,
};
pub use exchange_info::{
    ExchangeInfo, Filter, LotSize, PercentPrice, RateLimit, SymbolInfo, SymbolRules,
};
pub use kline::{Kline, KlineBar};
pub use market::{
    BookTicker, KlineEvent, MarkPriceEvent, MarketEvent, MarketFrame, parse_market_frame,
};
pub use order::OrderResponse;
pub use session::{ListenKey, ServerTime};
pub use user::{
    AccountChange, AccountUpdate, AlgoOrderUpdate, AlgoUpdate, BalanceChange, ListenKeyExpired,
    OrderTradeUpdate, OrderUpdate, PositionChange, TradeLite, UserEvent, parse_user_event,
};
