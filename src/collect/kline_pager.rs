//! The paging plan for `GET /fapi/v1/klines`, without any I/O: which page
//! to ask for next, and which bars of an answer to keep.
//!
//! Bars are asked for from `startTime` (up to 1,500 a request); only closed
//! bars that open in `[next, end)` are kept, in order and without repeats;
//! the next request starts one interval after the last bar kept. Paging stops
//! at `end`, at the forming bar (the present), or when Binance sends nothing
//! new.

use crate::binance::wire::Kline;

/// Bars per request: Binance's maximum.
pub use crate::binance::rest::MAX_KLINES;

/// The first grid time at or after `ms`.
pub fn align_up(ms: i64, interval_ms: i64) -> i64 {
    ms.div_euclid(interval_ms) * interval_ms
        + if ms.rem_euclid(interval_ms) == 0 {
            0
        } else {
            interval_ms
        }
}

/// The last grid time at or before `ms`.
pub fn align_down(ms: i64, interval_ms: i64) -> i64 {
    ms.div_euclid(interval_ms) * interval_ms
}

/// One klines request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub start_ms: i64,
    /// Inclusive, as Binance reads `endTime`.
    pub end_ms: i64,
    pub limit: u32,
}

/// Why paging ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// The next bar would open at or after `end`.
    ReachedEnd,
    /// Binance sent the forming bar: every closed bar up to now is in.
    ReachedPresent,
    /// Binance sent no bar after the last one kept.
    NothingNew,
}

#[derive(Debug, Clone)]
pub struct KlinePager {
    interval_ms: i64,
    /// Open time of the next bar wanted.
    next_ms: i64,
    /// Bars opening at or after this are not wanted.
    end_ms: i64,
    finish: Option<Finish>,
}

impl KlinePager {
    /// Bars from `start_ms` (aligned up to the interval) to `end_ms` (exclusive).
    pub fn new(interval_ms: i64, start_ms: i64, end_ms: i64) -> KlinePager {
        let next_ms = align_up(start_ms, interval_ms);
        KlinePager {
            interval_ms,
            next_ms,
            end_ms,
            finish: (next_ms >= end_ms).then_some(Finish::ReachedEnd),
        }
    }

    /// Open time of the next bar wanted.
    pub fn next_ms(&self) -> i64 {
        self.next_ms
    }

    pub fn finish(&self) -> Option<Finish> {
        self.finish
    }

    /// The next request, or None once paging is over.
    pub fn request(&self) -> Option<PageRequest> {
        if self.finish.is_some() {
            return None;
        }
        let remaining = (self.end_ms - self.next_ms + self.interval_ms - 1) / self.interval_ms;
        Some(PageRequest {
            start_ms: self.next_ms,
            end_ms: self.end_ms - 1,
            limit: u32::try_from(remaining).map_or(MAX_KLINES, |r| r.clamp(1, MAX_KLINES)),
        })
    }

    /// Takes Binance's answer to the last request; returns the bars to
    /// append, oldest first. A bar is closed when its close time is before
    /// `server_now`.
    pub fn accept(&mut self, mut page: Vec<Kline>, server_now: i64) -> Vec<Kline> {
        page.sort_by_key(|k| k.open_time_ms);
        // A bar at or after the end says nothing is left before it.
        let past_end = page.last().is_some_and(|k| k.open_time_ms >= self.end_ms);
        let mut kept: Vec<Kline> = Vec::with_capacity(page.len());
        let mut forming = false;
        for bar in page {
            let wanted = bar.open_time_ms >= self.next_ms
                && bar.open_time_ms < self.end_ms
                && kept
                    .last()
                    .is_none_or(|k| k.open_time_ms < bar.open_time_ms);
            if !wanted {
                continue;
            }
            if bar.close_time_ms >= server_now {
                // The forming bar, and nothing after it can be closed.
                forming = true;
                break;
            }
            kept.push(bar);
        }
        if let Some(last) = kept.last() {
            self.next_ms = last.open_time_ms + self.interval_ms;
        }
        self.finish = if self.next_ms >= self.end_ms || (past_end && !forming) {
            Some(Finish::ReachedEnd)
        } else if forming {
            Some(Finish::ReachedPresent)
        } else if kept.is_empty() {
            Some(Finish::NothingNew)
        } else {
            None
        };
        kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: i64 = 60_000;

    fn bar(open: i64) -> Kline {
        let p = "1".parse().unwrap();
        Kline {
            open_time_ms: open,
            open: p,
            high: p,
            low: p,
            close: p,
            volume: "2".parse().unwrap(),
            close_time_ms: open + M - 1,
        }
    }

    fn bars(opens: impl IntoIterator<Item = i64>) -> Vec<Kline> {
        opens.into_iter().map(bar).collect()
    }

    fn opens(k: &[Kline]) -> Vec<i64> {
        k.iter().map(|k| k.open_time_ms).collect()
    }

    #[test]
    fn alignment_rounds_to_the_grid() {
        assert_eq!(align_up(0, M), 0);
        assert_eq!(align_up(1, M), M);
        assert_eq!(align_up(M, M), M);
        assert_eq!(align_down(M + 1, M), M);
        assert_eq!(align_up(-1, M), 0);
    }

    #[test]
    fn the_start_is_aligned_up_and_the_end_is_exclusive() {
        let p = KlinePager::new(15 * M, 7 * M, 60 * M);
        assert_eq!(
            p.request(),
            Some(PageRequest {
                start_ms: 15 * M,
                end_ms: 60 * M - 1,
                limit: 3,
            })
        );
    }

    #[test]
    fn a_long_range_asks_for_1500_a_page_and_advances_after_the_last_bar() {
        let mut p = KlinePager::new(M, 0, 4000 * M);
        let first = p.request().unwrap();
        assert_eq!((first.start_ms, first.limit), (0, 1500));
        let kept = p.accept(bars((0..1500).map(|i| i * M)), i64::MAX);
        assert_eq!(kept.len(), 1500);
        assert_eq!(p.request().unwrap().start_ms, 1500 * M);
        p.accept(bars((1500..3000).map(|i| i * M)), i64::MAX);
        let last = p.request().unwrap();
        assert_eq!((last.start_ms, last.limit), (3000 * M, 1000));
        p.accept(bars((3000..4000).map(|i| i * M)), i64::MAX);
        assert_eq!(p.request(), None);
        assert_eq!(p.finish(), Some(Finish::ReachedEnd));
    }

    #[test]
    fn the_forming_bar_is_not_kept_and_ends_paging() {
        let mut p = KlinePager::new(M, 0, 100 * M);
        // Now is 10.5 minutes: bars 0..=9 are closed, bar 10 is forming.
        let kept = p.accept(bars((0..11).map(|i| i * M)), 10 * M + 30_000);
        assert_eq!(opens(&kept), (0..10).map(|i| i * M).collect::<Vec<_>>());
        assert_eq!(p.finish(), Some(Finish::ReachedPresent));
        assert_eq!(p.next_ms(), 10 * M);
        assert_eq!(p.request(), None);
    }

    #[test]
    fn a_bar_closing_exactly_now_is_still_forming() {
        let mut p = KlinePager::new(M, 0, 100 * M);
        let kept = p.accept(bars([0, M]), 2 * M - 1);
        assert_eq!(opens(&kept), vec![0]);
        assert_eq!(p.finish(), Some(Finish::ReachedPresent));
    }

    #[test]
    fn repeats_old_bars_and_disorder_are_dropped() {
        let mut p = KlinePager::new(M, 0, 100 * M);
        p.accept(bars([0, M, 2 * M]), i64::MAX);
        let kept = p.accept(bars([M, 2 * M, 4 * M, 3 * M, 3 * M, 5 * M]), i64::MAX);
        assert_eq!(opens(&kept), vec![3 * M, 4 * M, 5 * M]);
        assert_eq!(p.next_ms(), 6 * M);
    }

    #[test]
    fn bars_at_or_after_the_end_are_not_kept() {
        let mut p = KlinePager::new(M, 0, 3 * M);
        let kept = p.accept(bars([0, M, 2 * M, 3 * M, 4 * M]), i64::MAX);
        assert_eq!(opens(&kept), vec![0, M, 2 * M]);
        assert_eq!(p.finish(), Some(Finish::ReachedEnd));
    }

    #[test]
    fn a_bar_past_the_end_after_a_hole_ends_paging() {
        let mut p = KlinePager::new(M, 0, 10 * M);
        let kept = p.accept(bars([0, M, 12 * M]), i64::MAX);
        assert_eq!(opens(&kept), vec![0, M]);
        assert_eq!(p.finish(), Some(Finish::ReachedEnd));
    }

    #[test]
    fn an_empty_or_stale_answer_ends_paging() {
        let mut p = KlinePager::new(M, 0, 100 * M);
        assert!(p.accept(vec![], i64::MAX).is_empty());
        assert_eq!(p.finish(), Some(Finish::NothingNew));

        let mut p = KlinePager::new(M, 0, 100 * M);
        p.accept(bars([0, M]), i64::MAX);
        assert!(p.accept(bars([0, M]), i64::MAX).is_empty());
        assert_eq!(p.finish(), Some(Finish::NothingNew));
    }

    #[test]
    fn a_gap_inside_a_page_is_kept_as_it_is() {
        let mut p = KlinePager::new(M, 0, 100 * M);
        let kept = p.accept(bars([0, M, 5 * M, 6 * M]), i64::MAX);
        assert_eq!(opens(&kept), vec![0, M, 5 * M, 6 * M]);
        assert_eq!(p.next_ms(), 7 * M);
        assert_eq!(p.finish(), None);
    }

    #[test]
    fn an_empty_range_needs_no_request() {
        let p = KlinePager::new(M, 10 * M, 10 * M);
        assert_eq!(p.request(), None);
        assert_eq!(p.finish(), Some(Finish::ReachedEnd));
    }
}
