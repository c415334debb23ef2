//! The real cockpit binary in a real terminal: tmux runs it, sends keys and
//! reads the screen. Needs tmux (`apt-get install tmux`); the test fails, not
//! skips, without it.

mod fake_binance;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts `command` in a detached session of the given size.
    fn start(name: &str, width: u16, height: u16, command: &str) -> Tmux {
        let found = Command::new("tmux").arg("-V").output();
        assert!(
            found.is_ok_and(|o| o.status.success()),
            "tmux is needed for the terminal tests: install it (apt-get install tmux)"
        );
        let t = Tmux {
            socket: format!("cockpit-test-{name}-{}", std::process::id()),
        };
        let status = t
            .cmd()
            .args([
                "new-session",
                "-d",
                "-s",
                "main",
                "-x",
                &width.to_string(),
                "-y",
                &height.to_string(),
            ])
            .arg(command)
            .status()
            .unwrap();
        assert!(status.success());
        t
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        // The launch line is POSIX shell; tmux would run it in the user's $SHELL.
        c.env("SHELL", "/bin/sh");
        c.args(["-L", &self.socket, "-f", "/dev/null"]);
        c
    }

    fn screen(&self) -> String {
        let out = self
            .cmd()
            .args(["capture-pane", "-p", "-t", "main"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen_with_escapes(&self) -> String {
        let out = self
            .cmd()
            .args(["capture-pane", "-p", "-e", "-t", "main"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        self.cmd()
            .args(["send-keys", "-t", "main"])
            .args(keys)
            .status()
            .unwrap();
    }

    fn resize(&self, width: u16, height: u16) {
        let status = self
            .cmd()
            .args(["resize-window", "-t", "main", "-x", &width.to_string()])
            .args(["-y", &height.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits until the screen satisfies `pred`; panics with the screen if it never does.
    fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").status();
    }
}

/// A config with a fast demo market so the test sees candles move quickly,
/// and no user config or credentials from the machine running the tests.
/// Each run gets its own data dir, so the journals of parallel tests never meet.
fn launch(extra_env: &str) -> String {
    launch_with(extra_env, "")
}

fn launch_with(extra_env: &str, args: &str) -> String {
    let bin = binary();
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml");
    format!(
        "env XDG_CONFIG_HOME=/nonexistent XDG_DATA_HOME=/tmp COCKPIT_PATHS_DATA_DIR=$(mktemp -d) TERM=xterm-256color COCKPIT_DEMO_CANDLE_MS=400 COCKPIT_DEMO_TICKS_PER_CANDLE=4 {extra_env} {bin} --config {} {args}; echo EXITED:$?; sleep 30",
        config.display()
    )
}

/// Every `38;5;n` / `48;5;n` palette index in a pane captured with escapes.
fn palette_indices(styled: &str) -> Vec<u32> {
    ["38;5;", "48;5;"]
        .iter()
        .flat_map(|prefix| styled.match_indices(prefix).map(|(i, p)| i + p.len()))
        .filter_map(|start| {
            let digits: String = styled[start..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        })
        .collect()
}

/// The release binary when `scripts/test.sh` built one (what operators run),
/// else the test profile's.
fn binary() -> String {
    match std::env::var("COCKPIT_TEST_BIN") {
        Ok(bin) => {
            assert!(
                Path::new(&bin).is_file(),
                "COCKPIT_TEST_BIN={bin} is not a file: build it with cargo build --release"
            );
            bin
        }
        Err(_) => {
            eprintln!("COCKPIT_TEST_BIN is not set: driving the test build of cockpit");
            env!("CARGO_BIN_EXE_cockpit").to_string()
        }
    }
}

fn chart_rows(screen: &str) -> String {
    screen
        .lines()
        .skip(1)
        .take(25)
        .map(|l| l.chars().take(70).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_default_cockpit_judges_proposals_with_the_shipped_model_and_shows_its_drift() {
    // A fast demo market: proposals come within seconds.
    let t = Tmux::start("model", 160, 48, &launch("COCKPIT_DEMO_CANDLE_MS=100"));
    // The gauge appears once the warm-up history has filled the drift window.
    let screen = t.wait_for("the drift gauge", |s| s.contains("limit 0.5"));
    assert!(screen.contains("AI: gbm"), "{screen}");
    assert!(screen.contains("PSI 0."), "{screen}");
    let judged = t.wait_for("a proposal the model judged", |s| {
        s.contains("AI ✓") || s.contains("AI ✗")
    });
    // The newest judged decision says why: its probability against the threshold.
    assert!(judged.contains("AI: p(take-profit first) 0."), "{judged}");
    t.keys(&["q"]);
    t.wait_for("the process to exit", |s| s.contains("EXITED:0"));
}

#[test]
fn cockpit_opens_on_the_demo_market_candles_move_help_shows_and_q_restores_the_terminal() {
    let t = Tmux::start("main", 120, 40, &launch(""));
    let first = t.wait_for("the cockpit screen", |s| {
        s.contains("Candles") && s.contains("Indicators") && s.contains("Log")
    });
    let header = first.lines().next().unwrap_or_default().to_string();
    for needle in ["BTCUSDT", "1h", "SHADOW", "DISARMED", "UTC", "AI: gbm"] {
        assert!(header.contains(needle), "header lacks {needle}: {header}");
    }
    t.wait_for("the feed to be live", |s| s.contains("feed: demo live"));
    let before = chart_rows(&t.screen());
    t.wait_for("the chart to move", |s| chart_rows(s) != before);

    t.keys(&["?"]);
    t.wait_for("the help overlay", |s| {
        s.contains("Help") && s.contains("next / previous symbol")
    });
    t.keys(&["Escape"]);
    t.wait_for("the help to close", |s| {
        !s.contains("next / previous symbol")
    });

    // Operator commands go through the engine and come back in the header.
    t.keys(&["a"]);
    t.wait_for("the engine to arm", |s| {
        s.lines().next().unwrap_or_default().contains("│ ARMED")
    });
    t.keys(&["m"]);
    t.wait_for("paper mode", |s| {
        s.lines().next().unwrap_or_default().contains("PAPER")
    });
    // The kill-switch panel takes the keys; flatten asks first.
    t.keys(&["K"]);
    t.wait_for("the kill-switch keys", |s| s.contains("R resume Esc"));
    t.keys(&["F"]);
    t.wait_for("the flatten question", |s| s.contains("Flatten and halt?"));
    t.keys(&["n"]);
    t.keys(&["Escape"]);
    t.wait_for("the panel to close", |s| !s.contains("R resume Esc"));

    t.keys(&["q"]);
    let after = t.wait_for("the process to exit", |s| s.contains("EXITED:"));
    assert!(after.contains("EXITED:0"), "{after}");
    assert!(
        !after.contains("Candles"),
        "the alternate screen was not left:\n{after}"
    );
}

#[test]
fn compact_terminal_80x24_shows_every_panel_in_16_colours() {
    let t = Tmux::start("compact", 80, 24, &launch("TERM=xterm-16color"));
    let s = t.wait_for("the compact screen", |s| {
        s.contains("Candles") && s.contains("Positions") && s.contains("Kill Switch")
    });
    assert!(
        s.lines().next().unwrap_or_default().contains("SHADOW"),
        "{s}"
    );
    // The pane with its escape sequences: colours are there, and every one of
    // them is one of the 16. crossterm writes even those as `38;5;n`, so the
    // index must stay below 16; RGB (`38;2;…`) is never allowed.
    let styled = t.screen_with_escapes();
    let indices = palette_indices(&styled);
    assert!(!indices.is_empty(), "no colour at all:\n{styled}");
    assert!(
        indices.iter().all(|&n| n < 16),
        "a colour beyond the 16 ({indices:?}):\n{styled}"
    );
    assert!(!styled.contains("8;2;"), "an RGB colour:\n{styled}");
    t.keys(&["q"]);
    t.wait_for("exit", |s| s.contains("EXITED:0"));
}

#[test]
fn resizing_switches_layout_and_leaves_nothing_behind() {
    let t = Tmux::start("resize", 120, 40, &launch(""));
    t.wait_for("the wide screen", |s| {
        s.contains("Indicators") && s.contains("Drift")
    });
    t.resize(80, 24);
    // Nothing of the wide layout may survive the redraw.
    let s = t.wait_for("the compact screen", |s| {
        s.contains("Kill Switch") && !s.contains("Indicators") && !s.contains("Drift")
    });
    assert_eq!(s.lines().count(), 24, "{s}");
    t.resize(130, 42);
    t.wait_for("the wide screen again", |s| {
        s.contains("Indicators") && s.contains("Drift") && s.contains("Latency")
    });
    t.keys(&["q"]);
    t.wait_for("exit", |s| s.contains("EXITED:0"));
}

#[test]
fn sigterm_leaves_cleanly_and_restores_the_terminal() {
    let t = Tmux::start("term", 100, 30, &launch(""));
    t.wait_for("the cockpit screen", |s| s.contains("Candles"));
    let pid = t
        .cmd()
        .args(["display-message", "-p", "-t", "main", "#{pane_pid}"])
        .output()
        .unwrap();
    let shell_pid = String::from_utf8_lossy(&pid.stdout).trim().to_string();
    // The pane runs `sh -c "env … cockpit …"`; signal the cockpit, the shell's child.
    let status = Command::new("pkill")
        .args(["-TERM", "-P", &shell_pid, "-x", "cockpit"])
        .status()
        .unwrap();
    assert!(status.success(), "pkill found no cockpit under {shell_pid}");
    let after = t.wait_for("the process to exit", |s| s.contains("EXITED:"));
    assert!(after.contains("EXITED:0"), "{after}");
    assert!(!after.contains("Candles"), "{after}");
}

/// tmux killed (or the SSH session under it gone): the terminal vanishes
/// under the cockpit. It must stop its engine, keep its journal and leave,
/// not linger as an orphan spinning on the dead tty.
#[test]
fn losing_the_terminal_stops_the_engine_and_ends_the_process() {
    let data_dir = tempfile::tempdir().unwrap();
    let env = format!("COCKPIT_PATHS_DATA_DIR={}", data_dir.path().display());
    let t = Tmux::start("hangup", 100, 30, &launch(&env));
    t.wait_for("the cockpit screen", |s| s.contains("Candles"));
    let pane = t
        .cmd()
        .args(["display-message", "-p", "-t", "main", "#{pane_pid}"])
        .output()
        .unwrap();
    let shell_pid = String::from_utf8_lossy(&pane.stdout).trim().to_string();
    let found = Command::new("pgrep")
        .args(["-P", &shell_pid, "-x", "cockpit"])
        .output()
        .unwrap();
    let pid = String::from_utf8_lossy(&found.stdout).trim().to_string();
    assert!(
        !pid.is_empty(),
        "no cockpit under the pane's shell {shell_pid}"
    );
    let proc_dir = Path::new("/proc").join(&pid);

    let _ = t.cmd().arg("kill-server").status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while proc_dir.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    if proc_dir.exists() {
        let _ = Command::new("kill").args(["-KILL", &pid]).status();
        panic!("cockpit {pid} was still running 10 s after its terminal went away");
    }
    let journal = rusqlite::Connection::open(data_dir.path().join("journal.sqlite")).unwrap();
    let integrity: String = journal
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let stops: i64 = journal
        .query_row(
            "SELECT COUNT(*) FROM commands WHERE data LIKE '%shutdown%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        stops, 1,
        "the engine was not told to stop before the process ended"
    );
}

#[test]
fn a_panic_restores_the_terminal_and_prints_the_message() {
    let t = Tmux::start("panic", 100, 30, &launch("COCKPIT_TEST_PANIC=1"));
    let after = t.wait_for("the process to exit", |s| s.contains("EXITED:"));
    assert!(after.contains("EXITED:101"), "{after}");
    assert!(after.contains("panicking on purpose"), "{after}");
    assert!(
        !after.contains("Candles"),
        "the alternate screen was not left:\n{after}"
    );
}

#[test]
fn a_bad_config_exits_2_with_one_line_and_no_tui() {
    let t = Tmux::start("badcfg", 100, 30, &launch("COCKPIT_MARKET_INTERVAL=7m"));
    let after = t.wait_for("the process to exit", |s| s.contains("EXITED:"));
    assert!(after.contains("EXITED:2"), "{after}");
    assert!(after.contains("error: COCKPIT_MARKET_INTERVAL: market.interval: interval `7m` is not a Binance kline interval"), "{after}");
}

#[test]
fn binance_feed_in_paper_mode_shows_live_candles_from_the_exchange() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let fake = runtime.block_on(fake_binance::FakeBinance::start(fake_binance::FakeConfig {
        speed: 60.0,
        ..fake_binance::FakeConfig::default()
    }));
    let env = format!(
        "COCKPIT_BINANCE_REST_URL={} COCKPIT_BINANCE_WS_URL={} COCKPIT_MARKET_INTERVAL=1m COCKPIT_BINANCE_WARM_UP_BARS=300",
        fake.rest_url(),
        fake.ws_url()
    );
    let t = Tmux::start(
        "binance",
        160,
        48,
        &launch_with(&env, "run --feed binance --mode paper"),
    );
    let first = t.wait_for("the cockpit on Binance data", |s| {
        s.contains("feed: binance live") && s.contains("Candles")
    });
    let header = first.lines().next().unwrap_or_default().to_string();
    for needle in ["BTCUSDT", "1m", "PAPER"] {
        assert!(header.contains(needle), "header lacks {needle}: {header}");
    }
    // The chart follows the exchange: it moves, and it shows the exchange's
    // price level (the replayed BTC path, about 94,000-97,000).
    let before = chart_rows(&t.screen());
    let moved = t.wait_for("the chart to move with the stream", |s| {
        chart_rows(s) != before
    });
    let level = fake.mark_price("BTCUSDT").trunc().to_string();
    assert!(
        moved.contains(&level[..3]),
        "the exchange's price {level} is not on screen:\n{moved}"
    );
    assert!(
        fake.listen_keys_created() == 0,
        "paper mode opens no user-data stream"
    );
    t.keys(&["q"]);
    t.wait_for("a clean exit", |s| s.contains("EXITED:0"));
}
