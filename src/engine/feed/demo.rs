//! Drives the demo market generator in (accelerated) real time: a forming
//! candle update every `candle_ms / ticks_per_candle`, then the closed candle.

use std::collections::VecDeque;
use std::time::Duration;

use crate::config::Config;
use crate::domain::{Candle, Interval, Symbol};
use crate::engine::Event;
use crate::market::demo::{DemoMarket, DemoParams};

pub struct DemoFeed {
    markets: Vec<(Symbol, DemoMarket)>,
    /// Per symbol, the rest of the current candle: forming updates, then the closed one.
    paths: Vec<VecDeque<Candle>>,
    pending: VecDeque<Event>,
    ticker: tokio::time::Interval,
    ticks_per_candle: usize,
    history_bars: usize,
}

impl DemoFeed {
    /// History starts `history_bars` intervals before `now_ms`, so the live
    /// candles continue from the present.
    pub fn new(config: &Config, now_ms: i64) -> DemoFeed {
        let params = &config.demo;
        let interval = config.market.interval;
        let start = align(now_ms, interval) - params.history_bars as i64 * interval.duration_ms();
        let markets = config
            .market
            .symbols
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let p = DemoParams {
                    start_price: start_price(params.start_price, s),
                    ..params.clone()
                };
                (s.clone(), DemoMarket::new(&p, interval, i as u64, start))
            })
            .collect::<Vec<_>>();
        let ticks = params.ticks_per_candle.max(1) as usize;
        let mut ticker = tokio::time::interval(Duration::from_millis(
            (params.candle_ms / ticks as u64).max(1),
        ));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        DemoFeed {
            paths: vec![VecDeque::new(); markets.len()],
            markets,
            pending: VecDeque::new(),
            ticker,
            ticks_per_candle: ticks,
            history_bars: params.history_bars,
        }
    }

    /// The warm-up history: closed candles for every symbol, generated at once.
    pub fn warm_up(&mut self) -> Vec<Event> {
        let mut events = Vec::with_capacity(self.history_bars * self.markets.len());
        for (symbol, market) in &mut self.markets {
            for _ in 0..self.history_bars {
                events.push(Event::Candle {
                    symbol: symbol.clone(),
                    candle: market.next_candle(),
                });
            }
        }
        events
    }

    /// The next event; waits for the demo clock when nothing is queued.
    /// Cancel-safe: a dropped call loses no event.
    pub async fn next(&mut self) -> Event {
        loop {
            if let Some(e) = self.pending.pop_front() {
                return e;
            }
            self.ticker.tick().await;
            for (i, (symbol, market)) in self.markets.iter_mut().enumerate() {
                let path = &mut self.paths[i];
                if path.is_empty() {
                    let (closed, forming) = market.next_candle_with_path(self.ticks_per_candle - 1);
                    path.extend(forming);
                    path.push_back(closed);
                }
                if let Some(candle) = path.pop_front() {
                    self.pending.push_back(Event::Candle {
                        symbol: symbol.clone(),
                        candle,
                    });
                }
            }
        }
    }
}

fn align(ms: i64, interval: Interval) -> i64 {
    ms - ms.rem_euclid(interval.duration_ms())
}

/// Demo prices in the right ballpark for well-known symbols, so that a watch
/// list of BTC, ETH and SOL looks like one.
fn start_price(btc_price: f64, symbol: &Symbol) -> f64 {
    match symbol.as_str() {
        "BTCUSDT" => btc_price,
        "ETHUSDT" => btc_price / 20.0,
        "SOLUSDT" => btc_price / 400.0,
        "BNBUSDT" => btc_price / 100.0,
        _ => btc_price / 200.0,
    }
}
