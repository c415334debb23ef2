//! Cost of one closed-candle update of a warmed-up `IndicatorSet` (every
//! indicator), fed real BTCUSDT 1h bars. Target: ≤ 500 ns.
//!
//! cargo bench --bench indicators -- --warm-up-time 1 --measurement-time 3

use std::hint::black_box;

use cockpit::domain::Bar;
use cockpit::indicators::{IndicatorParams, IndicatorSet, compute_batch};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const KLINES: &str = "klines/BTCUSDT-1h-umfutures.csv";
/// Longer than the slowest warm-up (EMA200) so every value is defined.
const WARM_UP_BARS: usize = 1_000;

fn load_bars() -> Vec<Bar> {
    let path = cockpit::shared_data::file(KLINES).unwrap_or_else(|e| panic!("{e}"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    text.lines()
        .skip(1)
        .map(|line| {
            let c: Vec<&str> = line.split(',').collect();
            let f = |i: usize| -> f64 {
                c[i].parse()
                    .unwrap_or_else(|e| panic!("{line:?} column {i}: {e}"))
            };
            Bar {
                open_time_ms: c[0].parse().unwrap_or_else(|e| panic!("{line:?}: {e}")),
                open: f(1),
                high: f(2),
                low: f(3),
                close: f(4),
                volume: f(5),
            }
        })
        .collect()
}

fn indicators(c: &mut Criterion) {
    let bars = load_bars();
    let params = IndicatorParams::default();

    let mut set = IndicatorSet::new(&params);
    for bar in &bars[..WARM_UP_BARS] {
        set.update(bar);
    }
    assert!(set.values().ema[2].is_some() && set.values().adx.is_some());
    let live = &bars[WARM_UP_BARS..];
    // Wrapping around to the start is one price jump in ~57,000 updates; it
    // changes no branch that matters to the timing.
    let mut next = 0;
    c.bench_function("indicator_set_update_one_closed_candle", |b| {
        b.iter(|| {
            let bar = &live[next];
            next = if next + 1 == live.len() { 0 } else { next + 1 };
            *black_box(set.update(black_box(bar)))
        })
    });

    let mut group = c.benchmark_group("compute_batch");
    group.throughput(Throughput::Elements(bars.len() as u64));
    group.sample_size(10);
    group.bench_function("btcusdt_1h_all_bars", |b| {
        b.iter(|| compute_batch(&params, black_box(&bars)))
    });
    group.finish();
}

criterion_group!(benches, indicators);
criterion_main!(benches);
