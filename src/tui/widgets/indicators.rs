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
    let label = |t: String| Span::styled(format!("{t:<9}"), theme::dim());
    let mut lines = vec![Line::from(vec![
        label("close".into()),
        Span::styled(num(close, 2), theme::title()),
    ])];
    for (i, period) in s.ema_periods.iter().enumerate() {
        lines.push(Line::from(vec![
            Span::styled(
                format!("{:<9}", format!("EMA{period}")),
                Style::new().fg(theme::EMA_COLORS[i]),
            ),
            Span::raw(num(v.ema[i], 2)),
        ]));
    }
    let rsi_style = match v.rsi {
        Some(r) if r >= 70.0 => Style::new().fg(Color::Red),
        Some(r) if r <= 30.0 => Style::new().fg(Color::Green),
        _ => Style::new(),
    };
    lines.push(Line::from(vec![
        label("RSI".into()),
        Span::styled(num(v.rsi, 1), rsi_style),
    ]));
    lines.push(Line::from(vec![
        label("ADX".into()),
        Span::raw(format!(
            "{}  +DI {}  −DI {}",
            num(v.adx, 1),
            num(v.plus_di, 1),
            num(v.minus_di, 1)
        )),
    ]));
    lines.push(Line::from(vec![
        label("ATR".into()),
        Span::raw(num(v.atr, 2)),
    ]));
    lines.push(Line::from(vec![
        label("MACD".into()),
        Span::raw(format!("{}  sig {}", num(v.macd, 2), num(v.macd_signal, 2))),
    ]));
    let hist_style = match v.macd_hist {
        Some(h) if h >= 0.0 => Style::new().fg(theme::UP),
        Some(_) => Style::new().fg(theme::DOWN),
        None => Style::new(),
    };
    lines.push(Line::from(vec![
        label("  hist".into()),
        Span::styled(num(v.macd_hist, 2), hist_style),
    ]));
    lines.push(Line::from(vec![
        label("BB".into()),
        Span::raw(format!(
            "{} / {} / {}",
            num(v.bb_upper, 1),
            num(v.bb_middle, 1),
            num(v.bb_lower, 1)
        )),
    ]));
    lines.push(Line::from(vec![
        label("OBV".into()),
        Span::raw(num(v.obv, 0)),
    ]));
    lines
}
