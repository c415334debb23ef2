//! ACCOUNT_UPDATE: which of the traded symbols hold a position, and the
//! funding fees Binance settles on them, booked as `ExecReport::Funding`.
//!
//! A funding event names its symbol only for an isolated position (its one
//! `P` row); for a cross position it carries the balance alone. Then the
//! symbol is the one traded symbol holding a position, or, with several,
//! it is read from the income history (`GET /fapi/v1/income`), which lists
//! each funding fee with its symbol.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rust_decimal::Decimal;

use super::Shared;
use crate::binance::wire::{AccountUpdate, PositionRisk, PositionSide};
use crate::domain::Symbol;
use crate::exec::ExecReport;

/// Funding is settled at most hourly on Binance: two reports for one
/// symbol closer than this are the same fee told twice (by the event and
/// by the income history).
const SAME_FUNDING_MS: i64 = 30 * 60_000;
/// The income history may lag the event; it is asked this many times.
const INCOME_ATTEMPTS: u32 = 5;

#[derive(Debug, Default)]
pub(crate) struct AccountView {
    /// Signed one-way position per symbol and when it was last told.
    positions: HashMap<String, (Decimal, i64)>,
    /// The last funding reported per symbol.
    last_funding: HashMap<String, i64>,
}

impl AccountView {
    fn set(&mut self, symbol: &str, amount: Decimal, at_ms: i64) {
        let slot = self
            .positions
            .entry(symbol.to_string())
            .or_insert((Decimal::ZERO, i64::MIN));
        // An older view never overwrites a newer one.
        if at_ms >= slot.1 {
            *slot = (amount, at_ms);
        }
    }

    /// The positions a reconciliation read at `at_ms` (flat when absent).
    pub fn read_positions(&mut self, risks: &[PositionRisk], at_ms: i64) {
        let known: Vec<String> = self.positions.keys().cloned().collect();
        for symbol in known {
            if !risks.iter().any(|r| r.symbol == symbol) {
                self.set(&symbol, Decimal::ZERO, at_ms);
            }
        }
        for r in risks
            .iter()
            .filter(|r| r.position_side == PositionSide::Both)
        {
            self.set(&r.symbol, r.position_amt, at_ms);
        }
    }

    fn update(&mut self, update: &AccountUpdate) {
        for p in &update.account.positions {
            if p.position_side == PositionSide::Both {
                self.set(&p.symbol, p.amount, update.transaction_time_ms);
            }
        }
    }

    /// The traded symbols holding a position.
    fn held(&self, traded: &[Symbol]) -> Vec<Symbol> {
        traded
            .iter()
            .filter(|s| {
                self.positions
                    .get(s.as_str())
                    .is_some_and(|(amount, _)| !amount.is_zero())
            })
            .cloned()
            .collect()
    }

    /// Whether a funding of `symbol` at `at_ms` is new (and records it).
    fn first_funding(&mut self, symbol: &Symbol, at_ms: i64) -> bool {
        let last = self.last_funding.get(symbol.as_str()).copied();
        if last.is_some_and(|t| (at_ms - t).abs() < SAME_FUNDING_MS) {
            return false;
        }
        self.last_funding.insert(symbol.to_string(), at_ms);
        true
    }
}

pub(super) async fn on_update(shared: &Arc<Shared>, update: AccountUpdate) {
    shared.account().update(&update);
    if update.account.reason != "FUNDING_FEE" {
        return;
    }
    // `bc` is the balance change without PnL and commission: here, the fee
    // (negative when paid). Only USDT is booked.
    let paid: Decimal = -update
        .account
        .balances
        .iter()
        .filter(|b| b.asset == "USDT")
        .filter_map(|b| b.balance_change)
        .sum::<Decimal>();
    if paid.is_zero() {
        return;
    }
    let at_ms = update.transaction_time_ms;
    let traded = &shared.config.symbols;
    let symbol = match update.account.positions.first() {
        // Isolated: the event names the position.
        Some(p) => match traded.iter().find(|s| s.as_str() == p.symbol) {
            Some(s) => s.clone(),
            None => return, // the operator's position
        },
        None => match shared.account().held(traded).as_slice() {
            [one] => one.clone(),
            _ => {
                tokio::spawn(from_income(shared.clone(), at_ms));
                return;
            }
        },
    };
    book(shared, symbol, paid, at_ms).await;
}

async fn book(shared: &Shared, symbol: Symbol, paid: Decimal, at_ms: i64) {
    if !shared.account().first_funding(&symbol, at_ms) {
        return;
    }
    log::info!(target: "binance", "{symbol}: funding {} USDT", -paid);
    shared
        .report(ExecReport::Funding {
            symbol,
            // Binance's funding event states the amount, not the rate.
            rate: Decimal::ZERO,
            amount: paid,
            at_ms,
        })
        .await;
}

/// A cross funding fee with several positions held: each traded symbol's
/// fee around `at_ms`, from the income history.
async fn from_income(shared: Arc<Shared>, at_ms: i64) {
    for attempt in 1..=INCOME_ATTEMPTS {
        match shared
            .rest
            .income("FUNDING_FEE", at_ms - 60_000, at_ms + 60_000)
            .await
        {
            Ok(rows) => {
                let mut found = false;
                for row in rows.iter().filter(|r| r.asset == "USDT") {
                    let Some(symbol) = shared
                        .config
                        .symbols
                        .iter()
                        .find(|s| s.as_str() == row.symbol)
                    else {
                        continue;
                    };
                    found = true;
                    book(&shared, symbol.clone(), -row.income, row.time).await;
                }
                if found {
                    return;
                }
            }
            Err(e) => {
                log::warn!(target: "binance", "funding at {at_ms}: income history not readable ({e})")
            }
        }
        tokio::time::sleep(Duration::from_secs(u64::from(attempt))).await;
    }
    log::warn!(target: "binance", "funding at {at_ms} could not be given a symbol; the next reconciliation corrects the wallet");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_view_never_overwrites_a_newer_one_and_a_fee_is_booked_once() {
        let mut v = AccountView::default();
        let btc = Symbol::new("BTCUSDT").unwrap();
        let eth = Symbol::new("ETHUSDT").unwrap();
        v.set("BTCUSDT", Decimal::ONE, 10);
        v.set("BTCUSDT", Decimal::ZERO, 5);
        v.set("ETHUSDT", Decimal::NEGATIVE_ONE, 10);
        assert_eq!(
            v.held(&[btc.clone(), eth.clone()]),
            [btc.clone(), eth.clone()]
        );
        v.read_positions(&[], 20);
        assert!(v.held(&[btc.clone(), eth]).is_empty());
        assert!(v.first_funding(&btc, 28_800_000));
        assert!(!v.first_funding(&btc, 28_801_000));
        assert!(v.first_funding(&btc, 2 * 28_800_000));
    }
}
