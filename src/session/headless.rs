//! `cockpit run --headless`: the same engine and runner as the cockpit, with
//! a log sink, a status file rewritten every second and a summary at exit.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::{mpsc, watch};

use crate::config::Config;
use crate::engine::feed::{Feed, ReplayFeed, Speed};
use crate::engine::{Command, EngineChannels, Snapshot, run_engine};

use super::{build_runner, open_journal, status_json, summary_json, write_atomic};

#[derive(Debug, Clone, PartialEq)]
pub enum FeedChoice {
    Demo,
    Replay(PathBuf),
    /// Binance's market streams; `live` attaches the account (`--live`).
    Binance {
        live: bool,
        mainnet: bool,
    },
}

#[derive(Debug, Clone)]
pub struct HeadlessOptions {
    pub feed: FeedChoice,
    /// Replay pace; the demo runs at its own pace.
    pub speed: Speed,
    /// Stop after this much wall time.
    pub duration: Option<Duration>,
    pub status_file: Option<PathBuf>,
    pub summary_json: Option<PathBuf>,
    /// `--model` and `--onnxruntime`.
    pub ai: crate::ai::setup::AiFlags,
}

pub fn run_headless(
    mut config: Config,
    options: HeadlessOptions,
    now_ms: fn() -> i64,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    if let FeedChoice::Binance { live, mainnet } = options.feed {
        return run_headless_binance(config, options.clone(), live, mainnet, runtime);
    }
    let mut replay = match &options.feed {
        FeedChoice::Demo | FeedChoice::Binance { .. } => None,
        FeedChoice::Replay(path) => {
            let fallback = config
                .market
                .symbols
                .first()
                .cloned()
                .context("market.symbols is empty")?;
            let feed = ReplayFeed::open(path, &fallback, options.speed)
                .map_err(|e| anyhow::anyhow!("--feed replay: {e}"))?;
            // The file decides what is traded.
            config.market.symbols = vec![feed.symbol.clone()];
            config.market.interval = feed.interval;
            Some(feed)
        }
    };
    let journal_path = config.paths.journal();
    let journal = open_journal(&journal_path)?;
    log::info!(target: "engine", "journal: {}", journal_path.display());
    let stale_ms = match &replay {
        Some(_) => i64::MAX / 4,
        None => (config.demo.candle_ms as i64 * 5).max(5_000),
    };
    let source = if replay.is_some() { "replay" } else { "demo" };
    let mut runner = build_runner(&config, source, stale_ms, Some(journal), &options.ai)?;
    let (feed, warm_up) = match replay.take() {
        Some(mut feed) => {
            let resumed = feed.take_until(runner.engine.now_ms());
            if !resumed.is_empty() {
                log::info!(
                    target: "engine",
                    "resuming the replay after {} candle(s) the journal already has",
                    resumed.len()
                );
            }
            if options.speed == Speed::Max {
                runner.batch = 4096;
            }
            (Feed::Replay(feed), resumed)
        }
        None => runtime.block_on(async { Feed::demo(&config, now_ms) }),
    };

    finish(runtime, runner, feed, warm_up, options, now_ms)
}

/// Paper on Binance data, or live with `--live`.
fn run_headless_binance(
    config: Config,
    options: HeadlessOptions,
    live: bool,
    mainnet: bool,
    runtime: tokio::runtime::Runtime,
) -> anyhow::Result<()> {
    let credentials = super::binance::credentials_for(&config, live, mainnet)?;
    let journal_path = config.paths.journal();
    let journal = open_journal(&journal_path)?;
    log::info!(target: "engine", "journal: {}", journal_path.display());
    let run = runtime.block_on(super::binance::prepare(
        &config,
        credentials,
        crate::binance::rest::system_clock(),
        Some(journal),
        live,
        &options.ai,
    ))?;
    // Timers run on the exchange's clock, as the stream's events do.
    let rest = run.link.0.clone();
    let _link = run.link;
    finish(
        runtime,
        run.runner,
        run.feed,
        run.warm_up,
        options,
        move || rest.server_now(),
    )
}

/// Runs the engine to its end and writes the status and summary files.
fn finish(
    runtime: tokio::runtime::Runtime,
    runner: crate::engine::Runner,
    feed: Feed,
    warm_up: Vec<(i64, crate::engine::Event)>,
    options: HeadlessOptions,
    now_ms: impl Fn() -> i64 + Send + 'static,
) -> anyhow::Result<()> {
    let (command_tx, command_rx) = mpsc::channel(64);
    let (snapshot_tx, snapshot_rx) = watch::channel(Arc::new(Snapshot::default()));
    let status_task = options
        .status_file
        .clone()
        .map(|path| runtime.spawn(write_status_every_second(path, snapshot_rx.clone())));
    runtime.spawn(stop_on_signal(command_tx.clone(), options.duration));
    let runner = runtime.block_on(run_engine(
        runner,
        feed,
        warm_up,
        EngineChannels {
            commands: command_rx,
            snapshots: snapshot_tx,
            notices: None,
        },
        now_ms,
    ));
    drop(command_tx);
    if let Some(task) = status_task {
        // Abort takes effect at the task's next await: wait for it, or a
        // write it has under way races the final one below for the same
        // temporary file.
        task.abort();
        let _ = runtime.block_on(task);
    }
    // `run_engine` committed the journal before returning.
    let mut engine = runner.engine;
    if let Some(path) = &options.status_file {
        let json = serde_json::to_vec_pretty(&status_json(&engine.snapshot()))?;
        write_atomic(path, &json).with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &options.summary_json {
        let json = serde_json::to_vec_pretty(&summary_json(&engine))?;
        write_atomic(path, &json).with_context(|| format!("writing {}", path.display()))?;
    }
    log::info!(
        target: "engine",
        "stopped after {} bars and {} trades; equity {} USDT",
        engine.bars(),
        engine.trades().len(),
        engine.equity().round_dp(2)
    );
    runtime.shutdown_timeout(Duration::from_millis(500));
    Ok(())
}

async fn write_status_every_second(path: PathBuf, snapshots: watch::Receiver<Arc<Snapshot>>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let snapshot = Arc::clone(&snapshots.borrow());
        match serde_json::to_vec_pretty(&status_json(&snapshot)) {
            Ok(json) => {
                if let Err(e) = write_atomic(&path, &json) {
                    log::error!(target: "engine", "status file {}: {e}", path.display());
                }
            }
            Err(e) => log::error!(target: "engine", "status file: {e}"),
        }
    }
}

/// SIGINT, SIGTERM or the end of `--duration`: a clean stop with the journal flushed.
async fn stop_on_signal(commands: mpsc::Sender<Command>, duration: Option<Duration>) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        log::warn!(target: "engine", "cannot watch SIGTERM/SIGINT");
        return;
    };
    let limit = async {
        match duration {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = term.recv() => log::info!(target: "engine", "SIGTERM: stopping"),
        _ = int.recv() => log::info!(target: "engine", "SIGINT: stopping"),
        _ = limit => log::info!(target: "engine", "duration reached: stopping"),
    }
    let _ = commands.send(Command::Shutdown).await;
}
