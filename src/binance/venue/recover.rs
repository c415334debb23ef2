//! What a gap in the user stream swallowed. Binance replays nothing after
//! a reconnect: an order that filled, expired or was cancelled while the
//! stream was down is told by no event. So before each reconciliation every
//! order of ours still working (a resting LIMIT, a stop, a take-profit, one
//! in doubt) is asked about by its client id, and whatever changed is
//! reported. Fills go through the registry's cumulative dedupe, so a fill
//! the stream did deliver, or delivers now, is booked once.

use super::Shared;
use super::placing::{apply_algo, apply_order};
use super::registry::Entry;

/// Binance's "Order does not exist." for a query by id.
const ORDER_DOES_NOT_EXIST: i64 = -2013;

pub(super) async fn missed_events(shared: &Shared) {
    let working = shared.registry().working();
    for entry in working {
        ask(shared, &entry).await;
    }
}

/// One query per order: a failure leaves it to the stream and the next
/// reconnect; it never holds the reconciliation back.
async fn ask(shared: &Shared, entry: &Entry) {
    let id = &entry.request.id;
    let result = if entry.algo {
        match shared.rest.query_algo_order(id.as_str()).await {
            Ok(answer) => {
                apply_algo(shared, &answer).await;
                Ok(())
            }
            Err(e) => Err(e),
        }
    } else {
        match shared
            .rest
            .query_order(&entry.request.symbol, id.as_str())
            .await
        {
            Ok(answer) => {
                apply_order(shared, id, &answer).await;
                Ok(())
            }
            Err(e) => Err(e),
        }
    };
    match result {
        Ok(()) => {}
        // In doubt and not on the exchange: its placing task decides.
        Err(crate::binance::BinanceError::Other { code, .. }) if code == ORDER_DOES_NOT_EXIST => {}
        Err(e) => {
            log::warn!(target: "binance", "{id}: not readable after the reconnect ({e}); the stream will tell")
        }
    }
}
