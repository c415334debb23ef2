use crate::domain::{Candle, Symbol};

/// Everything that can happen to the engine. Time comes with each event from
/// the runner's clock, never from inside the core.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A kline update: `candle.closed` says whether it is final.
    Candle {
        symbol: Symbol,
        candle: Candle,
    },
    /// The feed's connection changed (e.g. reconnecting).
    FeedDown {
        reason: String,
    },
    FeedUp,
    Command(Command),
    /// The runner's once-a-second tick: ages, deadlines, the clock.
    Timer,
}

/// What the operator asks for. Commands are processed before market data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Stop the engine: the cockpit is quitting.
    Shutdown,
}

/// What the core asks the runner to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Notice(Notice),
    /// Publish a new snapshot: something visible changed.
    Publish,
    Stop,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NoticeLevel {
    Info,
    Warn,
    Error,
}

/// A message for the operator: shown in the log panel and written to the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub level: NoticeLevel,
    pub at_ms: i64,
    pub text: String,
}
