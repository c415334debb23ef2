//! What can go wrong talking to Binance, as one taxonomy for the adapter:
//! the venue's error codes that change what the bot does get a name, the
//! rest keep their code and message; transport failures say whether an order
//! may exist after them.

use serde::Deserialize;
use thiserror::Error;

use super::wire::de;

/// The 503 message Binance sends when it forwarded the request but did not
/// hear back in time: the order may have been placed.
pub const UNKNOWN_ERROR_MSG: &str = "Unknown error, please check your request or try again later.";

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BinanceError {
    #[error(
        "Binance -1003 too many requests: {msg}; slow down and use the WebSocket streams instead of polling"
    )]
    TooManyRequests { msg: String },
    #[error(
        "Binance -1021 timestamp outside recvWindow: {msg}; re-sync the clock offset from GET /fapi/v1/time"
    )]
    TimestampOutsideRecvWindow { msg: String },
    #[error(
        "Binance -1022 bad signature: {msg}; check binance.api_secret (or COCKPIT_BINANCE_API_SECRET) and that the signed text is exactly the text sent"
    )]
    BadSignature { msg: String },
    #[error(
        "Binance -1111 precision: {msg}; round the price to tickSize and the quantity to stepSize"
    )]
    Precision { msg: String },
    #[error("Binance -2011 unknown order: {msg} (already filled, cancelled or never placed)")]
    UnknownOrder { msg: String },
    #[error("Binance -2019 margin insufficient: {msg}")]
    MarginInsufficient { msg: String },
    #[error(
        "Binance -2022 reduce-only order rejected: {msg} (no position to reduce, or the order would grow it)"
    )]
    ReduceOnlyRejected { msg: String },
    #[error(
        "Binance -4116 duplicated client order id: {msg}; an open order already has this id, query it instead of sending again"
    )]
    DuplicatedClientOrderId { msg: String },
    #[error(
        "Binance -4120 use the algo endpoint: {msg}; conditional orders go to POST /fapi/v1/algoOrder"
    )]
    UseAlgoEndpoint { msg: String },
    #[error("Binance -4131 PERCENT_PRICE: {msg}; the book is too thin for a market order now")]
    PercentPrice { msg: String },
    #[error("Binance -4164 notional too small: {msg}")]
    NotionalTooSmall { msg: String },
    #[error("Binance error {code}: {msg}")]
    Other { code: i64, msg: String },
    #[error("rate limited by Binance (HTTP 429){}", after(*.retry_after_ms))]
    RateLimited { retry_after_ms: Option<u64> },
    #[error(
        "IP banned by Binance (HTTP 418){}{}: send nothing until then",
        until(*.until_ms),
        after(*.retry_after_ms)
    )]
    Banned {
        /// From the message ("IP banned until 1787546698129"), milliseconds.
        until_ms: Option<i64>,
        /// From the `Retry-After` header.
        retry_after_ms: Option<u64>,
    },
    #[error("request to Binance timed out; an order it carried may exist")]
    Timeout,
    #[error("connection to Binance failed: {0}; an order it carried may exist")]
    Connection(String),
    #[error("Binance server error HTTP {status}: {msg}; an order it carried may exist")]
    Server { status: u16, msg: String },
    #[error("unexpected data from Binance: {0}")]
    Decode(String),
}

fn after(ms: Option<u64>) -> String {
    ms.map(|ms| format!(", retry after {ms} ms"))
        .unwrap_or_default()
}

fn until(ms: Option<i64>) -> String {
    ms.map(|ms| format!(" until {} UTC", crate::domain::time::format_utc(ms)))
        .unwrap_or_default()
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(deserialize_with = "de::int")]
    code: i64,
    #[serde(default)]
    msg: String,
}

impl BinanceError {
    /// The error for an HTTP response that was not a success: the status
    /// decides first (429, 418, 5xx), then the body's `code`.
    /// `retry_after_secs` is the `Retry-After` header, when there is one.
    pub fn from_response(status: u16, body: &str, retry_after_secs: Option<u64>) -> BinanceError {
        let parsed = serde_json::from_str::<ErrorBody>(body).ok();
        let retry_after_ms = retry_after_secs.map(|s| s.saturating_mul(1000));
        match status {
            429 => BinanceError::RateLimited { retry_after_ms },
            418 => BinanceError::Banned {
                until_ms: parsed.as_ref().and_then(|b| banned_until(&b.msg)),
                retry_after_ms,
            },
            500..=599 => BinanceError::Server {
                status,
                msg: parsed.map(|b| b.msg).unwrap_or_else(|| de::excerpt(body)),
            },
            _ => match parsed {
                Some(b) => BinanceError::from_code(b.code, b.msg),
                None => BinanceError::Decode(format!(
                    "HTTP {status} without a Binance error body: `{}`",
                    de::excerpt(body)
                )),
            },
        }
    }

    /// The error for a Binance error code, as found in an error body or in
    /// one element of a batch response.
    pub fn from_code(code: i64, msg: String) -> BinanceError {
        match code {
            -1003 => BinanceError::TooManyRequests { msg },
            -1021 => BinanceError::TimestampOutsideRecvWindow { msg },
            -1022 => BinanceError::BadSignature { msg },
            -1111 => BinanceError::Precision { msg },
            -2011 => BinanceError::UnknownOrder { msg },
            -2019 => BinanceError::MarginInsufficient { msg },
            -2022 => BinanceError::ReduceOnlyRejected { msg },
            -4116 => BinanceError::DuplicatedClientOrderId { msg },
            -4120 => BinanceError::UseAlgoEndpoint { msg },
            -4131 => BinanceError::PercentPrice { msg },
            -4164 => BinanceError::NotionalTooSmall { msg },
            code => BinanceError::Other { code, msg },
        }
    }

    /// Binance's error code, for the errors that carry one.
    pub fn code(&self) -> Option<i64> {
        Some(match self {
            BinanceError::TooManyRequests { .. } => -1003,
            BinanceError::TimestampOutsideRecvWindow { .. } => -1021,
            BinanceError::BadSignature { .. } => -1022,
            BinanceError::Precision { .. } => -1111,
            BinanceError::UnknownOrder { .. } => -2011,
            BinanceError::MarginInsufficient { .. } => -2019,
            BinanceError::ReduceOnlyRejected { .. } => -2022,
            BinanceError::DuplicatedClientOrderId { .. } => -4116,
            BinanceError::UseAlgoEndpoint { .. } => -4120,
            BinanceError::PercentPrice { .. } => -4131,
            BinanceError::NotionalTooSmall { .. } => -4164,
            BinanceError::Other { code, .. } => *code,
            _ => return None,
        })
    }

    /// After an order request: the order may exist. It stays in flight until
    /// a query by client order id or the user-data stream settles it; it is
    /// never sent again blindly. Every 5xx counts, the 503 "Unknown error"
    /// included: a 5xx body cannot prove that nothing was placed.
    pub fn is_unknown_outcome(&self) -> bool {
        matches!(
            self,
            BinanceError::Timeout | BinanceError::Connection(_) | BinanceError::Server { .. }
        )
    }

    /// A read (GET) that failed this way may be sent again: after the wait
    /// the error names (429, -1003), after a clock re-sync (-1021), or at once
    /// with backoff (timeout, dropped connection, 5xx). A ban, a bad signature
    /// or a request Binance refused would only fail again.
    pub fn is_retryable_read(&self) -> bool {
        matches!(
            self,
            BinanceError::Timeout
                | BinanceError::Connection(_)
                | BinanceError::Server { .. }
                | BinanceError::RateLimited { .. }
                | BinanceError::TooManyRequests { .. }
                | BinanceError::TimestampOutsideRecvWindow { .. }
        )
    }
}

/// The ban's end from "IP banned until 1787546698129".
fn banned_until(msg: &str) -> Option<i64> {
    let rest = &msg[msg.find("until")? + "until".len()..];
    let digits: String = rest
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_decides_before_the_code() {
        let body = r#"{"code":-1003,"msg":"Too many requests."}"#;
        assert_eq!(
            BinanceError::from_response(429, body, Some(7)),
            BinanceError::RateLimited {
                retry_after_ms: Some(7000)
            }
        );
        assert_eq!(
            BinanceError::from_response(400, body, None),
            BinanceError::TooManyRequests {
                msg: "Too many requests.".into()
            }
        );
    }

    #[test]
    fn a_ban_reads_its_end_from_the_message() {
        let body = r#"{"code":-1003,"msg":"Way too many requests; IP banned until 1787546698129. Please use the websocket."}"#;
        let e = BinanceError::from_response(418, body, Some(120));
        assert_eq!(
            e,
            BinanceError::Banned {
                until_ms: Some(1_787_546_698_129),
                retry_after_ms: Some(120_000)
            }
        );
        assert!(e.to_string().contains("until 2026-"), "{e}");
        assert_eq!(
            BinanceError::from_response(418, "", None),
            BinanceError::Banned {
                until_ms: None,
                retry_after_ms: None
            }
        );
    }

    #[test]
    fn every_5xx_is_an_unknown_outcome_and_keeps_its_message() {
        let body = format!(r#"{{"code":-1000,"msg":"{UNKNOWN_ERROR_MSG}"}}"#);
        let e = BinanceError::from_response(503, &body, None);
        assert_eq!(
            e,
            BinanceError::Server {
                status: 503,
                msg: UNKNOWN_ERROR_MSG.into()
            }
        );
        assert!(e.is_unknown_outcome() && e.is_retryable_read());
        let e = BinanceError::from_response(502, "<html>Bad Gateway</html>", None);
        assert_eq!(
            e,
            BinanceError::Server {
                status: 502,
                msg: "<html>Bad Gateway</html>".into()
            }
        );
        assert!(e.is_unknown_outcome());
    }

    #[test]
    fn a_rejection_is_a_known_outcome() {
        for e in [
            BinanceError::from_code(-2019, "Margin is insufficient.".into()),
            BinanceError::RateLimited {
                retry_after_ms: None,
            },
            BinanceError::Decode("x".into()),
        ] {
            assert!(!e.is_unknown_outcome(), "{e}");
        }
        assert!(BinanceError::Timeout.is_unknown_outcome());
        assert!(BinanceError::Connection("reset".into()).is_unknown_outcome());
    }

    #[test]
    fn reads_are_retried_only_when_a_retry_can_succeed() {
        assert!(BinanceError::from_code(-1021, String::new()).is_retryable_read());
        assert!(!BinanceError::from_code(-1022, String::new()).is_retryable_read());
        assert!(
            !BinanceError::Banned {
                until_ms: None,
                retry_after_ms: None
            }
            .is_retryable_read()
        );
        assert!(!BinanceError::from_code(-2011, String::new()).is_retryable_read());
    }

    #[test]
    fn a_4xx_without_a_binance_body_is_a_decode_error_with_an_excerpt() {
        let e = BinanceError::from_response(404, "<html>Not Found</html>", None);
        assert_eq!(
            e,
            BinanceError::Decode(
                "HTTP 404 without a Binance error body: `<html>Not Found</html>`".into()
            )
        );
        assert_eq!(e.code(), None);
    }

    #[test]
    fn codes_round_trip_and_unknown_codes_keep_code_and_message() {
        for code in [
            -1003, -1021, -1022, -1111, -2011, -2019, -2022, -4116, -4120, -4131, -4164, -2015,
        ] {
            assert_eq!(BinanceError::from_code(code, "m".into()).code(), Some(code));
        }
        assert_eq!(
            BinanceError::from_response(401, r#"{"code":"-2015","msg":"Invalid API-key"}"#, None),
            BinanceError::Other {
                code: -2015,
                msg: "Invalid API-key".into()
            }
        );
    }
}
