//! Helpers shared by the integration tests: the real BTCUSDT data, a scripted
//! strategy and a screen renderer.

// Each test binary includes this module and uses only part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use cockpit::config::Config;
use cockpit::domain::{Candle, OrderRequest, Side, Symbol};
use cockpit::engine::{Action, Engine, Runner};
use cockpit::exec::paper::{FundingSchedule, PaperExchange};
use cockpit::indicators::IndicatorValues;
use cockpit::strategy::{Proposal, Reason, Strategy};
use cockpit::tui::{App, draw};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use rust_decimal::Decimal;

pub fn btc_1h() -> PathBuf {
    cockpit::shared_data::file("klines/BTCUSDT-1h-umfutures.csv").unwrap_or_else(|e| panic!("{e}"))
}

/// The first `rows` lines of the real BTCUSDT 1h file (its header included),
/// written into `dir`, a test's temp dir.
pub fn head_of_btc_1h(dir: &Path, rows: usize) -> PathBuf {
    let head = dir.join("BTCUSDT-1h-head.csv");
    let text = std::fs::read_to_string(btc_1h()).unwrap();
    let first: Vec<&str> = text.lines().take(rows).collect();
    std::fs::write(&head, first.join("\n") + "\n").unwrap();
    head
}

/// Proposes on every candle whose close is a round 1000: long with a stop
/// 15 below and a take-profit 30 above, or short when the close is 2000.
/// Tests decide exactly when a signal happens by choosing closes.
pub struct Scripted;

impl Strategy for Scripted {
    fn name(&self) -> &'static str {
        "scripted"
    }
    fn on_closed(&mut self, symbol: &Symbol, c: &Candle, _: &IndicatorValues) -> Option<Proposal> {
        let close = c.close.value();
        let side = if close == Decimal::from(1000) {
            Side::Buy
        } else if close == Decimal::from(2000) {
            Side::Sell
        } else {
            return None;
        };
        let k = Decimal::from(side.sign());
        Some(Proposal {
            symbol: symbol.clone(),
            side,
            candle_open_ms: c.open_time_ms,
            entry: close,
            stop: close - k * Decimal::from(15),
            take_profit: close + k * Decimal::from(30),
            atr: 10.0,
            strategy: "scripted".into(),
            reasons: vec![Reason {
                check: "script".into(),
                passed: true,
                detail: format!("close {close}"),
            }],
        })
    }
}

/// The app drawn into a `width` × `height` test terminal, one line per row.
pub fn render(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| draw(f, app)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    (0..height)
        .map(|y| {
            (0..width)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The engine core with `strategy` on every symbol, and the paper exchange,
/// without a journal: the cockpit's runner, minus the disk.
pub fn paper_runner(config: &Config, strategy: impl Fn() -> Box<dyn Strategy>) -> Runner {
    let engine = Engine::new(config, "test", i64::MAX / 4)
        .unwrap()
        .with_strategies(strategy);
    let exchange = PaperExchange::new(
        &config.paper,
        FundingSchedule::constant(config.paper.funding_rate),
    );
    Runner::new(engine, exchange, None)
}

/// The orders among the engine's actions, in the order it sent them.
pub fn submitted(actions: &[Action]) -> Vec<OrderRequest> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Submit(o) => Some(o.request().clone()),
            _ => None,
        })
        .collect()
}

/// The AI flags of a run that must decide on the algorithm alone, whatever
/// model the default config names.
pub fn algo_only() -> cockpit::ai::setup::AiFlags {
    cockpit::ai::setup::AiFlags {
        model: Some(String::new()),
        onnxruntime: None,
    }
}
