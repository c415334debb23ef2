//! Holes in the downloaded bars. Binance has real ones (exchange outages):
//! they are reported, never filled in. The rule is the one the candle loader
//! uses (`market::continuity`); the seam with the rows a resumed file already
//! held counts too.

use crate::domain::time::format_utc;
use crate::market::continuity::{Continuity, Gap, continuity};

#[derive(Debug, Clone)]
pub struct GapTracker {
    interval_ms: i64,
    last_ms: Option<i64>,
    gaps: Vec<Gap>,
}

impl GapTracker {
    /// `last_ms`: the open time of the last bar already in the file, if any.
    pub fn new(interval_ms: i64, last_ms: Option<i64>) -> GapTracker {
        GapTracker {
            interval_ms,
            last_ms,
            gaps: Vec::new(),
        }
    }

    /// The next bar appended (the pager hands them over in order).
    pub fn push(&mut self, open_ms: i64) {
        if let Some(last) = self.last_ms
            && let Continuity::Gap { missing } = continuity(last, open_ms, self.interval_ms)
        {
            self.gaps.push(Gap {
                after_ms: last,
                before_ms: open_ms,
                missing,
            });
        }
        self.last_ms = Some(open_ms);
    }

    pub fn gaps(&self) -> &[Gap] {
        &self.gaps
    }

    pub fn missing(&self) -> i64 {
        self.gaps.iter().map(|g| g.missing).sum()
    }
}

/// `2024-01-01 00:00` (UTC, to the minute: every bar opens on a minute).
pub fn minute_utc(ms: i64) -> String {
    let mut s = format_utc(ms);
    if s.ends_with(":00") {
        s.truncate(s.len() - 3);
    }
    s
}

/// `gap: 2024-03-01 12:15 → 2024-03-01 12:45 UTC, 3 bars missing`: the
/// first and the last bar that are absent.
pub fn describe(gap: &Gap, interval_ms: i64) -> String {
    let from = gap.after_ms + interval_ms;
    let to = gap.before_ms - interval_ms;
    let bars = if gap.missing == 1 { "bar" } else { "bars" };
    format!(
        "gap: {} → {} UTC, {} {bars} missing",
        minute_utc(from),
        minute_utc(to),
        gap.missing
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: i64 = 60_000;

    #[test]
    fn holes_are_found_across_pages_and_at_the_seam_with_the_file() {
        let mut t = GapTracker::new(M, Some(0));
        for open in [M, 2 * M, 6 * M, 7 * M, 9 * M] {
            t.push(open);
        }
        assert_eq!(
            t.gaps(),
            &[
                Gap {
                    after_ms: 2 * M,
                    before_ms: 6 * M,
                    missing: 3
                },
                Gap {
                    after_ms: 7 * M,
                    before_ms: 9 * M,
                    missing: 1
                },
            ]
        );
        assert_eq!(t.missing(), 4);

        let mut seam = GapTracker::new(M, Some(0));
        seam.push(3 * M);
        assert_eq!(seam.missing(), 2);
    }

    #[test]
    fn a_fresh_file_starts_without_a_gap() {
        let mut t = GapTracker::new(M, None);
        t.push(50 * M);
        t.push(51 * M);
        assert!(t.gaps().is_empty());
    }

    #[test]
    fn a_gap_names_its_first_and_last_missing_bar() {
        let day = 1_709_251_200_000; // 2024-03-01 00:00 UTC
        let q = 15 * M;
        let gap = Gap {
            after_ms: day + 12 * 4 * q,
            before_ms: day + 12 * 4 * q + 4 * q,
            missing: 3,
        };
        assert_eq!(
            describe(&gap, q),
            "gap: 2024-03-01 12:15 → 2024-03-01 12:45 UTC, 3 bars missing"
        );
        let one = Gap {
            after_ms: day,
            before_ms: day + 2 * M,
            missing: 1,
        };
        assert_eq!(
            describe(&one, M),
            "gap: 2024-03-01 00:01 → 2024-03-01 00:01 UTC, 1 bar missing"
        );
    }
}
