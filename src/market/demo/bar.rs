//! The price tick grid and one generated bar in ticks, before it becomes a candle.

use rust_decimal::Decimal;

use crate::domain::{Candle, Price, Qty};

/// Price tick as a power of ten: value = ticks × 10^-scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Tick {
    pub(super) scale: u32,
}

impl Tick {
    /// 0.1 for a start price of 10,000 to 99,999 (BTC's tick), ten times finer
    /// per decade cheaper, so every symbol moves by many ticks per bar.
    pub(super) fn for_price(start_price: f64) -> Tick {
        let decade = start_price.log10().floor() as i64;
        Tick {
            scale: (5 - decade).clamp(0, 8) as u32,
        }
    }

    pub(super) fn size(self) -> f64 {
        10f64.powi(-(self.scale as i32))
    }

    /// At least one tick: a demo price never reaches zero.
    pub(super) fn ticks(self, price: f64) -> i64 {
        let t = (price / self.size()).round();
        if t.is_finite() { (t as i64).max(1) } else { 1 }
    }

    fn price(self, ticks: i64) -> Price {
        // `ticks` is never negative, so `new` cannot fail.
        Price::new(Decimal::new(ticks.max(1), self.scale)).unwrap_or_default()
    }
}

/// Volume in thousandths, at least one.
fn qty(milli: i64) -> Qty {
    // Never negative, so `new` cannot fail.
    Qty::new(Decimal::new(milli.max(1), 3)).unwrap_or_default()
}

/// One generated bar before it becomes a [`Candle`].
#[derive(Debug, Clone, Copy)]
pub(super) struct RawBar {
    pub(super) open_time_ms: i64,
    pub(super) open: i64,
    pub(super) high: i64,
    pub(super) low: i64,
    pub(super) close: i64,
    pub(super) volume_milli: i64,
}

impl RawBar {
    pub(super) fn candle(&self, tick: Tick, closed: bool) -> Candle {
        Candle {
            open_time_ms: self.open_time_ms,
            open: tick.price(self.open),
            high: tick.price(self.high),
            low: tick.price(self.low),
            close: tick.price(self.close),
            volume: qty(self.volume_milli),
            closed,
        }
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::market::demo::market;

    #[test]
    fn tick_is_btc_like_and_finer_for_cheaper_symbols() {
        assert_eq!(Tick::for_price(60_000.0).scale, 1);
        assert_eq!(Tick::for_price(3_000.0).scale, 2);
        assert_eq!(Tick::for_price(150.0).scale, 3);
        assert_eq!(Tick::for_price(5e6).scale, 0);
        assert_eq!(Tick::for_price(1e-4).scale, 8);
        assert_eq!(market(1, 0).tick_size(), Decimal::new(1, 1));
        assert_eq!(Tick { scale: 1 }.ticks(-5.0), 1);
        assert_eq!(Tick { scale: 1 }.ticks(f64::NAN), 1);
    }
}
