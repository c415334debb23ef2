//! The demo market: the cockpit's default feed, needing no keys and no network.
//!
//! A seeded, deterministic generator whose candles have the statistics of real
//! BTCUSDT futures klines (see [`super::stats::MEASURED`]):
//!
//! - **Regimes.** A Markov chain of up-trend, down-trend and range. Trends add
//!   a drift of a fixed fraction of the current volatility; ranges pull the
//!   price back toward the level where the range began. The pull is why real
//!   BTC's 20-bar variance ratio is below 1 even though trends exist.
//! - **Volatility clustering.** A GARCH(1,1) variance times a slow log-normal
//!   factor: GARCH alone decays too fast to give the real |return|
//!   autocorrelation at lag 10, the slow factor carries the long memory.
//! - **Daily and weekly cycle.** Busier at the US open, quieter at night and
//!   at weekends (intervals up to 1h), from the candle's open time.
//! - **Fat tails.** Student-t shocks, scaled to unit variance.
//! - **Crashes.** Rare jumps of many sigmas, mostly down; GARCH feeds on the
//!   jump, so volatility stays high for a while afterwards.
//! - **Wicks.** High and low are drawn as the extremes of a Brownian bridge
//!   from open to close with the bar's volatility, so long bodies get short
//!   wicks and quiet bars get both short, as on real charts.
//! - **Volume.** Typical turnover for the interval (in USDT, turned into base
//!   units at the current price), scaled up with the current volatility and the
//!   size of the bar's own move, times log-normal noise.
//!
//! Randomness comes from the crate's own xoshiro256** (`super::rng`), so a
//! seed gives the same market whatever crates are upgraded. Closed candles
//! cost O(1) and allocate nothing.
//!
//! Prices are rounded to a tick of 0.1 at a start price near 60,000 (BTC's tick)
//! and proportionally finer for cheaper symbols; volume to 0.001.
//!
//! The module's parts: [`DemoParams`] (the `[demo]` section, `params.rs`),
//! [`Calibration`] (the tuned knobs per interval, `calibration.rs`),
//! [`DemoMarket`] (the closed-candle generator, `generator.rs`), the
//! forming-candle path (`path.rs`) and the tick grid and raw bar (`bar.rs`).

mod bar;
mod calibration;
mod generator;
mod params;
mod path;

pub use calibration::Calibration;
pub use generator::{DemoMarket, Regime};
pub use params::DemoParams;

/// The test market: 15m candles from a fixed start time.
#[cfg(test)]
fn market(seed: u64, stream: u64) -> DemoMarket {
    let p = DemoParams {
        seed,
        ..DemoParams::default()
    };
    DemoMarket::new(&p, crate::domain::Interval::M15, stream, 1_700_000_000_000)
}
