//! Closes Binance forces on a position: a liquidation (client id
//! `autoclose-…`, execution type CALCULATED) or an auto-deleveraging
//! (`adl_autoclose…`). They are not the bot's orders, but they move its
//! position: each execution is reported as `ExecReport::Liquidated`, so
//! the engine closes the position and books the trade at once instead of
//! finding it gone at the next reconciliation.

use super::Shared;
use super::user_events::execution;
use crate::binance::wire::{ExecutionType, OrderUpdate};
use crate::domain::{ClientOrderId, Leg, OrderKind, OrderRequest, Qty};
use crate::exec::ExecReport;

/// Whether Binance placed this order to close a position itself.
pub(super) fn is_forced(o: &OrderUpdate) -> bool {
    o.client_order_id.starts_with("autoclose-")
        || o.client_order_id.starts_with("adl_autoclose")
        || o.execution_type == ExecutionType::Calculated
}

pub(super) async fn on_forced(shared: &Shared, o: &OrderUpdate) {
    let Some(symbol) = shared
        .config
        .symbols
        .iter()
        .find(|s| s.as_str() == o.symbol)
        .cloned()
    else {
        return; // another symbol's: the operator's business
    };
    // Binance reuses `adl_autoclose` for several orders: the registry keys
    // the execution by the exchange's order id, so a repeated or duplicated
    // event is booked once through the same cumulative dedupe as ours.
    let key = ClientOrderId(format!("{}#{}", o.client_order_id, o.order_id));
    let fill = {
        let mut registry = shared.registry();
        if registry.get(&key).is_none() {
            registry.insert(OrderRequest {
                id: key.clone(),
                symbol,
                side: o.side,
                kind: OrderKind::Market,
                qty: Qty::new(o.orig_qty.value()).unwrap_or(Qty::ZERO),
                leg: Leg::Exit,
                decision_id: None,
            });
            // Nothing to ask about or cancel: only its executions matter.
            if let Some(e) = registry.get_mut(&key) {
                e.done = true;
            }
        }
        let x = execution(shared, o, &registry, &key);
        registry.new_fill(&key, x)
    };
    if let Some(mut fill) = fill {
        fill.order_id = ClientOrderId(o.client_order_id.clone());
        log::error!(target: "binance", "{}: Binance closed {} {} at {} ({})", fill.symbol, fill.side, fill.qty, fill.price, o.client_order_id);
        shared.report(ExecReport::Liquidated(fill)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binance::wire::{UserEvent, parse_user_event};

    fn order(file: &str) -> OrderUpdate {
        let path = crate::shared_data::file(&format!("binance/fixtures/user_data/{file}.json"))
            .unwrap_or_else(|e| panic!("{e}"));
        let text = std::fs::read_to_string(path).unwrap();
        match parse_user_event(&text).unwrap() {
            UserEvent::OrderTradeUpdate(u) => u.order,
            other => panic!("{file}: {other:?}"),
        }
    }

    #[test]
    fn the_recorded_liquidation_and_adl_orders_are_forced_closes_and_ours_are_not() {
        for file in [
            "order_update_calculated",
            "order_update_calculated_pending",
            "order_update_adl",
            "order_update_insurance",
            "ws_futures_order_update_liquidation",
            "ws_futures_order_update_liquidation_zero_qty",
            "ws_futures_order_update_adl",
            // An ADL told as a plain TRADE: its id says what it is.
            "ws_futures_order_update_adl_filled",
        ] {
            assert!(is_forced(&order(file)), "{file}");
        }
        for file in [
            "order_update_trade",
            "order_update_new",
            "order_update_settlement",
        ] {
            assert!(!is_forced(&order(file)), "{file}");
        }
    }
}
