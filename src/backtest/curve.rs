//! The equity curve as the run goes: drawdown and its duration, daily
//! returns for volatility, Sharpe and Sortino, exposure, and a thinned copy
//! of the curve for the report. Memory stays bounded however long the
//! history: the copy keeps at most `2 × MAX_POINTS` points, halving itself
//! (every other point) when full.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

const DAY_MS: i64 = 86_400_000;
/// Points kept of the curve for the JSON and the charts.
pub const MAX_POINTS: usize = 4096;

#[derive(Debug, Clone, Default)]
pub struct EquityCurve {
    first: Option<(i64, Decimal)>,
    last: (i64, Decimal),
    last_f: f64,
    peak: f64,
    peak_ms: i64,
    max_drawdown: f64,
    max_drawdown_ms: i64,
    /// The UTC day of the latest sample and the equity at the previous
    /// day's last sample.
    day: i64,
    prev_day_close: f64,
    returns: ReturnStats,
    bars: u64,
    exposed_bars: u64,
    points: Vec<(i64, Decimal)>,
    stride: u64,
    seen: u64,
}

/// Daily returns, summed as they come.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReturnStats {
    pub days: u64,
    pub sum: f64,
    pub sum_sq: f64,
    /// Sum of squared negative returns (the downside deviation's numerator).
    pub sum_down_sq: f64,
}

impl ReturnStats {
    fn add(&mut self, r: f64) {
        self.days += 1;
        self.sum += r;
        self.sum_sq += r * r;
        if r < 0.0 {
            self.sum_down_sq += r * r;
        }
    }

    pub fn mean(&self) -> Option<f64> {
        (self.days > 0).then(|| self.sum / self.days as f64)
    }

    /// Sample standard deviation.
    pub fn std(&self) -> Option<f64> {
        if self.days < 2 {
            return None;
        }
        let n = self.days as f64;
        let var = (self.sum_sq - self.sum * self.sum / n) / (n - 1.0);
        Some(var.max(0.0).sqrt())
    }

    pub fn downside_deviation(&self) -> Option<f64> {
        (self.days > 0).then(|| (self.sum_down_sq / self.days as f64).sqrt())
    }
}

impl EquityCurve {
    pub fn new() -> EquityCurve {
        EquityCurve {
            stride: 1,
            ..EquityCurve::default()
        }
    }

    /// The account's total equity after the candles that closed at `at_ms`;
    /// `exposed` when a position was open.
    pub fn observe(&mut self, at_ms: i64, equity: Decimal, exposed: bool) {
        self.bars += 1;
        self.exposed_bars += exposed as u64;
        let day = at_ms.div_euclid(DAY_MS);
        if self.first.is_none() {
            let f = equity.to_f64().unwrap_or(0.0);
            self.first = Some((at_ms, equity));
            self.last = (at_ms, equity);
            self.last_f = f;
            self.peak = f;
            self.peak_ms = at_ms;
            self.day = day;
            self.prev_day_close = f;
            self.points.push((at_ms, equity));
            self.seen = 1;
            return;
        }
        if day != self.day {
            self.close_day();
            self.day = day;
        }
        if equity != self.last.1 {
            self.last_f = equity.to_f64().unwrap_or(self.last_f);
        }
        self.last = (at_ms, equity);
        let f = self.last_f;
        if f >= self.peak {
            self.peak = f;
            self.peak_ms = at_ms;
        } else {
            if self.peak > 0.0 {
                self.max_drawdown = self.max_drawdown.max((self.peak - f) / self.peak);
            }
            self.max_drawdown_ms = self.max_drawdown_ms.max(at_ms - self.peak_ms);
        }
        self.seen += 1;
        if self.seen.is_multiple_of(self.stride) {
            self.points.push((at_ms, equity));
            if self.points.len() >= 2 * MAX_POINTS {
                let mut i = 0;
                self.points.retain(|_| {
                    i += 1;
                    i % 2 == 1
                });
                self.stride *= 2;
            }
        }
    }

    fn close_day(&mut self) {
        if self.prev_day_close > 0.0 {
            self.returns.add(self.last_f / self.prev_day_close - 1.0);
        }
        self.prev_day_close = self.last_f;
    }

    /// Ends the run: the last day's return counts, the last point is kept.
    pub fn finish(mut self) -> FinishedCurve {
        if self.first.is_some() {
            self.close_day();
            if self.points.last().is_some_and(|p| p.0 != self.last.0) {
                self.points.push(self.last);
            }
        }
        FinishedCurve {
            first: self.first,
            last: self.first.map(|_| self.last),
            max_drawdown: self.max_drawdown,
            max_drawdown_ms: self.max_drawdown_ms,
            returns: self.returns,
            bars: self.bars,
            exposed_bars: self.exposed_bars,
            points: self.points,
        }
    }
}

/// What a finished run's curve says.
#[derive(Debug, Clone, PartialEq)]
pub struct FinishedCurve {
    pub first: Option<(i64, Decimal)>,
    pub last: Option<(i64, Decimal)>,
    /// Largest fall from a peak, as a fraction of the peak.
    pub max_drawdown: f64,
    /// Longest time spent below a previous peak.
    pub max_drawdown_ms: i64,
    pub returns: ReturnStats,
    pub bars: u64,
    pub exposed_bars: u64,
    /// The curve thinned to at most `2 × MAX_POINTS` points, first and last included.
    pub points: Vec<(i64, Decimal)>,
}

impl PartialEq for ReturnStats {
    fn eq(&self, other: &Self) -> bool {
        self.days == other.days
            && self.sum.to_bits() == other.sum.to_bits()
            && self.sum_sq.to_bits() == other.sum_sq.to_bits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    fn d(v: i64) -> Decimal {
        Decimal::from(v)
    }

    #[test]
    fn drawdown_and_its_duration_are_measured_from_the_peak() {
        let mut c = EquityCurve::new();
        for (i, e) in [100, 120, 90, 100, 110, 125, 125].iter().enumerate() {
            c.observe(i as i64 * H, d(*e), false);
        }
        let f = c.finish();
        assert!((f.max_drawdown - 0.25).abs() < 1e-12, "{}", f.max_drawdown);
        // Below 120 from hour 1 to hour 4 (110 at hour 4 is still below).
        assert_eq!(f.max_drawdown_ms, 3 * H);
        assert_eq!(f.bars, 7);
    }

    #[test]
    fn daily_returns_are_taken_from_each_day_close() {
        let mut c = EquityCurve::new();
        // Day 0 closes at 110, day 1 at 99, day 2 at 99.
        c.observe(0, d(100), true);
        c.observe(23 * H, d(110), true);
        c.observe(DAY_MS + H, d(99), false);
        c.observe(2 * DAY_MS + H, d(99), false);
        let f = c.finish();
        assert_eq!(f.returns.days, 3);
        let mean = f.returns.mean().unwrap();
        assert!((mean - (0.1 - 0.1 + 0.0) / 3.0).abs() < 1e-12, "{mean}");
        assert_eq!(f.exposed_bars, 2);
    }

    #[test]
    fn the_kept_curve_stays_bounded_and_keeps_both_ends() {
        let mut c = EquityCurve::new();
        let n = 100_000;
        for i in 0..n {
            c.observe(i * H, d(1000 + i % 7), false);
        }
        let f = c.finish();
        assert!(f.points.len() <= 2 * MAX_POINTS, "{}", f.points.len());
        assert!(f.points.len() >= MAX_POINTS / 2, "{}", f.points.len());
        assert_eq!(f.points[0].0, 0);
        assert_eq!(f.points.last().unwrap().0, (n - 1) * H);
        assert!(f.points.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
