//! Reconciliation: what the exchange holds, read over REST at start and
//! after every reconnect of the user stream, reported to the engine as one
//! `Reconciled` snapshot. The engine decides what to do about differences
//! (adopt a position, protect it, cancel an orphan); orders still in doubt
//! are asked about again here.

use std::sync::Arc;

use super::Shared;
use super::registry::leg_of;
use crate::binance::client_id::{BOT_PREFIX, is_own};
use crate::domain::{ClientOrderId, OrderKind, OrderRequest, Qty};
use crate::exec::{AccountSnapshot, ExecReport};

pub(super) async fn reconcile(shared: Arc<Shared>) {
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
    let unknown: Vec<ClientOrderId> = shared.registry().unknown();
    shared
        .report(ExecReport::Reconciled(Box::new(AccountSnapshot {
            at_ms: shared.now(),
            wallet: account.total_wallet_balance,
            equity: account.equity(),
            positions,
            open_orders,
        })))
        .await;
    for id in unknown {
        let request = shared.registry().get(&id).map(|e| e.request.clone());
        if let Some(request) = request {
            log::info!(target: "binance", "{id}: still unknown; asking again after reconnecting");
            let _ = super::placing::settle(&shared, &request).await;
        }
    }
}
