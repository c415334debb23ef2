//! Risk: sizes every entry on total equity, rounds its levels, keeps the
//! circuit breaker and the cooldown, and owns the ONE gateway every order
//! passes before it may reach an exchange.

mod gateway;
mod refusal;
mod sizing;
mod state;

pub use gateway::{Approved, GatewayContext, check, entries_shut, entry_gate};
pub use refusal::Refusal;
pub use sizing::{Cap, Levels, SizeInputs, Sized, round_levels, size_entry};
pub use state::{RiskEvent, RiskState};
