//! ONNX Runtime, loaded at run time through `ort::init_from`, so that a
//! missing or wrong library is a message ("AI unavailable: …") and the
//! cockpit carries on algo-only, never a link error or a panic.
//!
//! Where it is looked for, first given wins: `--onnxruntime PATH`, the
//! config, `ORT_DYLIB_PATH`, then the project's own `.onnxruntime/` (where
//! `scripts/fetch-onnxruntime.sh` puts it) and the executable's folder. A
//! path that was given and cannot be loaded is reported, never silently
//! replaced by another.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ort::environment::Environment;

/// The ONNX Runtime release the `ort` binding is built for.
pub const ORT_VERSION: &str = "1.31.1";
/// Its file name on Linux.
pub const LIBRARY_FILE: &str = "libonnxruntime.so.1.31.1";
/// What to do when it is missing.
pub const FETCH_HINT: &str =
    "run scripts/fetch-onnxruntime.sh, or pass --onnxruntime PATH to libonnxruntime.so.1.31.1";

/// Who named the library file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Flag,
    Config,
    EnvVar,
    /// Found by the cockpit in its own places.
    Project,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Origin::Flag => "--onnxruntime",
            Origin::Config => "the config's ai.onnxruntime",
            Origin::EnvVar => "ORT_DYLIB_PATH",
            Origin::Project => "the project's .onnxruntime/",
        })
    }
}

/// The library file to load and who named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub path: PathBuf,
    pub origin: Origin,
}

/// Picks the library file: the first of `flag`, `config`, `env_var` that is
/// given, else the first of the project's places that exists.
pub fn locate(
    flag: Option<&Path>,
    config: Option<&Path>,
    env_var: Option<&Path>,
) -> Result<Located, String> {
    let given = [
        (flag, Origin::Flag),
        (config, Origin::Config),
        (env_var, Origin::EnvVar),
    ];
    if let Some((Some(path), origin)) = given
        .into_iter()
        .find(|(p, _)| p.is_some_and(|p| !p.as_os_str().is_empty()))
    {
        return Ok(Located {
            path: path.to_path_buf(),
            origin,
        });
    }
    let places = project_places();
    places
        .iter()
        .find(|p| p.is_file())
        .map(|p| Located {
            path: p.clone(),
            origin: Origin::Project,
        })
        .ok_or_else(|| {
            let looked: Vec<String> = places.iter().map(|p| p.display().to_string()).collect();
            format!(
                "AI unavailable: ONNX Runtime {ORT_VERSION} not found (looked in {}); {FETCH_HINT}",
                looked.join(", ")
            )
        })
}

/// The project's checkout (where `cargo run` builds from), then beside the
/// executable (an installed copy).
fn project_places() -> Vec<PathBuf> {
    let mut places = vec![
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(".onnxruntime")
            .join(LIBRARY_FILE),
    ];
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        places.push(dir.join(LIBRARY_FILE));
    }
    places
}

/// The process's one ONNX Runtime environment, once a load has worked.
/// ort allows one per process and keeps the first library it loaded.
static LOADED: Mutex<Option<(PathBuf, Environment)>> = Mutex::new(None);

/// Loads the library (once per process) and returns the environment that
/// sessions are built in. After a success, a later call with another path
/// gets the library already loaded: ort cannot swap it.
pub fn load(located: &Located) -> Result<Environment, String> {
    let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, env)) = loaded.as_ref() {
        return Ok(env.clone());
    }
    let fail = |e: &dyn std::fmt::Display| {
        format!(
            "AI unavailable: cannot load ONNX Runtime from {} (given by {}): {e}; {FETCH_HINT}",
            located.path.display(),
            located.origin
        )
    };
    if !located.path.is_file() {
        return Err(fail(&"no such file"));
    }
    // The loader's own error stays a String: turned into an ort::Error it
    // would make ort load a default library, and panic when there is none.
    let builder = ort::init_from(&located.path).map_err(|e| fail(&e))?;
    let env = builder
        .with_name("cockpit")
        .with_telemetry(false)
        .build()
        .map_err(|e| fail(&e))?;
    *loaded = Some((located.path.clone(), env.clone()));
    Ok(env)
}

/// The library loaded so far, if any (for the header and `--version`-like output).
pub fn loaded_path() -> Option<PathBuf> {
    LOADED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .map(|(p, _)| p.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_path_given_wins_and_an_empty_one_counts_as_not_given() {
        let (a, b, c) = (Path::new("/a.so"), Path::new("/b.so"), Path::new("/c.so"));
        assert_eq!(
            locate(Some(a), Some(b), Some(c)).unwrap().origin,
            Origin::Flag
        );
        assert_eq!(
            locate(None, Some(b), Some(c)).unwrap().origin,
            Origin::Config
        );
        let l = locate(None, Some(Path::new("")), Some(c)).unwrap();
        assert_eq!((l.path.as_path(), l.origin), (c, Origin::EnvVar));
    }
}
