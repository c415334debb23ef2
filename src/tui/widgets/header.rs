//! The one-line header: symbol, interval, mode, armed, automation, state, feed, clock.

use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};

use crate::domain::time::format_utc;
use crate::engine::FeedState;
use crate::tui::App;
use crate::tui::theme;

pub fn header_line(app: &App) -> Line<'static> {
    let s = &app.snapshot;
    let sep = || Span::styled(" │ ", theme::dim());
    let mut spans = vec![Span::styled(" cockpit", theme::title()), sep()];
    match s.symbols.get(app.selected) {
        Some(sym) => {
            spans.push(Span::styled(sym.symbol.to_string(), theme::title()));
            if s.symbols.len() > 1 {
                spans.push(Span::styled(
                    format!(" (+{})", s.symbols.len() - 1),
                    theme::dim(),
                ));
            }
            spans.push(sep());
            spans.push(Span::raw(sym.interval.to_string()));
        }
        None => spans.push(Span::styled("no symbol", theme::dim())),
    }
    spans.push(sep());
    spans.push(Span::styled(
        format!(" {} ", s.mode.label()),
        theme::mode(s.mode),
    ));
    spans.push(sep());
    spans.push(if s.armed {
        Span::styled("ARMED", Style::new().fg(Color::Red))
    } else {
        Span::styled("DISARMED", theme::dim())
    });
    spans.push(sep());
    spans.push(Span::raw(match s.automation {
        crate::config::Automation::Auto => "AUTO",
        crate::config::Automation::Semi => "SEMI",
    }));
    spans.push(sep());
    spans.push(Span::raw(s.trading_state.to_string()));
    spans.push(sep());
    let (feed_text, feed_style) = if app.engine_stopped {
        ("engine stopped".to_string(), Style::new().fg(Color::Red))
    } else {
        let age = s.feed.last_update_ms.map(|t| (s.at_ms - t).max(0) / 1000);
        let age = age.map_or(String::new(), |a| format!(" {a}s"));
        match s.feed.state {
            FeedState::Connecting => (format!("{} connecting", s.feed.source), theme::dim()),
            FeedState::Connected => (
                format!("{} live{age}", s.feed.source),
                Style::new().fg(Color::Green),
            ),
            FeedState::Reconnecting => (
                format!("{} reconnecting{age}", s.feed.source),
                Style::new().fg(Color::Yellow),
            ),
            FeedState::Stale => (
                format!("{} STALE{age}", s.feed.source),
                Style::new().fg(Color::Red),
            ),
        }
    };
    spans.push(Span::styled(format!("feed: {feed_text}"), feed_style));
    spans.push(sep());
    spans.push(Span::raw(format!("{} UTC", format_utc(s.at_ms))));
    Line::from(spans)
}
