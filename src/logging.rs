//! Logging: everything goes through the `log` facade into tui-logger, which
//! the Log panel shows.

/// Installs the logger; call once before the TUI starts.
pub fn init() -> Result<(), tui_logger::TuiLoggerError> {
    tui_logger::init_logger(log::LevelFilter::Debug)?;
    tui_logger::set_default_level(log::LevelFilter::Info);
    Ok(())
}
