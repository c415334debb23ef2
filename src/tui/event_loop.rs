//! The TUI loop: drain all queued input, take the newest snapshot, draw at most
//! `max_fps` times a second and only when something changed.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossterm::event::{self, Event};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::{mpsc, watch};

use super::{App, draw};
use crate::config::UiConfig;
use crate::engine::{Command, Snapshot};

/// Set from a signal handler (SIGTERM, SIGHUP) to make the TUI leave cleanly.
#[derive(Debug, Clone, Default)]
pub struct Shutdown(Arc<AtomicBool>);

impl Shutdown {
    pub fn request(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn requested(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Takes over the terminal, runs until the operator quits or `shutdown` is
/// requested, and restores the terminal on every way out (panics included:
/// `ratatui::init` installs a hook that restores before the panic message).
pub fn run(
    snapshots: watch::Receiver<Arc<Snapshot>>,
    commands: mpsc::Sender<Command>,
    ui: &UiConfig,
    shutdown: Shutdown,
) -> io::Result<()> {
    let mut terminal = ratatui::init();
    // Test hook: proves that a panic restores the terminal (tests/tui_tmux.rs).
    if std::env::var_os("COCKPIT_TEST_PANIC").is_some() {
        terminal.draw(|f| draw(f, &App::new(snapshots.borrow().clone(), ui.chart_candles)))?;
        panic!("COCKPIT_TEST_PANIC is set: panicking on purpose");
    }
    let result = event_loop(&mut terminal, snapshots, &commands, ui, &shutdown);
    ratatui::restore();
    // Whatever ended the loop, the engine is told to stop.
    let _ = commands.try_send(Command::Shutdown);
    result
}

fn event_loop<B: Backend>(
    terminal: &mut Terminal<B>,
    mut snapshots: watch::Receiver<Arc<Snapshot>>,
    commands: &mpsc::Sender<Command>,
    ui: &UiConfig,
    shutdown: &Shutdown,
) -> io::Result<()>
where
    io::Error: From<B::Error>,
{
    let frame_time = Duration::from_secs(1) / ui.max_fps.max(1);
    let mut app = App::new(snapshots.borrow_and_update().clone(), ui.chart_candles);
    let mut dirty = true;
    let mut last_draw: Option<Instant> = None;
    loop {
        let due = last_draw.is_none_or(|t| t.elapsed() >= frame_time);
        if dirty && due {
            terminal.draw(|f| draw(f, &app))?;
            last_draw = Some(Instant::now());
            dirty = false;
        }
        if event::poll(frame_time)? {
            // Coalesce: handle everything queued, then draw once.
            loop {
                match event::read()? {
                    Event::Key(key) => {
                        if let Some(command) = app.on_key(key) {
                            // A full queue means the engine is far behind; the
                            // operator sees the key had no effect and can repeat it.
                            let _ = commands.try_send(command);
                        }
                        dirty = true;
                    }
                    Event::Resize(..) => dirty = true,
                    _ => {}
                }
                if !event::poll(Duration::ZERO)? {
                    break;
                }
            }
        }
        if app.quit || shutdown.requested() {
            return Ok(());
        }
        match snapshots.has_changed() {
            Ok(true) => {
                app.on_snapshot(snapshots.borrow_and_update().clone());
                dirty = true;
            }
            Ok(false) => {}
            Err(_) if !app.engine_stopped => {
                log::error!(target: "tui", "the engine stopped; quit with q and see the log");
                app.engine_stopped = true;
                dirty = true;
            }
            Err(_) => {}
        }
    }
}
