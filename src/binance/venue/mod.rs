//! The Binance `Exchange`: the engine's synchronous side hands orders to an
//! async task that places them, settles unknown outcomes, watches the user
//! stream and reconciles the account. Everything it learns comes back to
//! the runner as `Event::Exec` on the same channel as the market data, so
//! the engine sees one ordered stream of facts.

mod account;
mod facts;
mod forced;
mod placing;
mod reconcile;
mod recover;
pub mod registry;
pub mod startup;
mod user_events;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rust_decimal::Decimal;
use tokio::sync::mpsc;

use super::rest::RestClient;
use super::wire::UserEvent;
use crate::domain::{Candle, ClientOrderId, OrderRequest, Symbol};
use crate::engine::Event;
use crate::exec::{Exchange, ExecReport};
use crate::risk::Approved;
use registry::Registry;

#[derive(Debug, Clone)]
pub struct VenueConfig {
    /// A position whose stop is not confirmed on the exchange within this
    /// is closed.
    pub stop_deadline: Duration,
    /// For fees the REST answer does not state (the user stream does).
    pub taker_fee: Decimal,
    pub maker_fee: Decimal,
    /// A lost order request can still reach the matching engine until its
    /// timestamp is this old: only after it may an absent entry be re-sent.
    pub recv_window_ms: i64,
    /// Gives up re-sending an order after this many attempts.
    pub max_sends: u32,
    /// The symbols the bot trades: reconciliation leaves every other
    /// symbol's positions and orders to the operator.
    pub symbols: Vec<Symbol>,
}

impl Default for VenueConfig {
    fn default() -> Self {
        VenueConfig {
            stop_deadline: Duration::from_secs(5),
            taker_fee: Decimal::new(4, 4),
            maker_fee: Decimal::new(2, 4),
            recv_window_ms: 5_000,
            max_sends: 5,
            symbols: Vec::new(),
        }
    }
}

/// What the venue task is asked to do.
#[derive(Debug)]
pub enum VenueCommand {
    Submit(OrderRequest),
    Cancel(ClientOrderId),
    /// A user-data stream event.
    User(Box<UserEvent>),
    /// Ask about every order of ours still working (the user stream may
    /// have missed its fills), then read positions, equity and open orders
    /// and report them (at start and after every reconnect of the user
    /// stream).
    Reconcile,
}

/// The engine's handle: sends and returns at once; reports come later.
pub struct BinanceVenue {
    commands: mpsc::UnboundedSender<VenueCommand>,
}

impl BinanceVenue {
    pub fn commands(&self) -> mpsc::UnboundedSender<VenueCommand> {
        self.commands.clone()
    }
}

impl Exchange for BinanceVenue {
    fn name(&self) -> &'static str {
        "binance"
    }

    fn submit(&mut self, at_ms: i64, order: &Approved) -> Vec<ExecReport> {
        let request = order.request().clone();
        match self.commands.send(VenueCommand::Submit(request.clone())) {
            Ok(()) => vec![],
            Err(_) => vec![ExecReport::Rejected {
                id: request.id,
                reason: "the Binance venue task has stopped".into(),
                at_ms,
            }],
        }
    }

    fn cancel(&mut self, at_ms: i64, id: &ClientOrderId) -> Vec<ExecReport> {
        match self.commands.send(VenueCommand::Cancel(id.clone())) {
            Ok(()) => vec![],
            Err(_) => vec![ExecReport::Rejected {
                id: id.clone(),
                reason: "the Binance venue task has stopped".into(),
                at_ms,
            }],
        }
    }

    fn reconcile(&mut self) {
        let _ = self.commands.send(VenueCommand::Reconcile);
    }

    /// Binance triggers stops itself; candles change nothing here.
    fn on_candle(&mut self, _: i64, _: &Symbol, _: &Candle) -> Vec<ExecReport> {
        vec![]
    }
}

/// State shared by the venue's tasks.
pub(crate) struct Shared {
    pub rest: Arc<RestClient>,
    pub registry: Mutex<Registry>,
    pub reports: mpsc::Sender<(i64, Event)>,
    pub config: VenueConfig,
    /// Orders every report, and tells a reconciliation whether it is stale.
    pub facts: facts::Facts,
    /// Positions and funding as the user stream told them.
    pub account: Mutex<account::AccountView>,
}

impl Shared {
    pub fn registry(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub async fn report(&self, report: ExecReport) {
        self.facts
            .send(&self.reports, (self.now(), Event::Exec(report)))
            .await;
    }

    pub fn account(&self) -> std::sync::MutexGuard<'_, account::AccountView> {
        self.account.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reports the order accepted, once: a later NEW (a duplicated event, the
    /// REST answer after the stream) or one after a fill, even a partial
    /// one, changes nothing.
    pub async fn accept_once(&self, id: ClientOrderId, at_ms: i64) {
        let first = match self.registry().get_mut(&id) {
            Some(e) if !e.accepted && !e.done && e.reported_qty.is_zero() => {
                e.accepted = true;
                e.unknown = false;
                true
            }
            _ => false,
        };
        if first {
            self.report(ExecReport::Accepted { id, at_ms }).await;
        }
    }

    /// Reads until it can: each read is already retried by the policy; past
    /// that, a ban is waited out and anything else asked again with backoff.
    pub async fn read_until_ok<T, F, Fut>(&self, what: &str, f: F) -> T
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, super::BinanceError>>,
    {
        let mut attempt = 1;
        loop {
            match f().await {
                Ok(v) => return v,
                Err(e) => {
                    let wait = match e {
                        super::BinanceError::Banned {
                            until_ms: Some(u), ..
                        } => Duration::from_millis((u - self.now()).max(0) as u64 + 50),
                        _ => self.rest.retry_policy().backoff(attempt.min(6)),
                    };
                    log::warn!(target: "binance", "{what} not readable ({e}); again in {wait:?}");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }

    pub fn now(&self) -> i64 {
        self.rest.server_now()
    }
}

/// Starts the venue task; it runs until every command sender is dropped.
/// Call inside the tokio runtime.
pub fn spawn(
    rest: Arc<RestClient>,
    config: VenueConfig,
    reports: mpsc::Sender<(i64, Event)>,
) -> BinanceVenue {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let shared = Arc::new(Shared {
        rest,
        registry: Mutex::new(Registry::default()),
        reports,
        config,
        facts: Default::default(),
        account: Default::default(),
    });
    tokio::spawn(async move {
        while let Some(command) = rx.recv().await {
            let shared = shared.clone();
            match command {
                VenueCommand::Submit(request) => {
                    shared.registry().insert(request.clone());
                    tokio::spawn(placing::place(shared, request));
                }
                VenueCommand::Cancel(id) => {
                    tokio::spawn(placing::cancel(shared, id));
                }
                VenueCommand::User(event) => user_events::apply(&shared, *event).await,
                VenueCommand::Reconcile => {
                    tokio::spawn(reconcile::reconcile(shared));
                }
            }
        }
    });
    BinanceVenue { commands: tx }
}
