//! The synchronous core: one event in, actions out, no I/O and no clock of its
//! own, so a test (or a backtest) can drive it event by event.

use std::collections::VecDeque;
use std::sync::Arc;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ai::{AlgoOnly, Confirmer};
use crate::config::{Automation, Config, PaperConfig, RiskConfig};
use crate::domain::{Instrument, Interval, Memo, Mode, Price, Symbol};
use crate::exec::instruments::paper_instrument;
use crate::journal::{DecisionRecord, EquitySample, Record, StateRecord, TradeRecord};
use crate::market::Appended;
use crate::risk::RiskState;
use crate::strategy::{self, Strategy};

use super::book::Book;
use super::event::{Action, Event, Notice, NoticeLevel};
use super::latency::{LatencyBook, Stage};
use super::snapshot::{
    AccountView, ChartPoint, FeedState, FeedStatus, OrderView, PositionView, Snapshot,
    SymbolSnapshot, Tally, TradeExit, TradeMark,
};
use super::symbol_state::SymbolState;

/// Decisions kept for the Confluence panel.
const RECENT_DECISIONS: usize = 50;
/// Closed trades kept per symbol for the chart's markers.
const MAX_TRADE_MARKS: usize = 500;

/// A monotonic microsecond clock for latency stamps. Backtests and tests use
/// a frozen one so runs stay identical.
pub type MicrosClock = Box<dyn Fn() -> i64 + Send>;

/// What survives a restart: the account book and the risk state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineState {
    pub risk: RiskState,
    pub book: Book,
    /// The engine clock when saved: a replay resumes after it.
    #[serde(default)]
    pub clock_ms: i64,
    #[serde(default)]
    pub exit_seq: u64,
    /// The feed it traded on ("demo", "replay", …): an account is only
    /// restored into a run on the same kind of market.
    #[serde(default)]
    pub feed: String,
    /// The mode the book was traded in: a live book holds real positions.
    #[serde(default)]
    pub mode: Mode,
}

/// Running figures for summaries: O(1) memory however long the run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunStats {
    pub first_ms: Option<i64>,
    pub last_ms: i64,
    pub start_equity: Option<Decimal>,
    pub peak_equity: Decimal,
    /// Largest fall from a peak, as a fraction of the peak.
    pub max_drawdown: Decimal,
    pub breaker_trips: u32,
    pub cooldowns: u32,
    /// The lowest equity since the peak, when known: only a new low can
    /// deepen the drawdown, so only a new low costs a division.
    #[serde(skip)]
    trough: Memo<Decimal>,
}

impl RunStats {
    fn observe(&mut self, at_ms: i64, equity: Decimal) {
        self.first_ms.get_or_insert(at_ms);
        self.last_ms = at_ms;
        self.start_equity.get_or_insert(equity);
        if equity > self.peak_equity {
            self.peak_equity = equity;
            self.trough = Memo(Some(equity));
        }
        // For one peak the drawdown grows as equity falls (a rounded
        // division is monotonic), so a value above the trough cannot set it.
        if self.trough.0.is_some_and(|low| equity >= low) {
            return;
        }
        self.trough = Memo(Some(equity));
        if self.peak_equity > Decimal::ZERO {
            let dd = (self.peak_equity - equity) / self.peak_equity;
            if dd > self.max_drawdown {
                self.max_drawdown = dd;
            }
        }
    }
}

/// One decision waiting for the operator.
pub(super) struct PendingApproval {
    pub record: DecisionRecord,
    pub order: crate::domain::OrderRequest,
    pub plan: super::book::OpenPosition,
}

pub struct Engine {
    pub(super) interval: Interval,
    pub(super) mode: Mode,
    pub(super) automation: Automation,
    pub(super) armed: bool,
    pub(super) risk: RiskState,
    pub(super) risk_config: RiskConfig,
    pub(super) paper_config: PaperConfig,
    pub(super) approval_timeout_ms: i64,
    pub(super) entry_order: crate::config::EntryOrder,
    pub(super) limit_offset: Decimal,
    /// An entry limit older than this at a candle close is cancelled.
    pub(super) limit_timeout_ms: i64,
    pub(super) symbols: Vec<SymbolState>,
    pub(super) strategies: Vec<Box<dyn Strategy>>,
    pub(super) instruments: Vec<Instrument>,
    pub(super) confirmer: Box<dyn Confirmer>,
    pub(super) book: Book,
    pub(super) decisions: VecDeque<DecisionRecord>,
    pub(super) approvals: Vec<PendingApproval>,
    pub(super) trades: Vec<TradeRecord>,
    pub(super) latency: LatencyBook,
    pub(super) clock: MicrosClock,
    /// Entry orders sent and not yet acknowledged: id → µs when sent.
    pub(super) awaiting_ack: Vec<(crate::domain::ClientOrderId, i64)>,
    pub(super) tally: Tally,
    /// Whether the confirmer's drift was over its limit at the last candle.
    pub(super) drift_over: bool,
    pub(super) bars: u64,
    /// Counter that keeps exit order ids unique within a second.
    pub(super) exit_seq: u64,
    /// Book or risk state changed: journal the engine state after this event.
    pub(super) dirty: bool,
    /// Replaying history to warm up: indicators advance, nothing is decided.
    pub(super) warming: bool,
    pub(super) stats: RunStats,
    /// Per symbol, the chart history as last published; rebuilt lazily.
    charts: Vec<Arc<Vec<ChartPoint>>>,
    charts_stale: Vec<bool>,
    /// Per symbol, the latest closed trades as chart markers.
    trade_marks: Vec<Arc<Vec<TradeMark>>>,
    feed: FeedStatus,
    ema_periods: [usize; 3],
    adx_threshold: f64,
    /// The strategy's ATR multiples, for levels of a position adopted at reconciliation.
    pub(super) stop_atr_mult: f64,
    pub(super) take_profit_atr_mult: f64,
    /// A live venue is connected: the operator may switch to Live.
    pub(super) live_available: bool,
    /// No candle update for this long marks the feed stale.
    stale_after_ms: i64,
    /// The mode of the book restored from the journal, if one was.
    restored_mode: Option<Mode>,
    last_equity: Decimal,
    /// Whether anyone keeps the journal records: without a journal (a
    /// backtest) the per-candle equity sample and the state JSON are skipped.
    pub(super) journaling: bool,
    /// See `set_explaining`.
    pub(super) explaining: bool,
    pub(super) now_ms: i64,
    seq: u64,
}

impl Engine {
    /// `feed_source` names the feed for the header; `stale_after_ms` is how long
    /// the feed may be silent before it counts as stale. Fails when the config
    /// names an unknown strategy.
    pub fn new(
        config: &Config,
        feed_source: &'static str,
        stale_after_ms: i64,
    ) -> Result<Engine, String> {
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
        let strategies = symbols
            .iter()
            .map(|_| strategy::build(&config.strategy, &config.indicators))
            .collect::<Result<Vec<_>, _>>()?;
        let paper_equity = config.risk.paper_equity;
        Ok(Engine {
            interval: config.market.interval,
            // Live is entered only by the operator, never from a file.
            mode: match config.engine.mode {
                Mode::Live => Mode::Shadow,
                m => m,
            },
            automation: config.engine.automation,
            armed: config.engine.armed,
            risk: RiskState::new(0, paper_equity),
            risk_config: config.risk.clone(),
            paper_config: config.paper.clone(),
            approval_timeout_ms: config.engine.approval_timeout_secs as i64 * 1000,
            entry_order: config.engine.entry_order,
            limit_offset: config.engine.limit_offset,
            limit_timeout_ms: config.engine.limit_timeout_bars as i64
                * config.market.interval.duration_ms(),
            instruments: symbols
                .iter()
                .map(|s| paper_instrument(&s.symbol))
                .collect(),
            strategies,
            confirmer: Box::new(AlgoOnly),
            book: Book::new(paper_equity),
            decisions: VecDeque::new(),
            approvals: Vec::new(),
            trades: Vec::new(),
            latency: LatencyBook::default(),
            clock: Box::new(|| 0),
            awaiting_ack: Vec::new(),
            tally: Tally::default(),
            drift_over: false,
            bars: 0,
            exit_seq: 0,
            dirty: false,
            warming: false,
            stats: RunStats::default(),
            charts: symbols.iter().map(|_| Arc::new(Vec::new())).collect(),
            charts_stale: symbols.iter().map(|_| false).collect(),
            trade_marks: symbols.iter().map(|_| Arc::new(Vec::new())).collect(),
            symbols,
            feed: FeedStatus {
                source: feed_source,
                ..FeedStatus::default()
            },
            ema_periods: config.indicators.ema_periods,
            adx_threshold: config.strategy.adx_min,
            stop_atr_mult: config.strategy.stop_atr_mult,
            take_profit_atr_mult: config.strategy.take_profit_atr_mult,
            live_available: false,
            stale_after_ms,
            restored_mode: None,
            last_equity: paper_equity,
            journaling: true,
            explaining: true,
            now_ms: 0,
            seq: 0,
        })
    }

    /// Latency stamps from this clock (µs, monotonic) instead of the frozen one.
    pub fn with_clock(mut self, clock: MicrosClock) -> Engine {
        self.clock = clock;
        self
    }

    /// Replaces every symbol's strategy (tests and research tools).
    pub fn with_strategies(mut self, make: impl Fn() -> Box<dyn Strategy>) -> Engine {
        self.set_strategies(make);
        self
    }

    /// `with_strategies` on a built engine (tests drive a session's runner).
    pub fn set_strategies(&mut self, make: impl Fn() -> Box<dyn Strategy>) {
        self.strategies = self.symbols.iter().map(|_| make()).collect();
    }

    pub fn with_confirmer(mut self, confirmer: Box<dyn Confirmer>) -> Engine {
        self.confirmer = confirmer;
        let build = self.confirmer.reads_features();
        self.set_building_features(build);
        self
    }

    /// Whether closed candles also advance the model's features. On by
    /// default only when the confirmer reads them; `features` is None while
    /// off.
    pub fn set_building_features(&mut self, on: bool) {
        for s in &mut self.symbols {
            s.build_features = on;
        }
    }

    /// Restores what a previous run journaled. Positions and their protective
    /// orders come back; the engine stays disarmed until the operator arms it.
    pub fn restore(&mut self, state: EngineState) {
        self.risk = state.risk;
        self.book = state.book;
        self.now_ms = self.now_ms.max(state.clock_ms);
        self.exit_seq = state.exit_seq;
        self.restored_mode = Some(state.mode);
    }

    pub fn state(&self) -> EngineState {
        EngineState {
            risk: self.risk.clone(),
            book: self.book.clone(),
            clock_ms: self.now_ms,
            exit_seq: self.exit_seq,
            feed: self.feed.source.to_string(),
            mode: self.mode,
        }
    }

    /// Closed round trips so far, oldest first.
    /// The closed trades, taken out (the engine keeps none after).
    pub fn take_trades(&mut self) -> Vec<TradeRecord> {
        std::mem::take(&mut self.trades)
    }

    pub fn trades(&self) -> &[TradeRecord] {
        &self.trades
    }

    /// Keeps a closed trade for the summary and as a marker on its chart.
    pub(super) fn record_trade(&mut self, trade: TradeRecord) {
        if let Some(index) = self.symbols.iter().position(|s| s.symbol == trade.symbol) {
            let marks = Arc::make_mut(&mut self.trade_marks[index]);
            // Older trades have scrolled off any chart the operator can see.
            if marks.len() == MAX_TRADE_MARKS {
                marks.remove(0);
            }
            marks.push(TradeMark {
                side: trade.side,
                entry_ms: trade.entry_time_ms,
                exit: Some(TradeExit {
                    at_ms: trade.exit_time_ms,
                    won: trade.pnl >= Decimal::ZERO,
                }),
            });
        }
        self.trades.push(trade);
    }

    /// A live venue is connected (keys checked, `--live` given): the Live
    /// mode becomes selectable.
    pub fn set_live_available(&mut self, available: bool) {
        self.live_available = available;
    }

    /// The exchange's filters replace the built-in ones (live and paper on
    /// Binance data), in the order of the configured symbols.
    pub fn set_instruments(&mut self, instruments: Vec<Instrument>) {
        for instrument in instruments {
            if let Some(i) = self
                .symbols
                .iter()
                .position(|s| s.symbol == instrument.symbol)
            {
                self.instruments[i] = instrument;
            }
        }
    }

    /// Whether a run with the live venue attached starts in Live, and why
    /// not. A restored live book with something open is real money on the
    /// exchange: it resumes in Live (disarmed) whether or not Live was asked
    /// for, or nothing would manage it. Otherwise Live is entered when asked
    /// (`--live --headless`), unless a paper book with something open would
    /// pass for a live one.
    pub fn resume_live(&mut self, requested: bool) -> Result<Option<String>, String> {
        if !self.live_available {
            return Ok(None);
        }
        let open = !self.book.positions.is_empty() || self.book.live_orders().next().is_some();
        let live_book = self.restored_mode == Some(Mode::Live);
        if live_book && open {
            self.mode = Mode::Live;
            self.dirty = true;
            return Ok(Some(format!(
                "resumed the live book in Live: {} position(s) and {} order(s) on Binance; disarmed until you arm",
                self.book.positions.len(),
                self.book.live_orders().count()
            )));
        }
        if !requested {
            return Ok(None);
        }
        if open && !live_book {
            let book = self.restored_mode.unwrap_or(self.mode);
            return Err(format!(
                "the journal's {book} book has positions or orders open: flatten them in {book} or use another --journal before trading live"
            ));
        }
        self.mode = Mode::Live;
        self.dirty = true;
        Ok(Some("live: orders go to Binance".into()))
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// While warming, candles update indicators and charts but no decision is made.
    pub fn set_warming(&mut self, warming: bool) {
        self.warming = warming;
    }

    pub fn stats(&self) -> &RunStats {
        &self.stats
    }

    pub fn bars(&self) -> u64 {
        self.bars
    }

    /// The engine clock: the latest event time seen, ms.
    pub fn now_ms(&self) -> i64 {
        self.now_ms
    }

    /// Off when nothing keeps the journal records (the runner has no journal).
    pub fn set_journaling(&mut self, on: bool) {
        self.journaling = on;
    }

    /// Off where no one reads decisions as text (a backtest): proposals
    /// come without their reasons (a traded one still gets them, and its
    /// decision hands them to the trade rather than keeping a copy),
    /// refusals are not announced, and fills and closes are not narrated.
    pub fn set_explaining(&mut self, on: bool) {
        self.explaining = on;
    }

    /// The model's feature vector for `symbol` after its latest closed
    /// candle; None while warming up or for a symbol not watched.
    pub fn features(&self, symbol: &Symbol) -> Option<&[f64]> {
        self.symbols
            .iter()
            .find(|s| s.symbol == *symbol)?
            .features
            .latest()
    }

    /// The book, read-only (positions, live orders, wallet).
    pub fn book(&self) -> &Book {
        &self.book
    }

    /// Total equity as valued at the latest closed candle.
    pub fn last_equity(&self) -> Decimal {
        self.last_equity
    }

    pub fn equity(&self) -> Decimal {
        self.book.equity()
    }

    pub fn process(&mut self, at_ms: i64, event: Event) -> Vec<Action> {
        let mut out = Vec::new();
        self.process_into(at_ms, event, &mut out);
        out
    }

    /// `process` into a buffer the caller reuses: the runner steps millions
    /// of candles in a backtest.
    pub fn process_into(&mut self, at_ms: i64, event: Event, out: &mut Vec<Action>) {
        self.now_ms = self.now_ms.max(at_ms);
        match event {
            Event::Candle { symbol, candle } => self.on_candle(at_ms, symbol, candle, true, out),
            Event::LateCandle { symbol, candle } => {
                self.on_candle(at_ms, symbol, candle, false, out)
            }
            Event::Price { symbol, price } => {
                self.book.marks.insert(symbol, price);
                self.check_equity(out);
            }
            Event::Exec(report) => self.on_report(report, out),
            Event::FeedDown { reason } => {
                self.feed.state = FeedState::Reconnecting;
                self.notice(out, NoticeLevel::Warn, format!("feed down: {reason}"));
                out.push(Action::Publish);
            }
            Event::FeedUp => {
                self.feed.state = FeedState::Connected;
                self.notice(out, NoticeLevel::Info, "feed connected".into());
                out.push(Action::Publish);
            }
            Event::Banned { until_ms } => {
                self.feed.banned_until_ms = until_ms;
                let text = match until_ms {
                    Some(t) => format!(
                        "Binance banned this IP until {}: no requests until then",
                        crate::domain::time::format_utc(t)
                    ),
                    None => "the Binance ban is over".to_string(),
                };
                let level = if until_ms.is_some() {
                    NoticeLevel::Error
                } else {
                    NoticeLevel::Info
                };
                self.notice(out, level, text);
                out.push(Action::Publish);
            }
            Event::Command(command) => self.on_command(command, out),
            Event::Timer => self.on_timer(at_ms, out),
        }
        if std::mem::take(&mut self.dirty) {
            // The journal keeps the history; the book keeps what is still live.
            self.book.orders.retain(|_, o| !o.state.is_final());
            if self.journaling {
                match serde_json::to_string(&self.state()) {
                    Ok(json) => out.push(Action::Journal(Record::State(StateRecord {
                        at_ms: self.now_ms,
                        key: "engine".into(),
                        json,
                    }))),
                    Err(e) => self.notice(
                        out,
                        NoticeLevel::Error,
                        format!("engine state not journaled: {e}"),
                    ),
                }
            }
        }
    }

    fn on_candle(
        &mut self,
        at_ms: i64,
        symbol: Symbol,
        candle: crate::domain::Candle,
        may_enter: bool,
        out: &mut Vec<Action>,
    ) {
        let received_us = (self.clock)();
        let Some(index) = self.symbols.iter().position(|s| s.symbol == symbol) else {
            self.notice(
                out,
                NoticeLevel::Warn,
                format!("candle for unwatched symbol {symbol} ignored"),
            );
            return;
        };
        self.feed.last_update_ms = Some(at_ms);
        self.feed.state = FeedState::Connected;
        // History that warms the indicators up says nothing about today's
        // positions: it must not move their marks or the breaker.
        if !self.warming {
            match self.book.marks.get_mut(&symbol) {
                Some(mark) => *mark = candle.close,
                None => {
                    self.book.marks.insert(symbol.clone(), candle.close);
                }
            }
        }
        let open_time = candle.open_time_ms;
        let closed = candle.closed;
        let close_ms = open_time + self.interval.duration_ms();
        match self.symbols[index].on_candle(candle) {
            None => {
                if !self.warming && self.book.positions.contains_key(&symbol) {
                    self.check_equity(out);
                }
                out.push(Action::Publish);
                return;
            }
            Some(Appended::Next) => {}
            Some(Appended::AfterGap(gap)) => self.notice(
                out,
                NoticeLevel::Warn,
                format!(
                    "{symbol}: {} candle(s) missing before {}",
                    gap.missing,
                    crate::domain::time::format_utc(open_time)
                ),
            ),
            Some(Appended::Duplicate | Appended::Stale) => {
                debug_assert!(closed);
                return;
            }
        }
        self.charts_stale[index] = true;
        self.watch_drift(index, at_ms, out);
        let features_us = (self.clock)();
        if self.warming {
            out.push(Action::Publish);
            return;
        }
        self.bars += 1;
        // One valuation per closed candle serves the breaker, the run
        // statistics and the equity sample (a flatten only sends orders).
        let unrealized = self.book.unrealized();
        let equity = self.book.wallet + unrealized;
        self.last_equity = equity;
        self.check_equity_at(equity, out);
        self.stats.observe(at_ms, equity);
        self.expire_entry_limits(&symbol, out);
        self.latency.record(Stage::Arrival, at_ms - close_ms);
        self.latency
            .record(Stage::Features, features_us - received_us);
        self.journal(out, || {
            Record::Equity(EquitySample {
                at_ms,
                wallet: self.book.wallet,
                unrealized,
                equity,
            })
        });
        if may_enter {
            self.decide(index, at_ms, close_ms, received_us, features_us, out);
        } else {
            self.notice(
                out,
                NoticeLevel::Info,
                format!(
                    "{symbol}: candle of {} arrived late; no entry from it",
                    crate::domain::time::format_utc(open_time)
                ),
            );
        }
        out.push(Action::Publish);
    }

    pub fn snapshot(&mut self) -> Snapshot {
        self.seq += 1;
        for i in 0..self.symbols.len() {
            if self.charts_stale[i] {
                self.rebuild_chart(i);
            }
        }
        let equity = self.book.equity();
        Snapshot {
            seq: self.seq,
            at_ms: self.now_ms,
            mode: self.mode,
            automation: self.automation,
            trading_state: self.risk.trading_state,
            armed: self.armed,
            feed: self.feed.clone(),
            ema_periods: self.ema_periods,
            adx_threshold: self.adx_threshold,
            symbols: self
                .symbols
                .iter()
                .zip(&self.charts)
                .enumerate()
                .map(|(i, (s, chart))| SymbolSnapshot {
                    symbol: s.symbol.clone(),
                    interval: self.interval,
                    history: Arc::clone(chart),
                    forming: s.series.forming().map(|c| c.bar()),
                    latest: s.latest(),
                    position: self.position_view(i, &s.symbol),
                    trades: Arc::clone(&self.trade_marks[i]),
                })
                .collect(),
            account: AccountView {
                wallet: self.book.wallet,
                unrealized: self.book.unrealized(),
                equity,
                day_pnl: equity - self.risk.day_start_equity,
            },
            risk: self.risk.clone(),
            daily_loss_limit: self.risk_config.daily_loss_limit,
            confirmer: self.confirmer.label(),
            ai_detail: self.confirmer.detail(),
            drift: self.confirmer.drift(),
            decisions: self.decisions.iter().cloned().collect(),
            approvals: self.approvals.iter().map(|p| p.record.clone()).collect(),
            tally: self.tally,
            latency: self.latency.stats(),
            open_orders: self
                .book
                .live_orders()
                .map(|o| OrderView {
                    request: o.request.clone(),
                    state: o.state.clone(),
                })
                .collect(),
            bars: self.bars,
            trades_closed: self.trades.len(),
        }
    }

    fn position_view(&self, index: usize, symbol: &Symbol) -> Option<PositionView> {
        let open = self.book.positions.get(symbol)?;
        let mark = self
            .book
            .marks
            .get(symbol)
            .copied()
            .unwrap_or(open.position.entry_price);
        let confirmed = |leg| {
            self.book.live_orders().any(|o| {
                o.request.symbol == *symbol
                    && o.request.leg == leg
                    && o.state == crate::domain::OrderState::Open
            })
        };
        Some(PositionView {
            position: open.position.clone(),
            mark,
            unrealized: open.position.unrealized_pnl(mark),
            stop: open.stop,
            take_profit: open.take_profit,
            stop_confirmed: confirmed(crate::domain::Leg::Stop),
            take_profit_confirmed: confirmed(crate::domain::Leg::TakeProfit),
            liquidation: self.liquidation_price(index, &open.position),
        })
    }

    /// Isolated margin at the paper leverage, on the tick grid like the paper
    /// exchange's own (the venue's figure replaces this once one is reported).
    fn liquidation_price(&self, index: usize, p: &crate::domain::Position) -> Option<Price> {
        let raw = p.isolated_liquidation_price(
            self.paper_config.leverage,
            self.paper_config.maintenance_margin,
        )?;
        Some(self.instruments[index].round_price(raw))
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
        self.charts_stale[index] = false;
    }

    /// A record for the journal, not even built where there is none (a
    /// backtest): the runner would only drop it.
    pub(super) fn journal(&self, out: &mut Vec<Action>, record: impl FnOnce() -> Record) {
        if self.journaling {
            out.push(Action::Journal(record()));
        }
    }

    /// A notice of routine trading (a fill, a close) that only someone
    /// watching reads: not even formatted where nobody does (a backtest,
    /// see `set_explaining`).
    pub(super) fn narrate(
        &self,
        out: &mut Vec<Action>,
        level: NoticeLevel,
        text: impl FnOnce() -> String,
    ) {
        if self.explaining {
            self.notice(out, level, text());
        }
    }

    pub(super) fn notice(&self, out: &mut Vec<Action>, level: NoticeLevel, text: String) {
        out.push(Action::Notice(Notice {
            level,
            at_ms: self.now_ms,
            text,
        }));
    }

    pub(super) fn remember(&mut self, record: DecisionRecord) {
        // Newest first: the same decision comes back soon (approved, filled).
        if let Some(existing) = self.decisions.iter_mut().rev().find(|d| d.id == record.id) {
            *existing = record;
            return;
        }
        if self.decisions.len() == RECENT_DECISIONS {
            self.decisions.pop_front();
        }
        self.decisions.push_back(record);
    }

    fn on_timer(&mut self, at_ms: i64, out: &mut Vec<Action>) {
        self.expire_approvals(out);
        self.check_equity(out);
        let silent = self
            .feed
            .last_update_ms
            .is_some_and(|t| at_ms - t > self.stale_after_ms);
        if silent && self.feed.state == FeedState::Connected {
            self.feed.state = FeedState::Stale;
            self.notice(
                out,
                NoticeLevel::Warn,
                "feed stale: no candle updates".into(),
            );
        }
        // The header clock moves every second even when the market is quiet.
        out.push(Action::Publish);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Dividing only at new lows gives the drawdown that dividing at
        /// every observation gives (few distinct values: equal equities,
        /// repeated peaks and lows come up often).
        #[test]
        fn the_drawdown_is_the_largest_fall_from_a_peak(
            cents in proptest::collection::vec(1i64..60, 1..200)
        ) {
            let mut stats = RunStats::default();
            let (mut peak, mut deepest) = (Decimal::ZERO, Decimal::ZERO);
            for (i, c) in cents.iter().enumerate() {
                let equity = Decimal::new(*c, 2);
                stats.observe(i as i64, equity);
                peak = peak.max(equity);
                deepest = deepest.max((peak - equity) / peak);
            }
            prop_assert_eq!(stats.max_drawdown, deepest);
            prop_assert_eq!(stats.peak_equity, peak);
        }
    }
}
