//! Placing and cancelling one order, and settling an outcome Binance did
//! not tell: a timeout, a dropped connection or a 5xx leaves the order
//! `Unknown` until a query by its client id finds it (or proves it absent,
//! and only then is it sent again, under the same id).

use std::sync::Arc;
use std::time::{Duration, Instant};

use rust_decimal::Decimal;

use super::Shared;
use super::registry::Execution;
use crate::binance::BinanceError;
use crate::binance::rest::{AlgoOrderParams, NewOrderParams};
use crate::binance::wire::{AlgoOrder, AlgoStatus, OrderResponse, OrderStatus};
use crate::domain::{ClientOrderId, Leg, Liquidity, OrderKind, OrderRequest, OrderState};
use crate::exec::ExecReport;

/// Binance's "Order does not exist." for a query by id.
const ORDER_DOES_NOT_EXIST: i64 = -2013;

enum Found {
    /// The exchange has it; its state was reported.
    Yes,
    /// The exchange does not have it, and no lost request can still place it.
    No,
}

pub(super) async fn place(shared: Arc<Shared>, request: OrderRequest) {
    if matches!(request.leg, Leg::Stop | Leg::TakeProfit) {
        place_algo(shared, request).await
    } else {
        place_regular(shared, request).await
    }
}

/// Whether a failure leaves the order in doubt. A 429 is answered before
/// the matching engine, but treating it as a doubt costs one query and
/// keeps one rule for every failure that is not a clear refusal.
fn in_doubt(e: &BinanceError) -> bool {
    e.is_unknown_outcome()
        || matches!(
            e,
            BinanceError::RateLimited { .. } | BinanceError::TooManyRequests { .. }
        )
}

async fn wait_out_ban(shared: &Shared, until_ms: Option<i64>) {
    let wait = until_ms
        .map(|u| (u - shared.now()).max(0) as u64)
        .unwrap_or(1_000);
    log::warn!(target: "binance", "banned: waiting {wait} ms before sending");
    tokio::time::sleep(Duration::from_millis(wait + 50)).await;
}

/// The REST parameters of a regular (non-algo) order; every leg but the
/// entry is reduce-only.
fn order_params(request: &OrderRequest) -> NewOrderParams {
    NewOrderParams {
        symbol: request.symbol.clone(),
        side: request.side,
        limit_price: match request.kind {
            OrderKind::Limit { price } => Some(price.value()),
            _ => None,
        },
        quantity: request.qty.value(),
        reduce_only: request.leg.is_reducing(),
        client_id: request.id.to_string(),
    }
}

async fn place_regular(shared: Arc<Shared>, request: OrderRequest) {
    send_regular(&shared, &request).await;
    if request.leg == Leg::Exit {
        close_remainder(shared, request).await;
    }
}

/// Sends a regular order until Binance has it, has refused it, or it is
/// given up; the request counts as in flight until then.
async fn send_regular(shared: &Shared, request: &OrderRequest) {
    let _sending = shared.facts.begin();
    let params = order_params(request);
    let mut sends = 0;
    loop {
        sends += 1;
        if cancel_requested(shared, &request.id) {
            reject(shared, &request.id, "cancelled before it was placed".into()).await;
            return;
        }
        let error = match shared.rest.new_order(&params).await {
            Ok(answer) => {
                apply_order(shared, &request.id, &answer).await;
                break;
            }
            Err(e) => e,
        };
        // The request was signed after any throttle wait: a lost one can be
        // accepted until recvWindow after now, not after we began (1 s slack).
        let sent_at = shared.now() + 1_000;
        match error {
            BinanceError::DuplicatedClientOrderId { .. } => {
                // Already placed: find out how it stands.
                resolve_regular(shared, request, sent_at).await;
                break;
            }
            BinanceError::Banned { until_ms, .. } if request.leg.is_reducing() => {
                wait_out_ban(shared, until_ms).await;
            }
            e if in_doubt(&e) => {
                mark_unknown(shared, &request.id, &e).await;
                match resolve_regular(shared, request, sent_at).await {
                    Found::Yes => break,
                    Found::No if sends < shared.config.max_sends => {
                        log::warn!(target: "binance", "{}: not on the exchange after `{e}`; sending it again", request.id);
                    }
                    Found::No => {
                        reject(
                            shared,
                            &request.id,
                            format!("not placed after {sends} attempts: {e}"),
                        )
                        .await;
                        break;
                    }
                }
            }
            e => {
                reject(shared, &request.id, e.to_string()).await;
                break;
            }
        }
    }
}

/// Queries the order by its client id until the answer is conclusive.
async fn resolve_regular(shared: &Shared, request: &OrderRequest, sent_at: i64) -> Found {
    let mut attempt = 1;
    loop {
        match shared
            .rest
            .query_order(&request.symbol, request.id.as_str())
            .await
        {
            Ok(answer) => {
                apply_order(shared, &request.id, &answer).await;
                return Found::Yes;
            }
            Err(BinanceError::Other { code, .. }) if code == ORDER_DOES_NOT_EXIST => {
                // A reduce-only order can never grow a position, so a late
                // twin is harmless; an entry waits until a lost request can
                // no longer be accepted.
                let settled = sent_at + shared.config.recv_window_ms;
                if request.leg.is_reducing() || shared.now() > settled {
                    return Found::No;
                }
                let wait = (settled - shared.now()).clamp(10, 1_000) as u64;
                tokio::time::sleep(Duration::from_millis(wait)).await;
            }
            Err(e) => {
                let wait = shared.rest.retry_policy().backoff(attempt.min(6));
                log::warn!(target: "binance", "{}: outcome still unknown ({e}); asking again in {wait:?}", request.id);
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
        }
    }
}

/// Reports what an order answer says: accepted, (partly) filled, or gone.
/// Each fact is told once, whichever of this answer, a query or the user
/// stream brings it first: a late answer saying NEW after a fill was
/// reported, or CANCELED after the order was settled, changes nothing.
pub(super) async fn apply_order(shared: &Shared, id: &ClientOrderId, answer: &OrderResponse) {
    let (fill, first_accept, was_done) = {
        let mut registry = shared.registry();
        registry.link_exchange_id(id, answer.order_id);
        let fee_rate = shared.config.taker_fee;
        let fill = match answer.avg_price {
            Some(avg) if !answer.executed_qty.is_zero() => registry.new_fill(
                id,
                Execution {
                    cum_qty: answer.executed_qty.value(),
                    avg: avg.value(),
                    fee: None,
                    fee_rate,
                    liquidity: Liquidity::Taker,
                    at_ms: answer.update_time,
                },
            ),
            _ => None,
        };
        match registry.get_mut(id) {
            Some(e) => {
                e.unknown = false;
                let first = !e.accepted && !e.done && e.reported_qty.is_zero();
                e.accepted = true;
                (fill, first, e.done)
            }
            None => (fill, false, true),
        }
    };
    let at_ms = shared.now();
    match answer.status {
        OrderStatus::New | OrderStatus::PartiallyFilled if first_accept => {
            shared
                .report(ExecReport::Accepted {
                    id: id.clone(),
                    at_ms,
                })
                .await;
        }
        OrderStatus::Canceled | OrderStatus::Expired | OrderStatus::ExpiredInMatch => {
            if let Some(f) = fill {
                shared.report(ExecReport::Filled(f)).await;
            }
            finish(shared, id);
            if !was_done {
                shared
                    .report(ExecReport::Cancelled {
                        id: id.clone(),
                        at_ms,
                    })
                    .await;
            }
            return;
        }
        OrderStatus::Rejected => {
            if !was_done {
                reject(shared, id, "rejected by Binance".into()).await;
            }
            return;
        }
        _ => {}
    }
    if let Some(f) = fill {
        shared.report(ExecReport::Filled(f)).await;
    }
    if answer.status == OrderStatus::Filled {
        finish(shared, id);
    }
}

fn finish(shared: &Shared, id: &ClientOrderId) {
    if let Some(e) = shared.registry().get_mut(id) {
        e.done = true;
        e.unknown = false;
    }
}

/// The operator (or the engine) cancelled it while it was being placed.
fn cancel_requested(shared: &Shared, id: &ClientOrderId) -> bool {
    shared
        .registry()
        .get(id)
        .is_some_and(|e| e.cancel_requested)
}

async fn mark_unknown(shared: &Shared, id: &ClientOrderId, e: &BinanceError) {
    log::warn!(target: "binance", "{id}: outcome unknown ({e}); asking Binance before anything else");
    // The user stream may have settled it already: then it is not in doubt.
    let first = match shared.registry().get_mut(id) {
        Some(entry)
            if !entry.unknown && !entry.accepted && !entry.done && entry.reported_qty.is_zero() =>
        {
            entry.unknown = true;
            true
        }
        _ => false,
    };
    if first {
        shared
            .report(ExecReport::Unknown {
                id: id.clone(),
                reason: e.to_string(),
                at_ms: shared.now(),
            })
            .await;
    }
}

async fn reject(shared: &Shared, id: &ClientOrderId, reason: String) {
    finish(shared, id);
    shared
        .report(ExecReport::Rejected {
            id: id.clone(),
            reason,
            at_ms: shared.now(),
        })
        .await;
}

/// After a closing order: while the exchange still reports a position on
/// the symbol, on the side the exit closes, send another reduce-only market
/// order for what is left (the book may have known less than the exchange
/// holds, or the close may have filled in part).
///
/// It closes only the position it was asked to close. One-way mode nets
/// every order of a symbol into one position, so once the engine has
/// handed over a new entry on the symbol after this exit, a position on
/// that side may be the new one, already protected by its own stop; from
/// then on this loop stops for good. A remainder of the old position left
/// that way is the next reconciliation's to find, which is the lesser harm
/// than closing a fresh position the engine believes open.
async fn close_remainder(shared: Arc<Shared>, exit: OrderRequest) {
    let Some(exit_seq) = shared.registry().get(&exit.id).map(|e| e.seq) else {
        return;
    };
    let superseded = || shared.registry().entry_since(&exit.symbol, exit_seq);
    for round in 1..=shared.config.max_sends {
        if superseded() {
            return;
        }
        let positions = shared
            .read_until_ok(&format!("{}: position", exit.symbol), || {
                shared.rest.position_risk()
            })
            .await;
        let left = positions
            .iter()
            .filter(|p| p.symbol == exit.symbol.as_str())
            .map(|p| p.position_amt)
            .sum::<Decimal>();
        // Still open on the side this exit closes?
        let closing_long = exit.side == crate::domain::Side::Sell;
        if left.is_zero()
            || (closing_long && left < Decimal::ZERO)
            || (!closing_long && left > Decimal::ZERO)
        {
            return;
        }
        // An entry may have come while the position was read.
        if superseded() {
            log::info!(target: "binance", "{}: a new entry followed the close; leaving {} to it", exit.symbol, left);
            return;
        }
        let Ok(qty) = crate::domain::Qty::new(left.abs()) else {
            return;
        };
        let follow_up = OrderRequest {
            id: ClientOrderId(format!("{}r{round}", exit.id)),
            qty,
            ..exit.clone()
        };
        log::warn!(target: "binance", "{}: {} still open after the close; closing the rest", exit.symbol, left);
        shared.registry().insert(follow_up.clone());
        Box::pin(place_once_reducing(&shared, &follow_up)).await;
    }
}

/// One reduce-only close without the remainder loop (which called it).
async fn place_once_reducing(shared: &Shared, request: &OrderRequest) {
    let _sending = shared.facts.begin();
    let params = order_params(request);
    let sent_at = shared.now();
    match shared.rest.new_order(&params).await {
        Ok(answer) => apply_order(shared, &request.id, &answer).await,
        Err(e) if in_doubt(&e) || matches!(e, BinanceError::DuplicatedClientOrderId { .. }) => {
            let _ = resolve_regular(shared, request, sent_at).await;
        }
        Err(e) => log::warn!(target: "binance", "{}: closing the rest failed: {e}", request.id),
    }
}

/// A protective order on the Algo Service. A stop not confirmed within the
/// deadline is reported rejected, and the engine closes the position.
async fn place_algo(shared: Arc<Shared>, request: OrderRequest) {
    let Some(trigger) = request.kind.trigger() else {
        reject(
            &shared,
            &request.id,
            "a protective order needs a trigger price".into(),
        )
        .await;
        return;
    };
    let params = AlgoOrderParams {
        symbol: request.symbol.clone(),
        side: request.side,
        order_type: if request.leg == Leg::Stop {
            "STOP_MARKET"
        } else {
            "TAKE_PROFIT_MARKET"
        },
        trigger: trigger.value(),
        client_algo_id: request.id.to_string(),
    };
    let _sending = shared.facts.begin();
    let started = Instant::now();
    let deadline = shared.config.stop_deadline;
    let mut attempt = 0;
    loop {
        attempt += 1;
        if request.leg == Leg::Stop && started.elapsed() > deadline {
            // It may exist after all: take it away before the close, or it
            // would later close a new position at this old trigger.
            let _ = shared.rest.cancel_algo_order(request.id.as_str()).await;
            reject(
                &shared,
                &request.id,
                format!("stop not confirmed on Binance within {deadline:?}"),
            )
            .await;
            return;
        }
        let error = match shared.rest.new_algo_order(&params).await {
            Ok(answer) => {
                apply_algo(&shared, &answer).await;
                return;
            }
            Err(e) => e,
        };
        match error {
            BinanceError::Banned { until_ms, .. } => {
                // A stop that waits out a ban misses its deadline: the
                // engine is told now, its close then waits for the ban.
                if request.leg == Leg::Stop {
                    reject(&shared, &request.id, error.to_string()).await;
                    return;
                }
                wait_out_ban(&shared, until_ms).await;
            }
            e if in_doubt(&e) || matches!(e, BinanceError::DuplicatedClientOrderId { .. }) => {
                mark_unknown(&shared, &request.id, &e).await;
                // An open algo order with the same id refuses a twin
                // (-4116), so asking and re-sending at once is safe.
                match shared.rest.query_algo_order(request.id.as_str()).await {
                    Ok(answer) if answer.order_state() == OrderState::Open => {
                        apply_algo(&shared, &answer).await;
                        return;
                    }
                    Ok(answer) => {
                        apply_algo(&shared, &answer).await;
                        return;
                    }
                    Err(q) => {
                        log::warn!(target: "binance", "{}: {e}; query: {q}; sending again", request.id);
                        tokio::time::sleep(
                            shared
                                .rest
                                .retry_policy()
                                .backoff(attempt)
                                .min(Duration::from_secs(1)),
                        )
                        .await;
                    }
                }
            }
            e => {
                reject(&shared, &request.id, e.to_string()).await;
                return;
            }
        }
    }
}

/// Reports what an algo order answer says. One that has fired is settled
/// by the order it placed: its fills are that order's.
pub(super) async fn apply_algo(shared: &Shared, answer: &AlgoOrder) {
    let id = answer.client_id();
    let at_ms = shared.now();
    if let (AlgoStatus::Triggered | AlgoStatus::Finished, Some(actual)) =
        (&answer.algo_status, answer.actual_order_id)
    {
        fired(shared, &id, &answer.symbol, actual).await;
        return;
    }
    match answer.order_state() {
        OrderState::Open => shared.accept_once(id, at_ms).await,
        OrderState::Cancelled | OrderState::Expired => {
            let first = shared.registry().get(&id).is_some_and(|e| !e.done);
            finish(shared, &id);
            if first {
                shared.report(ExecReport::Cancelled { id, at_ms }).await;
            }
        }
        OrderState::Rejected { reason } if shared.registry().get(&id).is_some_and(|e| !e.done) => {
            reject(shared, &id, reason).await
        }
        // Finished without the order it placed: the user stream tells.
        _ => {}
    }
}

/// Reads the order a fired algo order placed (by Binance's id) and reports
/// its fills under the algo order's id, deduplicated with the user stream.
async fn fired(shared: &Shared, id: &ClientOrderId, symbol: &str, actual: u64) {
    shared.registry().link_exchange_id(id, actual);
    let Ok(symbol) = symbol.parse::<crate::domain::Symbol>() else {
        return;
    };
    match shared.rest.query_order_by_id(&symbol, actual).await {
        Ok(order) => apply_order(shared, id, &order).await,
        Err(e) => {
            log::warn!(target: "binance", "{id}: fired, but its order {actual} is not readable ({e}); the user stream will tell")
        }
    }
}

pub(super) async fn cancel(shared: Arc<Shared>, id: ClientOrderId) {
    if let Some(e) = shared.registry().get_mut(&id) {
        e.cancel_requested = true;
    }
    let entry = shared.registry().get(&id).cloned();
    let Some(entry) = entry else {
        reject(&shared, &id, "not an order this venue placed".into()).await;
        return;
    };
    let _cancelling = shared.facts.begin();
    let mut attempt = 1;
    loop {
        let result = if entry.algo {
            shared.rest.cancel_algo_order(id.as_str()).await
        } else {
            shared
                .rest
                .cancel_order(&entry.request.symbol, id.as_str())
                .await
                .map(|_| ())
        };
        match result {
            Ok(()) => {
                finish(&shared, &id);
                shared
                    .report(ExecReport::Cancelled {
                        id,
                        at_ms: shared.now(),
                    })
                    .await;
                return;
            }
            Err(BinanceError::Banned { until_ms, .. }) => wait_out_ban(&shared, until_ms).await,
            // The retry policy already retried it: keep trying slower, a
            // cancel must not be forgotten.
            Err(e) if e.is_retryable_read() => {
                tokio::time::sleep(shared.rest.retry_policy().backoff(attempt)).await;
                attempt += 1;
            }
            Err(e) => {
                // -2011: already filled, cancelled or never placed.
                shared
                    .report(ExecReport::Rejected {
                        id,
                        reason: e.to_string(),
                        at_ms: shared.now(),
                    })
                    .await;
                return;
            }
        }
    }
}
