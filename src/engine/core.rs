//! The synchronous core: one event in, actions out, no I/O and no clock of its
//! own, so a test (or a backtest) can drive it event by event.

use std::sync::Arc;

use crate::config::Config;
use crate::domain::{Interval, Mode, TradingState};
use crate::market::Appended;

use super::event::{Action, Command, Event, Notice, NoticeLevel};
use super::snapshot::{ChartPoint, FeedState, FeedStatus, Snapshot, SymbolSnapshot};
use super::symbol_state::SymbolState;

pub struct Engine {
    interval: Interval,
    mode: Mode,
    trading_state: TradingState,
    armed: bool,
    symbols: Vec<SymbolState>,
    /// Per symbol, the chart history as last published; rebuilt when a candle closes.
    charts: Vec<Arc<Vec<ChartPoint>>>,
    feed: FeedStatus,
    ema_periods: [usize; 3],
    /// No candle update for this long marks the feed stale.
    stale_after_ms: i64,
    now_ms: i64,
    seq: u64,
}

impl Engine {
    /// `feed_source` names the feed for the header; `stale_after_ms` is how long
    /// the feed may be silent before it counts as stale.
    pub fn new(config: &Config, feed_source: &'static str, stale_after_ms: i64) -> Engine {
        let symbols: Vec<SymbolState> = config
            .market
            .symbols
            .iter()
            .map(|s| {
                SymbolState::new(
                    s.clone(),
                    config.market.interval,
                    config.market.history,
                    &config.indicators,
                )
            })
            .collect();
        Engine {
            interval: config.market.interval,
            mode: config.engine.mode,
            trading_state: TradingState::Active,
            armed: config.engine.armed,
            charts: symbols.iter().map(|_| Arc::new(Vec::new())).collect(),
            symbols,
            feed: FeedStatus {
                source: feed_source,
                ..FeedStatus::default()
            },
            ema_periods: config.indicators.ema_periods,
            stale_after_ms,
            now_ms: 0,
            seq: 0,
        }
    }

    pub fn process(&mut self, at_ms: i64, event: Event) -> Vec<Action> {
        self.now_ms = self.now_ms.max(at_ms);
        match event {
            Event::Candle { symbol, candle } => {
                let Some(index) = self.symbols.iter().position(|s| s.symbol == symbol) else {
                    return vec![self.notice(
                        NoticeLevel::Warn,
                        format!("candle for unwatched symbol {symbol} ignored"),
                    )];
                };
                self.feed.last_update_ms = Some(at_ms);
                self.feed.state = FeedState::Connected;
                let closed = candle.closed;
                let open_time = candle.open_time_ms;
                let mut actions = Vec::new();
                match self.symbols[index].on_candle(candle) {
                    None => {}
                    Some(Appended::Next) => self.rebuild_chart(index),
                    Some(Appended::AfterGap(gap)) => {
                        self.rebuild_chart(index);
                        actions.push(self.notice(
                            NoticeLevel::Warn,
                            format!(
                                "{symbol}: {} candle(s) missing before {}",
                                gap.missing, open_time
                            ),
                        ));
                    }
                    Some(Appended::Duplicate | Appended::Stale) => {
                        debug_assert!(closed);
                        return Vec::new();
                    }
                }
                actions.push(Action::Publish);
                actions
            }
            Event::FeedDown { reason } => {
                self.feed.state = FeedState::Reconnecting;
                vec![
                    self.notice(NoticeLevel::Warn, format!("feed down: {reason}")),
                    Action::Publish,
                ]
            }
            Event::FeedUp => {
                self.feed.state = FeedState::Connected;
                vec![
                    self.notice(NoticeLevel::Info, "feed connected".into()),
                    Action::Publish,
                ]
            }
            Event::Command(Command::Shutdown) => {
                vec![
                    self.notice(NoticeLevel::Info, "engine stopping".into()),
                    Action::Stop,
                ]
            }
            Event::Timer => {
                let silent = self
                    .feed
                    .last_update_ms
                    .is_some_and(|t| at_ms - t > self.stale_after_ms);
                if silent && self.feed.state == FeedState::Connected {
                    self.feed.state = FeedState::Stale;
                    return vec![
                        self.notice(NoticeLevel::Warn, "feed stale: no candle updates".into()),
                        Action::Publish,
                    ];
                }
                // The header clock moves every second even when the market is quiet.
                vec![Action::Publish]
            }
        }
    }

    pub fn snapshot(&mut self) -> Snapshot {
        self.seq += 1;
        Snapshot {
            seq: self.seq,
            at_ms: self.now_ms,
            mode: self.mode,
            trading_state: self.trading_state,
            armed: self.armed,
            feed: self.feed.clone(),
            ema_periods: self.ema_periods,
            symbols: self
                .symbols
                .iter()
                .zip(&self.charts)
                .map(|(s, chart)| SymbolSnapshot {
                    symbol: s.symbol.clone(),
                    interval: self.interval,
                    history: Arc::clone(chart),
                    forming: s.series.forming().map(|c| c.bar()),
                    latest: s.latest(),
                })
                .collect(),
        }
    }

    fn rebuild_chart(&mut self, index: usize) {
        let s = &self.symbols[index];
        let points = s
            .series
            .iter()
            .zip(&s.values)
            .map(|(c, v)| ChartPoint {
                bar: c.bar(),
                values: *v,
            })
            .collect();
        self.charts[index] = Arc::new(points);
    }

    fn notice(&self, level: NoticeLevel, text: String) -> Action {
        Action::Notice(Notice {
            level,
            at_ms: self.now_ms,
            text,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Candle, Price, Qty, Symbol};

    fn candle(t_min: i64, close: &str, closed: bool) -> Candle {
        let p: Price = close.parse().unwrap();
        Candle::new(t_min * 60_000, p, p, p, p, Qty::ZERO, closed).unwrap()
    }

    fn engine() -> Engine {
        let mut config = Config::default();
        config.market.interval = Interval::M1;
        Engine::new(&config, "test", 10_000)
    }

    fn btc() -> Symbol {
        Symbol::new("BTCUSDT").unwrap()
    }

    fn feed(e: &mut Engine, at: i64, c: Candle) -> Vec<Action> {
        e.process(
            at,
            Event::Candle {
                symbol: btc(),
                candle: c,
            },
        )
    }

    #[test]
    fn closed_candles_reach_the_chart_and_forming_ones_do_not() {
        let mut e = engine();
        assert_eq!(
            feed(&mut e, 1, candle(0, "100", true)),
            vec![Action::Publish]
        );
        feed(&mut e, 2, candle(1, "101", false));
        let snap = e.snapshot();
        let s = &snap.symbols[0];
        assert_eq!(s.history.len(), 1);
        assert_eq!(s.forming.map(|b| b.close), Some(101.0));
        assert_eq!(snap.feed.state, FeedState::Connected);
        assert_eq!(snap.feed.last_update_ms, Some(2));
    }

    #[test]
    fn a_repeated_closed_candle_changes_nothing() {
        let mut e = engine();
        feed(&mut e, 1, candle(0, "100", true));
        assert!(feed(&mut e, 2, candle(0, "100", true)).is_empty());
        assert_eq!(e.snapshot().symbols[0].history.len(), 1);
    }

    #[test]
    fn a_gap_is_announced() {
        let mut e = engine();
        feed(&mut e, 1, candle(0, "100", true));
        let actions = feed(&mut e, 2, candle(5, "100", true));
        assert!(actions.iter().any(|a| matches!(a, Action::Notice(n) if n.level == NoticeLevel::Warn && n.text.contains("4 candle(s) missing"))), "{actions:?}");
    }

    #[test]
    fn a_silent_feed_turns_stale_once() {
        let mut e = engine();
        feed(&mut e, 0, candle(0, "100", true));
        e.process(5_000, Event::Timer);
        assert_eq!(e.snapshot().feed.state, FeedState::Connected);
        let actions = e.process(10_001, Event::Timer);
        assert!(
            actions
                .iter()
                .any(|a| matches!(a, Action::Notice(n) if n.text.contains("stale")))
        );
        assert_eq!(e.snapshot().feed.state, FeedState::Stale);
        assert_eq!(e.process(12_000, Event::Timer), vec![Action::Publish]);
        feed(&mut e, 13_000, candle(1, "100", true));
        assert_eq!(e.snapshot().feed.state, FeedState::Connected);
    }

    #[test]
    fn shutdown_stops_and_unknown_symbols_are_ignored() {
        let mut e = engine();
        let actions = e.process(
            0,
            Event::Candle {
                symbol: Symbol::new("XRPUSDT").unwrap(),
                candle: candle(0, "1", true),
            },
        );
        assert!(matches!(&actions[..], [Action::Notice(n)] if n.text.contains("unwatched")));
        assert!(
            e.process(0, Event::Command(Command::Shutdown))
                .contains(&Action::Stop)
        );
    }

    #[test]
    fn snapshots_are_numbered_and_share_unchanged_history() {
        let mut e = engine();
        feed(&mut e, 0, candle(0, "100", true));
        let a = e.snapshot();
        let b = e.snapshot();
        assert!(b.seq > a.seq);
        assert!(Arc::ptr_eq(&a.symbols[0].history, &b.symbols[0].history));
    }
}
