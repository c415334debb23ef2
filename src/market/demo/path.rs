//! The forming-candle path: snapshots of a bar as it forms, for display.

use crate::domain::Candle;
use crate::market::rng::Rng;

use super::bar::RawBar;
use super::generator::DemoMarket;

impl DemoMarket {
    /// The next closed candle plus `steps` forming snapshots of it (closed =
    /// false): the running high and low widen from the open to the final
    /// extremes, the close wanders there, volume accumulates, and the last
    /// snapshot carries the final values. The closed candles are the same as
    /// [`DemoMarket::next_candle`] would give.
    pub fn next_candle_with_path(&mut self, steps: usize) -> (Candle, Vec<Candle>) {
        let bar = self.step();
        let mut rng = Rng::new(self.path_key, self.bars);
        let forming = forming_path(&bar, steps, &mut rng)
            .into_iter()
            .map(|b| b.candle(self.tick, false))
            .collect();
        (bar.candle(self.tick, true), forming)
    }
}

/// Forming snapshots of `bar`: the price visits the high and the low at random
/// moments, wanders between them and arrives at the close on the last step.
fn forming_path(bar: &RawBar, steps: usize, rng: &mut Rng) -> Vec<RawBar> {
    if steps == 0 {
        return Vec::new();
    }
    let n = steps as f64;
    let t_high = rng.uniform() * n;
    let t_low = rng.uniform() * n;
    let mut waypoints = [
        (0.0, bar.open as f64),
        (t_high, bar.high as f64),
        (t_low, bar.low as f64),
        (n, bar.close as f64),
    ];
    waypoints[1..3].sort_by(|a, b| a.0.total_cmp(&b.0));
    let jitter = (bar.high - bar.low) as f64 / (4.0 * n.sqrt());

    let weights: Vec<f64> = (0..steps).map(|_| rng.exponential()).collect();
    let total: f64 = weights.iter().sum();
    let mut cumulative = 0.0;

    let (mut high, mut low) = (bar.open, bar.open);
    let mut out = Vec::with_capacity(steps);
    for (k, w) in (1..=steps).zip(&weights) {
        let t = k as f64;
        if t_high <= t {
            high = bar.high;
        }
        if t_low <= t {
            low = bar.low;
        }
        cumulative += w;
        let last = k == steps;
        let close = if last {
            bar.close
        } else {
            let p = interpolate(&waypoints, t) + jitter * rng.normal();
            (p.round() as i64).clamp(bar.low, bar.high)
        };
        high = high.max(close);
        low = low.min(close);
        let volume_milli = if last {
            bar.volume_milli
        } else {
            (bar.volume_milli as f64 * cumulative / total).floor() as i64
        };
        out.push(RawBar {
            high,
            low,
            close,
            volume_milli,
            ..*bar
        });
    }
    out
}

fn interpolate(points: &[(f64, f64)], t: f64) -> f64 {
    for w in points.windows(2) {
        let ((t0, p0), (t1, p1)) = (w[0], w[1]);
        if t <= t1 {
            let f = if t1 > t0 { (t - t0) / (t1 - t0) } else { 1.0 };
            return p0 + f * (p1 - p0);
        }
    }
    points.last().map_or(0.0, |p| p.1)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::Qty;
    use crate::market::demo::market;

    #[test]
    fn showing_forming_candles_does_not_change_the_closed_ones() {
        let (mut a, mut b) = (market(5, 2), market(5, 2));
        for steps in [0, 1, 3, 8, 8, 20] {
            let (closed, forming) = a.next_candle_with_path(steps);
            assert_eq!(closed, b.next_candle());
            assert_eq!(forming.len(), steps);
        }
    }

    #[test]
    fn interpolation_hits_the_waypoints() {
        let pts = [(0.0, 10.0), (1.0, 20.0), (1.0, 5.0), (4.0, 8.0)];
        assert_eq!(interpolate(&pts, 0.5), 15.0);
        assert_eq!(interpolate(&pts, 1.0), 20.0);
        assert_eq!(interpolate(&pts, 2.5), 6.5);
        assert_eq!(interpolate(&pts, 9.0), 8.0);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn forming_snapshots_grow_into_the_closed_candle(
            seed in any::<u64>(),
            stream in 0u64..8,
            skip in 0usize..40,
            steps in 1usize..24,
        ) {
            let mut m = market(seed, stream);
            for _ in 0..skip {
                m.next_candle();
            }
            let (closed, forming) = m.next_candle_with_path(steps);
            prop_assert!(closed.closed);
            let last = forming.last().unwrap();
            prop_assert_eq!(&Candle { closed: true, ..last.clone() }, &closed);
            let mut prev = (closed.open, closed.open, Qty::ZERO);
            for f in &forming {
                prop_assert!(!f.closed);
                prop_assert_eq!(f.open_time_ms, closed.open_time_ms);
                prop_assert_eq!(f.open, closed.open);
                prop_assert!(f.low <= f.open && f.open <= f.high);
                prop_assert!(f.low <= f.close && f.close <= f.high);
                prop_assert!(closed.low <= f.low && f.high <= closed.high);
                prop_assert!(f.high >= prev.0 && f.low <= prev.1 && f.volume >= prev.2);
                prev = (f.high, f.low, f.volume);
            }
        }
    }
}
