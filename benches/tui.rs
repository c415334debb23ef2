//! One full frame of the cockpit (every panel, a 1,000-candle history, the
//! chart zoomed all the way out) drawn into a 240×60 TestBackend (the issue's
//! budget: ≤ 1 ms a frame).

use std::hint::black_box;
use std::sync::Arc;

use cockpit::config::Config;
use cockpit::domain::Interval;
use cockpit::engine::{Engine, Event};
use cockpit::market::demo::DemoMarket;
use cockpit::tui::{App, draw};
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const CANDLES: usize = 1_000;

/// The demo market through a real engine, as the cockpit gets it: a full
/// chart history plus a candle still forming.
fn app() -> App {
    let mut config = Config::default();
    config.market.interval = Interval::M15;
    let at = 1_700_000_000_000;
    let mut engine = Engine::new(&config, "demo", 10_000).unwrap_or_else(|e| panic!("{e}"));
    for (i, symbol) in config.market.symbols.iter().enumerate() {
        let mut market = DemoMarket::new(&config.demo, config.market.interval, i as u64, at);
        // More than the history holds, so the chart history is full.
        for _ in 0..CANDLES + 100 {
            let candle = market.next_candle();
            engine.process(
                at,
                Event::Candle {
                    symbol: symbol.clone(),
                    candle,
                },
            );
        }
        let (_, forming) = market.next_candle_with_path(3);
        engine.process(
            at,
            Event::Candle {
                symbol: symbol.clone(),
                candle: forming[0].clone(),
            },
        );
    }
    fill_log_panel();
    let snapshot = Arc::new(engine.snapshot());
    let history = snapshot.symbols[0].history.len();
    assert!(history >= CANDLES, "only {history} candles in the chart");
    let mut app = App::new(snapshot, config.ui.chart_candles);
    // Asking for every candle gives one cell per candle: the most the chart
    // can show, and the most work for it.
    app.zoom = history;
    app
}

/// A Log panel with lines in it, as after a while of trading: more than it
/// shows, some long enough to wrap.
fn fill_log_panel() {
    for i in 0..500 {
        tui_logger::Drain::new().log(
            &log::Record::builder()
                .level(if i % 7 == 0 { log::Level::Warn } else { log::Level::Info })
                .target("engine")
                .args(format_args!(
                    "BTCUSDT long proposal {i}: entry 43210.5, stop 42890.0, take-profit 44100.0; confluence 0.72 from ema, macd, rsi and obv"
                ))
                .build(),
        );
    }
    tui_logger::move_events();
}

fn full_frame(c: &mut Criterion) {
    let app = app();
    let mut terminal = Terminal::new(TestBackend::new(240, 60)).unwrap_or_else(|e| panic!("{e}"));
    terminal
        .draw(|f| draw(f, &app))
        .unwrap_or_else(|e| panic!("{e}"));
    let screen: String = terminal
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|cell| cell.symbol())
        .collect();
    assert!(screen.contains("proposal 499"), "the Log panel is empty");
    c.bench_function("tui_full_frame_240x60_1000_candles", |b| {
        b.iter(|| {
            // The whole of `Terminal::draw`: layout, every widget, the diff
            // against the previous frame and the flush to the backend.
            terminal
                .draw(|f| draw(f, black_box(&app)))
                .unwrap_or_else(|e| panic!("{e}"));
        })
    });
}

criterion_group!(benches, full_frame);
criterion_main!(benches);
