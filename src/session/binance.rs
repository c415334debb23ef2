//! `--feed binance`: the market over Binance's REST and WebSocket streams,
//! and with `--live` the venue that trades the account. Everything the
//! exchange tells arrives on one channel, read by the runner as its feed.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::{mpsc, watch};

use crate::binance::rest::{Clock, Credentials, RestClient, RestConfig};
use crate::binance::stream::{
    self, MarketSequencer, MarketStreamConfig, UserStreamConfig, UserStreamMessage,
};
use crate::binance::venue::{self, BinanceVenue, VenueCommand, VenueConfig};
use crate::config::Config;
use crate::domain::Instrument;
use crate::engine::Event;
use crate::engine::feed::Feed;

/// What a connected session hands to the runner.
pub struct BinanceLink {
    pub feed: Feed,
    pub warm_up: Vec<(i64, Event)>,
    /// The symbols' filters from exchangeInfo, in config order.
    pub instruments: Vec<Instrument>,
    /// Present when trading live.
    pub venue: Option<BinanceVenue>,
    pub rest: Arc<RestClient>,
    /// Best bid/ask per symbol (kept open so the book ticker stream runs).
    pub book: watch::Receiver<stream::BestBidAsk>,
}

/// Connects: server clock, filters, account checks when live, warm-up
/// history, then the streams. Call inside the tokio runtime.
pub async fn connect(
    config: &Config,
    credentials: Option<Credentials>,
    clock: Clock,
) -> anyhow::Result<BinanceLink> {
    let b = &config.binance;
    let live = credentials.is_some();
    let rest = Arc::new(RestClient::new(
        RestConfig {
            base_url: b.rest_url.clone(),
            recv_window_ms: b.recv_window_ms,
            timeout: Duration::from_millis(b.request_timeout_ms),
            retry: Default::default(),
        },
        credentials,
        clock,
    )?);
    rest.sync_time()
        .await
        .with_context(|| format!("cannot reach Binance at {} (binance.rest_url)", b.rest_url))?;
    let symbols = config.market.symbols.clone();
    let interval = config.market.interval;
    let instruments = venue::startup::instruments(&rest, &symbols).await?;
    if live {
        venue::startup::prepare_account(&rest, &symbols, b.leverage, &b.margin_type).await?;
    }
    let warm_up = stream::warm_up(&rest, &symbols, interval, b.warm_up_bars)
        .await
        .context("loading the warm-up history over REST")?;
    let mut sequencer = MarketSequencer::new(interval, b.late_candle_ms);
    sequencer.seed_from(&warm_up);

    let (tx, rx) = mpsc::channel(8192);
    let reconnect = crate::binance::retry::RetryPolicy {
        max_attempts: u32::MAX,
        base: Duration::from_millis(b.reconnect_min_ms),
        cap: Duration::from_millis(b.reconnect_max_ms),
    };
    let market = MarketStreamConfig {
        late_after_ms: b.late_candle_ms,
        reconnect,
        ..MarketStreamConfig::new(b.ws_url.clone(), symbols.clone(), interval)
    };
    tokio::spawn(stream::run_market_stream(
        market.clone(),
        sequencer,
        rest.clone(),
        tx.clone(),
    ));
    let (book_tx, book) = watch::channel(Default::default());
    tokio::spawn(stream::run_book_ticker_stream(market, book_tx));
    tokio::spawn(watch_ban(rest.clone(), tx.clone()));

    let venue = if live {
        let venue = venue::spawn(
            rest.clone(),
            VenueConfig {
                stop_deadline: Duration::from_millis(b.stop_deadline_ms),
                taker_fee: config.paper.taker_fee,
                maker_fee: config.paper.maker_fee,
                recv_window_ms: b.recv_window_ms as i64,
                symbols: symbols.clone(),
                ..VenueConfig::default()
            },
            tx.clone(),
        );
        let (user_tx, user_rx) = mpsc::channel(1024);
        tokio::spawn(stream::run_user_stream(
            UserStreamConfig {
                reconnect,
                ..UserStreamConfig::new(b.ws_url.clone())
            },
            rest.clone(),
            user_tx,
        ));
        tokio::spawn(forward_user_stream(user_rx, venue.commands()));
        Some(venue)
    } else {
        None
    };
    let source = if live { "binance-live" } else { "binance" };
    Ok(BinanceLink {
        feed: Feed::Channel(rx, source),
        warm_up,
        instruments,
        venue,
        rest,
        book,
    })
}

/// User-stream events go to the venue; every (re)connect reconciles (which
/// first asks about the orders whose events the gap may have swallowed).
pub async fn forward_user_stream(
    mut rx: mpsc::Receiver<UserStreamMessage>,
    venue: mpsc::UnboundedSender<VenueCommand>,
) {
    while let Some(message) = rx.recv().await {
        let command = match message {
            UserStreamMessage::Connected => VenueCommand::Reconcile,
            UserStreamMessage::Event(event) => VenueCommand::User(event),
            UserStreamMessage::Disconnected { reason } => {
                log::warn!(target: "binance", "user-data stream down: {reason}; fills are read again at reconnect");
                continue;
            }
        };
        if venue.send(command).is_err() {
            return;
        }
    }
}

/// Tells the engine when a 418 ban starts and ends, for the header.
async fn watch_ban(rest: Arc<RestClient>, tx: mpsc::Sender<(i64, Event)>) {
    let mut shown = None;
    loop {
        let banned = rest.banned_until();
        if banned != shown {
            shown = banned;
            let event = Event::Banned { until_ms: banned };
            if tx.send((rest.server_now(), event)).await.is_err() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The keys for `--live` (None without it), after the mainnet guard.
pub fn credentials_for(
    config: &Config,
    live: bool,
    mainnet: bool,
) -> anyhow::Result<Option<Credentials>> {
    crate::binance::credentials::check_network(&config.binance, mainnet)?;
    if !live {
        return Ok(None);
    }
    Ok(Some(crate::binance::credentials::load(
        &config.binance,
        |name| std::env::var(name).ok(),
    )?))
}

/// A runner on Binance data, ready for `run_engine`.
pub struct BinanceRun {
    pub runner: crate::engine::Runner,
    pub feed: Feed,
    pub warm_up: Vec<(i64, Event)>,
    /// Kept for the run's length: the REST client and the book ticker.
    pub link: (Arc<RestClient>, watch::Receiver<stream::BestBidAsk>),
}

/// Connects and builds the runner: paper on live data without credentials,
/// with the live venue attached when there are (`start_live` switches to
/// Live at once, as `--live --headless` does; the cockpit waits for the
/// operator to type LIVE).
pub async fn prepare(
    config: &Config,
    credentials: Option<Credentials>,
    clock: Clock,
    journal: Option<crate::journal::Journal>,
    start_live: bool,
    ai: &crate::ai::setup::AiFlags,
) -> anyhow::Result<BinanceRun> {
    let link = connect(config, credentials, clock.clone()).await?;
    let source = link.feed.source();
    // No candle update for this long means the stream is stale.
    let stale_ms = (config.market.interval.duration_ms() / 2).clamp(30_000, 120_000);
    let mut runner = super::build_runner(config, source, stale_ms, journal, ai)?;
    runner.engine.set_instruments(link.instruments.clone());
    if let Some(venue) = link.venue {
        runner.engine.set_live_available(true);
        runner.live = Some(Box::new(venue));
        match runner.engine.resume_live(start_live) {
            Ok(Some(text)) => log::warn!(target: "engine", "{text}"),
            Ok(None) => {}
            Err(e) => anyhow::bail!("--live: {e}"),
        }
    }
    Ok(BinanceRun {
        runner,
        feed: link.feed,
        warm_up: link.warm_up,
        link: (link.rest, link.book),
    })
}
