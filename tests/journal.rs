//! The journal against real SQLite files: what goes in comes back out of
//! `state` and `export`, and broken or foreign files are refused clearly.

use std::str::FromStr;

use cockpit::ai::{Confirmation, Verdict};
use cockpit::domain::{ClientOrderId, Fill, Leg, Liquidity, Price, Qty, Side, Symbol};
use cockpit::indicators::IndicatorValues;
use cockpit::journal::{
    DecisionRecord, DecisionStatus, EquitySample, ExportFormat, Journal, JournalError,
    LatencyStamps, Record, StateRecord, TABLES,
};
use cockpit::strategy::{Proposal, Reason};
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use tempfile::TempDir;

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn fill(order_id: &str, at_ms: i64, price: &str) -> Fill {
    Fill {
        order_id: ClientOrderId(order_id.to_string()),
        symbol: Symbol::new("BTCUSDT").unwrap(),
        side: Side::Buy,
        leg: Leg::Entry,
        qty: Qty::from_str("0.012").unwrap(),
        price: Price::from_str(price).unwrap(),
        fee: dec("0.29"),
        liquidity: Liquidity::Taker,
        at_ms,
    }
}

fn decision(id: &str, at_ms: i64, status: DecisionStatus) -> DecisionRecord {
    DecisionRecord {
        id: id.to_string(),
        at_ms,
        proposal: Proposal {
            symbol: Symbol::new("BTCUSDT").unwrap(),
            side: Side::Sell,
            candle_open_ms: at_ms - 60_000,
            entry: dec("61000.5"),
            stop: dec("61500"),
            take_profit: dec("60000"),
            atr: 250.25,
            strategy: "trend".into(),
            reasons: vec![Reason {
                check: "trend".into(),
                passed: true,
                detail: "EMA50 61234.5 < EMA200 62010.2, close \"below\" EMA50".to_string(),
            }],
        },
        indicators: IndicatorValues {
            rsi: Some(41.5),
            ..IndicatorValues::default()
        },
        confirmation: Confirmation {
            verdict: Verdict::Off,
            confidence: None,
            reason: "AI: off".to_string(),
        },
        risk: None,
        status,
        deadline_ms: None,
        latency: LatencyStamps::default(),
    }
}

fn state(key: &str, json: &str) -> Record {
    Record::State(StateRecord {
        at_ms: 1,
        key: key.to_string(),
        json: json.to_string(),
    })
}

fn export(journal: &Journal, table: &str, format: ExportFormat) -> (usize, String) {
    let mut out = Vec::new();
    let rows = journal.export(table, format, &mut out).unwrap();
    (rows, String::from_utf8(out).unwrap())
}

fn jsonl_objects(text: &str) -> Vec<Map<String, Value>> {
    text.lines()
        .map(|line| match serde_json::from_str(line).unwrap() {
            Value::Object(object) => object,
            other => panic!("not an object: {other}"),
        })
        .collect()
}

/// `value` as JSON with `seq` and `at_ms` merged in, as export writes it.
fn with_leading(value: &impl serde::Serialize, seq: i64, at_ms: i64) -> Map<String, Value> {
    let Value::Object(mut object) = serde_json::to_value(value).unwrap() else {
        panic!("not an object");
    };
    object.insert("seq".to_string(), Value::from(seq));
    object.insert("at_ms".to_string(), Value::from(at_ms));
    object
}

/// A strict RFC 4180 reader, so that the test checks the quoting rather than
/// trusting a split on commas.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => {
                assert!(field.is_empty(), "quote inside an unquoted field");
                quoted = true;
            }
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        !quoted && field.is_empty() && row.is_empty(),
        "no final newline"
    );
    rows
}

fn csv_cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[test]
fn fills_export_as_jsonl_that_parses_back_to_what_was_appended() {
    let dir = TempDir::new().unwrap();
    let mut journal = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
    let fills = [fill("d1-e", 1_000, "61000.5"), fill("d1-s", 2_000, "60500")];
    journal
        .append(&fills.iter().cloned().map(Record::Fill).collect::<Vec<_>>())
        .unwrap();

    let (rows, text) = export(&journal, "fills", ExportFormat::Jsonl);

    assert_eq!(rows, 2);
    assert!(text.starts_with("{\"seq\":1,\"at_ms\":1000,"), "{text}");
    let objects = jsonl_objects(&text);
    assert_eq!(objects.len(), 2);
    for (i, (object, fill)) in objects.iter().zip(&fills).enumerate() {
        assert_eq!(object, &with_leading(fill, i as i64 + 1, fill.at_ms));
        let back: Fill = serde_json::from_value(Value::Object(object.clone())).unwrap();
        assert_eq!(&back, fill);
    }
}

#[test]
fn decisions_export_as_jsonl_holds_each_decision_once_in_its_last_state() {
    let dir = TempDir::new().unwrap();
    let mut journal = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
    let a = "BTCUSDT-1000";
    let b = "BTCUSDT-2000";
    for records in [
        vec![decision(a, 1_000, DecisionStatus::Proposed)],
        vec![
            decision(a, 1_000, DecisionStatus::Queued),
            decision(b, 2_000, DecisionStatus::Vetoed),
        ],
        vec![decision(a, 1_000, DecisionStatus::Expired)],
    ] {
        let records: Vec<Record> = records
            .into_iter()
            .map(|d| Record::Decision(Box::new(d)))
            .collect();
        journal.append(&records).unwrap();
    }

    let (rows, text) = export(&journal, "decisions", ExportFormat::Jsonl);

    assert_eq!(rows, 2);
    let objects = jsonl_objects(&text);
    let last_a = decision(a, 1_000, DecisionStatus::Expired);
    let last_b = decision(b, 2_000, DecisionStatus::Vetoed);
    // A keeps the seq of its first appearance; an upsert may leave gaps in
    // seq (AUTOINCREMENT spends a number on the conflict), never reorder.
    assert_eq!(objects[0]["seq"], Value::from(1));
    assert!(objects[1]["seq"].as_i64().unwrap() > 1);
    let back: Vec<DecisionRecord> = objects
        .into_iter()
        .map(|o| serde_json::from_value(Value::Object(o)).unwrap())
        .collect();
    assert_eq!(back, vec![last_a, last_b]);
}

#[test]
fn fills_export_as_csv_with_a_sorted_header_and_quoted_comma_and_quote() {
    let dir = TempDir::new().unwrap();
    let mut journal = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
    let awkward = "manual,\"exit\" 1";
    let fills = [
        fill(awkward, 1_000, "61000.5"),
        fill("d2-e", 2_000, "62000"),
    ];
    journal
        .append(&fills.iter().cloned().map(Record::Fill).collect::<Vec<_>>())
        .unwrap();

    let (rows, text) = export(&journal, "fills", ExportFormat::Csv);

    assert_eq!(rows, 2);
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("seq,at_ms,fee,leg,liquidity,order_id,price,qty,side,symbol")
    );
    assert_eq!(
        lines.next(),
        Some("1,1000,0.29,entry,taker,\"manual,\"\"exit\"\" 1\",61000.5,0.012,buy,BTCUSDT")
    );
    let table = parse_csv(&text);
    assert_eq!(table.len(), 3);
    let header = &table[0];
    for (i, (row, fill)) in table[1..].iter().zip(&fills).enumerate() {
        let expected = with_leading(fill, i as i64 + 1, fill.at_ms);
        assert_eq!(row.len(), header.len());
        for (column, cell) in header.iter().zip(row) {
            assert_eq!(cell, &csv_cell(&expected[column]), "column {column}");
        }
    }
    assert_eq!(table[1][5], awkward);
}

#[test]
fn decisions_export_as_csv_writes_nested_values_as_compact_json_and_null_as_empty() {
    let dir = TempDir::new().unwrap();
    let mut journal = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
    let record = decision("BTCUSDT-1000", 1_000, DecisionStatus::Recorded);
    journal
        .append(&[Record::Decision(Box::new(record.clone()))])
        .unwrap();

    let (_, text) = export(&journal, "decisions", ExportFormat::Csv);

    let table = parse_csv(&text);
    let header = &table[0];
    assert_eq!(
        header,
        &[
            "seq",
            "at_ms",
            "confirmation",
            "deadline_ms",
            "id",
            "indicators",
            "latency",
            "proposal",
            "risk",
            "status"
        ]
    );
    let row = &table[1];
    let cell = |name: &str| &row[header.iter().position(|h| h == name).unwrap()];
    assert_eq!(cell("deadline_ms"), "");
    assert_eq!(cell("status"), "recorded");
    let proposal: Proposal = serde_json::from_str(cell("proposal")).unwrap();
    assert_eq!(proposal, record.proposal);
    assert!(!cell("proposal").contains(": "), "not compact");
}

#[test]
fn jsonl_adds_the_row_time_to_records_without_an_at_ms_field() {
    let dir = TempDir::new().unwrap();
    let mut journal = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
    let sample = EquitySample {
        at_ms: 5_000,
        wallet: dec("1000"),
        unrealized: dec("-2.5"),
        equity: dec("997.5"),
    };
    journal
        .append(&[Record::Equity(sample), state("engine", "{}")])
        .unwrap();

    let (_, equity) = export(&journal, "equity", ExportFormat::Jsonl);
    let (_, state) = export(&journal, "state", ExportFormat::Jsonl);

    assert_eq!(
        jsonl_objects(&equity),
        vec![with_leading(&sample, 1, 5_000)]
    );
    assert_eq!(
        state,
        "{\"seq\":1,\"at_ms\":1,\"json\":\"{}\",\"key\":\"engine\"}\n"
    );
}

#[test]
fn exporting_an_empty_table_writes_nothing() {
    let dir = TempDir::new().unwrap();
    let journal = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
    for format in [ExportFormat::Csv, ExportFormat::Jsonl] {
        assert_eq!(export(&journal, "trades", format), (0, String::new()));
    }
}

#[test]
fn unknown_table_error_lists_every_valid_table() {
    let dir = TempDir::new().unwrap();
    let journal = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
    let mut out = Vec::new();

    let err = journal
        .export("fill", ExportFormat::Csv, &mut out)
        .unwrap_err();

    let message = err.to_string();
    assert!(message.contains("unknown table `fill`"), "{message}");
    assert!(message.contains(&TABLES.join(", ")), "{message}");
    assert!(out.is_empty());
    assert!(journal.count("fill").is_err());
}

#[test]
fn journal_with_a_newer_schema_version_is_refused() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("journal.sqlite");
    drop(Journal::open(&path).unwrap());
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute("UPDATE meta SET value = 2 WHERE key = 'schema_version'", [])
        .unwrap();

    let err = Journal::open(&path).unwrap_err();

    assert!(matches!(err, JournalError::NewerSchema { .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains("schema version 2"), "{message}");
    assert!(message.contains(&path.display().to_string()), "{message}");
}

#[test]
fn garbage_file_is_refused_as_not_a_journal_naming_the_path() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("notes.txt");
    let garbage = "these are my trading notes, not a database\n".repeat(50);
    std::fs::write(&path, &garbage).unwrap();

    for err in [
        Journal::open(&path).unwrap_err(),
        Journal::open_existing(&path).unwrap_err(),
    ] {
        assert!(matches!(err, JournalError::NotAJournal { .. }), "{err}");
        let message = err.to_string();
        assert!(
            message.starts_with(&format!("{} is not a cockpit journal", path.display())),
            "{message}"
        );
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap(), garbage);
}

#[test]
fn export_of_a_mistyped_path_fails_without_creating_a_journal() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("jurnal.sqlite");

    let err = Journal::open_existing(&path).unwrap_err();

    assert!(
        err.to_string().contains("it is created by `cockpit run`"),
        "{err}"
    );
    assert!(!path.exists());
}

#[test]
fn commits_of_one_handle_are_visible_to_a_second_handle_opened_meanwhile() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("journal.sqlite");
    let mut writer = Journal::open(&path).unwrap();
    writer
        .append(&[
            state("engine", r#"{"step":1}"#),
            Record::Fill(fill("a", 1, "1")),
        ])
        .unwrap();

    let reader = Journal::open_existing(&path).unwrap();
    assert_eq!(
        reader.state("engine").unwrap().as_deref(),
        Some(r#"{"step":1}"#)
    );

    writer
        .append(&[
            state("engine", r#"{"step":2}"#),
            Record::Fill(fill("b", 2, "2")),
        ])
        .unwrap();
    assert_eq!(
        reader.state("engine").unwrap().as_deref(),
        Some(r#"{"step":2}"#)
    );
    assert_eq!(reader.count("fills").unwrap(), 2);
    let (rows, _) = export(&reader, "fills", ExportFormat::Jsonl);
    assert_eq!(rows, 2);
}

#[test]
fn a_journal_from_before_the_ai_table_gets_it_when_opened_and_keeps_its_rows() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("journal.sqlite");
    {
        let mut journal = Journal::open(&path).unwrap();
        journal
            .append(&[Record::Fill(fill("ck-1", 1_000, "60000"))])
            .unwrap();
    }
    // What an earlier cockpit wrote: the same schema version, no `ai` table.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("DROP TABLE ai").unwrap();
    drop(conn);

    let mut journal = Journal::open(&path).unwrap();
    journal
        .append(&[Record::Ai(cockpit::journal::AiRecord {
            at_ms: 2_000,
            event: "drift_over".into(),
            detail: "model drift 0.62 over its limit 0.5".into(),
            drift: Some(0.62),
        })])
        .unwrap();
    let (rows, text) = export(&journal, "ai", ExportFormat::Jsonl);
    assert_eq!(rows, 1);
    assert!(
        text.contains("drift_over") && text.contains("0.62"),
        "{text}"
    );
    assert_eq!(export(&journal, "fills", ExportFormat::Jsonl).0, 1);
}
