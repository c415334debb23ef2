//! Layout of the screen. Rendering is a function of [`App`] alone, but for
//! the Log panel, which shows the process-wide log buffer.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use tui_logger::{TuiLoggerWidget, TuiWidgetState};

use super::App;
use super::app::Overlay;
use super::theme;
use super::widgets::LATENCY_BUDGET_MS;
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
        let indicators_height = body.height.saturating_sub(21 + 7).clamp(15, 21);
        let [indicators, approvals, kill, latency, drift] = Layout::vertical([
            Constraint::Length(indicators_height),
            Constraint::Min(3),
            Constraint::Length(6),
            Constraint::Length(9),
            Constraint::Length(5),
        ])
        .areas(side);
        for (panel, area) in [
            (Panel::Candles, chart),
            (Panel::Confluence, confluence),
            (Panel::Positions, positions),
            (Panel::Log, log),
            (Panel::Indicators, indicators),
            (Panel::Approvals, approvals),
            (Panel::KillSwitch, kill),
            (Panel::Latency, latency),
            (Panel::Drift, drift),
        ] {
            draw_panel(frame, app, panel, area);
        }
    } else {
        // Compact: the chart, then what the operator must never lose sight of.
        let [chart, bottom] =
            Layout::vertical([Constraint::Min(4), Constraint::Length(8)]).areas(body);
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(bottom);
        let [positions, kill] =
            Layout::vertical([Constraint::Min(3), Constraint::Length(3)]).areas(left);
        draw_panel(frame, app, Panel::Candles, chart);
        draw_panel(frame, app, Panel::Positions, positions);
        // Three rows: the border and the trading state line.
        draw_panel(frame, app, Panel::KillSwitch, kill);
        let right_panel = if app.snapshot.approvals.is_empty() {
            Panel::Confluence
        } else {
            Panel::Approvals
        };
        draw_panel(frame, app, right_panel, right);
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
        Overlay::Help => {
            let lines = help_lines();
            let height = lines.len() as u16 + 2;
            ("Help", lines, 60, height)
        }
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

/// The cockpit's panels, by the titles operators and tests rely on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Panel {
    Candles,
    Indicators,
    Confluence,
    Positions,
    Latency,
    Drift,
    KillSwitch,
    Approvals,
    Log,
}

impl Panel {
    pub const ALL: [Panel; 9] = [
        Panel::Candles,
        Panel::Indicators,
        Panel::Confluence,
        Panel::Positions,
        Panel::Latency,
        Panel::Drift,
        Panel::KillSwitch,
        Panel::Approvals,
        Panel::Log,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Panel::Candles => "Candles",
            Panel::Indicators => "Indicators",
            Panel::Confluence => "Confluence",
            Panel::Positions => "Positions",
            Panel::Latency => "Latency",
            Panel::Drift => "Drift",
            Panel::KillSwitch => "Kill Switch",
            Panel::Approvals => "Approvals",
            Panel::Log => "Log",
        }
    }
}

/// Draws one panel, its border and title included, into `area`.
pub fn draw_panel(frame: &mut Frame, app: &App, panel: Panel, area: Rect) {
    let kill_open = matches!(app.overlay, Overlay::KillSwitch | Overlay::ConfirmFlatten);
    let title = match (panel, app.snapshot.symbols.get(app.selected)) {
        (Panel::Candles, Some(s)) => format!(" Candles · {} {} ", s.symbol, s.interval),
        (Panel::Latency, _) => format!(" Latency · budget {} s ", LATENCY_BUDGET_MS / 1000),
        (Panel::Log, _) => format!(" Log · {} (l) ", app.log_level.as_str().to_lowercase()),
        _ => format!(" {} ", panel.title()),
    };
    let mut block = Block::bordered().title(Span::styled(title, theme::title()));
    if panel == Panel::KillSwitch && kill_open {
        block = block.border_style(Style::new().fg(Color::Yellow));
    }
    let inner = block.inner(area);
    let lines = match panel {
        Panel::Candles => {
            frame.render_widget(block, area);
            return draw_chart(frame, app, inner);
        }
        Panel::Indicators => {
            frame.render_widget(block, area);
            return frame.render_widget(IndicatorPanel { app }, inner);
        }
        Panel::Log => return draw_log(frame, block, area, app.log_level),
        Panel::Confluence => confluence_lines(app, usize::from(inner.height)),
        Panel::Positions => position_lines(app, inner.width),
        Panel::Latency => latency_lines(app),
        Panel::Drift => drift_lines(app, inner.width, inner.height),
        Panel::KillSwitch => kill_switch_lines(app, kill_open),
        Panel::Approvals => approval_lines(app),
    };
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn draw_chart(frame: &mut Frame, app: &App, inner: Rect) {
    let symbol = app.snapshot.symbols.get(app.selected);
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

fn draw_log(frame: &mut Frame, block: Block, area: Rect, level: log::LevelFilter) {
    let state = TuiWidgetState::new().set_default_display_level(level);
    frame.render_widget(
        TuiLoggerWidget::default()
            .state(&state)
            .block(block)
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
