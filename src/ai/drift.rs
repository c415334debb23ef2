//! Drift: how far the live features have moved from the training data.
//!
//! Each closed candle's feature vector is binned with the manifest's
//! training-data bins and kept in a rolling window (every watched symbol
//! feeds the same window: one model, one picture of its inputs). The
//! Population Stability Index of feature i is
//! Σ_bins (actual − expected) · ln(actual / expected); the overall score is
//! the mean over the features. Counts are kept up to date as candles enter
//! and leave the window, and the PSIs are computed once per candle, when it
//! enters: the engine, the confirmer and the panel all read that result.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::manifest::FeatureBins;

/// Shares are floored here so that an empty bin costs a large, finite PSI
/// rather than an infinite one.
const FLOOR: f64 = 1e-4;

/// What the Drift panel and the status file show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftView {
    /// Mean PSI over the features; None until the window is full.
    pub score: Option<f64>,
    pub limit: f64,
    /// Candles in the window, and its size.
    pub filled: usize,
    pub window: usize,
    /// PSI per feature, in the model's order (empty until the window is full).
    pub features: Vec<(String, f64)>,
}

impl DriftView {
    pub fn over(&self) -> bool {
        self.score.is_some_and(|s| s > self.limit)
    }

    /// The features that moved most, largest PSI first (ties in the
    /// model's order): what the Drift panel and the status file show.
    pub fn most_moved(&self, n: usize) -> Vec<&(String, f64)> {
        let mut moved: Vec<&(String, f64)> = self.features.iter().collect();
        moved.sort_by(|a, b| b.1.total_cmp(&a.1));
        moved.truncate(n);
        moved
    }
}

#[derive(Debug, Clone)]
pub struct DriftMonitor {
    bins: Vec<FeatureBins>,
    limit: f64,
    window: usize,
    /// Bin of every feature for each candle in the window, oldest first.
    rows: VecDeque<Vec<u16>>,
    /// counts[feature][bin] over the window.
    counts: Vec<Vec<u32>>,
    /// PSI per feature after the latest candle.
    psi: Vec<f64>,
}

impl DriftMonitor {
    pub fn new(bins: Vec<FeatureBins>, window: usize, limit: f64) -> Self {
        let counts: Vec<Vec<u32>> = bins.iter().map(|b| vec![0; b.expected.len()]).collect();
        DriftMonitor {
            bins,
            limit,
            window: window.max(1),
            rows: VecDeque::with_capacity(window + 1),
            psi: vec![0.0; counts.len()],
            counts,
        }
    }

    /// One closed candle's market features (without the proposal input).
    pub fn observe(&mut self, features: &[f64]) {
        let mut row = if self.rows.len() >= self.window {
            let old = self.rows.pop_front().unwrap_or_default();
            for (counts, bin) in self.counts.iter_mut().zip(&old) {
                counts[*bin as usize] -= 1;
            }
            old
        } else {
            Vec::with_capacity(self.bins.len())
        };
        row.clear();
        for ((bins, counts), x) in self.bins.iter().zip(&mut self.counts).zip(features) {
            let bin = bins.bin(*x);
            counts[bin] += 1;
            row.push(bin as u16);
        }
        self.rows.push_back(row);
        self.update_psi();
    }

    pub fn is_full(&self) -> bool {
        self.rows.len() >= self.window
    }

    fn update_psi(&mut self) {
        let n = self.rows.len().max(1) as f64;
        for ((psi, bins), counts) in self.psi.iter_mut().zip(&self.bins).zip(&self.counts) {
            *psi = bins
                .expected
                .iter()
                .zip(counts)
                .map(|(e, c)| {
                    let e = e.max(FLOOR);
                    let a = (*c as f64 / n).max(FLOOR);
                    (a - e) * (a / e).ln()
                })
                .sum();
        }
    }

    /// PSI of each feature over the window, as of the latest candle.
    pub fn psi(&self) -> &[f64] {
        &self.psi
    }

    /// The overall score: mean PSI, once the window is full.
    pub fn score(&self) -> Option<f64> {
        if !self.is_full() || self.bins.is_empty() {
            return None;
        }
        Some(self.psi.iter().sum::<f64>() / self.psi.len() as f64)
    }

    pub fn over(&self) -> bool {
        self.score().is_some_and(|s| s > self.limit)
    }

    pub fn limit(&self) -> f64 {
        self.limit
    }

    pub fn view(&self) -> DriftView {
        let full = self.is_full();
        let features = if full {
            self.bins
                .iter()
                .map(|b| b.feature.clone())
                .zip(self.psi.iter().copied())
                .collect()
        } else {
            Vec::new()
        };
        DriftView {
            score: self.score(),
            limit: self.limit,
            filled: self.rows.len(),
            window: self.window,
            features,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deciles(feature: &str) -> FeatureBins {
        FeatureBins {
            feature: feature.to_string(),
            edges: (1..10).map(|i| i as f64 / 10.0).collect(),
            expected: vec![0.1; 10],
        }
    }

    #[test]
    fn a_window_drawn_like_the_training_data_scores_near_zero() {
        let mut m = DriftMonitor::new(vec![deciles("a")], 1000, 0.25);
        for i in 0..1000 {
            // Uniform on [0, 1): exactly 100 in each decile.
            m.observe(&[(i as f64 + 0.5) / 1000.0]);
        }
        assert!(m.score().unwrap().abs() < 1e-12);
        assert!(!m.over());
    }

    #[test]
    fn a_shifted_window_scores_high_and_is_over_the_limit() {
        let mut m = DriftMonitor::new(vec![deciles("a"), deciles("b")], 200, 0.25);
        for i in 0..200 {
            let u = (i as f64 + 0.5) / 200.0;
            // `a` as trained; `b` squeezed into the top two deciles.
            m.observe(&[u, 0.8 + u * 0.2]);
        }
        let psi = m.psi();
        assert!(psi[0].abs() < 1e-12);
        // Two bins at 0.5 against 0.1, eight empty (floored).
        let full = 2.0 * (0.5 - 0.1) * (5.0f64).ln() + 8.0 * (1e-4 - 0.1) * (1e-4f64 / 0.1).ln();
        assert!((psi[1] - full).abs() < 1e-9, "{} vs {full}", psi[1]);
        assert!((m.score().unwrap() - full / 2.0).abs() < 1e-9);
        assert!(m.over());
        let view = m.view();
        assert_eq!(view.features[1].0, "b");
        assert!(view.over());
    }

    #[test]
    fn no_score_until_the_window_is_full_and_old_candles_leave_it() {
        let mut m = DriftMonitor::new(vec![deciles("a")], 100, 0.25);
        for _ in 0..99 {
            m.observe(&[0.95]);
        }
        assert_eq!(m.score(), None);
        assert_eq!(m.view().filled, 99);
        m.observe(&[0.95]);
        assert!(m.over());
        // A full window of training-like values pushes the shifted ones out.
        for i in 0..100 {
            m.observe(&[(i as f64 + 0.5) / 100.0]);
        }
        assert!(m.score().unwrap().abs() < 1e-12);
        assert_eq!(m.view().filled, 100);
    }
}
