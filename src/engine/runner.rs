//! The runner: owns the exchange, the journal and the channels, feeds the
//! core, and carries out its actions. `Runner::step` is synchronous so a
//! backtest drives exactly what the live loop drives; `run_engine` is the
//! async loop around it, with operator commands first.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};

use crate::exec::Exchange;
use crate::exec::paper::PaperExchange;
use crate::journal::{Journal, Record, StateRecord};

use super::event::{Action, Command, Event, Notice, NoticeLevel};
use super::feed::Feed;
use super::{Engine, Snapshot};

/// Snapshots go out at most this often; the TUI draws at 30 fps at most anyway.
const PUBLISH_EVERY: Duration = Duration::from_millis(33);

pub struct Runner {
    pub engine: Engine,
    pub exchange: PaperExchange,
    /// The real venue, when live trading is possible: orders go to it while
    /// the engine is in Live mode, and cancels follow the orders it got.
    pub live: Option<Box<dyn Exchange>>,
    live_orders: std::collections::HashSet<crate::domain::ClientOrderId>,
    pub journal: Option<Journal>,
    /// Records waiting for the next commit.
    pending: Vec<Record>,
    /// Commit when this many records are waiting (1 = every step).
    pub batch: usize,
    /// Notices of the last steps, for callers that show them (tests, TUI).
    pub notices: Vec<Notice>,
    pub keep_notices: bool,
    /// Notices are not logged (a backtest reports its results instead).
    pub quiet: bool,
    /// Buffers `step` reuses, so a step allocates nothing of its own.
    queue: VecDeque<Event>,
    answers: Vec<Event>,
    actions: Vec<Action>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StepOutcome {
    pub publish: bool,
    pub stop: bool,
}

impl Runner {
    pub fn new(mut engine: Engine, exchange: PaperExchange, journal: Option<Journal>) -> Runner {
        engine.set_journaling(journal.is_some());
        Runner {
            engine,
            exchange,
            live: None,
            live_orders: Default::default(),
            journal,
            pending: Vec::new(),
            batch: 1,
            notices: Vec::new(),
            keep_notices: false,
            quiet: false,
            queue: VecDeque::new(),
            answers: Vec::new(),
            actions: Vec::new(),
        }
    }

    /// History before the live start: indicators and charts advance, nothing
    /// is decided and the exchange does not see it.
    pub fn warm(&mut self, events: Vec<(i64, Event)>) {
        self.engine.set_warming(true);
        for (at, event) in events {
            for action in self.engine.process(at, event) {
                match action {
                    Action::Notice(n) => log_notice(&n),
                    Action::Submit(_) | Action::Cancel(_) => {
                        log::error!(target: "engine", "an order during warm-up was dropped: {action:?}")
                    }
                    _ => {}
                }
            }
        }
        self.engine.set_warming(false);
    }

    /// One event through the core, then everything it asked for, until the
    /// exchange has nothing more to report. A candle reaches the exchange
    /// first, so fills at its open precede the decision at its close.
    pub fn step(&mut self, at_ms: i64, event: Event) -> StepOutcome {
        let mode_before = self.engine.mode();
        let mut outcome = StepOutcome::default();
        let mut queue = std::mem::take(&mut self.queue);
        let mut answers = std::mem::take(&mut self.answers);
        let mut actions = std::mem::take(&mut self.actions);
        let mut exchange_busy = false;
        if let Event::Candle { symbol, candle } | Event::LateCandle { symbol, candle } = &event {
            let reports = self.exchange.on_candle(at_ms, symbol, candle);
            exchange_busy |= !reports.is_empty();
            queue.extend(reports.into_iter().map(Event::Exec));
        }
        // Most candles find the exchange with nothing to say: the event then
        // goes straight in rather than through the queue.
        let mut first = if queue.is_empty() {
            Some(event)
        } else {
            queue.push_back(event);
            None
        };
        // What the exchange answers is processed before anything queued
        // after the event that caused it: a stop that filled inside the
        // candle is known before the candle's close is valued.
        while let Some(event) = first.take().or_else(|| queue.pop_front()) {
            self.engine.process_into(at_ms, event, &mut actions);
            for action in actions.drain(..) {
                match action {
                    Action::Submit(order) => {
                        exchange_busy = true;
                        let reports = match self.live.as_mut() {
                            Some(live) if self.engine.mode() == crate::domain::Mode::Live => {
                                self.live_orders.insert(order.request().id.clone());
                                live.submit(at_ms, &order)
                            }
                            _ => self.exchange.submit(at_ms, &order),
                        };
                        answers.extend(reports.into_iter().map(Event::Exec));
                    }
                    Action::Cancel(id) => {
                        exchange_busy = true;
                        let reports = match self.live.as_mut() {
                            // Ours from this run, or an orphan the live
                            // account's reconciliation found.
                            Some(live)
                                if self.live_orders.contains(&id)
                                    || self.engine.mode() == crate::domain::Mode::Live =>
                            {
                                live.cancel(at_ms, &id)
                            }
                            _ => self.exchange.cancel(at_ms, &id),
                        };
                        answers.extend(reports.into_iter().map(Event::Exec));
                    }
                    Action::Journal(record) => {
                        if self.journal.is_some() {
                            self.pending.push(record);
                        }
                    }
                    Action::Notice(n) => {
                        if !self.quiet {
                            log_notice(&n);
                        }
                        if self.keep_notices {
                            self.notices.push(n);
                        }
                    }
                    Action::Publish => outcome.publish = true,
                    Action::Stop => outcome.stop = true,
                }
            }
            for answer in answers.drain(..).rev() {
                queue.push_front(answer);
            }
        }
        self.queue = queue;
        self.answers = answers;
        self.actions = actions;
        // Entering Live: the account is read again, the book follows it.
        if self.engine.mode() == crate::domain::Mode::Live
            && mode_before != crate::domain::Mode::Live
            && let Some(live) = self.live.as_mut()
        {
            live.reconcile();
        }
        if exchange_busy && self.journal.is_some() {
            match serde_json::to_string(&self.exchange.state()) {
                Ok(json) => self.pending.push(Record::State(StateRecord {
                    at_ms,
                    key: "paper".into(),
                    json,
                })),
                Err(e) => log::error!(target: "engine", "paper state not journaled: {e}"),
            }
        }
        if self.pending.len() >= self.batch {
            self.flush();
        }
        outcome
    }

    /// Commits what is waiting. A failing journal is loud but does not stop
    /// the engine from managing positions.
    pub fn flush(&mut self) {
        let Some(journal) = self.journal.as_mut() else {
            return;
        };
        if self.pending.is_empty() {
            return;
        }
        if let Err(e) = journal.append(&self.pending) {
            log::error!(target: "journal", "{e}");
        }
        self.pending.clear();
    }
}

fn log_notice(n: &Notice) {
    match n.level {
        NoticeLevel::Info => log::info!(target: "engine", "{}", n.text),
        NoticeLevel::Warn => log::warn!(target: "engine", "{}", n.text),
        NoticeLevel::Error => log::error!(target: "engine", "{}", n.text),
    }
}

pub struct EngineChannels {
    pub commands: mpsc::Receiver<Command>,
    pub snapshots: watch::Sender<Arc<Snapshot>>,
    /// Fills, rejections and alerts as they happen (they also go to the log).
    /// Lossy when the receiver falls behind: the engine never waits for it.
    pub notices: Option<mpsc::Sender<Notice>>,
}

/// Runs until a `Shutdown` command, until every command sender is gone, or
/// until a replay runs out. `now_ms` is the wall clock for timers. Returns
/// the runner with everything committed.
pub async fn run_engine(
    mut runner: Runner,
    mut feed: Feed,
    warm_up: Vec<(i64, Event)>,
    mut channels: EngineChannels,
    now_ms: impl Fn() -> i64,
) -> Runner {
    runner.warm(warm_up);
    runner.keep_notices = channels.notices.is_some();
    channels
        .snapshots
        .send_replace(Arc::new(runner.engine.snapshot()));
    let mut timer = tokio::time::interval(Duration::from_secs(1));
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut last_publish = Instant::now();
    let mut unpublished = false;
    // A replay's clock is its candles; timers and commands happen at its "now".
    let replay = matches!(feed, Feed::Replay(_));
    // A replay's "now" starts where the engine is (0 or the restored clock),
    // never at the wall clock, or history would run with today's date.
    let mut last_at = if replay {
        runner.engine.now_ms()
    } else {
        now_ms()
    };
    loop {
        let (at, event) = tokio::select! {
            biased;
            command = channels.commands.recv() => {
                (if replay { last_at } else { now_ms() }, Event::Command(command.unwrap_or(Command::Shutdown)))
            }
            next = feed.next() => match next {
                Some(e) => e,
                None => break,
            },
            _ = timer.tick() => {
                runner.flush();
                (if replay { last_at } else { now_ms() }, Event::Timer)
            }
        };
        last_at = at;
        let is_timer = matches!(event, Event::Timer);
        let outcome = runner.step(at, event);
        if let Some(tx) = &channels.notices {
            for n in runner.notices.drain(..) {
                let _ = tx.try_send(n);
            }
        }
        if outcome.stop {
            break;
        }
        unpublished |= outcome.publish;
        if unpublished && (is_timer || last_publish.elapsed() >= PUBLISH_EVERY) {
            channels
                .snapshots
                .send_replace(Arc::new(runner.engine.snapshot()));
            last_publish = Instant::now();
            unpublished = false;
        }
    }
    runner.flush();
    channels
        .snapshots
        .send_replace(Arc::new(runner.engine.snapshot()));
    runner
}
