//! One backtest: the engine core and the paper exchange driven by
//! `Runner::step`, the very step a replay and a live session take, over
//! the candles of every symbol in close-time order.

use std::path::Path;
use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use serde::Serialize;

use std::sync::{Arc, Mutex};

use crate::ai::setup::load_model;
use crate::collect::progress::{Progress, ProgressTarget};
use crate::config::{Automation, Config};
use crate::domain::{Interval, Mode, Symbol};
use crate::engine::{Engine, Event, Runner};
use crate::exec::paper::{FundingSchedule, PaperExchange};
use crate::journal::TradeRecord;

use super::curve::EquityCurve;
use super::input::History;
use super::judged::{self, AiEvaluation, Recording};
use super::metrics::{self, Costs, Metrics};

/// What a backtest produced.
#[derive(Debug, Clone, Serialize)]
pub struct BacktestResult {
    pub bars: u64,
    pub elapsed_ms: u64,
    pub symbols: Vec<Symbol>,
    pub interval: Interval,
    pub trades: Vec<TradeRecord>,
    pub metrics: Metrics,
    /// `[time_ms, total equity]`, thinned to a few thousand points.
    #[serde(serialize_with = "equity_pairs")]
    pub equity: Vec<(i64, Decimal)>,
    /// How the model judged, when one was in the loop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ai: Option<AiEvaluation>,
}

/// The model a backtest runs with: a name in `paths.models_dir` or a path,
/// and where ONNX Runtime is when the config does not say.
#[derive(Debug, Clone, Copy)]
pub struct ModelChoice<'a> {
    pub setting: &'a str,
    pub onnxruntime: Option<&'a Path>,
}

fn equity_pairs<S: serde::Serializer>(v: &[(i64, Decimal)], s: S) -> Result<S::Ok, S::Error> {
    use rust_decimal::prelude::ToPrimitive;
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(v.len()))?;
    for (t, e) in v {
        // Numbers, for plotting tools; cents are exact in an f64 at these sizes.
        seq.serialize_element(&(t, e.round_dp(2).to_f64().unwrap_or(f64::NAN)))?;
    }
    seq.end()
}

/// How to run.
pub struct BacktestSpec<'a> {
    /// Validated; `market`, `engine.mode`, `automation` and `armed` are set
    /// here from the histories (paper, automatic, armed).
    pub config: &'a Config,
    pub histories: &'a [History],
    /// Binance funding history; without it `paper.funding_rate` is charged.
    pub funding: Option<&'a Path>,
    /// The model that confirms or vetoes; None runs algo-only.
    pub model: Option<ModelChoice<'a>>,
    /// A progress bar on stderr once the run has taken a second.
    pub progress: bool,
    /// Candles opening before this only warm the indicators up: nothing is
    /// decided or traded on them, and the metrics start after them.
    pub trade_from_ms: Option<i64>,
    /// The candles the model's proposals are scored on (what came after
    /// each one); None: `histories`. A window passes the whole history so
    /// that a proposal near its end is still scored.
    pub outcome_histories: Option<&'a [History]>,
}

/// The configuration a backtest runs with: the files decide the symbols and
/// the interval; every proposal goes to the paper exchange at once.
pub fn backtest_config(config: &Config, histories: &[History]) -> Config {
    let mut c = config.clone();
    c.market.symbols = histories.iter().map(|h| h.symbol.clone()).collect();
    if let Some(h) = histories.first() {
        c.market.interval = h.interval;
    }
    c.engine.mode = Mode::Paper;
    c.engine.automation = Automation::Auto;
    c.engine.armed = true;
    c
}

pub fn run(spec: BacktestSpec<'_>) -> Result<BacktestResult, String> {
    let started = Instant::now();
    let config = backtest_config(spec.config, spec.histories);
    let funding = match spec.funding {
        Some(path) => FundingSchedule::load_csv(path, config.paper.funding_rate)
            .map_err(|e| format!("--funding: {e}"))?,
        None => FundingSchedule::from_config(&config.paper)
            .map_err(|e| format!("paper.funding_file: {e}"))?,
    };
    // A recorded history has no "stale feed": it never goes quiet.
    let mut engine = Engine::new(&config, "backtest", i64::MAX / 4)
        .map_err(|e| format!("strategy.name: {e}"))?;
    let judged = Arc::new(Mutex::new(Vec::new()));
    let mut model_info = None;
    if let Some(choice) = spec.model {
        let model = load_model(&config, choice.setting, choice.onnxruntime)?;
        let manifest = model.manifest();
        let horizon = manifest
            .label
            .as_ref()
            .map_or(48, |l| l.horizon_bars as usize);
        model_info = Some((manifest.name.clone(), horizon));
        engine = engine.with_confirmer(Box::new(Recording {
            inner: Box::new(model),
            log: judged.clone(),
        }));
    }
    // The result is trades and metrics; decision texts would only be dropped.
    engine.set_explaining(false);
    let exchange = PaperExchange::new(&config.paper, funding);
    let mut runner = Runner::new(engine, exchange, None);
    runner.quiet = true;

    let total: u64 = spec.histories.iter().map(|h| h.candles.len() as u64).sum();
    let step_ms = config.market.interval.duration_ms();
    let mut next = vec![0usize; spec.histories.len()];
    let mut curve = EquityCurve::new();
    let mut progress: Option<Progress> = None;
    let mut done = 0u64;
    let mut traded = 0u64;
    // The earliest open time still to come; every symbol's candle of that
    // time goes through before the curve takes its sample.
    while let Some(open_ms) = spec
        .histories
        .iter()
        .zip(&next)
        .filter_map(|(h, &i)| h.candles.get(i).map(|c| c.open_time_ms))
        .min()
    {
        let at_ms = open_ms + step_ms;
        let warming = spec.trade_from_ms.is_some_and(|t| open_ms < t);
        for (h, i) in spec.histories.iter().zip(next.iter_mut()) {
            let Some(candle) = h.candles.get(*i) else {
                continue;
            };
            if candle.open_time_ms != open_ms {
                continue;
            }
            *i += 1;
            let event = Event::Candle {
                symbol: h.symbol.clone(),
                candle: candle.clone(),
            };
            if warming {
                runner.warm(vec![(at_ms, event)]);
            } else {
                runner.step(at_ms, event);
                traded += 1;
            }
            done += 1;
        }
        if warming {
            continue;
        }
        let engine = &runner.engine;
        curve.observe(
            at_ms,
            engine.last_equity(),
            !engine.book().positions.is_empty(),
        );
        if spec.progress && done % 65_536 < spec.histories.len() as u64 {
            match &progress {
                Some(p) => p.set(done),
                None if started.elapsed() > Duration::from_secs(1) => {
                    progress = Some(Progress::start(
                        ProgressTarget::Stderr,
                        "backtest",
                        total,
                        "candles",
                    ));
                }
                None => {}
            }
        }
    }
    if let Some(p) = progress {
        p.set(done);
        p.finish();
    }
    let engine = runner.engine;
    let trades = engine.trades().to_vec();
    let open: Vec<_> = engine.book().positions.values().collect();
    let costs = Costs {
        fees: trades.iter().map(|t| t.fees).sum::<Decimal>()
            + open.iter().map(|p| p.fees).sum::<Decimal>(),
        funding: trades.iter().map(|t| t.funding).sum::<Decimal>()
            + open.iter().map(|p| p.funding).sum::<Decimal>(),
    };
    let open_at_end = open.len();
    let curve = curve.finish();
    let metrics = metrics::compute(&trades, &curve, engine.stats(), costs, open_at_end);
    Ok(BacktestResult {
        bars: traded,
        elapsed_ms: started.elapsed().as_millis() as u64,
        symbols: config.market.symbols.clone(),
        interval: config.market.interval,
        trades,
        metrics,
        equity: curve.points,
        ai: model_info.map(|(name, horizon)| {
            let judged = judged.lock().unwrap_or_else(|e| e.into_inner());
            let outcomes = spec.outcome_histories.unwrap_or(spec.histories);
            judged::evaluate(name, &judged, outcomes, horizon)
        }),
    })
}
