use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::DomainError;

/// Where orders go. Shadow records decisions only, Paper fills them in the
/// simulator, Live sends them to the exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Shadow,
    Paper,
    Live,
}

impl Mode {
    /// The operator's `m` key cycles Shadow → Paper → Live → Shadow.
    pub fn next(self) -> Mode {
        match self {
            Mode::Shadow => Mode::Paper,
            Mode::Paper => Mode::Live,
            Mode::Live => Mode::Shadow,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Mode::Shadow => "SHADOW",
            Mode::Paper => "PAPER",
            Mode::Live => "LIVE",
        }
    }
}

impl FromStr for Mode {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "shadow" => Ok(Mode::Shadow),
            "paper" => Ok(Mode::Paper),
            "live" => Ok(Mode::Live),
            _ => Err(DomainError::UnknownMode(s.to_string())),
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The kill-switch state every order is checked against in one gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum TradingState {
    /// New entries and exits allowed.
    #[default]
    Active,
    /// Only orders that shrink a position.
    Reducing,
    /// No new positions; only orders that close (stops, take-profits, the flatten).
    Halted,
}

impl TradingState {
    pub fn allows_entries(self) -> bool {
        self == TradingState::Active
    }
}

impl fmt::Display for TradingState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TradingState::Active => "Active",
            TradingState::Reducing => "Reducing",
            TradingState::Halted => "Halted",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_cycles_through_all_three() {
        assert_eq!(Mode::Shadow.next(), Mode::Paper);
        assert_eq!(Mode::Paper.next(), Mode::Live);
        assert_eq!(Mode::Live.next(), Mode::Shadow);
        assert_eq!("PAPER".parse::<Mode>().unwrap(), Mode::Paper);
        assert!("real".parse::<Mode>().is_err());
    }

    #[test]
    fn only_active_allows_entries() {
        assert!(TradingState::Active.allows_entries());
        assert!(!TradingState::Reducing.allows_entries());
    }
}
