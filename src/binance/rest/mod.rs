//! The REST client: signing, the server clock offset, rate limits, the ban
//! and the retry policy around every request, then one typed method per
//! endpoint the bot uses (`endpoints.rs`).

mod endpoints;
mod send;
pub mod throttle;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use endpoints::{AlgoOrderParams, MAX_KLINES, NewOrderParams};

use super::retry::RetryPolicy;
use crate::config::Secret;
use throttle::{Limits, Throttle};

/// Milliseconds since the Unix epoch. The system clock in the cockpit; the
/// fake exchange's clock in tests.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    })
}

/// The account's API key and secret. Both are [`Secret`]s: they print as `***`.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub key: Secret,
    pub secret: Secret,
}

#[derive(Debug, Clone)]
pub struct RestConfig {
    /// `https://demo-fapi.binance.com`, `https://fapi.binance.com`, or loopback in tests.
    pub base_url: String,
    pub recv_window_ms: u64,
    /// After this an order request's outcome is unknown.
    pub timeout: Duration,
    pub retry: RetryPolicy,
}

impl RestConfig {
    pub fn new(base_url: impl Into<String>) -> RestConfig {
        RestConfig {
            base_url: base_url.into(),
            recv_window_ms: 5_000,
            timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
        }
    }
}

pub struct RestClient {
    http: reqwest::Client,
    base: String,
    credentials: Option<Credentials>,
    recv_window_ms: u64,
    retry: RetryPolicy,
    clock: Clock,
    /// Server time minus our clock, measured by `sync_time`.
    offset_ms: AtomicI64,
    throttle: Mutex<Throttle>,
}

impl std::fmt::Debug for RestClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestClient")
            .field("base", &self.base)
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

impl RestClient {
    /// Without credentials only the public market endpoints work.
    pub fn new(
        config: RestConfig,
        credentials: Option<Credentials>,
        clock: Clock,
    ) -> Result<RestClient, super::BinanceError> {
        crate::binance::tls::install_provider();
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("cockpit/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| super::BinanceError::Connection(e.to_string()))?;
        Ok(RestClient {
            http,
            base: config.base_url.trim_end_matches('/').to_string(),
            credentials,
            recv_window_ms: config.recv_window_ms,
            retry: config.retry,
            clock,
            offset_ms: AtomicI64::new(0),
            throttle: Mutex::new(Throttle::default()),
        })
    }

    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }

    pub fn has_credentials(&self) -> bool {
        self.credentials.is_some()
    }

    /// Our clock corrected to the server's.
    pub fn server_now(&self) -> i64 {
        (self.clock)() + self.offset_ms.load(Ordering::Relaxed)
    }

    pub fn clock_offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }

    pub fn set_limits(&self, limits: Limits) {
        self.throttle().limits = limits;
    }

    /// The end of a 418 ban still running, for the header.
    pub fn banned_until(&self) -> Option<i64> {
        let now = self.server_now();
        self.throttle().banned_until(now)
    }

    pub fn used_weight(&self) -> u32 {
        let now = self.server_now();
        self.throttle().used_weight(now)
    }

    fn throttle(&self) -> std::sync::MutexGuard<'_, Throttle> {
        // The throttle holds counters only; a panic elsewhere cannot leave
        // it in a state worse than slightly wrong counts.
        self.throttle.lock().unwrap_or_else(|p| p.into_inner())
    }
}
