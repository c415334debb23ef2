use crate::config::Automation;
use crate::domain::{Candle, ClientOrderId, Mode, Price, Symbol};
use crate::exec::ExecReport;
use crate::journal::Record;
use crate::risk::Approved;

/// Everything that can happen to the engine. Time comes with each event from
/// the runner's clock, never from inside the core.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A kline update: `candle.closed` says whether it is final. A forming
    /// update doubles as a price tick.
    Candle {
        symbol: Symbol,
        candle: Candle,
    },
    /// A closed candle that arrived later than the configured age (a
    /// backfill after a reconnect, a slow stream): indicators and charts
    /// advance, but it triggers no entry — its moment has passed.
    LateCandle {
        symbol: Symbol,
        candle: Candle,
    },
    /// A mark-price tick between candle updates.
    Price {
        symbol: Symbol,
        price: Price,
    },
    /// What the exchange reported: acceptance, fills, cancels, funding.
    Exec(ExecReport),
    /// The feed's connection changed (e.g. reconnecting).
    FeedDown {
        reason: String,
    },
    FeedUp,
    /// The exchange banned the IP (HTTP 418) until `until_ms`; `None` when
    /// the ban is over. Shown in the header; the REST client holds every
    /// request meanwhile.
    Banned {
        until_ms: Option<i64>,
    },
    Command(Command),
    /// The runner's once-a-second tick: ages, deadlines, the UTC day.
    Timer,
}

/// What the operator asks for. Commands are processed before market data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Arm,
    Disarm,
    SetMode(Mode),
    SetAutomation(Automation),
    /// Approve the queued decision with this id (semi-auto).
    Approve(String),
    Reject(String),
    /// No new entries; exits and stops still managed.
    PauseEntries,
    /// Trading state Reducing: only orders that shrink positions.
    ReduceOnly,
    /// Close every position, cancel the bot's orders and halt.
    FlattenAndHalt,
    /// Back to Active: unpause, clear the breaker and Reducing/Halted.
    Resume,
    /// Stop the engine: the cockpit is quitting.
    Shutdown,
}

impl Command {
    /// For the journal and the log.
    pub fn describe(&self) -> String {
        match self {
            Command::Arm => "arm".into(),
            Command::Disarm => "disarm".into(),
            Command::SetMode(m) => format!("set mode {m}"),
            Command::SetAutomation(a) => format!("set automation {a:?}").to_lowercase(),
            Command::Approve(id) => format!("approve {id}"),
            Command::Reject(id) => format!("reject {id}"),
            Command::PauseEntries => "pause entries".into(),
            Command::ReduceOnly => "reduce only".into(),
            Command::FlattenAndHalt => "flatten and halt".into(),
            Command::Resume => "resume".into(),
            Command::Shutdown => "shutdown".into(),
        }
    }
}

/// What the core asks the runner to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Notice(Notice),
    /// Publish a new snapshot: something visible changed.
    Publish,
    /// Send a risk-approved order to the exchange.
    Submit(Approved),
    Cancel(ClientOrderId),
    /// Append to the journal.
    Journal(Record),
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
