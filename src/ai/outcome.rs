//! What a proposal would have come to: the rule the classifier's label is
//! trained on (training/labels.py implements the same), used here to score
//! confirmed and vetoed proposals alike after a backtest.
//!
//! The entry fills at the open of the candle after the proposal. Over the
//! next `horizon` candles, for a long: an open at or above the take-profit
//! takes it there; an open at or below the stop stops there; otherwise a low
//! at or below the stop stops (when both levels are touched in one candle we
//! cannot know the order, so the stop is assumed first); otherwise a high at
//! or above the take-profit takes it. A short mirrors this. Neither within
//! the horizon is a timeout, marked at the last candle's close.

use crate::domain::{Candle, Side};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    TakeProfit,
    Stop,
    Timeout,
}

/// The outcome and its result in R (multiples of the stop distance from
/// the proposal's entry).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    pub outcome: Outcome,
    pub r: f64,
}

/// Prices of one proposal, as f64 (scoring only, never money).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Levels {
    pub side: Side,
    pub entry: f64,
    pub stop: f64,
    pub take_profit: f64,
}

/// Scores the proposal made on the candle before `after[0]`; None when
/// fewer than `horizon` candles follow it (the end of the data).
pub fn score(levels: Levels, after: &[Candle], horizon: usize) -> Option<Scored> {
    let window = after.get(..horizon)?;
    let sign = match levels.side {
        Side::Buy => 1.0,
        Side::Sell => -1.0,
    };
    let risk = (levels.entry - levels.stop).abs();
    if window.is_empty() || risk <= 0.0 {
        return None;
    }
    let r_at = |price: f64| (price - levels.entry) * sign / risk;
    // Compared in "long" terms (prices times the sign), a short reads like a long.
    let beyond = |a: f64, b: f64| a * sign >= b * sign;
    for c in window {
        let (open, high, low) = (c.open.to_f64(), c.high.to_f64(), c.low.to_f64());
        let (best, worst) = if sign > 0.0 { (high, low) } else { (low, high) };
        if beyond(open, levels.take_profit) {
            return Some(Scored {
                outcome: Outcome::TakeProfit,
                r: r_at(open),
            });
        }
        if beyond(levels.stop, open) {
            return Some(Scored {
                outcome: Outcome::Stop,
                r: r_at(open),
            });
        }
        if beyond(levels.stop, worst) {
            return Some(Scored {
                outcome: Outcome::Stop,
                r: r_at(levels.stop),
            });
        }
        if beyond(best, levels.take_profit) {
            return Some(Scored {
                outcome: Outcome::TakeProfit,
                r: r_at(levels.take_profit),
            });
        }
    }
    let last = window.last()?;
    Some(Scored {
        outcome: Outcome::Timeout,
        r: r_at(last.close.to_f64()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Price;

    fn candle(o: f64, h: f64, l: f64, c: f64) -> Candle {
        let p = |v: f64| Price::new(rust_decimal::Decimal::try_from(v).unwrap()).unwrap();
        Candle {
            open_time_ms: 0,
            open: p(o),
            high: p(h),
            low: p(l),
            close: p(c),
            volume: crate::domain::Qty::new(rust_decimal::Decimal::ONE).unwrap(),
            closed: true,
        }
    }

    const LONG: Levels = Levels {
        side: Side::Buy,
        entry: 100.0,
        stop: 97.0,
        take_profit: 106.0,
    };
    const SHORT: Levels = Levels {
        side: Side::Sell,
        entry: 100.0,
        stop: 103.0,
        take_profit: 94.0,
    };

    #[test]
    fn the_first_level_touched_decides_and_a_candle_touching_both_stops() {
        let tp = [
            candle(100.0, 102.0, 99.0, 101.0),
            candle(101.0, 106.5, 100.0, 106.0),
        ];
        assert_eq!(
            score(LONG, &tp, 2).unwrap(),
            Scored {
                outcome: Outcome::TakeProfit,
                r: 2.0
            }
        );
        let both = [candle(100.0, 107.0, 96.0, 100.0)];
        assert_eq!(
            score(LONG, &both, 1).unwrap(),
            Scored {
                outcome: Outcome::Stop,
                r: -1.0
            }
        );
        let short_tp = [candle(100.0, 101.0, 93.0, 95.0)];
        assert_eq!(
            score(SHORT, &short_tp, 1).unwrap(),
            Scored {
                outcome: Outcome::TakeProfit,
                r: 2.0
            }
        );
        let short_stop = [candle(100.0, 103.5, 99.0, 103.0)];
        assert_eq!(score(SHORT, &short_stop, 1).unwrap().outcome, Outcome::Stop);
    }

    #[test]
    fn a_gap_through_a_level_fills_at_the_open() {
        let gap_up = [candle(108.0, 109.0, 107.0, 108.5)];
        assert_eq!(
            score(LONG, &gap_up, 1).unwrap(),
            Scored {
                outcome: Outcome::TakeProfit,
                r: 8.0 / 3.0
            }
        );
        let gap_down = [candle(94.0, 95.0, 93.0, 94.5)];
        assert_eq!(
            score(LONG, &gap_down, 1).unwrap(),
            Scored {
                outcome: Outcome::Stop,
                r: -2.0
            }
        );
    }

    #[test]
    fn neither_level_is_a_timeout_at_the_last_close_and_short_data_is_none() {
        let quiet = [
            candle(100.0, 101.0, 99.0, 100.0),
            candle(100.0, 102.0, 99.5, 101.5),
        ];
        assert_eq!(
            score(LONG, &quiet, 2).unwrap(),
            Scored {
                outcome: Outcome::Timeout,
                r: 0.5
            }
        );
        assert_eq!(score(LONG, &quiet, 3), None);
    }
}
