//! A bounded history of closed candles for one symbol, plus the candle that is
//! still forming. Memory stays fixed however long the cockpit runs.

use std::collections::VecDeque;

use crate::domain::{Candle, Interval};

use super::continuity::{Continuity, Gap, continuity};

/// What happened when a closed candle was offered to the series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// The next candle, appended.
    Next,
    /// Appended after a hole; the caller decides whether to backfill.
    AfterGap(Gap),
    /// Already have a candle at this time: ignored.
    Duplicate,
    /// Older than the newest candle: ignored.
    Stale,
}

/// Ring buffer of closed candles, oldest evicted first.
#[derive(Debug, Clone)]
pub struct CandleSeries {
    interval: Interval,
    capacity: usize,
    closed: VecDeque<Candle>,
    forming: Option<Candle>,
}

impl CandleSeries {
    /// `capacity` is at least 1.
    pub fn new(interval: Interval, capacity: usize) -> Self {
        let capacity = capacity.max(1);
        CandleSeries {
            interval,
            capacity,
            closed: VecDeque::with_capacity(capacity),
            forming: None,
        }
    }

    pub fn interval(&self) -> Interval {
        self.interval
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Adds a closed candle in time order; duplicates and stale candles are
    /// reported, not stored, so a replayed or re-sent kline cannot count twice.
    pub fn push_closed(&mut self, mut candle: Candle) -> Appended {
        candle.closed = true;
        let outcome = match self.closed.back() {
            None => Appended::Next,
            Some(last) => match continuity(
                last.open_time_ms,
                candle.open_time_ms,
                self.interval.duration_ms(),
            ) {
                Continuity::Next => Appended::Next,
                Continuity::Gap { missing } => Appended::AfterGap(Gap {
                    after_ms: last.open_time_ms,
                    before_ms: candle.open_time_ms,
                    missing,
                }),
                Continuity::Duplicate => return Appended::Duplicate,
                Continuity::OutOfOrder => return Appended::Stale,
            },
        };
        if self
            .forming
            .as_ref()
            .is_some_and(|f| f.open_time_ms <= candle.open_time_ms)
        {
            self.forming = None;
        }
        if self.closed.len() == self.capacity {
            self.closed.pop_front();
        }
        self.closed.push_back(candle);
        outcome
    }

    /// Replaces the forming candle; ignored when it is not newer than the last closed one.
    pub fn set_forming(&mut self, mut candle: Candle) {
        candle.closed = false;
        if self
            .closed
            .back()
            .is_none_or(|last| candle.open_time_ms > last.open_time_ms)
        {
            self.forming = Some(candle);
        }
    }

    pub fn forming(&self) -> Option<&Candle> {
        self.forming.as_ref()
    }

    pub fn last_closed(&self) -> Option<&Candle> {
        self.closed.back()
    }

    pub fn len(&self) -> usize {
        self.closed.len()
    }

    pub fn is_empty(&self) -> bool {
        self.closed.is_empty()
    }

    /// Closed candles, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Candle> + ExactSizeIterator {
        self.closed.iter()
    }

    /// The newest `n` closed candles, oldest first.
    pub fn last_n(&self, n: usize) -> impl Iterator<Item = &Candle> {
        self.closed.iter().skip(self.closed.len().saturating_sub(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Price, Qty};

    fn candle(t: i64) -> Candle {
        let p: Price = "100".parse().unwrap();
        Candle::new(t, p, p, p, p, Qty::ZERO, true).unwrap()
    }

    #[test]
    fn ring_buffer_evicts_the_oldest_at_capacity() {
        let mut s = CandleSeries::new(Interval::M1, 3);
        for i in 0..5 {
            assert_eq!(s.push_closed(candle(i * 60_000)), Appended::Next);
        }
        let times: Vec<i64> = s.iter().map(|c| c.open_time_ms).collect();
        assert_eq!(times, vec![120_000, 180_000, 240_000]);
        assert_eq!(s.len(), 3);
    }

    #[test]
    fn duplicates_and_stale_candles_are_reported_not_stored() {
        let mut s = CandleSeries::new(Interval::M1, 10);
        s.push_closed(candle(60_000));
        assert_eq!(s.push_closed(candle(60_000)), Appended::Duplicate);
        assert_eq!(s.push_closed(candle(0)), Appended::Stale);
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn a_gap_is_reported_with_the_missing_count_and_still_appended() {
        let mut s = CandleSeries::new(Interval::M1, 10);
        s.push_closed(candle(0));
        let out = s.push_closed(candle(300_000));
        assert_eq!(
            out,
            Appended::AfterGap(Gap {
                after_ms: 0,
                before_ms: 300_000,
                missing: 4
            })
        );
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn closing_a_candle_clears_the_forming_one() {
        let mut s = CandleSeries::new(Interval::M1, 10);
        s.push_closed(candle(0));
        s.set_forming(candle(60_000));
        assert!(s.forming().is_some_and(|c| !c.closed));
        s.set_forming(candle(0));
        assert_eq!(s.forming().map(|c| c.open_time_ms), Some(60_000));
        s.push_closed(candle(60_000));
        assert!(s.forming().is_none());
        assert_eq!(s.last_n(1).next().map(|c| c.open_time_ms), Some(60_000));
    }
}
