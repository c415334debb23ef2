//! The WebSocket streams, above the REST client: market data for the engine
//! (klines and mark prices on `/market`, best bid/ask on `/public`) and the
//! user-data stream for the order side. The rules that make a reconnect
//! safe live in pure code ([`MarketSequencer`], [`RecentTexts`]); the async
//! loops around them only connect, read, back off and forward.

mod conn;
pub mod dedupe;
pub mod market;
pub mod market_sequencer;
pub mod user;
pub mod warm_up;

pub use dedupe::RecentTexts;
pub use market::{
    BestBidAsk, MarketStreamConfig, default_reconnect, run_book_ticker_stream, run_market_stream,
};
pub use market_sequencer::MarketSequencer;
pub use user::{UserStreamConfig, UserStreamMessage, run_user_stream};
pub use warm_up::warm_up;
