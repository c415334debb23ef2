use thiserror::Error;

/// Why a domain value could not be built. Each message says what was wrong and
/// what a valid value looks like.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    #[error("{what} must not be negative, got {value}")]
    Negative { what: &'static str, value: String },
    #[error("`{0}` is not a number")]
    NotANumber(String),
    #[error(
        "interval `{0}` is not a Binance kline interval; use one of 1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 8h, 12h, 1d"
    )]
    UnknownInterval(String),
    #[error("symbol `{0}` is not valid; use upper-case letters and digits, e.g. BTCUSDT")]
    BadSymbol(String),
    #[error("mode `{0}` is not known; use shadow, paper or live")]
    UnknownMode(String),
    #[error("{what} must be greater than zero, got {value}")]
    NotPositive { what: &'static str, value: String },
    #[error("candle at {open_time_ms}: {problem}")]
    BadCandle { open_time_ms: i64, problem: String },
}
