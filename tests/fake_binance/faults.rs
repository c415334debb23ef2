//! Fault injection: what the next requests get instead of (or after) a normal
//! answer, clock skew, and stream disturbances. All methods take `&self`.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Mutex, Weak};
use std::time::{Duration, Instant};

use super::{Shared, lock};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status (e.g. 502) and an HTML body, WITHOUT executing.
    Status5xx(u16),
    /// EXECUTE the request, then answer 503 with code -1000 "Unknown error…".
    Unknown503Executed,
    /// EXECUTE the request, then drop the TCP connection without any response.
    ResponseLost,
    /// EXECUTE, then answer after this (wall) delay.
    Slow(Duration),
    /// 429 + Retry-After + code -1003, WITHOUT executing.
    RateLimited { retry_after_s: u64 },
    /// Start an IP ban of `for_ms` wall milliseconds: this and every request
    /// until it ends get 418 + Retry-After + code -1003 "…banned until <ms>…",
    /// where <ms> is the exchange time at which it ends.
    Ban { for_ms: i64 },
}

/// Which requests a fault applies to; `None` matches anything. `path` is
/// compared exactly, e.g. `"/fapi/v1/order"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Matcher {
    pub method: Option<&'static str>,
    pub path: Option<&'static str>,
}

impl Matcher {
    /// Every request.
    pub const ANY: Matcher = Matcher {
        method: None,
        path: None,
    };

    /// Every method on `path`.
    pub fn path(path: &'static str) -> Matcher {
        Matcher {
            method: None,
            path: Some(path),
        }
    }

    /// `method` on `path`.
    pub fn request(method: &'static str, path: &'static str) -> Matcher {
        Matcher {
            method: Some(method),
            path: Some(path),
        }
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.method.is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self.path.is_none_or(|p| p == path)
    }
}

/// What the request gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Picked {
    /// Refused: the IP is banned for this much longer (wall time).
    Banned {
        remaining: Duration,
    },
    Fault(Fault),
}

struct NextRule {
    matcher: Matcher,
    fault: Fault,
    left: usize,
}

struct RatioRule {
    matcher: Matcher,
    fault: Fault,
    ratio: f64,
    rng: u64,
}

#[derive(Default)]
struct State {
    next: Vec<NextRule>,
    ratio: Vec<RatioRule>,
    ban_until: Option<Instant>,
}

pub struct Faults {
    shared: Weak<Shared>,
    state: Mutex<State>,
    skew_ms: AtomicI64,
    duplicate: AtomicBool,
    reorder: AtomicBool,
}

impl Faults {
    pub(crate) fn new(shared: Weak<Shared>) -> Faults {
        Faults {
            shared,
            state: Mutex::new(State::default()),
            skew_ms: AtomicI64::new(0),
            duplicate: AtomicBool::new(false),
            reorder: AtomicBool::new(false),
        }
    }

    /// The next `times` requests matching `m` get `fault` (rules queue up in
    /// the order given; the first matching rule with uses left wins).
    pub fn next(&self, m: Matcher, fault: Fault, times: usize) {
        lock(&self.state).next.push(NextRule {
            matcher: m,
            fault,
            left: times,
        });
    }

    /// Each request matching `m` gets `fault` with probability `ratio`, drawn
    /// from a xorshift generator seeded with `seed`, until [`Faults::clear`].
    pub fn ratio(&self, m: Matcher, fault: Fault, ratio: f64, seed: u64) {
        lock(&self.state).ratio.push(RatioRule {
            matcher: m,
            fault,
            ratio,
            // xorshift must not start at zero.
            rng: seed.max(1),
        });
    }

    /// Removes every request fault (`next`, `ratio`) and lifts a ban. The
    /// skew and the stream toggles stay as set.
    pub fn clear(&self) {
        *lock(&self.state) = State::default();
    }

    /// Server time = virtual time + `ms`, for `/fapi/v1/time`,
    /// `exchangeInfo.serverTime` and the timestamp check.
    pub fn set_skew_ms(&self, ms: i64) {
        self.skew_ms.store(ms, Ordering::Relaxed);
    }

    pub fn skew_ms(&self) -> i64 {
        self.skew_ms.load(Ordering::Relaxed)
    }

    /// Closes every open WebSocket connection (market, public, unrouted and
    /// user) abruptly: no close frame, the TCP connection just ends.
    pub fn drop_streams(&self) {
        if let Some(shared) = self.shared.upgrade() {
            shared.hub.kill_all();
        }
    }

    /// Sends each user-stream event twice.
    pub fn duplicate_user_events(&self, on: bool) {
        self.duplicate.store(on, Ordering::Relaxed);
    }

    /// Swaps each pair of consecutive user-stream events: one is held back
    /// until the next arrives (or 200 ms pass), so nothing is lost.
    pub fn reorder_user_events(&self, on: bool) {
        self.reorder.store(on, Ordering::Relaxed);
    }

    pub(crate) fn duplicating(&self) -> bool {
        self.duplicate.load(Ordering::Relaxed)
    }

    pub(crate) fn reordering(&self) -> bool {
        self.reorder.load(Ordering::Relaxed)
    }

    /// Sends `listenKeyExpired` on every user stream, invalidates every key
    /// (PUT keep-alive then answers -1125) and closes those streams.
    pub fn expire_listen_keys(&self) {
        if let Some(shared) = self.shared.upgrade() {
            shared.hub.expire_all(shared.clock.now_ms());
        }
    }

    pub fn is_banned(&self) -> bool {
        lock(&self.state)
            .ban_until
            .is_some_and(|until| Instant::now() < until)
    }

    /// The fault for one request, if any: an ongoing ban first, then the
    /// `next` rules, then the `ratio` rules.
    pub(crate) fn pick(&self, method: &str, path: &str) -> Option<Picked> {
        let mut s = lock(&self.state);
        let now = Instant::now();
        if let Some(until) = s.ban_until {
            if now < until {
                return Some(Picked::Banned {
                    remaining: until - now,
                });
            }
            s.ban_until = None;
        }
        let fault = if let Some(rule) = s
            .next
            .iter_mut()
            .find(|r| r.left > 0 && r.matcher.matches(method, path))
        {
            rule.left -= 1;
            Some(rule.fault.clone())
        } else {
            s.ratio
                .iter_mut()
                .filter(|r| r.matcher.matches(method, path))
                .find_map(|r| (unit(&mut r.rng) < r.ratio).then(|| r.fault.clone()))
        };
        s.next.retain(|r| r.left > 0);
        match fault? {
            Fault::Ban { for_ms } => {
                let remaining = Duration::from_millis(u64::try_from(for_ms).unwrap_or(0));
                s.ban_until = Some(now + remaining);
                Some(Picked::Banned { remaining })
            }
            other => Some(Picked::Fault(other)),
        }
    }
}

/// xorshift64*, mapped to [0, 1): deterministic for a seed.
fn unit(state: &mut u64) -> f64 {
    let mut x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    let r = x.wrapping_mul(0x2545_F491_4F6C_DD1D);
    (r >> 11) as f64 / (1u64 << 53) as f64
}
