//! Client order ids as Binance accepts them (`newClientOrderId`,
//! `clientAlgoId`): 1 to 36 characters of `[.A-Z:/a-z0-9_-]`. The bot's ids
//! all start with one prefix, so that it cancels only its own orders and
//! never the operator's.

/// The prefix of every id the engine builds (`ck-<SYMBOL>-…`).
pub const BOT_PREFIX: &str = "ck-";

/// Binance's maximum length.
pub const MAX_LEN: usize = 36;

/// Whether Binance accepts `id` as a client order id:
/// `^[\.A-Z\:/a-z0-9_-]{1,36}$`.
pub fn is_valid(id: &str) -> bool {
    (1..=MAX_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b':' | b'/' | b'_' | b'-'))
}

/// Whether `id` is one of ours: valid and carrying `prefix`. An empty prefix
/// owns nothing; it would make every order on the account the bot's to cancel.
pub fn is_own(id: &str, prefix: &str) -> bool {
    !prefix.is_empty() && id.len() > prefix.len() && id.starts_with(prefix) && is_valid(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pattern_and_its_length() {
        assert!(is_valid("ck-BTCUSDT-sbv0xc-e"));
        assert!(is_valid("a.B:c/d_e-9"));
        assert!(is_valid(&"x".repeat(36)));
        assert!(!is_valid(&"x".repeat(37)));
        assert!(!is_valid(""));
        for bad in ["ck BTC", "ck+1", "ck#1", "é", "ck-BTC\n"] {
            assert!(!is_valid(bad), "{bad:?}");
        }
    }

    #[test]
    fn own_ids_carry_the_prefix_and_an_empty_prefix_owns_nothing() {
        assert!(is_own("ck-BTCUSDT-x1", BOT_PREFIX));
        assert!(!is_own("web_123abc", BOT_PREFIX));
        assert!(!is_own("x-xcKtGhcu04075babaeb34c55af79ba", BOT_PREFIX));
        assert!(!is_own("ck-", BOT_PREFIX));
        assert!(!is_own("ck-BTCUSDT-x1", ""));
        assert!(!is_own(&format!("ck-{}", "x".repeat(40)), BOT_PREFIX));
    }
}
