//! Statistics of a candle series: the yardstick the demo market is calibrated
//! with, applied the same way to real klines and to generated ones.
//!
//! Pure functions over slices. Series with holes (the stitched 15m file) are
//! handled as segments: a return is taken only between two bars exactly one
//! interval apart, and lagged products never cross a hole.

use crate::domain::{Bar, Interval};

/// The figures that characterise a series; see [`measure`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SeriesStats {
    /// Bars measured.
    pub bars: usize,
    /// Close-to-close log returns taken (bars minus one per segment).
    pub returns: usize,
    /// Standard deviation of the log returns.
    pub std: f64,
    /// Excess kurtosis of the log returns (0 for a normal distribution).
    pub excess_kurtosis: f64,
    /// Autocorrelation of the log returns at lag 1 (near zero or slightly negative on real data).
    pub acf_1: f64,
    /// Autocorrelation of |log return| at lag 1: how strongly volatility clusters.
    pub acf_abs_1: f64,
    /// Autocorrelation of |log return| at lag 10: how long the clusters last.
    pub acf_abs_10: f64,
    /// Mean of (high − low) / close.
    pub mean_range: f64,
    /// Mean |close − open| / (high − low) over bars with a range: how much of a
    /// bar is body rather than wick.
    pub body_fraction: f64,
    /// Fraction of returns further than 5 standard deviations from the mean.
    pub tail_5sigma: f64,
    /// Largest |log return| in standard deviations.
    pub max_abs_sigma: f64,
    /// Pearson correlation between a bar's volume and its |log return|.
    pub volume_abs_return_corr: f64,
    /// Variance of 20-bar returns over 20 × the variance of 1-bar returns:
    /// above 1 means trends, below 1 means mean reversion.
    pub variance_ratio_20: f64,
    /// Median of volume × close: the quote-asset (USDT) turnover of a typical bar.
    pub median_notional: f64,
}

/// One real series the demo market is calibrated against, and what it measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    pub interval: Interval,
    /// Path inside the shared data folder.
    pub file: &'static str,
    /// The period the figures describe, UTC.
    pub covers: &'static str,
    pub stats: SeriesStats,
}

/// BTCUSDT USD-M perpetual, measured with [`measure`] after [`skip_placeholders`].
/// `tests/demo_market_calibration.rs` re-measures the files and fails if these
/// drift from what the data gives.
pub const MEASURED: [Measured; 4] = [
    Measured {
        interval: Interval::M1,
        file: "klines/BTCUSDT-1m-umfutures.csv",
        // 30 days, a calm month: no crash, milder tails
        covers: "2025-05-04 15:33 → 2025-06-03 15:31",
        stats: SeriesStats {
            bars: 43_199,
            returns: 43_198,
            std: 0.000527762,
            excess_kurtosis: 6.74153,
            acf_1: -0.00152311,
            acf_abs_1: 0.248373,
            acf_abs_10: 0.18182,
            mean_range: 0.000584046,
            body_fraction: 0.604794,
            tail_5sigma: 0.00243067,
            max_abs_sigma: 11.4549,
            volume_abs_return_corr: 0.55678,
            variance_ratio_20: 0.920529,
            median_notional: 7.31483e6,
        },
    },
    Measured {
        interval: Interval::M5,
        file: "klines/BTCUSDT-5m-umfutures-2022H2.csv",
        // 2022H2 bear market, includes the FTX crash
        covers: "2022-06-01 00:00 → 2022-11-24 17:05",
        stats: SeriesStats {
            bars: 50_894,
            returns: 50_893,
            std: 0.00213898,
            excess_kurtosis: 40.9458,
            acf_1: -0.0419697,
            acf_abs_1: 0.321428,
            acf_abs_10: 0.214683,
            mean_range: 0.00262193,
            body_fraction: 0.463953,
            tail_5sigma: 0.00418525,
            max_abs_sigma: 22.071,
            volume_abs_return_corr: 0.680016,
            variance_ratio_20: 0.928506,
            median_notional: 2.82978e7,
        },
    },
    Measured {
        interval: Interval::M15,
        file: "klines/BTCUSDT-15m-umfutures.csv",
        // three segments, 2022-06-01 → 2022-11-24, 2023-01-01 → 2024-05-14 and
        // 2024-10-01 → 2026-05-17; no return spans a gap. Includes FTX and 2025-10-10
        covers: "2022-06-01 00:00 → 2026-05-17 08:45",
        stats: SeriesStats {
            bars: 121_894,
            returns: 121_891,
            std: 0.00270319,
            excess_kurtosis: 49.9868,
            acf_1: -0.0104647,
            acf_abs_1: 0.330351,
            acf_abs_10: 0.183311,
            mean_range: 0.00345474,
            body_fraction: 0.462133,
            tail_5sigma: 0.00398717,
            max_abs_sigma: 40.3174,
            volume_abs_return_corr: 0.631282,
            variance_ratio_20: 0.924336,
            median_notional: 9.18993e7,
        },
    },
    Measured {
        interval: Interval::H1,
        file: "klines/BTCUSDT-1h-umfutures.csv",
        // from the first traded bar; includes COVID 2020-03-12 (−29% in an hour),
        // LUNA, FTX, 2024-08-05 and 2025-10-10
        covers: "2019-09-08 19:00 → 2026-05-17 07:00",
        stats: SeriesStats {
            bars: 58_621,
            returns: 58_620,
            std: 0.00662298,
            excess_kurtosis: 56.8081,
            acf_1: -0.0148974,
            acf_abs_1: 0.293061,
            acf_abs_10: 0.180712,
            mean_range: 0.00872295,
            body_fraction: 0.417708,
            tail_5sigma: 0.00412828,
            max_abs_sigma: 31.2805,
            volume_abs_return_corr: 0.561401,
            variance_ratio_20: 0.948198,
            median_notional: 3.53424e8,
        },
    },
];

/// The measured series whose interval is nearest in log-time; a tie (30m lies
/// as far from 15m as from 1h) goes to the longer one, whose bars are the
/// better guide to slower bars.
pub fn nearest_measured(interval: Interval) -> &'static Measured {
    let distance = |m: &Measured| {
        (interval.minutes() as f64 / m.interval.minutes() as f64)
            .ln()
            .abs()
    };
    let mut best = &MEASURED[0];
    for m in &MEASURED[1..] {
        if distance(m) <= distance(best) + 1e-12 {
            best = m;
        }
    }
    best
}

/// What a series of `interval` should look like: the nearest measured series,
/// with volatility (`std`, `mean_range`) scaled by the square root of the time
/// ratio (returns of independent increments add variance linearly) and turnover
/// (`median_notional`) scaled linearly. Shape figures (kurtosis,
/// autocorrelations, tails, body, variance ratio) are kept: they change slowly
/// with the interval and no file here measures the others.
pub fn target_for(interval: Interval) -> SeriesStats {
    let m = nearest_measured(interval);
    let ratio = interval.minutes() as f64 / m.interval.minutes() as f64;
    SeriesStats {
        std: m.stats.std * ratio.sqrt(),
        mean_range: m.stats.mean_range * ratio.sqrt(),
        median_notional: m.stats.median_notional * ratio,
        ..m.stats
    }
}

/// Drops leading placeholder bars (volume below 1) that some files carry from
/// before trading began: the 1h file opens with two flat bars at 10,000.
pub fn skip_placeholders(bars: &[Bar]) -> &[Bar] {
    let first = bars
        .iter()
        .position(|b| b.volume >= 1.0)
        .unwrap_or(bars.len());
    &bars[first..]
}

/// Log returns grouped by contiguous segment, with the volume of the bar each
/// return ends on.
#[derive(Debug, Clone, Default)]
pub struct Segments {
    /// All returns, segment after segment.
    pub returns: Vec<f64>,
    /// Volume of the bar each return ends on.
    pub volumes: Vec<f64>,
    /// Where each segment starts in `returns` (first is 0), ascending.
    pub starts: Vec<usize>,
}

impl Segments {
    /// Splits `bars` wherever two open times are not exactly `step_ms` apart.
    pub fn from_bars(bars: &[Bar], step_ms: i64) -> Segments {
        let mut s = Segments::default();
        let mut open_segment = false;
        for w in bars.windows(2) {
            let (prev, bar) = (&w[0], &w[1]);
            if bar.open_time_ms - prev.open_time_ms != step_ms {
                open_segment = false;
                continue;
            }
            if !open_segment {
                s.starts.push(s.returns.len());
                open_segment = true;
            }
            s.returns.push((bar.close / prev.close).ln());
            s.volumes.push(bar.volume);
        }
        s
    }

    /// The segments as slices of `xs`, which must be parallel to `returns`.
    pub fn split<'a>(&self, xs: &'a [f64]) -> Vec<&'a [f64]> {
        let ends = self.starts.iter().skip(1).copied().chain([xs.len()]);
        self.starts
            .iter()
            .zip(ends)
            .map(|(&a, b)| &xs[a..b])
            .collect()
    }
}

/// Measures `bars`, whose interval is `step_ms`.
pub fn measure(bars: &[Bar], step_ms: i64) -> SeriesStats {
    let seg = Segments::from_bars(bars, step_ms);
    let r = &seg.returns;
    let abs: Vec<f64> = r.iter().map(|x| x.abs()).collect();
    let sd = std_dev(r);
    SeriesStats {
        bars: bars.len(),
        returns: r.len(),
        std: sd,
        excess_kurtosis: excess_kurtosis(r),
        acf_1: pooled_autocorrelation(&seg.split(r), 1),
        acf_abs_1: pooled_autocorrelation(&seg.split(&abs), 1),
        acf_abs_10: pooled_autocorrelation(&seg.split(&abs), 10),
        mean_range: mean_range(bars),
        body_fraction: body_fraction(bars),
        tail_5sigma: tail_fraction(r, 5.0),
        max_abs_sigma: max_abs_sigma(r),
        volume_abs_return_corr: correlation(&seg.volumes, &abs),
        variance_ratio_20: variance_ratio(&seg.split(r), 20),
        median_notional: median(bars.iter().map(|b| b.volume * b.close).collect()),
    }
}

/// Close-to-close log returns of one contiguous run of closes.
pub fn log_returns(closes: &[f64]) -> Vec<f64> {
    closes.windows(2).map(|w| (w[1] / w[0]).ln()).collect()
}

/// Arithmetic mean; 0 for an empty slice.
pub fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Median; 0 for an empty sample.
pub fn median(mut xs: Vec<f64>) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

/// Population standard deviation (divides by n: the series are long).
pub fn std_dev(xs: &[f64]) -> f64 {
    central_moment(xs, 2).sqrt()
}

/// Fourth standardised moment minus 3.
pub fn excess_kurtosis(xs: &[f64]) -> f64 {
    let m2 = central_moment(xs, 2);
    if m2 == 0.0 {
        return 0.0;
    }
    central_moment(xs, 4) / (m2 * m2) - 3.0
}

fn central_moment(xs: &[f64], k: i32) -> f64 {
    let m = mean(xs);
    mean_of(xs.iter().map(|x| (x - m).powi(k)), xs.len())
}

fn mean_of(it: impl Iterator<Item = f64>, n: usize) -> f64 {
    if n == 0 {
        0.0
    } else {
        it.sum::<f64>() / n as f64
    }
}

/// Autocorrelation at `lag` of one contiguous series.
pub fn autocorrelation(xs: &[f64], lag: usize) -> f64 {
    pooled_autocorrelation(&[xs], lag)
}

/// Autocorrelation at `lag` over several segments of the same process: mean
/// and variance are pooled, lagged pairs are taken within segments only.
pub fn pooled_autocorrelation(segments: &[&[f64]], lag: usize) -> f64 {
    let n: usize = segments.iter().map(|s| s.len()).sum();
    let m = mean_of(segments.iter().flat_map(|s| s.iter().copied()), n);
    let var = mean_of(
        segments
            .iter()
            .flat_map(|s| s.iter().map(|x| (x - m).powi(2))),
        n,
    );
    if var == 0.0 {
        return 0.0;
    }
    // Divides by the pairs actually present rather than n, so holes do not
    // shrink the estimate.
    let (sum, pairs) = segments
        .iter()
        .flat_map(|s| s.iter().zip(s.iter().skip(lag)))
        .fold((0.0, 0usize), |(acc, k), (a, b)| {
            (acc + (a - m) * (b - m), k + 1)
        });
    if pairs == 0 {
        return 0.0;
    }
    sum / pairs as f64 / var
}

/// Pearson correlation of two parallel series; 0 when either is constant.
pub fn correlation(xs: &[f64], ys: &[f64]) -> f64 {
    let n = xs.len().min(ys.len());
    let (xs, ys) = (&xs[..n], &ys[..n]);
    let (mx, my) = (mean(xs), mean(ys));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in xs.iter().zip(ys) {
        let (dx, dy) = (x - mx, y - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if sxx == 0.0 || syy == 0.0 {
        return 0.0;
    }
    sxy / (sxx * syy).sqrt()
}

/// Fraction of `xs` further than `k` standard deviations from their mean.
pub fn tail_fraction(xs: &[f64], k: f64) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    let (m, sd) = (mean(xs), std_dev(xs));
    xs.iter().filter(|x| (*x - m).abs() > k * sd).count() as f64 / xs.len() as f64
}

/// Largest |x − mean| in standard deviations.
pub fn max_abs_sigma(xs: &[f64]) -> f64 {
    let (m, sd) = (mean(xs), std_dev(xs));
    if sd == 0.0 {
        return 0.0;
    }
    xs.iter().map(|x| (x - m).abs()).fold(0.0, f64::max) / sd
}

/// Variance of non-overlapping `q`-sums over `q` × the variance of single
/// values, within segments. 1 for a random walk.
pub fn variance_ratio(segments: &[&[f64]], q: usize) -> f64 {
    let q = q.max(1);
    let singles: Vec<f64> = segments.iter().flat_map(|s| s.iter().copied()).collect();
    let sums: Vec<f64> = segments
        .iter()
        .flat_map(|s| s.chunks_exact(q).map(|c| c.iter().sum::<f64>()))
        .collect();
    let v1 = central_moment(&singles, 2);
    if v1 == 0.0 || sums.len() < 2 {
        return 0.0;
    }
    central_moment(&sums, 2) / (q as f64 * v1)
}

/// Mean of (high − low) / close.
pub fn mean_range(bars: &[Bar]) -> f64 {
    mean_of(
        bars.iter()
            .filter(|b| b.close > 0.0)
            .map(|b| (b.high - b.low) / b.close),
        bars.iter().filter(|b| b.close > 0.0).count(),
    )
}

/// Mean |close − open| / (high − low) over bars whose high exceeds their low.
pub fn body_fraction(bars: &[Bar]) -> f64 {
    let ranged = bars.iter().filter(|b| b.high > b.low);
    mean_of(
        ranged
            .clone()
            .map(|b| (b.close - b.open).abs() / (b.high - b.low)),
        ranged.count(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(t: i64, close: f64) -> Bar {
        Bar {
            open_time_ms: t,
            open: close,
            high: close + 1.0,
            low: close - 1.0,
            close,
            volume: 1.0,
        }
    }

    #[test]
    fn moments_of_a_known_sample() {
        let xs = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(mean(&xs), 2.5);
        assert!((std_dev(&xs) - 1.25f64.sqrt()).abs() < 1e-12);
        // Uniform-like sample: platykurtic.
        assert!((excess_kurtosis(&xs) - (-1.36)).abs() < 1e-12);
    }

    #[test]
    fn autocorrelation_of_an_alternating_series_is_minus_one_at_lag_one() {
        let xs: Vec<f64> = (0..1000)
            .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        assert!((autocorrelation(&xs, 1) + 1.0).abs() < 1e-9);
        assert!((autocorrelation(&xs, 2) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn returns_are_not_taken_across_a_hole() {
        let bars = [
            bar(0, 100.0),
            bar(60, 101.0),
            bar(600, 50.0),
            bar(660, 51.0),
        ];
        let seg = Segments::from_bars(&bars, 60);
        assert_eq!(seg.starts, vec![0, 1]);
        assert_eq!(seg.returns.len(), 2);
        assert!((seg.returns[0] - (1.01f64).ln()).abs() < 1e-12);
        assert_eq!(seg.split(&seg.returns).len(), 2);
    }

    #[test]
    fn lagged_pairs_stay_inside_segments() {
        // Each segment alone is constant-sign; only a cross-hole pair would be negative.
        let a = [1.0, 1.0, 1.0];
        let b = [-1.0, -1.0, -1.0];
        assert!((pooled_autocorrelation(&[&a, &b], 1) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn tails_ratio_and_correlation() {
        let mut xs = vec![0.0; 999];
        xs.push(100.0);
        assert_eq!(tail_fraction(&xs, 5.0), 0.001);
        assert!(max_abs_sigma(&xs) > 30.0);
        assert!((correlation(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]) - 1.0).abs() < 1e-12);
        assert_eq!(correlation(&[1.0, 1.0], &[2.0, 3.0]), 0.0);
        let alternating: Vec<f64> = (0..400)
            .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        assert!(variance_ratio(&[&alternating], 20) < 0.01);
    }

    #[test]
    fn targets_come_from_the_nearest_measured_interval() {
        assert_eq!(nearest_measured(Interval::M3).interval, Interval::M5);
        assert_eq!(nearest_measured(Interval::M30).interval, Interval::H1);
        assert_eq!(nearest_measured(Interval::D1).interval, Interval::H1);
        for m in &MEASURED {
            assert_eq!(target_for(m.interval), m.stats);
        }
        let h1 = target_for(Interval::H1);
        let d1 = target_for(Interval::D1);
        assert!((d1.std / h1.std - 24f64.sqrt()).abs() < 1e-12);
        assert!((d1.median_notional / h1.median_notional - 24.0).abs() < 1e-9);
        assert_eq!(d1.acf_abs_1, h1.acf_abs_1);
        let m3 = target_for(Interval::M3);
        assert!((m3.mean_range / MEASURED[1].stats.mean_range - 0.6f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn placeholders_before_trading_are_skipped() {
        let mut bars = [bar(0, 10.0), bar(60, 10.0), bar(120, 11.0)];
        bars[0].volume = 0.002;
        bars[1].volume = 0.0;
        assert_eq!(skip_placeholders(&bars).len(), 1);
        assert!(skip_placeholders(&bars[..2]).is_empty());
    }

    #[test]
    fn log_returns_and_ranges() {
        let r = log_returns(&[100.0, 110.0, 100.0]);
        assert!((r[0] + r[1]).abs() < 1e-12);
        let bars = [bar(0, 100.0), bar(60, 200.0)];
        assert!((mean_range(&bars) - (0.02 + 0.01) / 2.0).abs() < 1e-12);
        assert_eq!(body_fraction(&bars), 0.0);
    }
}
