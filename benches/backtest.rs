//! The backtester end to end on one core: seven years of real BTCUSDT 1h
//! candles (already loaded) through the engine, the paper exchange and the
//! metrics, algo-only. The target is ≥ 5 M candles/s; the README
//! reports where it stands.

use std::hint::black_box;

use cockpit::backtest::{self, BacktestSpec, Candles, TimeRange};
use cockpit::config::Config;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn seven_years(c: &mut Criterion) {
    let path = cockpit::shared_data::file("klines/BTCUSDT-1h-umfutures.csv")
        .unwrap_or_else(|e| panic!("{e}"));
    let histories = backtest::load(&[path], TimeRange::ALL).unwrap_or_else(|e| panic!("{e}"));
    let candles = histories[0].candles.len() as u64;
    let config = Config::default();
    // The same candles where the entry rule never passes: what a candle
    // costs without trades, to tell the per-candle path from the per-trade one.
    let mut never_trading = Config::default();
    never_trading.strategy.adx_min = 100.0;
    let mut group = c.benchmark_group("backtest");
    group.throughput(Throughput::Elements(candles));
    group.sample_size(10);
    for (name, config) in [
        ("btcusdt_1h_seven_years", &config),
        ("btcusdt_1h_seven_years_never_trading", &never_trading),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                black_box(
                    backtest::run(BacktestSpec::new(config, Candles::Loaded(&histories)))
                        .unwrap_or_else(|e| panic!("{e}")),
                )
            })
        });
    }
    group.finish();
}

criterion_group!(benches, seven_years);
criterion_main!(benches);
