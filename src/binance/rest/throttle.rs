//! Rate limits as Binance counts them: the request weight of the IP per
//! minute and the orders of the account per 10 s and per minute, read from
//! the `X-MBX-*` headers of every answer. A request waits before it would
//! cross the limit, rather than being refused after; a 418 ban stops every
//! request until its end.

use std::time::Duration;

/// Keep this share of each limit free for cancels and stops.
const HEADROOM: f64 = 0.9;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub weight_per_minute: u32,
    pub orders_per_10s: u32,
    pub orders_per_minute: u32,
}

impl Default for Limits {
    /// Binance USD-M's documented limits; `exchangeInfo.rateLimits` replaces them.
    fn default() -> Self {
        Limits {
            weight_per_minute: 2400,
            orders_per_10s: 300,
            orders_per_minute: 1200,
        }
    }
}

impl Limits {
    pub fn from_exchange_info(limits: &[crate::binance::wire::RateLimit]) -> Limits {
        let mut out = Limits::default();
        for l in limits {
            match (l.rate_limit_type.as_str(), l.window_ms()) {
                ("REQUEST_WEIGHT", Some(60_000)) => out.weight_per_minute = l.limit,
                ("ORDERS", Some(10_000)) => out.orders_per_10s = l.limit,
                ("ORDERS", Some(60_000)) => out.orders_per_minute = l.limit,
                _ => {}
            }
        }
        out
    }
}

/// What the last answers said, and the ban if there is one. Times are the
/// server's clock in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Throttle {
    pub limits: Limits,
    weight: Counter,
    orders_10s: Counter,
    orders_1m: Counter,
    banned_until_ms: Option<i64>,
}

/// A count reported for a fixed window (Binance's windows start on the
/// minute or the 10 s boundary), plus what we sent since.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Counter {
    window_start_ms: i64,
    used: u32,
}

impl Counter {
    fn current(&self, now_ms: i64, window_ms: i64) -> u32 {
        if now_ms.div_euclid(window_ms) * window_ms == self.window_start_ms {
            self.used
        } else {
            0
        }
    }

    fn set(&mut self, now_ms: i64, window_ms: i64, used: u32) {
        self.window_start_ms = now_ms.div_euclid(window_ms) * window_ms;
        self.used = used;
    }

    fn add(&mut self, now_ms: i64, window_ms: i64, n: u32) {
        let used = self.current(now_ms, window_ms).saturating_add(n);
        self.set(now_ms, window_ms, used);
    }

    fn wait(&self, now_ms: i64, window_ms: i64, cost: u32, limit: u32) -> Option<Duration> {
        // Orders weigh nothing on the IP limit: the headroom is theirs.
        if cost == 0 {
            return None;
        }
        let allowed = (f64::from(limit) * HEADROOM) as u32;
        if self.current(now_ms, window_ms).saturating_add(cost) <= allowed {
            return None;
        }
        let next_window = (now_ms.div_euclid(window_ms) + 1) * window_ms;
        Some(Duration::from_millis((next_window - now_ms).max(1) as u64))
    }
}

const MINUTE: i64 = 60_000;
const TEN_SECONDS: i64 = 10_000;

impl Throttle {
    pub fn new(limits: Limits) -> Throttle {
        Throttle {
            limits,
            ..Throttle::default()
        }
    }

    /// How long to wait before sending a request of this weight (and an
    /// order, when `order`), or the ban's end when banned.
    pub fn before_send(&self, now_ms: i64, weight: u32, order: bool) -> Gate {
        if let Some(until) = self.banned_until_ms
            && now_ms < until
        {
            return Gate::Banned { until_ms: until };
        }
        let waits = [
            self.weight
                .wait(now_ms, MINUTE, weight, self.limits.weight_per_minute),
            order
                .then(|| {
                    self.orders_10s
                        .wait(now_ms, TEN_SECONDS, 1, self.limits.orders_per_10s)
                })
                .flatten(),
            order
                .then(|| {
                    self.orders_1m
                        .wait(now_ms, MINUTE, 1, self.limits.orders_per_minute)
                })
                .flatten(),
        ];
        match waits.into_iter().flatten().max() {
            Some(d) => Gate::Wait(d),
            None => Gate::Go,
        }
    }

    /// Counts a request as sent, until its answer says the exact figure.
    pub fn sent(&mut self, now_ms: i64, weight: u32, order: bool) {
        self.weight.add(now_ms, MINUTE, weight);
        if order {
            self.orders_10s.add(now_ms, TEN_SECONDS, 1);
            self.orders_1m.add(now_ms, MINUTE, 1);
        }
    }

    /// The figures of an answer's headers (`None` = header absent).
    pub fn observe(
        &mut self,
        now_ms: i64,
        used_weight_1m: Option<u32>,
        orders_10s: Option<u32>,
        orders_1m: Option<u32>,
    ) {
        if let Some(w) = used_weight_1m {
            self.weight.set(now_ms, MINUTE, w);
        }
        if let Some(n) = orders_10s {
            self.orders_10s.set(now_ms, TEN_SECONDS, n);
        }
        if let Some(n) = orders_1m {
            self.orders_1m.set(now_ms, MINUTE, n);
        }
    }

    /// A 418: nothing may be sent until `until_ms`.
    pub fn ban(&mut self, until_ms: i64) {
        self.banned_until_ms = Some(self.banned_until_ms.map_or(until_ms, |u| u.max(until_ms)));
    }

    pub fn banned_until(&self, now_ms: i64) -> Option<i64> {
        self.banned_until_ms.filter(|&u| now_ms < u)
    }

    pub fn used_weight(&self, now_ms: i64) -> u32 {
        self.weight.current(now_ms, MINUTE)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Go,
    Wait(Duration),
    Banned { until_ms: i64 },
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_700_000_040_000; // on a minute boundary

    #[test]
    fn waits_for_the_next_window_before_the_limit_not_after() {
        let mut t = Throttle::default();
        t.observe(T + 30_000, Some(2150), None, None);
        assert_eq!(t.before_send(T + 30_000, 5, false), Gate::Go);
        // 2150 + 20 > 2160 (90 % of 2400): wait for the next minute.
        assert_eq!(
            t.before_send(T + 30_000, 20, false),
            Gate::Wait(Duration::from_secs(30))
        );
        // The new minute starts from zero.
        assert_eq!(t.before_send(T + 60_000, 20, false), Gate::Go);
    }

    #[test]
    fn counts_orders_per_ten_seconds() {
        let mut t = Throttle::default();
        for _ in 0..270 {
            assert_eq!(t.before_send(T + 1_000, 1, true), Gate::Go);
            t.sent(T + 1_000, 1, true);
        }
        assert_eq!(
            t.before_send(T + 1_000, 1, true),
            Gate::Wait(Duration::from_secs(9))
        );
        // Reads are not orders.
        assert_eq!(t.before_send(T + 1_000, 1, false), Gate::Go);
    }

    #[test]
    fn a_ban_stops_everything_until_its_end() {
        let mut t = Throttle::default();
        t.ban(T + 5_000);
        assert_eq!(
            t.before_send(T, 1, false),
            Gate::Banned {
                until_ms: T + 5_000
            }
        );
        assert_eq!(t.banned_until(T + 4_999), Some(T + 5_000));
        assert_eq!(t.before_send(T + 5_000, 1, false), Gate::Go);
        assert_eq!(t.banned_until(T + 5_000), None);
    }

    #[test]
    fn limits_come_from_exchange_info() {
        use crate::binance::wire::RateLimit;
        let l = Limits::from_exchange_info(&[RateLimit {
            rate_limit_type: "REQUEST_WEIGHT".into(),
            interval: "MINUTE".into(),
            interval_num: 1,
            limit: 6000,
        }]);
        assert_eq!(l.weight_per_minute, 6000);
        assert_eq!(l.orders_per_10s, 300);
    }
}
