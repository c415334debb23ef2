//! A journal table as JSON lines or CSV, for spreadsheets and scripts.
//!
//! Both formats flatten a row to its `data` object with `seq` and `at_ms` in
//! front. serde_json keeps object keys sorted (no `preserve_order`), so the
//! column order is stable from row to row and from run to run.

use std::borrow::Cow;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use rusqlite::Connection;
use serde_json::{Map, Value};

use super::store::{ExportFormat, JournalError};

enum Failure {
    Sql(rusqlite::Error),
    Io(io::Error),
    Corrupt { seq: i64, reason: String },
}

impl From<rusqlite::Error> for Failure {
    fn from(e: rusqlite::Error) -> Self {
        Failure::Sql(e)
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Io(e)
    }
}

impl From<serde_json::Error> for Failure {
    fn from(e: serde_json::Error) -> Self {
        Failure::Io(e.into())
    }
}

/// `table` must be one of [`super::TABLES`]: it goes into the SQL text.
pub(super) fn export(
    conn: &Connection,
    path: &Path,
    table: &'static str,
    format: ExportFormat,
    out: &mut dyn Write,
) -> Result<usize, JournalError> {
    // The caller may hand over an unbuffered stdout: one write per field would
    // be a system call each.
    let mut out = BufWriter::new(out);
    let result = write_rows(conn, table, format, &mut out).and_then(|n| {
        out.flush()?;
        Ok(n)
    });
    result.map_err(|failure| match failure {
        Failure::Sql(e) => JournalError::sqlite(path, "reading rows for export", e),
        Failure::Io(e) => JournalError::Write {
            path: path.to_path_buf(),
            table,
            reason: e.to_string(),
        },
        Failure::Corrupt { seq, reason } => JournalError::Corrupt {
            path: path.to_path_buf(),
            table,
            seq,
            reason,
        },
    })
}

fn write_rows(
    conn: &Connection,
    table: &'static str,
    format: ExportFormat,
    out: &mut dyn Write,
) -> Result<usize, Failure> {
    // One statement is one read transaction: a consistent snapshot even while
    // the engine keeps appending.
    let mut stmt = conn.prepare(&format!(
        "SELECT seq, at_ms, data FROM {table} ORDER BY seq"
    ))?;
    let mut rows = stmt.query([])?;
    let mut columns: Option<Vec<String>> = None;
    let mut written = 0;
    while let Some(row) = rows.next()? {
        let seq: i64 = row.get(0)?;
        let at_ms: i64 = row.get(1)?;
        let data = row.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?;
        let object = match serde_json::from_str::<Value>(data) {
            Ok(Value::Object(object)) => object,
            Ok(other) => {
                return Err(Failure::Corrupt {
                    seq,
                    reason: format!("data is not a JSON object but {other}"),
                });
            }
            Err(e) => {
                return Err(Failure::Corrupt {
                    seq,
                    reason: format!("data is not JSON: {e}"),
                });
            }
        };
        let seq = leading(&object, "seq", seq);
        let at_ms = leading(&object, "at_ms", at_ms);
        match format {
            ExportFormat::Jsonl => write_jsonl(out, &seq, &at_ms, &object)?,
            ExportFormat::Csv => {
                let columns = match &columns {
                    Some(columns) => columns,
                    None => columns.insert(csv_header(out, &object)?),
                };
                write_csv_row(out, &seq, &at_ms, columns, &object)?;
            }
        }
        written += 1;
    }
    Ok(written)
}

/// The data's own `key` when it has one (a flat merge never overwrites
/// data), the row's column otherwise.
fn leading(object: &Map<String, Value>, key: &str, column: i64) -> Value {
    object.get(key).cloned().unwrap_or(Value::from(column))
}

fn is_leading(key: &str) -> bool {
    key == "seq" || key == "at_ms"
}

fn write_jsonl(
    out: &mut dyn Write,
    seq: &Value,
    at_ms: &Value,
    object: &Map<String, Value>,
) -> Result<(), Failure> {
    out.write_all(b"{\"seq\":")?;
    serde_json::to_writer(&mut *out, seq)?;
    out.write_all(b",\"at_ms\":")?;
    serde_json::to_writer(&mut *out, at_ms)?;
    for (key, value) in object.iter().filter(|(k, _)| !is_leading(k)) {
        out.write_all(b",")?;
        serde_json::to_writer(&mut *out, key)?;
        out.write_all(b":")?;
        serde_json::to_writer(&mut *out, value)?;
    }
    out.write_all(b"}\n")?;
    Ok(())
}

/// Writes the header and returns the data columns, from the first row: every
/// row of a table is the same struct, so the first one speaks for all.
fn csv_header(out: &mut dyn Write, object: &Map<String, Value>) -> io::Result<Vec<String>> {
    let columns: Vec<String> = object.keys().filter(|k| !is_leading(k)).cloned().collect();
    out.write_all(b"seq,at_ms")?;
    for column in &columns {
        out.write_all(b",")?;
        write_csv_field(out, column)?;
    }
    out.write_all(b"\n")?;
    Ok(columns)
}

fn write_csv_row(
    out: &mut dyn Write,
    seq: &Value,
    at_ms: &Value,
    columns: &[String],
    object: &Map<String, Value>,
) -> io::Result<()> {
    write_csv_field(out, &csv_cell(seq))?;
    out.write_all(b",")?;
    write_csv_field(out, &csv_cell(at_ms))?;
    for column in columns {
        out.write_all(b",")?;
        let cell = object.get(column).map(csv_cell).unwrap_or_default();
        write_csv_field(out, &cell)?;
    }
    out.write_all(b"\n")
}

/// Strings as they are, null as nothing, anything nested as compact JSON.
pub(super) fn csv_cell(value: &Value) -> Cow<'_, str> {
    match value {
        Value::Null => Cow::Borrowed(""),
        Value::String(s) => Cow::Borrowed(s),
        other => Cow::Owned(other.to_string()),
    }
}

/// RFC 4180: a field with a comma, quote or line break is quoted, and its
/// quotes doubled.
pub(super) fn write_csv_field(out: &mut dyn Write, field: &str) -> io::Result<()> {
    if field.contains([',', '"', '\r', '\n']) {
        out.write_all(b"\"")?;
        out.write_all(field.replace('"', "\"\"").as_bytes())?;
        out.write_all(b"\"")
    } else {
        out.write_all(field.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(s: &str) -> String {
        let mut out = Vec::new();
        write_csv_field(&mut out, s).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csv_fields_with_comma_quote_or_line_break_are_quoted_and_quotes_doubled() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field("cr\r"), "\"cr\r\"");
        assert_eq!(field(""), "");
    }

    #[test]
    fn csv_cells_keep_strings_blank_nulls_and_compact_nested_json() {
        let value: Value =
            serde_json::from_str(r#"{"s":"61000.5","n":null,"b":true,"x":3,"o":{"a":[1, 2]}}"#)
                .unwrap();
        assert_eq!(csv_cell(&value["s"]), "61000.5");
        assert_eq!(csv_cell(&value["n"]), "");
        assert_eq!(csv_cell(&value["b"]), "true");
        assert_eq!(csv_cell(&value["x"]), "3");
        assert_eq!(csv_cell(&value["o"]), r#"{"a":[1,2]}"#);
    }
}
