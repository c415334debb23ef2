//! Per-stage latency of decisions: the last samples of each stage and their
//! percentiles for the Latency panel.

use std::collections::VecDeque;

use serde::Serialize;

/// Samples kept per stage: enough for a stable p99, small enough to sort per publish.
const WINDOW: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Stage {
    /// Candle close (exchange time) → the engine received it, ms.
    Arrival,
    /// Received → indicators updated, µs.
    Features,
    /// Indicators → strategy and confirmer decided, µs.
    Decision,
    /// Decision → risk sized and approved, µs.
    Risk,
    /// Candle close → order handed to the exchange, ms: the 3 s budget.
    CloseToSent,
    /// Order sent → exchange acknowledged, µs.
    Ack,
}

impl Stage {
    pub const ALL: [Stage; 6] = [
        Stage::Arrival,
        Stage::Features,
        Stage::Decision,
        Stage::Risk,
        Stage::CloseToSent,
        Stage::Ack,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Stage::Arrival => "close→recv",
            Stage::Features => "features",
            Stage::Decision => "decision",
            Stage::Risk => "risk",
            Stage::CloseToSent => "close→sent",
            Stage::Ack => "ack",
        }
    }

    /// "ms" or "µs".
    pub fn unit(self) -> &'static str {
        match self {
            Stage::Arrival | Stage::CloseToSent => "ms",
            _ => "µs",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StageStats {
    pub stage: Stage,
    pub samples: usize,
    pub p50: i64,
    pub p99: i64,
    pub last: i64,
}

#[derive(Debug, Clone, Default)]
pub struct LatencyBook {
    samples: [VecDeque<i64>; 6],
}

impl LatencyBook {
    pub fn record(&mut self, stage: Stage, value: i64) {
        let q = &mut self.samples[stage as usize];
        if q.len() == WINDOW {
            q.pop_front();
        }
        q.push_back(value.max(0));
    }

    pub fn stats(&self) -> Vec<StageStats> {
        Stage::ALL
            .iter()
            .filter_map(|&stage| {
                let q = &self.samples[stage as usize];
                let last = *q.back()?;
                let mut sorted: Vec<i64> = q.iter().copied().collect();
                sorted.sort_unstable();
                Some(StageStats {
                    stage,
                    samples: sorted.len(),
                    p50: percentile(&sorted, 50),
                    p99: percentile(&sorted, 99),
                    last,
                })
            })
            .collect()
    }
}

/// Nearest-rank percentile of sorted, non-empty samples.
fn percentile(sorted: &[i64], p: usize) -> i64 {
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted[rank.min(sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let mut book = LatencyBook::default();
        for v in 1..=100 {
            book.record(Stage::Risk, v);
        }
        let s = book.stats();
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].p50, s[0].p99, s[0].last), (50, 99, 100));
    }

    #[test]
    fn old_samples_leave_the_window() {
        let mut book = LatencyBook::default();
        for _ in 0..WINDOW {
            book.record(Stage::Ack, 1_000);
        }
        for _ in 0..WINDOW {
            book.record(Stage::Ack, 5);
        }
        assert_eq!(book.stats()[0].p99, 5);
    }
}
