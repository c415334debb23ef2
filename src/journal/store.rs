//! The SQLite file behind [`Journal`]: one table per record kind, one
//! transaction per [`Journal::append`].

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, params};
use serde::Serialize;

use super::{Record, export, schema};

pub const TABLES: [&str; 10] = [
    "decisions",
    "orders",
    "fills",
    "funding",
    "trades",
    "positions",
    "equity",
    "commands",
    "ai",
    "state",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Jsonl,
}

/// Each message says what failed, on which file, and what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error(
        "cannot create the journal directory {}: {reason}; check the path and its permissions, or set `journal` in config.toml to another file",
        .dir.display()
    )]
    CreateDir { dir: PathBuf, reason: String },
    #[error("no journal at {}; it is created by `cockpit run`", .path.display())]
    Missing { path: PathBuf },
    #[error(
        "{} is not a cockpit journal ({reason}); move it aside or set `journal` in config.toml to another file",
        .path.display()
    )]
    NotAJournal { path: PathBuf, reason: String },
    #[error(
        "journal {} has schema version {found}, but this cockpit reads up to version {supported}; upgrade cockpit or use another journal file",
        .path.display()
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error(
        "journal {}: unknown table `{table}`; valid tables: {}",
        .path.display(),
        TABLES.join(", ")
    )]
    UnknownTable { path: PathBuf, table: String },
    #[error("journal {}: {action} failed: {reason}; {hint}", .path.display())]
    Sqlite {
        path: PathBuf,
        action: &'static str,
        reason: String,
        hint: &'static str,
    },
    #[error(
        "journal {}: cannot encode a {table} record as JSON: {reason}; this is a bug in cockpit, please report it",
        .path.display()
    )]
    Encode {
        path: PathBuf,
        table: &'static str,
        reason: String,
    },
    #[error(
        "journal {}: row seq {seq} of {table} is damaged ({reason}); delete that row with the sqlite3 tool or export another table",
        .path.display()
    )]
    Corrupt {
        path: PathBuf,
        table: &'static str,
        seq: i64,
        reason: String,
    },
    #[error(
        "journal {}: writing the {table} export failed: {reason}; check where the output goes (disk space, a closed pipe)",
        .path.display()
    )]
    Write {
        path: PathBuf,
        table: &'static str,
        reason: String,
    },
}

impl JournalError {
    pub(super) fn sqlite(path: &Path, action: &'static str, err: rusqlite::Error) -> Self {
        let path = path.to_path_buf();
        let hint = match err.sqlite_error_code() {
            Some(ErrorCode::NotADatabase) => {
                return JournalError::NotAJournal {
                    path,
                    reason: "not an SQLite database".to_string(),
                };
            }
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                "another process held the journal locked for more than 5 s; stop the other cockpit using this file"
            }
            Some(ErrorCode::ReadOnly | ErrorCode::PermissionDenied | ErrorCode::CannotOpen) => {
                "check that the file and its directory exist and are writable"
            }
            Some(ErrorCode::DiskFull) => "free some disk space",
            Some(ErrorCode::DatabaseCorrupt) => {
                "the file is damaged; move it aside so that cockpit starts a new journal"
            }
            _ => "check the file, its permissions and the disk",
        };
        JournalError::Sqlite {
            path,
            action,
            reason: err.to_string(),
            hint,
        }
    }
}

/// The durable record of one cockpit: an SQLite database in WAL mode.
#[derive(Debug)]
pub struct Journal {
    conn: Connection,
    path: PathBuf,
}

impl Journal {
    /// Opens the journal at `path`, creating the file and its directories.
    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|e| JournalError::CreateDir {
                dir: dir.to_path_buf(),
                reason: e.to_string(),
            })?;
        }
        Self::connect(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
    }

    /// Opens a journal that must already exist: for readers such as export,
    /// where a mistyped path must not leave an empty journal behind.
    pub fn open_existing(path: &Path) -> Result<Journal, JournalError> {
        if !path.exists() {
            return Err(JournalError::Missing {
                path: path.to_path_buf(),
            });
        }
        Self::connect(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
    }

    fn connect(path: &Path, flags: OpenFlags) -> Result<Journal, JournalError> {
        let sql = |action| move |e| JournalError::sqlite(path, action, e);
        let mut conn = Connection::open_with_flags(path, flags).map_err(sql("opening"))?;
        // A writer holds the lock for one engine step (milliseconds); waiting
        // rides out a slow disk or a checkpoint instead of failing the step.
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(sql("setting the busy timeout"))?;
        // WAL lets an export or a second window read while the engine writes,
        // and makes a commit one sequential append to the -wal file.
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(sql("switching to WAL mode"))?;
        if !mode.eq_ignore_ascii_case("wal") {
            log::warn!(
                "journal {}: SQLite kept journal_mode={mode} (WAL needs shared memory, which some network file systems lack); readers will block writes",
                path.display()
            );
        }
        // NORMAL does not fsync on commit: a commit is in the OS page cache
        // when append returns, so a killed or crashed process loses nothing
        // committed, but a power cut or kernel panic may lose the last commits
        // (the file stays consistent). FULL would fsync every engine step.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(sql("setting synchronous=NORMAL"))?;
        schema::prepare(&mut conn, path)?;
        Ok(Journal {
            conn,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `records` in one transaction: all of them or, on error, none.
    pub fn append(&mut self, records: &[Record]) -> Result<(), JournalError> {
        if records.is_empty() {
            return Ok(());
        }
        let path = self.path.as_path();
        let sql = |action| move |e| JournalError::sqlite(path, action, e);
        let tx = self
            .conn
            .transaction()
            .map_err(sql("starting a transaction"))?;
        let mut inserter = Inserter {
            conn: &tx,
            path,
            buf: Vec::with_capacity(1024),
        };
        for record in records {
            inserter.insert(record)?;
        }
        tx.commit().map_err(sql("committing"))
    }

    /// The latest state blob stored under `key` ("engine", "paper").
    pub fn state(&self, key: &str) -> Result<Option<String>, JournalError> {
        let row: Option<(i64, String)> = self
            .conn
            .prepare_cached("SELECT seq, data FROM state WHERE key = ?1")
            .and_then(|mut stmt| {
                stmt.query_row([key], |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()
            })
            .map_err(|e| JournalError::sqlite(&self.path, "reading the state", e))?;
        let Some((seq, data)) = row else {
            return Ok(None);
        };
        let record: super::StateRecord =
            serde_json::from_str(&data).map_err(|e| JournalError::Corrupt {
                path: self.path.clone(),
                table: "state",
                seq,
                reason: e.to_string(),
            })?;
        Ok(Some(record.json))
    }

    /// Writes every row of `table` in seq order; returns the number of rows.
    /// Reads one snapshot, so rows the engine commits meanwhile are not mixed in.
    pub fn export(
        &self,
        table: &str,
        format: ExportFormat,
        out: &mut dyn Write,
    ) -> Result<usize, JournalError> {
        let table = self.table(table)?;
        export::export(&self.conn, &self.path, table, format, out)
    }

    /// Rows in `table`.
    pub fn count(&self, table: &str) -> Result<u64, JournalError> {
        let table = self.table(table)?;
        let n: i64 = self
            .conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
                row.get(0)
            })
            .map_err(|e| JournalError::sqlite(&self.path, "counting rows", e))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The table name as a constant, so that it is safe to put into SQL text.
    fn table(&self, table: &str) -> Result<&'static str, JournalError> {
        TABLES
            .iter()
            .copied()
            .find(|t| *t == table)
            .ok_or_else(|| JournalError::UnknownTable {
                path: self.path.clone(),
                table: table.to_string(),
            })
    }
}

macro_rules! insert_sql {
    ($table:literal) => {
        concat!(
            "INSERT INTO ",
            $table,
            " (at_ms, symbol, data) VALUES (?1, ?2, ?3)"
        )
    };
}

// A decision keeps its seq (its place in the journal) while its status moves on.
const UPSERT_DECISION: &str = "INSERT INTO decisions (at_ms, symbol, id, status, data)
    VALUES (?1, ?2, ?3, ?4, ?5)
    ON CONFLICT (id) DO UPDATE SET
        at_ms = excluded.at_ms, symbol = excluded.symbol,
        status = excluded.status, data = excluded.data";

const UPSERT_STATE: &str = "INSERT INTO state (at_ms, symbol, key, data)
    VALUES (?1, NULL, ?2, ?3)
    ON CONFLICT (key) DO UPDATE SET at_ms = excluded.at_ms, data = excluded.data";

/// Appends records within the caller's transaction, reusing one encode buffer.
struct Inserter<'a> {
    conn: &'a Connection,
    path: &'a Path,
    buf: Vec<u8>,
}

impl Inserter<'_> {
    fn insert(&mut self, record: &Record) -> Result<(), JournalError> {
        match record {
            Record::Decision(d) => {
                let data = encode(&mut self.buf, d.as_ref(), "decisions", self.path)?;
                let params = params![
                    d.at_ms,
                    d.proposal.symbol.as_str(),
                    d.id,
                    d.status.label(),
                    data
                ];
                execute(self.conn, self.path, UPSERT_DECISION, params)
            }
            Record::State(s) => {
                let data = encode(&mut self.buf, s, "state", self.path)?;
                let params = params![s.at_ms, s.key, data];
                execute(self.conn, self.path, UPSERT_STATE, params)
            }
            Record::Order(o) => {
                let symbol = Some(o.request.symbol.as_str());
                self.row("orders", insert_sql!("orders"), o.at_ms, symbol, o)
            }
            Record::Fill(f) => {
                let symbol = Some(f.symbol.as_str());
                self.row("fills", insert_sql!("fills"), f.at_ms, symbol, f)
            }
            Record::Funding(f) => {
                let symbol = Some(f.symbol.as_str());
                self.row("funding", insert_sql!("funding"), f.at_ms, symbol, f)
            }
            // A round trip is journaled when it closes.
            Record::Trade(t) => {
                let symbol = Some(t.symbol.as_str());
                let at_ms = t.exit_time_ms;
                self.row("trades", insert_sql!("trades"), at_ms, symbol, t.as_ref())
            }
            Record::Position(p) => {
                let symbol = Some(p.symbol.as_str());
                self.row("positions", insert_sql!("positions"), p.at_ms, symbol, p)
            }
            Record::Equity(e) => self.row("equity", insert_sql!("equity"), e.at_ms, None, e),
            Record::Command(c) => self.row("commands", insert_sql!("commands"), c.at_ms, None, c),
            Record::Ai(a) => self.row("ai", insert_sql!("ai"), a.at_ms, None, a),
        }
    }

    fn row<T: Serialize>(
        &mut self,
        table: &'static str,
        sql: &'static str,
        at_ms: i64,
        symbol: Option<&str>,
        value: &T,
    ) -> Result<(), JournalError> {
        let data = encode(&mut self.buf, value, table, self.path)?;
        execute(self.conn, self.path, sql, params![at_ms, symbol, data])
    }
}

fn execute(
    conn: &Connection,
    path: &Path,
    sql: &'static str,
    params: &[&dyn rusqlite::ToSql],
) -> Result<(), JournalError> {
    let err = |e| JournalError::sqlite(path, "appending records", e);
    conn.prepare_cached(sql)
        .map_err(err)?
        .execute(params)
        .map_err(err)?;
    Ok(())
}

/// The record's own struct (not the enum wrapper) as JSON text in `buf`.
fn encode<'b, T: Serialize>(
    buf: &'b mut Vec<u8>,
    value: &T,
    table: &'static str,
    path: &Path,
) -> Result<&'b str, JournalError> {
    let err = |reason: String| JournalError::Encode {
        path: path.to_path_buf(),
        table,
        reason,
    };
    buf.clear();
    serde_json::to_writer(&mut *buf, value).map_err(|e| err(e.to_string()))?;
    std::str::from_utf8(buf).map_err(|e| err(e.to_string()))
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use rust_decimal::Decimal;
    use tempfile::TempDir;

    use super::*;
    use crate::ai::{Confirmation, Verdict};
    use crate::domain::{ClientOrderId, Fill, Leg, Liquidity, Price, Qty, Side, Symbol};
    use crate::indicators::IndicatorValues;
    use crate::journal::{
        CommandRecord, DecisionRecord, DecisionStatus, EquitySample, LatencyStamps, StateRecord,
        TradeRecord,
    };
    use crate::strategy::Proposal;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn state(key: &str, json: &str, at_ms: i64) -> Record {
        Record::State(StateRecord {
            at_ms,
            key: key.to_string(),
            json: json.to_string(),
        })
    }

    fn decision(status: DecisionStatus, at_ms: i64) -> Record {
        Record::Decision(Box::new(DecisionRecord {
            id: "BTCUSDT-1700000000000".to_string(),
            at_ms,
            proposal: Proposal {
                symbol: Symbol::new("BTCUSDT").unwrap(),
                side: Side::Buy,
                candle_open_ms: 1_700_000_000_000,
                entry: dec("61000.5"),
                stop: dec("60500"),
                take_profit: dec("62000"),
                atr: 250.0,
                strategy: "trend".into(),
                reasons: Vec::new(),
            },
            indicators: IndicatorValues::default(),
            confirmation: Confirmation {
                verdict: Verdict::Off,
                confidence: None,
                reason: "AI: off".to_string(),
            },
            risk: None,
            status,
            deadline_ms: None,
            latency: LatencyStamps::default(),
        }))
    }

    fn fill(at_ms: i64) -> Fill {
        Fill {
            order_id: ClientOrderId("d1-e".to_string()),
            symbol: Symbol::new("ETHUSDT").unwrap(),
            side: Side::Sell,
            leg: Leg::Entry,
            qty: Qty::from_str("0.5").unwrap(),
            price: Price::from_str("3000.25").unwrap(),
            fee: dec("0.6"),
            liquidity: Liquidity::Taker,
            at_ms,
        }
    }

    fn column<T: rusqlite::types::FromSql>(journal: &Journal, sql: &str) -> T {
        journal.conn.query_row(sql, [], |row| row.get(0)).unwrap()
    }

    #[test]
    fn state_blob_survives_reopen_and_only_the_latest_per_key_is_kept() {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("journal.sqlite");
        {
            let mut journal = Journal::open(&path).unwrap();
            journal
                .append(&[
                    state("engine", r#"{"v":1}"#, 1),
                    state("paper", r#"{"wallet":"1000"}"#, 1),
                ])
                .unwrap();
            journal.append(&[state("engine", r#"{"v":2}"#, 2)]).unwrap();
        }
        let journal = Journal::open(&path).unwrap();
        assert_eq!(
            journal.state("engine").unwrap().as_deref(),
            Some(r#"{"v":2}"#)
        );
        assert_eq!(
            journal.state("paper").unwrap().as_deref(),
            Some(r#"{"wallet":"1000"}"#)
        );
        assert_eq!(journal.state("nothing").unwrap(), None);
        assert_eq!(journal.count("state").unwrap(), 2);
    }

    #[test]
    fn decision_upserted_three_times_is_one_row_with_the_last_status_and_its_first_seq() {
        let dir = TempDir::new().unwrap();
        let mut journal = Journal::open(&dir.path().join("j.sqlite")).unwrap();
        journal
            .append(&[decision(DecisionStatus::Proposed, 10)])
            .unwrap();
        // Something else in between, so that a re-insert would show as a new seq.
        journal.append(&[Record::Fill(fill(11))]).unwrap();
        journal
            .append(&[
                decision(DecisionStatus::Sent, 12),
                decision(DecisionStatus::Filled, 13),
            ])
            .unwrap();
        assert_eq!(journal.count("decisions").unwrap(), 1);
        let (seq, status, at_ms, symbol): (i64, String, i64, String) = journal
            .conn
            .query_row(
                "SELECT seq, status, at_ms, symbol FROM decisions",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        assert_eq!((seq, status.as_str(), at_ms), (1, "filled", 13));
        assert_eq!(symbol, "BTCUSDT");
        let data: String = column(&journal, "SELECT data FROM decisions");
        let stored: DecisionRecord = serde_json::from_str(&data).unwrap();
        assert_eq!(stored.status, DecisionStatus::Filled);
    }

    #[test]
    fn rows_carry_the_record_time_and_symbol_and_null_where_there_is_no_symbol() {
        let dir = TempDir::new().unwrap();
        let mut journal = Journal::open(&dir.path().join("j.sqlite")).unwrap();
        let trade = TradeRecord {
            symbol: Symbol::new("BTCUSDT").unwrap(),
            side: Side::Buy,
            entry_time_ms: 100,
            entry_price: Price::from_str("60000").unwrap(),
            qty: Qty::from_str("0.01").unwrap(),
            stop_price: Price::from_str("59000").unwrap(),
            take_profit_price: Price::from_str("62000").unwrap(),
            exit_time_ms: 200,
            exit_price: Price::from_str("62000").unwrap(),
            exit_reason: "take_profit".to_string(),
            pnl: dec("19.5"),
            fees: dec("0.5"),
            funding: dec("0"),
            equity_before: dec("1000"),
            risk_fraction: dec("0.01"),
            reasons: Vec::new(),
            ai: "off".to_string(),
            decision_id: "BTCUSDT-100".to_string(),
        };
        journal
            .append(&[
                Record::Fill(fill(42)),
                Record::Trade(Box::new(trade)),
                Record::Equity(EquitySample {
                    at_ms: 7,
                    wallet: dec("1000"),
                    unrealized: dec("0"),
                    equity: dec("1000"),
                }),
                Record::Command(CommandRecord {
                    at_ms: 8,
                    command: "arm".to_string(),
                    accepted: true,
                    result: "armed".to_string(),
                }),
            ])
            .unwrap();
        let fill_row: (i64, String) = journal
            .conn
            .query_row("SELECT at_ms, symbol FROM fills", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(fill_row, (42, "ETHUSDT".to_string()));
        assert_eq!(column::<i64>(&journal, "SELECT at_ms FROM trades"), 200);
        assert_eq!(
            column::<Option<String>>(&journal, "SELECT symbol FROM equity"),
            None
        );
        assert_eq!(
            column::<Option<String>>(&journal, "SELECT symbol FROM commands"),
            None
        );
        // The inner struct, not the tagged enum.
        let data: String = column(&journal, "SELECT data FROM fills");
        assert_eq!(serde_json::from_str::<Fill>(&data).unwrap(), fill(42));
        assert!(!data.contains("\"record\""));
    }

    #[test]
    fn empty_append_writes_nothing() {
        let dir = TempDir::new().unwrap();
        let mut journal = Journal::open(&dir.path().join("j.sqlite")).unwrap();
        journal.append(&[]).unwrap();
        for table in TABLES {
            assert_eq!(journal.count(table).unwrap(), 0, "{table}");
        }
    }

    #[test]
    fn open_creates_missing_parent_directories_and_uses_wal() {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("a").join("b").join("journal.sqlite");
        let journal = Journal::open(&path).unwrap();
        assert!(path.is_file());
        let mode: String = column(&journal, "PRAGMA journal_mode");
        assert_eq!(mode, "wal");
        let version: i64 = column(
            &journal,
            "SELECT value FROM meta WHERE key = 'schema_version'",
        );
        assert_eq!(version, schema::SCHEMA_VERSION);
    }

    #[test]
    fn another_programs_sqlite_database_is_not_taken_over() {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("other.sqlite");
        Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE contacts (name TEXT)")
            .unwrap();
        let err = Journal::open(&path).unwrap_err();
        assert!(matches!(err, JournalError::NotAJournal { .. }), "{err}");
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{err}"
        );
        let tables: i64 = Connection::open(&path)
            .unwrap()
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .unwrap();
        assert_eq!(tables, 1);
    }

    #[test]
    fn newer_schema_version_is_refused_with_both_versions_in_the_message() {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("j.sqlite");
        drop(Journal::open(&path).unwrap());
        Connection::open(&path)
            .unwrap()
            .execute("UPDATE meta SET value = 7 WHERE key = 'schema_version'", [])
            .unwrap();
        let err = Journal::open(&path).unwrap_err();
        assert!(
            matches!(
                err,
                JournalError::NewerSchema {
                    found: 7,
                    supported: 1,
                    ..
                }
            ),
            "{err}"
        );
        let message = err.to_string();
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(message.contains("upgrade cockpit"), "{message}");
    }

    #[test]
    fn open_existing_does_not_create_a_missing_journal() {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("typo.sqlite");
        let err = Journal::open_existing(&path).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "no journal at {}; it is created by `cockpit run`",
                path.display()
            )
        );
        assert!(!path.exists());
    }
}
