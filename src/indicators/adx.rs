//! Wilder's directional movement system: +DI, −DI and ADX, as TA-Lib computes
//! them (the `ta` crate has no ADX).

use super::talib::ta_is_zero;
use super::true_range::true_range;
use crate::domain::Bar;

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DmiValues {
    pub plus_di: Option<f64>,
    pub minus_di: Option<f64>,
    pub adx: Option<f64>,
}

/// ADX(n) with +DI(n) and −DI(n). The DIs first appear at bar index n, ADX at
/// 2n − 1 (the mean of the first n DX values), each then smoothed by Wilder.
#[derive(Debug, Clone)]
pub struct Adx {
    period: usize,
    /// Index of the bar being processed.
    index: usize,
    prev: Option<(f64, f64, f64)>,
    /// Wilder running sums (not averages) of +DM, −DM and TR.
    plus_dm: f64,
    minus_dm: f64,
    tr: f64,
    sum_dx: f64,
    adx: Option<f64>,
}

impl Adx {
    pub fn new(period: usize) -> Self {
        Adx {
            period,
            index: 0,
            prev: None,
            plus_dm: 0.0,
            minus_dm: 0.0,
            tr: 0.0,
            sum_dx: 0.0,
            adx: None,
        }
    }

    pub fn update(&mut self, bar: &Bar) -> DmiValues {
        let i = self.index;
        self.index += 1;
        let Some((prev_high, prev_low, prev_close)) =
            self.prev.replace((bar.high, bar.low, bar.close))
        else {
            return DmiValues::default();
        };
        let (plus, minus) = directional_movement(bar.high - prev_high, prev_low - bar.low);
        let tr = true_range(bar.high, bar.low, prev_close);
        let n = self.period as f64;

        if i < self.period {
            self.plus_dm += plus;
            self.minus_dm += minus;
            self.tr += tr;
            return DmiValues::default();
        }
        // Wilder's sum: drop one n-th of the old total, add the new bar whole
        // (TA-Lib's evaluation order: (s − s/n) + x).
        self.plus_dm = self.plus_dm - self.plus_dm / n + plus;
        self.minus_dm = self.minus_dm - self.minus_dm / n + minus;
        self.tr = self.tr - self.tr / n + tr;

        let di = (!ta_is_zero(self.tr)).then(|| {
            (
                100.0 * (self.plus_dm / self.tr),
                100.0 * (self.minus_dm / self.tr),
            )
        });
        let dx = di.and_then(|(p, m)| {
            let sum = m + p;
            (!ta_is_zero(sum)).then(|| 100.0 * ((m - p).abs() / sum))
        });

        let adx_start = 2 * self.period - 1;
        if i < adx_start {
            self.sum_dx += dx.unwrap_or(0.0);
        } else if i == adx_start {
            self.sum_dx += dx.unwrap_or(0.0);
            self.adx = Some(self.sum_dx / n);
        } else if let (Some(adx), Some(dx)) = (self.adx, dx) {
            // Without a DX (no range at all) TA-Lib keeps the last ADX.
            self.adx = Some((adx * (n - 1.0) + dx) / n);
        }

        let (plus_di, minus_di) = di.unwrap_or((0.0, 0.0));
        DmiValues {
            plus_di: Some(plus_di),
            minus_di: Some(minus_di),
            adx: self.adx,
        }
    }
}

/// (+DM, −DM) from the up move `high − prev high` and the down move
/// `prev low − low`: only the larger one counts, and only when positive.
fn directional_movement(up: f64, down: f64) -> (f64, f64) {
    if down > 0.0 && up < down {
        (0.0, down)
    } else if up > 0.0 && up > down {
        (up, 0.0)
    } else {
        (0.0, 0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(high: f64, low: f64, close: f64) -> Bar {
        Bar {
            high,
            low,
            close,
            open: close,
            ..Bar::default()
        }
    }

    #[test]
    fn only_the_larger_positive_move_counts() {
        assert_eq!(directional_movement(3.0, 1.0), (3.0, 0.0));
        assert_eq!(directional_movement(1.0, 3.0), (0.0, 3.0));
        assert_eq!(directional_movement(-1.0, -2.0), (0.0, 0.0));
        // An outside bar with equal moves is directionless.
        assert_eq!(directional_movement(2.0, 2.0), (0.0, 0.0));
    }

    #[test]
    fn di_starts_at_period_and_adx_at_twice_period_minus_one() {
        let mut adx = Adx::new(3);
        let out: Vec<_> = (0..10)
            .map(|i| {
                let x = i as f64;
                adx.update(&bar(x + 1.0, x, x + 0.5))
            })
            .collect();
        let first = |f: fn(&DmiValues) -> Option<f64>| out.iter().position(|v| f(v).is_some());
        assert_eq!(first(|v| v.plus_di), Some(3));
        assert_eq!(first(|v| v.minus_di), Some(3));
        assert_eq!(first(|v| v.adx), Some(5));
    }

    #[test]
    fn steady_uptrend_has_no_minus_di_and_full_adx() {
        // Every bar is one higher with range 1: +DM 1, −DM 0, TR 1.5 (gap to
        // the previous close is 1.5 up to the new high).
        let mut adx = Adx::new(3);
        let mut last = DmiValues::default();
        for i in 0..20 {
            let x = i as f64;
            last = adx.update(&bar(x + 1.0, x, x + 0.5));
        }
        assert_eq!(last.minus_di, Some(0.0));
        assert!((last.plus_di.unwrap() - 100.0 / 1.5).abs() < 1e-9);
        assert!((last.adx.unwrap() - 100.0).abs() < 1e-9);
    }

    #[test]
    fn hand_checked_first_values() {
        // Period 2. Bars (high, low, close):
        // 0: (10, 8, 9)
        // 1: (12, 9, 11)  +DM 2, −DM 0, TR 3   → sums after bar 1: 2, 0, 3
        // 2: (11, 7, 8)   up −1, down 2 → −DM 2; TR max(4, 0, 4) = 4
        //     sums: 2 − 1 + 0 = 1, 0 − 0 + 2 = 2, 3 − 1.5 + 4 = 5.5
        //     +DI 100/5.5, −DI 200/5.5, DX 100·1/3
        // 3: (13, 8, 12)  up 2, down −1 → +DM 2; TR max(5, 5, 0) = 5
        //     sums: 0.5 + 2 = 2.5, 1 + 0 = 1, 2.75 + 5 = 7.75
        //     DX 100·1.5/3.5; ADX = (100/3 + 150/3.5)/2
        let mut adx = Adx::new(2);
        let bars = [
            bar(10.0, 8.0, 9.0),
            bar(12.0, 9.0, 11.0),
            bar(11.0, 7.0, 8.0),
            bar(13.0, 8.0, 12.0),
        ];
        let out: Vec<_> = bars.iter().map(|b| adx.update(b)).collect();
        assert_eq!(out[1], DmiValues::default());
        let close = |a: Option<f64>, b: f64| (a.unwrap() - b).abs() < 1e-12;
        assert!(close(out[2].plus_di, 100.0 / 5.5));
        assert!(close(out[2].minus_di, 200.0 / 5.5));
        assert_eq!(out[2].adx, None);
        assert!(close(out[3].plus_di, 250.0 / 7.75));
        assert!(close(out[3].minus_di, 100.0 / 7.75));
        assert!(close(out[3].adx, (100.0 / 3.0 + 150.0 / 3.5) / 2.0));
    }

    #[test]
    fn flat_market_reports_zero_di_and_no_adx() {
        let mut adx = Adx::new(14);
        let mut last = DmiValues::default();
        for _ in 0..60 {
            last = adx.update(&bar(5.0, 5.0, 5.0));
        }
        assert_eq!(last.plus_di, Some(0.0));
        assert_eq!(last.minus_di, Some(0.0));
        // No DX ever existed, so the seed is 0 and stays 0.
        assert_eq!(last.adx, Some(0.0));
    }
}
