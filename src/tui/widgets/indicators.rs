//! The latest indicator values of the selected symbol, printed.

use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};

use crate::tui::App;
use crate::tui::theme;

fn num(v: Option<f64>, decimals: usize) -> String {
    v.map_or("—".to_string(), |v| format!("{v:.decimals$}"))
}

pub fn indicator_lines(app: &App) -> Vec<Line<'static>> {
    let s = &app.snapshot;
    let Some(sym) = s.symbols.get(app.selected) else {
        return vec![Line::styled("no data yet", theme::dim())];
    };
    let v = &sym.latest;
    let close = sym
        .forming
        .map(|b| b.close)
        .or_else(|| sym.history.last().map(|p| p.bar.close));
    // One row: a dim label, then the value in its style.
    let row = |label: &str, label_style: Style, value: String, style: Style| {
        Line::from(vec![
            Span::styled(format!("{label:<9}"), label_style),
            Span::styled(value, style),
        ])
    };
    let plain = |label: &str, value: String| row(label, theme::dim(), value, Style::new());
    let mut lines = vec![row("close", theme::dim(), num(close, 2), theme::title())];
    for (i, period) in s.ema_periods.iter().enumerate() {
        let colour = Style::new().fg(theme::EMA_COLORS[i]);
        lines.push(row(
            &format!("EMA{period}"),
            colour,
            num(v.ema[i], 2),
            Style::new(),
        ));
    }
    let rsi_style = match v.rsi {
        Some(r) if r >= 70.0 => Style::new().fg(Color::Red),
        Some(r) if r <= 30.0 => Style::new().fg(Color::Green),
        _ => Style::new(),
    };
    lines.push(row("RSI", theme::dim(), num(v.rsi, 1), rsi_style));
    let adx = format!(
        "{}  +DI {}  −DI {}",
        num(v.adx, 1),
        num(v.plus_di, 1),
        num(v.minus_di, 1)
    );
    lines.push(plain("ADX", adx));
    lines.push(plain("ATR", num(v.atr, 2)));
    lines.push(plain(
        "MACD",
        format!("{}  sig {}", num(v.macd, 2), num(v.macd_signal, 2)),
    ));
    let hist_style = match v.macd_hist {
        Some(h) if h >= 0.0 => Style::new().fg(theme::UP),
        Some(_) => Style::new().fg(theme::DOWN),
        None => Style::new(),
    };
    lines.push(row("  hist", theme::dim(), num(v.macd_hist, 2), hist_style));
    let bands = format!(
        "{} / {} / {}",
        num(v.bb_upper, 1),
        num(v.bb_middle, 1),
        num(v.bb_lower, 1)
    );
    lines.push(plain("BB", bands));
    lines.push(plain("OBV", num(v.obv, 0)));
    lines
}
