//! The durable record of what the cockpit did: SQLite in WAL mode, one
//! transaction per engine step, so a killed process loses nothing committed.

mod export;
mod record;
mod schema;
mod store;

pub use record::*;
pub use store::{ExportFormat, Journal, JournalError, TABLES};
