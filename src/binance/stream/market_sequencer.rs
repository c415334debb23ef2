//! Market frames to engine events, per symbol, without I/O and without a
//! clock of its own: the caller passes the server time (`now_ms`) with every
//! call. The rules that keep the engine's candle history exact:
//!
//! - a closed candle is emitted once, in open-time order: one whose open
//!   time is not after the symbol's last closed candle is a duplicate or out
//!   of order and is dropped, and so is a forming update of such a candle;
//! - a closed candle is an [`Event::Candle`] while `now − close_time ≤
//!   late_after_ms`, after that an [`Event::LateCandle`] (too late to trade on);
//! - after a (re)connect the stream's frames are buffered
//!   ([`MarketSequencer::begin_resync`]) while the missing closed candles are
//!   fetched over REST ([`MarketSequencer::backfill_range`],
//!   [`MarketSequencer::on_backfill`]); then the buffer is replayed through
//!   the same rules and the feed is up ([`MarketSequencer::finish_resync`]).

use std::collections::BTreeMap;

use crate::binance::wire::{Kline, KlineBar, MarketEvent, MarketFrame};
use crate::domain::{Candle, Interval, Price, Symbol};
use crate::engine::Event;

/// Stream frames held back while a resync runs, per symbol. Closed candles
/// are all kept; of the forming updates and mark prices only the latest
/// matters (each supersedes the one before), so only it is kept.
#[derive(Debug, Default)]
struct Pending {
    /// (candle, close time), in arrival order.
    closed: Vec<(Candle, i64)>,
    forming: Option<Candle>,
    mark: Option<Price>,
}

#[derive(Debug)]
pub struct MarketSequencer {
    interval: Interval,
    late_after_ms: i64,
    /// Open time of the last closed candle emitted (or seeded), per symbol.
    last_closed: BTreeMap<Symbol, i64>,
    /// `Some` while resyncing.
    buffer: Option<BTreeMap<Symbol, Pending>>,
}

impl MarketSequencer {
    /// Klines of other intervals are ignored. A closed candle older than
    /// `late_after_ms` (from its close time to now) becomes a `LateCandle`.
    pub fn new(interval: Interval, late_after_ms: i64) -> MarketSequencer {
        MarketSequencer {
            interval,
            late_after_ms,
            last_closed: BTreeMap::new(),
            buffer: None,
        }
    }

    pub fn interval(&self) -> Interval {
        self.interval
    }

    pub fn late_after_ms(&self) -> i64 {
        self.late_after_ms
    }

    pub fn set_late_after_ms(&mut self, late_after_ms: i64) {
        self.late_after_ms = late_after_ms;
    }

    /// Open time of the last closed candle the engine has seen for `symbol`.
    pub fn last_closed(&self, symbol: &Symbol) -> Option<i64> {
        self.last_closed.get(symbol).copied()
    }

    /// The engine already has the closed candles up to the one opening at
    /// `open_time_ms` (from a warm-up). Never moves a symbol backwards.
    pub fn seed(&mut self, symbol: Symbol, open_time_ms: i64) {
        let last = self.last_closed.entry(symbol).or_insert(open_time_ms);
        *last = (*last).max(open_time_ms);
    }

    /// Seeds every symbol from the closed candles of a warm-up
    /// ([`super::warm_up`]'s events).
    pub fn seed_from(&mut self, events: &[(i64, Event)]) {
        for (_, event) in events {
            if let Event::Candle { symbol, candle } | Event::LateCandle { symbol, candle } = event
                && candle.closed
            {
                self.seed(symbol.clone(), candle.open_time_ms);
            }
        }
    }

    pub fn is_resyncing(&self) -> bool {
        self.buffer.is_some()
    }

    /// One stream frame. Live: the events it makes (none for a duplicate).
    /// Resyncing: buffered, no events until [`MarketSequencer::finish_resync`].
    pub fn on_frame(&mut self, frame: &MarketFrame, now_ms: i64) -> Vec<Event> {
        match &frame.event {
            MarketEvent::Kline(k) => {
                let Some((symbol, candle)) = self.kline(&k.kline) else {
                    return Vec::new();
                };
                let close_time_ms = k.kline.close_time_ms;
                if let Some(buffer) = &mut self.buffer {
                    let pending = buffer.entry(symbol).or_default();
                    if candle.closed {
                        pending.closed.push((candle, close_time_ms));
                    } else {
                        pending.forming = Some(candle);
                    }
                    return Vec::new();
                }
                if candle.closed {
                    self.closed(symbol, candle, close_time_ms, now_ms)
                        .into_iter()
                        .collect()
                } else {
                    self.forming(symbol, candle).into_iter().collect()
                }
            }
            MarketEvent::MarkPrice(m) => {
                let Ok(symbol) = Symbol::new(&m.symbol) else {
                    log::warn!(target: "binance", "mark price for a bad symbol {:?} ignored", m.symbol);
                    return Vec::new();
                };
                if let Some(buffer) = &mut self.buffer {
                    buffer.entry(symbol).or_default().mark = Some(m.mark_price);
                    return Vec::new();
                }
                vec![Event::Price {
                    symbol,
                    price: m.mark_price,
                }]
            }
            MarketEvent::BookTicker(_) | MarketEvent::Other { .. } => Vec::new(),
        }
    }

    /// A (re)connect: hold stream frames back until the gap is filled. A
    /// resync that never finished (the connection dropped again) keeps what
    /// it had buffered.
    pub fn begin_resync(&mut self) {
        self.buffer.get_or_insert_with(BTreeMap::new);
    }

    /// The closed candles `symbol` is missing at `now_ms`: from the one after
    /// the last closed candle up to the last candle that has closed by now
    /// (close time before now), as `(start, end)` where `start` is the first
    /// missing open time and `end` the last missing close time, so that the
    /// range holds exactly the missing candles whether `end` is read as an
    /// open or a close time. `None` when nothing is missing or the symbol has
    /// no closed candle yet (the warm-up covers a fresh start).
    pub fn backfill_range(&self, symbol: &Symbol, now_ms: i64) -> Option<(i64, i64)> {
        let last = self.last_closed(symbol)?;
        let d = self.interval.duration_ms();
        // Candle last + k·d closes at last + (k+1)·d − 1 < now ⇔ k + 1 ≤ (now − last) / d.
        let k_max = (now_ms - last).div_euclid(d) - 1;
        (k_max >= 1).then(|| (last + d, last + (k_max + 1) * d - 1))
    }

    /// REST rows for `symbol` (a backfill): the closed ones not yet emitted,
    /// in open-time order, each once. The forming row (close time ≥ now) is
    /// skipped: the stream delivers it when it closes.
    pub fn on_backfill(
        &mut self,
        symbol: &Symbol,
        mut rows: Vec<Kline>,
        now_ms: i64,
    ) -> Vec<Event> {
        rows.sort_by_key(|r| r.open_time_ms);
        let mut out = Vec::new();
        for row in rows {
            if row.close_time_ms >= now_ms {
                continue;
            }
            match row.to_candle(true) {
                Ok(candle) => {
                    out.extend(self.closed(symbol.clone(), candle, row.close_time_ms, now_ms))
                }
                Err(e) => log::warn!(target: "binance", "{symbol} backfill row skipped: {e}"),
            }
        }
        out
    }

    /// Ends the resync: the buffered frames through the live rules (so what
    /// the backfill already emitted is dropped), then `FeedUp`. Symbols are
    /// replayed one after the other; within a symbol closed candles come
    /// first, then the latest forming update, then the latest mark price.
    pub fn finish_resync(&mut self, now_ms: i64) -> Vec<Event> {
        let mut out = Vec::new();
        for (symbol, pending) in self.buffer.take().unwrap_or_default() {
            for (candle, close_time_ms) in pending.closed {
                out.extend(self.closed(symbol.clone(), candle, close_time_ms, now_ms));
            }
            if let Some(candle) = pending.forming {
                out.extend(self.forming(symbol.clone(), candle));
            }
            if let Some(price) = pending.mark {
                out.push(Event::Price { symbol, price });
            }
        }
        out.push(Event::FeedUp);
        out
    }

    fn kline(&self, bar: &KlineBar) -> Option<(Symbol, Candle)> {
        if bar.interval != self.interval.as_str() {
            return None;
        }
        let symbol = match Symbol::new(&bar.symbol) {
            Ok(s) => s,
            Err(e) => {
                log::warn!(target: "binance", "kline ignored: {e}");
                return None;
            }
        };
        match bar.to_candle() {
            Ok(candle) => Some((symbol, candle)),
            Err(e) => {
                log::warn!(target: "binance", "kline ignored: {e}");
                None
            }
        }
    }

    fn closed(
        &mut self,
        symbol: Symbol,
        candle: Candle,
        close_time_ms: i64,
        now_ms: i64,
    ) -> Option<Event> {
        if self
            .last_closed(&symbol)
            .is_some_and(|last| candle.open_time_ms <= last)
        {
            return None;
        }
        self.last_closed.insert(symbol.clone(), candle.open_time_ms);
        Some(if now_ms - close_time_ms <= self.late_after_ms {
            Event::Candle { symbol, candle }
        } else {
            Event::LateCandle { symbol, candle }
        })
    }

    fn forming(&self, symbol: Symbol, candle: Candle) -> Option<Event> {
        if self
            .last_closed(&symbol)
            .is_some_and(|last| candle.open_time_ms <= last)
        {
            return None;
        }
        Some(Event::Candle { symbol, candle })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::binance::wire::parse_market_frame;

    pub const MIN: i64 = 60_000;

    fn sym() -> Symbol {
        Symbol::new("BTCUSDT").unwrap()
    }

    /// The recorded closed-kline fixture, as parsed from the shared data.
    fn fixture(name: &str) -> String {
        let path = crate::shared_data::file(&format!("binance/fixtures/ws/{name}")).unwrap();
        std::fs::read_to_string(path).unwrap()
    }

    /// A combined-stream kline frame in the recorded shape; the close
    /// price `close` lets a test tell a forming version from the final one.
    pub fn kline_text(symbol: &str, open: i64, closed: bool, close: &str) -> String {
        format!(
            r#"{{"stream":"{lower}@kline_1m","data":{{"e":"kline","E":{e},"s":"{symbol}","k":{{"t":{open},"T":{t},"s":"{symbol}","i":"1m","f":100,"L":200,"o":"10.0","c":"{close}","h":"20.0","l":"5.0","v":"1000","n":100,"x":{closed},"q":"1.0000","V":"500","Q":"0.500","B":"123456"}}}}}}"#,
            lower = symbol.to_ascii_lowercase(),
            e = open + MIN - 1,
            t = open + MIN - 1,
        )
    }

    fn kline(open: i64, closed: bool) -> MarketFrame {
        parse_market_frame(&kline_text("BTCUSDT", open, closed, "12.0")).unwrap()
    }

    pub fn row(open: i64, close: &str) -> Kline {
        serde_json::from_str(&format!(
            r#"[{open},"10.0","20.0","5.0","{close}","1000",{},"1.0",100,"500","0.5","0"]"#,
            open + MIN - 1
        ))
        .unwrap()
    }

    fn closed_opens(events: &[Event]) -> Vec<i64> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::Candle { candle, .. } | Event::LateCandle { candle, .. }
                    if candle.closed =>
                {
                    Some(candle.open_time_ms)
                }
                _ => None,
            })
            .collect()
    }

    fn seq() -> MarketSequencer {
        MarketSequencer::new(Interval::M1, 5_000)
    }

    #[test]
    fn the_recorded_frames_become_candles_and_prices() {
        let mut s = seq();
        let closed = parse_market_frame(&fixture("kline_stream_closed.json")).unwrap();
        // The recorded forming frame (Binance's documentation example) has
        // its open below its low: an impossible bar, dropped with a warning.
        let bad = parse_market_frame(&fixture("kline_stream_open.json")).unwrap();
        assert!(s.on_frame(&bad, 0).is_empty());
        let open_text = fixture("kline_stream_closed.json").replace("\"x\": true", "\"x\": false");
        let open = parse_market_frame(&open_text).unwrap();
        let mark = parse_market_frame(&fixture("mark_price_stream.json")).unwrap();
        // The fixture's candle opens at 1638747660000 and closes 59 999 ms later.
        let now = 1_638_747_719_999 + 1;
        let e = s.on_frame(&open, now);
        assert!(matches!(&e[..], [Event::Candle { candle, .. }] if !candle.closed));
        let e = s.on_frame(&closed, now);
        assert!(matches!(&e[..], [Event::Candle { candle, .. }] if candle.closed));
        assert_eq!(s.last_closed(&sym()), Some(1_638_747_660_000));
        // The forming version of a closed candle and the closed one again: dropped.
        assert!(s.on_frame(&open, now).is_empty());
        assert!(s.on_frame(&closed, now).is_empty());
        let e = s.on_frame(&mark, now);
        assert_eq!(
            e,
            vec![Event::Price {
                symbol: sym(),
                price: "11794.15".parse().unwrap()
            }]
        );
    }

    #[test]
    fn duplicate_and_out_of_order_closed_klines_are_dropped() {
        let mut s = seq();
        let now = 10 * MIN;
        let mut events = Vec::new();
        for open in [3, 4, 4, 2, 5, 3, 5, 6] {
            events.extend(s.on_frame(&kline(open * MIN, true), now));
        }
        assert_eq!(
            closed_opens(&events),
            vec![3 * MIN, 4 * MIN, 5 * MIN, 6 * MIN]
        );
        // A forming update of a closed candle is stale; one of the next is news.
        assert!(s.on_frame(&kline(6 * MIN, false), now).is_empty());
        assert_eq!(s.on_frame(&kline(7 * MIN, false), now).len(), 1);
        // Another interval on the same connection is not ours.
        let other = kline_text("BTCUSDT", 9 * MIN, true, "12.0").replace("\"1m\"", "\"5m\"");
        assert!(
            s.on_frame(&parse_market_frame(&other).unwrap(), now)
                .is_empty()
        );
    }

    #[test]
    fn the_late_rule_holds_at_the_boundary() {
        let close = MIN - 1;
        let late_after = 5_000;
        let mut s = MarketSequencer::new(Interval::M1, late_after);
        let e = s.on_frame(&kline(0, true), close + late_after);
        assert!(matches!(&e[..], [Event::Candle { .. }]), "{e:?}");
        let e = s.on_frame(&kline(MIN, true), MIN + close + late_after + 1);
        assert!(matches!(&e[..], [Event::LateCandle { .. }]), "{e:?}");
        // The same rule for backfilled rows.
        s.seed(sym(), MIN);
        let e = s.on_backfill(
            &sym(),
            vec![row(2 * MIN, "12"), row(3 * MIN, "12")],
            3 * MIN + close + late_after,
        );
        assert!(
            matches!(&e[..], [Event::LateCandle { .. }, Event::Candle { .. }]),
            "{e:?}"
        );
    }

    #[test]
    fn a_gap_gives_the_exact_backfill_range() {
        let mut s = seq();
        assert_eq!(s.backfill_range(&sym(), 100 * MIN), None, "fresh start");
        s.seed(sym(), 10 * MIN);
        // Candle 11 is forming until 12·MIN − 1: nothing is missing yet.
        assert_eq!(s.backfill_range(&sym(), 11 * MIN + 5), None);
        assert_eq!(s.backfill_range(&sym(), 12 * MIN - 1), None);
        // At 12·MIN candle 11 has closed.
        assert_eq!(
            s.backfill_range(&sym(), 12 * MIN),
            Some((11 * MIN, 12 * MIN - 1))
        );
        // Candles 11..=14 closed, 15 forming.
        assert_eq!(
            s.backfill_range(&sym(), 15 * MIN + 30_000),
            Some((11 * MIN, 15 * MIN - 1))
        );
        // Seeding never moves back.
        s.seed(sym(), 3 * MIN);
        assert_eq!(s.last_closed(&sym()), Some(10 * MIN));
    }

    #[test]
    fn backfill_emits_the_missing_candles_in_order_and_the_buffer_adds_no_duplicate() {
        let mut s = seq();
        s.seed(sym(), 10 * MIN);
        s.begin_resync();
        let now = 15 * MIN + 30_000;
        assert_eq!(
            s.backfill_range(&sym(), now),
            Some((11 * MIN, 15 * MIN - 1))
        );
        // While the REST request runs the stream goes on: candle 14's close
        // (also in the backfill), forming 15, then 15 closes and 16 forms.
        for f in [
            kline(14 * MIN, true),
            kline(15 * MIN, false),
            kline(15 * MIN, true),
            kline(16 * MIN, false),
        ] {
            assert!(s.on_frame(&f, now).is_empty(), "buffered");
        }
        let mark = parse_market_frame(&fixture("mark_price_stream.json")).unwrap();
        assert!(s.on_frame(&mark, now).is_empty());
        // REST answers out of order, with a duplicate, an old row and the forming row.
        let rows = vec![
            row(12 * MIN, "12"),
            row(11 * MIN, "12"),
            row(13 * MIN, "12"),
            row(10 * MIN, "12"),
            row(12 * MIN, "12"),
            row(14 * MIN, "12"),
            row(15 * MIN, "11"),
        ];
        let e = s.on_backfill(&sym(), rows, now);
        assert_eq!(
            closed_opens(&e),
            vec![11 * MIN, 12 * MIN, 13 * MIN, 14 * MIN]
        );
        assert_eq!(e.len(), 4, "the forming row 15 is skipped: {e:?}");
        assert!(s.is_resyncing());
        let e = s.finish_resync(16 * MIN + 1);
        assert!(!s.is_resyncing());
        assert_eq!(closed_opens(&e), vec![15 * MIN]);
        match &e[..] {
            [
                Event::Candle { candle: c15, .. },
                Event::Candle { candle: c16, .. },
                Event::Price { .. },
                Event::FeedUp,
            ] => {
                // Candle 15 from the stream's closed frame, not the forming REST row.
                assert_eq!((c15.closed, c15.close), (true, "12".parse().unwrap()));
                assert_eq!((c16.open_time_ms, c16.closed), (16 * MIN, false));
            }
            other => panic!("{other:?}"),
        }
        // Live again.
        assert_eq!(s.on_frame(&kline(16 * MIN, true), 17 * MIN).len(), 1);
    }

    #[test]
    fn a_resync_cut_short_keeps_its_buffer() {
        let mut s = seq();
        s.seed(sym(), 0);
        s.begin_resync();
        assert!(s.on_frame(&kline(MIN, true), 2 * MIN).is_empty());
        // Dropped again before the backfill came back: a new resync begins.
        s.begin_resync();
        let e = s.finish_resync(3 * MIN);
        assert_eq!(closed_opens(&e), vec![MIN]);
        assert_eq!(e.last(), Some(&Event::FeedUp));
    }

    #[test]
    fn warm_up_events_seed_the_last_closed_times() {
        let mut s = seq();
        let eth = Symbol::new("ETHUSDT").unwrap();
        let candle = |open, closed| row(open, "12").to_candle(closed).unwrap();
        s.seed_from(&[
            (
                MIN,
                Event::Candle {
                    symbol: sym(),
                    candle: candle(0, true),
                },
            ),
            (
                2 * MIN,
                Event::Candle {
                    symbol: sym(),
                    candle: candle(MIN, true),
                },
            ),
            (
                2 * MIN,
                Event::Candle {
                    symbol: eth.clone(),
                    candle: candle(MIN, true),
                },
            ),
            (
                3 * MIN,
                Event::Candle {
                    symbol: eth.clone(),
                    candle: candle(2 * MIN, false),
                },
            ),
        ]);
        assert_eq!(s.last_closed(&sym()), Some(MIN));
        assert_eq!(s.last_closed(&eth), Some(MIN));
    }

    /// One stretch of the simulated session: candles closing while live, then
    /// a drop, candles closing while disconnected, a reconnect, and candles
    /// closing while the backfill runs.
    #[derive(Debug, Clone)]
    struct Stretch {
        live: usize,
        gap: usize,
        during_resync: usize,
        /// Resend an already-closed candle (a duplicate) while live.
        replay_old: bool,
        /// The exchange's REST ignores endTime and returns the forming row too.
        with_forming_row: bool,
    }

    fn stretch() -> impl Strategy<Value = Stretch> {
        (
            0usize..4,
            0usize..6,
            0usize..3,
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(
                |(live, gap, during_resync, replay_old, with_forming_row)| Stretch {
                    live,
                    gap,
                    during_resync,
                    replay_old,
                    with_forming_row,
                },
            )
    }

    /// The exchange's final version of a candle closes at 12; while forming
    /// it shows 11.
    const FINAL: &str = "12.0";

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn twenty_disconnects_lose_no_closed_candle_and_duplicate_none(
            stretches in proptest::collection::vec(stretch(), 20)
        ) {
            let mut s = MarketSequencer::new(Interval::M1, 2 * MIN);
            // The warm-up ended with candle 0.
            s.seed(sym(), 0);
            let mut events = Vec::new();
            // Candle `i` is the next one to close.
            let mut i: i64 = 1;
            let frame = |open: i64, closed: bool| {
                let close = if closed { FINAL } else { "11.0" };
                parse_market_frame(&kline_text("BTCUSDT", open, closed, close)).unwrap()
            };
            let stream_candle = |s: &mut MarketSequencer, events: &mut Vec<Event>, i: i64| {
                let now = i * MIN + 20_000;
                events.extend(s.on_frame(&frame(i * MIN, false), now));
                let now = (i + 1) * MIN + 150;
                events.extend(s.on_frame(&frame(i * MIN, true), now));
            };
            for st in &stretches {
                for _ in 0..st.live {
                    stream_candle(&mut s, &mut events, i);
                    if st.replay_old {
                        let now = (i + 1) * MIN + 200;
                        events.extend(s.on_frame(&frame((i - 1).max(0) * MIN, true), now));
                        events.extend(s.on_frame(&frame(i * MIN, true), now));
                    }
                    i += 1;
                }
                // Dropped: these candles close unseen.
                i += st.gap as i64;
                // Reconnected within candle i.
                let connected = i * MIN + 700;
                s.begin_resync();
                let range = s.backfill_range(&sym(), connected);
                for _ in 0..st.during_resync {
                    stream_candle(&mut s, &mut events, i);
                    i += 1;
                }
                let now = i * MIN + 900;
                let mut rows: Vec<Kline> = match range {
                    Some((start, end)) => (start / MIN..=end / MIN)
                        .map(|k| row(k * MIN, FINAL))
                        .collect(),
                    None => Vec::new(),
                };
                if st.with_forming_row {
                    rows.push(row(i * MIN, "11.0"));
                }
                if range.is_some() || st.with_forming_row {
                    events.extend(s.on_backfill(&sym(), rows, now));
                }
                let tail = s.finish_resync(now);
                prop_assert_eq!(tail.last(), Some(&Event::FeedUp));
                events.extend(tail);
            }
            // Every candle that closed, 1..i, exactly once, in order, final.
            let expected: Vec<i64> = (1..i).map(|k| k * MIN).collect();
            prop_assert_eq!(closed_opens(&events), expected);
            let mut last_closed = 0;
            for e in &events {
                match e {
                    Event::Candle { candle, .. } | Event::LateCandle { candle, .. } => {
                        prop_assert!(candle.open_time_ms > last_closed, "stale {:?}", candle);
                        if candle.closed {
                            prop_assert_eq!(candle.close, "12".parse().unwrap());
                            last_closed = candle.open_time_ms;
                        }
                    }
                    Event::FeedUp => {}
                    other => prop_assert!(false, "unexpected {:?}", other),
                }
            }
        }
    }
}
