//! CSV export of bars with their indicator values, in the column layout of
//! the TA-Lib reference file so that the two can be diffed directly.
//!
//! Numbers are written with Rust's `{}`, the shortest text that parses back
//! to the same `f64`, so nothing is lost; a warming-up value is an empty cell.

use std::io::{self, Write};

use super::{IndicatorParams, IndicatorValues};
use crate::domain::Bar;

/// The header line, without a line break, with the configured periods in the
/// column names (`ema20`, `rsi14`, …).
pub fn csv_header(params: &IndicatorParams) -> String {
    let [e0, e1, e2] = params.ema_periods;
    let (rsi, adx, atr) = (params.rsi_period, params.adx_period, params.atr_period);
    format!(
        "open_time_ms,open,high,low,close,volume,ema{e0},ema{e1},ema{e2},rsi{rsi},adx{adx},\
         plus_di{adx},minus_di{adx},atr{atr},macd,macd_signal,macd_hist,\
         bb_upper,bb_middle,bb_lower,obv"
    )
}

/// One data line, ending in `\n`, in the order of [`csv_header`].
pub fn write_csv_row(out: &mut impl Write, bar: &Bar, v: &IndicatorValues) -> io::Result<()> {
    write!(
        out,
        "{},{},{},{},{},{}",
        bar.open_time_ms, bar.open, bar.high, bar.low, bar.close, bar.volume
    )?;
    let cells = [
        v.ema[0],
        v.ema[1],
        v.ema[2],
        v.rsi,
        v.adx,
        v.plus_di,
        v.minus_di,
        v.atr,
        v.macd,
        v.macd_signal,
        v.macd_hist,
        v.bb_upper,
        v.bb_middle,
        v.bb_lower,
        v.obv,
    ];
    for cell in cells {
        match cell {
            Some(x) => write!(out, ",{x}")?,
            None => out.write_all(b",")?,
        }
    }
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_header_matches_the_reference_file() {
        assert_eq!(
            csv_header(&IndicatorParams::default()),
            "open_time_ms,open,high,low,close,volume,ema20,ema50,ema200,rsi14,adx14,\
             plus_di14,minus_di14,atr14,macd,macd_signal,macd_hist,bb_upper,bb_middle,bb_lower,obv"
        );
    }

    #[test]
    fn header_names_the_configured_periods() {
        let p = IndicatorParams {
            ema_periods: [9, 21, 100],
            rsi_period: 7,
            adx_period: 10,
            atr_period: 5,
            ..IndicatorParams::default()
        };
        let h = csv_header(&p);
        assert!(
            h.contains(",ema9,ema21,ema100,rsi7,adx10,plus_di10,minus_di10,atr5,"),
            "{h}"
        );
    }

    #[test]
    fn warm_up_cells_are_empty_and_numbers_round_trip() {
        let bar = Bar {
            open_time_ms: 1_755_388_800_000,
            open: 117_329.8,
            high: 117_338.1,
            low: 117_258.0,
            close: 117_285.6,
            volume: 400.434,
        };
        let v = IndicatorValues {
            ema: [Some(0.1 + 0.2), None, None],
            obv: Some(400.434),
            ..IndicatorValues::default()
        };
        let mut out = Vec::new();
        write_csv_row(&mut out, &bar, &v).unwrap();
        let line = String::from_utf8(out).unwrap();
        assert_eq!(
            line,
            "1755388800000,117329.8,117338.1,117258,117285.6,400.434,\
             0.30000000000000004,,,,,,,,,,,,,,400.434\n"
        );
        let columns = csv_header(&IndicatorParams::default()).split(',').count();
        assert_eq!(line.trim_end().split(',').count(), columns);
    }
}
