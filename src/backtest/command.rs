//! `cockpit backtest`: arguments, loading, the run(s), and what is written.

use std::io::Write;
use std::path::PathBuf;

use crate::collect::parse_time;
use crate::config::Config;

use super::input::{self, TimeRange};
use super::run::{BacktestResult, BacktestSpec, Candles, ModelChoice, run};
use super::windows::{self, WalkForward};
use super::{report, summary};

#[derive(clap::Args, Debug, Default)]
pub struct BacktestArgs {
    /// Candle CSV (shared or Binance layout); repeat for several symbols. The
    /// symbol is the file name's first part: BTCUSDT-1h-….csv.
    #[arg(long, value_name = "FILE.csv", required = true)]
    pub data: Vec<PathBuf>,
    /// Binance funding history (funding_time_ms,funding_rate); default: paper.funding_rate.
    #[arg(long, value_name = "FILE.csv")]
    pub funding: Option<PathBuf>,
    /// First candle: YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC), or ms since 1970.
    #[arg(long, value_name = "DATE", value_parser = parse_time)]
    pub from: Option<i64>,
    /// Candles opening before this (same forms).
    #[arg(long, value_name = "DATE", value_parser = parse_time)]
    pub to: Option<i64>,
    /// Strategy name (default: strategy.name in the config).
    #[arg(long, value_name = "NAME")]
    pub strategy: Option<String>,
    /// Algo only (the default).
    #[arg(long, conflicts_with = "model")]
    pub no_ai: bool,
    /// Model that confirms or vetoes each proposal: a name in
    /// paths.models_dir (e.g. gbm) or a path to a .onnx file beside its
    /// manifest. Without it the backtest runs algo-only.
    #[arg(long, value_name = "NAME|PATH")]
    pub model: Option<String>,
    /// ONNX Runtime's libonnxruntime.so.1.31.1 (default: ai.onnxruntime,
    /// ORT_DYLIB_PATH, the project's .onnxruntime/).
    #[arg(long, value_name = "PATH")]
    pub onnxruntime: Option<PathBuf>,
    /// Write {"bars","elapsed_ms","symbols","interval","trades","metrics","equity"}
    /// here instead of the table.
    #[arg(long, value_name = "OUT.json")]
    pub json: Option<PathBuf>,
    /// Rolling windows: warm up (train) on one span, trade (test) the next,
    /// step by the test span; per-window metrics. E.g. train=2y,test=6m.
    #[arg(long, value_name = "train=LEN,test=LEN", conflicts_with = "stress")]
    pub walk_forward: Option<WalkForward>,
    /// Run the named crash windows (2020-03-12 … 2025-10-10) and report each:
    /// did the stops hold, did the breaker trip, how deep the drawdown.
    #[arg(long)]
    pub stress: bool,
    /// Also write a report into this folder (created if missing): equity.png,
    /// equity.svg, metrics.md, trades.csv and result.json; `cockpit report DIR`
    /// shows it in the terminal.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["walk_forward", "stress"])]
    pub report: Option<PathBuf>,
}

/// What went wrong, and whose fault: bad input exits 2, anything else 1.
#[derive(Debug)]
pub enum CommandError {
    BadInput(String),
    Failed(String),
}

pub fn run_command(mut config: Config, args: &BacktestArgs) -> Result<(), CommandError> {
    if let Some(name) = &args.strategy {
        config.strategy.name = name.clone();
    }
    let model = args.model.as_deref().map(|setting| ModelChoice {
        setting,
        onnxruntime: args.onnxruntime.as_deref(),
    });
    let range = TimeRange {
        from_ms: args.from,
        to_ms: args.to,
    };
    if let (Some(f), Some(t)) = (args.from, args.to)
        && f >= t
    {
        return Err(CommandError::BadInput("--from must be before --to".into()));
    }
    // A plain run reads its files as it goes: its memory does not grow with
    // the history. Windows and a model's scoring look around in the
    // candles, so they load them.
    let streamed = model.is_none() && args.walk_forward.is_none() && !args.stress;
    let bad_input = |e: super::InputError| CommandError::BadInput(e.to_string());
    let histories = if streamed {
        Vec::new()
    } else {
        input::load(&args.data, range).map_err(bad_input)?
    };
    for h in &histories {
        if h.missing > 0 {
            log::warn!(target: "backtest", "{}: {} candle(s) missing in the range; the run steps over the gaps", h.path.display(), h.missing);
        }
    }
    if let Some(windows) = match args.walk_forward {
        Some(spec) => Some(windows::walk_forward(
            &config,
            &histories,
            args.funding.as_deref(),
            model,
            spec,
        )),
        None if args.stress => Some(windows::stress(
            &config,
            &histories,
            args.funding.as_deref(),
            model,
        )),
        None => None,
    } {
        let windows = windows.map_err(CommandError::BadInput)?;
        return match &args.json {
            Some(path) => write_json(path, &serde_json::json!({ "windows": windows })),
            None => {
                let _ = std::io::stdout()
                    .lock()
                    .write_all(windows::render(&windows).as_bytes());
                Ok(())
            }
        };
    }
    let candles = if streamed {
        Candles::Streamed(input::stream(&args.data, range).map_err(bad_input)?)
    } else {
        Candles::Loaded(&histories)
    };
    let result = run(BacktestSpec {
        config: &config,
        candles,
        funding: args.funding.as_deref(),
        model,
        progress: true,
        trade_from_ms: None,
        outcome_histories: None,
    })
    .map_err(CommandError::BadInput)?;
    write_result(args, &result)
}

/// The JSON or the summary table, and the report when asked for.
fn write_result(args: &BacktestArgs, result: &BacktestResult) -> Result<(), CommandError> {
    match &args.json {
        Some(path) => {
            write_json(path, result)?;
            eprintln!(
                "{} candles, {} trades in {} ms → {}",
                result.bars,
                result.trades.len(),
                result.elapsed_ms,
                path.display()
            );
        }
        None => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(summary::render(result).as_bytes());
        }
    }
    if let Some(dir) = &args.report {
        report::write(dir, result).map_err(|e| CommandError::Failed(e.to_string()))?;
        eprintln!("report → {}: {}", dir.display(), report::FILES.join(", "));
    }
    Ok(())
}

fn write_json(path: &std::path::Path, value: &impl serde::Serialize) -> Result<(), CommandError> {
    crate::session::write_atomic_with(path, |w| {
        serde_json::to_writer(w, value).map_err(std::io::Error::other)
    })
    .map_err(|e| CommandError::Failed(format!("writing {}: {e}", path.display())))
}
