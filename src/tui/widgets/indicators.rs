//! The selected symbol's indicators: values printed, and RSI (with its 30/70
//! band), ADX (+DI/−DI and the strategy's threshold) and the MACD histogram
//! drawn over the latest closed candles, ending where the chart is scrolled to.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::mini_chart::{MiniChart, Series};
use crate::engine::{ChartPoint, SymbolSnapshot};
use crate::indicators::IndicatorValues;
use crate::tui::App;
use crate::tui::theme;

const RSI_BAND: [f64; 2] = [30.0, 70.0];
/// Rows of values above the charts.
const VALUE_ROWS: u16 = 4;

pub struct IndicatorPanel<'a> {
    pub app: &'a App,
}

impl Widget for IndicatorPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let s = &self.app.snapshot;
        let Some(sym) = s.symbols.get(self.app.selected) else {
            Paragraph::new(Line::styled("no data yet", theme::dim())).render(area, buf);
            return;
        };
        let v = &sym.latest;
        let chart_rows = (area.height.saturating_sub(VALUE_ROWS + 3) / 3).max(1);
        let [values, rsi_label, rsi, adx_label, adx, macd_label, macd] = Layout::vertical([
            Constraint::Length(VALUE_ROWS),
            Constraint::Length(1),
            Constraint::Length(chart_rows),
            Constraint::Length(1),
            Constraint::Length(chart_rows),
            Constraint::Length(1),
            Constraint::Length(chart_rows),
        ])
        .areas(area);
        Paragraph::new(value_lines(self.app, sym)).render(values, buf);

        // Two braille dots per cell: the charts show twice their width in candles.
        let points = visible(&sym.history, self.app.scroll, usize::from(area.width) * 2);
        let series = |f: fn(&IndicatorValues) -> Option<f64>| -> Vec<Option<f64>> {
            points.iter().map(|p| f(&p.values)).collect()
        };

        label(
            vec![
                Span::styled("RSI ", theme::dim()),
                Span::styled(num(v.rsi, 1), rsi_style(v.rsi)),
                Span::styled("   band 30 / 70", theme::dim()),
            ],
            rsi_label,
            buf,
        );
        MiniChart {
            series: vec![Series::Line(series(|v| v.rsi), Color::Yellow)],
            guides: RSI_BAND.iter().map(|&g| (g, Color::DarkGray)).collect(),
            y: [0.0, 100.0],
        }
        .render(rsi, buf);

        let threshold = s.adx_threshold;
        label(
            vec![
                Span::styled("ADX ", theme::dim()),
                Span::raw(num(v.adx, 1)),
                Span::styled(" +DI ", Style::new().fg(theme::UP)),
                Span::raw(num(v.plus_di, 1)),
                Span::styled(" −DI ", Style::new().fg(theme::DOWN)),
                Span::raw(num(v.minus_di, 1)),
                Span::styled(format!("  min {threshold}"), theme::dim()),
            ],
            adx_label,
            buf,
        );
        let adx_series = vec![
            Series::Line(series(|v| v.plus_di), theme::UP),
            Series::Line(series(|v| v.minus_di), theme::DOWN),
            Series::Line(series(|v| v.adx), Color::White),
        ];
        let guides = vec![(threshold, Color::DarkGray)];
        let y = MiniChart::fit(&adx_series, &guides, [0.0, 50.0]);
        MiniChart {
            series: adx_series,
            guides,
            y: [0.0, y[1]],
        }
        .render(adx, buf);

        label(
            vec![
                Span::styled("MACD ", theme::dim()),
                Span::raw(num(v.macd, 2)),
                Span::styled(" sig ", theme::dim()),
                Span::raw(num(v.macd_signal, 2)),
                Span::styled(" hist ", theme::dim()),
                Span::styled(
                    num(v.macd_hist, 2),
                    match v.macd_hist {
                        Some(h) if h >= 0.0 => Style::new().fg(theme::UP),
                        Some(_) => Style::new().fg(theme::DOWN),
                        None => Style::new(),
                    },
                ),
            ],
            macd_label,
            buf,
        );
        let hist = vec![Series::Histogram(series(|v| v.macd_hist))];
        // Symmetric around zero, so the zero line sits in the middle.
        let [lo, hi] = MiniChart::fit(&hist, &[], [-1.0, 1.0]);
        let reach = lo.abs().max(hi.abs());
        MiniChart {
            series: hist,
            guides: vec![(0.0, Color::DarkGray)],
            y: [-reach, reach],
        }
        .render(macd, buf);
    }
}

/// The closed candles ending where the chart's scroll is, at most `count`.
fn visible(history: &[ChartPoint], scroll: usize, count: usize) -> &[ChartPoint] {
    let end = history.len().saturating_sub(scroll);
    &history[end.saturating_sub(count)..end]
}

fn label(spans: Vec<Span<'static>>, area: Rect, buf: &mut Buffer) {
    Paragraph::new(Line::from(spans)).render(area, buf);
}

fn num(v: Option<f64>, decimals: usize) -> String {
    v.map_or("—".to_string(), |v| format!("{v:.decimals$}"))
}

fn rsi_style(rsi: Option<f64>) -> Style {
    match rsi {
        Some(r) if r >= RSI_BAND[1] => Style::new().fg(theme::DOWN),
        Some(r) if r <= RSI_BAND[0] => Style::new().fg(theme::UP),
        _ => Style::new(),
    }
}

fn value_lines(app: &App, sym: &SymbolSnapshot) -> Vec<Line<'static>> {
    let v = &sym.latest;
    let periods = app.snapshot.ema_periods;
    let close = sym
        .forming
        .map(|b| b.close)
        .or_else(|| sym.history.last().map(|p| p.bar.close));
    let ema = |i: usize| {
        [
            Span::styled(
                format!("EMA{} ", periods[i]),
                Style::new().fg(theme::EMA_COLORS[i]),
            ),
            Span::raw(format!("{}  ", num(v.ema[i], 1))),
        ]
    };
    let [e0, e1, e2] = [ema(0), ema(1), ema(2)];
    vec![
        Line::from(vec![
            Span::styled("close ", theme::dim()),
            Span::styled(format!("{}  ", num(close, 2)), theme::title()),
            Span::styled("ATR ", theme::dim()),
            Span::raw(num(v.atr, 2)),
        ]),
        Line::from(e0.into_iter().chain(e1).collect::<Vec<_>>()),
        Line::from(
            e2.into_iter()
                .chain([Span::styled("OBV ", theme::dim()), Span::raw(num(v.obv, 0))])
                .collect::<Vec<_>>(),
        ),
        Line::from(vec![
            Span::styled("BB ", theme::dim()),
            Span::raw(format!(
                "{} / {} / {}",
                num(v.bb_upper, 1),
                num(v.bb_middle, 1),
                num(v.bb_lower, 1)
            )),
        ]),
    ]
}
