use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::DomainError;

/// A kline interval that Binance USD-M serves, from 1m to 1d.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Interval {
    M1,
    M3,
    M5,
    M15,
    M30,
    H1,
    H2,
    H4,
    H6,
    H8,
    H12,
    D1,
}

impl Interval {
    pub const ALL: [Interval; 12] = [
        Interval::M1,
        Interval::M3,
        Interval::M5,
        Interval::M15,
        Interval::M30,
        Interval::H1,
        Interval::H2,
        Interval::H4,
        Interval::H6,
        Interval::H8,
        Interval::H12,
        Interval::D1,
    ];

    /// Binance's string for this interval (`1m`, `4h`, `1d`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Interval::M1 => "1m",
            Interval::M3 => "3m",
            Interval::M5 => "5m",
            Interval::M15 => "15m",
            Interval::M30 => "30m",
            Interval::H1 => "1h",
            Interval::H2 => "2h",
            Interval::H4 => "4h",
            Interval::H6 => "6h",
            Interval::H8 => "8h",
            Interval::H12 => "12h",
            Interval::D1 => "1d",
        }
    }

    pub fn minutes(self) -> i64 {
        match self {
            Interval::M1 => 1,
            Interval::M3 => 3,
            Interval::M5 => 5,
            Interval::M15 => 15,
            Interval::M30 => 30,
            Interval::H1 => 60,
            Interval::H2 => 120,
            Interval::H4 => 240,
            Interval::H6 => 360,
            Interval::H8 => 480,
            Interval::H12 => 720,
            Interval::D1 => 1440,
        }
    }

    pub fn duration_ms(self) -> i64 {
        self.minutes() * 60_000
    }

    /// The interval whose duration is exactly `ms`, if Binance has one.
    pub fn from_duration_ms(ms: i64) -> Option<Interval> {
        Self::ALL.into_iter().find(|i| i.duration_ms() == ms)
    }
}

impl FromStr for Interval {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Binance's strings are case-sensitive: `1M` is one month, not one minute.
        Self::ALL
            .into_iter()
            .find(|i| i.as_str() == s)
            .ok_or_else(|| DomainError::UnknownInterval(s.to_string()))
    }
}

impl TryFrom<String> for Interval {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Interval> for String {
    fn from(i: Interval) -> String {
        i.as_str().to_string()
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_interval_round_trips_through_its_binance_string() {
        for i in Interval::ALL {
            assert_eq!(i.as_str().parse::<Interval>().unwrap(), i);
            assert_eq!(Interval::from_duration_ms(i.duration_ms()), Some(i));
        }
    }

    #[test]
    fn intervals_binance_does_not_have_are_refused_with_the_list() {
        for bad in ["7m", "1M", "1H", "", "60m", "1w"] {
            let err = bad.parse::<Interval>().unwrap_err();
            assert!(err.to_string().contains("1m, 3m, 5m"), "{err}");
        }
    }

    #[test]
    fn durations_are_exact() {
        assert_eq!(Interval::M15.duration_ms(), 900_000);
        assert_eq!(Interval::D1.duration_ms(), 86_400_000);
    }
}
