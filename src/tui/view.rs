//! Layout of the first screen. Rendering is a pure function of [`App`].

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use tui_logger::TuiLoggerWidget;

use super::App;
use super::app::Overlay;
use super::theme;
use super::widgets::{
    CandleChart, IndicatorPanel, Level, approval_lines, confluence_lines, drift_lines,
    header_lines, help_lines, kill_switch_lines, latency_lines, position_lines,
};
use crate::engine::TradeMark;

/// At this size and above everything is on screen at once.
const WIDE: u16 = 120;
const TALL: u16 = 40;
const SIDE_WIDTH: u16 = 42;

pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    let [header, body, hints] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(
        Paragraph::new(header_lines(app, area.width).to_vec()),
        header,
    );
    let kill_open = matches!(app.overlay, Overlay::KillSwitch | Overlay::ConfirmFlatten);

    if area.width >= WIDE && area.height >= TALL {
        let [left, side] =
            Layout::horizontal([Constraint::Min(0), Constraint::Length(SIDE_WIDTH)]).areas(body);
        let [chart, confluence, positions, log] = Layout::vertical([
            Constraint::Min(8),
            Constraint::Length(7),
            Constraint::Length(7),
            Constraint::Length(7),
        ])
        .areas(left);
        // The indicator charts grow with the height, leaving Approvals room
        // for a few proposals.
        let indicators_height = body.height.saturating_sub(21 + 5).clamp(15, 21);
        let [indicators, approvals, kill, latency, drift] = Layout::vertical([
            Constraint::Length(indicators_height),
            Constraint::Min(3),
            Constraint::Length(6),
            Constraint::Length(9),
            Constraint::Length(3),
        ])
        .areas(side);
        draw_chart(frame, app, chart);
        let block = Block::bordered().title(Span::styled(" Indicators ", theme::title()));
        frame.render_widget(IndicatorPanel { app }, block.inner(indicators));
        frame.render_widget(block, indicators);
        panel(frame, "Confluence", confluence_lines(app, 5), confluence);
        panel(frame, "Positions", position_lines(app), positions);
        panel(frame, "Approvals", approval_lines(app), approvals);
        panel_styled(
            frame,
            "Kill Switch",
            kill_switch_lines(app, kill_open),
            kill,
            kill_open,
        );
        panel(frame, "Latency", latency_lines(app), latency);
        panel(frame, "Drift", drift_lines(app), drift);
        draw_log(frame, log);
    } else {
        // Compact: the chart, then what the operator must never lose sight of.
        let [chart, bottom] =
            Layout::vertical([Constraint::Min(4), Constraint::Length(8)]).areas(body);
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(bottom);
        let [positions, kill] =
            Layout::vertical([Constraint::Min(3), Constraint::Length(3)]).areas(left);
        draw_chart(frame, app, chart);
        panel(frame, "Positions", position_lines(app), positions);
        let mut kill_lines = kill_switch_lines(app, kill_open);
        kill_lines.truncate(1);
        panel_styled(frame, "Kill Switch", kill_lines, kill, kill_open);
        if app.snapshot.approvals.is_empty() {
            panel(frame, "Confluence", confluence_lines(app, 5), right);
        } else {
            panel(frame, "Approvals", approval_lines(app), right);
        }
    }

    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" ? ", theme::title()),
            Span::raw("help  "),
            Span::styled("a ", theme::title()),
            Span::raw("arm  "),
            Span::styled("m ", theme::title()),
            Span::raw("mode  "),
            Span::styled("s ", theme::title()),
            Span::raw("auto/semi  "),
            Span::styled("y/n ", theme::title()),
            Span::raw("approve  "),
            Span::styled("K ", theme::title()),
            Span::raw("kill switch  "),
            Span::styled("q ", theme::title()),
            Span::raw("quit"),
        ]))
        .style(theme::dim()),
        hints,
    );
    draw_overlay(frame, app, area);
}

fn draw_overlay(frame: &mut Frame, app: &App, area: Rect) {
    let (title, lines, width, height): (&str, Vec<Line>, u16, u16) = match &app.overlay {
        Overlay::None | Overlay::KillSwitch => return,
        Overlay::Help => ("Help", help_lines(), 60, 24),
        Overlay::ConfirmFlatten => (
            "Flatten and halt?",
            vec![
                Line::raw("Close every position at market, cancel the"),
                Line::raw("bot's orders and halt all trading."),
                Line::raw(""),
                Line::styled("y  flatten and halt      n  back", theme::title()),
            ],
            50,
            6,
        ),
        Overlay::ConfirmLive { typed } => (
            "Live trading",
            vec![
                Line::raw("Real money. Type LIVE and press Enter;"),
                Line::raw("Esc cancels. Mainnet also needs"),
                Line::raw("binance.allow_mainnet = true."),
                Line::raw(""),
                Line::styled(format!("> {typed}_"), theme::title()),
            ],
            44,
            7,
        ),
        Overlay::ConfirmQuit => (
            "Quit?",
            vec![
                Line::raw(format!(
                    "{} position(s) open. They stay open, and",
                    app.open_positions()
                )),
                Line::raw("their stops stay on the exchange."),
                Line::raw(""),
                Line::styled("y  quit      n  stay", theme::title()),
            ],
            46,
            6,
        ),
    };
    let popup = centered(area, width, height);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .block(Block::bordered().title(Span::styled(format!(" {title} "), theme::title()))),
        popup,
    );
}

fn panel(frame: &mut Frame, title: &str, lines: Vec<Line<'static>>, area: Rect) {
    panel_styled(frame, title, lines, area, false);
}

fn panel_styled(
    frame: &mut Frame,
    title: &str,
    lines: Vec<Line<'static>>,
    area: Rect,
    focused: bool,
) {
    let mut block = Block::bordered().title(Span::styled(format!(" {title} "), theme::title()));
    if focused {
        block = block.border_style(Style::new().fg(ratatui::style::Color::Yellow));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn draw_chart(frame: &mut Frame, app: &App, chart: Rect) {
    let symbol = app.snapshot.symbols.get(app.selected);
    let chart_title = match symbol {
        Some(s) => format!(" Candles · {} {} ", s.symbol, s.interval),
        None => " Candles ".to_string(),
    };
    let block = Block::bordered().title(Span::styled(chart_title, theme::title()));
    let inner = block.inner(chart);
    frame.render_widget(block, chart);
    match symbol {
        Some(s) => {
            let levels: Vec<Level> = s
                .position
                .as_ref()
                .map(|p| {
                    vec![
                        Level {
                            price: p.position.entry_price.to_f64(),
                            name: "entry",
                            color: Color::Blue,
                        },
                        Level {
                            price: p.stop.to_f64(),
                            name: "SL",
                            color: Color::Red,
                        },
                        Level {
                            price: p.take_profit.to_f64(),
                            name: "TP",
                            color: Color::Green,
                        },
                    ]
                })
                .unwrap_or_default();
            let open_trade = s.position.as_ref().map(|p| TradeMark {
                side: p.position.side,
                entry_ms: p.position.opened_at_ms,
                exit: None,
            });
            frame.render_widget(
                CandleChart {
                    points: &s.history,
                    forming: if app.scroll == 0 { s.forming } else { None },
                    visible: app.zoom,
                    scroll: app.scroll,
                    ema_periods: app.snapshot.ema_periods,
                    levels: &levels,
                    trades: &s.trades,
                    open_trade,
                },
                inner,
            )
        }
        None => frame.render_widget(
            Paragraph::new("waiting for the first candles…").style(theme::dim()),
            inner,
        ),
    }
}

fn draw_log(frame: &mut Frame, area: Rect) {
    frame.render_widget(
        TuiLoggerWidget::default()
            .block(Block::bordered().title(Span::styled(" Log ", theme::title())))
            .output_separator(' ')
            .output_timestamp(Some("%H:%M:%S".to_string()))
            .output_target(false)
            .output_file(false)
            .output_line(false)
            .style_error(Style::new().fg(ratatui::style::Color::Red))
            .style_warn(Style::new().fg(ratatui::style::Color::Yellow)),
        area,
    );
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}
