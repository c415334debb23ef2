//! The journal's tables and its version check.
//!
//! Every table has the same spine (`seq`, `at_ms`, `symbol`, `data`) so that
//! export and ad-hoc SQL treat them alike; `data` is the record's own struct as
//! JSON, which keeps the schema stable while the record types grow fields.

use std::path::Path;

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use super::store::JournalError;

/// Bumped when a change would make an older cockpit misread the file.
pub(super) const SCHEMA_VERSION: i64 = 1;

const CREATE: &str = "
CREATE TABLE meta (
    key TEXT PRIMARY KEY NOT NULL,
    value NOT NULL
);
CREATE TABLE decisions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    symbol TEXT,
    id TEXT NOT NULL UNIQUE,
    status TEXT,
    data TEXT NOT NULL
);
CREATE TABLE orders (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    symbol TEXT,
    data TEXT NOT NULL
);
CREATE TABLE fills (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    symbol TEXT,
    data TEXT NOT NULL
);
CREATE TABLE funding (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    symbol TEXT,
    data TEXT NOT NULL
);
CREATE TABLE trades (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    symbol TEXT,
    data TEXT NOT NULL
);
CREATE TABLE positions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    symbol TEXT,
    data TEXT NOT NULL
);
CREATE TABLE equity (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    symbol TEXT,
    data TEXT NOT NULL
);
CREATE TABLE commands (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    symbol TEXT,
    data TEXT NOT NULL
);
CREATE TABLE state (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    symbol TEXT,
    key TEXT NOT NULL UNIQUE,
    data TEXT NOT NULL
);
-- at_ms only grows, so these indexes are appended at their right edge: cheap
-- to maintain, and they serve queries over a time range.
CREATE INDEX orders_at_ms ON orders (at_ms);
CREATE INDEX fills_at_ms ON fills (at_ms);
CREATE INDEX funding_at_ms ON funding (at_ms);
CREATE INDEX trades_at_ms ON trades (at_ms);
CREATE INDEX positions_at_ms ON positions (at_ms);
CREATE INDEX equity_at_ms ON equity (at_ms);
CREATE INDEX commands_at_ms ON commands (at_ms);
";

/// Tables added after version 1 was released. Older cockpits ignore a table
/// they do not know, so adding one needs no new version: a journal that
/// lacks it gets it when opened.
const ADDED: &str = "
CREATE TABLE IF NOT EXISTS ai (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    symbol TEXT,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ai_at_ms ON ai (at_ms);
";

/// Creates the tables in a new (empty) database, or checks that an existing
/// one is a journal this build can read.
pub(super) fn prepare(conn: &mut Connection, path: &Path) -> Result<(), JournalError> {
    // The common case (an existing journal) needs no write lock, so an export
    // can open the file while the engine is writing to it.
    if let Some(version) = read_version(conn, path)? {
        check_version(version, path)?;
        return add_missing_tables(conn, path);
    }
    let sql = |e| JournalError::sqlite(path, "creating the journal tables", e);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sql)?;
    // Another process may have created the tables between the read above and
    // taking the write lock.
    match read_version(&tx, path)? {
        Some(version) => check_version(version, path)?,
        None => {
            tx.execute_batch(CREATE).map_err(sql)?;
            tx.execute_batch(ADDED).map_err(sql)?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?1)",
                [SCHEMA_VERSION],
            )
            .map_err(sql)?;
        }
    }
    tx.commit().map_err(sql)
}

fn add_missing_tables(conn: &mut Connection, path: &Path) -> Result<(), JournalError> {
    let sql = |e| JournalError::sqlite(path, "adding the journal's new tables", e);
    let has_ai: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ai')",
            [],
            |row| row.get(0),
        )
        .map_err(sql)?;
    if has_ai {
        return Ok(());
    }
    conn.execute_batch(ADDED).map_err(sql)
}

/// `None` for an empty database; an error for one that holds something else.
fn read_version(conn: &Connection, path: &Path) -> Result<Option<i64>, JournalError> {
    let sql = |e| JournalError::sqlite(path, "reading the journal's schema version", e);
    let has_meta: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta')",
            [],
            |row| row.get(0),
        )
        .map_err(sql)?;
    if !has_meta {
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                [],
                |row| row.get(0),
            )
            .map_err(sql)?;
        if tables > 0 {
            // Adding our tables to someone else's database would hide a wrong path.
            return Err(JournalError::NotAJournal {
                path: path.to_path_buf(),
                reason: format!(
                    "an SQLite database with {tables} other table(s) and no `meta` table"
                ),
            });
        }
        return Ok(None);
    }
    let value: Option<Value> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |row| row.get(0),
        )
        .optional()
        .map_err(sql)?;
    let version = match &value {
        Some(Value::Integer(v)) => Some(*v),
        Some(Value::Text(s)) => s.trim().parse().ok(),
        _ => None,
    };
    match version {
        Some(v) if v >= 1 => Ok(Some(v)),
        _ => Err(JournalError::NotAJournal {
            path: path.to_path_buf(),
            reason: format!("its `meta` table has no valid schema_version (found {value:?})"),
        }),
    }
}

fn check_version(version: i64, path: &Path) -> Result<(), JournalError> {
    if version > SCHEMA_VERSION {
        return Err(JournalError::NewerSchema {
            path: path.to_path_buf(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(())
}
