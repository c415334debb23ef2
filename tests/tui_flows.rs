//! Operator flows end to end: keys go into the TUI's `App`, the commands it
//! returns go through the real engine core and the real paper exchange, and
//! every snapshot the engine publishes comes back to the `App`. The tests
//! assert on what the operator would see (the rendered screen) and on the
//! engine's and the exchange's own state.

use std::sync::{Arc, Mutex, MutexGuard};

use cockpit::config::{Automation, Config};
use cockpit::domain::{Candle, Interval, Mode, Price, Qty, Symbol, TradingState};
use cockpit::engine::{Command, Event, Runner, Snapshot};
use cockpit::journal::DecisionStatus;
use cockpit::tui::{App, Overlay};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

mod common;
use common::Scripted;

const HOUR: i64 = 3_600_000;
/// 2024-01-01T00:00Z.
const T0: i64 = 1_704_067_200_000;
/// Wide and tall enough for every panel, the Log included.
const WIDTH: u16 = 120;
const HEIGHT: u16 = 40;

/// The Log panel shows the process-wide logger: flows take turns so one
/// flow's lines never push another's out of the panel while it looks.
static TURN: Mutex<()> = Mutex::new(());

/// The operator's desk: the runner (engine core + paper exchange) and the TUI
/// app, wired as the cockpit wires them, on a clock the test moves.
struct Desk {
    runner: Runner,
    app: App,
    /// The runner's "now", ms.
    now: i64,
    last_close: Price,
    _turn: MutexGuard<'static, ()>,
}

impl Desk {
    /// Paper mode, semi-automatic, disarmed: the cockpit's safe start, with a
    /// day of flat history on the chart.
    fn open() -> Desk {
        let turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
        static LOGGER: std::sync::Once = std::sync::Once::new();
        LOGGER.call_once(|| {
            // The log file goes to a dir that lives as long as the test process.
            let dir = tempfile::tempdir().unwrap().keep();
            cockpit::logging::init(&dir).unwrap()
        });

        let mut config = Config::default();
        config.market.interval = Interval::H1;
        config.engine.mode = Mode::Paper;
        config.engine.automation = Automation::Semi;
        config.engine.armed = false;
        let mut runner = common::paper_runner(&config, || Box::new(Scripted));
        runner.keep_notices = true;
        let warm_up = (0..24)
            .map(|i| {
                let open = T0 - (24 - i) * HOUR;
                let c: Price = if i % 2 == 0 { "990" } else { "995" }.parse().unwrap();
                let candle = Candle::new(open, c, c, c, c, Qty::ZERO, true).unwrap();
                (
                    open + HOUR,
                    Event::Candle {
                        symbol: btc(),
                        candle,
                    },
                )
            })
            .collect();
        runner.warm(warm_up);
        let app = App::new(Arc::new(runner.engine.snapshot()), config.ui.chart_candles);
        Desk {
            runner,
            app,
            now: T0,
            last_close: "995".parse().unwrap(),
            _turn: turn,
        }
    }

    /// Types `keys`, one key event each, and sends every command the app
    /// returns to the engine, as the TUI loop does. Returns those commands.
    fn press(&mut self, keys: &str) -> Vec<Command> {
        keys.chars()
            .filter_map(|c| {
                let modifiers = if c.is_ascii_uppercase() {
                    KeyModifiers::SHIFT
                } else {
                    KeyModifiers::NONE
                };
                self.key_with(KeyCode::Char(c), modifiers)
            })
            .collect()
    }

    fn key(&mut self, code: KeyCode) -> Option<Command> {
        self.key_with(code, KeyModifiers::NONE)
    }

    fn key_with(&mut self, code: KeyCode, modifiers: KeyModifiers) -> Option<Command> {
        let command = self.app.on_key(KeyEvent::new(code, modifiers))?;
        self.step(self.now, Event::Command(command.clone()));
        Some(command)
    }

    /// The next hourly candle, closed at `close`; it opens where the last one
    /// closed, so a market order pending from before fills at that price.
    fn candle(&mut self, close: &str) {
        let close: Price = close.parse().unwrap();
        let open = self.last_close;
        let candle = Candle::new(
            self.now,
            open,
            open.max(close),
            open.min(close),
            close,
            Qty::ZERO,
            true,
        )
        .unwrap();
        self.last_close = close;
        self.now += HOUR;
        self.step(
            self.now,
            Event::Candle {
                symbol: btc(),
                candle,
            },
        );
    }

    /// The runner's once-a-second timer, `ms` from now.
    fn wait(&mut self, ms: i64) {
        self.now += ms;
        self.step(self.now, Event::Timer);
    }

    /// Publishes only when the engine asks, as the real loop does, so a
    /// change the engine forgets to publish would show as a stale screen.
    fn step(&mut self, at: i64, event: Event) {
        if self.runner.step(at, event).publish {
            self.app
                .on_snapshot(Arc::new(self.runner.engine.snapshot()));
        }
    }

    fn snapshot(&self) -> &Snapshot {
        &self.app.snapshot
    }

    fn screen(&self) -> String {
        // The logger's own thread moves records into the panel's buffer only
        // every few ms; move them now so the screen shows the latest.
        cockpit::logging::sync_panel();
        let screen = common::render(&self.app, WIDTH, HEIGHT);
        println!("{screen}");
        screen
    }

    fn notices(&self) -> Vec<&str> {
        self.runner
            .notices
            .iter()
            .map(|n| n.text.as_str())
            .collect()
    }
}

fn btc() -> Symbol {
    Symbol::new("BTCUSDT").unwrap()
}

fn header(screen: &str) -> &str {
    screen.lines().next().unwrap()
}

/// The screen row that contains `needle`, or a failure showing the screen.
fn row<'s>(screen: &'s str, needle: &str) -> &'s str {
    screen
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no row with {needle:?}:\n{screen}"))
}

/// The first line inside the Kill Switch panel: the trading state.
fn kill_switch_state(screen: &str) -> &str {
    let lines: Vec<&str> = screen.lines().collect();
    let (i, title) = lines
        .iter()
        .enumerate()
        .find(|(_, l)| l.contains("┌ Kill Switch "))
        .unwrap_or_else(|| panic!("no Kill Switch panel:\n{screen}"));
    let column = title[..title.find("┌ Kill Switch").unwrap()]
        .chars()
        .count();
    let start = lines[i + 1]
        .char_indices()
        .nth(column + 1)
        .map_or(lines[i + 1].len(), |(b, _)| b);
    &lines[i + 1][start..]
}

fn last_status(desk: &Desk) -> DecisionStatus {
    desk.snapshot().decisions.last().unwrap().status
}

#[test]
fn arm_signal_approve_position_with_stop_then_kill_switch_flatten_halts() {
    let mut desk = Desk::open();
    let screen = desk.screen();
    assert!(header(&screen).contains("DISARMED"), "{screen}");
    assert!(header(&screen).contains(" PAPER "), "{screen}");
    assert!(header(&screen).contains("SEMI"), "{screen}");

    // Disarmed, a signal is refused and nothing waits for the operator.
    desk.candle("1000");
    assert_eq!(last_status(&desk), DecisionStatus::Refused);
    assert!(desk.snapshot().approvals.is_empty());

    assert_eq!(desk.press("a"), vec![Command::Arm]);
    assert!(desk.snapshot().armed);
    let screen = desk.screen();
    assert!(
        header(&screen).contains("│ ARMED │") && !header(&screen).contains("DISARMED"),
        "{screen}"
    );

    desk.candle("1000");
    assert_eq!(last_status(&desk), DecisionStatus::Queued);
    assert_eq!(desk.snapshot().approvals.len(), 1);
    let screen = desk.screen();
    // Sized on the expected fill 1000.2 with the stop at 985: 1% of 10 000.
    let approval = row(&screen, "> BTCUSDT LONG 6.578");
    assert!(approval.contains("60s"), "{approval}");
    assert!(
        desk.runner.exchange.working_orders().is_empty(),
        "semi-auto sends nothing before the operator approves"
    );

    let sent = desk.press("y");
    assert!(matches!(&sent[..], [Command::Approve(_)]), "{sent:?}");
    assert!(desk.snapshot().approvals.is_empty());
    assert_eq!(last_status(&desk), DecisionStatus::Sent);
    assert_eq!(desk.runner.exchange.working_orders().len(), 1);
    assert!(
        desk.snapshot().symbols[0].position.is_none(),
        "not filled yet"
    );

    // The next candle opens at 1000: the market entry fills there plus slippage,
    // and the engine protects the position at once.
    desk.candle("1001");
    let pos = desk.snapshot().symbols[0].position.clone().unwrap();
    assert_eq!(pos.position.qty, "6.578".parse().unwrap());
    assert_eq!(pos.position.entry_price, "1000.2".parse().unwrap());
    assert_eq!(pos.stop, "985.2".parse().unwrap());
    assert_eq!(pos.take_profit, "1030.2".parse().unwrap());
    assert!(pos.stop_confirmed && pos.take_profit_confirmed, "{pos:?}");
    let exchange_position = desk.runner.exchange.position(&btc()).unwrap();
    assert_eq!(exchange_position.qty, pos.position.qty);
    assert_eq!(
        desk.runner.exchange.working_orders().len(),
        2,
        "the stop and the take-profit rest on the exchange"
    );
    let screen = desk.screen();
    let position = row(&screen, "BTCUSDT LONG  6.578 @ 1000.2");
    assert!(position.contains("mark 1001"), "{position}");
    let levels = row(&screen, "SL 985.2");
    assert!(
        levels.contains("SL 985.2 ✓") && levels.contains("TP 1030.2 ✓"),
        "{levels}"
    );
    assert!(screen.contains("nothing waiting"), "{screen}");

    // Kill switch: the panel, flatten, and the confirmation.
    assert!(desk.press("KF").is_empty(), "flatten asks first");
    assert_eq!(desk.app.overlay, Overlay::ConfirmFlatten);
    assert!(desk.screen().contains("Flatten and halt?"));
    assert_eq!(desk.press("y"), vec![Command::FlattenAndHalt]);
    assert_eq!(desk.snapshot().trading_state, TradingState::Halted);
    let screen = desk.screen();
    assert!(header(&screen).contains("│ Halted │"), "{screen}");
    assert!(
        kill_switch_state(&screen).starts_with(" Halted "),
        "{screen}"
    );
    // The close is a market order: it waits for the next price, and the stop
    // keeps protecting the position until then.
    assert!(desk.snapshot().symbols[0].position.is_some());
    assert!(
        screen.contains("order BTCUSDT SHORT market 6.578"),
        "{screen}"
    );

    desk.candle("1002");
    assert!(desk.snapshot().symbols[0].position.is_none());
    assert!(desk.runner.exchange.positions().is_empty());
    assert!(
        desk.runner.exchange.working_orders().is_empty(),
        "the stop and take-profit went with the position"
    );
    assert!(desk.snapshot().open_orders.is_empty());
    let trades = desk.runner.engine.trades();
    assert_eq!(trades.len(), 1);
    assert_eq!(trades[0].exit_reason, "flatten");
    let screen = desk.screen();
    assert!(screen.contains("no open position"), "{screen}");
    assert!(header(&screen).contains("│ Halted │"), "{screen}");
    assert!(
        kill_switch_state(&screen).starts_with(" Halted "),
        "{screen}"
    );

    // Halted stays halted: the next signal is refused, nothing is queued.
    desk.candle("1000");
    assert_eq!(last_status(&desk), DecisionStatus::Refused);
    assert!(desk.snapshot().approvals.is_empty());
    assert!(desk.runner.exchange.working_orders().is_empty());
    assert_eq!(desk.snapshot().trading_state, TradingState::Halted);
}

#[test]
fn rejecting_a_proposal_sends_nothing() {
    let mut desk = Desk::open();
    desk.press("a");
    desk.candle("1000");
    assert!(desk.screen().contains("> BTCUSDT LONG 6.578"));

    let sent = desk.press("n");
    assert!(matches!(&sent[..], [Command::Reject(_)]), "{sent:?}");
    assert!(desk.snapshot().approvals.is_empty());
    assert_eq!(last_status(&desk), DecisionStatus::Rejected);
    assert!(desk.runner.exchange.working_orders().is_empty());
    assert!(desk.snapshot().open_orders.is_empty());
    let screen = desk.screen();
    assert!(screen.contains("nothing waiting"), "{screen}");
    assert!(
        row(&screen, "BTCUSDT LONG  ✓ AI off").contains("6.578 rejected"),
        "{screen}"
    );

    // A later candle has nothing to fill.
    desk.candle("1001");
    assert!(desk.snapshot().symbols[0].position.is_none());
    assert!(desk.runner.exchange.positions().is_empty());
    assert!(desk.screen().contains("no open position"));
    // With nothing waiting, y has nothing to approve.
    assert!(desk.press("y").is_empty());
}

#[test]
fn an_unanswered_proposal_expires() {
    let mut desk = Desk::open();
    desk.press("a");
    desk.candle("1000");
    assert!(row(&desk.screen(), "> BTCUSDT LONG 6.578").contains("60s"));

    // The countdown runs on the engine's clock.
    desk.wait(30_000);
    assert_eq!(desk.snapshot().approvals.len(), 1);
    assert!(row(&desk.screen(), "> BTCUSDT LONG 6.578").contains("30s"));
    desk.wait(29_000);
    assert_eq!(desk.snapshot().approvals.len(), 1, "one second left");

    desk.wait(1_000);
    assert!(desk.snapshot().approvals.is_empty());
    assert_eq!(last_status(&desk), DecisionStatus::Expired);
    assert!(
        desk.notices()
            .iter()
            .any(|n| n.contains("approval deadline passed")),
        "{:?}",
        desk.notices()
    );
    let screen = desk.screen();
    assert!(screen.contains("nothing waiting"), "{screen}");
    assert!(
        row(&screen, "BTCUSDT LONG  ✓ AI off").contains("6.578 expired"),
        "{screen}"
    );
    assert!(screen.contains("approval deadline passed"), "{screen}");

    // Too late: y finds nothing, and nothing reaches the exchange.
    assert!(desk.press("y").is_empty());
    desk.candle("1001");
    assert!(desk.runner.exchange.working_orders().is_empty());
    assert!(desk.snapshot().symbols[0].position.is_none());
}

#[test]
fn live_mode_is_not_entered_without_typing_live() {
    let mut desk = Desk::open();
    assert!(desk.press("m").is_empty(), "paper → live asks first");
    let screen = desk.screen();
    assert!(
        screen.contains("Live trading") && screen.contains("Type LIVE"),
        "{screen}"
    );

    assert!(desk.press("LIV").is_empty());
    assert!(desk.screen().contains("> LIV_"));
    assert_eq!(desk.key(KeyCode::Enter), None, "LIV is not LIVE");
    assert_eq!(desk.app.overlay, Overlay::None);
    let screen = desk.screen();
    assert!(!screen.contains("Live trading"), "{screen}");
    assert!(header(&screen).contains(" PAPER "), "{screen}");
    assert!(screen.contains("live mode not confirmed"), "{screen}");
    assert_eq!(desk.snapshot().mode, Mode::Paper);

    // Typed in full, the app asks the engine, and the engine refuses: this
    // run has no live venue (it was not started with --feed binance --live).
    assert!(desk.press("mLIVE").is_empty());
    assert_eq!(desk.key(KeyCode::Enter), Some(Command::SetMode(Mode::Live)));
    assert_eq!(desk.runner.engine.snapshot().mode, Mode::Paper);
    assert_eq!(desk.snapshot().mode, Mode::Paper);
    assert!(
        desk.notices()
            .iter()
            .any(|n| n.starts_with("set mode LIVE") && n.contains("--live")),
        "{:?}",
        desk.notices()
    );
    let screen = desk.screen();
    assert!(header(&screen).contains(" PAPER "), "{screen}");
    assert!(!header(&screen).contains("LIVE"), "{screen}");
    assert!(screen.contains("--feed binance --live"), "{screen}");
}
