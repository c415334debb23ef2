//! A small indicator chart in braille dots: lines, a histogram around zero and
//! horizontal guides (RSI's 30/70 band, the ADX threshold).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::symbols::Marker;
use ratatui::widgets::Widget;
use ratatui::widgets::canvas::{Canvas, Line, Points};

use crate::tui::theme;

pub enum Series {
    Line(Vec<Option<f64>>, Color),
    /// Bars from zero, green above and red below.
    Histogram(Vec<Option<f64>>),
}

pub struct MiniChart {
    pub series: Vec<Series>,
    pub guides: Vec<(f64, Color)>,
    /// Bottom and top of the value axis.
    pub y: [f64; 2],
}

impl MiniChart {
    /// Bounds that hold every value and guide, or `fallback` when there are none.
    pub fn fit(series: &[Series], guides: &[(f64, Color)], fallback: [f64; 2]) -> [f64; 2] {
        let values = series
            .iter()
            .flat_map(|s| match s {
                Series::Line(v, _) | Series::Histogram(v) => v.iter().flatten(),
            })
            .chain(guides.iter().map(|(g, _)| g))
            .copied()
            .filter(|v| v.is_finite());
        let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        if lo < hi { [lo, hi] } else { fallback }
    }
}

impl Widget for MiniChart {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let n = self
            .series
            .iter()
            .map(|s| match s {
                Series::Line(v, _) | Series::Histogram(v) => v.len(),
            })
            .max()
            .unwrap_or(0);
        if n < 2 || area.is_empty() {
            return;
        }
        let x_max = (n - 1) as f64;
        Canvas::default()
            .marker(Marker::Braille)
            .x_bounds([0.0, x_max])
            .y_bounds(self.y)
            .paint(|ctx| {
                // Guides dashed, so a value line on them still reads.
                for &(g, color) in &self.guides {
                    let dashes: Vec<(f64, f64)> =
                        (0..n).step_by(3).map(|i| (i as f64, g)).collect();
                    ctx.draw(&Points::new(&dashes, color));
                }
                ctx.layer();
                for s in &self.series {
                    match s {
                        Series::Line(values, color) => {
                            let points: Vec<(f64, f64)> = values
                                .iter()
                                .enumerate()
                                .filter_map(|(i, v)| v.map(|v| (i as f64, v)))
                                .collect();
                            for w in points.windows(2) {
                                let [(x1, y1), (x2, y2)] = [w[0], w[1]];
                                ctx.draw(&Line::new(x1, y1, x2, y2, *color));
                            }
                        }
                        Series::Histogram(values) => {
                            for (i, v) in values.iter().enumerate() {
                                if let Some(v) = v {
                                    let color = if *v >= 0.0 { theme::UP } else { theme::DOWN };
                                    let x = i as f64;
                                    ctx.draw(&Line::new(x, 0.0, x, *v, color));
                                }
                            }
                        }
                    }
                }
            })
            .render(area, buf);
    }
}
