//! The demo market against real BTCUSDT klines: the recorded targets are what
//! the files give, the generator hits them, and the market it makes is one a
//! strategy can trade (signals fire, stops get hit, trends run, crashes happen).

use std::fs::File;
use std::io::{BufRead, BufReader};

use cockpit::domain::{Bar, Candle, Interval};
use cockpit::market::demo::{DemoMarket, DemoParams, Regime};
use cockpit::market::stats::{self, MEASURED, SeriesStats};

/// 2025-01-01 00:00 UTC: generated series start on a real calendar so that
/// the daily and weekly cycles fall where they would.
const START_MS: i64 = 1_735_689_600_000;
const CALIBRATION_BARS: usize = 50_000;

/// Reads `open_time_ms,open,high,low,close,volume`, skipping a header line.
fn load(relative: &str) -> Vec<Bar> {
    let path = cockpit::shared_data::file(relative).unwrap_or_else(|e| panic!("{e}"));
    let file = File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut bars = Vec::new();
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line = line.unwrap();
        let cols: Vec<&str> = line.split(',').collect();
        let Ok(open_time_ms) = cols[0].parse::<i64>() else {
            assert_eq!(n, 0, "{}:{}: not a number: {line}", path.display(), n + 1);
            continue;
        };
        let num = |i: usize| -> f64 {
            cols[i]
                .parse()
                .unwrap_or_else(|_| panic!("{}:{}: bad column {i}", path.display(), n + 1))
        };
        bars.push(Bar {
            open_time_ms,
            open: num(1),
            high: num(2),
            low: num(3),
            close: num(4),
            volume: num(5),
        });
    }
    bars
}

/// `YYYY-MM-DD HH:MM` in UTC (Howard Hinnant's civil-from-days).
fn utc(ms: i64) -> String {
    let z = ms.div_euclid(86_400_000) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let minutes = ms.rem_euclid(86_400_000) / 60_000;
    format!(
        "{year}-{month:02}-{day:02} {:02}:{:02}",
        minutes / 60,
        minutes % 60
    )
}

fn market(interval: Interval, seed: u64, stream: u64) -> DemoMarket {
    let params = DemoParams {
        seed,
        ..DemoParams::default()
    };
    DemoMarket::new(&params, interval, stream, START_MS)
}

fn generate(interval: Interval, seed: u64, n: usize) -> Vec<Bar> {
    let mut m = market(interval, seed, 0);
    (0..n).map(|_| m.next_candle().bar()).collect()
}

fn log_returns(bars: &[Bar]) -> Vec<f64> {
    stats::log_returns(&bars.iter().map(|b| b.close).collect::<Vec<_>>())
}

/// Collects every miss so one run shows the whole picture.
#[derive(Default)]
struct Misses(Vec<String>);

impl Misses {
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.0.push(what());
        }
    }

    fn assert_none(self) {
        assert!(self.0.is_empty(), "\n{}", self.0.join("\n"));
    }
}

#[test]
fn recorded_targets_are_what_the_real_files_give() {
    let mut misses = Misses::default();
    for m in &MEASURED {
        let all = load(m.file);
        let bars = stats::skip_placeholders(&all);
        let got = stats::measure(bars, m.interval.duration_ms());
        let want = m.stats;
        let span = format!(
            "{} → {}",
            utc(bars[0].open_time_ms),
            utc(bars[bars.len() - 1].open_time_ms)
        );
        misses.check(m.covers.starts_with(&span), || {
            format!("{}: covers {span}, recorded {}", m.file, m.covers)
        });
        misses.check((got.bars, got.returns) == (want.bars, want.returns), || {
            format!(
                "{}: {} bars / {} returns, recorded {} / {}",
                m.file, got.bars, got.returns, want.bars, want.returns
            )
        });
        // The table keeps six significant digits.
        for (name, g, w) in [
            ("std", got.std, want.std),
            ("excess_kurtosis", got.excess_kurtosis, want.excess_kurtosis),
            ("acf_1", got.acf_1, want.acf_1),
            ("acf_abs_1", got.acf_abs_1, want.acf_abs_1),
            ("acf_abs_10", got.acf_abs_10, want.acf_abs_10),
            ("mean_range", got.mean_range, want.mean_range),
            ("body_fraction", got.body_fraction, want.body_fraction),
            ("tail_5sigma", got.tail_5sigma, want.tail_5sigma),
            ("max_abs_sigma", got.max_abs_sigma, want.max_abs_sigma),
            (
                "volume_abs_return_corr",
                got.volume_abs_return_corr,
                want.volume_abs_return_corr,
            ),
            (
                "variance_ratio_20",
                got.variance_ratio_20,
                want.variance_ratio_20,
            ),
            ("median_notional", got.median_notional, want.median_notional),
        ] {
            misses.check((g - w).abs() <= 1e-5 * w.abs(), || {
                format!("{}: {name} measures {g}, recorded {w}", m.file)
            });
        }
    }
    misses.assert_none();
}

/// What the generator must reproduce, with how close is close enough. Loose
/// where a 50k-bar sample of a fat-tailed process is itself noisy (kurtosis,
/// tails, variance ratio), tight where the figure is stable.
fn check_against_target(misses: &mut Misses, name: &str, g: &SeriesStats, t: &SeriesStats) {
    let mut within = |what: &str, got: f64, lo: f64, hi: f64| {
        misses.check((lo..=hi).contains(&got), || {
            format!("{name}: {what} = {got:.6} outside {lo:.6}..={hi:.6}")
        });
    };
    within("std", g.std, 0.85 * t.std, 1.15 * t.std);
    within(
        "excess kurtosis",
        g.excess_kurtosis,
        (0.5 * t.excess_kurtosis).max(3.0),
        2.5 * t.excess_kurtosis,
    );
    within(
        "acf|r| lag 1",
        g.acf_abs_1,
        t.acf_abs_1 - 0.1,
        t.acf_abs_1 + 0.1,
    );
    // Significance of an autocorrelation is about 2/sqrt(n) = 0.01 here.
    within(
        "acf|r| lag 10",
        g.acf_abs_10,
        0.05f64.max(t.acf_abs_10 - 0.1),
        t.acf_abs_10 + 0.1,
    );
    within("acf r lag 1", g.acf_1, t.acf_1 - 0.05, t.acf_1 + 0.05);
    within(
        "mean range",
        g.mean_range,
        0.75 * t.mean_range,
        1.25 * t.mean_range,
    );
    within(
        "body fraction",
        g.body_fraction,
        t.body_fraction - 0.1,
        t.body_fraction + 0.1,
    );
    within(
        "5-sigma tail",
        g.tail_5sigma,
        0.5 * t.tail_5sigma,
        2.0 * t.tail_5sigma,
    );
    within(
        "corr(volume, |r|)",
        g.volume_abs_return_corr,
        0.3f64.max(t.volume_abs_return_corr - 0.15),
        t.volume_abs_return_corr + 0.15,
    );
    within(
        "variance ratio 20",
        g.variance_ratio_20,
        t.variance_ratio_20 - 0.15,
        t.variance_ratio_20 + 0.15,
    );
    within(
        "median notional",
        g.median_notional,
        0.75 * t.median_notional,
        1.25 * t.median_notional,
    );
}

#[test]
fn generated_series_hit_the_measured_targets() {
    let mut misses = Misses::default();
    for m in &MEASURED {
        let bars = generate(m.interval, 42, CALIBRATION_BARS);
        let g = stats::measure(&bars, m.interval.duration_ms());
        // Shown with --nocapture: the README's calibration table comes from here.
        for (who, s) in [("real", &m.stats), ("demo", &g)] {
            eprintln!(
                "{:>3} {who}: std {:.5} ex.kurt {:.1} acf|r| lag1 {:.3} lag10 {:.3} range {:.5} >5σ {:.4} corr(vol,|r|) {:.2}",
                m.interval.as_str(),
                s.std,
                s.excess_kurtosis,
                s.acf_abs_1,
                s.acf_abs_10,
                s.mean_range,
                s.tail_5sigma,
                s.volume_abs_return_corr
            );
        }
        check_against_target(&mut misses, m.interval.as_str(), &g, &m.stats);
    }
    misses.assert_none();
}

#[test]
fn other_intervals_scale_from_the_nearest_measured_one() {
    let mut misses = Misses::default();
    for interval in [Interval::M3, Interval::M30, Interval::H4, Interval::D1] {
        let t = stats::target_for(interval);
        let bars = generate(interval, 42, 20_000);
        let g = stats::measure(&bars, interval.duration_ms());
        let name = interval.as_str();
        misses.check((0.8 * t.std..=1.2 * t.std).contains(&g.std), || {
            format!("{name}: std {} vs target {}", g.std, t.std)
        });
        misses.check(
            (0.7 * t.mean_range..=1.3 * t.mean_range).contains(&g.mean_range),
            || {
                format!(
                    "{name}: mean range {} vs target {}",
                    g.mean_range, t.mean_range
                )
            },
        );
        misses.check(g.acf_abs_1 > 0.1 && g.excess_kurtosis > 3.0, || {
            format!(
                "{name}: clustering {} / kurtosis {}",
                g.acf_abs_1, g.excess_kurtosis
            )
        });
    }
    misses.assert_none();
}

#[test]
fn same_seed_same_market_other_stream_or_seed_another() {
    let take = |mut m: DemoMarket| -> Vec<Candle> { (0..2_000).map(|_| m.next_candle()).collect() };
    let a = take(market(Interval::M15, 42, 0));
    assert_eq!(a, take(market(Interval::M15, 42, 0)));
    let other_stream = take(market(Interval::M15, 42, 1));
    let other_seed = take(market(Interval::M15, 43, 0));
    assert_ne!(a[0].close, other_stream[0].close);
    assert_ne!(a[0].close, other_seed[0].close);
    assert!(a.iter().zip(&other_stream).filter(|(x, y)| x == y).count() == 0);

    // A clone carries on exactly where the original would.
    let mut m = market(Interval::M15, 42, 0);
    for _ in 0..500 {
        m.next_candle();
    }
    let mut twin = m.clone();
    for _ in 0..100 {
        assert_eq!(m.next_candle(), twin.next_candle());
        assert_eq!(m.next_candle_with_path(8), twin.next_candle_with_path(8));
    }
}

#[test]
fn ohlc_is_consistent_over_100k_bars() {
    let params = DemoParams::default();
    let interval = Interval::H1;
    let mut m = DemoMarket::new(&params, interval, 0, START_MS);
    let mut prev: Option<Candle> = None;
    for i in 0..100_000 {
        let c = m.next_candle();
        let again = Candle::new(
            c.open_time_ms,
            c.open,
            c.high,
            c.low,
            c.close,
            c.volume,
            true,
        );
        assert_eq!(again.as_ref(), Ok(&c), "bar {i}");
        assert!(c.closed);
        assert!(
            c.low.to_f64() > 0.0 && !c.volume.is_zero(),
            "bar {i}: {c:?}"
        );
        for p in [c.open, c.high, c.low, c.close] {
            assert!(
                p.value().scale() <= 1,
                "bar {i}: {p} is not on the 0.1 tick"
            );
        }
        assert!(
            c.volume.value().scale() <= 3,
            "bar {i}: volume {}",
            c.volume
        );
        // A long demo stays in a believable band (real BTC spanned 30× in
        // the 6.5 years of the 1h file; this is 11 years of hours).
        let close = c.close.to_f64();
        assert!(
            (params.start_price / 20.0..params.start_price * 20.0).contains(&close),
            "bar {i}: {close}"
        );
        if let Some(p) = prev {
            assert_eq!(c.open_time_ms - p.open_time_ms, interval.duration_ms());
            assert_eq!(c.open, p.close, "bar {i}: opens where the last closed");
        } else {
            assert_eq!(c.open_time_ms, START_MS);
        }
        prev = Some(c);
    }
}

#[test]
fn cheap_symbols_get_a_finer_tick_and_more_units() {
    let params = DemoParams {
        start_price: 150.0,
        ..DemoParams::default()
    };
    let mut cheap = DemoMarket::new(&params, Interval::M1, 2, START_MS);
    let mut btc = market(Interval::M1, 42, 2);
    let (mut moved, mut units) = (0, 0.0);
    for _ in 0..1_000 {
        let (c, b) = (cheap.next_candle(), btc.next_candle());
        assert!(c.close.value().scale() <= 3);
        moved += usize::from(c.close != c.open);
        units += c.volume.to_f64() / b.volume.to_f64() / 1_000.0;
    }
    assert!(moved > 900, "a 1m bar of a $150 coin should move: {moved}");
    assert!(units > 50.0, "same turnover means more coins: {units}");
}

/// Exponential moving average seeded with the first value.
fn ema(xs: &[f64], period: usize) -> Vec<f64> {
    let alpha = 2.0 / (period as f64 + 1.0);
    let mut out = Vec::with_capacity(xs.len());
    let mut e = xs[0];
    for &x in xs {
        e += alpha * (x - e);
        out.push(e);
    }
    out
}

/// Wilder's ATR(14), seeded with the first bar's range.
fn atr14(bars: &[Bar]) -> Vec<f64> {
    let mut out = Vec::with_capacity(bars.len());
    let mut a = bars[0].high - bars[0].low;
    for (i, b) in bars.iter().enumerate() {
        let prev_close = if i == 0 { b.close } else { bars[i - 1].close };
        let tr = (b.high - b.low)
            .max((b.high - prev_close).abs())
            .max((b.low - prev_close).abs());
        a += (tr - a) / 14.0;
        out.push(a);
    }
    out
}

enum Exit {
    Stop,
    Target,
    Timeout,
}

/// A trade entered at `bars[entry].close`, stopped at 1.5 ATR and taking
/// profit at 3 ATR; a bar touching both counts as stopped.
fn run_trade(bars: &[Bar], atr: &[f64], entry: usize, long: bool) -> Exit {
    let price = bars[entry].close;
    let (stop, target) = if long {
        (price - 1.5 * atr[entry], price + 3.0 * atr[entry])
    } else {
        (price + 1.5 * atr[entry], price - 3.0 * atr[entry])
    };
    for b in bars.iter().skip(entry + 1).take(300) {
        let (hit_stop, hit_target) = if long {
            (b.low <= stop, b.high >= target)
        } else {
            (b.high >= stop, b.low <= target)
        };
        if hit_stop {
            return Exit::Stop;
        }
        if hit_target {
            return Exit::Target;
        }
    }
    Exit::Timeout
}

#[test]
fn signals_fire_stops_hit_and_trends_run() {
    let mut m = market(Interval::M15, 42, 0);
    let mut bars = Vec::with_capacity(CALIBRATION_BARS);
    let mut regimes = Vec::with_capacity(CALIBRATION_BARS);
    for _ in 0..CALIBRATION_BARS {
        bars.push(m.next_candle().bar());
        regimes.push(m.regime());
    }
    let r = log_returns(&bars);

    // Every regime gets its share, and trends really drift their way.
    for regime in [Regime::Uptrend, Regime::Downtrend, Regime::Range] {
        let share = regimes.iter().filter(|&&g| g == regime).count() as f64 / bars.len() as f64;
        assert!(share > 0.1, "{regime:?} only {share:.3} of bars");
    }
    let mean_in = |want: Regime| {
        let xs: Vec<f64> = r
            .iter()
            .zip(&regimes[1..])
            .filter(|(_, g)| **g == want)
            .map(|(x, _)| *x)
            .collect();
        stats::mean(&xs)
    };
    assert!(mean_in(Regime::Uptrend) > 0.0 && mean_in(Regime::Downtrend) < 0.0);

    // EMA20/EMA50 crossings: often enough to trade, not every few bars.
    let closes: Vec<f64> = bars.iter().map(|b| b.close).collect();
    let (fast, slow) = (ema(&closes, 20), ema(&closes, 50));
    let crosses: Vec<(usize, bool)> = (200..bars.len())
        .filter(|&i| (fast[i] > slow[i]) != (fast[i - 1] > slow[i - 1]))
        .map(|i| (i, fast[i] > slow[i]))
        .collect();
    assert!(
        (100..=2_500).contains(&crosses.len()),
        "{} EMA crosses",
        crosses.len()
    );

    // Trends run: the EMA50 keeps its slope for long stretches.
    let mut runs = Vec::new();
    let mut run = 0usize;
    for i in 2..slow.len() {
        if (slow[i] > slow[i - 1]) == (slow[i - 1] > slow[i - 2]) {
            run += 1;
        } else {
            runs.push(run);
            run = 0;
        }
    }
    let long_runs = runs.iter().filter(|&&n| n >= 100).count();
    let longest = runs.iter().copied().max().unwrap_or(0);
    assert!(
        long_runs >= 20 && longest >= 200,
        "{long_runs} runs of 100+, longest {longest}"
    );

    // A 1.5 ATR stop is hit in a fair share of trades, and some trades run to 3 ATR.
    let atr = atr14(&bars);
    let (mut stops, mut targets) = (0, 0);
    for &(i, long) in &crosses {
        match run_trade(&bars, &atr, i, long) {
            Exit::Stop => stops += 1,
            Exit::Target => targets += 1,
            Exit::Timeout => {}
        }
    }
    let n = crosses.len() as f64;
    let (stop_share, target_share) = (stops as f64 / n, targets as f64 / n);
    assert!(
        (0.3..=0.85).contains(&stop_share),
        "stopped {stop_share:.3}"
    );
    assert!(target_share >= 0.1, "reached 3 ATR {target_share:.3}");
}

#[test]
fn crashes_happen_and_leave_volatility_behind() {
    for m in &MEASURED {
        let bars = generate(m.interval, 42, CALIBRATION_BARS);
        let r = log_returns(&bars);
        let sd = stats::std_dev(&r);
        let crashes: Vec<usize> = (0..r.len()).filter(|&i| r[i] < -5.0 * sd).collect();
        assert!(
            crashes.len() >= CALIBRATION_BARS / 10_000,
            "{}: {} bars below -5 sigma in {CALIBRATION_BARS}",
            m.interval,
            crashes.len()
        );
        let calm = stats::mean(&r.iter().map(|x| x.abs()).collect::<Vec<_>>());
        let after: Vec<f64> = crashes
            .iter()
            .flat_map(|&i| r.iter().skip(i + 1).take(10).map(|x| x.abs()))
            .collect();
        let ratio = stats::mean(&after) / calm;
        assert!(
            ratio > 1.5,
            "{}: |r| after crashes only {ratio:.2}× usual",
            m.interval
        );
    }
}

#[test]
fn volume_rises_with_volatility() {
    let bars = generate(Interval::H1, 42, 20_000);
    let r = log_returns(&bars);
    let abs: Vec<f64> = r.iter().map(|x| x.abs()).collect();
    let volume: Vec<f64> = bars[1..].iter().map(|b| b.volume).collect();
    assert!(stats::correlation(&volume, &abs) > 0.3);
    // Busy stretches trade more: 50-bar mean volume follows 50-bar mean |r|.
    let window = |xs: &[f64]| -> Vec<f64> { xs.chunks_exact(50).map(stats::mean).collect() };
    assert!(stats::correlation(&window(&volume), &window(&abs)) > 0.5);
}
