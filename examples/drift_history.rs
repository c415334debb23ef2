//! How the drift score behaves on real history: the model's drift monitor
//! fed one candle file, scored once a day, with the share of days over a
//! limit per year. Used to choose `ai.drift_window` and `ai.drift_limit`.
//!
//! cargo run --release --example drift_history -- FILE.csv [WINDOW] [LIMIT] [MODEL.onnx]

use std::collections::BTreeMap;
use std::path::Path;

use cockpit::ai::drift::DriftMonitor;
use cockpit::ai::manifest::Manifest;
use cockpit::features::FeatureBuilder;
use cockpit::indicators::{IndicatorParams, IndicatorSet};

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let file = args
        .first()
        .ok_or("usage: drift_history FILE.csv [WINDOW] [LIMIT] [MODEL.onnx]")?;
    let window: usize = args
        .get(1)
        .map_or(Ok(720), |w| w.parse())
        .map_err(|e| format!("WINDOW: {e}"))?;
    let limit: f64 = args
        .get(2)
        .map_or(Ok(0.5), |l| l.parse())
        .map_err(|e| format!("LIMIT: {e}"))?;
    let model = args.get(3).map_or("models/gbm.onnx", String::as_str);
    let manifest = Manifest::load(Path::new(model))?;
    let history = cockpit::market::csv::load(Path::new(file)).map_err(|e| e.to_string())?;
    let mut indicators = IndicatorSet::new(&IndicatorParams::default());
    let mut features = FeatureBuilder::new(history.interval.duration_ms(), false);
    let mut drift = DriftMonitor::new(manifest.drift_bins.clone(), window, limit);
    // year → (days scored, days over the limit, sum of scores)
    let mut years: BTreeMap<String, (u32, u32, f64)> = BTreeMap::new();
    let day = 86_400_000 / history.interval.duration_ms().max(1) as usize;
    for (i, candle) in history.candles.iter().enumerate() {
        let bar = candle.bar();
        let values = *indicators.update(&bar);
        if let Some(f) = features.update(&bar, &values, None) {
            drift.observe(f);
        }
        if i % day.max(1) == 0
            && let Some(score) = drift.score()
        {
            let year = cockpit::domain::time::format_utc(candle.open_time_ms)[..4].to_string();
            let y = years.entry(year).or_default();
            y.0 += 1;
            y.1 += u32::from(score > limit);
            y.2 += score;
        }
    }
    println!("{file}: window {window} candles, limit {limit}");
    for (year, (days, over, sum)) in years {
        println!(
            "{year}: mean score {:.2}, over the limit on {over} of {days} days ({:.0}%)",
            sum / f64::from(days),
            100.0 * f64::from(over) / f64::from(days)
        );
    }
    let last: Vec<String> = drift
        .view()
        .features
        .iter()
        .map(|(name, psi)| format!("{name} {psi:.2}"))
        .collect();
    println!("last window: {}", last.join(", "));
    Ok(())
}
