//! The async side of the engine: waits on commands, the feed and a one-second
//! timer, runs the core, and publishes snapshots. Operator commands go first.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::event::{Action, Command, Event, NoticeLevel};
use super::feed::DemoFeed;
use super::{Engine, Snapshot};

pub struct EngineChannels {
    pub commands: mpsc::Receiver<Command>,
    pub snapshots: watch::Sender<Arc<Snapshot>>,
}

/// Runs until a `Shutdown` command or until every command sender is gone.
/// `now_ms` is the clock (wall clock in the cockpit).
pub async fn run_engine(
    mut engine: Engine,
    mut feed: DemoFeed,
    mut channels: EngineChannels,
    now_ms: impl Fn() -> i64,
) {
    for event in feed.warm_up() {
        apply(&mut engine, now_ms(), event);
    }
    channels.snapshots.send_replace(Arc::new(engine.snapshot()));
    let mut timer = tokio::time::interval(Duration::from_secs(1));
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        let event = tokio::select! {
            biased;
            command = channels.commands.recv() => Event::Command(command.unwrap_or(Command::Shutdown)),
            event = feed.next() => event,
            _ = timer.tick() => Event::Timer,
        };
        match apply(&mut engine, now_ms(), event) {
            Step::Stop => return,
            Step::Publish => {
                channels.snapshots.send_replace(Arc::new(engine.snapshot()));
            }
            Step::Quiet => {}
        }
    }
}

enum Step {
    Quiet,
    Publish,
    Stop,
}

fn apply(engine: &mut Engine, at_ms: i64, event: Event) -> Step {
    let mut step = Step::Quiet;
    for action in engine.process(at_ms, event) {
        match action {
            Action::Notice(n) => match n.level {
                NoticeLevel::Info => log::info!(target: "engine", "{}", n.text),
                NoticeLevel::Warn => log::warn!(target: "engine", "{}", n.text),
                NoticeLevel::Error => log::error!(target: "engine", "{}", n.text),
            },
            Action::Publish => {
                if !matches!(step, Step::Stop) {
                    step = Step::Publish;
                }
            }
            Action::Stop => step = Step::Stop,
        }
    }
    step
}
