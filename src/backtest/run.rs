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
use crate::domain::{Candle, Interval, Mode, Symbol};
use crate::engine::{Engine, Event, Runner};
use crate::exec::paper::{FundingSchedule, PaperExchange};
use crate::journal::TradeRecord;

use super::curve::EquityCurve;
use super::input::{History, StreamedHistory};
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

/// Where a backtest's candles come from.
pub enum Candles<'a> {
    /// In memory: walk-forward windows and the model's scoring look around
    /// in them.
    Loaded(&'a [History]),
    /// Read from their files as the run goes: the memory a run takes does
    /// not grow with the history (`cockpit backtest` without a model or
    /// windows).
    Streamed(Vec<StreamedHistory>),
}

/// How to run.
pub struct BacktestSpec<'a> {
    /// Validated; `market`, `engine.mode`, `automation` and `armed` are set
    /// here from the candles (paper, automatic, armed).
    pub config: &'a Config,
    pub candles: Candles<'a>,
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
    /// each one); None: the loaded `candles` (a model needs them loaded). A window passes the whole history so
    /// that a proposal near its end is still scored.
    pub outcome_histories: Option<&'a [History]>,
}

impl<'a> BacktestSpec<'a> {
    /// The plain run: algo-only, no funding file, no progress bar, every
    /// candle traded on.
    pub fn new(config: &'a Config, candles: Candles<'a>) -> BacktestSpec<'a> {
        BacktestSpec {
            config,
            candles,
            funding: None,
            model: None,
            progress: false,
            trade_from_ms: None,
            outcome_histories: None,
        }
    }
}

/// The configuration a backtest runs with: the files decide the symbols and
/// the interval; every proposal goes to the paper exchange at once.
pub fn backtest_config(
    config: &Config,
    symbols: Vec<Symbol>,
    interval: Option<Interval>,
) -> Config {
    let mut c = config.clone();
    c.market.symbols = symbols;
    if let Some(interval) = interval {
        c.market.interval = interval;
    }
    c.engine.mode = Mode::Paper;
    c.engine.automation = Automation::Auto;
    c.engine.armed = true;
    c
}

pub fn run(spec: BacktestSpec<'_>) -> Result<BacktestResult, String> {
    let started = Instant::now();
    let loaded = match &spec.candles {
        Candles::Loaded(histories) => Some(*histories),
        Candles::Streamed(_) => None,
    };
    let mut lanes: Vec<Lane> = match spec.candles {
        Candles::Loaded(histories) => histories.iter().map(Lane::loaded).collect(),
        Candles::Streamed(streams) => streams.into_iter().map(Lane::streamed).collect(),
    };
    let config = backtest_config(
        spec.config,
        lanes.iter().map(|l| l.symbol.clone()).collect(),
        lanes.first().map(|l| l.interval),
    );
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
        if loaded.is_none() && spec.outcome_histories.is_none() {
            return Err(
                "a model's proposals are scored on loaded candles, not streamed ones".into(),
            );
        }
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

    let total: u64 = lanes.iter().map(|l| l.total).sum();
    let step_ms = config.market.interval.duration_ms();
    let mut curve = EquityCurve::new();
    let mut progress: Option<Progress> = None;
    let mut done = 0u64;
    let mut traded = 0u64;
    // The earliest open time still to come; every symbol's candle of that
    // time goes through before the curve takes its sample.
    while let Some(open_ms) = lanes
        .iter()
        .filter_map(|l| l.next.as_ref().map(|c| c.open_time_ms))
        .min()
    {
        let at_ms = open_ms + step_ms;
        let warming = spec.trade_from_ms.is_some_and(|t| open_ms < t);
        for lane in lanes.iter_mut() {
            if lane.next.as_ref().is_none_or(|c| c.open_time_ms != open_ms) {
                continue;
            }
            let event = Event::Candle {
                symbol: lane.symbol.clone(),
                candle: lane.advance()?,
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
        if spec.progress && done % 65_536 < lanes.len() as u64 {
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
    for lane in &lanes {
        lane.warn_missing();
    }
    let mut engine = runner.engine;
    let trades = engine.take_trades();
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
            let outcomes = spec.outcome_histories.or(loaded).unwrap_or_default();
            judged::evaluate(name, &judged, outcomes, horizon)
        }),
    })
}

/// One symbol's candles on their way into the run, the next one in hand.
struct Lane<'a> {
    symbol: Symbol,
    interval: Interval,
    next: Option<Candle>,
    /// How many candles there will be, at most (for the progress bar).
    total: u64,
    rest: Rest<'a>,
}

enum Rest<'a> {
    Loaded(std::slice::Iter<'a, Candle>),
    Streamed(Box<StreamedHistory>),
}

impl<'a> Lane<'a> {
    fn loaded(h: &'a History) -> Lane<'a> {
        let mut rest = h.candles.iter();
        Lane {
            symbol: h.symbol.clone(),
            interval: h.interval,
            next: rest.next().cloned(),
            total: h.candles.len() as u64,
            rest: Rest::Loaded(rest),
        }
    }

    fn streamed(s: StreamedHistory) -> Lane<'a> {
        Lane {
            symbol: s.symbol.clone(),
            interval: s.interval,
            next: Some(s.first.clone()),
            total: s.stream.rows(),
            rest: Rest::Streamed(Box::new(s)),
        }
    }

    /// The candle in hand, and the next one taken up (within the range).
    fn advance(&mut self) -> Result<Candle, String> {
        let following = match &mut self.rest {
            Rest::Loaded(iter) => iter.next().cloned(),
            Rest::Streamed(s) => s.next_in_range().map_err(|e| e.to_string())?,
        };
        Ok(std::mem::replace(&mut self.next, following)
            .unwrap_or_else(|| unreachable!("advance is called only with a candle in hand")))
    }

    /// A streamed file's gaps are known once it has been read.
    fn warn_missing(&self) {
        if let Rest::Streamed(s) = &self.rest
            && s.missing > 0
        {
            log::warn!(target: "backtest", "{}: {} candle(s) missing in the range; the run stepped over the gaps", s.path.display(), s.missing);
        }
    }
}
