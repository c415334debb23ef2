//! Configuration: the shipped file, fixtures that must load, fixtures that must
//! fail with the right message, environment overrides and the lookup order.

use std::path::{Path, PathBuf};
use std::process::Command;

use cockpit::config::{self, Config, ConfigError, ConfigSource, DEFAULT_TOML};

fn fixtures(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    files
}

fn no_env() -> Vec<(String, String)> {
    Vec::new()
}

fn problems(err: ConfigError) -> String {
    err.lines().join("\n")
}

#[test]
fn shipped_config_toml_equals_the_built_in_defaults() {
    let (parsed, _) = config::from_text("config.toml", DEFAULT_TOML, no_env()).unwrap();
    assert_eq!(parsed, Config::default());
    let on_disk =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml")).unwrap();
    assert_eq!(on_disk, DEFAULT_TOML);
}

#[test]
fn shipped_config_toml_documents_every_key() {
    let defaults = toml::Value::try_from(Config::default()).unwrap();
    let written: toml::Table = DEFAULT_TOML.parse().unwrap();
    for (section, keys) in defaults.as_table().unwrap() {
        for key in keys.as_table().unwrap().keys() {
            assert!(
                written.get(section).and_then(|s| s.get(key)).is_some(),
                "config.toml does not document {section}.{key}"
            );
        }
    }
}

#[test]
fn every_valid_fixture_loads() {
    for path in fixtures("valid_configs") {
        let loaded = config::load(Some(&path), no_env())
            .unwrap_or_else(|e| panic!("{}: {}", path.display(), problems(e)));
        assert_eq!(loaded.source, ConfigSource::Explicit(path.clone()));
    }
}

#[test]
fn valid_fixture_values_are_applied_and_the_rest_default() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/valid_configs/multi_symbol_paper.toml");
    let c = config::load(Some(&path), no_env()).unwrap().config;
    let symbols: Vec<&str> = c.market.symbols.iter().map(|s| s.as_str()).collect();
    assert_eq!(symbols, ["BTCUSDT", "ETHUSDT", "SOLUSDT"]);
    assert_eq!(c.market.interval.as_str(), "1h");
    assert_eq!(c.risk.risk_per_trade.to_string(), "0.005");
    assert_eq!(c.risk.daily_loss_limit.to_string(), "0.02");
    assert_eq!(c.ui, Config::default().ui);
}

/// (fixture, what the message must say, the line it must point at)
const INVALID: [(&str, &str, Option<usize>); 7] = [
    (
        "unknown_key.toml",
        "market.intervall: unknown field `intervall`",
        Some(3),
    ),
    ("unknown_section.toml", "unknown section [markets]", Some(1)),
    (
        "wrong_type.toml",
        "market.history: invalid type: string \"lots\"",
        Some(2),
    ),
    (
        "bad_interval.toml",
        "interval `7m` is not a Binance kline interval",
        Some(2),
    ),
    ("bad_symbol.toml", "symbol `btc-usdt` is not valid", Some(2)),
    ("syntax_error.toml", "not valid TOML", None),
    (
        "many_problems.toml",
        "market.symbols: list at least one symbol",
        Some(3),
    ),
];

#[test]
fn every_invalid_fixture_fails_with_location_and_reason() {
    let files = fixtures("invalid_configs");
    assert_eq!(
        files.len(),
        INVALID.len(),
        "each invalid fixture needs an expectation"
    );
    for (name, needle, line) in INVALID {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/invalid_configs")
            .join(name);
        let err = config::load(Some(&path), no_env()).expect_err(name);
        let text = problems(err);
        assert!(text.contains(needle), "{name}: {text}");
        assert!(
            text.contains(&path.display().to_string()),
            "{name} must name the file: {text}"
        );
        if let Some(line) = line {
            assert!(
                text.contains(&format!("{}:{line}:", path.display())),
                "{name} must point at line {line}: {text}"
            );
        }
    }
}

#[test]
fn all_problems_are_reported_at_once() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/invalid_configs/many_problems.toml");
    let ConfigError::Invalid(list) = config::load(Some(&path), no_env()).unwrap_err() else {
        panic!("expected a list of problems");
    };
    let keys: Vec<&str> = list.iter().map(|p| p.key.as_str()).collect();
    for key in [
        "market.symbols",
        "risk.risk_per_trade",
        "risk.max_leverage",
        "strategy.ema_fast",
        "strategy.rsi_long_min",
        "binance.rest_url",
        "binance.network",
    ] {
        assert!(keys.contains(&key), "{key} missing from {keys:?}");
    }
}

#[test]
fn environment_overrides_keys_with_their_types() {
    let env = vec![
        (
            "COCKPIT_MARKET_SYMBOLS".to_string(),
            "BTCUSDT, ETHUSDT".to_string(),
        ),
        ("COCKPIT_MARKET_INTERVAL".to_string(), "1h".to_string()),
        (
            "COCKPIT_RISK_MAX_OPEN_POSITIONS".to_string(),
            "5".to_string(),
        ),
        (
            "COCKPIT_RISK_RISK_PER_TRADE".to_string(),
            "0.02".to_string(),
        ),
        (
            "COCKPIT_BINANCE_REST_URL".to_string(),
            "http://127.0.0.1:9".to_string(),
        ),
        ("COCKPIT_UI_MAX_FPS".to_string(), "20".to_string()),
        (
            "COCKPIT_SHARED_DATA".to_string(),
            "/not/a/config/key".to_string(),
        ),
        ("PATH".to_string(), "/usr/bin".to_string()),
    ];
    let (c, overrides) = config::from_text("built-in", DEFAULT_TOML, env).unwrap();
    assert_eq!(c.market.symbols.len(), 2);
    assert_eq!(c.market.interval.as_str(), "1h");
    assert_eq!(c.risk.max_open_positions, 5);
    assert_eq!(c.risk.risk_per_trade.to_string(), "0.02");
    assert_eq!(c.binance.rest_url, "http://127.0.0.1:9");
    assert_eq!(c.ui.max_fps, 20);
    assert_eq!(overrides.len(), 6);
}

#[test]
fn bad_environment_overrides_name_the_variable() {
    let env = vec![
        ("COCKPIT_MARKET_INTERVAL".to_string(), "7m".to_string()),
        ("COCKPIT_RISK_MAX_LEVRAGE".to_string(), "3".to_string()),
        ("COCKPIT_UI_MAX_FPS".to_string(), "fast".to_string()),
        ("COCKPIT_RISK_RISK_PER_TRADE".to_string(), "0.9".to_string()),
    ];
    let err = config::from_text("built-in", DEFAULT_TOML, env).unwrap_err();
    let text = problems(err);
    assert!(
        text.contains("COCKPIT_MARKET_INTERVAL: market.interval: interval `7m`"),
        "{text}"
    );
    assert!(
        text.contains("COCKPIT_RISK_MAX_LEVRAGE: risk.max_levrage: unknown key"),
        "{text}"
    );
    assert!(
        text.contains("COCKPIT_UI_MAX_FPS: ui.max_fps: invalid type"),
        "{text}"
    );
    // Range problems are found after merging and still name the variable.
    let env = vec![("COCKPIT_RISK_RISK_PER_TRADE".to_string(), "0.9".to_string())];
    let text = problems(config::from_text("built-in", DEFAULT_TOML, env).unwrap_err());
    assert!(
        text.contains("COCKPIT_RISK_RISK_PER_TRADE: risk.risk_per_trade: 0.9 must be in (0, 0.1]"),
        "{text}"
    );
}

fn cockpit() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cockpit"));
    // Tests must not read the developer's own config or credentials.
    cmd.env("XDG_CONFIG_HOME", "/nonexistent-cockpit-test-config")
        .env_remove("COCKPIT_BINANCE_API_KEY")
        .env_remove("COCKPIT_BINANCE_API_SECRET");
    cmd
}

#[test]
fn config_check_prints_the_effective_config_with_secrets_redacted() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/valid_configs/local_exchange.toml");
    let out = cockpit()
        .args(["config", "check"])
        .arg(&path)
        .env("COCKPIT_UI_MAX_FPS", "25")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("rest_url = \"http://127.0.0.1:9000\""),
        "{stdout}"
    );
    assert!(stdout.contains("api_key = \"***\""), "{stdout}");
    assert!(stdout.contains("max_fps = 25"), "{stdout}");
    assert!(stdout.contains("COCKPIT_UI_MAX_FPS"), "{stdout}");
    assert!(!stdout.contains("test-secret"), "secret leaked: {stdout}");
    assert!(!stdout.contains("test-key"), "key leaked: {stdout}");
}

#[test]
fn config_check_lists_problems_and_exits_2() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/invalid_configs/many_problems.toml");
    let out = cockpit()
        .args(["config", "check"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.lines().count() >= 7, "{stderr}");
    assert!(stderr.lines().all(|l| l.starts_with("error: ")), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn lookup_uses_the_user_config_dir_then_built_in_defaults() {
    let home = tempfile::tempdir().unwrap();
    let out = cockpit()
        .args(["config", "check"])
        .env("XDG_CONFIG_HOME", home.path())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("from built-in defaults"));

    let dir = home.path().join("cockpit");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), "[market]\ninterval = \"4h\"\n").unwrap();
    let out = cockpit()
        .args(["config", "check"])
        .env("XDG_CONFIG_HOME", home.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("(user config)"), "{stdout}");
    assert!(stdout.contains("interval = \"4h\""), "{stdout}");

    // --config wins over the user config.
    let explicit = home.path().join("explicit.toml");
    std::fs::write(&explicit, "[market]\ninterval = \"1d\"\n").unwrap();
    let out = cockpit()
        .arg("--config")
        .arg(&explicit)
        .args(["config", "check"])
        .env("XDG_CONFIG_HOME", home.path())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("interval = \"1d\""));
}

#[test]
fn a_missing_config_file_is_one_line_and_exit_2() {
    let out = cockpit()
        .args(["--config", "/nonexistent/cockpit.toml", "config", "check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("cannot read config file /nonexistent/cockpit.toml"),
        "{stderr}"
    );
}
