//! How one candle follows the previous: the single rule the CSV loader, the
//! live series and (later) the gap backfill all use.

use serde::Serialize;

/// What lies between two consecutive open times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Continuity {
    /// Exactly one interval later.
    Next,
    /// Later by more than one interval: `missing` candles are absent.
    Gap { missing: i64 },
    /// The same open time again.
    Duplicate,
    /// Earlier than the previous candle, or not on the interval's grid.
    OutOfOrder,
}

pub fn continuity(prev_open_ms: i64, next_open_ms: i64, interval_ms: i64) -> Continuity {
    let step = next_open_ms - prev_open_ms;
    if step == 0 {
        Continuity::Duplicate
    } else if step < 0 || step % interval_ms != 0 {
        Continuity::OutOfOrder
    } else if step == interval_ms {
        Continuity::Next
    } else {
        Continuity::Gap {
            missing: step / interval_ms - 1,
        }
    }
}

/// A hole in a candle sequence: no candle opened between the two times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Gap {
    /// Open time of the last candle before the hole.
    pub after_ms: i64,
    /// Open time of the first candle after the hole.
    pub before_ms: i64,
    /// How many candles are missing.
    pub missing: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_next_gap_duplicate_and_disorder() {
        assert_eq!(continuity(0, 60_000, 60_000), Continuity::Next);
        assert_eq!(
            continuity(0, 240_000, 60_000),
            Continuity::Gap { missing: 3 }
        );
        assert_eq!(continuity(60_000, 60_000, 60_000), Continuity::Duplicate);
        assert_eq!(continuity(60_000, 0, 60_000), Continuity::OutOfOrder);
        assert_eq!(continuity(0, 90_000, 60_000), Continuity::OutOfOrder);
    }
}
