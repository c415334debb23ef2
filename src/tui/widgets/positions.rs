//! Open positions with their stop and take-profit (✓ when the exchange
//! confirmed them working), liquidation price, and the open orders below.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use rust_decimal::Decimal;

use crate::domain::{OrderKind, OrderState, Side};
use crate::tui::App;
use crate::tui::theme;

/// Below this width a position takes three lines instead of two.
const NARROW: u16 = 60;

pub fn position_lines(app: &App, width: u16) -> Vec<Line<'static>> {
    let narrow = width < NARROW;
    let s = &app.snapshot;
    let mut lines = Vec::new();
    for sym in &s.symbols {
        let Some(p) = &sym.position else { continue };
        let (side, colour) = match p.position.side {
            Side::Buy => ("LONG ", theme::UP),
            Side::Sell => ("SHORT", theme::DOWN),
        };
        let pnl_style = if p.unrealized < Decimal::ZERO {
            Style::new().fg(theme::DOWN)
        } else {
            Style::new().fg(theme::UP)
        };
        let mark = |ok: bool| {
            if ok {
                Span::styled("✓", Style::new().fg(Color::Green))
            } else {
                // Not confirmed on the exchange: impossible to miss.
                Span::styled(
                    "?",
                    Style::new()
                        .fg(Color::Red)
                        .add_modifier(Modifier::BOLD | Modifier::REVERSED),
                )
            }
        };
        let what = vec![
            Span::styled(format!("{} ", sym.symbol), theme::title()),
            Span::styled(side, Style::new().fg(colour)),
            Span::raw(format!(
                " {} @ {}  ",
                p.position.qty, p.position.entry_price
            )),
        ];
        let value = [
            Span::raw(format!("mark {}  ", p.mark)),
            Span::styled(format!("uPnL {:+.2}", p.unrealized), pnl_style),
        ];
        if narrow {
            lines.push(Line::from(what));
            lines.push(Line::from(value.to_vec()));
        } else {
            lines.push(Line::from([what, value.to_vec()].concat()));
        }
        lines.push(Line::from(vec![
            Span::raw(if narrow { "SL " } else { "    SL " }),
            Span::raw(format!("{} ", p.stop)),
            mark(p.stop_confirmed),
            Span::raw(format!("  TP {} ", p.take_profit)),
            mark(p.take_profit_confirmed),
            Span::styled(
                p.liquidation
                    .map_or(String::new(), |l| format!("  liq {l}")),
                theme::dim(),
            ),
        ]));
    }
    if lines.is_empty() {
        lines.push(Line::styled("no open position", theme::dim()));
    }
    for o in &s.open_orders {
        let kind = match o.request.kind {
            OrderKind::Market => "market".to_string(),
            OrderKind::Limit { price } => format!("limit {price}"),
            OrderKind::StopMarket { trigger } => format!("stop {trigger}"),
            OrderKind::TakeProfitMarket { trigger } => format!("tp {trigger}"),
        };
        let state_style = match o.state {
            OrderState::Unknown => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            OrderState::PendingNew | OrderState::PendingCancel => Style::new().fg(Color::Yellow),
            _ => theme::dim(),
        };
        lines.push(Line::from(vec![
            Span::styled("  order ", theme::dim()),
            Span::raw(format!(
                "{} {} {} {} ",
                o.request.symbol, o.request.side, kind, o.request.qty
            )),
            Span::styled(o.state.label(), state_style),
        ]));
    }
    lines
}
