//! The user-data stream's events, turned into reports for the bot's own
//! orders. Fills are deduplicated by cumulative quantity, so an event told
//! twice, or a fill already known from the order's REST answer, is booked once.

use std::sync::Arc;

use rust_decimal::Decimal;

use super::registry::{Execution, Registry};
use super::{Shared, account, forced};
use crate::binance::wire::{
    AlgoStatus, AlgoUpdate, ExecutionType, OrderTradeUpdate, OrderUpdate, UserEvent,
};
use crate::domain::{ClientOrderId, Liquidity};
use crate::exec::ExecReport;

pub(super) async fn apply(shared: &Arc<Shared>, event: UserEvent) {
    if !matches!(
        event,
        UserEvent::Other { .. } | UserEvent::ListenKeyExpired(_)
    ) {
        // A reconciliation being read may not have seen this yet.
        shared.facts.touch().await;
    }
    match event {
        UserEvent::OrderTradeUpdate(update) => on_order(shared, update).await,
        UserEvent::AlgoUpdate(update) => on_algo(shared, update).await,
        UserEvent::AccountUpdate(update) => account::on_update(shared, update).await,
        _ => {}
    }
}

/// The cumulative execution an ORDER_TRADE_UPDATE tells for order `id`.
/// The event's commission is for its own part: it is used only when that
/// part is exactly what is new, else the fee is estimated.
pub(super) fn execution(
    shared: &Shared,
    o: &OrderUpdate,
    registry: &Registry,
    id: &ClientOrderId,
) -> Execution {
    let reported = registry.get(id).map(|e| e.reported_qty).unwrap_or_default();
    let new_part = o.filled_qty.value() - reported;
    let fee = (new_part == o.last_filled_qty.value()
        && matches!(o.commission_asset.as_deref(), None | Some("USDT")))
    .then_some(o.commission)
    .flatten();
    Execution {
        cum_qty: o.filled_qty.value(),
        avg: o.avg_price.value(),
        fee,
        fee_rate: if o.is_maker {
            shared.config.maker_fee
        } else {
            shared.config.taker_fee
        },
        liquidity: if o.is_maker {
            Liquidity::Maker
        } else {
            Liquidity::Taker
        },
        at_ms: o.trade_time_ms,
    }
}

async fn on_order(shared: &Shared, update: OrderTradeUpdate) {
    let o = &update.order;
    // Our own id, or the market order one of our algo orders placed.
    let id = {
        let registry = shared.registry();
        let own = ClientOrderId(o.client_order_id.clone());
        if registry.get(&own).is_some() {
            Some(own)
        } else {
            registry.by_exchange_id(o.order_id).cloned()
        }
    };
    let Some(id) = id else {
        if forced::is_forced(o) {
            forced::on_forced(shared, o).await;
        }
        return; // the operator's order, or one of an earlier run: reconciliation's business
    };
    let at_ms = shared.now();
    match o.execution_type {
        ExecutionType::New => {
            shared.accept_once(id, at_ms).await;
        }
        ExecutionType::Trade | ExecutionType::Calculated => {
            let fill = {
                let mut registry = shared.registry();
                let x = execution(shared, o, &registry, &id);
                let fill = registry.new_fill(&id, x);
                if let Some(e) = registry.get_mut(&id) {
                    e.unknown = false;
                    if o.status == crate::binance::wire::OrderStatus::Filled {
                        e.done = true;
                    }
                }
                fill
            };
            if let Some(fill) = fill {
                shared.report(ExecReport::Filled(fill)).await;
            }
        }
        ExecutionType::Canceled | ExecutionType::Expired => {
            let algo_child = shared.registry().get(&id).is_some_and(|e| e.algo);
            if algo_child {
                return; // the algo order's own update settles it
            }
            let first = match shared.registry().get_mut(&id) {
                Some(e) if !e.done => {
                    e.done = true;
                    true
                }
                _ => false,
            };
            if first {
                shared.report(ExecReport::Cancelled { id, at_ms }).await;
            }
        }
        _ => {}
    }
}

async fn on_algo(shared: &Shared, update: AlgoUpdate) {
    let o = &update.order;
    let id = update.client_id();
    if shared.registry().get(&id).is_none() {
        return;
    }
    let at_ms = shared.now();
    match o.status {
        AlgoStatus::New => {
            shared.accept_once(id, at_ms).await;
        }
        AlgoStatus::Triggering | AlgoStatus::Triggered => {
            if let Some(actual) = o.actual_order_id {
                shared.registry().link_exchange_id(&id, actual);
            }
        }
        AlgoStatus::Finished => {
            let fill = {
                let mut registry = shared.registry();
                if let Some(actual) = o.actual_order_id {
                    registry.link_exchange_id(&id, actual);
                }
                let fill = match (o.executed_qty, o.avg_price) {
                    (Some(q), Some(p)) if !q.is_zero() => registry.new_fill(
                        &id,
                        Execution {
                            cum_qty: q.value(),
                            avg: p.value(),
                            fee: None,
                            fee_rate: shared.config.taker_fee,
                            liquidity: Liquidity::Taker,
                            at_ms: o.trigger_time_ms.unwrap_or(update.transaction_time_ms),
                        },
                    ),
                    _ => None,
                };
                let nothing = o.executed_qty.is_none_or(|q| q.is_zero())
                    && registry
                        .get(&id)
                        .is_none_or(|e| e.reported_qty == Decimal::ZERO);
                if let Some(e) = registry.get_mut(&id) {
                    e.done = true;
                }
                (fill, nothing)
            };
            match fill {
                (Some(fill), _) => shared.report(ExecReport::Filled(fill)).await,
                (None, true) => shared.report(ExecReport::Cancelled { id, at_ms }).await,
                (None, false) => {}
            }
        }
        AlgoStatus::Canceled | AlgoStatus::Expired | AlgoStatus::Rejected => {
            let first = match shared.registry().get_mut(&id) {
                Some(e) if !e.done => {
                    e.done = true;
                    true
                }
                _ => false,
            };
            if first {
                let report = if o.status == AlgoStatus::Rejected {
                    ExecReport::Rejected {
                        id,
                        reason: o
                            .reason
                            .clone()
                            .unwrap_or_else(|| "rejected by Binance".into()),
                        at_ms,
                    }
                } else {
                    ExecReport::Cancelled { id, at_ms }
                };
                shared.report(report).await;
            }
        }
        AlgoStatus::Other(_) => {}
    }
}
