//! Wiring only: command line, config, logging, runtime, engine task, TUI.
#![forbid(unsafe_code)]

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use clap::{Parser, Subcommand};
use cockpit::config::Automation;
use cockpit::config::{self, ConfigError, Loaded};
use cockpit::domain::Mode;
use cockpit::engine::feed::{Feed, Speed};
use cockpit::engine::{EngineChannels, Event, run_engine};
use cockpit::indicators::{IndicatorSet, export};
use cockpit::journal::{ExportFormat, Journal, TABLES};
use cockpit::market::csv;
use cockpit::session::{FeedChoice, HeadlessOptions};
use tokio::sync::{mpsc, watch};

#[derive(Parser)]
#[command(
    name = "cockpit",
    version,
    about = "Terminal trading cockpit for Binance USD-M Futures"
)]
struct Cli {
    /// Configuration file (default: ~/.config/cockpit/config.toml, else built-in defaults).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Open the cockpit (the default), or run the engine without a screen.
    Run(RunArgs),
    /// Read the journal.
    Journal {
        #[command(subcommand)]
        action: JournalCmd,
    },
    /// Inspect the configuration.
    Config {
        #[command(subcommand)]
        action: ConfigCmd,
    },
    /// Compute every indicator over a candle CSV and write them as CSV.
    Indicators {
        #[arg(long, value_name = "FILE.csv")]
        input: PathBuf,
        #[arg(long, value_name = "OUT.csv")]
        output: PathBuf,
    },
    /// Write the model's feature vectors of a candle CSV (with the
    /// strategy's proposals, for labels) as CSV.
    Features(cockpit::features::export::FeaturesArgs),
    /// Download closed klines from Binance (public API, no keys) into a candle CSV; resumes.
    Download(DownloadArgs),
    /// Run the engine and the paper exchange over candle files: metrics, trades, equity.
    Backtest(cockpit::backtest::command::BacktestArgs),
    /// Show a saved backtest report (DIR/result.json) in the terminal: ↑/↓
    /// PgUp/PgDn scroll the trades, q quits.
    Report {
        /// A folder written by `cockpit backtest … --report DIR`.
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
}

#[derive(clap::Args)]
struct DownloadArgs {
    /// Binance USD-M symbol (default: the first of market.symbols).
    #[arg(long, value_parser = cockpit::collect::parse_symbol)]
    symbol: Option<cockpit::domain::Symbol>,
    /// 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d (default: market.interval).
    #[arg(long)]
    interval: Option<cockpit::domain::Interval>,
    /// First bar: YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC), or ms since 1970.
    #[arg(long, value_name = "TIME", value_parser = cockpit::collect::parse_time)]
    start: i64,
    /// Bars opening before this (same forms; default: now, closed bars only).
    #[arg(long, value_name = "TIME", value_parser = cockpit::collect::parse_time)]
    end: Option<i64>,
    /// Candle CSV (open_time_ms,open,high,low,close,volume); an existing one is resumed.
    #[arg(long, value_name = "FILE.csv")]
    out: PathBuf,
    /// Also the funding rates, into <out stem>-funding.csv.
    #[arg(long)]
    funding: bool,
}

#[derive(clap::Args, Default)]
struct RunArgs {
    /// No screen: log to stderr, write the status and summary files.
    #[arg(long)]
    headless: bool,
    /// "demo", "binance" (Binance's market data; paper unless --live), or
    /// "replay:FILE.csv" (headless only).
    #[arg(long, value_name = "demo|binance|replay:FILE", default_value = "demo")]
    feed: String,
    /// With --feed binance: trade the account whose keys are in
    /// BINANCE_API_KEY/BINANCE_API_SECRET or binance.key_file. Headless runs
    /// start in live mode; the cockpit still asks you to type LIVE.
    #[arg(long)]
    live: bool,
    /// Confirms binance.network = "mainnet" (real money); also needs
    /// binance.allow_mainnet = true.
    #[arg(long)]
    mainnet: bool,
    /// Replay speed: a multiple of real time, or "max".
    #[arg(long, value_name = "N|max", default_value = "max")]
    speed: String,
    /// Stop after this many seconds.
    #[arg(long, value_name = "SECS")]
    duration: Option<u64>,
    /// Start in this mode (live is entered only from the cockpit, typing LIVE).
    #[arg(long, value_parser = ["shadow", "paper"])]
    mode: Option<String>,
    #[arg(long, value_parser = ["auto", "semi"])]
    automation: Option<String>,
    /// Start armed (new entries allowed).
    #[arg(long)]
    arm: bool,
    /// Rewritten atomically every second with the engine's state as JSON.
    #[arg(long, value_name = "PATH")]
    status_file: Option<PathBuf>,
    /// Written at exit: bars, trades and metrics as JSON.
    #[arg(long, value_name = "PATH")]
    summary_json: Option<PathBuf>,
    /// Journal file (default: paths.journal in the config).
    #[arg(long, value_name = "PATH")]
    journal: Option<PathBuf>,
    /// Model that confirms or vetoes proposals: a name in paths.models_dir
    /// or a path to a .onnx file; "" for algo-only (default: ai.model).
    #[arg(long, value_name = "NAME|PATH")]
    model: Option<String>,
    /// ONNX Runtime's libonnxruntime.so.1.31.1 (default: ai.onnxruntime,
    /// ORT_DYLIB_PATH, the project's .onnxruntime/).
    #[arg(long, value_name = "PATH")]
    onnxruntime: Option<PathBuf>,
}

impl RunArgs {
    fn ai_flags(&self) -> cockpit::ai::setup::AiFlags {
        cockpit::ai::setup::AiFlags {
            model: self.model.clone(),
            onnxruntime: self.onnxruntime.clone(),
        }
    }
}

#[derive(Subcommand)]
enum JournalCmd {
    /// Write one table as CSV or JSON lines to stdout.
    Export {
        #[arg(long, value_parser = TABLES)]
        table: String,
        #[arg(long, value_parser = ["csv", "jsonl"], default_value = "csv")]
        format: String,
        /// Journal file (default: paths.journal in the config).
        #[arg(long, value_name = "PATH")]
        journal: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ConfigCmd {
    /// Print the effective configuration (secrets as ***), or every problem in it.
    Check {
        /// The file to check (default: the normal lookup).
        file: Option<PathBuf>,
    },
}

/// Exit code for bad input: configuration, CSV, arguments (clap uses 2 too).
const BAD_INPUT: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Cmd::Run(RunArgs {
        feed: "demo".into(),
        speed: "max".into(),
        ..RunArgs::default()
    })) {
        Cmd::Journal {
            action:
                JournalCmd::Export {
                    table,
                    format,
                    journal,
                },
        } => {
            let loaded = match load_config(cli.config.as_deref()) {
                Ok(l) => l,
                Err(code) => return code,
            };
            let path = journal.unwrap_or_else(|| loaded.config.paths.journal());
            let format = if format == "jsonl" {
                ExportFormat::Jsonl
            } else {
                ExportFormat::Csv
            };
            let result = Journal::open_existing(&path).and_then(|j| {
                let stdout = std::io::stdout();
                let mut out = BufWriter::new(stdout.lock());
                j.export(&table, format, &mut out)
            });
            match result {
                Ok(rows) => {
                    eprintln!("{rows} row(s) from {table}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(BAD_INPUT)
                }
            }
        }
        Cmd::Config {
            action: ConfigCmd::Check { file },
        } => config_check(file.as_deref().or(cli.config.as_deref())),
        Cmd::Indicators { input, output } => {
            let loaded = match load_config(cli.config.as_deref()) {
                Ok(l) => l,
                Err(code) => return code,
            };
            match write_indicators(&loaded, &input, &output) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(BAD_INPUT)
                }
            }
        }
        Cmd::Features(args) => {
            let loaded = match load_config(cli.config.as_deref()) {
                Ok(l) => l,
                Err(code) => return code,
            };
            let funding = args.funding.as_deref();
            match cockpit::features::export::export(&loaded.config, &args.data, funding, &args.out)
            {
                Ok(s) => {
                    eprintln!(
                        "{}: {} rows ({} warm, {} proposals)",
                        args.out.display(),
                        s.rows,
                        s.warm_rows,
                        s.signals
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(BAD_INPUT)
                }
            }
        }
        Cmd::Download(args) => download(cli.config.as_deref(), args),
        Cmd::Backtest(args) => {
            use cockpit::backtest::command::{CommandError, run_command};
            let loaded = match load_config(cli.config.as_deref()) {
                Ok(l) => l,
                Err(code) => return code,
            };
            cockpit::logging::init_stderr();
            match run_command(loaded.config, &args) {
                Ok(()) => ExitCode::SUCCESS,
                Err(CommandError::BadInput(e)) => {
                    eprintln!("error: {e}");
                    ExitCode::from(BAD_INPUT)
                }
                Err(CommandError::Failed(e)) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Cmd::Report { dir } => show_report(&dir),
        Cmd::Run(args) => {
            let mut loaded = match load_config(cli.config.as_deref()) {
                Ok(l) => l,
                Err(code) => return code,
            };
            if let Err(e) = apply_run_args(&mut loaded.config, &args) {
                eprintln!("error: {e}");
                return ExitCode::from(BAD_INPUT);
            }
            let result = if args.headless {
                headless_options(&args).and_then(|options| {
                    cockpit::logging::init_stderr();
                    cockpit::session::run_headless(loaded.config, options, now_ms)
                })
            } else {
                run_cockpit(loaded, &args)
            };
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// `cockpit report DIR`: a missing or unreadable result is bad input.
fn show_report(dir: &Path) -> ExitCode {
    use std::io::IsTerminal;
    let saved = match cockpit::backtest::report::load(dir) {
        Ok(saved) => saved,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(BAD_INPUT);
        }
    };
    if !std::io::stdout().is_terminal() {
        eprintln!("error: the report view needs a terminal (metrics.md has the figures as text)");
        return ExitCode::FAILURE;
    }
    match cockpit::tui::report::run(saved) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: terminal: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Command-line flags override the config file for this run.
fn apply_run_args(config: &mut config::Config, args: &RunArgs) -> Result<(), String> {
    if let Some(mode) = &args.mode {
        config.engine.mode = mode.parse::<Mode>().map_err(|e| format!("--mode: {e}"))?;
    }
    match args.automation.as_deref() {
        Some("auto") => config.engine.automation = Automation::Auto,
        Some(_) => config.engine.automation = Automation::Semi,
        // Nobody is there to approve a headless run's proposals.
        None if args.headless => config.engine.automation = Automation::Auto,
        None => {}
    }
    if args.arm {
        config.engine.armed = true;
    }
    if let Some(path) = &args.journal {
        config.paths.journal = path.display().to_string();
    }
    Ok(())
}

fn headless_options(args: &RunArgs) -> anyhow::Result<HeadlessOptions> {
    let feed = match args.feed.as_str() {
        "demo" => FeedChoice::Demo,
        "binance" => FeedChoice::Binance {
            live: args.live,
            mainnet: args.mainnet,
        },
        other => match other.strip_prefix("replay:") {
            Some(path) if !path.is_empty() => FeedChoice::Replay(PathBuf::from(path)),
            _ => anyhow::bail!("--feed {other}: use \"demo\", \"binance\" or \"replay:FILE.csv\""),
        },
    };
    if args.live && args.feed != "binance" {
        anyhow::bail!("--live trades on Binance: use it with --feed binance");
    }
    let speed: Speed = args
        .speed
        .parse()
        .map_err(|e| anyhow::anyhow!("--speed: {e}"))?;
    Ok(HeadlessOptions {
        feed,
        speed,
        duration: args.duration.map(Duration::from_secs),
        status_file: args.status_file.clone(),
        summary_json: args.summary_json.clone(),
        ai: args.ai_flags(),
    })
}

fn load_config(explicit: Option<&Path>) -> Result<Loaded, ExitCode> {
    config::load(explicit, std::env::vars()).map_err(|e| {
        report_config_error(&e);
        ExitCode::from(BAD_INPUT)
    })
}

fn report_config_error(e: &ConfigError) {
    for line in e.lines() {
        eprintln!("error: {line}");
    }
}

fn config_check(file: Option<&Path>) -> ExitCode {
    match config::load(file, std::env::vars()) {
        Ok(loaded) => {
            println!(
                "# effective configuration from {}",
                loaded.source.describe()
            );
            if !loaded.overrides.is_empty() {
                println!(
                    "# overridden from the environment: {}",
                    loaded.overrides.join(", ")
                );
            }
            print!("{}", loaded.config.to_redacted_toml());
            ExitCode::SUCCESS
        }
        Err(e) => {
            report_config_error(&e);
            ExitCode::from(BAD_INPUT)
        }
    }
}

fn write_indicators(loaded: &Loaded, input: &Path, output: &Path) -> anyhow::Result<()> {
    let file = csv::load(input)?;
    let params = &loaded.config.indicators;
    let out = std::fs::File::create(output)
        .with_context(|| format!("cannot create {}", output.display()))?;
    let mut out = BufWriter::new(out);
    let mut set = IndicatorSet::new(params);
    let write_err = |e: std::io::Error| anyhow::anyhow!("cannot write {}: {e}", output.display());
    writeln!(out, "{}", export::csv_header(params)).map_err(write_err)?;
    for candle in &file.candles {
        let bar = candle.bar();
        let values = *set.update(&bar);
        export::write_csv_row(&mut out, &bar, &values).map_err(write_err)?;
    }
    out.flush().map_err(write_err)?;
    if !file.gaps.is_empty() || !file.skipped.is_empty() {
        eprintln!(
            "warning: {}: {} gap(s) ({} candles missing) and {} duplicate/out-of-order row(s) skipped; indicators run across the gaps",
            input.display(),
            file.gaps.len(),
            file.missing_candles(),
            file.skipped.len()
        );
    }
    eprintln!("wrote {} rows to {}", file.candles.len(), output.display());
    Ok(())
}

/// `cockpit download`: the REST base URL is binance.rest_url (or
/// COCKPIT_BINANCE_REST_URL); notes and the summary go to stdout, the
/// progress bar and errors to stderr.
fn download(config: Option<&Path>, args: DownloadArgs) -> ExitCode {
    use cockpit::binance::rest::RestConfig;
    use cockpit::collect::{self, Job, Source};
    let loaded = match load_config(config) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let market = &loaded.config.market;
    let Some(symbol) = args.symbol.or_else(|| market.symbols.first().cloned()) else {
        eprintln!("error: no --symbol, and market.symbols is empty");
        return ExitCode::from(BAD_INPUT);
    };
    let job = Job {
        symbol,
        interval: args.interval.unwrap_or(market.interval),
        start_ms: args.start,
        end_ms: args.end,
        out: args.out,
        funding: args.funding,
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: starting the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let source = Source::new(RestConfig::new(loaded.config.binance.rest_url.clone()));
    let ctrl_c = async {
        // Without a Ctrl-C handler the download simply runs to its end.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let stdout = std::io::stdout();
    let mut notes = stdout.lock();
    let result = runtime.block_on(collect::download(source, &job, &mut notes, ctrl_c));
    let report = match result {
        Ok(report) => report,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(e.exit_code());
        }
    };
    for line in report.lines() {
        let _ = writeln!(notes, "{line}");
    }
    let _ = notes.flush();
    match &report.stop {
        None => ExitCode::SUCCESS,
        Some(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn run_cockpit(loaded: Loaded, args: &RunArgs) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        anyhow::bail!("the cockpit needs a terminal (run it in a terminal or tmux)");
    }
    cockpit::logging::init(&loaded.config.paths.log_dir()).context("starting the log")?;
    let config = loaded.config;
    log::info!(
        "cockpit {} starting; config: {}",
        env!("CARGO_PKG_VERSION"),
        loaded.source.describe()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;

    let demo_candle_ms = config.demo.candle_ms as i64;
    let journal_path = config.paths.journal();
    let mut journal = Some(cockpit::session::open_journal(&journal_path)?);
    log::info!("journal: {}", journal_path.display());
    let binance = match args.feed.as_str() {
        "demo" => None,
        "binance" => {
            let credentials =
                cockpit::session::binance::credentials_for(&config, args.live, args.mainnet)?;
            log::info!("connecting to Binance at {}", config.binance.rest_url);
            Some(runtime.block_on(cockpit::session::binance::prepare(
                &config,
                credentials,
                cockpit::binance::rest::system_clock(),
                journal.take(),
                false,
                &args.ai_flags(),
            ))?)
        }
        other => anyhow::bail!(
            "--feed {other}: the cockpit runs on \"demo\" or \"binance\" (replays are headless)"
        ),
    };
    // Timers run on the feed's clock: the exchange's time on Binance.
    let clock: cockpit::binance::rest::Clock = match &binance {
        Some(run) => {
            let rest = run.link.0.clone();
            Arc::new(move || rest.server_now())
        }
        None => Arc::new(now_ms),
    };
    let (mut runner, feed, warm_up, _link) = match binance {
        Some(run) => (run.runner, run.feed, run.warm_up, Some(run.link)),
        None => {
            let runner = cockpit::session::build_runner(
                &config,
                "demo",
                (demo_candle_ms * 5).max(5_000),
                journal.take(),
                &args.ai_flags(),
            )?;
            let (feed, warm_up) = runtime.block_on(async { Feed::demo(&config, now_ms) });
            (runner, feed, warm_up, None)
        }
    };
    // The first picture already has the symbols and the clock, not a blank default.
    runner.step(clock(), Event::Timer);
    let (command_tx, command_rx) = mpsc::channel(64);
    let (snapshot_tx, snapshot_rx) = watch::channel(Arc::new(runner.engine.snapshot()));
    let (engine_done_tx, engine_done_rx) = watch::channel(false);
    let engine_task = runtime.spawn(async move {
        let ended = run_engine(
            runner,
            feed,
            warm_up,
            EngineChannels {
                commands: command_rx,
                snapshots: snapshot_tx,
                notices: None,
            },
            move || clock(),
        )
        .await;
        let _ = engine_done_tx.send(true);
        ended
    });
    let shutdown = cockpit::tui::Shutdown::default();
    let ui_done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Weak: the engine still stops when the UI's sender goes away.
    runtime.spawn(watch_signals(
        shutdown.clone(),
        command_tx.downgrade(),
        engine_done_rx,
        ui_done.clone(),
    ));

    let ui_result = cockpit::tui::run(snapshot_rx, command_tx, &config.ui, shutdown);
    ui_done.store(true, std::sync::atomic::Ordering::SeqCst);
    let stopped =
        runtime.block_on(async { tokio::time::timeout(Duration::from_secs(3), engine_task).await });
    runtime.shutdown_timeout(Duration::from_millis(500));
    ui_result.context("terminal")?;
    match stopped {
        Ok(Ok(_runner)) => Ok(()),
        Ok(Err(e)) => anyhow::bail!("the engine task failed: {e}"),
        Err(_) => anyhow::bail!("the engine did not stop within 3 s"),
    }
}

/// SIGTERM and SIGHUP (the SSH session went away) leave like `q` does.
///
/// With the terminal gone, crossterm's read can spin on the dead tty and
/// never return to the UI loop (it retries EOF forever), so the loop may
/// never see the request. The engine is therefore told to stop from here,
/// and once it has stopped (journal written) and the UI has had a moment to
/// leave on its own, the process exits from here.
async fn watch_signals(
    shutdown: cockpit::tui::Shutdown,
    commands: mpsc::WeakSender<cockpit::engine::Command>,
    mut engine_done: watch::Receiver<bool>,
    ui_done: Arc<std::sync::atomic::AtomicBool>,
) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        log::warn!("cannot watch SIGTERM/SIGHUP; quit with q");
        return;
    };
    let name = tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = hup.recv() => "SIGHUP",
    };
    log::info!("{name}: leaving");
    shutdown.request();
    if let Some(commands) = commands.upgrade() {
        let _ = commands
            .send_timeout(cockpit::engine::Command::Shutdown, Duration::from_secs(1))
            .await;
    }
    let stopped = tokio::time::timeout(Duration::from_secs(3), engine_done.wait_for(|done| *done))
        .await
        .is_ok_and(|r| r.is_ok());
    // A live UI loop returns within a frame (restoring the terminal) and
    // main ends the process; only a UI stuck on a dead terminal is left.
    tokio::time::sleep(Duration::from_secs(1)).await;
    if ui_done.load(std::sync::atomic::Ordering::SeqCst) {
        return;
    }
    if stopped {
        log::warn!("{name}: the terminal did not let go; the engine has stopped, exiting");
        std::process::exit(0);
    }
    log::error!("{name}: the engine did not stop within 3 s; exiting anyway");
    std::process::exit(1);
}
