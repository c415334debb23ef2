use ratatui::text::{Line, Span};

use crate::tui::theme;

const KEYS: [(&str, &str); 12] = [
    ("?", "show / hide this help"),
    ("Esc", "close the help"),
    ("Tab / Shift-Tab", "next / previous symbol"),
    ("← / →", "scroll the chart back / forward"),
    ("End", "follow the newest candle"),
    ("+ / -", "zoom the chart in / out"),
    ("a", "arm / disarm (disarmed: no new entries)"),
    ("m", "mode: shadow <-> paper"),
    ("s", "automation: auto <-> semi"),
    ("y / n", "approve / reject the oldest proposal"),
    ("q", "quit (the terminal is restored)"),
    ("Ctrl-C", "quit"),
];

pub fn help_lines() -> Vec<Line<'static>> {
    let mut lines: Vec<Line> = KEYS
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!(" {k:<16}"), theme::title()),
                Span::raw(*what),
            ])
        })
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        " Up candles █ green, down ▒ red; EMAs are dotted lines.",
        theme::dim(),
    )));
    lines
}
