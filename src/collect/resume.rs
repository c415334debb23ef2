//! What an existing output file already holds, so that a download continues
//! after its last row. The whole file is checked (header, columns, numbers,
//! increasing times) and any problem is an error naming the line: a file the
//! collector did not write, or one damaged, is never appended to, truncated
//! or overwritten.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use thiserror::Error;

use super::csv_out::CsvFormat;

#[derive(Debug, Error)]
pub enum ResumeError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path}:{line}: {problem}; the file was left as it is: fix or remove that line, or choose another --out"
    )]
    Malformed {
        path: PathBuf,
        line: usize,
        problem: String,
    },
}

/// What the file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Existing {
    /// No file: it is created with its header.
    Absent,
    /// A file of zero bytes: the header is written into it.
    Empty,
    /// A header and no rows.
    HeaderOnly {
        ends_with_newline: bool,
    },
    Rows(RowsSummary),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowsSummary {
    pub rows: usize,
    pub first_ms: i64,
    pub last_ms: i64,
    /// Line number of the last row.
    pub last_line: usize,
    /// The smallest step between consecutive rows (None with one row).
    pub min_step_ms: Option<i64>,
    /// False when the last row has no newline after it.
    pub ends_with_newline: bool,
}

/// Reads `path` if it exists and checks every line against `format`.
pub fn scan(path: &Path, format: CsvFormat) -> Result<Existing, ResumeError> {
    let io = |source| ResumeError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Existing::Absent),
        Err(e) => return Err(io(e)),
    };
    if file.metadata().map_err(io)?.is_dir() {
        return Err(io(std::io::Error::other("it is a directory")));
    }
    let mut reader = BufReader::new(file);
    let mut header_seen = false;
    let mut summary: Option<RowsSummary> = None;
    let mut line_no = 0;
    let mut ends_with_newline = true;
    let mut empty = true;
    loop {
        // Bytes, then UTF-8: a binary file is a malformed line, not an I/O error.
        let mut bytes = Vec::new();
        let n = reader.read_until(b'\n', &mut bytes).map_err(io)?;
        if n == 0 {
            break;
        }
        empty = false;
        line_no += 1;
        ends_with_newline = bytes.ends_with(b"\n");
        let malformed = |problem: String| ResumeError::Malformed {
            path: path.to_path_buf(),
            line: line_no,
            problem,
        };
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| malformed("not text".into()))?
            .trim();
        if text.is_empty() {
            continue;
        }
        if !header_seen {
            if text != format.header {
                return Err(malformed(format!(
                    "the header is `{}`, not `{}`",
                    excerpt(text),
                    format.header
                )));
            }
            header_seen = true;
            continue;
        }
        let time = parse_row(text, format).map_err(|p| {
            if ends_with_newline {
                malformed(p)
            } else {
                malformed(format!(
                    "{p} (the last line is cut short: an interrupted write?)"
                ))
            }
        })?;
        summary = Some(match summary {
            None => RowsSummary {
                rows: 1,
                first_ms: time,
                last_ms: time,
                last_line: line_no,
                min_step_ms: None,
                ends_with_newline,
            },
            Some(s) => {
                if time <= s.last_ms {
                    return Err(malformed(format!(
                        "time {time} is not after the previous row's {}",
                        s.last_ms
                    )));
                }
                let step = time - s.last_ms;
                RowsSummary {
                    rows: s.rows + 1,
                    last_ms: time,
                    last_line: line_no,
                    min_step_ms: Some(s.min_step_ms.map_or(step, |m| m.min(step))),
                    ends_with_newline,
                    ..s
                }
            }
        });
    }
    if let Some(s) = &mut summary {
        // Blank lines after the last row end in newlines of their own.
        s.ends_with_newline = s.ends_with_newline || line_no > s.last_line;
    }
    Ok(match (empty, header_seen, summary) {
        (true, _, _) => Existing::Empty,
        (false, _, Some(s)) => Existing::Rows(s),
        (false, true, None) => Existing::HeaderOnly { ends_with_newline },
        (false, false, None) => Existing::Empty,
    })
}

/// The row's time, after checking every field.
fn parse_row(text: &str, format: CsvFormat) -> Result<i64, String> {
    let fields: Vec<&str> = text.split(',').map(str::trim).collect();
    if fields.len() != format.columns {
        return Err(format!(
            "{} fields, expected {} (`{}`)",
            fields.len(),
            format.columns,
            format.header
        ));
    }
    let time: i64 = fields[0]
        .parse()
        .map_err(|_| format!("time `{}` is not a whole number of ms", excerpt(fields[0])))?;
    let names: Vec<&str> = format.header.split(',').collect();
    for (field, name) in fields.iter().zip(&names).skip(1) {
        Decimal::from_str_exact(field)
            .or_else(|_| Decimal::from_scientific(field))
            .map_err(|_| format!("{name} `{}` is not a number", excerpt(field)))?;
    }
    Ok(time)
}

fn excerpt(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::super::csv_out::{CANDLES, FUNDING};
    use super::*;

    fn scan_text(text: &str) -> Result<Existing, ResumeError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        std::fs::write(&path, text).unwrap();
        scan(&path, CANDLES)
    }

    fn rows(existing: Existing) -> RowsSummary {
        match existing {
            Existing::Rows(s) => s,
            other => panic!("{other:?}"),
        }
    }

    const HEADER: &str = "open_time_ms,open,high,low,close,volume\n";

    #[test]
    fn a_missing_file_is_absent_and_an_empty_one_empty() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            scan(&dir.path().join("none.csv"), CANDLES).unwrap(),
            Existing::Absent
        );
        assert_eq!(scan_text("").unwrap(), Existing::Empty);
        assert_eq!(scan_text("\n\n").unwrap(), Existing::Empty);
        assert_eq!(
            scan_text(HEADER).unwrap(),
            Existing::HeaderOnly {
                ends_with_newline: true
            }
        );
        assert_eq!(
            scan_text(HEADER.trim_end()).unwrap(),
            Existing::HeaderOnly {
                ends_with_newline: false
            }
        );
    }

    #[test]
    fn the_last_row_and_the_step_are_found() {
        let s = rows(
            scan_text(&format!(
                "{HEADER}0,1,1,1,1,1\n60000,1,1,1,1,1\n\n240000,1.5,2,1,1.5,0.001\n"
            ))
            .unwrap(),
        );
        assert_eq!(
            s,
            RowsSummary {
                rows: 3,
                first_ms: 0,
                last_ms: 240_000,
                last_line: 5,
                min_step_ms: Some(60_000),
                ends_with_newline: true,
            }
        );
    }

    #[test]
    fn the_shared_data_file_resumes_after_its_last_row() {
        let path = crate::shared_data::file("klines/BTCUSDT-1m-umfutures.csv").unwrap();
        let s = rows(scan(&path, CANDLES).unwrap());
        assert_eq!(s.rows, 43_199);
        assert_eq!(s.last_ms, 1_748_964_660_000);
        assert_eq!(s.min_step_ms, Some(60_000));
        let funding = crate::shared_data::file("klines/BTCUSDT-fundingrate.csv").unwrap();
        let f = rows(scan(&funding, FUNDING).unwrap());
        assert_eq!(f.first_ms, 1_568_102_400_000);
    }

    #[test]
    fn a_last_row_without_newline_is_noticed() {
        let s = rows(scan_text(&format!("{HEADER}0,1,1,1,1,1")).unwrap());
        assert!(!s.ends_with_newline);
        let s = rows(scan_text(&format!("{HEADER}0,1,1,1,1,1\n")).unwrap());
        assert!(s.ends_with_newline);
    }

    #[test]
    fn malformed_files_are_errors_naming_the_line() {
        for (text, line, words) in [
            ("open,high\n0,1,1,1,1,1\n", 1, "the header is `open,high`"),
            (
                "0,1,1,1,1,1\n",
                1,
                "not `open_time_ms,open,high,low,close,volume`",
            ),
            (&format!("{HEADER}0,1,1,1,1\n") as &str, 2, "5 fields"),
            (
                &format!("{HEADER}0,1,1,1,1,1\nx,1,1,1,1,1\n"),
                3,
                "time `x`",
            ),
            (
                &format!("{HEADER}0,1,1,1,1,1\n60000,1,1,abc,1,1\n"),
                3,
                "low `abc`",
            ),
            (
                &format!("{HEADER}60000,1,1,1,1,1\n60000,1,1,1,1,1\n"),
                3,
                "not after the previous row's 60000",
            ),
            (
                &format!("{HEADER}0,1,1,1,1,1\n60000,1,1,1,"),
                3,
                "interrupted write",
            ),
        ] {
            let err = scan_text(text).unwrap_err();
            let message = err.to_string();
            assert!(
                matches!(&err, ResumeError::Malformed { line: l, .. } if *l == line),
                "{text:?}: {message}"
            );
            assert!(message.contains(words), "{text:?}: {message}");
            assert!(message.contains("left as it is"), "{message}");
        }
    }

    #[test]
    fn a_binary_file_is_malformed_not_an_io_error() {
        let err = scan_text("\u{0}\u{1}\n").unwrap_err();
        assert!(err.to_string().contains(":1:"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.csv");
        std::fs::write(&path, [0xff_u8, 0xfe, b'\n']).unwrap();
        let err = scan(&path, CANDLES).unwrap_err();
        assert!(err.to_string().contains("not text"), "{err}");
    }

    #[test]
    fn a_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = scan(dir.path(), CANDLES).unwrap_err();
        assert!(err.to_string().contains("directory"), "{err}");
    }
}
