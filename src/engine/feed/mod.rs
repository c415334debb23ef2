//! Async feeds that turn a market source into engine events. They live on the
//! runner's side of the engine: the core never awaits.

mod demo;
mod replay;

pub use demo::DemoFeed;
pub use replay::{ReplayFeed, Speed};

use super::Event;

/// Where candles come from. Each event comes with its time: the wall clock
/// for the demo, the candle's close for a replay.
pub enum Feed {
    Demo(DemoFeed, fn() -> i64),
    Replay(ReplayFeed),
    /// Events stamped by their producers: the Binance market stream and,
    /// when trading live, the venue's reports, merged on one channel.
    Channel(tokio::sync::mpsc::Receiver<(i64, Event)>, &'static str),
}

impl Feed {
    /// The demo market starting now, and its history for warming up (stamped
    /// now: it is the past of this run, not events of it). Call inside the
    /// runtime: the demo's ticker is a tokio timer.
    pub fn demo(config: &crate::config::Config, clock: fn() -> i64) -> (Feed, Vec<(i64, Event)>) {
        let now = clock();
        let mut feed = DemoFeed::new(config, now);
        let warm_up = feed.warm_up().into_iter().map(|e| (now, e)).collect();
        (Feed::Demo(feed, clock), warm_up)
    }

    /// None when a replay has run out.
    pub async fn next(&mut self) -> Option<(i64, Event)> {
        match self {
            Feed::Demo(feed, clock) => {
                let e = feed.next().await;
                Some((clock(), e))
            }
            Feed::Replay(feed) => feed.next().await,
            Feed::Channel(rx, _) => rx.recv().await,
        }
    }

    pub fn source(&self) -> &'static str {
        match self {
            Feed::Demo(..) => "demo",
            Feed::Replay(_) => "replay",
            Feed::Channel(_, source) => source,
        }
    }
}
