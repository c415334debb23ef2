//! The demo market: the cockpit's default feed, needing no keys and no network.
//!
//! A seeded, deterministic generator whose candles have the statistics of real
//! BTCUSDT futures klines (see [`super::stats::MEASURED`]):
//!
//! - **Regimes.** A Markov chain of up-trend, down-trend and range. Trends add
//!   a drift of a fixed fraction of the current volatility; ranges pull the
//!   price back toward the level where the range began. The pull is why real
//!   BTC's 20-bar variance ratio is below 1 even though trends exist.
//! - **Volatility clustering.** A GARCH(1,1) variance times a slow log-normal
//!   factor: GARCH alone decays too fast to give the real |return|
//!   autocorrelation at lag 10, the slow factor carries the long memory.
//! - **Daily and weekly cycle.** Busier at the US open, quieter at night and
//!   at weekends (intervals up to 1h), from the candle's open time.
//! - **Fat tails.** Student-t shocks, scaled to unit variance.
//! - **Crashes.** Rare jumps of many sigmas, mostly down; GARCH feeds on the
//!   jump, so volatility stays high for a while afterwards.
//! - **Wicks.** High and low are drawn as the extremes of a Brownian bridge
//!   from open to close with the bar's volatility, so long bodies get short
//!   wicks and quiet bars get both short, as on real charts.
//! - **Volume.** Typical turnover for the interval (in USDT, turned into base
//!   units at the current price), scaled up with the current volatility and the
//!   size of the bar's own move, times log-normal noise.
//!
//! Randomness comes from the crate's own xoshiro256** (`super::rng`), so a
//! seed gives the same market whatever crates are upgraded. Closed candles
//! cost O(1) and allocate nothing.
//!
//! Prices are rounded to a tick of 0.1 at a start price near 60,000 (BTC's tick)
//! and proportionally finer for cheaper symbols; volume to 0.001.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::{Candle, Interval, Price, Qty};

use super::rng::{Rng, mix64};
use super::stats;

/// The `[demo]` configuration section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DemoParams {
    /// Same seed, same market.
    pub seed: u64,
    /// First price of the first symbol, in USDT.
    pub start_price: f64,
    /// Bars generated instantly at start so that EMA200 is warm.
    pub history_bars: usize,
    /// Wall-clock milliseconds per demo candle: the demo runs accelerated.
    pub candle_ms: u64,
    /// Forming-candle updates shown per candle.
    pub ticks_per_candle: u32,
}

impl Default for DemoParams {
    fn default() -> Self {
        DemoParams {
            seed: 42,
            start_price: 60_000.0,
            history_bars: 600,
            candle_ms: 2000,
            ticks_per_candle: 8,
        }
    }
}

/// Beyond this the tick arithmetic (i64 ticks) and the chart stop making sense.
const MAX_START_PRICE: f64 = 1e9;
const MIN_START_PRICE: f64 = 1e-4;
/// Generating history costs about a microsecond a bar; a million is a second.
const MAX_HISTORY_BARS: usize = 1_000_000;

impl DemoParams {
    /// Every problem as (key, what is wrong); empty when usable.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut bad = |key: &str, msg: String| out.push((key.to_string(), msg));
        if !(self.start_price.is_finite()
            && (MIN_START_PRICE..=MAX_START_PRICE).contains(&self.start_price))
        {
            bad(
                "start_price",
                format!(
                    "{} must be a price between {MIN_START_PRICE} and {MAX_START_PRICE:e}",
                    self.start_price
                ),
            );
        }
        if self.history_bars > MAX_HISTORY_BARS {
            bad(
                "history_bars",
                format!("{} is more than {MAX_HISTORY_BARS}", self.history_bars),
            );
        }
        if self.candle_ms < 10 {
            bad(
                "candle_ms",
                format!(
                    "{} ms is too fast to watch; use at least 10",
                    self.candle_ms
                ),
            );
        }
        if self.ticks_per_candle == 0 {
            bad(
                "ticks_per_candle",
                "must be at least 1 (1 shows only closed candles)".to_string(),
            );
        } else if u64::from(self.ticks_per_candle) > self.candle_ms.max(1) {
            bad(
                "ticks_per_candle",
                format!(
                    "{} updates do not fit in candle_ms = {} (at most one per ms)",
                    self.ticks_per_candle, self.candle_ms
                ),
            );
        }
        out
    }
}

/// The market's current mood, for display and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Regime {
    Uptrend,
    Downtrend,
    Range,
}

/// The generator's knobs for one interval. [`Calibration::for_interval`] gives
/// the tuned values; the fields are public so that tests and experiments can
/// vary them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    /// Long-run standard deviation of one bar's log return.
    pub sigma: f64,
    /// Degrees of freedom of the Student-t shocks (> 2).
    pub nu: f64,
    /// GARCH(1,1) reaction to the last shock.
    pub garch_alpha: f64,
    /// GARCH(1,1) memory of the last variance; alpha + beta < 1.
    pub garch_beta: f64,
    /// Largest squared standardised shock GARCH reacts to: a 15-sigma crash
    /// should raise volatility, not explode it.
    pub garch_shock_cap: f64,
    /// Per-bar persistence of the slow log-volatility factor.
    pub slow_phi: f64,
    /// Stationary standard deviation of the slow log-volatility factor.
    pub slow_sd: f64,
    /// Probability of a crash bar per bar.
    pub crash_prob: f64,
    /// Smallest crash, in current sigmas; sizes add an exponential tail.
    pub crash_min_sigmas: f64,
    /// Mean of the exponential part of a crash, in current sigmas.
    pub crash_extra_sigmas: f64,
    /// Share of crashes that go down.
    pub crash_down_share: f64,
    /// Trend drift per bar, as a fraction of the current sigma.
    pub trend_drift: f64,
    /// Mean length of a trend, in bars.
    pub trend_bars: f64,
    /// Mean length of a range, in bars.
    pub range_bars: f64,
    /// Per-bar pull back to the range's starting level, as a fraction of the distance.
    pub range_reversion: f64,
    /// Per-bar pull back to the start price: keeps a long demo in a sane price band.
    pub anchor_reversion: f64,
    /// Scale of the intrabar Brownian bridge relative to the bar's sigma:
    /// below 1 gives shorter wicks than a pure random walk would.
    pub wick: f64,
    /// Median quote-asset (USDT) turnover of one bar.
    pub notional_per_bar: f64,
    /// Exponent of volume on current volatility.
    pub volume_vol_elasticity: f64,
    /// Volume grows as 1 + this × the bar's |move| in sigmas: linear rather
    /// than exponential, so a 20-sigma crash trades heavily without dwarfing
    /// every other bar's volume.
    pub volume_move_weight: f64,
    /// Standard deviation of the log-normal volume noise.
    pub volume_noise: f64,
    /// Log-volume offset that brings the median turnover onto
    /// `notional_per_bar` (the other volume terms are skewed).
    pub volume_log_offset: f64,
    /// Amplitude of the daily volatility cycle (peak at the US open, 14:30
    /// UTC; trough twelve hours later). Zero above 1h, where a bar spans
    /// much of the cycle.
    pub intraday_amplitude: f64,
    /// Volatility on Saturdays and Sundays relative to weekdays (UTC).
    pub weekend_vol: f64,
    /// Share of the last bar's shock that the next bar gives back: real
    /// short-interval returns are slightly negatively autocorrelated (trades
    /// bounce between bid and ask, overshoots get faded).
    pub bounce: f64,
}

impl Calibration {
    /// The knobs that reproduce the measured statistics of `interval` (or of
    /// the nearest measured one; `tests/demo_market_calibration.rs` checks).
    /// Unmeasured intervals take the shape of the nearest measured one and its
    /// volatility scaled by the square root of time (see [`stats::target_for`]).
    pub fn for_interval(interval: Interval) -> Calibration {
        let target = stats::target_for(interval);
        // In the tables below `sigma` is a multiplier on the measured std:
        // heavy tails make a sample's std fall short of the model's on
        // average, and the multiplier makes up for it.
        let base = match stats::nearest_measured(interval).interval {
            Interval::M1 => ONE_MINUTE,
            Interval::M5 => FIVE_MINUTES,
            Interval::M15 => FIFTEEN_MINUTES,
            _ => ONE_HOUR,
        };
        let cycles = interval <= Interval::H1;
        Calibration {
            sigma: target.std * base.sigma,
            notional_per_bar: target.median_notional,
            intraday_amplitude: if cycles { base.intraday_amplitude } else { 0.0 },
            weekend_vol: if cycles { base.weekend_vol } else { 1.0 },
            ..base
        }
    }
}

// Tuned by hand against the mean of eight seeds' 50,000 bars per interval
// (seed 42 is what the test checks). `sigma` is a multiplier here, and
// `notional_per_bar` is filled in from the measured table; see `for_interval`.

/// 1h: six and a half years that include every big crash since 2019, so the
/// fattest tails (nu 4) and the most frequent crashes.
const ONE_HOUR: Calibration = Calibration {
    sigma: 1.04,
    nu: 4.0,
    // Persistence 0.95 with a slow factor on top: GARCH alone at 0.98+ keeps
    // lag-10 clustering too close to lag 1, real data decays faster first.
    garch_alpha: 0.15,
    garch_beta: 0.80,
    garch_shock_cap: 50.0,
    slow_phi: 0.995,
    slow_sd: 0.35,
    crash_prob: 1.0 / 4000.0,
    crash_min_sigmas: 6.0,
    crash_extra_sigmas: 3.0,
    crash_down_share: 0.8,
    // 0.06 sigma a bar over ~120 bars moves about 7 sigma: a trend an EMA
    // follows, yet weak enough to keep the variance ratio near the real 0.95.
    trend_drift: 0.06,
    trend_bars: 120.0,
    range_bars: 200.0,
    range_reversion: 0.003,
    // Half-life ~35,000 bars: invisible within a chart, keeps 100k hours in
    // a 20× band.
    anchor_reversion: 1.0 / 50_000.0,
    wick: 1.03,
    notional_per_bar: 0.0,
    volume_vol_elasticity: 1.0,
    volume_move_weight: 0.6,
    volume_noise: 0.4,
    volume_log_offset: 0.06,
    // A bar of 1h already averages part of the daily cycle.
    intraday_amplitude: 0.2,
    weekend_vol: 0.7,
    bounce: 0.015,
};
/// 15m: faster-decaying clustering than 1h (lag-10 ACF 0.18 against 0.33 at lag 1).
const FIFTEEN_MINUTES: Calibration = Calibration {
    wick: 0.98,
    garch_alpha: 0.17,
    garch_beta: 0.78,
    slow_sd: 0.25,
    intraday_amplitude: 0.3,
    ..ONE_HOUR
};
/// 5m (2022H2): the strongest bid-ask bounce of the four (lag-1 ACF −0.04).
const FIVE_MINUTES: Calibration = Calibration {
    wick: 0.94,
    bounce: 0.04,
    slow_sd: 0.3,
    intraday_amplitude: 0.3,
    ..ONE_HOUR
};
/// 1m: a calm month, so lighter tails (kurtosis 7, not 40+) and rare crashes;
/// short wicks, because a real 1m bar's range is only 1.1 std of its return
/// where a Brownian bar's would be 1.6.
const ONE_MINUTE: Calibration = Calibration {
    sigma: 1.01,
    nu: 7.0,
    garch_alpha: 0.08,
    garch_beta: 0.86,
    slow_sd: 0.25,
    crash_prob: 1.0 / 20_000.0,
    wick: 0.64,
    volume_move_weight: 0.55,
    volume_noise: 0.5,
    volume_log_offset: -0.15,
    intraday_amplitude: 0.3,
    bounce: 0.0,
    ..ONE_HOUR
};

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
    path_key: u64,
    interval_ms: i64,
    next_open_ms: i64,
    bars: u64,
    tick: Tick,
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

/// Price tick as a power of ten: value = ticks × 10^-scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tick {
    scale: u32,
}

impl Tick {
    /// 0.1 for a start price of 10,000 to 99,999 (BTC's tick), ten times finer
    /// per decade cheaper, so every symbol moves by many ticks per bar.
    fn for_price(start_price: f64) -> Tick {
        let decade = start_price.log10().floor() as i64;
        Tick {
            scale: (5 - decade).clamp(0, 8) as u32,
        }
    }

    fn size(self) -> f64 {
        10f64.powi(-(self.scale as i32))
    }

    /// At least one tick: a demo price never reaches zero.
    fn ticks(self, price: f64) -> i64 {
        let t = (price / self.size()).round();
        if t.is_finite() { (t as i64).max(1) } else { 1 }
    }

    fn price(self, ticks: i64) -> Price {
        // `ticks` is never negative, so `new` cannot fail.
        Price::new(Decimal::new(ticks.max(1), self.scale)).unwrap_or_default()
    }
}

/// Volume in thousandths, at least one.
fn qty(milli: i64) -> Qty {
    // Never negative, so `new` cannot fail.
    Qty::new(Decimal::new(milli.max(1), 3)).unwrap_or_default()
}

/// One generated bar before it becomes a [`Candle`].
#[derive(Debug, Clone, Copy)]
struct RawBar {
    open_time_ms: i64,
    open: i64,
    high: i64,
    low: i64,
    close: i64,
    volume_milli: i64,
}

impl RawBar {
    fn candle(&self, tick: Tick, closed: bool) -> Candle {
        Candle {
            open_time_ms: self.open_time_ms,
            open: tick.price(self.open),
            high: tick.price(self.high),
            low: tick.price(self.low),
            close: tick.price(self.close),
            volume: qty(self.volume_milli),
            closed,
        }
    }
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

    fn step(&mut self) -> RawBar {
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

    fn market(seed: u64, stream: u64) -> DemoMarket {
        let p = DemoParams {
            seed,
            ..DemoParams::default()
        };
        DemoMarket::new(&p, Interval::M15, stream, 1_700_000_000_000)
    }

    #[test]
    fn defaults_are_valid_and_bad_values_are_named() {
        assert!(DemoParams::default().validate().is_empty());
        let bad = DemoParams {
            start_price: -1.0,
            history_bars: 2_000_000,
            candle_ms: 5,
            ticks_per_candle: 0,
            ..DemoParams::default()
        };
        let keys: Vec<String> = bad.validate().into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            [
                "start_price",
                "history_bars",
                "candle_ms",
                "ticks_per_candle"
            ]
        );
        let crowded = DemoParams {
            candle_ms: 10,
            ticks_per_candle: 11,
            ..DemoParams::default()
        };
        assert_eq!(crowded.validate()[0].0, "ticks_per_candle");
        assert!(
            DemoParams {
                start_price: f64::NAN,
                ..DemoParams::default()
            }
            .validate()[0]
                .1
                .contains("between")
        );
    }

    #[test]
    fn params_fill_defaults_and_refuse_unknown_keys() {
        let p: DemoParams = toml::from_str("seed = 7").unwrap();
        assert_eq!(p.seed, 7);
        assert_eq!(p.history_bars, 600);
        assert!(toml::from_str::<DemoParams>("sede = 7").is_err());
    }

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
    fn tick_is_btc_like_and_finer_for_cheaper_symbols() {
        assert_eq!(Tick::for_price(60_000.0).scale, 1);
        assert_eq!(Tick::for_price(3_000.0).scale, 2);
        assert_eq!(Tick::for_price(150.0).scale, 3);
        assert_eq!(Tick::for_price(5e6).scale, 0);
        assert_eq!(Tick::for_price(1e-4).scale, 8);
        assert_eq!(market(1, 0).tick_size(), Decimal::new(1, 1));
        assert_eq!(Tick { scale: 1 }.ticks(-5.0), 1);
        assert_eq!(Tick { scale: 1 }.ticks(f64::NAN), 1);
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

    #[test]
    fn unmeasured_intervals_scale_volatility_with_the_square_root_of_time() {
        let h1 = Calibration::for_interval(Interval::H1);
        let h4 = Calibration::for_interval(Interval::H4);
        assert!((h4.sigma / h1.sigma - 2.0).abs() < 1e-12);
        assert!((h4.notional_per_bar / h1.notional_per_bar - 4.0).abs() < 1e-9);
        assert_eq!(h4.garch_alpha, h1.garch_alpha);
    }

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
