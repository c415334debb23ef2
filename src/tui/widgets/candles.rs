//! A candlestick chart drawn cell by cell: wicks, bodies, EMA overlays, volume
//! bars underneath and a price axis on the right.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::widgets::Widget;

use crate::domain::{Bar, Side};
use crate::engine::{ChartPoint, TradeMark};
use crate::tui::theme;

pub struct CandleChart<'a> {
    pub points: &'a [ChartPoint],
    /// The candle still forming, drawn right of the closed ones.
    pub forming: Option<Bar>,
    /// How many candles the operator wants to see (the zoom); the widget
    /// picks the nearest whole cell width (1 to 3) and fills the plot.
    pub visible: usize,
    /// Candles to skip from the newest end (scrolling back).
    pub scroll: usize,
    pub ema_periods: [usize; 3],
    /// Horizontal lines: the open position's entry, stop and take-profit.
    pub levels: &'a [Level],
    /// Where trades opened (▲ long below the candle, ▼ short above it) and
    /// closed (× on the other side, green when won, red when lost).
    pub trades: &'a [TradeMark],
    /// The open position's entry, marked like a trade's.
    pub open_trade: Option<TradeMark>,
}

/// A price drawn across the chart with a short name ("SL", "TP", "entry").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Level {
    pub price: f64,
    pub name: &'static str,
    pub color: Color,
}

const AXIS_WIDTH: u16 = 11;
const VOLUME_ROWS: u16 = 3;
const VOLUME_GLYPHS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

struct Column {
    bar: Bar,
    emas: [Option<f64>; 3],
}

impl Widget for CandleChart<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.width <= AXIS_WIDTH + 2 || area.height < VOLUME_ROWS + 3 {
            return;
        }
        let plot_width = area.width - AXIS_WIDTH;
        // Zooming changes the cells per candle (1 to 3); the plot is always
        // filled, so zooming out past one cell per candle shows no more.
        let visible = self.visible.max(1);
        let cell_width = ((usize::from(plot_width) + visible / 2) / visible).clamp(1, 3) as u16;
        let columns = self.columns(usize::from(plot_width / cell_width));
        if columns.is_empty() {
            return;
        }
        let price_rows = area.height - VOLUME_ROWS - 1;
        let (lo, hi) = price_range(&columns, self.levels);
        let row_of = |p: f64| -> u16 {
            let frac = if hi > lo { (hi - p) / (hi - lo) } else { 0.5 };
            area.y
                + (frac * f64::from(price_rows - 1))
                    .round()
                    .clamp(0.0, f64::from(price_rows - 1)) as u16
        };
        let max_volume = columns.iter().map(|c| c.bar.volume).fold(0.0, f64::max);
        let volume_top = area.y + price_rows + 1;

        for (i, col) in columns.iter().enumerate() {
            let x = area.x + i as u16 * cell_width;
            let b = col.bar;
            let up = b.close >= b.open;
            let (color, body) = if up {
                (theme::UP, theme::UP_BODY)
            } else {
                (theme::DOWN, theme::DOWN_BODY)
            };
            let style = Style::new().fg(color);
            for y in row_of(b.high)..=row_of(b.low) {
                put(buf, x, y, theme::WICK, style);
            }
            for y in row_of(b.open.max(b.close))..=row_of(b.open.min(b.close)) {
                put(buf, x, y, body, style);
            }
            for (k, ema) in col.emas.iter().enumerate() {
                if let Some(v) = ema.filter(|v| (lo..=hi).contains(v)) {
                    let y = row_of(v);
                    let s = Style::new().fg(theme::EMA_COLORS[k]);
                    for dx in 0..cell_width {
                        if is_blank(buf, x + dx, y) {
                            put(buf, x + dx, y, theme::EMA_DOT, s);
                        }
                    }
                }
            }
            if max_volume > 0.0 {
                let eighths = (b.volume / max_volume * f64::from(VOLUME_ROWS * 8)).round() as u16;
                for r in 0..VOLUME_ROWS {
                    let level = eighths.saturating_sub(r * 8).min(8);
                    if level > 0 {
                        let y = volume_top + VOLUME_ROWS - 1 - r;
                        put(
                            buf,
                            x,
                            y,
                            VOLUME_GLYPHS[usize::from(level - 1)],
                            theme::dim().fg(color),
                        );
                    }
                }
            }
        }

        let trades = self.trades.iter().chain(self.open_trade.iter());
        draw_markers(buf, &columns, trades, cell_width, area, &row_of);

        // Levels go under the candles: drawn only where the cell is blank.
        for level in self.levels {
            let y = row_of(level.price);
            let style = Style::new().fg(level.color);
            for x in area.x..area.x + plot_width {
                if is_blank(buf, x, y) {
                    put(buf, x, y, '╌', style);
                }
            }
            let name_x = (area.x + plot_width).saturating_sub(level.name.len() as u16 + 1);
            buf.set_string(name_x, y, level.name, style);
        }

        let axis_x = area.x + plot_width + 1;
        let label = |buf: &mut Buffer, y: u16, p: f64, style: Style| {
            buf.set_stringn(
                axis_x,
                y,
                format_price(p),
                usize::from(AXIS_WIDTH - 1),
                style,
            );
        };
        label(buf, area.y, hi, theme::dim());
        label(
            buf,
            area.y + (price_rows - 1) / 2,
            (hi + lo) / 2.0,
            theme::dim(),
        );
        label(buf, area.y + price_rows - 1, lo, theme::dim());
        for level in self.levels {
            label(
                buf,
                row_of(level.price),
                level.price,
                Style::new().fg(level.color),
            );
        }
        if let Some(last) = columns.last() {
            label(
                buf,
                row_of(last.bar.close),
                last.bar.close,
                Style::new().fg(Color::Black).bg(Color::White),
            );
        }
        let legend: Vec<String> = self.ema_periods.iter().map(|p| format!("EMA{p}")).collect();
        let mut lx = area.x;
        for (k, text) in legend.iter().enumerate() {
            if lx + text.len() as u16 + 1 < area.x + plot_width {
                buf.set_string(lx, area.y, text, Style::new().fg(theme::EMA_COLORS[k]));
                lx += text.len() as u16 + 1;
            }
        }
    }
}

impl CandleChart<'_> {
    fn columns(&self, count: usize) -> Vec<Column> {
        let end = self.points.len().saturating_sub(self.scroll);
        let forming = self.forming.filter(|_| self.scroll == 0);
        let closed_count = count.saturating_sub(usize::from(forming.is_some()));
        let start = end.saturating_sub(closed_count);
        let mut cols: Vec<Column> = self.points[start..end]
            .iter()
            .map(|p| Column {
                bar: p.bar,
                emas: p.values.ema,
            })
            .collect();
        if let Some(bar) = forming {
            // The forming candle has no EMA yet; carry the last one for continuity.
            let emas = self.points.last().map_or([None; 3], |p| p.values.ema);
            cols.push(Column { bar, emas });
        }
        cols
    }
}

/// Entry and exit markers beside the candle whose time span holds them.
fn draw_markers<'t>(
    buf: &mut Buffer,
    columns: &[Column],
    trades: impl Iterator<Item = &'t TradeMark>,
    cell_width: u16,
    area: Rect,
    row_of: &dyn Fn(f64) -> u16,
) {
    let (Some(first), Some(last)) = (columns.first(), columns.last()) else {
        return;
    };
    let step = match columns {
        [a, b, ..] => b.bar.open_time_ms - a.bar.open_time_ms,
        _ => i64::MAX,
    };
    // Fills are stamped with the time of the price update that made them; a
    // fill at a candle's close time (a replay's or backtest's clock) belongs
    // to that candle, not to the next one: look up a millisecond earlier.
    let column_of = |stamp: i64| -> Option<usize> {
        let t = stamp - 1;
        if t < first.bar.open_time_ms || t >= last.bar.open_time_ms.saturating_add(step) {
            return None;
        }
        Some(columns.partition_point(|c| c.bar.open_time_ms <= t) - 1)
    };
    let bottom = area.y + area.height - VOLUME_ROWS - 2;
    // Below the low, or above the high, of the candle in that column; on the
    // other side when the plot's edge leaves no room, never over the candle.
    let mut mark = |i: usize, below: bool, glyph: char, style: Style| {
        let bar = columns[i].bar;
        let under = row_of(bar.low) + 1;
        let over = row_of(bar.high).checked_sub(1).filter(|&y| y >= area.y);
        let y = match (below, under <= bottom, over) {
            (true, true, _) | (false, true, None) => under,
            (false, _, Some(y)) | (true, false, Some(y)) => y,
            (_, false, None) => return,
        };
        put(buf, area.x + i as u16 * cell_width, y, glyph, style);
    };
    for trade in trades {
        let long = trade.side == Side::Buy;
        if let Some(i) = column_of(trade.entry_ms) {
            let glyph = if long { '▲' } else { '▼' };
            mark(i, long, glyph, Style::new().fg(Color::Cyan));
        }
        if let Some(exit) = trade.exit
            && let Some(i) = column_of(exit.at_ms)
        {
            let color = if exit.won { theme::UP } else { theme::DOWN };
            mark(i, !long, '×', Style::new().fg(color));
        }
    }
}

/// The candles' range, widened to show every level (a stop is never off-screen).
fn price_range(columns: &[Column], levels: &[Level]) -> (f64, f64) {
    let prices = || levels.iter().map(|l| l.price).filter(|p| p.is_finite());
    let lo = columns
        .iter()
        .map(|c| c.bar.low)
        .chain(prices())
        .fold(f64::INFINITY, f64::min);
    let hi = columns
        .iter()
        .map(|c| c.bar.high)
        .chain(prices())
        .fold(f64::NEG_INFINITY, f64::max);
    let pad = (hi - lo) * 0.02;
    (lo - pad, hi + pad)
}

fn format_price(p: f64) -> String {
    if p >= 1000.0 {
        format!("{p:.1}")
    } else if p >= 1.0 {
        format!("{p:.3}")
    } else {
        format!("{p:.6}")
    }
}

fn put(buf: &mut Buffer, x: u16, y: u16, ch: char, style: Style) {
    if let Some(cell) = buf.cell_mut((x, y)) {
        cell.set_char(ch).set_style(style);
    }
}

fn is_blank(buf: &Buffer, x: u16, y: u16) -> bool {
    buf.cell((x, y)).is_some_and(|c| c.symbol() == " ")
}
