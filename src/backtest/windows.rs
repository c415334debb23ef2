//! Walk-forward and stress runs: the same backtest over several windows of
//! the history, each warmed up on what comes before it and reported alone.

use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

use crate::config::Config;
use crate::domain::time::utc_day_start;

use super::input::History;
use super::judged::AiEvaluation;
use super::metrics::Metrics;
use super::run::{BacktestSpec, Candles, ModelChoice, run};

const DAY_MS: i64 = 86_400_000;

/// `train=2y,test=6m`: a window sees `train` of history (indicators warm up
/// on it; a model would be fitted on it) and then trades `test` of it; the
/// next window starts `test` later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalkForward {
    pub train_ms: i64,
    pub test_ms: i64,
}

impl std::str::FromStr for WalkForward {
    type Err = String;
    fn from_str(text: &str) -> Result<WalkForward, String> {
        let mut train = None;
        let mut test = None;
        for part in text.split(',') {
            let (key, value) = part.split_once('=').ok_or_else(|| {
                format!("`{part}`: expected train=LENGTH,test=LENGTH, e.g. train=2y,test=6m")
            })?;
            let ms = parse_length(value.trim())?;
            match key.trim() {
                "train" => train = Some(ms),
                "test" => test = Some(ms),
                other => return Err(format!("`{other}`: the keys are train and test")),
            }
        }
        match (train, test) {
            (Some(train_ms), Some(test_ms)) => Ok(WalkForward { train_ms, test_ms }),
            _ => Err("give both train=LENGTH and test=LENGTH, e.g. train=2y,test=6m".into()),
        }
    }
}

/// `90d`, `12w`, `6m` (months of 30 days), `2y` (365 days).
fn parse_length(text: &str) -> Result<i64, String> {
    let bad = || {
        format!(
            "`{text}` is not a length: a whole number with d, w, m (30 days) or y (365 days), e.g. 90d, 6m, 2y"
        )
    };
    let unit = text.chars().last().ok_or_else(bad)?;
    let n: i64 = text[..text.len() - unit.len_utf8()]
        .parse()
        .map_err(|_| bad())?;
    let days = match unit {
        'd' => 1,
        'w' => 7,
        'm' => 30,
        'y' => 365,
        _ => return Err(bad()),
    };
    if n <= 0 {
        return Err(bad());
    }
    Ok(n * days * DAY_MS)
}

/// One window's result.
#[derive(Debug, Clone, Serialize)]
pub struct WindowResult {
    pub name: String,
    /// Warm-up (training) span, then the traded span, as [from, to) in ms.
    pub warm_from_ms: i64,
    pub from_ms: i64,
    pub to_ms: i64,
    pub bars: u64,
    /// None when the history does not cover the window.
    pub metrics: Option<Metrics>,
    pub stops: Option<StopReport>,
    pub note: Option<String>,
    /// How the model judged in the window, when one was in the loop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ai: Option<AiEvaluation>,
}

/// Did the stops hold: how the stop exits filled against their levels. A
/// stop-market fill pays the slippage; one that filled more than a basis
/// point beyond that opened through its stop (a gap).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StopReport {
    pub stop_exits: usize,
    /// Stop exits that filled beyond their level and its slippage (a gap).
    pub gapped: usize,
    /// The worst fill beyond a stop, as a fraction of the stop price
    /// (slippage included).
    pub worst_slippage: f64,
    pub liquidations: usize,
}

fn stop_report(trades: &[crate::journal::TradeRecord], slippage: f64) -> StopReport {
    let mut report = StopReport {
        stop_exits: 0,
        gapped: 0,
        worst_slippage: 0.0,
        liquidations: 0,
    };
    for t in trades {
        match t.exit_reason.as_str() {
            "stop" => {
                report.stop_exits += 1;
                let beyond = (t.exit_price.value() - t.stop_price.value())
                    * rust_decimal::Decimal::from(-t.side.sign());
                let slip = (beyond / t.stop_price.value()).to_f64().unwrap_or(0.0);
                report.worst_slippage = report.worst_slippage.max(slip);
                if slip > slippage + 0.0001 {
                    report.gapped += 1;
                }
            }
            "liquidation" => report.liquidations += 1,
            _ => {}
        }
    }
    report
}

/// Runs the window [from, to) after warming up from `warm_from`; the span
/// is (warm_from, from, to) in ms.
fn run_window(
    config: &Config,
    histories: &[History],
    funding: Option<&std::path::Path>,
    model: Option<ModelChoice<'_>>,
    name: String,
    (warm_from_ms, from_ms, to_ms): (i64, i64, i64),
) -> Result<WindowResult, String> {
    let cut: Vec<History> = histories
        .iter()
        .map(|h| History {
            candles: h
                .candles
                .iter()
                .filter(|c| c.open_time_ms >= warm_from_ms && c.open_time_ms < to_ms)
                .cloned()
                .collect(),
            ..h.clone()
        })
        .collect();
    let step = histories.first().map_or(0, |h| h.interval.duration_ms());
    let covered = cut.iter().all(|h| {
        h.candles.first().is_some_and(|c| c.open_time_ms <= from_ms)
            && h.candles
                .last()
                .is_some_and(|c| c.open_time_ms + step >= to_ms)
    });
    if !covered {
        return Ok(WindowResult {
            name,
            warm_from_ms,
            from_ms,
            to_ms,
            bars: 0,
            metrics: None,
            stops: None,
            note: Some("not covered by the data".into()),
            ai: None,
        });
    }
    let result = run(BacktestSpec {
        config,
        candles: Candles::Loaded(&cut),
        funding,
        model,
        progress: false,
        trade_from_ms: Some(from_ms),
        outcome_histories: Some(histories),
    })?;
    Ok(WindowResult {
        name,
        warm_from_ms,
        from_ms,
        to_ms,
        bars: result.bars,
        stops: Some(stop_report(
            &result.trades,
            config.paper.slippage.to_f64().unwrap_or(0.0),
        )),
        metrics: Some(result.metrics),
        note: None,
        ai: result.ai,
    })
}

/// Rolling windows over the whole history.
pub fn walk_forward(
    config: &Config,
    histories: &[History],
    funding: Option<&std::path::Path>,
    model: Option<ModelChoice<'_>>,
    spec: WalkForward,
) -> Result<Vec<WindowResult>, String> {
    let first = histories
        .iter()
        .filter_map(|h| h.candles.first())
        .map(|c| c.open_time_ms)
        .min();
    let last = histories
        .iter()
        .filter_map(|h| h.candles.last())
        .map(|c| c.open_time_ms)
        .max();
    let (Some(first), Some(last)) = (first, last) else {
        return Ok(Vec::new());
    };
    let step = histories[0].interval.duration_ms();
    let end = last + step;
    let mut out = Vec::new();
    let mut warm_from = first;
    while warm_from + spec.train_ms + spec.test_ms <= end {
        let from = warm_from + spec.train_ms;
        let to = from + spec.test_ms;
        out.push(run_window(
            config,
            histories,
            funding,
            model,
            format!("window {}", out.len() + 1),
            (warm_from, from, to),
        )?);
        warm_from += spec.test_ms;
    }
    if out.is_empty() {
        return Err(format!(
            "the data spans {} days, less than one train + test window",
            (end - first) / DAY_MS
        ));
    }
    Ok(out)
}

/// The crash windows every strategy should be seen through: (name, first
/// day, last day), UTC.
pub const CRASHES: [(&str, &str, &str); 6] = [
    ("COVID crash", "2020-03-12", "2020-03-12"),
    ("May 2021 crash", "2021-05-19", "2021-05-19"),
    ("LUNA collapse", "2022-05-09", "2022-05-12"),
    ("FTX collapse", "2022-11-08", "2022-11-10"),
    ("August 2024 carry unwind", "2024-08-05", "2024-08-05"),
    ("October 2025 liquidations", "2025-10-10", "2025-10-10"),
];

/// Indicators warm up on this much history before each crash window.
const STRESS_WARM_UP_MS: i64 = 30 * DAY_MS;

/// Each crash window traded from its first day's midnight to its last day's
/// end, after a warm-up.
pub fn stress(
    config: &Config,
    histories: &[History],
    funding: Option<&std::path::Path>,
    model: Option<ModelChoice<'_>>,
) -> Result<Vec<WindowResult>, String> {
    CRASHES
        .iter()
        .map(|(name, first, last)| {
            let from = crate::collect::parse_time(first)?;
            let to = utc_day_start(crate::collect::parse_time(last)?) + DAY_MS;
            run_window(
                config,
                histories,
                funding,
                model,
                format!(
                    "{name} ({first}{})",
                    if first == last {
                        String::new()
                    } else {
                        format!(" → {last}")
                    }
                ),
                (from - STRESS_WARM_UP_MS, from, to),
            )
        })
        .collect()
}

/// A table, one window per line.
pub fn render(windows: &[WindowResult]) -> String {
    use std::fmt::Write;
    let pct = |v: Option<f64>| v.map_or("—".to_string(), |x| format!("{:.2}%", x * 100.0));
    let mut out = format!(
        "{:<44} {:>6} {:>9} {:>8} {:>7} {:>6} {:>7} {:>11}  {}\n",
        "window (traded span, UTC)",
        "trades",
        "return",
        "max DD",
        "Sharpe",
        "PF",
        "breaker",
        "liquidated",
        "stops held"
    );
    for w in windows {
        let span = format!(
            "{} → {}",
            &crate::domain::time::format_utc(w.from_ms)[..10],
            &crate::domain::time::format_utc(w.to_ms - 1)[..10]
        );
        let label = if w.name.starts_with("window") {
            span
        } else {
            w.name.clone()
        };
        let (Some(m), Some(s)) = (&w.metrics, &w.stops) else {
            let _ = writeln!(out, "{label:<44} {}", w.note.as_deref().unwrap_or("—"));
            continue;
        };
        let held = if s.stop_exits == 0 {
            "no stops".to_string()
        } else if s.gapped == 0 {
            format!("all {}", s.stop_exits)
        } else {
            format!(
                "{} of {} gapped, worst {:.2}%",
                s.gapped,
                s.stop_exits,
                s.worst_slippage * 100.0
            )
        };
        let r = |g: &crate::backtest::judged::Group| {
            if g.scored == 0 {
                "—".to_string()
            } else {
                format!("{:+.2} R", g.mean_r)
            }
        };
        let ai = w.ai.as_ref().map_or(String::new(), |a| {
            format!(
                "  AI ✓{} ✗{} ({} vs {})",
                a.confirmed.proposals,
                a.vetoed.proposals,
                r(&a.confirmed),
                r(&a.vetoed)
            )
        });
        let _ = writeln!(
            out,
            "{label:<44} {:>6} {:>9} {:>8} {:>7} {:>6} {:>7} {:>11}  {}{ai}",
            m.trades,
            pct(m.total_return),
            format!("{:.2}%", m.max_drawdown * 100.0),
            m.sharpe.map_or("—".into(), |x| format!("{x:.2}")),
            m.profit_factor.map_or("—".into(), |x| format!("{x:.2}")),
            m.breaker_trips,
            s.liquidations,
            held,
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_forward_specs_parse_or_say_what_is_wrong() {
        assert_eq!(
            "train=2y,test=6m".parse::<WalkForward>(),
            Ok(WalkForward {
                train_ms: 730 * DAY_MS,
                test_ms: 180 * DAY_MS
            })
        );
        assert_eq!(
            "test=90d, train=12w"
                .parse::<WalkForward>()
                .map(|w| (w.train_ms, w.test_ms)),
            Ok((84 * DAY_MS, 90 * DAY_MS))
        );
        for bad in [
            "train=2y",
            "train=2x,test=1m",
            "train=-1y,test=1m",
            "span=1y,test=1m",
            "2y,6m",
        ] {
            assert!(bad.parse::<WalkForward>().is_err(), "{bad}");
        }
    }
}
