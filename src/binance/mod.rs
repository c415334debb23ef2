//! The Binance USD-M Futures adapter, bottom layer: signing, the error
//! taxonomy, wire types and their conversion to the domain, stream names and
//! client order ids. Pure code: nothing here opens a connection; the REST and
//! WebSocket clients build on it and take every base URL from configuration.

pub mod client_id;
pub mod error;
pub mod sign;
pub mod streams;
pub mod wire;

pub use error::BinanceError;
