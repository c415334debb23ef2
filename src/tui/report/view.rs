//! `cockpit report DIR`: the equity curve and the drawdown under it, the
//! figures beside them, the trades below. Rendering is a function of the
//! loaded result and the scroll position alone.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Paragraph, Row, Table, Widget};
use rust_decimal::Decimal;

use crate::backtest::report::SavedResult;
use crate::backtest::report::axis::grouped;
use crate::backtest::report::chart::{drawdown, title};
use crate::backtest::summary;
use crate::domain::Side;
use crate::domain::time::format_utc;
use crate::tui::theme;

const METRICS_WIDTH: u16 = 46;
const EQUITY_COLOR: Color = Color::Cyan;

pub struct ReportView {
    saved: SavedResult,
    equity: Vec<(f64, f64)>,
    drawdown: Vec<(f64, f64)>,
    /// The first trade row on screen.
    scroll: usize,
    pub quit: bool,
}

/// The screen's parts, the same for drawing and for paging.
struct Areas {
    header: Rect,
    equity: Rect,
    drawdown: Rect,
    metrics: Rect,
    trades: Rect,
}

fn areas(area: Rect) -> Areas {
    let [header, top, trades] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Percentage(58),
        Constraint::Min(5),
    ])
    .areas(area);
    let [charts, metrics] =
        Layout::horizontal([Constraint::Min(20), Constraint::Length(METRICS_WIDTH)]).areas(top);
    let [equity, drawdown] =
        Layout::vertical([Constraint::Percentage(65), Constraint::Percentage(35)]).areas(charts);
    Areas {
        header,
        equity,
        drawdown,
        metrics,
        trades,
    }
}

/// Trade rows that fit: the box's borders and the header row take three lines.
fn visible_rows(screen: Rect) -> usize {
    areas(screen).trades.height.saturating_sub(3) as usize
}

fn date(ms: i64) -> String {
    format_utc(ms)[..10].to_string()
}

fn minute(ms: i64) -> String {
    format_utc(ms)[..16].to_string()
}

fn bounds(values: impl Iterator<Item = f64>) -> [f64; 2] {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if lo < hi {
        [lo, hi]
    } else if lo.is_finite() {
        [lo - 1.0, lo + 1.0]
    } else {
        [0.0, 1.0]
    }
}

impl ReportView {
    pub fn new(saved: SavedResult) -> ReportView {
        let curve: Vec<(i64, f64)> = saved
            .equity
            .iter()
            .copied()
            .filter(|p| p.1.is_finite())
            .collect();
        ReportView {
            equity: curve.iter().map(|&(t, e)| (t as f64, e)).collect(),
            drawdown: drawdown(&curve)
                .into_iter()
                .map(|(t, d)| (t as f64, -d))
                .collect(),
            saved,
            scroll: 0,
            quit: false,
        }
    }

    pub fn scroll(&self) -> usize {
        self.scroll
    }

    /// The operator's key on a screen of `screen`'s size.
    pub fn on_key(&mut self, key: KeyEvent, screen: Rect) {
        if key.kind == KeyEventKind::Release {
            return;
        }
        let page = visible_rows(screen).max(1);
        let last = self.saved.trades.len().saturating_sub(page);
        self.scroll = match key.code {
            KeyCode::Char('q') | KeyCode::Esc => {
                self.quit = true;
                self.scroll
            }
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.quit = true;
                self.scroll
            }
            KeyCode::Down | KeyCode::Char('j') => self.scroll + 1,
            KeyCode::Up | KeyCode::Char('k') => self.scroll.saturating_sub(1),
            KeyCode::PageDown | KeyCode::Char(' ') => self.scroll + page,
            KeyCode::PageUp => self.scroll.saturating_sub(page),
            KeyCode::Home | KeyCode::Char('g') => 0,
            KeyCode::End | KeyCode::Char('G') => last,
            _ => self.scroll,
        }
        .min(last);
    }

    fn header(&self) -> Line<'_> {
        Line::from(vec![
            Span::styled(format!(" {}", title(&self.saved)), theme::title()),
            Span::styled(
                format!(
                    "  ·  {} candles   ↑/↓ PgUp/PgDn Home/End scroll · q quit",
                    grouped(self.saved.bars as f64, 0)
                ),
                theme::dim(),
            ),
        ])
    }

    fn time_axis(&self) -> Axis<'_> {
        let [t0, t1] = bounds(self.equity.iter().map(|p| p.0));
        let mid = t0 + (t1 - t0) / 2.0;
        Axis::default()
            .bounds([t0, t1])
            .style(theme::dim())
            .labels([t0, mid, t1].map(|t| date(t as i64)))
    }

    fn equity_chart(&self, area: Rect, buf: &mut Buffer) {
        let [lo, hi] = bounds(self.equity.iter().map(|p| p.1));
        let pad = (hi - lo) * 0.05;
        let (lo, hi) = (lo - pad, hi + pad);
        let labels = [lo, (lo + hi) / 2.0, hi].map(|v| grouped(v, 0));
        Chart::new(vec![
            Dataset::default()
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(Style::new().fg(EQUITY_COLOR))
                .data(&self.equity),
        ])
        .block(Block::bordered().title(" equity (USDT) "))
        .x_axis(self.time_axis())
        .y_axis(
            Axis::default()
                .bounds([lo, hi])
                .style(theme::dim())
                .labels(labels),
        )
        .render(area, buf);
    }

    fn drawdown_chart(&self, area: Rect, buf: &mut Buffer) {
        let floor = self
            .drawdown
            .iter()
            .map(|p| p.1)
            .fold(0.0f64, f64::min)
            .min(-1.0);
        Chart::new(vec![
            Dataset::default()
                .marker(Marker::Braille)
                .graph_type(GraphType::Area)
                .fill_to_y(0.0)
                .style(Style::new().fg(theme::DOWN))
                .data(&self.drawdown),
        ])
        .block(Block::bordered().title(format!(
            " drawdown (max {:.2} %) ",
            self.saved.metrics.max_drawdown * 100.0
        )))
        .x_axis(self.time_axis())
        .y_axis(
            Axis::default()
                .bounds([floor, 0.0])
                .style(theme::dim())
                .labels([format!("{floor:.0} %"), "0 %".to_string()]),
        )
        .render(area, buf);
    }

    fn metrics(&self, area: Rect, buf: &mut Buffer) {
        let [risk, trades] = summary::metric_groups(&self.saved.metrics);
        let row = |(name, value): (&str, String)| {
            Line::from(vec![
                Span::styled(format!("{name:<22}"), theme::dim()),
                Span::raw(value),
            ])
        };
        let mut lines: Vec<Line> = risk.into_iter().map(row).collect();
        lines.push(Line::raw(""));
        lines.extend(trades.into_iter().map(row));
        Paragraph::new(lines)
            .block(Block::bordered().title(" metrics "))
            .render(area, buf);
    }

    fn trades(&self, area: Rect, buf: &mut Buffer) {
        let trades = &self.saved.trades;
        let rows = area.height.saturating_sub(3) as usize;
        let first = self.scroll.min(trades.len().saturating_sub(rows));
        let shown = &trades[first..(first + rows).min(trades.len())];
        let title = if trades.is_empty() {
            " trades: none ".to_string()
        } else {
            format!(
                " trades {}–{} of {} ",
                first + 1,
                first + shown.len(),
                trades.len()
            )
        };
        let body = shown.iter().enumerate().map(|(i, t)| {
            let (side, color) = match t.side {
                Side::Buy => ("LONG", theme::UP),
                Side::Sell => ("SHORT", theme::DOWN),
            };
            let pnl_color = if t.pnl > Decimal::ZERO {
                theme::UP
            } else {
                theme::DOWN
            };
            Row::new(vec![
                Span::styled(format!("{}", first + i + 1), theme::dim()),
                Span::raw(t.symbol.to_string()),
                Span::styled(side, Style::new().fg(color)),
                Span::raw(t.qty.to_string()),
                Span::raw(minute(t.entry_time_ms)),
                Span::raw(t.entry_price.to_string()),
                Span::raw(minute(t.exit_time_ms)),
                Span::raw(t.exit_price.to_string()),
                Span::raw(t.exit_reason.clone()),
                Span::styled(format!("{:+.2}", t.pnl), Style::new().fg(pnl_color)),
            ])
        });
        let header = Row::new([
            "#",
            "symbol",
            "side",
            "qty",
            "entry (UTC)",
            "entry",
            "exit (UTC)",
            "exit",
            "reason",
            "PnL",
        ])
        .style(theme::title());
        Table::new(
            body,
            [
                Constraint::Length(5),
                Constraint::Length(9),
                Constraint::Length(5),
                Constraint::Length(8),
                Constraint::Length(16),
                Constraint::Length(10),
                Constraint::Length(16),
                Constraint::Length(10),
                Constraint::Length(11),
                Constraint::Min(9),
            ],
        )
        .header(header)
        .block(Block::bordered().title(title))
        .render(area, buf);
    }
}

impl Widget for &ReportView {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let a = areas(area);
        Paragraph::new(self.header()).render(a.header, buf);
        self.equity_chart(a.equity, buf);
        self.drawdown_chart(a.drawdown, buf);
        self.metrics(a.metrics, buf);
        self.trades(a.trades, buf);
    }
}
