//! View state: which symbol is shown, which overlay is open, chart zoom and
//! scroll, the selected approval. Changed only by keys and by new snapshots.
//! Keys that act on trading return a [`Command`] for the engine; destructive
//! ones ask once first.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::config::Automation;
use crate::domain::Mode;
use crate::engine::{Command, Snapshot};

/// What is drawn over the panels and takes the keys.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Overlay {
    #[default]
    None,
    Help,
    /// The kill-switch panel took the keys: p, r, F, R, Esc.
    KillSwitch,
    /// Flatten-and-halt asked, waiting for y/n.
    ConfirmFlatten,
    /// Live mode asked: the operator must type LIVE and Enter.
    ConfirmLive {
        typed: String,
    },
    /// Quit with positions open, waiting for y/n.
    ConfirmQuit,
}

pub struct App {
    pub snapshot: Arc<Snapshot>,
    /// Index into `snapshot.symbols`.
    pub selected: usize,
    pub overlay: Overlay,
    /// Index into `snapshot.approvals`.
    pub selected_approval: usize,
    /// Candles visible in the chart.
    pub zoom: usize,
    /// Candles scrolled back from the newest; 0 follows the market.
    pub scroll: usize,
    pub quit: bool,
    /// The lowest level the Log panel shows; `l` cycles it.
    pub log_level: log::LevelFilter,
    /// Set when the engine stopped publishing: shown, never silently ignored.
    pub engine_stopped: bool,
}

pub const MIN_ZOOM: usize = 10;
pub const MAX_ZOOM: usize = 1000;

impl App {
    pub fn new(snapshot: Arc<Snapshot>, chart_candles: usize) -> App {
        App {
            snapshot,
            selected: 0,
            overlay: Overlay::None,
            selected_approval: 0,
            zoom: chart_candles.clamp(MIN_ZOOM, MAX_ZOOM),
            scroll: 0,
            quit: false,
            log_level: log::LevelFilter::Info,
            engine_stopped: false,
        }
    }

    pub fn show_help(&self) -> bool {
        self.overlay == Overlay::Help
    }

    pub fn on_key(&mut self, key: KeyEvent) -> Option<Command> {
        if key.kind == KeyEventKind::Release {
            return None;
        }
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            self.quit = true;
            return None;
        }
        match std::mem::take(&mut self.overlay) {
            Overlay::None => self.on_main_key(key),
            Overlay::Help => {
                if !matches!(key.code, KeyCode::Esc | KeyCode::Char('?')) {
                    self.overlay = Overlay::Help;
                }
                None
            }
            Overlay::KillSwitch => self.on_kill_switch_key(key),
            Overlay::ConfirmFlatten => match key.code {
                KeyCode::Char('y') => Some(Command::FlattenAndHalt),
                KeyCode::Char('n') | KeyCode::Esc => {
                    self.overlay = Overlay::KillSwitch;
                    None
                }
                _ => {
                    self.overlay = Overlay::ConfirmFlatten;
                    None
                }
            },
            Overlay::ConfirmLive { mut typed } => match key.code {
                KeyCode::Esc => None,
                KeyCode::Enter if typed == "LIVE" => Some(Command::SetMode(Mode::Live)),
                KeyCode::Enter => {
                    log::warn!(target: "tui", "live mode not confirmed: type LIVE exactly");
                    None
                }
                KeyCode::Backspace => {
                    typed.pop();
                    self.overlay = Overlay::ConfirmLive { typed };
                    None
                }
                KeyCode::Char(c) if typed.len() < 8 => {
                    typed.push(c);
                    self.overlay = Overlay::ConfirmLive { typed };
                    None
                }
                _ => {
                    self.overlay = Overlay::ConfirmLive { typed };
                    None
                }
            },
            Overlay::ConfirmQuit => {
                match key.code {
                    KeyCode::Char('y') => self.quit = true,
                    KeyCode::Char('n') | KeyCode::Esc => {}
                    _ => self.overlay = Overlay::ConfirmQuit,
                }
                None
            }
        }
    }

    fn on_main_key(&mut self, key: KeyEvent) -> Option<Command> {
        let n = self.snapshot.symbols.len().max(1);
        match key.code {
            KeyCode::Char('q') => {
                if self.open_positions() > 0 {
                    self.overlay = Overlay::ConfirmQuit;
                } else {
                    self.quit = true;
                }
            }
            KeyCode::Char('?') => self.overlay = Overlay::Help,
            KeyCode::Char('K') => self.overlay = Overlay::KillSwitch,
            KeyCode::Tab => {
                self.selected = (self.selected + 1) % n;
                self.scroll = 0;
            }
            KeyCode::BackTab => {
                self.selected = (self.selected + n - 1) % n;
                self.scroll = 0;
            }
            KeyCode::Left => self.scroll = (self.scroll + self.zoom / 4).min(self.history_len()),
            KeyCode::Right => self.scroll = self.scroll.saturating_sub(self.zoom / 4),
            KeyCode::End => self.scroll = 0,
            KeyCode::Char('l') => {
                use log::LevelFilter::{Debug, Error, Info, Warn};
                self.log_level = match self.log_level {
                    Info => Warn,
                    Warn => Error,
                    Error => Debug,
                    _ => Info,
                }
            }
            KeyCode::Char('+') | KeyCode::Char('=') => {
                self.zoom = (self.zoom * 2 / 3).max(MIN_ZOOM)
            }
            KeyCode::Char('-') => self.zoom = (self.zoom * 3 / 2).min(MAX_ZOOM),
            KeyCode::Up => self.selected_approval = self.selected_approval.saturating_sub(1),
            KeyCode::Down => {
                let last = self.snapshot.approvals.len().saturating_sub(1);
                self.selected_approval = (self.selected_approval + 1).min(last);
            }
            KeyCode::Char('a') => {
                return Some(if self.snapshot.armed {
                    Command::Disarm
                } else {
                    Command::Arm
                });
            }
            KeyCode::Char('s') => {
                return Some(Command::SetAutomation(match self.snapshot.automation {
                    Automation::Auto => Automation::Semi,
                    Automation::Semi => Automation::Auto,
                }));
            }
            KeyCode::Char('m') => match self.snapshot.mode {
                Mode::Shadow => return Some(Command::SetMode(Mode::Paper)),
                Mode::Paper => {
                    self.overlay = Overlay::ConfirmLive {
                        typed: String::new(),
                    }
                }
                Mode::Live => return Some(Command::SetMode(Mode::Shadow)),
            },
            KeyCode::Char('y') => return self.selected_approval_id().map(Command::Approve),
            KeyCode::Char('n') => return self.selected_approval_id().map(Command::Reject),
            _ => {}
        }
        None
    }

    fn on_kill_switch_key(&mut self, key: KeyEvent) -> Option<Command> {
        let command = match key.code {
            KeyCode::Esc | KeyCode::Char('K') => return None,
            KeyCode::Char('p') => Some(Command::PauseEntries),
            KeyCode::Char('r') => Some(Command::ReduceOnly),
            KeyCode::Char('R') => Some(Command::Resume),
            KeyCode::Char('F') => {
                self.overlay = Overlay::ConfirmFlatten;
                return None;
            }
            _ => None,
        };
        // The panel stays open so the operator sees the state change.
        self.overlay = Overlay::KillSwitch;
        command
    }

    pub fn on_snapshot(&mut self, snapshot: Arc<Snapshot>) {
        self.snapshot = snapshot;
        if self.selected >= self.snapshot.symbols.len() {
            self.selected = 0;
        }
        self.selected_approval = self
            .selected_approval
            .min(self.snapshot.approvals.len().saturating_sub(1));
    }

    pub fn open_positions(&self) -> usize {
        self.snapshot
            .symbols
            .iter()
            .filter(|s| s.position.is_some())
            .count()
    }

    fn selected_approval_id(&self) -> Option<String> {
        self.snapshot
            .approvals
            .get(self.selected_approval)
            .map(|d| d.id.clone())
    }

    fn history_len(&self) -> usize {
        self.snapshot
            .symbols
            .get(self.selected)
            .map_or(0, |s| s.history.len().saturating_sub(MIN_ZOOM))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn press(app: &mut App, keys: &str) -> Vec<Command> {
        keys.chars()
            .filter_map(|c| app.on_key(key(KeyCode::Char(c))))
            .collect()
    }

    #[test]
    fn operator_keys_become_engine_commands() {
        let mut app = App::new(Arc::default(), 120);
        assert_eq!(press(&mut app, "a"), vec![Command::Arm]);
        assert_eq!(press(&mut app, "m"), vec![Command::SetMode(Mode::Paper)]);
        assert_eq!(
            press(&mut app, "s"),
            vec![Command::SetAutomation(Automation::Auto)]
        );
        // Nothing queued: y and n have nothing to act on.
        assert!(press(&mut app, "yn").is_empty());
    }

    #[test]
    fn live_needs_live_typed_exactly() {
        let snapshot = Snapshot {
            mode: Mode::Paper,
            ..Snapshot::default()
        };
        let mut app = App::new(Arc::new(snapshot), 120);
        assert!(press(&mut app, "m").is_empty());
        assert!(matches!(app.overlay, Overlay::ConfirmLive { .. }));
        press(&mut app, "LIV");
        assert_eq!(app.on_key(key(KeyCode::Enter)), None, "LIV is not LIVE");
        assert_eq!(app.overlay, Overlay::None);
        press(&mut app, "mLIVX");
        app.on_key(key(KeyCode::Backspace));
        press(&mut app, "E");
        assert_eq!(
            app.on_key(key(KeyCode::Enter)),
            Some(Command::SetMode(Mode::Live))
        );
    }

    #[test]
    fn the_kill_switch_panel_asks_before_flattening() {
        let mut app = App::new(Arc::default(), 120);
        assert!(press(&mut app, "K").is_empty());
        assert_eq!(app.overlay, Overlay::KillSwitch);
        assert_eq!(press(&mut app, "p"), vec![Command::PauseEntries]);
        assert_eq!(press(&mut app, "r"), vec![Command::ReduceOnly]);
        assert!(press(&mut app, "F").is_empty());
        assert_eq!(app.overlay, Overlay::ConfirmFlatten);
        assert!(press(&mut app, "n").is_empty());
        assert_eq!(app.overlay, Overlay::KillSwitch);
        assert!(press(&mut app, "F").is_empty());
        assert_eq!(press(&mut app, "y"), vec![Command::FlattenAndHalt]);
        assert_eq!(press(&mut app, "KR"), vec![Command::Resume]);
        app.on_key(key(KeyCode::Esc));
        assert_eq!(app.overlay, Overlay::None);
    }

    #[test]
    fn help_toggles_and_escape_closes_it() {
        let mut app = App::new(Arc::default(), 120);
        app.on_key(key(KeyCode::Char('?')));
        assert!(app.show_help());
        assert!(press(&mut app, "a").is_empty(), "the help takes the keys");
        app.on_key(key(KeyCode::Esc));
        assert!(!app.show_help());
    }

    #[test]
    fn q_and_ctrl_c_quit() {
        let mut app = App::new(Arc::default(), 120);
        app.on_key(key(KeyCode::Char('q')));
        assert!(app.quit);
        let mut app = App::new(Arc::default(), 120);
        app.on_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
        assert!(app.quit);
    }

    #[test]
    fn l_cycles_the_log_level() {
        let mut app = App::new(Arc::default(), 120);
        let mut seen = vec![app.log_level];
        for _ in 0..4 {
            assert!(press(&mut app, "l").is_empty());
            seen.push(app.log_level);
        }
        use log::LevelFilter::{Debug, Error, Info, Warn};
        assert_eq!(seen, vec![Info, Warn, Error, Debug, Info]);
    }

    #[test]
    fn zoom_stays_within_bounds() {
        let mut app = App::new(Arc::default(), 120);
        for _ in 0..50 {
            app.on_key(key(KeyCode::Char('+')));
        }
        assert_eq!(app.zoom, MIN_ZOOM);
        for _ in 0..50 {
            app.on_key(key(KeyCode::Char('-')));
        }
        assert_eq!(app.zoom, MAX_ZOOM);
    }
}
