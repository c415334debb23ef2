//! Before trading on an account: the symbols' filters from exchangeInfo, the
//! rate limits, and the account settings the bot relies on — one-way
//! position mode (hedge mode is refused), then margin type and leverage as
//! configured.

use crate::binance::BinanceError;
use crate::binance::rest::RestClient;
use crate::binance::rest::throttle::Limits;
use crate::domain::{Instrument, Symbol};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(
        "the account is in hedge mode (dualSidePosition=true); the bot trades one-way mode only: switch it in Binance's futures settings (Preferences → Position Mode → One-way) with no open positions, then start again"
    )]
    HedgeMode,
    #[error("{symbol} is not trading on Binance now (status {status})")]
    NotTrading { symbol: Symbol, status: String },
    #[error(transparent)]
    Binance(#[from] BinanceError),
}

/// The symbols' instruments from exchangeInfo, with the rate limits applied
/// to the client. Public: the paper mode on live data needs it too.
pub async fn instruments(
    rest: &RestClient,
    symbols: &[Symbol],
) -> Result<Vec<Instrument>, StartupError> {
    let info = rest.exchange_info().await?;
    rest.set_limits(Limits::from_exchange_info(&info.rate_limits));
    let mut out = Vec::new();
    for symbol in symbols {
        let rules = info.rules_for(symbol)?;
        if !rules.is_trading() {
            return Err(StartupError::NotTrading {
                symbol: symbol.clone(),
                status: rules.status,
            });
        }
        out.push(rules.instrument);
    }
    Ok(out)
}

/// Checks and sets the account for trading `symbols`.
pub async fn prepare_account(
    rest: &RestClient,
    symbols: &[Symbol],
    leverage: u32,
    margin_type: &str,
) -> Result<(), StartupError> {
    rest.sync_time().await?;
    if !rest.position_mode().await?.is_one_way() {
        return Err(StartupError::HedgeMode);
    }
    for symbol in symbols {
        rest.set_margin_type(symbol, margin_type).await?;
        rest.set_leverage(symbol, leverage).await?;
    }
    Ok(())
}
