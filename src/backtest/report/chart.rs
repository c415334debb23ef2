//! `equity.png` and `equity.svg`: the equity curve with the trades on it,
//! and the drawdown below the running peak under it, on one time axis.
//! Drawn once for any plotters backend; the values are `f64` for drawing only.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::backtest::summary;
use crate::domain::Side;
use crate::domain::time::format_utc;

use super::axis::{decimals_for, grouped, time_ticks};
use super::fonts::FAMILY;
use super::marker::{Marker, Shape};
use super::saved::SavedResult;

/// Width and height in pixels.
pub const SIZE: (u32, u32) = (1600, 900);

const HEADER_PX: u32 = 92;
/// Share of the plots' height that the equity panel takes.
const EQUITY_SHARE: f64 = 0.68;
/// Both panels' value axes are this wide, so their time axes line up.
const Y_AXIS_PX: u32 = 104;
const RIGHT_PX: u32 = 36;
/// Room for the rotated axis descriptions.
const LEFT_PX: u32 = 10;

const INK: RGBColor = RGBColor(40, 40, 48);
const MUTED: RGBColor = RGBColor(105, 105, 115);
const GRID: RGBColor = RGBColor(224, 224, 230);
const GRID_LIGHT: RGBColor = RGBColor(243, 243, 246);
const EQUITY: RGBColor = RGBColor(28, 92, 170);
const UP: RGBColor = RGBColor(16, 150, 72);
const DOWN: RGBColor = RGBColor(214, 45, 45);
const DRAWDOWN: RGBColor = RGBColor(200, 30, 30);

/// Fewer pixels of width per trade than this, and the markers go under the curve.
const DENSE_PX_PER_TRADE: f64 = 4.0;
/// Marker opacity: a thousand trades overlap without hiding the curve.
const MARKER_ALPHA: f64 = 0.55;

fn text<'a>(size: f64, color: RGBColor) -> TextStyle<'a> {
    (FAMILY, size).into_font().color(&color)
}

fn bold<'a>(size: f64, color: RGBColor) -> TextStyle<'a> {
    (FAMILY, size, FontStyle::Bold).into_font().color(&color)
}

fn fail<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// The equity at `t`, read off the drawn curve so that markers sit on it.
fn equity_at(curve: &[(i64, f64)], t: i64) -> Option<f64> {
    let i = curve.partition_point(|p| p.0 < t);
    match (i.checked_sub(1).and_then(|j| curve.get(j)), curve.get(i)) {
        (_, Some(&(t1, e1))) if t1 == t => Some(e1),
        (Some(&(t0, e0)), Some(&(t1, e1))) => {
            Some(e0 + (e1 - e0) * (t - t0) as f64 / (t1 - t0) as f64)
        }
        (Some(&(_, e)), None) | (None, Some(&(_, e))) => Some(e),
        (None, None) => None,
    }
}

/// Percent below the running peak (≥ 0) at each point of the curve.
pub fn drawdown(curve: &[(i64, f64)]) -> Vec<(i64, f64)> {
    let mut peak = f64::NEG_INFINITY;
    curve
        .iter()
        .map(|&(t, e)| {
            peak = peak.max(e);
            let dd = if peak > 0.0 {
                (peak - e) / peak * 100.0
            } else {
                0.0
            };
            (t, dd)
        })
        .collect()
}

/// The legend's corner: the one the curve crosses least.
fn quiet_corner(
    curve: &[(i64, f64)],
    (t0, t1): (i64, i64),
    (lo, hi): (f64, f64),
) -> SeriesLabelPosition {
    // The legend covers about this share of the plot's width and height.
    let (w, h) = (0.15, 0.32);
    let span_t = (t1 - t0).max(1) as f64;
    let span_e = (hi - lo).max(f64::MIN_POSITIVE);
    let crossing = |left: bool, upper: bool| {
        curve
            .iter()
            .filter(|(t, e)| {
                let x = (*t - t0) as f64 / span_t;
                let y = (e - lo) / span_e;
                (if left { x < w } else { x > 1.0 - w })
                    && (if upper { y > 1.0 - h } else { y < h })
            })
            .count()
    };
    [
        (SeriesLabelPosition::UpperLeft, true, true),
        (SeriesLabelPosition::UpperRight, false, true),
        (SeriesLabelPosition::LowerLeft, true, false),
        (SeriesLabelPosition::LowerRight, false, false),
    ]
    .into_iter()
    .min_by_key(|(_, left, upper)| crossing(*left, *upper))
    .map_or(SeriesLabelPosition::UpperLeft, |c| c.0)
}

pub fn title(saved: &SavedResult) -> String {
    let m = &saved.metrics;
    let mut title = saved.symbol_names().join(", ");
    if let Some(interval) = saved.interval {
        title.push_str(&format!(" {interval}"));
    }
    title.push_str(" backtest");
    if let (Some(f), Some(l)) = (m.first_ms, m.last_ms) {
        title.push_str(&format!(
            "  ·  {} → {} (UTC)",
            &format_utc(f)[..10],
            &format_utc(l)[..10]
        ));
    }
    title
}

fn subtitle(saved: &SavedResult) -> String {
    let m = &saved.metrics;
    [
        format!("return {}", summary::pct(m.total_return)),
        format!("CAGR {}", summary::pct(m.cagr)),
        format!("max drawdown {:.2} %", m.max_drawdown * 100.0),
        format!("Sharpe {}", summary::num(m.sharpe)),
        format!(
            "{} trades, {} won",
            grouped(m.trades as f64, 0),
            summary::pct(m.win_rate)
        ),
        format!("final equity {}", summary::usdt(Some(m.final_equity))),
    ]
    .join("   ·   ")
}

pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    saved: &SavedResult,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(fail)?;
    let (header, body) = root.split_vertically(HEADER_PX);
    let left = Y_AXIS_PX as i32 + 8;
    header
        .draw(&Text::new(title(saved), (left, 16), bold(30.0, INK)))
        .map_err(fail)?;
    header
        .draw(&Text::new(subtitle(saved), (left, 58), text(18.0, MUTED)))
        .map_err(fail)?;

    let curve: Vec<(i64, f64)> = saved
        .equity
        .iter()
        .copied()
        .filter(|p| p.1.is_finite())
        .collect();
    let t0 = curve.first().map_or(0, |p| p.0);
    let t1 = curve.last().map_or(0, |p| p.0).max(t0 + 3_600_000);
    let (step, ticks) = time_ticks(t0, t1);
    let label_time = |t: &i64| step.label(*t);

    let body_h = body.dim_in_pixel().1;
    let (top, bottom) = body.split_vertically((body_h as f64 * EQUITY_SHARE) as u32);

    // Equity.
    let (lo, hi) = curve
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p.1), hi.max(p.1))
        });
    let (lo, hi) = if lo < hi {
        let pad = (hi - lo) * 0.06;
        (lo - pad, hi + pad)
    } else if lo.is_finite() {
        let pad = (lo.abs() * 0.01).max(1.0);
        (lo - pad, lo + pad)
    } else {
        (0.0, 1.0)
    };
    let decimals = decimals_for(hi - lo);
    let label_equity = |v: &f64| grouped(*v, decimals);
    let mut chart = ChartBuilder::on(&top)
        .margin_top(6)
        .margin_left(LEFT_PX)
        .margin_right(RIGHT_PX)
        .y_label_area_size(Y_AXIS_PX)
        .build_cartesian_2d((t0..t1).with_key_points(ticks.clone()), lo..hi)
        .map_err(fail)?;
    chart
        .configure_mesh()
        .bold_line_style(GRID)
        .light_line_style(GRID_LIGHT)
        .y_max_light_lines(1)
        .axis_style(MUTED)
        .y_labels(8)
        .y_label_formatter(&label_equity)
        .x_label_formatter(&label_time)
        .y_desc("equity (USDT)")
        .axis_desc_style(text(18.0, INK))
        .label_style(text(15.0, INK))
        .draw()
        .map_err(fail)?;

    // Sparse trades are marked over the curve. Dense ones would hide it: they
    // go under it and show as a band around it. The curve's legend entry
    // comes first either way.
    let dense = saved.trades.len() as f64
        > chart.plotting_area().dim_in_pixel().0 as f64 / DENSE_PX_PER_TRADE;
    let line =
        |(x, y): (i32, i32), style: ShapeStyle| PathElement::new([(x, y), (x + 22, y)], style);
    chart
        .draw_series(std::iter::empty::<Circle<(i64, f64), i32>>())
        .map_err(fail)?
        .label("equity")
        .legend(move |p| line(p, EQUITY.stroke_width(2)));
    let start = saved.metrics.start_equity.to_f64();
    if let Some(start) = start.filter(|s| *s > lo && *s < hi) {
        chart
            .draw_series(DashedLineSeries::new(
                [(t0, start), (t1, start)],
                8,
                6,
                MUTED.stroke_width(1),
            ))
            .map_err(fail)?
            .label("start equity")
            .legend(move |p| line(p, MUTED.stroke_width(1)));
    }
    if !dense {
        chart
            .draw_series(LineSeries::new(
                curve.iter().copied(),
                EQUITY.stroke_width(2),
            ))
            .map_err(fail)?;
    }
    let mark = |color: RGBColor| color.mix(MARKER_ALPHA).filled();
    let mut markers = |label: &str, shape: Shape, color: RGBColor, at: Vec<(i64, f64)>| {
        chart
            .draw_series(at.into_iter().map(|at| Marker {
                at,
                shape,
                style: mark(color),
            }))
            .map(|series| {
                series.label(label).legend(move |(x, y)| Marker {
                    at: (x + 11, y),
                    shape: shape.centred(),
                    style: color.filled(),
                });
            })
            .map_err(fail)
    };
    let entries = |side: Side| -> Vec<(i64, f64)> {
        saved
            .trades
            .iter()
            .filter(|t| t.side == side)
            .filter_map(|t| equity_at(&curve, t.entry_time_ms).map(|e| (t.entry_time_ms, e)))
            .collect()
    };
    let exits = |won: bool| -> Vec<(i64, f64)> {
        saved
            .trades
            .iter()
            .filter(|t| (t.pnl > Decimal::ZERO) == won)
            .filter_map(|t| equity_at(&curve, t.exit_time_ms).map(|e| (t.exit_time_ms, e)))
            .collect()
    };
    markers("long entry", Shape::Up { gap: 3 }, UP, entries(Side::Buy))?;
    markers(
        "short entry",
        Shape::Down { gap: 3 },
        DOWN,
        entries(Side::Sell),
    )?;
    let dot = Shape::Dot {
        radius: if dense { 2 } else { 3 },
    };
    markers("exit, won", dot, UP, exits(true))?;
    markers("exit, lost", dot, DOWN, exits(false))?;
    if dense {
        chart
            .draw_series(LineSeries::new(
                curve.iter().copied(),
                EQUITY.stroke_width(2),
            ))
            .map_err(fail)?;
    }
    chart
        .configure_series_labels()
        .position(quiet_corner(&curve, (t0, t1), (lo, hi)))
        .margin(14)
        .legend_area_size(30)
        .background_style(WHITE.mix(0.9))
        .border_style(GRID)
        .label_font(text(15.0, INK))
        .draw()
        .map_err(fail)?;

    // Drawdown.
    let dd = drawdown(&curve);
    let deepest = dd
        .iter()
        .copied()
        .fold(None, |best: Option<(i64, f64)>, p| match best {
            Some(b) if b.1 >= p.1 => Some(b),
            _ => Some(p),
        });
    let floor = -(deepest.map_or(0.0, |d| d.1) * 1.18).max(1.0);
    let label_pct = |v: &f64| format!("{} %", grouped(*v, decimals_for(-floor * 5.0)));
    let mut chart = ChartBuilder::on(&bottom)
        .margin_top(10)
        .margin_left(LEFT_PX)
        .margin_bottom(8)
        .margin_right(RIGHT_PX)
        .y_label_area_size(Y_AXIS_PX)
        .x_label_area_size(52)
        .build_cartesian_2d((t0..t1).with_key_points(ticks), floor..0.0)
        .map_err(fail)?;
    chart
        .configure_mesh()
        .bold_line_style(GRID)
        .light_line_style(GRID_LIGHT)
        .y_max_light_lines(1)
        .axis_style(MUTED)
        .y_labels(5)
        .y_label_formatter(&label_pct)
        .x_label_formatter(&label_time)
        .y_desc("drawdown")
        .x_desc("time (UTC)")
        .axis_desc_style(text(18.0, INK))
        .label_style(text(15.0, INK))
        .draw()
        .map_err(fail)?;
    chart
        .draw_series(
            AreaSeries::new(dd.iter().map(|&(t, d)| (t, -d)), 0.0, DRAWDOWN.mix(0.28))
                .border_style(DRAWDOWN.stroke_width(1)),
        )
        .map_err(fail)?;
    if let Some((t, d)) = deepest.filter(|d| d.1 > 0.0) {
        let right_half = (t - t0) as f64 > (t1 - t0) as f64 * 0.75;
        let anchor = if right_half { HPos::Right } else { HPos::Left };
        let dx = if right_half { -8 } else { 8 };
        // The figure of the full curve; the thinned one may miss the very bottom.
        let deepest_pct = if saved.metrics.max_drawdown > 0.0 {
            saved.metrics.max_drawdown * 100.0
        } else {
            d
        };
        let label = format!("−{deepest_pct:.2} %  {}", &format_utc(t)[..10]);
        // Under the deepest point, in the room the floor leaves.
        chart
            .draw_series([EmptyElement::at((t, -d))
                + Circle::new((0, 0), 3, DRAWDOWN.filled())
                + Text::new(
                    label,
                    (dx, 4),
                    text(15.0, DRAWDOWN).pos(Pos::new(anchor, VPos::Top)),
                )])
            .map_err(fail)?;
    }
    root.present().map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_sit_on_the_curve_between_its_points() {
        let curve = [(0, 100.0), (10, 200.0), (20, 150.0)];
        assert_eq!(equity_at(&curve, 5), Some(150.0));
        assert_eq!(equity_at(&curve, 10), Some(200.0));
        assert_eq!(equity_at(&curve, 25), Some(150.0));
        assert_eq!(equity_at(&curve, -5), Some(100.0));
        assert_eq!(equity_at(&[], 5), None);
    }

    #[test]
    fn the_legend_goes_where_the_curve_is_not() {
        // Rising: the upper left and the lower right are empty; upper left wins.
        let rising: Vec<(i64, f64)> = (0..100).map(|i| (i, i as f64)).collect();
        let corner = quiet_corner(&rising, (0, 99), (0.0, 99.0));
        assert!(matches!(corner, SeriesLabelPosition::UpperLeft));
        // Falling: the upper right is empty.
        let falling: Vec<(i64, f64)> = (0..100).map(|i| (i, 99.0 - i as f64)).collect();
        let corner = quiet_corner(&falling, (0, 99), (0.0, 99.0));
        assert!(matches!(corner, SeriesLabelPosition::UpperRight));
    }

    #[test]
    fn drawdown_is_the_percent_below_the_running_peak() {
        let dd = drawdown(&[(0, 100.0), (1, 80.0), (2, 120.0), (3, 90.0)]);
        let pct: Vec<f64> = dd.iter().map(|p| p.1).collect();
        assert_eq!(pct, [0.0, 20.0, 0.0, 25.0]);
    }
}
