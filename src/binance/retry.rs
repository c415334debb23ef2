//! The one retry policy of the adapter. Every request and every reconnect
//! asks it what to do after a failure, so the rules live in one place:
//! reads and cancels are retried with capped exponential backoff and jitter;
//! a new order is never sent again blindly — after an outcome that leaves it
//! in doubt it must first be looked up by its client order id.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::BinanceError;

/// What a request does to the account, which decides how it may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// GET: no effect, safe to repeat.
    Read,
    /// DELETE of an order, keep-alives, leverage and margin settings: repeating
    /// one is harmless (a second cancel answers -2011).
    Idempotent,
    /// POST of an order: repeating one may double a position.
    NewOrder,
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Send the same request again after this wait.
    Retry(Duration),
    /// Re-sync the server clock, then send again (-1021: Binance refused the
    /// request, nothing was placed, so even an order may be re-sent).
    ResyncAndRetry,
    /// Give the error to the caller.
    GiveUp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    pub base: Duration,
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// The decision after attempt number `attempt` (1 = the first) failed.
    pub fn next(&self, kind: RequestKind, error: &BinanceError, attempt: u32) -> Next {
        if attempt >= self.max_attempts {
            return Next::GiveUp;
        }
        match error {
            BinanceError::TimestampOutsideRecvWindow { .. } => Next::ResyncAndRetry,
            // The order may exist: the caller queries it; never resent here.
            _ if kind == RequestKind::NewOrder => Next::GiveUp,
            BinanceError::RateLimited { retry_after_ms } => Next::Retry(
                retry_after_ms
                    .map(Duration::from_millis)
                    .unwrap_or_else(|| self.backoff(attempt)),
            ),
            e if e.is_retryable_read() => Next::Retry(self.backoff(attempt)),
            _ => Next::GiveUp,
        }
    }

    /// Exponential backoff with "full jitter": a random wait between half
    /// and all of `base × 2^(attempt-1)`, capped, so that many clients
    /// cut off together do not come back together.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let ceiling = exp.min(self.cap);
        let half = ceiling / 2;
        half + half.mul_f64(jitter())
    }
}

/// A number in [0, 1) that differs from call to call and from process to
/// process. Not for cryptography: it only spreads retries apart.
pub fn jitter() -> f64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut x = STATE.load(Ordering::Relaxed);
    if x == 0 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9e37_79b9_7f4a_7c15);
        x = nanos ^ u64::from(std::process::id()).rotate_left(32) | 1;
    }
    // xorshift64
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    STATE.store(x, Ordering::Relaxed);
    (x >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy::default()
    }

    #[test]
    fn a_new_order_is_never_resent_blindly() {
        for e in [
            BinanceError::Timeout,
            BinanceError::Connection("reset".into()),
            BinanceError::Server {
                status: 503,
                msg: crate::binance::error::UNKNOWN_ERROR_MSG.into(),
            },
            BinanceError::RateLimited {
                retry_after_ms: Some(10),
            },
        ] {
            assert_eq!(
                policy().next(RequestKind::NewOrder, &e, 1),
                Next::GiveUp,
                "{e}"
            );
        }
    }

    #[test]
    fn a_clock_refusal_resyncs_even_for_an_order() {
        let e = BinanceError::TimestampOutsideRecvWindow { msg: String::new() };
        assert_eq!(
            policy().next(RequestKind::NewOrder, &e, 1),
            Next::ResyncAndRetry
        );
        assert_eq!(policy().next(RequestKind::Read, &e, 5), Next::GiveUp);
    }

    #[test]
    fn reads_and_cancels_retry_on_transport_errors_and_honour_retry_after() {
        let p = policy();
        assert!(matches!(
            p.next(RequestKind::Read, &BinanceError::Timeout, 1),
            Next::Retry(_)
        ));
        assert!(matches!(
            p.next(
                RequestKind::Idempotent,
                &BinanceError::Connection("x".into()),
                2
            ),
            Next::Retry(_)
        ));
        assert_eq!(
            p.next(
                RequestKind::Read,
                &BinanceError::RateLimited {
                    retry_after_ms: Some(3000)
                },
                1
            ),
            Next::Retry(Duration::from_secs(3))
        );
        let banned = BinanceError::Banned {
            until_ms: None,
            retry_after_ms: None,
        };
        assert_eq!(p.next(RequestKind::Read, &banned, 1), Next::GiveUp);
        let refused = BinanceError::BadSignature { msg: String::new() };
        assert_eq!(p.next(RequestKind::Idempotent, &refused, 1), Next::GiveUp);
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let p = policy();
        for attempt in 1..30 {
            let d = p.backoff(attempt);
            let ceiling = (p.base * (1 << (attempt - 1).min(16))).min(p.cap);
            assert!(d >= ceiling / 2 && d <= ceiling, "attempt {attempt}: {d:?}");
        }
        let spread: std::collections::BTreeSet<_> = (0..20).map(|_| p.backoff(6)).collect();
        assert!(spread.len() > 10, "jitter spreads the waits: {spread:?}");
    }
}
