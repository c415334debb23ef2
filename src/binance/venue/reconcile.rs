//! Reconciliation: what the exchange holds, read over REST at start and
//! after every reconnect of the user stream, reported to the engine as one
//! `Reconciled` snapshot. The engine decides what to do about differences
//! (adopt a position, protect it, cancel an orphan).
//!
//! First the orders the stream may have missed are asked about (see
//! `recover.rs`). Then the snapshot is read; it is sent only if no event
//! was applied and no report sent while it was read, and no order request
//! was awaiting its answer (`facts.rs`); otherwise it is read again, never
//! applied stale.

use std::sync::Arc;
use std::time::Duration;

use super::Shared;
use super::recover;
use super::registry::leg_of;
use crate::binance::client_id::{BOT_PREFIX, is_own};
use crate::binance::wire::PositionRisk;
use crate::domain::{OrderKind, OrderRequest, Qty};
use crate::engine::Event;
use crate::exec::{AccountSnapshot, ExecReport};

/// After the reads, events of what happened just before them may still be
/// on their way over the user stream; they get this long to arrive (and
/// make the snapshot stale) before it is sent.
const IN_TRANSIT: Duration = Duration::from_millis(250);
/// How often an order request in flight is looked at again.
const IN_FLIGHT_POLL: Duration = Duration::from_millis(20);

pub(super) async fn reconcile(shared: Arc<Shared>) {
    recover::missed_events(&shared).await;
    let mut attempt = 0;
    loop {
        attempt += 1;
        while shared.facts.busy() {
            tokio::time::sleep(IN_FLIGHT_POLL).await;
        }
        let since = shared.facts.generation().await;
        let read_at = shared.now();
        let (snapshot, risks) = read(&shared).await;
        // True when read, stale or not: the view keeps the newest of each.
        shared.account().read_positions(&risks, read_at);
        tokio::time::sleep(IN_TRANSIT).await;
        let positions = snapshot.positions.len();
        let event = (shared.now(), Event::Exec(ExecReport::Reconciled(snapshot)));
        if shared
            .facts
            .send_if_current(since, &shared.reports, event)
            .await
        {
            log::debug!(target: "binance", "reconciled: {positions} position(s)");
            return;
        }
        let wait = shared
            .rest
            .retry_policy()
            .backoff(attempt.min(6))
            .min(Duration::from_secs(1));
        log::info!(target: "binance", "reconciliation: the account changed while it was read; reading it again in {wait:?}");
        tokio::time::sleep(wait).await;
    }
}

/// The four views, as one snapshot of the traded symbols (and the raw
/// position rows, for the funding attribution).
async fn read(shared: &Shared) -> (Box<AccountSnapshot>, Vec<PositionRisk>) {
    let account = shared
        .read_until_ok("reconciliation: account", || shared.rest.account())
        .await;
    let risks = shared
        .read_until_ok("reconciliation: positions", || shared.rest.position_risk())
        .await;
    let orders = shared
        .read_until_ok("reconciliation: open orders", || shared.rest.open_orders())
        .await;
    let algos = shared
        .read_until_ok("reconciliation: open algo orders", || {
            shared.rest.open_algo_orders()
        })
        .await;
    let traded = |symbol: &str| shared.config.symbols.iter().any(|s| s.as_str() == symbol);
    let mut positions = Vec::new();
    for r in risks.iter().filter(|r| traded(&r.symbol)) {
        match r.to_position() {
            Ok(Some(p)) => positions.push(p),
            Ok(None) => {}
            Err(e) => log::error!(target: "binance", "reconciliation: {e}"),
        }
    }
    let mut open_orders = Vec::new();
    for o in orders.iter().filter(|o| traded(&o.symbol)) {
        if !is_own(&o.client_order_id, BOT_PREFIX) {
            continue;
        }
        let (Some(leg), Ok(symbol)) = (leg_of(&o.client_order_id), o.symbol.parse()) else {
            continue;
        };
        let Ok(qty) = Qty::new(o.orig_qty.value()) else {
            continue;
        };
        let kind = match o.price {
            Some(price) if !price.is_zero() => OrderKind::Limit { price },
            _ => OrderKind::Market,
        };
        open_orders.push(OrderRequest {
            id: o.client_id(),
            symbol,
            side: o.side,
            kind,
            qty,
            leg,
            decision_id: None,
        });
    }
    for a in algos.iter().filter(|a| traded(&a.symbol)) {
        if !is_own(&a.client_algo_id, BOT_PREFIX) {
            continue;
        }
        let (Some(leg), Ok(symbol), Some(kind)) =
            (leg_of(&a.client_algo_id), a.symbol.parse(), a.kind())
        else {
            continue;
        };
        open_orders.push(OrderRequest {
            id: a.client_id(),
            symbol,
            side: a.side,
            kind,
            qty: a.quantity.unwrap_or(Qty::ZERO),
            leg,
            decision_id: None,
        });
    }
    {
        // Open orders of an earlier run become cancellable by id.
        let mut registry = shared.registry();
        for o in &open_orders {
            if registry.get(&o.id).is_none() {
                registry.insert(o.clone());
                if let Some(e) = registry.get_mut(&o.id) {
                    e.accepted = true;
                }
            }
        }
    }
    let snapshot = Box::new(AccountSnapshot {
        at_ms: shared.now(),
        wallet: account.total_wallet_balance,
        equity: account.equity(),
        positions,
        open_orders,
    });
    (snapshot, risks)
}
