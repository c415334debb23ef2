//! TODO(helper): the SQLite store.
use std::io::Write;
use std::path::Path;

use super::Record;

pub const TABLES: [&str; 9] = [
    "decisions",
    "orders",
    "fills",
    "funding",
    "trades",
    "positions",
    "equity",
    "commands",
    "state",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Jsonl,
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("journal {path}: {message}")]
    Sqlite { path: String, message: String },
}

pub struct Journal {
    _private: (),
}

impl Journal {
    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        let _ = path;
        todo!()
    }
    pub fn append(&mut self, records: &[Record]) -> Result<(), JournalError> {
        let _ = records;
        todo!()
    }
    /// The latest state blob stored under `key` ("engine", "paper").
    pub fn state(&self, key: &str) -> Result<Option<String>, JournalError> {
        let _ = key;
        todo!()
    }
    pub fn export(
        &self,
        table: &str,
        format: ExportFormat,
        out: &mut dyn Write,
    ) -> Result<usize, JournalError> {
        let _ = (table, format, out);
        todo!()
    }
}
