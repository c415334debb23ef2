//! How the model judged over a backtest: every proposal it confirmed or
//! vetoed is scored afterwards by what the candles did next (the label rule
//! of `ai::outcome`), so the vetoed ones count too although they never
//! traded. This is the precision of confirmed against vetoed proposals.

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::ai::drift::DriftView;
use crate::ai::outcome::{self, Levels, Outcome};
use crate::ai::{Confirmation, Confirmer, Verdict};
use crate::domain::{Side, Symbol};
use crate::strategy::Proposal;

use super::input::History;

/// One judged proposal.
#[derive(Debug, Clone)]
pub struct Judged {
    pub symbol: Symbol,
    pub candle_open_ms: i64,
    pub levels: Levels,
    pub verdict: Verdict,
}

/// Passes everything to the model and keeps what it judged.
pub struct Recording {
    pub inner: Box<dyn Confirmer>,
    pub log: Arc<Mutex<Vec<Judged>>>,
}

impl Confirmer for Recording {
    fn label(&self) -> String {
        self.inner.label()
    }
    fn detail(&self) -> Option<String> {
        self.inner.detail()
    }
    fn observe(&mut self, features: Option<&[f64]>) {
        self.inner.observe(features);
    }
    fn confirm(&mut self, proposal: &Proposal, features: Option<&[f64]>) -> Confirmation {
        use rust_decimal::prelude::ToPrimitive;
        let confirmation = self.inner.confirm(proposal, features);
        let f = |d: rust_decimal::Decimal| d.to_f64().unwrap_or(f64::NAN);
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Judged {
                symbol: proposal.symbol.clone(),
                candle_open_ms: proposal.candle_open_ms,
                levels: Levels {
                    side: proposal.side,
                    entry: f(proposal.entry),
                    stop: f(proposal.stop),
                    take_profit: f(proposal.take_profit),
                },
                verdict: confirmation.verdict,
            });
        confirmation
    }
    fn drift(&self) -> Option<DriftView> {
        self.inner.drift()
    }
    fn drift_over(&self) -> bool {
        self.inner.drift_over()
    }
}

/// Confirmed or vetoed proposals, scored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub proposals: u64,
    /// Scored (enough candles after them).
    pub scored: u64,
    pub take_profit_first: u64,
    /// take_profit_first / scored.
    pub precision: f64,
    /// Mean result in R (stop distance) had each been traded to its end.
    pub mean_r: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AiEvaluation {
    pub model: String,
    pub horizon_bars: usize,
    pub confirmed: Group,
    pub vetoed: Group,
    pub abstained: u64,
    pub longs: u64,
    pub shorts: u64,
}

pub fn evaluate(
    model: String,
    judged: &[Judged],
    histories: &[History],
    horizon: usize,
) -> AiEvaluation {
    let mut e = AiEvaluation {
        model,
        horizon_bars: horizon,
        confirmed: Group::default(),
        vetoed: Group::default(),
        abstained: 0,
        longs: 0,
        shorts: 0,
    };
    let mut sums = [0.0f64; 2];
    for j in judged {
        match j.levels.side {
            Side::Buy => e.longs += 1,
            Side::Sell => e.shorts += 1,
        }
        let (group, sum) = match j.verdict {
            Verdict::Confirmed => (&mut e.confirmed, &mut sums[0]),
            Verdict::Vetoed => (&mut e.vetoed, &mut sums[1]),
            _ => {
                e.abstained += 1;
                continue;
            }
        };
        group.proposals += 1;
        let Some(history) = histories.iter().find(|h| h.symbol == j.symbol) else {
            continue;
        };
        let candles = &history.candles;
        let at = candles.partition_point(|c| c.open_time_ms <= j.candle_open_ms);
        if let Some(s) = outcome::score(j.levels, &candles[at..], horizon) {
            group.scored += 1;
            if s.outcome == Outcome::TakeProfit {
                group.take_profit_first += 1;
            }
            *sum += s.r;
        }
    }
    for (group, sum) in [(&mut e.confirmed, sums[0]), (&mut e.vetoed, sums[1])] {
        if group.scored > 0 {
            group.precision = group.take_profit_first as f64 / group.scored as f64;
            group.mean_r = sum / group.scored as f64;
        }
    }
    e
}
