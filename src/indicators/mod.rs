//! Incremental, TA-Lib-exact technical indicators.
//!
//! [`IndicatorSet`] advances every indicator by one closed candle in O(1)
//! without allocating; [`compute_batch`] runs the same code over a slice, so
//! live and historical values are bit for bit the same. Each indicator lives
//! in its own file and reproduces TA-Lib's seeding and evaluation order, which
//! `tests/indicators_talib.rs` checks against TA-Lib's own output.
//!
//! Inputs are assumed finite with positive prices (as every exchange candle
//! is); a NaN would poison the running sums for good.

mod adx;
mod atr;
mod bollinger;
mod ema;
pub mod export;
mod logret_std;
mod macd;
mod obv;
mod params;
mod rolling_variance;
mod rsi;
mod sma;
mod talib;
mod true_range;
mod wilder;

pub use params::{IndicatorParams, MAX_PERIOD};

use crate::domain::Bar;

use self::adx::Adx;
use self::atr::Atr;
use self::bollinger::Bollinger;
use self::ema::Ema;
use self::logret_std::LogReturnStd;
use self::macd::Macd;
use self::obv::Obv;
use self::params::usable;
use self::rsi::Rsi;

/// Every indicator's value after one closed candle; `None` while warming up.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct IndicatorValues {
    /// In the order of [`IndicatorParams::ema_periods`].
    pub ema: [Option<f64>; 3],
    pub rsi: Option<f64>,
    pub atr: Option<f64>,
    pub adx: Option<f64>,
    pub plus_di: Option<f64>,
    pub minus_di: Option<f64>,
    pub macd: Option<f64>,
    pub macd_signal: Option<f64>,
    pub macd_hist: Option<f64>,
    pub bb_upper: Option<f64>,
    pub bb_middle: Option<f64>,
    pub bb_lower: Option<f64>,
    pub obv: Option<f64>,
    /// Population σ of log returns over `logret_std_period` returns.
    pub logret_std: Option<f64>,
}

/// All indicators of one symbol and interval, fed one closed candle at a time.
#[derive(Debug, Clone)]
pub struct IndicatorSet {
    params: IndicatorParams,
    emas: [Ema; 3],
    rsi: Rsi,
    atr: Atr,
    adx: Adx,
    macd: Macd,
    bollinger: Bollinger,
    obv: Obv,
    logret_std: LogReturnStd,
    bars_seen: u64,
    values: IndicatorValues,
}

impl IndicatorSet {
    /// Builds the indicators; all allocation happens here. `params` should
    /// have passed [`IndicatorParams::validate`]: out-of-range periods are
    /// clamped to 1..=[`MAX_PERIOD`] rather than refused, so this never panics.
    pub fn new(params: &IndicatorParams) -> Self {
        let p = params;
        IndicatorSet {
            params: p.clone(),
            emas: p.ema_periods.map(|n| Ema::new(usable(n))),
            rsi: Rsi::new(usable(p.rsi_period)),
            atr: Atr::new(usable(p.atr_period)),
            adx: Adx::new(usable(p.adx_period)),
            macd: Macd::new(
                usable(p.macd_fast),
                usable(p.macd_slow),
                usable(p.macd_signal),
            ),
            bollinger: Bollinger::new(usable(p.bb_period), p.bb_stddev),
            obv: Obv::default(),
            logret_std: LogReturnStd::new(usable(p.logret_std_period)),
            bars_seen: 0,
            values: IndicatorValues::default(),
        }
    }

    /// Advances every indicator by one CLOSED candle. Feeding a forming
    /// candle, or the same candle twice, would count it as a new bar.
    pub fn update(&mut self, bar: &Bar) -> &IndicatorValues {
        let close = bar.close;
        let [e0, e1, e2] = &mut self.emas;
        let dmi = self.adx.update(bar);
        let macd = self.macd.update(close);
        let bands = self.bollinger.update(close);
        self.values = IndicatorValues {
            ema: [e0.update(close), e1.update(close), e2.update(close)],
            rsi: self.rsi.update(close),
            atr: self.atr.update(bar),
            adx: dmi.adx,
            plus_di: dmi.plus_di,
            minus_di: dmi.minus_di,
            macd: macd.map(|m| m.macd),
            macd_signal: macd.map(|m| m.signal),
            macd_hist: macd.map(|m| m.hist),
            bb_upper: bands.map(|b| b.upper),
            bb_middle: bands.map(|b| b.middle),
            bb_lower: bands.map(|b| b.lower),
            obv: Some(self.obv.update(close, bar.volume)),
            logret_std: self.logret_std.update(close),
        };
        self.bars_seen += 1;
        &self.values
    }

    /// The values after the last [`update`](Self::update); all `None` before it.
    pub fn values(&self) -> &IndicatorValues {
        &self.values
    }

    pub fn bars_seen(&self) -> u64 {
        self.bars_seen
    }

    pub fn params(&self) -> &IndicatorParams {
        &self.params
    }
}

/// The values after each bar of `bars`, computed by [`IndicatorSet::update`]
/// itself so that they equal the live path bit for bit.
pub fn compute_batch(params: &IndicatorParams, bars: &[Bar]) -> Vec<IndicatorValues> {
    let mut set = IndicatorSet::new(params);
    bars.iter().map(|bar| *set.update(bar)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars(n: usize) -> Vec<Bar> {
        (0..n)
            .map(|i| {
                let x = i as f64;
                let close = 100.0 + 5.0 * (x * 0.3).sin() + 0.1 * x;
                Bar {
                    open_time_ms: i as i64 * 60_000,
                    open: close - 0.4,
                    high: close + 1.0 + (x * 0.7).cos().abs(),
                    low: close - 1.0 - (x * 1.1).sin().abs(),
                    close,
                    volume: 10.0 + (x * 0.5).cos() * 3.0,
                }
            })
            .collect()
    }

    #[test]
    fn nothing_is_known_before_the_first_bar() {
        let set = IndicatorSet::new(&IndicatorParams::default());
        assert_eq!(*set.values(), IndicatorValues::default());
        assert_eq!(set.bars_seen(), 0);
    }

    #[test]
    fn default_warm_up_indices_are_talibs() {
        let out = compute_batch(&IndicatorParams::default(), &bars(300));
        let first =
            |f: &dyn Fn(&IndicatorValues) -> Option<f64>| out.iter().position(|v| f(v).is_some());
        assert_eq!(first(&|v| v.ema[0]), Some(19));
        assert_eq!(first(&|v| v.ema[1]), Some(49));
        assert_eq!(first(&|v| v.ema[2]), Some(199));
        assert_eq!(first(&|v| v.rsi), Some(14));
        assert_eq!(first(&|v| v.atr), Some(14));
        assert_eq!(first(&|v| v.plus_di), Some(14));
        assert_eq!(first(&|v| v.minus_di), Some(14));
        assert_eq!(first(&|v| v.adx), Some(27));
        assert_eq!(first(&|v| v.macd), Some(33));
        assert_eq!(first(&|v| v.macd_signal), Some(33));
        assert_eq!(first(&|v| v.macd_hist), Some(33));
        assert_eq!(first(&|v| v.bb_middle), Some(19));
        assert_eq!(first(&|v| v.obv), Some(0));
        assert_eq!(first(&|v| v.logret_std), Some(20));
        // Once valid, a value never goes back to None.
        let last = out.last().unwrap();
        assert!(last.ema.iter().all(Option::is_some));
        assert!(last.logret_std.is_some() && last.bb_lower.is_some());
    }

    #[test]
    fn update_returns_and_keeps_the_new_values_and_counts_bars() {
        let mut set = IndicatorSet::new(&IndicatorParams::default());
        for (i, bar) in bars(40).iter().enumerate() {
            let v = *set.update(bar);
            assert_eq!(v, *set.values());
            assert_eq!(set.bars_seen(), i as u64 + 1);
        }
        assert_eq!(*set.params(), IndicatorParams::default());
    }

    #[test]
    fn configured_periods_move_the_warm_up() {
        let params = IndicatorParams {
            ema_periods: [3, 5, 8],
            rsi_period: 5,
            logret_std_period: 4,
            ..IndicatorParams::default()
        };
        let out = compute_batch(&params, &bars(20));
        assert!(out[1].ema[0].is_none() && out[2].ema[0].is_some());
        assert!(out[6].ema[2].is_none() && out[7].ema[2].is_some());
        assert!(out[4].rsi.is_none() && out[5].rsi.is_some());
        assert!(out[3].logret_std.is_none() && out[4].logret_std.is_some());
    }

    #[test]
    fn invalid_params_do_not_panic() {
        let params = IndicatorParams {
            ema_periods: [0, 1, usize::MAX],
            rsi_period: 0,
            atr_period: 0,
            adx_period: 0,
            macd_fast: 30,
            macd_slow: 0,
            macd_signal: 0,
            bb_period: 0,
            bb_stddev: f64::NAN,
            logret_std_period: 0,
        };
        assert!(!params.validate().is_empty());
        assert_eq!(compute_batch(&params, &bars(50)).len(), 50);
    }

    #[test]
    fn a_cloned_set_continues_identically() {
        let all = bars(120);
        let mut a = IndicatorSet::new(&IndicatorParams::default());
        for bar in &all[..60] {
            a.update(bar);
        }
        let mut b = a.clone();
        for bar in &all[60..] {
            assert_eq!(a.update(bar), b.update(bar));
        }
    }
}
