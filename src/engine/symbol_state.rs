//! Per-symbol market state inside the engine: the candle series, the
//! indicators, and the indicator values that go with each closed candle.

use std::collections::VecDeque;

use crate::domain::{Candle, Interval, Symbol};
use crate::features::FeatureBuilder;
use crate::indicators::{IndicatorParams, IndicatorSet, IndicatorValues};
use crate::market::{Appended, CandleSeries};

#[derive(Debug, Clone)]
pub struct SymbolState {
    pub symbol: Symbol,
    pub series: CandleSeries,
    pub indicators: IndicatorSet,
    /// Indicator values per closed candle, parallel to `series` (same length).
    pub values: VecDeque<IndicatorValues>,
    /// The model's inputs after the latest closed candle.
    pub features: FeatureBuilder,
    /// Off when nothing reads the features (no model in the loop).
    pub build_features: bool,
}

impl SymbolState {
    pub fn new(
        symbol: Symbol,
        interval: Interval,
        history: usize,
        params: &IndicatorParams,
    ) -> Self {
        SymbolState {
            symbol,
            series: CandleSeries::new(interval, history),
            indicators: IndicatorSet::new(params),
            values: VecDeque::with_capacity(history),
            // Live funding rates are not fed yet: models use no funding feature.
            features: FeatureBuilder::new(interval.duration_ms(), false),
            // The engine turns it on with a confirmer that reads them.
            build_features: false,
        }
    }

    /// Feeds one candle; indicators advance only on a newly stored closed candle.
    pub fn on_candle(&mut self, candle: Candle) -> Option<Appended> {
        if !candle.closed {
            self.series.set_forming(candle);
            return None;
        }
        let bar = candle.bar();
        let appended = self.series.push_closed(candle);
        if matches!(appended, Appended::Next | Appended::AfterGap(_)) {
            let v = self.indicators.update(&bar);
            if self.build_features {
                self.features.update(&bar, v, None);
            }
            if self.values.len() == self.series.capacity() {
                self.values.pop_front();
            }
            self.values.push_back(*v);
        }
        Some(appended)
    }

    pub fn latest(&self) -> IndicatorValues {
        *self.indicators.values()
    }
}
