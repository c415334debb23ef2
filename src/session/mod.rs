//! Putting a trading session together: the runner with its exchange and
//! journal (restored from the last run), the headless loop, and the status
//! and summary files it writes.

pub mod binance;
mod build;
mod headless;
mod status;
mod summary;

pub use build::{build_runner, mono_clock, open_journal};
pub use headless::{FeedChoice, HeadlessOptions, run_headless};
pub use status::status_json;
pub use summary::{metrics_json, summary_json};

/// Writes through a temporary file and a rename, so a reader never sees half a file.
pub fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_with(path, |w| w.write_all(bytes))
}

/// As [`write_atomic`], with the content written by `write` through a
/// buffer: a large JSON never has to sit in memory whole.
pub fn write_atomic_with(
    path: &std::path::Path,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    let mut out = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
    write(&mut out)?;
    out.into_inner().map_err(|e| e.into_error())?;
    std::fs::rename(&tmp, path)
}
