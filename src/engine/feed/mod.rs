//! Async feeds that turn a market source into engine events. They live on the
//! runner's side of the engine: the core never awaits.

mod demo;

pub use demo::DemoFeed;
