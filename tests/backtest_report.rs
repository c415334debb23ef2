//! `cockpit backtest … --report DIR` and `cockpit report DIR`: the files of a
//! report written from a real run over a year of BTCUSDT 1h, read back, and
//! the terminal view of the saved result.

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use cockpit::backtest::report::{self, ReportError, SavedResult};
use cockpit::backtest::{BacktestResult, BacktestSpec, Candles, TimeRange, load, run};
use cockpit::collect::parse_time;
use cockpit::config::Config;
use cockpit::domain::time::format_utc;
use cockpit::tui::report::{ReportView, event_loop};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;

/// 2022 on BTCUSDT 1h: a bear year with trades both ways.
fn btc_2022() -> &'static BacktestResult {
    static RESULT: OnceLock<BacktestResult> = OnceLock::new();
    RESULT.get_or_init(|| {
        let path = cockpit::shared_data::file("klines/BTCUSDT-1h-umfutures.csv")
            .unwrap_or_else(|e| panic!("{e}"));
        let range = TimeRange {
            from_ms: Some(parse_time("2022-01-01").unwrap()),
            to_ms: Some(parse_time("2023-01-01").unwrap()),
        };
        let histories = load(&[path], range).unwrap();
        let result = run(BacktestSpec::new(
            &Config::default(),
            Candles::Loaded(&histories),
        ))
        .unwrap();
        assert!(
            result.trades.len() >= 5,
            "the slice must trade to test a report: {} trades",
            result.trades.len()
        );
        result
    })
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn screen(view: &ReportView, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| f.render_widget(view, f.area())).unwrap();
    buffer_text(terminal.backend())
}

fn buffer_text(backend: &TestBackend) -> String {
    let buffer = backend.buffer();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            out.push_str(buffer[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

#[test]
fn the_png_is_a_full_size_chart_with_the_curve_and_the_drawdown_drawn() {
    let result = btc_2022();
    let dir = tempfile::tempdir().unwrap();
    // A folder that does not exist yet.
    let out = dir.path().join("reports/2022");
    report::write(&out, result).unwrap();
    for name in report::FILES {
        assert!(out.join(name).is_file(), "{name} missing");
    }

    let file = std::fs::File::open(out.join(report::PNG_FILE)).unwrap();
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .unwrap();
    let mut rgb = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut rgb).unwrap();
    assert_eq!((info.width, info.height), report::chart::SIZE);
    assert_eq!(info.color_type, png::ColorType::Rgb);
    let pixels: Vec<[u8; 3]> = rgb[..info.buffer_size()]
        .chunks_exact(3)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    let count = |want: [u8; 3]| pixels.iter().filter(|p| **p == want).count();
    let white = count([255, 255, 255]);
    assert!(white > pixels.len() / 2, "mostly white: {white}");
    assert!(white < pixels.len() * 97 / 100, "not blank: {white}");
    // The equity curve's blue, two pixels wide across the width.
    assert!(
        count([28, 92, 170]) > 3000,
        "curve: {}",
        count([28, 92, 170])
    );
    // The drawdown's border red.
    assert!(
        count([200, 30, 30]) > 1000,
        "drawdown: {}",
        count([200, 30, 30])
    );
    // Text: dark anti-aliased glyphs in the title and on the axes.
    let ink = pixels.iter().filter(|p| p.iter().all(|c| *c < 90)).count();
    assert!(ink > 4000, "text: {ink}");
}

#[test]
fn the_svg_csv_markdown_and_json_say_what_the_run_did() {
    let result = btc_2022();
    let dir = tempfile::tempdir().unwrap();
    report::write(dir.path(), result).unwrap();
    let n = result.trades.len();

    let svg = read(dir.path(), report::SVG_FILE);
    assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
    assert!(svg.contains("BTCUSDT 1h backtest"), "title");
    assert!(svg.contains("2022-01-01 → 2023-01-01 (UTC)"), "period");
    assert!(svg.contains("equity (USDT)"), "axis");
    assert!(svg.contains("<polyline"), "curve");
    assert!(svg.contains("<polygon"), "drawdown and markers");
    assert!(svg.matches("<circle").count() >= n, "an exit dot per trade");

    let csv = read(dir.path(), report::CSV_FILE);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), n + 1);
    assert_eq!(
        lines[0],
        "symbol,side,entry_time,entry_time_ms,entry_price,qty,stop_price,take_profit_price,\
         exit_time,exit_time_ms,exit_price,exit_reason,pnl,fees,funding,equity_before,\
         risk_fraction,ai,decision_id"
    );
    for (line, t) in lines[1..].iter().zip(&result.trades) {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields.len(), 19, "{line}");
        assert_eq!(fields[0], "BTCUSDT");
        let iso = format_utc(t.entry_time_ms).replace(' ', "T") + "Z";
        assert_eq!(fields[2], iso);
        assert_eq!(fields[3], t.entry_time_ms.to_string());
        assert_eq!(fields[12], t.pnl.to_string());
        assert_eq!(fields[18], t.decision_id);
    }

    let md = read(dir.path(), report::MARKDOWN_FILE);
    let m = &result.metrics;
    for row in [
        "| symbols | BTCUSDT (1h) |".to_string(),
        format!(
            "| total return | {:.2} % |",
            m.total_return.unwrap() * 100.0
        ),
        format!("| max drawdown | {:.2} % |", m.max_drawdown * 100.0),
        format!("| trades | {} ({} won, {} lost) |", n, m.wins, m.losses),
        "| Sharpe |".to_string(),
        "## Trades by exit reason".to_string(),
    ] {
        assert!(md.contains(&row), "{row} not in\n{md}");
    }
    let all = md.lines().find(|l| l.starts_with("| all |")).unwrap();
    assert!(
        all.starts_with(&format!("| all | {n} | {} | {} |", m.wins, m.losses)),
        "{all}"
    );
    let by_reason: usize = md
        .lines()
        .skip_while(|l| !l.starts_with("| exit reason"))
        .skip(2)
        .take_while(|l| !l.starts_with("| all |"))
        .map(|l| {
            l.split('|')
                .nth(2)
                .unwrap()
                .trim()
                .parse::<usize>()
                .unwrap()
        })
        .sum();
    assert_eq!(by_reason, n);

    // result.json is the --json output, and it reads back.
    let json = read(dir.path(), report::RESULT_FILE);
    assert_eq!(json, serde_json::to_string(result).unwrap());
    let saved = report::load(dir.path()).unwrap();
    let expected = SavedResult::of(result);
    assert_eq!(saved.trades, result.trades);
    assert_eq!(saved.symbols, result.symbols);
    assert_eq!(saved.interval, Some(result.interval));
    assert_eq!(
        (saved.bars, saved.elapsed_ms),
        (result.bars, result.elapsed_ms)
    );
    assert_eq!(saved.metrics.final_equity, m.final_equity);
    assert_eq!(saved.metrics.trades, m.trades);
    assert!(close(saved.metrics.max_drawdown, m.max_drawdown));
    assert_eq!(saved.equity.len(), expected.equity.len());
    for (a, b) in saved.equity.iter().zip(&expected.equity) {
        assert_eq!(a.0, b.0);
        assert!(close(a.1, b.1), "{a:?} {b:?}");
    }
}

#[test]
fn without_a_font_the_png_names_the_package_and_the_rest_is_written() {
    let result = btc_2022();
    let dir = tempfile::tempdir().unwrap();
    let no_fonts = tempfile::tempdir().unwrap();
    let err =
        report::write_with_fonts(dir.path(), result, &[no_fonts.path().to_path_buf()]).unwrap_err();
    assert!(matches!(err, ReportError::Png { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("equity.png is not written"), "{message}");
    assert!(
        message.contains("apt-get install fonts-dejavu-core"),
        "{message}"
    );
    assert!(!dir.path().join(report::PNG_FILE).exists());
    for name in [
        report::RESULT_FILE,
        report::CSV_FILE,
        report::MARKDOWN_FILE,
        report::SVG_FILE,
    ] {
        assert!(dir.path().join(name).is_file(), "{name} missing");
    }
    assert!(read(dir.path(), report::SVG_FILE).contains("BTCUSDT 1h backtest"));
}

#[test]
fn the_report_view_shows_the_title_the_figures_and_scrolls_the_trades() {
    let result = btc_2022();
    let dir = tempfile::tempdir().unwrap();
    report::write(dir.path(), result).unwrap();
    let mut view = ReportView::new(report::load(dir.path()).unwrap());
    let (w, h) = (130, 40);
    let text = screen(&view, w, h);
    println!("{text}");
    let n = result.trades.len();
    let first = &result.trades[0];
    for needle in [
        "BTCUSDT 1h backtest".to_string(),
        "equity (USDT)".to_string(),
        format!(
            "drawdown (max {:.2} %)",
            result.metrics.max_drawdown * 100.0
        ),
        "trades 1–".to_string(),
        format!("of {n}"),
        format_utc(first.entry_time_ms)[..16].to_string(),
        first.exit_reason.clone(),
    ] {
        assert!(text.contains(&needle), "{needle:?} not on screen");
    }
    let total_return = text.lines().find(|l| l.contains("total return")).unwrap();
    let pct = format!("{:.2} %", result.metrics.total_return.unwrap() * 100.0);
    assert!(total_return.contains(&pct), "{total_return}");
    // The curve is drawn in braille.
    assert!(text.chars().any(|c| ('\u{2801}'..='\u{28ff}').contains(&c)));

    let size = Rect::new(0, 0, w, h);
    view.on_key(key(KeyCode::Down), size);
    view.on_key(key(KeyCode::Down), size);
    assert_eq!(view.scroll(), 2);
    view.on_key(key(KeyCode::Up), size);
    assert_eq!(view.scroll(), 1);
    view.on_key(key(KeyCode::End), size);
    let last = &result.trades[n - 1];
    let text = screen(&view, w, h);
    assert!(text.contains(&format!("of {n}")));
    assert!(
        text.contains(&format_utc(last.exit_time_ms)[..16]),
        "last trade"
    );
    assert!(!text.contains(&format_utc(first.entry_time_ms)[..16]) || n < 10);
    // Past the end stays at the end; PgUp goes back a page.
    let end = view.scroll();
    view.on_key(key(KeyCode::PageDown), size);
    assert_eq!(view.scroll(), end);
    view.on_key(key(KeyCode::PageUp), size);
    assert!(view.scroll() < end);
    assert!(!view.quit);
    view.on_key(key(KeyCode::Char('q')), size);
    assert!(view.quit);
}

#[test]
fn the_report_loop_draws_scrolls_and_quits_on_escape() {
    let result = btc_2022();
    let dir = tempfile::tempdir().unwrap();
    report::write(dir.path(), result).unwrap();
    let view = ReportView::new(report::load(dir.path()).unwrap());
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let mut events = vec![
        Event::Key(key(KeyCode::Down)),
        Event::Key(key(KeyCode::Down)),
        Event::Key(key(KeyCode::Down)),
        Event::Key(key(KeyCode::Esc)),
    ]
    .into_iter();
    event_loop(&mut terminal, view, || {
        events
            .next()
            .ok_or_else(|| std::io::Error::other("the loop read past Esc"))
    })
    .unwrap();
    // The last picture drawn is the one after three rows down.
    assert!(buffer_text(terminal.backend()).contains(" trades 4–"));
}

#[test]
fn cockpit_report_refuses_a_missing_or_malformed_result_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let report = |dir: &Path| {
        Command::new(env!("CARGO_BIN_EXE_cockpit"))
            .arg("report")
            .arg(dir)
            .output()
            .unwrap()
    };
    let out = report(dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("result.json not found"), "{stderr}");
    assert!(stderr.contains("--report DIR"), "{stderr}");

    std::fs::write(dir.path().join("result.json"), r#"{"bars": 3}"#).unwrap();
    let out = report(dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is not a backtest result"), "{stderr}");
    assert!(stderr.contains("missing field"), "{stderr}");
}
