use ratatui::text::{Line, Span};

use crate::tui::theme;

const KEYS: [(&str, &str); 17] = [
    ("?", "show / hide this help"),
    ("Tab / Shift-Tab", "next / previous symbol"),
    ("← / →", "scroll the chart back / forward"),
    ("End", "follow the newest candle"),
    ("+ / -", "zoom the chart in / out"),
    ("l", "Log panel level: info, warn, error, debug"),
    ("a", "arm / disarm (disarmed: no new entries)"),
    ("m", "mode Shadow → Paper → Live (type LIVE)"),
    ("s", "automation: auto <-> semi"),
    ("↑ / ↓", "select a waiting proposal"),
    ("y / n", "approve / reject the selected proposal"),
    ("K", "kill-switch panel, then:"),
    ("  p / r", "pause entries / reduce-only"),
    ("  F", "flatten everything and halt (asks y/n)"),
    ("  R / Esc", "resume trading / close the panel"),
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
    lines.push(Line::from(Span::styled(
        " ▲ long and ▼ short entries; × exits (green won, red lost).",
        theme::dim(),
    )));
    lines
}
