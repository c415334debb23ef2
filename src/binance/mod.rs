//! The Binance USD-M Futures adapter, bottom layer: signing, the error
//! taxonomy, wire types and their conversion to the domain, stream names and
//! client order ids (pure code), and above them the REST client (`rest`) with
//! the one retry policy (`retry`). Every base URL comes from configuration.

pub mod client_id;
pub mod credentials;
pub mod error;
pub mod rest;
pub mod retry;
pub mod sign;
pub mod stream;
pub mod streams;
pub mod tls;
pub mod venue;
pub mod wire;

pub use error::BinanceError;
