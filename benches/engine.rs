//! One closed candle through indicators + strategy + confirmer + risk, for one
//! symbol, on real BTCUSDT 1h data (the budget: ≤ 2 µs).

use std::hint::black_box;

use cockpit::config::{Automation, Config};
use cockpit::domain::{Candle, Interval, Mode, Symbol};
use cockpit::engine::{Engine, Event};
use criterion::{Criterion, criterion_group, criterion_main};

fn candles() -> Vec<Candle> {
    let path = cockpit::shared_data::file("klines/BTCUSDT-1h-umfutures.csv")
        .unwrap_or_else(|e| panic!("{e}"));
    cockpit::market::csv::load(&path)
        .unwrap_or_else(|e| panic!("{e}"))
        .candles
}

fn engine() -> Engine {
    let mut config = Config::default();
    config.market.interval = Interval::H1;
    config.engine.mode = Mode::Paper;
    config.engine.automation = Automation::Auto;
    config.engine.armed = true;
    Engine::new(&config, "bench", i64::MAX / 4).unwrap_or_else(|e| panic!("{e}"))
}

fn closed_candle(c: &mut Criterion) {
    let candles = candles();
    let symbol = Symbol::new("BTCUSDT").unwrap_or_else(|e| panic!("{e}"));
    let mut engine = engine();
    let mut i = 0usize;
    c.bench_function("engine_closed_candle_1_symbol", |b| {
        b.iter(|| {
            if i == candles.len() {
                // Start over with a fresh engine: candles must keep moving forward.
                engine = self::engine();
                i = 0;
            }
            let candle = candles[i].clone();
            i += 1;
            let at = candle.open_time_ms + 3_600_000;
            black_box(engine.process(
                at,
                Event::Candle {
                    symbol: symbol.clone(),
                    candle,
                },
            ))
        })
    });
}

criterion_group!(benches, closed_candle);
criterion_main!(benches);
