//! Layout of the first screen. Rendering is a pure function of [`App`].

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use tui_logger::TuiLoggerWidget;

use super::App;
use super::theme;
use super::widgets::{CandleChart, header_line, help_lines, indicator_lines};

/// Below this width the side column moves under the chart.
const WIDE: u16 = 110;
const SIDE_WIDTH: u16 = 40;

pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    let [header, body, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(header_line(app)), header);

    let (chart, indicators, log) = if area.width >= WIDE {
        let [chart, side] =
            Layout::horizontal([Constraint::Min(0), Constraint::Length(SIDE_WIDTH)]).areas(body);
        let [ind, log] = Layout::vertical([Constraint::Length(13), Constraint::Min(0)]).areas(side);
        (chart, ind, log)
    } else {
        let [chart, bottom] =
            Layout::vertical([Constraint::Min(6), Constraint::Length(8)]).areas(body);
        let [ind, log] =
            Layout::horizontal([Constraint::Length(SIDE_WIDTH), Constraint::Min(0)]).areas(bottom);
        (chart, ind, log)
    };

    let symbol = app.snapshot.symbols.get(app.selected);
    let chart_title = match symbol {
        Some(s) => format!(" Candles · {} {} ", s.symbol, s.interval),
        None => " Candles ".to_string(),
    };
    let block = Block::bordered().title(Span::styled(chart_title, theme::title()));
    let inner = block.inner(chart);
    frame.render_widget(block, chart);
    match symbol {
        Some(s) => frame.render_widget(
            CandleChart {
                points: &s.history,
                forming: if app.scroll == 0 { s.forming } else { None },
                visible: app.zoom,
                scroll: app.scroll,
                ema_periods: app.snapshot.ema_periods,
            },
            inner,
        ),
        None => frame.render_widget(
            Paragraph::new("waiting for the first candles…").style(theme::dim()),
            inner,
        ),
    }

    frame.render_widget(
        Paragraph::new(indicator_lines(app))
            .block(Block::bordered().title(Span::styled(" Indicators ", theme::title()))),
        indicators,
    );
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
        log,
    );
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" ? ", theme::title()),
            Span::raw("help  "),
            Span::styled("Tab ", theme::title()),
            Span::raw("symbol  "),
            Span::styled("←/→ ", theme::title()),
            Span::raw("scroll  "),
            Span::styled("+/- ", theme::title()),
            Span::raw("zoom  "),
            Span::styled("a ", theme::title()),
            Span::raw("arm  "),
            Span::styled("m ", theme::title()),
            Span::raw("mode  "),
            Span::styled("q ", theme::title()),
            Span::raw("quit"),
        ]))
        .style(theme::dim()),
        hints,
    );
    if app.show_help {
        let popup = centered(area, 56, 18);
        frame.render_widget(Clear, popup);
        frame.render_widget(
            Paragraph::new(help_lines())
                .block(Block::bordered().title(Span::styled(" Help ", theme::title()))),
            popup,
        );
    }
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
