//! The closed-candle generator: regimes, volatility, seasonality, crashes,
//! wicks and volume, one bar at a time.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::{Candle, Interval};
use crate::market::rng::{Rng, mix64};

use super::bar::{RawBar, Tick};
use super::calibration::Calibration;
use super::params::DemoParams;

/// The market's current mood, for display and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Regime {
    Uptrend,
    Downtrend,
    Range,
}

/// How strongly a new trend heads back toward the start price: at a log
/// distance of 1 (2.7× or 0.37× the start) it is three times as likely to
/// head back as away.
const REGIME_ANCHOR_BIAS: f64 = 1.1;
/// Share of trend ends that flip straight into the opposite trend.
const TREND_REVERSAL_SHARE: f64 = 0.25;

/// A deterministic demo market for one symbol.
#[derive(Debug, Clone)]
pub struct DemoMarket {
    cal: Calibration,
    rng: Rng,
    /// Seeds the forming-candle paths, kept apart from `rng` so that showing
    /// forming candles never changes the closed ones.
    pub(super) path_key: u64,
    interval_ms: i64,
    next_open_ms: i64,
    pub(super) bars: u64,
    pub(super) tick: Tick,
    /// Log of the last close, unrounded.
    x: f64,
    /// Log of the start price.
    x0: f64,
    /// The last close in ticks: the next bar opens here.
    close_ticks: i64,
    /// GARCH variance, in units of the long-run variance (mean 1).
    garch: f64,
    /// Slow log-volatility factor (mean 0).
    slow: f64,
    regime: Regime,
    /// Log price where the current range began.
    range_level: f64,
    /// The random part of the last bar's log return, for `bounce`.
    last_noise: f64,
    /// This bar's daily/weekly volatility factor.
    season: f64,
}

impl DemoMarket {
    /// The market for one symbol: `stream` (e.g. the symbol's index) gives each
    /// symbol its own path from the same seed. The first candle opens at
    /// `start_time_ms`. An invalid start price (see [`DemoParams::validate`])
    /// falls back to the default rather than panicking.
    pub fn new(params: &DemoParams, interval: Interval, stream: u64, start_time_ms: i64) -> Self {
        Self::with_calibration(
            params,
            interval,
            stream,
            start_time_ms,
            Calibration::for_interval(interval),
        )
    }

    /// As [`DemoMarket::new`] with explicit knobs.
    pub fn with_calibration(
        params: &DemoParams,
        interval: Interval,
        stream: u64,
        start_time_ms: i64,
        cal: Calibration,
    ) -> Self {
        let start_price = if params.validate().iter().any(|(k, _)| k == "start_price") {
            DemoParams::default().start_price
        } else {
            params.start_price
        };
        let tick = Tick::for_price(start_price);
        let x0 = start_price.ln();
        let mut rng = Rng::new(params.seed, stream);
        // Start from a random draw of the stationary state, not its mean, so
        // that symbols differ from the first bar: the slow factor at its
        // stationary spread, the regime at roughly its long-run shares.
        let slow = cal.slow_sd * rng.normal();
        let regime = match rng.uniform() {
            u if u < 0.25 => Regime::Uptrend,
            u if u < 0.5 => Regime::Downtrend,
            _ => Regime::Range,
        };
        DemoMarket {
            cal,
            rng,
            path_key: mix64(params.seed ^ mix64(stream).rotate_left(17)),
            interval_ms: interval.duration_ms(),
            next_open_ms: start_time_ms,
            bars: 0,
            tick,
            x: x0,
            x0,
            close_ticks: tick.ticks(start_price),
            garch: 1.0,
            slow,
            regime,
            range_level: x0,
            last_noise: 0.0,
            season: 1.0,
        }
    }

    /// The regime the last candle was drawn in.
    pub fn regime(&self) -> Regime {
        self.regime
    }

    /// The knobs in use.
    pub fn calibration(&self) -> &Calibration {
        &self.cal
    }

    /// The price tick, e.g. 0.1 for a BTC-like start price.
    pub fn tick_size(&self) -> Decimal {
        Decimal::new(1, self.tick.scale)
    }

    /// The next closed candle; open times advance by the interval. O(1), no allocation.
    pub fn next_candle(&mut self) -> Candle {
        self.step().candle(self.tick, true)
    }

    fn sigma_now(&self) -> f64 {
        let c = &self.cal;
        // exp(slow - sd²) has mean 1 in variance terms: E[exp(2L)] = exp(2 sd²).
        c.sigma * self.garch.sqrt() * (self.slow - c.slow_sd * c.slow_sd).exp() * self.season
    }

    /// The daily and weekly volatility cycle at the bar opening at `ms`,
    /// scaled so that its mean square over a week is 1.
    fn seasonal_factor(&self, ms: i64) -> f64 {
        let c = &self.cal;
        let day_ms = 86_400_000;
        let hours = ms.rem_euclid(day_ms) as f64 / 3_600_000.0;
        let daily =
            1.0 + c.intraday_amplitude * (std::f64::consts::TAU * (hours - 14.5) / 24.0).cos();
        // 1970-01-01 was a Thursday: day 0 is weekday 3 counting from Monday = 0.
        let weekday = (ms.div_euclid(day_ms) + 3).rem_euclid(7);
        let weekly = if weekday >= 5 { c.weekend_vol } else { 1.0 };
        let a2 = c.intraday_amplitude * c.intraday_amplitude;
        let w2 = c.weekend_vol * c.weekend_vol;
        let mean_square = (1.0 + a2 / 2.0) * (5.0 + 2.0 * w2) / 7.0;
        daily * weekly / mean_square.sqrt()
    }

    pub(super) fn step(&mut self) -> RawBar {
        self.switch_regime();
        self.season = self.seasonal_factor(self.next_open_ms);
        let c = self.cal;
        let sigma = self.sigma_now();

        let mut shock = self.rng.student_t_unit(c.nu);
        if self.rng.chance(c.crash_prob) {
            let size = c.crash_min_sigmas + c.crash_extra_sigmas * self.rng.exponential();
            let down = self.rng.chance(c.crash_down_share);
            shock += if down { -size } else { size };
            if down {
                self.regime = Regime::Downtrend;
            }
        }
        let drift = match self.regime {
            Regime::Uptrend => c.trend_drift * sigma,
            Regime::Downtrend => -c.trend_drift * sigma,
            Regime::Range => -c.range_reversion * (self.x - self.range_level),
        } - c.anchor_reversion * (self.x - self.x0)
            - c.bounce * self.last_noise;
        self.last_noise = sigma * shock;
        let r = drift + self.last_noise;

        self.update_volatility(shock);

        let open_ticks = self.close_ticks;
        let open_price = open_ticks as f64 * self.tick.size();
        self.x += r;
        let close_price = self.x.exp();
        let (up, down) = self.wicks(r, sigma * c.wick);
        let close = self.tick.ticks(close_price);
        let high = self
            .tick
            .ticks(open_price * up.exp())
            .max(open_ticks)
            .max(close);
        let low = self
            .tick
            .ticks(open_price * down.exp())
            .min(open_ticks)
            .min(close);

        let volume = self.volume(close_price, sigma, shock);
        let bar = RawBar {
            open_time_ms: self.next_open_ms,
            open: open_ticks,
            high,
            low,
            close,
            volume_milli: (volume * 1000.0).round().clamp(1.0, 1e15) as i64,
        };
        self.close_ticks = close;
        self.next_open_ms += self.interval_ms;
        self.bars += 1;
        bar
    }

    fn switch_regime(&mut self) {
        let c = self.cal;
        match self.regime {
            Regime::Uptrend | Regime::Downtrend => {
                if self.rng.chance(1.0 / c.trend_bars) {
                    self.regime = if self.rng.chance(TREND_REVERSAL_SHARE) {
                        opposite(self.regime)
                    } else {
                        self.range_level = self.x;
                        Regime::Range
                    };
                }
            }
            Regime::Range => {
                if self.rng.chance(1.0 / c.range_bars) {
                    // Far above the start, down-trends become likelier.
                    let p_up = 1.0 / (1.0 + (REGIME_ANCHOR_BIAS * (self.x - self.x0)).exp());
                    self.regime = if self.rng.chance(p_up) {
                        Regime::Uptrend
                    } else {
                        Regime::Downtrend
                    };
                }
            }
        }
    }

    fn update_volatility(&mut self, shock: f64) {
        let c = self.cal;
        let persistence = c.garch_alpha + c.garch_beta;
        self.garch = (1.0 - persistence)
            + c.garch_alpha * self.garch * (shock * shock).min(c.garch_shock_cap)
            + c.garch_beta * self.garch;
        let innovation = c.slow_sd * (1.0 - c.slow_phi * c.slow_phi).sqrt();
        self.slow = c.slow_phi * self.slow + innovation * self.rng.normal();
    }

    /// Log distances from the open to the high and to the low: the extremes of
    /// a Brownian bridge from 0 to `r` with total standard deviation `s`.
    /// P(max > m) = exp(-2 m (m - r) / s²), inverted.
    fn wicks(&mut self, r: f64, s: f64) -> (f64, f64) {
        let spread = |rng: &mut Rng| (r * r + 2.0 * s * s * rng.exponential()).sqrt();
        let up = (r + spread(&mut self.rng)) / 2.0;
        let down = (r - spread(&mut self.rng)) / 2.0;
        (up, down)
    }

    fn volume(&mut self, price: f64, sigma: f64, shock: f64) -> f64 {
        let c = self.cal;
        let log_factor = c.volume_vol_elasticity * (sigma / c.sigma).ln()
            + (1.0 + c.volume_move_weight * shock.abs()).ln()
            + c.volume_noise * self.rng.normal()
            + c.volume_log_offset;
        c.notional_per_bar / price * log_factor.exp()
    }
}

fn opposite(r: Regime) -> Regime {
    match r {
        Regime::Uptrend => Regime::Downtrend,
        Regime::Downtrend => Regime::Uptrend,
        Regime::Range => Regime::Range,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::demo::market;

    #[test]
    fn an_invalid_start_price_falls_back_to_the_default() {
        let p = DemoParams {
            start_price: f64::INFINITY,
            ..DemoParams::default()
        };
        let c = DemoMarket::new(&p, Interval::H1, 0, 0).next_candle();
        assert!((30_000.0..120_000.0).contains(&c.open.to_f64()));
    }

    #[test]
    fn the_seasonal_cycle_has_unit_mean_square_over_a_week() {
        let m = market(1, 0);
        let week: Vec<f64> = (0..7 * 24 * 60)
            .map(|i| m.seasonal_factor(i * 60_000))
            .collect();
        let mean_square = week.iter().map(|f| f * f).sum::<f64>() / week.len() as f64;
        assert!((mean_square - 1.0).abs() < 1e-6, "{mean_square}");
        // Thursday 14:30 UTC (the US open) is busier than Sunday 02:30.
        let thu_open = 14 * 3_600_000 + 30 * 60_000;
        let sun_night = 3 * 86_400_000 + 2 * 3_600_000 + 30 * 60_000;
        assert!(m.seasonal_factor(thu_open) > 1.5 * m.seasonal_factor(sun_night));
        let daily = DemoMarket::new(&DemoParams::default(), Interval::D1, 0, 0);
        assert_eq!(daily.seasonal_factor(thu_open), 1.0);
    }
}
