//! The font the PNG's text is drawn with: a sans-serif font file found on
//! the system at run time (the project ships no font), registered once with
//! plotters as "sans-serif". The SVG names the family and lets the viewer
//! pick the font, so it needs none.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::style::{FontStyle, register_font};

/// The family the charts ask for.
pub const FAMILY: &str = "sans-serif";
/// The Debian package that provides the preferred font.
pub const PACKAGE: &str = "fonts-dejavu-core";

/// Regular and bold files, best first. DejaVu also has ▲ ▼ and →.
const CANDIDATES: [(&str, &str); 4] = [
    ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"),
    ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
    ("FreeSans.ttf", "FreeSansBold.ttf"),
];

/// Font folders are a few levels deep (truetype/dejavu/…); the walk stops there.
const MAX_DEPTH: usize = 4;

/// Where Debian and most Linux systems keep fonts.
pub fn system_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![
        PathBuf::from("/usr/share/fonts"),
        PathBuf::from("/usr/local/share/fonts"),
    ];
    if let Some(data) = std::env::var_os("XDG_DATA_HOME") {
        dirs.push(PathBuf::from(data).join("fonts"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        let home = PathBuf::from(home);
        dirs.push(home.join(".local/share/fonts"));
        dirs.push(home.join(".fonts"));
    }
    dirs
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FontFiles {
    pub regular: PathBuf,
    pub bold: Option<PathBuf>,
}

/// The best candidate under `dirs`, or None.
pub fn find(dirs: &[PathBuf]) -> Option<FontFiles> {
    let mut found: Vec<PathBuf> = Vec::new();
    for dir in dirs {
        walk(dir, MAX_DEPTH, &mut found);
    }
    let named = |name: &str| {
        found
            .iter()
            .find(|p| p.file_name().is_some_and(|f| f == name))
            .cloned()
    };
    CANDIDATES.iter().find_map(|(regular, bold)| {
        named(regular).map(|regular| FontFiles {
            regular,
            bold: named(bold),
        })
    })
}

fn walk(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() && depth > 0 => walk(&path, depth - 1, found),
            Ok(_) if path.extension().is_some_and(|e| e == "ttf") => found.push(path),
            _ => {}
        }
    }
}

/// The message for a system without any of the fonts.
pub fn missing(dirs: &[PathBuf]) -> String {
    let searched: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    format!(
        "no sans-serif font (DejaVu Sans, Liberation Sans, Noto Sans or FreeSans) under {}; \
         install one, e.g. `sudo apt-get install {PACKAGE}`",
        searched.join(", ")
    )
}

/// Registers `files` for the charts, once per process: the first
/// registration stays (plotters keeps fonts for the life of the process).
pub fn register(files: &FontFiles) -> Result<(), String> {
    static REGISTERED: OnceLock<()> = OnceLock::new();
    if REGISTERED.get().is_some() {
        return Ok(());
    }
    let load = |path: &Path, style: FontStyle| -> Result<(), String> {
        let bytes =
            std::fs::read(path).map_err(|e| format!("reading the font {}: {e}", path.display()))?;
        // plotters wants the font for 'static; it is read once per process.
        let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
        register_font(FAMILY, style, bytes).map_err(|_| {
            format!(
                "{} is not a TrueType font; reinstall it or install {PACKAGE}",
                path.display()
            )
        })
    };
    load(&files.regular, FontStyle::Normal)?;
    if let Some(bold) = &files.bold {
        // Without a bold face the title is drawn in the regular one.
        let _ = load(bold, FontStyle::Bold);
    }
    let _ = REGISTERED.set(());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preferred_font_wins_and_its_bold_face_comes_along() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("truetype/dejavu");
        std::fs::create_dir_all(&deep).unwrap();
        let other = dir.path().join("truetype/liberation");
        std::fs::create_dir_all(&other).unwrap();
        for (folder, name) in [
            (&other, "LiberationSans-Regular.ttf"),
            (&deep, "DejaVuSans.ttf"),
            (&deep, "DejaVuSans-Bold.ttf"),
            (&deep, "DejaVuSerif.ttf"),
        ] {
            std::fs::write(folder.join(name), b"").unwrap();
        }
        let found = find(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(found.regular, deep.join("DejaVuSans.ttf"));
        assert_eq!(found.bold, Some(deep.join("DejaVuSans-Bold.ttf")));
    }

    #[test]
    fn no_font_names_the_package_to_install() {
        let dir = tempfile::tempdir().unwrap();
        let dirs = [dir.path().to_path_buf(), PathBuf::from("/nonexistent")];
        assert_eq!(find(&dirs), None);
        let message = missing(&dirs);
        assert!(
            message.contains("apt-get install fonts-dejavu-core"),
            "{message}"
        );
        assert!(message.contains("/nonexistent"), "{message}");
    }
}
