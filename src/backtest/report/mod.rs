//! `cockpit backtest … --report DIR`: a folder that tells the run at a
//! glance (`equity.png`, `equity.svg`), in figures (`metrics.md`), trade by
//! trade (`trades.csv`), and whole (`result.json`, the `--json` output, which
//! `cockpit report DIR` reopens).

pub mod axis;
pub mod chart;
mod csv;
pub mod fonts;
mod markdown;
mod marker;
mod saved;
mod svg;

use std::path::{Path, PathBuf};

use plotters::prelude::{BitMapBackend, IntoDrawingArea, SVGBackend};

pub use saved::{RESULT_FILE, SavedResult, load};

use super::BacktestResult;

pub const PNG_FILE: &str = "equity.png";
pub const SVG_FILE: &str = "equity.svg";
pub const MARKDOWN_FILE: &str = "metrics.md";
pub const CSV_FILE: &str = "trades.csv";

/// Every file of a report, in the order `write` writes them.
pub const FILES: [&str; 5] = [RESULT_FILE, CSV_FILE, MARKDOWN_FILE, SVG_FILE, PNG_FILE];

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{} not found: write a report with `cockpit backtest --data FILE.csv --report DIR`",
        path.display()
    )]
    Missing { path: PathBuf },
    #[error(
        "{} is not a backtest result ({reason}); write one with `cockpit backtest … --report DIR`",
        path.display()
    )]
    Malformed { path: PathBuf, reason: String },
    #[error("{}: drawing the chart: {reason}", path.display())]
    Chart { path: PathBuf, reason: String },
    /// Only the PNG needs a font; everything else is written without one.
    #[error("{} is not written: {reason}; the other report files are", path.display())]
    Png { path: PathBuf, reason: String },
}

/// Writes the report into `dir` (created if missing), with the system's font.
pub fn write(dir: &Path, result: &BacktestResult) -> Result<(), ReportError> {
    write_with_fonts(dir, result, &fonts::system_dirs())
}

/// `write`, looking for the PNG's font under `font_dirs` only. Without a
/// font every other file is still written, then the PNG's error returned.
pub fn write_with_fonts(
    dir: &Path,
    result: &BacktestResult,
    font_dirs: &[PathBuf],
) -> Result<(), ReportError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let save = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        crate::session::write_atomic(&path, bytes)
            .map_err(|source| ReportError::Io { path, source })
    };
    let json = serde_json::to_vec(result).map_err(|e| ReportError::Io {
        path: dir.join(RESULT_FILE),
        source: e.into(),
    })?;
    save(RESULT_FILE, &json)?;
    let saved = SavedResult::of(result);
    save(CSV_FILE, csv::render(&saved.trades).as_bytes())?;
    save(MARKDOWN_FILE, markdown::render(&saved).as_bytes())?;

    // Registered first, the font also measures the SVG's labels.
    let font = match fonts::find(font_dirs) {
        Some(files) => fonts::register(&files),
        None => Err(fonts::missing(font_dirs)),
    };
    save(
        SVG_FILE,
        render_svg(&saved, &dir.join(SVG_FILE))?.as_bytes(),
    )?;
    let png_path = dir.join(PNG_FILE);
    if let Err(reason) = font {
        return Err(ReportError::Png {
            path: png_path,
            reason,
        });
    }
    save(PNG_FILE, &render_png(&saved, &png_path)?)
}

fn render_svg(saved: &SavedResult, path: &Path) -> Result<String, ReportError> {
    let mut out = String::new();
    {
        let root = svg::Svg(SVGBackend::with_string(&mut out, chart::SIZE)).into_drawing_area();
        chart::draw(&root, saved).map_err(|reason| ReportError::Chart {
            path: path.to_path_buf(),
            reason,
        })?;
    }
    Ok(out)
}

fn render_png(saved: &SavedResult, path: &Path) -> Result<Vec<u8>, ReportError> {
    let (w, h) = chart::SIZE;
    let chart_error = |reason: String| ReportError::Chart {
        path: path.to_path_buf(),
        reason,
    };
    let mut rgb = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, chart::SIZE).into_drawing_area();
        chart::draw(&root, saved).map_err(chart_error)?;
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::High);
    encoder
        .write_header()
        .and_then(|mut writer| {
            writer.write_image_data(&rgb)?;
            writer.finish()
        })
        .map_err(|e| chart_error(format!("encoding: {e}")))?;
    Ok(out)
}
