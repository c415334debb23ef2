use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::DomainError;

/// The longest symbol accepted; Binance's are well under it.
const MAX_LEN: usize = 20;
// `Symbol::key` reads the bytes as 16 + 4: a longer array needs a wider key.
const _: () = assert!(MAX_LEN == 20);

/// An exchange symbol such as `BTCUSDT`: upper-case ASCII letters and digits.
/// Kept inline (no heap): the engine copies the symbol into every event,
/// mark and order, a backtest millions of times.
#[derive(Clone, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Symbol {
    len: u8,
    bytes: [u8; MAX_LEN],
}

impl Symbol {
    pub fn new(s: &str) -> Result<Self, DomainError> {
        let ok = (2..=MAX_LEN).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if !ok {
            return Err(DomainError::BadSymbol(s.to_string()));
        }
        let mut bytes = [0; MAX_LEN];
        bytes[..s.len()].copy_from_slice(s.as_bytes());
        Ok(Self {
            len: s.len() as u8,
            bytes,
        })
    }

    pub fn as_str(&self) -> &str {
        // Checked ASCII at construction, so this never fails.
        std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or_default()
    }
}

impl Symbol {
    /// The bytes as two big-endian integers, which order as the bytes do:
    /// two integer comparisons instead of a call to `memcmp` (maps keyed by
    /// symbol are looked up on every candle).
    fn key(&self) -> (u128, u32) {
        let head = self.bytes.first_chunk::<16>().copied().unwrap_or_default();
        let tail = self.bytes.last_chunk::<4>().copied().unwrap_or_default();
        (u128::from_be_bytes(head), u32::from_be_bytes(tail))
    }
}

impl PartialEq for Symbol {
    fn eq(&self, other: &Self) -> bool {
        // Equal bytes mean equal lengths: the padding is zero.
        self.key() == other.key()
    }
}

impl std::hash::Hash for Symbol {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // What equality compares, nothing more.
        self.bytes.hash(state);
    }
}

impl Ord for Symbol {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // The padding is zero and every symbol byte is above zero, so the
        // arrays order as the texts do ("BTC" < "BTCUSDT").
        self.key().cmp(&other.key())
    }
}

impl PartialOrd for Symbol {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Debug for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Symbol").field(&self.as_str()).finish()
    }
}

impl FromStr for Symbol {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<String> for Symbol {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::new(&s)
    }
}

impl From<Symbol> for String {
    fn from(s: Symbol) -> String {
        s.as_str().to_string()
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_binance_symbols_and_refuses_lower_case_or_punctuation() {
        assert_eq!(Symbol::new("BTCUSDT").unwrap().as_str(), "BTCUSDT");
        assert!(Symbol::new("1000PEPEUSDT").is_ok());
        assert!(Symbol::new("btcusdt").is_err());
        assert!(Symbol::new("BTC-USDT").is_err());
        assert!(Symbol::new("").is_err());
        assert!(Symbol::new("ABCDEFGHIJKLMNOPQRSTU").is_err());
        assert!(Symbol::new("ABCDEFGHIJKLMNOPQRST").is_ok());
    }

    #[test]
    fn orders_and_serializes_as_its_text() {
        let (a, b) = (
            Symbol::new("ETHUSDT").unwrap(),
            Symbol::new("BTCUSDTM").unwrap(),
        );
        assert!(b < a);
        assert!(Symbol::new("BTC").unwrap() < b);
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"ETHUSDT\"");
        assert_eq!(format!("{a} {a:?}"), "ETHUSDT Symbol(\"ETHUSDT\")");
    }

    #[test]
    fn compares_exactly_as_the_texts_do_up_to_the_last_byte() {
        let texts = [
            "BT",
            "BTC",
            "BTCUSDT",
            "BTCUSDT0",
            "ABCDEFGHIJKLMNOP",
            "ABCDEFGHIJKLMNOPA",
            "ABCDEFGHIJKLMNOPQRSA",
            "ABCDEFGHIJKLMNOPQRSB",
            "ABCDEFGHIJKLMNOPQRST",
            "ABCDEFGHIJKLMNOQ",
        ];
        for a in texts {
            for b in texts {
                let (x, y) = (Symbol::new(a).unwrap(), Symbol::new(b).unwrap());
                assert_eq!(x.cmp(&y), a.cmp(b), "{a} vs {b}");
                assert_eq!(x == y, a == b, "{a} vs {b}");
            }
        }
    }
}
