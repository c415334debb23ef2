//! Logging: everything goes through the `log` facade. The cockpit shows the
//! records in the Log panel (tui-logger) and keeps them in a rotating file;
//! headless runs write them to stderr.

mod rotating_file;

use std::path::Path;
use std::sync::{Mutex, PoisonError};
use std::thread::{self, Thread};

use anyhow::Context;
use log::{Level, LevelFilter, Log, Metadata, Record};

use rotating_file::{DEFAULT_KEEP, DEFAULT_MAX_BYTES, RotatingFile};

/// `COCKPIT_LOG=debug|info|warn|error` (default info).
fn level_from_env() -> LevelFilter {
    match std::env::var("COCKPIT_LOG").as_deref() {
        Ok("debug") => LevelFilter::Debug,
        Ok("warn") => LevelFilter::Warn,
        Ok("error") => LevelFilter::Error,
        _ => LevelFilter::Info,
    }
}

/// Installs the cockpit's logger: the Log panel and `<log_dir>/cockpit.log`
/// (5 MiB a file, 5 old files kept); call once before the TUI starts.
///
/// A log directory that cannot be created or a file that cannot be opened
/// does not stop the cockpit: the log file is a record for later, not a
/// safety device, and refusing to start over it would be worse than running
/// without it. The reason is the first warning in the Log panel instead.
pub fn init(log_dir: &Path) -> anyhow::Result<()> {
    let level = level_from_env();
    let opened = RotatingFile::open(log_dir, DEFAULT_MAX_BYTES, DEFAULT_KEEP);
    let first_record = match &opened {
        Ok(file) => Ok(format!("log file: {}", file.path().display())),
        Err(e) => Err(format!("{e}; this session logs to the Log panel only")),
    };
    // tui-logger's own `init_logger` would take the one global logger slot, and
    // its file dump cannot rotate, so its records go in through `Drain` and this
    // thread does the moving into the panel that `init_logger`'s thread does.
    // It sleeps until a record arrives instead of polling every 10 ms.
    let mover = thread::Builder::new()
        .name("log-panel".into())
        .spawn(|| {
            loop {
                thread::park();
                sync_panel();
            }
        })
        .context("starting the log panel's thread")?;
    tui_logger::set_default_level(level);
    let logger = CockpitLogger {
        level,
        file: Mutex::new(opened.ok()),
        mover: mover.thread().clone(),
    };
    log::set_logger(Box::leak(Box::new(logger))).context("installing the logger")?;
    log::set_max_level(level);
    match first_record {
        Ok(message) => log::info!("{message}"),
        Err(message) => log::warn!("{message}"),
    }
    Ok(())
}

/// tui-logger's `move_events` takes the waiting records before it locks the
/// panel's buffer, so a second caller in between finds nothing to move and
/// returns before the first is done: one mover at a time.
static MOVING: Mutex<()> = Mutex::new(());

/// Moves every record logged so far into the Log panel; returns when they
/// are there (tests call this before they read the panel).
pub fn sync_panel() {
    let _one_at_a_time = MOVING.lock().unwrap_or_else(PoisonError::into_inner);
    tui_logger::move_events();
}

struct CockpitLogger {
    level: LevelFilter,
    /// `None` once a write failed: one warning, not one per record.
    file: Mutex<Option<RotatingFile>>,
    mover: Thread,
}

impl CockpitLogger {
    fn to_panel(&self, record: &Record) {
        tui_logger::Drain::new().log(record);
        self.mover.unpark();
    }

    fn to_file(&self, record: &Record) {
        // Formatted before the lock: a Display impl that logs must not find
        // the file locked by its own thread.
        let line = format_line(now_ms(), record);
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(f) = file.as_mut() else { return };
        if let Err(e) = f.write_line(&line) {
            let message = format!(
                "cannot write the log file {}: {e}; the rest of this session logs to the Log panel only",
                f.path().display()
            );
            *file = None;
            drop(file);
            // Not `log::warn!`: that would come back here.
            self.to_panel(
                &Record::builder()
                    .level(Level::Warn)
                    .target(module_path!())
                    .args(format_args!("{message}"))
                    .build(),
            );
        }
    }
}

impl Log for CockpitLogger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= self.level
    }

    fn log(&self, record: &Record) {
        if self.enabled(record.metadata()) {
            self.to_panel(record);
            self.to_file(record);
        }
    }

    fn flush(&self) {}
}

/// `2026-11-21 12:00:00.123 INFO  target: message`, in UTC like the rest of
/// the cockpit, with milliseconds to order the records of one second.
fn format_line(ms: i64, record: &Record) -> String {
    format!(
        "{}.{:03} {:<5} {}: {}\n",
        crate::domain::time::format_utc(ms),
        ms.rem_euclid(1000),
        record.level(),
        record.target(),
        record.args()
    )
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Headless runs log to stderr, one line per record with the UTC time.
/// `COCKPIT_LOG=debug|info|warn|error` sets the level (default info).
pub fn init_stderr() {
    if log::set_logger(&STDERR).is_ok() {
        log::set_max_level(level_from_env());
    }
}

struct StderrLogger;

static STDERR: StderrLogger = StderrLogger;

impl Log for StderrLogger {
    fn enabled(&self, _: &Metadata) -> bool {
        true
    }

    fn log(&self, record: &Record) {
        eprintln!(
            "{} {:<5} {}: {}",
            crate::domain::time::format_utc(now_ms()),
            record.level(),
            record.target(),
            record.args()
        );
    }

    fn flush(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_line_has_the_utc_time_to_the_millisecond() {
        let line = format_line(
            1_795_262_400_123,
            &Record::builder()
                .level(Level::Info)
                .target("engine")
                .args(format_args!("armed"))
                .build(),
        );
        assert_eq!(line, "2026-11-21 12:00:00.123 INFO  engine: armed\n");
    }
}
