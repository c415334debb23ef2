//! Finding, reading and merging the configuration: file, then environment.
//!
//! Lookup: `--config FILE`, else the user's config dir (`directories`), else the
//! built-in defaults (equal to the project's `config.toml`). Then every
//! `COCKPIT_<SECTION>_<KEY>` variable overrides its key.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use toml::{Table, Value};

use super::problem::{ConfigError, Problem};
use super::sections::*;
use crate::indicators::IndicatorParams;
use crate::market::demo::DemoParams;

/// The documented defaults, shipped inside the binary.
pub const DEFAULT_TOML: &str = include_str!("../../config.toml");

const ENV_PREFIX: &str = "COCKPIT_";

/// Where the configuration came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// Named with `--config`.
    Explicit(PathBuf),
    /// Found in the user's config directory.
    UserDir(PathBuf),
    BuiltIn,
}

impl ConfigSource {
    pub fn describe(&self) -> String {
        match self {
            ConfigSource::Explicit(p) => p.display().to_string(),
            ConfigSource::UserDir(p) => format!("{} (user config)", p.display()),
            ConfigSource::BuiltIn => "built-in defaults".to_string(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    pub source: ConfigSource,
    /// Environment variables that changed a key, by name.
    pub overrides: Vec<String>,
}

/// The user's config file path (`~/.config/cockpit/config.toml` on Linux).
pub fn user_config_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "cockpit").map(|d| d.config_dir().join("config.toml"))
}

/// Loads following the lookup order; `env` is the process environment (passed
/// in so that tests need not mutate it).
pub fn load(
    explicit: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Loaded, ConfigError> {
    let source = match explicit {
        Some(p) => ConfigSource::Explicit(p.to_path_buf()),
        None => match user_config_path().filter(|p| p.is_file()) {
            Some(p) => ConfigSource::UserDir(p),
            None => ConfigSource::BuiltIn,
        },
    };
    let (name, text) = match &source {
        ConfigSource::Explicit(p) | ConfigSource::UserDir(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| ConfigError::Read {
                path: p.display().to_string(),
                reason: e.to_string(),
            })?;
            (p.display().to_string(), text)
        }
        ConfigSource::BuiltIn => ("built-in config.toml".to_string(), DEFAULT_TOML.to_string()),
    };
    let (config, overrides) = from_text(&name, &text, env)?;
    Ok(Loaded {
        config,
        source,
        overrides,
    })
}

/// Parses `text` (named `name` in messages), applies environment overrides and
/// validates. Every problem found is returned together.
pub fn from_text(
    name: &str,
    text: &str,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<(Config, Vec<String>), ConfigError> {
    let mut root: Table = text
        .parse()
        .map_err(|e: toml::de::Error| ConfigError::Syntax {
            path: name.to_string(),
            reason: one_line(&e.to_string()),
        })?;
    let mut problems = Vec::new();
    let at = |key: &str, line: Option<usize>, message: String| Problem {
        source: name.to_string(),
        line,
        key: key.to_string(),
        message,
    };

    for (section, value) in &root {
        if !SECTIONS.contains(&section.as_str()) {
            problems.push(at(
                section,
                locate(text, section, None),
                format!(
                    "unknown section [{section}]; known sections: {}",
                    SECTIONS.join(", ")
                ),
            ));
            continue;
        }
        let Some(table) = value.as_table() else {
            problems.push(at(
                section,
                locate(text, section, None),
                "must be a [section] table".into(),
            ));
            continue;
        };
        for (key, v) in table {
            if let Err(message) = probe(section, key, v.clone()) {
                problems.push(at(
                    &format!("{section}.{key}"),
                    locate(text, section, Some(key)),
                    message,
                ));
            }
        }
    }

    let mut overrides = Vec::new();
    let defaults = default_table();
    for (var, raw) in env {
        let Some((section, key)) = env_key(&var) else {
            continue;
        };
        let env_problem = |message: String| Problem {
            source: var.clone(),
            line: None,
            key: format!("{section}.{key}"),
            message,
        };
        let Some(default) = defaults.get(section).and_then(|s| s.get(&key)) else {
            let known = defaults
                .get(section)
                .and_then(Value::as_table)
                .map(|t| t.keys().cloned().collect::<Vec<_>>().join(", "))
                .unwrap_or_default();
            problems.push(env_problem(format!(
                "unknown key; known keys in [{section}]: {known}"
            )));
            continue;
        };
        let value = env_value(default, &raw);
        if let Err(message) = probe(section, &key, value.clone()) {
            problems.push(env_problem(message));
            continue;
        }
        if let Some(t) = root
            .entry(section.to_string())
            .or_insert_with(|| Value::Table(Table::new()))
            .as_table_mut()
        {
            t.insert(key, value);
        }
        overrides.push(var.clone());
    }

    if !problems.is_empty() {
        return Err(ConfigError::Invalid(problems));
    }
    let config: Config = Value::Table(root)
        .try_into()
        .map_err(|e: toml::de::Error| {
            ConfigError::Invalid(vec![at("config", None, one_line(&e.to_string()))])
        })?;
    let findings = config.validate();
    if !findings.is_empty() {
        let mut problems: Vec<Problem> = findings
            .into_iter()
            .map(|(key, message)| {
                let (section, leaf) = key.split_once('.').unwrap_or((key.as_str(), ""));
                let line = locate(text, section, Some(leaf));
                let source = overrides
                    .iter()
                    .find(|v| env_key(v).is_some_and(|(s, k)| s == section && k == leaf))
                    .cloned()
                    .unwrap_or_else(|| name.to_string());
                let line = if source == name { line } else { None };
                Problem {
                    source,
                    line,
                    key,
                    message,
                }
            })
            .collect();
        problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
        return Err(ConfigError::Invalid(problems));
    }
    Ok((config, overrides))
}

/// The sections a config file may have, in `config.toml` order.
pub const SECTIONS: [&str; 11] = [
    "market",
    "demo",
    "indicators",
    "strategy",
    "risk",
    "paper",
    "engine",
    "binance",
    "ai",
    "paths",
    "ui",
];

/// Deserializes `section` with only `key` set, so each bad key gets its own message.
fn probe(section: &str, key: &str, value: Value) -> Result<(), String> {
    let mut t = Table::new();
    t.insert(key.to_string(), value);
    let v = Value::Table(t);
    fn check<T: DeserializeOwned>(v: Value) -> Result<(), String> {
        v.try_into::<T>()
            .map(drop)
            .map_err(|e| one_line(&e.to_string()))
    }
    match section {
        "market" => check::<MarketConfig>(v),
        "demo" => check::<DemoParams>(v),
        "indicators" => check::<IndicatorParams>(v),
        "strategy" => check::<StrategyConfig>(v),
        "risk" => check::<RiskConfig>(v),
        "paper" => check::<PaperConfig>(v),
        "engine" => check::<EngineConfig>(v),
        "binance" => check::<BinanceConfig>(v),
        "ai" => check::<AiConfig>(v),
        "paths" => check::<PathsConfig>(v),
        "ui" => check::<UiConfig>(v),
        other => Err(format!("unknown section [{other}]")),
    }
}

fn default_table() -> Table {
    match Value::try_from(Config::default()) {
        Ok(Value::Table(t)) => t,
        _ => Table::new(),
    }
}

/// `COCKPIT_RISK_MAX_LEVERAGE` → ("risk", "max_leverage"); None for variables
/// that name no config section (e.g. `COCKPIT_SHARED_DATA`).
fn env_key(var: &str) -> Option<(&'static str, String)> {
    let rest = var.strip_prefix(ENV_PREFIX)?;
    SECTIONS.iter().find_map(|s| {
        let key = rest
            .strip_prefix(&s.to_ascii_uppercase())?
            .strip_prefix('_')?;
        (!key.is_empty()).then(|| (*s, key.to_ascii_lowercase()))
    })
}

/// Reads an environment string with the type the key has by default: lists are
/// comma-separated, strings are taken as they are, the rest parsed as TOML.
fn env_value(default: &Value, raw: &str) -> Value {
    match default {
        Value::Array(items) => {
            let element = items
                .first()
                .cloned()
                .unwrap_or(Value::String(String::new()));
            Value::Array(
                raw.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| env_value(&element, s))
                    .collect(),
            )
        }
        Value::String(_) => Value::String(raw.to_string()),
        _ => format!("v = {raw}")
            .parse::<Table>()
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| Value::String(raw.to_string())),
    }
}

/// The 1-based line where `[section]` (or `key` inside it) is written.
fn locate(text: &str, section: &str, key: Option<&str>) -> Option<usize> {
    let mut current = String::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.split(']').next()) {
            current = header.trim().to_string();
            if key.is_none() && current == section {
                return Some(i + 1);
            }
            continue;
        }
        if let Some(key) = key
            && current == section
            && let Some(rest) = line.strip_prefix(key)
            && rest.trim_start().starts_with('=')
        {
            return Some(i + 1);
        }
    }
    None
}

fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_keys_split_at_the_section() {
        assert_eq!(
            env_key("COCKPIT_RISK_MAX_OPEN_POSITIONS"),
            Some(("risk", "max_open_positions".into()))
        );
        assert_eq!(
            env_key("COCKPIT_MARKET_SYMBOLS"),
            Some(("market", "symbols".into()))
        );
        assert_eq!(env_key("COCKPIT_SHARED_DATA"), None);
        assert_eq!(env_key("COCKPIT_RISK_"), None);
        assert_eq!(env_key("OTHER_RISK_X"), None);
    }

    #[test]
    fn locate_finds_keys_in_their_section_only() {
        let text = "[market]\ninterval = \"1m\"\n\n[ui]\n  max_fps=30\ninterval_x = 1\n";
        assert_eq!(locate(text, "market", Some("interval")), Some(2));
        assert_eq!(locate(text, "ui", Some("max_fps")), Some(5));
        assert_eq!(locate(text, "ui", Some("interval")), None);
        assert_eq!(locate(text, "ui", None), Some(4));
    }
}
