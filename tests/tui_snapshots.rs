//! Snapshots of every panel, of the whole screen at 80×24 and 160×48, and of
//! the overlays, rendered into ratatui's `TestBackend` from the snapshots of
//! the real engine core and paper exchange driven by the demo market and the
//! operator's keys. Clocks and order ids are masked. Review a change with
//! `cargo insta review` (or compare the `.snap.new` file beside the snapshot).

use std::sync::Arc;

use cockpit::config::{Automation, Config};
use cockpit::domain::{Candle, Interval, Mode, Side, Symbol};
use cockpit::engine::{Event, Runner};
use cockpit::indicators::IndicatorValues;
use cockpit::market::demo::DemoMarket;
use cockpit::strategy::{Proposal, Reason, Strategy};
use cockpit::tui::{App, Panel, draw, draw_panel};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use ratatui::style::Color;
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;

mod common;

/// 2024-01-01T00:00Z.
const T0: i64 = 1_704_067_200_000;
const CANDLES: usize = 300;
const QUARTER_HOUR: i64 = 900_000;

/// Proposes on fixed candles (counted per symbol) with ATR stops, so the
/// screen has a closed trade, an open position and a waiting approval.
struct Timed {
    seen: usize,
}

/// (symbol, closed candle number, side). The BTC trades are approved by key.
const SCRIPT: [(&str, usize, Side); 4] = [
    ("BTCUSDT", 230, Side::Buy),
    ("BTCUSDT", 285, Side::Sell),
    ("BTCUSDT", 297, Side::Buy),
    ("ETHUSDT", CANDLES, Side::Buy),
];

impl Strategy for Timed {
    fn name(&self) -> &'static str {
        "timed"
    }

    fn on_closed(&mut self, symbol: &Symbol, c: &Candle, v: &IndicatorValues) -> Option<Proposal> {
        self.seen += 1;
        let (_, _, side) = SCRIPT
            .iter()
            .find(|(s, n, _)| *s == symbol.as_str() && *n == self.seen)?;
        let atr = v.atr?;
        let k = f64::from(side.sign());
        let at = |mult: f64| {
            Decimal::from_f64(c.close.to_f64() + k * mult * atr)
                .unwrap()
                .round_dp(1)
        };
        Some(Proposal {
            symbol: symbol.clone(),
            side: *side,
            candle_open_ms: c.open_time_ms,
            entry: c.close.value(),
            stop: at(-1.5),
            take_profit: at(3.0),
            atr,
            strategy: "timed".into(),
            reasons: vec![Reason {
                check: "script".into(),
                passed: true,
                detail: format!("candle {}", self.seen),
            }],
        })
    }
}

struct Desk {
    runner: Runner,
    app: App,
}

impl Desk {
    fn key(&mut self, code: KeyCode) {
        if let Some(command) = self.app.on_key(KeyEvent::new(code, KeyModifiers::NONE)) {
            let at = self.runner.engine.now_ms();
            self.runner.step(at, Event::Command(command));
            self.app
                .on_snapshot(Arc::new(self.runner.engine.snapshot()));
        }
    }

    fn keys(&mut self, keys: &str) {
        for c in keys.chars() {
            self.key(KeyCode::Char(c));
        }
    }
}

/// Two symbols of demo market through the real runner, paper mode, semi-auto,
/// armed; the operator approves the BTC proposals as they come.
fn desk() -> Desk {
    let mut config = Config::default();
    config.market.symbols = vec!["BTCUSDT".parse().unwrap(), "ETHUSDT".parse().unwrap()];
    config.market.interval = Interval::M15;
    config.engine.mode = Mode::Paper;
    config.engine.automation = Automation::Semi;
    config.engine.armed = true;
    let mut runner = common::paper_runner(&config, || Box::new(Timed { seen: 0 }));
    let app = App::new(Arc::new(runner.engine.snapshot()), config.ui.chart_candles);
    let mut desk = Desk { runner, app };
    let mut markets: Vec<DemoMarket> = (0..2)
        .map(|i| DemoMarket::new(&config.demo, config.market.interval, i, T0))
        .collect();
    for n in 0..CANDLES {
        let close_ms = T0 + (n as i64 + 1) * QUARTER_HOUR;
        for (symbol, market) in config.market.symbols.iter().zip(&mut markets) {
            let candle = market.next_candle();
            desk.runner.step(
                close_ms,
                Event::Candle {
                    symbol: symbol.clone(),
                    candle,
                },
            );
        }
        desk.app
            .on_snapshot(Arc::new(desk.runner.engine.snapshot()));
        // Approve what BTC proposed; ETH's last proposal stays waiting.
        if n + 1 < CANDLES && !desk.app.snapshot.approvals.is_empty() {
            desk.key(KeyCode::Char('y'));
        }
    }
    // A forming candle, a few seconds into the next quarter hour.
    let at = T0 + CANDLES as i64 * QUARTER_HOUR + 5_000;
    for (symbol, market) in config.market.symbols.iter().zip(&mut markets) {
        let (_, path) = market.next_candle_with_path(3);
        desk.runner.step(
            at,
            Event::Candle {
                symbol: symbol.clone(),
                candle: path[0].clone(),
            },
        );
    }
    desk.app
        .on_snapshot(Arc::new(desk.runner.engine.snapshot()));
    desk
}

fn text(terminal: &Terminal<TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    let area = buffer.area;
    (area.y..area.bottom())
        .map(|y| {
            let row: String = (area.x..area.right())
                .map(|x| buffer[(x, y)].symbol())
                .collect();
            row.trim_end().to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn screen(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| draw(f, app)).unwrap();
    assert_sixteen_colours(&terminal);
    text(&terminal)
}

/// A plain 16-colour terminal shows every colour the cockpit uses: named
/// ANSI colours only, never 256-colour indices or RGB.
fn assert_sixteen_colours(terminal: &Terminal<TestBackend>) {
    let buffer = terminal.backend().buffer();
    for cell in &buffer.content {
        for colour in [cell.fg, cell.bg] {
            assert!(
                !matches!(colour, Color::Rgb(..) | Color::Indexed(..)),
                "{colour:?} needs more than 16 colours at {:?}",
                cell.symbol()
            );
        }
    }
}

fn panel(app: &App, panel: Panel, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|f| draw_panel(f, app, panel, Rect::new(0, 0, width, height)))
        .unwrap();
    text(&terminal)
}

/// Masks what changes from run to run or machine to machine: wall-clock
/// times (the Log panel's) and the engine clock, and order ids.
fn masked() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", "[datetime]");
    settings.add_filter(r"\b\d{2}:\d{2}(:\d{2})?\b", "[time]");
    settings.add_filter(r"ck-[A-Z0-9]+-[a-z0-9]+", "[order id]");
    settings.add_filter(r"log file: \S+", "log file: [path]");
    settings.set_prepend_module_to_snapshot(false);
    settings
}

/// One test, so the process-wide logger behind the Log panel sees one story.
#[test]
fn every_panel_every_screen_size_and_the_overlays() {
    let log_dir = tempfile::tempdir().unwrap();
    cockpit::logging::init(log_dir.path()).unwrap();
    let mut desk = desk();
    let s = &desk.app.snapshot;
    // The story the snapshots tell must have happened.
    assert!(s.trades_closed >= 1, "no closed trade to mark");
    assert!(
        s.symbols[0].position.is_some(),
        "no open BTC position: {:#?}",
        (&s.decisions, desk.runner.engine.trades())
    );
    assert_eq!(s.approvals.len(), 1, "the ETH proposal should wait");
    cockpit::logging::sync_panel();

    let _guard = masked().bind_to_scope();
    insta::assert_snapshot!("screen_160x48", screen(&desk.app, 160, 48));
    insta::assert_snapshot!("screen_80x24", screen(&desk.app, 80, 24));
    for (p, width, height) in [
        (Panel::Candles, 100, 22),
        (Panel::Indicators, 42, 21),
        (Panel::Confluence, 110, 7),
        (Panel::Positions, 110, 7),
        (Panel::Latency, 42, 9),
        (Panel::Drift, 42, 3),
        (Panel::KillSwitch, 42, 6),
        (Panel::Approvals, 42, 6),
        (Panel::Log, 110, 8),
    ] {
        let name = format!("panel_{}", p.title().replace(' ', "_").to_lowercase());
        insta::assert_snapshot!(name, panel(&desk.app, p, width, height));
    }

    desk.keys("?");
    insta::assert_snapshot!("overlay_help", screen(&desk.app, 80, 24));
    desk.key(KeyCode::Esc);
    desk.keys("KF");
    insta::assert_snapshot!("overlay_flatten", screen(&desk.app, 80, 24));
    desk.keys("n");
    insta::assert_snapshot!(
        "panel_kill_switch_open",
        panel(&desk.app, Panel::KillSwitch, 42, 6)
    );
    desk.key(KeyCode::Esc);
    desk.keys("mLI");
    insta::assert_snapshot!("overlay_live", screen(&desk.app, 80, 24));
    desk.key(KeyCode::Esc);
    desk.keys("q");
    insta::assert_snapshot!("overlay_quit", screen(&desk.app, 80, 24));
}
