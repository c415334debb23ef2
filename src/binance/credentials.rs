//! The live-mode guard: where API keys may come from, and the named choice
//! of mainnet. Keys come from `BINANCE_API_KEY` / `BINANCE_API_SECRET` or
//! from a key file only its owner can read; never from the config file,
//! which is easily world-readable or committed.

use std::path::Path;

use super::rest::Credentials;
use crate::config::{BinanceConfig, Network, Secret};

pub const KEY_VAR: &str = "BINANCE_API_KEY";
pub const SECRET_VAR: &str = "BINANCE_API_SECRET";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CredentialError {
    #[error(
        "live trading needs API keys: export {KEY_VAR} and {SECRET_VAR}, or set binance.key_file to a file with the key and the secret on two lines (chmod 600)"
    )]
    Missing,
    #[error("only one of {KEY_VAR} and {SECRET_VAR} is set: set both")]
    Half,
    #[error(
        "binance.api_key/api_secret in the config file are not used for trading: move them to {KEY_VAR}/{SECRET_VAR} or a chmod-600 binance.key_file, and delete them from the file"
    )]
    InConfigFile,
    #[error("binance.key_file {path}: {problem}")]
    KeyFile { path: String, problem: String },
    #[error(
        "binance.network = \"mainnet\" trades real money: it needs binance.allow_mainnet = true in the config AND --mainnet on the command line"
    )]
    MainnetNotConfirmed,
    #[error(
        "binance.{field} = {url} is a mainnet host but binance.network is testnet: use the testnet host, or choose mainnet by name (network = \"mainnet\", allow_mainnet = true, --mainnet)"
    )]
    MainnetHostOnTestnet { field: &'static str, url: String },
}

/// The API keys for live trading.
pub fn load(
    config: &BinanceConfig,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Credentials, CredentialError> {
    let var = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    match (var(KEY_VAR), var(SECRET_VAR)) {
        (Some(key), Some(secret)) => {
            return Ok(Credentials {
                key: Secret::new(key.trim()),
                secret: Secret::new(secret.trim()),
            });
        }
        (Some(_), None) | (None, Some(_)) => return Err(CredentialError::Half),
        (None, None) => {}
    }
    if !config.key_file.is_empty() {
        return from_file(Path::new(&config.key_file));
    }
    if config.api_key.is_set() || config.api_secret.is_set() {
        return Err(CredentialError::InConfigFile);
    }
    Err(CredentialError::Missing)
}

fn from_file(path: &Path) -> Result<Credentials, CredentialError> {
    let problem = |problem: String| CredentialError::KeyFile {
        path: path.display().to_string(),
        problem,
    };
    let meta = std::fs::metadata(path).map_err(|e| problem(e.to_string()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(problem(format!(
                "readable by others (mode {mode:o}); run chmod 600 {}",
                path.display()
            )));
        }
    }
    let text = std::fs::read_to_string(path).map_err(|e| problem(e.to_string()))?;
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    match (lines.next(), lines.next()) {
        (Some(key), Some(secret)) => Ok(Credentials {
            key: Secret::new(key),
            secret: Secret::new(secret),
        }),
        _ => Err(problem(
            "needs the API key on the first line and the secret on the second".into(),
        )),
    }
}

/// Mainnet is a named choice: the config says so and the command line
/// confirms it; a mainnet host is never reached under a testnet name.
pub fn check_network(config: &BinanceConfig, mainnet_flag: bool) -> Result<(), CredentialError> {
    if config.network == Network::Mainnet {
        return if config.allow_mainnet && mainnet_flag {
            Ok(())
        } else {
            Err(CredentialError::MainnetNotConfirmed)
        };
    }
    for (field, url) in [("rest_url", &config.rest_url), ("ws_url", &config.ws_url)] {
        let host = url
            .split("://")
            .nth(1)
            .unwrap_or(url)
            .split(['/', ':'])
            .next()
            .unwrap_or("");
        if matches!(host, "fapi.binance.com" | "fstream.binance.com") {
            return Err(CredentialError::MainnetHostOnTestnet {
                field,
                url: url.clone(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn keys_from_the_environment_never_print() {
        let env = |n: &str| Some(format!("value-of-{n}"));
        let c = load(&BinanceConfig::default(), env).unwrap();
        assert_eq!(c.key.expose(), "value-of-BINANCE_API_KEY");
        let shown = format!("{c:?}");
        assert!(!shown.contains("value-of"), "{shown}");
    }

    #[test]
    fn half_a_pair_missing_keys_and_keys_in_the_config_are_refused() {
        let only_key = |n: &str| (n == KEY_VAR).then(|| "k".to_string());
        assert_eq!(
            load(&BinanceConfig::default(), only_key).unwrap_err(),
            CredentialError::Half
        );
        assert_eq!(
            load(&BinanceConfig::default(), no_env).unwrap_err(),
            CredentialError::Missing
        );
        let config = BinanceConfig {
            api_key: Secret::new("k"),
            ..BinanceConfig::default()
        };
        assert_eq!(
            load(&config, no_env).unwrap_err(),
            CredentialError::InConfigFile
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_must_be_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys");
        std::fs::write(&path, "the-key\nthe-secret\n").unwrap();
        let config = BinanceConfig {
            key_file: path.display().to_string(),
            ..BinanceConfig::default()
        };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = load(&config, no_env).unwrap_err().to_string();
        assert!(e.contains("chmod 600") && e.contains("644"), "{e}");
        assert!(!e.contains("the-secret"), "{e}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let c = load(&config, no_env).unwrap();
        assert_eq!(
            (c.key.expose(), c.secret.expose()),
            ("the-key", "the-secret")
        );
    }

    #[test]
    fn mainnet_is_a_named_choice() {
        let mut config = BinanceConfig::default();
        assert!(check_network(&config, false).is_ok());
        config.rest_url = "https://fapi.binance.com".into();
        assert!(matches!(
            check_network(&config, true),
            Err(CredentialError::MainnetHostOnTestnet { .. })
        ));
        config.network = Network::Mainnet;
        assert_eq!(
            check_network(&config, true),
            Err(CredentialError::MainnetNotConfirmed)
        );
        config.allow_mainnet = true;
        assert_eq!(
            check_network(&config, false),
            Err(CredentialError::MainnetNotConfirmed)
        );
        assert!(check_network(&config, true).is_ok());
    }
}
