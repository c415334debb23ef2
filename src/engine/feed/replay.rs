//! Replays recorded closed candles with the historical clock: each candle
//! arrives at its close time, as fast as allowed by the speed.

use std::path::Path;
use std::time::Duration;

use crate::domain::{Candle, Interval, Symbol};
use crate::engine::Event;
use crate::market::csv;

/// How fast to replay: `Max` does not wait at all.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    /// Times real time: 60 replays a 1-minute candle every second.
    Times(f64),
    Max,
}

impl std::str::FromStr for Speed {
    type Err = String;
    fn from_str(s: &str) -> Result<Speed, String> {
        if s == "max" {
            return Ok(Speed::Max);
        }
        match s.parse::<f64>() {
            Ok(x) if x > 0.0 && x.is_finite() => Ok(Speed::Times(x)),
            _ => Err(format!(
                "speed \"{s}\" is neither a positive number nor \"max\""
            )),
        }
    }
}

pub struct ReplayFeed {
    pub symbol: Symbol,
    pub interval: Interval,
    candles: std::vec::IntoIter<Candle>,
    speed: Speed,
    sent: u64,
    /// When the next candle is due at a finite speed.
    due: Option<tokio::time::Instant>,
}

impl ReplayFeed {
    /// Loads the file; the symbol is the file name's first dash-separated
    /// part (Binance's `BTCUSDT-1h-….csv` naming), else `fallback`.
    pub fn open(path: &Path, fallback: &Symbol, speed: Speed) -> Result<ReplayFeed, String> {
        let file = csv::load(path).map_err(|e| e.to_string())?;
        let symbol = csv::symbol_of_path(path).unwrap_or_else(|| fallback.clone());
        Ok(ReplayFeed {
            symbol,
            interval: file.interval,
            candles: file.candles.into_iter(),
            speed,
            sent: 0,
            due: None,
        })
    }

    /// Takes the candles that closed at or before `ms` (already traded by a
    /// previous run) for warming up.
    pub fn take_until(&mut self, ms: i64) -> Vec<(i64, Event)> {
        let step = self.interval.duration_ms();
        let mut taken = Vec::new();
        while let Some(c) = self.candles.as_slice().first() {
            if c.open_time_ms + step > ms {
                break;
            }
            let Some(candle) = self.candles.next() else {
                break;
            };
            taken.push((
                candle.open_time_ms + step,
                Event::Candle {
                    symbol: self.symbol.clone(),
                    candle,
                },
            ));
        }
        taken
    }

    /// The next candle with its close time, or None at the end of the file.
    /// Cancel-safe: every wait happens before a candle is taken, and the
    /// pacing deadline survives a dropped call.
    pub async fn next(&mut self) -> Option<(i64, Event)> {
        match self.speed {
            Speed::Max => {
                // Let signals and commands in now and then.
                if self.sent % 512 == 511 {
                    tokio::task::yield_now().await;
                }
            }
            Speed::Times(x) => {
                let due = *self.due.get_or_insert_with(|| {
                    let wait = self.interval.duration_ms() as f64 / x;
                    tokio::time::Instant::now() + Duration::from_micros((wait * 1000.0) as u64)
                });
                tokio::time::sleep_until(due).await;
                self.due = None;
            }
        }
        let candle = self.candles.next()?;
        self.sent += 1;
        let at = candle.open_time_ms + self.interval.duration_ms();
        Some((
            at,
            Event::Candle {
                symbol: self.symbol.clone(),
                candle,
            },
        ))
    }
}
