//! The model's inputs: one implementation, fed one closed candle at a time.
//! The engine builds them live and `cockpit features` exports them for
//! training, both through [`FeatureBuilder`], so the model trains on
//! exactly what it will see. Only closed candles go in; nothing looks ahead.
//!
//! Every feature is scale-free (a ratio, a return, an oscillator over 100,
//! an angle), so one model can serve BTC at 60,000 and a coin at 0.1.

pub mod export;

use crate::domain::Bar;
use crate::indicators::IndicatorValues;

/// Bumped whenever a feature's definition or order changes: a model
/// trained on another version is refused.
pub const FEATURE_VERSION: u32 = 1;

/// Log-return lags, in bars.
const RETURN_LAGS: [usize; 4] = [1, 4, 12, 24];
/// Bars over which the OBV slope is measured.
const OBV_SLOPE_BARS: usize = 10;
/// Closes kept: enough for the longest lag.
const CLOSES_KEPT: usize = 25;

/// The feature names, in the order of the vector; `funding_rate` last, and
/// only when the features are built with funding.
pub fn names(with_funding: bool) -> Vec<&'static str> {
    let mut names = vec![
        "ret_1",
        "ret_4",
        "ret_12",
        "ret_24",
        "rvol",
        "rsi",
        "adx",
        "di_spread",
        "atr_pct",
        "macd_hist_pct",
        "bb_pctb",
        "bb_width",
        "obv_slope",
        "dist_ema_fast",
        "dist_ema_mid",
        "dist_ema_slow",
        "tod_sin",
        "tod_cos",
        "dow_sin",
        "dow_cos",
    ];
    if with_funding {
        names.push("funding_rate");
    }
    names
}

/// Builds the feature vector after each closed candle.
#[derive(Debug, Clone)]
pub struct FeatureBuilder {
    with_funding: bool,
    interval_ms: i64,
    /// The latest closes, oldest first, at most `CLOSES_KEPT`.
    closes: std::collections::VecDeque<f64>,
    /// The latest (OBV, volume) pairs, at most `OBV_SLOPE_BARS + 1`.
    obv: std::collections::VecDeque<(f64, f64)>,
    /// The vector after the latest candle (reused: no allocation per candle).
    latest: Vec<f64>,
    warm: bool,
}

impl FeatureBuilder {
    pub fn new(interval_ms: i64, with_funding: bool) -> Self {
        FeatureBuilder {
            with_funding,
            interval_ms,
            closes: std::collections::VecDeque::with_capacity(CLOSES_KEPT + 1),
            obv: std::collections::VecDeque::with_capacity(OBV_SLOPE_BARS + 2),
            latest: Vec::with_capacity(names(with_funding).len()),
            warm: false,
        }
    }

    /// Feeds one closed candle with the indicator values after it (and the
    /// funding rate last settled by its close, when built with funding).
    /// Returns the vector once every input is warm, else None.
    pub fn update(
        &mut self,
        bar: &Bar,
        values: &IndicatorValues,
        funding_rate: Option<f64>,
    ) -> Option<&[f64]> {
        push_bounded(&mut self.closes, bar.close, CLOSES_KEPT);
        if let Some(obv) = values.obv {
            push_bounded(&mut self.obv, (obv, bar.volume), OBV_SLOPE_BARS + 1);
        }
        let mut out = std::mem::take(&mut self.latest);
        out.clear();
        self.warm = self.compute(bar, values, funding_rate, &mut out).is_some();
        self.latest = out;
        self.latest()
    }

    /// The vector after the latest candle, when warm.
    pub fn latest(&self) -> Option<&[f64]> {
        self.warm.then_some(self.latest.as_slice())
    }

    fn compute(
        &self,
        bar: &Bar,
        v: &IndicatorValues,
        funding_rate: Option<f64>,
        out: &mut Vec<f64>,
    ) -> Option<()> {
        let close = bar.close;
        let n = self.closes.len();
        for lag in RETURN_LAGS {
            let past = *self.closes.get(n.checked_sub(lag + 1)?)?;
            out.push((close / past).ln());
        }
        out.push(v.logret_std?);
        out.push(v.rsi? / 100.0);
        out.push(v.adx? / 100.0);
        out.push((v.plus_di? - v.minus_di?) / 100.0);
        out.push(v.atr? / close);
        out.push(v.macd_hist? / close);
        let (upper, middle, lower) = (v.bb_upper?, v.bb_middle?, v.bb_lower?);
        let width = upper - lower;
        // Flat prices give zero-width bands: the close sits in the middle.
        out.push(if width > 0.0 {
            (close - lower) / width
        } else {
            0.5
        });
        out.push(if middle != 0.0 { width / middle } else { 0.0 });
        out.push(self.obv_slope()?);
        for ema in v.ema {
            out.push(close / ema? - 1.0);
        }
        // The decision is taken at the close: its time of day and weekday.
        out.extend(time_features(bar.open_time_ms + self.interval_ms));
        if self.with_funding {
            out.push(funding_rate?);
        }
        out.iter().all(|x| x.is_finite()).then_some(())
    }

    /// OBV change over the window as a share of the volume traded in it:
    /// +1 when every bar closed up, −1 when every bar closed down.
    fn obv_slope(&self) -> Option<f64> {
        if self.obv.len() < OBV_SLOPE_BARS + 1 {
            return None;
        }
        let (first, _) = *self.obv.front()?;
        let (last, _) = *self.obv.back()?;
        let volume: f64 = self.obv.iter().skip(1).map(|(_, v)| v).sum();
        Some(if volume > 0.0 {
            (last - first) / volume
        } else {
            0.0
        })
    }
}

/// Time of day and weekday of `at_ms` (UTC) as angles on the unit circle:
/// 23:59 sits next to 00:00, Sunday next to Monday.
fn time_features(at_ms: i64) -> [f64; 4] {
    let seconds = at_ms.div_euclid(1000);
    let day = std::f64::consts::TAU * seconds.rem_euclid(86_400) as f64 / 86_400.0;
    // 1970-01-01 was a Thursday: +3 makes Monday 0.
    let weekday = (seconds.div_euclid(86_400) + 3).rem_euclid(7) as f64;
    let week = std::f64::consts::TAU * weekday / 7.0;
    [day.sin(), day.cos(), week.sin(), week.cos()]
}

fn push_bounded<T>(queue: &mut std::collections::VecDeque<T>, item: T, max: usize) {
    if queue.len() == max {
        queue.pop_front();
    }
    queue.push_back(item);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::{IndicatorParams, IndicatorSet};

    /// Indicators and features over a whole series: the features per bar, when warm.
    fn compute_batch(
        params: &IndicatorParams,
        interval_ms: i64,
        bars: &[Bar],
        funding_rate: impl Fn(i64) -> Option<f64>,
        with_funding: bool,
    ) -> Vec<Option<Vec<f64>>> {
        let mut indicators = IndicatorSet::new(params);
        let mut features = FeatureBuilder::new(interval_ms, with_funding);
        bars.iter()
            .map(|bar| {
                let values = *indicators.update(bar);
                let rate = funding_rate(bar.open_time_ms + interval_ms);
                features.update(bar, &values, rate).map(<[f64]>::to_vec)
            })
            .collect()
    }

    fn bars(n: usize) -> Vec<Bar> {
        (0..n)
            .map(|i| {
                let x = i as f64;
                let close = 100.0 + 5.0 * (x * 0.3).sin() + 0.1 * x;
                Bar {
                    open_time_ms: 1_700_000_000_000 + i as i64 * 3_600_000,
                    open: close - 0.4,
                    high: close + 1.0,
                    low: close - 1.0,
                    close,
                    volume: 10.0 + (x * 0.5).cos() * 3.0,
                }
            })
            .collect()
    }

    #[test]
    fn warm_after_the_slowest_input_and_then_every_bar() {
        let rows = compute_batch(
            &IndicatorParams::default(),
            3_600_000,
            &bars(400),
            |_| None,
            false,
        );
        let first = rows.iter().position(Option::is_some).unwrap();
        // EMA200 is the slowest: its first value is at bar 199.
        assert_eq!(first, 199);
        assert!(rows[first..].iter().all(Option::is_some));
        assert_eq!(rows[first].as_ref().unwrap().len(), names(false).len());
    }

    #[test]
    fn features_are_scale_free_and_bounded_where_they_should_be() {
        let base = bars(300);
        let scaled: Vec<Bar> = base
            .iter()
            .map(|b| Bar {
                open: b.open * 1000.0,
                high: b.high * 1000.0,
                low: b.low * 1000.0,
                close: b.close * 1000.0,
                ..*b
            })
            .collect();
        let p = IndicatorParams::default();
        let a = compute_batch(&p, 3_600_000, &base, |_| None, false);
        let b = compute_batch(&p, 3_600_000, &scaled, |_| None, false);
        let (a, b) = (a[299].as_ref().unwrap(), b[299].as_ref().unwrap());
        for ((x, y), name) in a.iter().zip(b).zip(names(false)) {
            assert!((x - y).abs() < 1e-9, "{name}: {x} vs {y}");
        }
        let at = |name: &str| a[names(false).iter().position(|n| *n == name).unwrap()];
        assert!((0.0..=1.0).contains(&at("rsi")));
        assert!((-1.0..=1.0).contains(&at("obv_slope")));
        assert!((-1.0..=1.0).contains(&at("tod_sin")));
    }

    #[test]
    fn time_features_name_the_close_hour_and_weekday() {
        // 2024-01-01 was a Monday; 01:00 UTC.
        let v = time_features(1_704_067_200_000 + 3_600_000);
        assert!((v[0] - (std::f64::consts::TAU / 24.0).sin()).abs() < 1e-12);
        assert_eq!((v[2], v[3]), (0.0, 1.0), "Monday is angle 0");
        // Sunday 2024-01-07, one day before angle 0 again.
        let sunday = time_features(1_704_067_200_000 + 6 * 86_400_000);
        assert!((sunday[2] - (-std::f64::consts::TAU / 7.0).sin()).abs() < 1e-12);
    }

    #[test]
    fn funding_is_the_last_feature_and_required_when_asked_for() {
        let p = IndicatorParams::default();
        let without = compute_batch(&p, 3_600_000, &bars(260), |_| None, true);
        assert!(without.iter().all(Option::is_none), "no rate: not warm");
        let with = compute_batch(&p, 3_600_000, &bars(260), |_| Some(1e-4), true);
        let last = with[259].as_ref().unwrap();
        assert_eq!(last.len(), names(true).len());
        assert_eq!(*last.last().unwrap(), 1e-4);
        assert_eq!(names(true).last(), Some(&"funding_rate"));
    }
}
