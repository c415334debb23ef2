//! Finds the real market data that lives beside the project (`../shared/data`).
//!
//! Tests, benchmarks and training read it through this one helper. A missing
//! folder is an error that says how to fix it: such tests fail, never skip.

use std::path::{Path, PathBuf};

/// Environment variable that overrides where the shared data folder is.
pub const ENV_VAR: &str = "COCKPIT_SHARED_DATA";

/// The shared data folder: `$COCKPIT_SHARED_DATA`, else `../shared/data` next to
/// the project root.
pub fn dir() -> Result<PathBuf, String> {
    let dir = match std::env::var_os(ENV_VAR) {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"),
    };
    if dir.is_dir() {
        Ok(dir)
    } else {
        Err(format!(
            "shared data folder {} not found: check out the shared data beside the project \
             (../shared/data, see its README.md) or set {ENV_VAR} to its path",
            dir.display()
        ))
    }
}

/// A file inside the shared data folder, e.g. `klines/BTCUSDT-1h-umfutures.csv`;
/// the error names the missing file.
pub fn file(relative: &str) -> Result<PathBuf, String> {
    let path = dir()?.join(relative);
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "shared data file {} not found; the shared data folder is incomplete",
            path.display()
        ))
    }
}
