//! Logging: everything goes through the `log` facade into tui-logger, which
//! the Log panel shows.

/// Installs the logger; call once before the TUI starts.
pub fn init() -> Result<(), tui_logger::TuiLoggerError> {
    tui_logger::init_logger(log::LevelFilter::Debug)?;
    tui_logger::set_default_level(log::LevelFilter::Info);
    Ok(())
}

/// Headless runs log to stderr, one line per record with the UTC time.
/// `COCKPIT_LOG=debug|info|warn|error` sets the level (default info).
pub fn init_stderr() {
    let level = match std::env::var("COCKPIT_LOG").as_deref() {
        Ok("debug") => log::LevelFilter::Debug,
        Ok("warn") => log::LevelFilter::Warn,
        Ok("error") => log::LevelFilter::Error,
        _ => log::LevelFilter::Info,
    };
    if log::set_logger(&STDERR).is_ok() {
        log::set_max_level(level);
    }
}

struct StderrLogger;

static STDERR: StderrLogger = StderrLogger;

impl log::Log for StderrLogger {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }

    fn log(&self, record: &log::Record) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        eprintln!(
            "{} {:<5} {}: {}",
            crate::domain::time::format_utc(now),
            record.level(),
            record.target(),
            record.args()
        );
    }

    fn flush(&self) {}
}
