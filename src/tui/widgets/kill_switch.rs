//! Trading state, breaker and cooldown, and the kill-switch actions.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use rust_decimal::Decimal;

use crate::domain::TradingState;
use crate::domain::time::format_utc;
use crate::engine::Snapshot;
use crate::tui::App;
use crate::tui::theme;

/// "breaker −3%: 290 USDT away": the limit and the equity left above it.
pub(super) fn breaker_distance(s: &Snapshot, room: Decimal) -> String {
    format!(
        "breaker −{}%: {room:.0} USDT away",
        (s.daily_loss_limit * Decimal::ONE_HUNDRED).normalize()
    )
}

pub fn kill_switch_lines(app: &App, open: bool) -> Vec<Line<'static>> {
    let s = &app.snapshot;
    let r = &s.risk;
    let state_style = match r.trading_state {
        TradingState::Active => Style::new().fg(Color::Green),
        TradingState::Reducing => Style::new().fg(Color::Yellow),
        TradingState::Halted => Style::new()
            .fg(Color::White)
            .bg(Color::Red)
            .add_modifier(Modifier::BOLD),
    };
    let mut first = vec![Span::styled(format!(" {} ", r.trading_state), state_style)];
    if r.entries_paused {
        first.push(Span::styled(
            "  entries paused",
            Style::new().fg(Color::Yellow),
        ));
    }
    let breaker = match (s.breaker_room(), r.breaker_tripped_at_ms) {
        (Some(room), _) => Span::raw(breaker_distance(s, room)),
        (None, t) => Span::styled(
            format!(
                "breaker TRIPPED at {}",
                format_utc(t.unwrap_or_default())
                    .get(11..16)
                    .unwrap_or_default()
            ),
            Style::new().fg(Color::Red),
        ),
    };
    let cooldown = match r.cooldown_until_ms {
        Some(until) if until > s.at_ms => Span::styled(
            format!("cooldown until {} UTC", format_utc(until)),
            Style::new().fg(Color::Yellow),
        ),
        _ => Span::styled(
            format!("losses in a row: {}", r.consecutive_losses),
            theme::dim(),
        ),
    };
    let mut lines = vec![
        Line::from(first),
        Line::from(vec![
            Span::raw(format!("day {:+.2} · ", s.account.day_pnl)),
            breaker,
        ]),
        Line::from(cooldown),
    ];
    let keys = if open {
        Style::new().add_modifier(Modifier::BOLD)
    } else {
        theme::dim()
    };
    lines.push(Line::styled(
        if open {
            "p pause r reduce F flatten R resume Esc"
        } else {
            "K: p pause r reduce F flatten R resume"
        },
        keys,
    ));
    lines
}
