//! View state: which symbol is shown, help open or not, chart zoom and scroll.
//! Changed only by keys and by new snapshots.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::config::Automation;
use crate::domain::Mode;
use crate::engine::{Command, Snapshot};

pub struct App {
    pub snapshot: Arc<Snapshot>,
    /// Index into `snapshot.symbols`.
    pub selected: usize,
    pub show_help: bool,
    /// Candles visible in the chart.
    pub zoom: usize,
    /// Candles scrolled back from the newest; 0 follows the market.
    pub scroll: usize,
    pub quit: bool,
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
            show_help: false,
            zoom: chart_candles.clamp(MIN_ZOOM, MAX_ZOOM),
            scroll: 0,
            quit: false,
            engine_stopped: false,
        }
    }

    /// Handles one key; returns a command for the engine when the key asks for one.
    pub fn on_key(&mut self, key: KeyEvent) -> Option<Command> {
        if key.kind == KeyEventKind::Release {
            return None;
        }
        let n = self.snapshot.symbols.len().max(1);
        match key.code {
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => self.quit = true,
            KeyCode::Char('q') => self.quit = true,
            KeyCode::Char('?') => self.show_help = !self.show_help,
            KeyCode::Esc => self.show_help = false,
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
            KeyCode::Char('+') | KeyCode::Char('=') => {
                self.zoom = (self.zoom * 2 / 3).max(MIN_ZOOM)
            }
            KeyCode::Char('-') => self.zoom = (self.zoom * 3 / 2).min(MAX_ZOOM),
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
            // Live needs the typed confirmation of the cockpit issue; until then
            // `m` moves between the two modes that cannot lose money.
            KeyCode::Char('m') => {
                return Some(Command::SetMode(match self.snapshot.mode {
                    Mode::Shadow => Mode::Paper,
                    _ => Mode::Shadow,
                }));
            }
            KeyCode::Char('y') => {
                return self.oldest_approval().map(Command::Approve);
            }
            KeyCode::Char('n') => {
                return self.oldest_approval().map(Command::Reject);
            }
            _ => {}
        }
        None
    }

    pub fn on_snapshot(&mut self, snapshot: Arc<Snapshot>) {
        self.snapshot = snapshot;
        if self.selected >= self.snapshot.symbols.len() {
            self.selected = 0;
        }
    }

    fn oldest_approval(&self) -> Option<String> {
        self.snapshot.approvals.first().map(|d| d.id.clone())
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

    #[test]
    fn operator_keys_become_engine_commands() {
        let mut app = App::new(Arc::default(), 120);
        assert_eq!(app.on_key(key(KeyCode::Char('a'))), Some(Command::Arm));
        assert_eq!(
            app.on_key(key(KeyCode::Char('m'))),
            Some(Command::SetMode(Mode::Paper))
        );
        assert_eq!(
            app.on_key(key(KeyCode::Char('s'))),
            Some(Command::SetAutomation(Automation::Auto))
        );
        // Nothing queued: y and n have nothing to act on.
        assert_eq!(app.on_key(key(KeyCode::Char('y'))), None);
    }

    #[test]
    fn help_toggles_and_escape_closes_it() {
        let mut app = App::new(Arc::default(), 120);
        app.on_key(key(KeyCode::Char('?')));
        assert!(app.show_help);
        app.on_key(key(KeyCode::Esc));
        assert!(!app.show_help);
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
