//! Domain types: the vocabulary every other module speaks.
//!
//! Depends on std, serde and rust_decimal only. Money (prices, quantities,
//! notionals) is always `rust_decimal`; `f64` appears here only in [`Bar`], the
//! view of a candle that indicators consume.

mod candle;
mod error;
mod instrument;
mod interval;
mod memo;
mod mode;
mod money;
mod order;
mod position;
mod side;
mod symbol;
pub mod time;

pub use candle::{Bar, Candle};
pub use error::DomainError;
pub use instrument::Instrument;
pub use interval::Interval;
pub use memo::Memo;
pub use mode::{Mode, TradingState};
pub use money::{Notional, Price, Qty};
pub use order::{ClientOrderId, Fill, Leg, Liquidity, OrderKind, OrderRequest, OrderState};
pub use position::Position;
pub use side::Side;
pub use symbol::Symbol;
