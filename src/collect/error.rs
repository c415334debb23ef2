//! Why a download did not start or did not finish, each with what to do
//! about it and the exit code it leaves with.

use std::path::PathBuf;

use thiserror::Error;

use super::resume::ResumeError;
use crate::binance::BinanceError;

/// Exit code for bad input (arguments, an output file that cannot be resumed).
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit code for an exchange, network or disk failure.
pub const EXIT_FAILURE: u8 = 1;
/// Exit code after Ctrl-C (128 + SIGINT), as shells report it.
pub const EXIT_INTERRUPTED: u8 = 130;

#[derive(Debug, Error)]
pub enum DownloadError {
    #[error("{0}")]
    BadInput(String),
    #[error(transparent)]
    Resume(#[from] ResumeError),
    #[error(
        "cannot write {path}: {source}; the rows before this page are in the file: free the space or fix the permissions, then run the same command again to resume"
    )]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", advice(.error, .url))]
    Exchange { error: BinanceError, url: String },
    #[error(
        "interrupted: every complete page is in the file; run the same command again to resume"
    )]
    Interrupted,
}

impl DownloadError {
    pub fn exit_code(&self) -> u8 {
        match self {
            DownloadError::BadInput(_) => EXIT_BAD_INPUT,
            DownloadError::Resume(ResumeError::Malformed { .. }) => EXIT_BAD_INPUT,
            DownloadError::Interrupted => EXIT_INTERRUPTED,
            _ => EXIT_FAILURE,
        }
    }
}

const RESUME: &str = "run the same command again to resume after the last bar written";

/// Binance's error, said for a download, with the next step.
fn advice(error: &BinanceError, url: &str) -> String {
    match error {
        BinanceError::Banned { .. } => format!(
            "{error}. The download stopped; wait until the ban is over (a ban grows if requests continue), then {RESUME}"
        ),
        BinanceError::RateLimited { .. } | BinanceError::TooManyRequests { .. } => format!(
            "{error}. Binance still refused after the client's retries: wait a minute, then {RESUME}"
        ),
        BinanceError::Timeout => format!(
            "Binance at {url} did not answer in time, even after retries: check the network, then {RESUME}"
        ),
        BinanceError::Connection(why) => format!(
            "cannot reach Binance at {url}: {why}; check the network and binance.rest_url (or COCKPIT_BINANCE_REST_URL), then {RESUME}"
        ),
        BinanceError::Server { status, msg } => format!(
            "Binance at {url} answered HTTP {status} ({msg}) even after retries: it may be in maintenance; {RESUME} later"
        ),
        BinanceError::Decode(_) => format!(
            "{error}; nothing of that answer was written. Check that binance.rest_url ({url}) is a Binance USD-M Futures API"
        ),
        other => format!(
            "Binance refused the request: {other}. Check --symbol and --interval (and binance.rest_url, now {url})"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(error: BinanceError) -> DownloadError {
        DownloadError::Exchange {
            error,
            url: "http://127.0.0.1:9".into(),
        }
    }

    #[test]
    fn a_ban_says_to_wait_and_run_again() {
        let e = exchange(BinanceError::Banned {
            until_ms: Some(1_704_067_200_000),
            retry_after_ms: None,
        });
        let text = e.to_string();
        assert!(text.contains("HTTP 418"), "{text}");
        assert!(text.contains("2024-01-01 00:00:00 UTC"), "{text}");
        assert!(text.contains("wait until the ban is over"), "{text}");
        assert!(text.contains("run the same command again"), "{text}");
        assert_eq!(e.exit_code(), EXIT_FAILURE);
    }

    #[test]
    fn network_failures_name_the_url_and_the_setting() {
        let text = exchange(BinanceError::Connection("refused".into())).to_string();
        assert!(text.contains("http://127.0.0.1:9"), "{text}");
        assert!(text.contains("COCKPIT_BINANCE_REST_URL"), "{text}");
        assert!(!text.contains("order"), "{text}");
    }

    #[test]
    fn an_unknown_symbol_points_at_the_arguments() {
        let text = exchange(BinanceError::Other {
            code: -1121,
            msg: "Invalid symbol.".into(),
        })
        .to_string();
        assert!(
            text.contains("Invalid symbol") && text.contains("--symbol"),
            "{text}"
        );
    }

    #[test]
    fn exit_codes() {
        assert_eq!(DownloadError::BadInput("x".into()).exit_code(), 2);
        assert_eq!(DownloadError::Interrupted.exit_code(), 130);
        let malformed = DownloadError::Resume(ResumeError::Malformed {
            path: "f".into(),
            line: 3,
            problem: "p".into(),
        });
        assert_eq!(malformed.exit_code(), 2);
    }
}
