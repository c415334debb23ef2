//! The first screen rendered into ratatui's TestBackend from real engine
//! snapshots fed by the demo market.

use std::sync::Arc;

use cockpit::config::Config;
use cockpit::domain::Interval;
use cockpit::engine::{Engine, Event};
use cockpit::market::demo::DemoMarket;
use cockpit::tui::App;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

mod common;
use common::render;

fn app_with_candles(symbols: &[&str], candles: usize) -> App {
    let mut config = Config::default();
    config.market.symbols = symbols.iter().map(|s| s.parse().unwrap()).collect();
    config.market.interval = Interval::M15;
    let mut engine = Engine::new(&config, "demo", 10_000).unwrap();
    for (i, symbol) in config.market.symbols.iter().enumerate() {
        let mut market = DemoMarket::new(
            &config.demo,
            config.market.interval,
            i as u64,
            1_700_000_000_000,
        );
        for _ in 0..candles {
            engine.process(
                1_700_000_000_000,
                Event::Candle {
                    symbol: symbol.clone(),
                    candle: market.next_candle(),
                },
            );
        }
        let (_, forming) = market.next_candle_with_path(3);
        engine.process(
            1_700_000_000_000,
            Event::Candle {
                symbol: symbol.clone(),
                candle: forming[0].clone(),
            },
        );
    }
    App::new(Arc::new(engine.snapshot()), config.ui.chart_candles)
}

fn key(app: &mut App, code: KeyCode) {
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
}

#[test]
fn wide_screen_shows_every_panel_at_once() {
    let app = app_with_candles(&["BTCUSDT"], 400);
    let screen = render(&app, 120, 40);
    println!("{screen}");
    let header: String = screen.lines().take(2).collect();
    for needle in [
        "BTCUSDT",
        "15m",
        "SHADOW",
        "DISARMED",
        "feed: demo live",
        "UTC",
    ] {
        assert!(header.contains(needle), "header lacks {needle}: {header}");
    }
    for title in [
        "Candles",
        "Indicators",
        "Confluence",
        "Positions",
        "Latency",
        "Drift",
        "Kill Switch",
        "Approvals",
        "Log",
    ] {
        assert!(screen.contains(title), "no {title} panel:\n{screen}");
    }
    assert!(
        screen.contains('█') && screen.contains('▒'),
        "no up and down candle bodies:\n{screen}"
    );
    assert!(screen.contains('·'), "no EMA overlay:\n{screen}");
    // After 400 candles every indicator is warm: no dash placeholders.
    assert!(
        screen.contains("EMA200") && screen.contains("RSI"),
        "{screen}"
    );
    let indicator_rows: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains("RSI ") || l.contains("ADX "))
        .collect();
    assert!(
        indicator_rows.iter().all(|l| !l.contains('—')),
        "{indicator_rows:?}"
    );
}

#[test]
fn compact_80x24_keeps_header_chart_confluence_positions_and_kill_switch() {
    let app = app_with_candles(&["BTCUSDT"], 300);
    let screen = render(&app, 80, 24);
    println!("{screen}");
    assert!(
        screen.lines().next().unwrap().contains("SHADOW"),
        "{screen}"
    );
    for title in ["Candles", "Confluence", "Positions", "Kill Switch"] {
        assert!(screen.contains(title), "no {title} panel:\n{screen}");
    }
    assert!(screen.lines().last().unwrap().contains("help"), "{screen}");
}

#[test]
fn warm_up_values_show_as_dashes_not_zeros() {
    let app = app_with_candles(&["BTCUSDT"], 5);
    let screen = render(&app, 120, 40);
    let rsi = screen.lines().find(|l| l.contains("RSI ")).unwrap();
    assert!(rsi.contains('—'), "{rsi}");
}

#[test]
fn help_overlay_lists_the_keys_and_closes_with_escape() {
    let mut app = app_with_candles(&["BTCUSDT"], 50);
    key(&mut app, KeyCode::Char('?'));
    let screen = render(&app, 120, 40);
    assert!(
        screen.contains("Help") && screen.contains("quit (the terminal is restored)"),
        "{screen}"
    );
    key(&mut app, KeyCode::Esc);
    assert!(!render(&app, 120, 40).contains("quit (the terminal is restored)"));
}

#[test]
fn tab_switches_symbol_and_header_counts_the_others() {
    let mut app = app_with_candles(&["BTCUSDT", "ETHUSDT"], 50);
    let screen = render(&app, 120, 40);
    assert!(screen.lines().next().unwrap().contains("BTCUSDT (+1)"));
    key(&mut app, KeyCode::Tab);
    let screen = render(&app, 120, 40);
    assert!(screen.contains("Candles · ETHUSDT 15m"), "{screen}");
}

#[test]
fn scrolling_back_changes_the_chart_and_end_returns() {
    let mut app = app_with_candles(&["BTCUSDT"], 400);
    let live = render(&app, 120, 40);
    key(&mut app, KeyCode::Left);
    key(&mut app, KeyCode::Left);
    assert_ne!(render(&app, 120, 40), live);
    key(&mut app, KeyCode::End);
    assert_eq!(render(&app, 120, 40), live);
}

#[test]
fn tiny_terminals_do_not_panic() {
    let app = app_with_candles(&["BTCUSDT"], 50);
    for (w, h) in [(1, 1), (10, 5), (30, 8), (200, 60)] {
        render(&app, w, h);
    }
}

#[test]
fn an_open_position_shows_its_levels_on_the_chart_and_in_positions() {
    use cockpit::domain::{Position, Side};
    use cockpit::engine::PositionView;
    let mut app = app_with_candles(&["BTCUSDT"], 300);
    let mut snapshot = (*app.snapshot).clone();
    let close = snapshot.symbols[0].history.last().unwrap().bar.close;
    let price = |x: f64| format!("{x:.1}").parse().unwrap();
    snapshot.symbols[0].position = Some(PositionView {
        position: Position {
            symbol: "BTCUSDT".parse().unwrap(),
            side: Side::Buy,
            qty: "0.25".parse().unwrap(),
            entry_price: price(close),
            opened_at_ms: 0,
        },
        mark: price(close),
        unrealized: rust_decimal::Decimal::ZERO,
        stop: price(close * 0.98),
        take_profit: price(close * 1.04),
        stop_confirmed: true,
        take_profit_confirmed: false,
        liquidation: None,
    });
    app.on_snapshot(Arc::new(snapshot));
    let screen = render(&app, 120, 40);
    println!("{screen}");
    let chart: Vec<&str> = screen.lines().skip(1).take(20).collect();
    for name in ["SL", "TP", "entry"] {
        assert!(
            chart.iter().any(|l| l.contains(name)),
            "no {name} line on the chart:\n{screen}"
        );
    }
    assert!(screen.contains("╌"), "{screen}");
    let positions = screen
        .lines()
        .find(|l| l.contains("BTCUSDT LONG"))
        .unwrap_or_else(|| panic!("no position row:\n{screen}"));
    assert!(positions.contains("0.25"), "{positions}");
    // The stop is confirmed, the take-profit is not: ✓ and ? say so.
    let levels = screen
        .lines()
        .find(|l| l.contains("SL ") && l.contains("TP "))
        .unwrap();
    assert!(levels.contains('✓') && levels.contains('?'), "{levels}");
    // Quitting with a position open asks first.
    app.on_key(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE));
    assert!(!app.quit);
    assert!(render(&app, 120, 40).contains("their stops stay on the exchange"));
}
