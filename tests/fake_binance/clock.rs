//! The exchange's virtual clock: the recorded data's time, advancing `speed`
//! times faster than the wall clock, frozen while paused.

use std::sync::Mutex;
use std::time::Instant;

use super::lock;

pub(crate) struct Clock {
    speed: f64,
    state: Mutex<State>,
}

/// The clock read `anchor_virtual_ms` at `anchor_wall`; it has advanced at
/// `speed` since, unless paused.
struct State {
    anchor_virtual_ms: f64,
    anchor_wall: Instant,
    paused: bool,
}

impl State {
    fn now(&self, speed: f64) -> f64 {
        if self.paused {
            self.anchor_virtual_ms
        } else {
            self.anchor_virtual_ms + self.anchor_wall.elapsed().as_secs_f64() * 1000.0 * speed
        }
    }
}

impl Clock {
    pub fn new(start_ms: i64, speed: f64) -> Clock {
        Clock {
            speed,
            state: Mutex::new(State {
                // Exact: epoch milliseconds are far below 2^53.
                anchor_virtual_ms: start_ms as f64,
                anchor_wall: Instant::now(),
                paused: false,
            }),
        }
    }

    pub fn now_ms(&self) -> i64 {
        lock(&self.state).now(self.speed).floor() as i64
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    pub fn set_paused(&self, paused: bool) {
        let mut s = lock(&self.state);
        if s.paused == paused {
            return;
        }
        // Re-anchor at the current reading so that no time is lost or gained.
        s.anchor_virtual_ms = s.now(self.speed);
        s.anchor_wall = Instant::now();
        s.paused = paused;
    }
}
