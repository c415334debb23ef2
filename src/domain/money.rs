//! Decimal newtypes for money. Never `f64`: binary floats cannot represent
//! 0.1 USDT, and a rounding error in a quantity is an order the exchange rejects.

use std::fmt;
use std::ops::{Add, Mul, Sub};
use std::str::FromStr;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use super::DomainError;

/// `d` as the nearest `f64`. Exact digits up to 2^53 over an exact power of
/// ten is one correctly rounded division, several times faster than
/// `ToPrimitive::to_f64`; every candle's prices go through here on their way
/// to the indicators. Anything larger takes the general path.
pub fn decimal_to_f64(d: Decimal) -> f64 {
    const POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    let mantissa = d.mantissa();
    match POW10.get(d.scale() as usize) {
        Some(&pow) if mantissa.unsigned_abs() < 1 << 53 => mantissa as i64 as f64 / pow,
        _ => d.to_f64().unwrap_or(f64::NAN),
    }
}

macro_rules! non_negative_decimal {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
        #[serde(try_from = "Decimal", into = "Decimal")]
        pub struct $name(Decimal);

        impl $name {
            pub const ZERO: Self = Self(Decimal::ZERO);

            /// Fails for negative values.
            pub fn new(value: Decimal) -> Result<Self, DomainError> {
                if value.is_sign_negative() && !value.is_zero() {
                    return Err(DomainError::Negative { what: $what, value: value.to_string() });
                }
                Ok(Self(value))
            }

            pub fn value(self) -> Decimal {
                self.0
            }

            pub fn is_zero(self) -> bool {
                self.0.is_zero()
            }

            /// Lossy view for charts and indicators; never for arithmetic on money.
            pub fn to_f64(self) -> f64 {
                decimal_to_f64(self.0)
            }
        }

        impl TryFrom<Decimal> for $name {
            type Error = DomainError;
            fn try_from(value: Decimal) -> Result<Self, Self::Error> {
                Self::new(value)
            }
        }

        impl From<$name> for Decimal {
            fn from(value: $name) -> Decimal {
                value.0
            }
        }

        impl FromStr for $name {
            type Err = DomainError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let d = Decimal::from_str_exact(s.trim())
                    .or_else(|_| Decimal::from_scientific(s.trim()))
                    .map_err(|_| DomainError::NotANumber(s.to_string()))?;
                Self::new(d)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.normalize(), f)
            }
        }

        impl Add for $name {
            type Output = Self;
            fn add(self, rhs: Self) -> Self {
                Self(self.0 + rhs.0)
            }
        }
    };
}

non_negative_decimal!(
    /// A price in the quote asset (USDT), never negative.
    Price,
    "price"
);
non_negative_decimal!(
    /// A quantity in the base asset (e.g. BTC), never negative; the side says the direction.
    Qty,
    "quantity"
);
non_negative_decimal!(
    /// A value in the quote asset: price × quantity.
    Notional,
    "notional"
);

impl Mul<Qty> for Price {
    type Output = Notional;
    fn mul(self, rhs: Qty) -> Notional {
        Notional(self.0 * rhs.0)
    }
}

impl Sub for Price {
    type Output = Decimal;
    /// The signed distance between two prices.
    fn sub(self, rhs: Self) -> Decimal {
        self.0 - rhs.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_become_the_nearest_f64() {
        for text in [
            "0",
            "0.1",
            "61234.5",
            "-2.5",
            "0.00123457",
            "96000.10",
            "1e-20",
        ] {
            let d = Decimal::from_scientific(text)
                .or_else(|_| Decimal::from_str(text))
                .unwrap();
            assert_eq!(decimal_to_f64(d), text.parse::<f64>().unwrap(), "{text}");
        }
        // Beyond 2^53 digits: the general conversion.
        let big = Decimal::from_str("12345678901234567890.5").unwrap();
        assert_eq!(decimal_to_f64(big), 12345678901234567890.5_f64);
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap()
    }

    #[test]
    fn negative_price_is_refused_with_its_value() {
        let err = Price::new(dec("-1.5")).unwrap_err();
        assert_eq!(err.to_string(), "price must not be negative, got -1.5");
    }

    #[test]
    fn price_times_qty_is_exact_notional() {
        let p: Price = "0.1".parse().unwrap();
        let q: Qty = "3".parse().unwrap();
        assert_eq!((p * q).value(), dec("0.3"));
    }

    #[test]
    fn parses_scientific_and_rejects_garbage() {
        assert_eq!("1e-3".parse::<Qty>().unwrap().value(), dec("0.001"));
        assert!(matches!(
            "abc".parse::<Qty>(),
            Err(DomainError::NotANumber(_))
        ));
    }

    #[test]
    fn display_drops_trailing_zeros() {
        assert_eq!("65000.500".parse::<Price>().unwrap().to_string(), "65000.5");
    }

    #[test]
    fn serde_round_trip_refuses_negative() {
        #[derive(Deserialize, Serialize)]
        struct W {
            p: Price,
        }
        let w: W = toml::from_str("p = \"12.5\"").unwrap();
        assert_eq!(w.p.value(), dec("12.5"));
        assert!(toml::from_str::<W>("p = \"-1\"").is_err());
    }
}
