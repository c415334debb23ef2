//! On-balance volume on the `ta` crate.
//!
//! `ta` starts from 0 with a previous close of 0, so for any positive first
//! close its first value is the first bar's volume, which is TA-Lib's seed.

use ta::indicators::OnBalanceVolume;
use ta::{Close, Next, Volume};

/// The two fields `ta`'s OBV reads.
struct CloseVolume {
    close: f64,
    volume: f64,
}

impl Close for CloseVolume {
    fn close(&self) -> f64 {
        self.close
    }
}

impl Volume for CloseVolume {
    fn volume(&self) -> f64 {
        self.volume
    }
}

/// OBV: adds the volume of an up close, subtracts that of a down close.
#[derive(Debug, Clone, Default)]
pub struct Obv {
    inner: OnBalanceVolume,
}

impl Obv {
    pub fn update(&mut self, close: f64, volume: f64) -> f64 {
        self.inner.next(&CloseVolume { close, volume })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_value_is_the_first_volume() {
        assert_eq!(Obv::default().update(117_285.6, 400.434), 400.434);
    }

    #[test]
    fn volume_follows_the_close_direction_and_equal_closes_change_nothing() {
        let mut obv = Obv::default();
        let out: Vec<_> = [(10.0, 5.0), (11.0, 2.0), (9.0, 4.0), (9.0, 100.0)]
            .iter()
            .map(|&(c, v)| obv.update(c, v))
            .collect();
        assert_eq!(out, [5.0, 7.0, 3.0, 3.0]);
    }
}
