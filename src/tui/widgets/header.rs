//! The two-line header. First line: what is traded and how (symbol, interval,
//! mode, armed, automation, trading state, clock). Second line: the money and
//! the feed (equity, day PnL, distance to the breaker, feed state and age).
//! Below 120 columns the same facts in shorter words.

use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use rust_decimal::Decimal;

use super::kill_switch::breaker_distance;
use crate::config::Automation;
use crate::domain::TradingState;
use crate::domain::time::format_utc;
use crate::engine::FeedState;
use crate::tui::App;
use crate::tui::theme;

/// From this width the header uses its long words.
const WIDE: u16 = 120;

pub fn header_lines(app: &App, width: u16) -> [Line<'static>; 2] {
    let wide = width >= WIDE;
    [trading_line(app, wide), money_line(app, wide)]
}

fn sep() -> Span<'static> {
    Span::styled(" │ ", theme::dim())
}

fn trading_line(app: &App, wide: bool) -> Line<'static> {
    let s = &app.snapshot;
    let mut spans = vec![];
    if wide {
        spans.extend([Span::styled(" cockpit", theme::title()), sep()]);
    } else {
        spans.push(Span::raw(" "));
    }
    match s.symbols.get(app.selected) {
        Some(sym) => {
            spans.push(Span::styled(sym.symbol.to_string(), theme::title()));
            if s.symbols.len() > 1 {
                spans.push(Span::styled(
                    format!(" (+{})", s.symbols.len() - 1),
                    theme::dim(),
                ));
            }
            spans.extend([sep(), Span::raw(sym.interval.to_string())]);
        }
        None => spans.push(Span::styled("no symbol", theme::dim())),
    }
    spans.extend([
        sep(),
        Span::styled(format!(" {} ", s.mode.label()), theme::mode(s.mode)),
        sep(),
        if s.armed {
            Span::styled("ARMED", Style::new().fg(Color::Red))
        } else {
            Span::styled("DISARMED", theme::dim())
        },
        sep(),
        Span::raw(match s.automation {
            Automation::Auto => "AUTO",
            Automation::Semi => "SEMI",
        }),
        sep(),
        Span::raw(s.trading_state.to_string()),
    ]);
    if wide {
        spans.extend([sep(), Span::raw(s.confirmer.clone())]);
    }
    let clock = format_utc(s.at_ms);
    let clock = if wide {
        clock
    } else {
        clock.get(11..).unwrap_or_default().to_string()
    };
    spans.extend([sep(), Span::raw(format!("{clock} UTC"))]);
    Line::from(spans)
}

fn money_line(app: &App, wide: bool) -> Line<'static> {
    let s = &app.snapshot;
    let a = &s.account;
    let pnl_style = if a.day_pnl.is_sign_negative() && !a.day_pnl.is_zero() {
        Style::new().fg(theme::DOWN)
    } else {
        Style::new().fg(theme::UP)
    };
    let mut spans = vec![];
    if wide {
        let day_start = s.risk.day_start_equity;
        let pct = if day_start.is_zero() {
            Decimal::ZERO
        } else {
            a.day_pnl / day_start * Decimal::ONE_HUNDRED
        };
        spans.extend([
            Span::raw(format!(" equity {:.2} USDT", a.equity)),
            sep(),
            Span::raw("day "),
            Span::styled(format!("{:+.2} ({pct:+.2}%)", a.day_pnl), pnl_style),
        ]);
    } else {
        spans.extend([
            Span::raw(format!(" eq {:.2}", a.equity)),
            sep(),
            Span::raw("day "),
            Span::styled(format!("{:+.2}", a.day_pnl), pnl_style),
        ]);
    }
    spans.push(sep());
    spans.push(match s.breaker_room() {
        None => Span::styled("BREAKER TRIPPED", Style::new().fg(Color::Red)),
        // Halted, nothing trades and the breaker is not watched.
        Some(_) if s.trading_state == TradingState::Halted => {
            Span::styled("breaker: halted", theme::dim())
        }
        Some(room) => {
            // Closer than a fifth of the allowed loss: make it stand out.
            let allowed = s.risk.day_start_equity * s.daily_loss_limit;
            let style = if room * Decimal::from(5) < allowed {
                Style::new().fg(Color::Yellow)
            } else {
                Style::new()
            };
            let text = if wide {
                breaker_distance(s, room)
            } else {
                format!("breaker {room:.0} away")
            };
            Span::styled(text, style)
        }
    });
    spans.extend([sep(), feed_span(app, wide)]);
    Line::from(spans)
}

fn feed_span(app: &App, wide: bool) -> Span<'static> {
    let s = &app.snapshot;
    if app.engine_stopped {
        return Span::styled("engine stopped", Style::new().fg(Color::Red));
    }
    if let Some(until) = s.feed.banned_until_ms {
        let time = crate::domain::time::format_utc(until);
        let time = time.split(' ').nth(1).unwrap_or(&time).to_string();
        return Span::styled(
            format!("BANNED by Binance until {time}"),
            Style::new()
                .fg(Color::Red)
                .add_modifier(ratatui::style::Modifier::BOLD),
        );
    }
    let age = s.feed.last_update_ms.map(|t| (s.at_ms - t).max(0) / 1000);
    let age = match age {
        Some(a) if wide => format!(", last candle {a}s ago"),
        Some(a) => format!(" {a}s"),
        None => String::new(),
    };
    let source = s.feed.source;
    let (text, style) = match s.feed.state {
        FeedState::Connecting => (format!("{source} connecting"), theme::dim()),
        FeedState::Connected => (format!("{source} live{age}"), Style::new().fg(Color::Green)),
        FeedState::Reconnecting => (
            format!("{source} reconnecting{age}"),
            Style::new().fg(Color::Yellow),
        ),
        FeedState::Stale => (format!("{source} STALE{age}"), Style::new().fg(Color::Red)),
    };
    Span::styled(format!("feed: {text}"), style)
}
