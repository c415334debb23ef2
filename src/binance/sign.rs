//! Request signing: HMAC-SHA256 of the exact query string (or query + form
//! body), lower-case hex, sent as `signature=`.
//!
//! The secret stays borrowed: nothing here stores, formats or logs it.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::config::Secret;

/// The signature of `payload` with the account's API secret.
pub fn signature(secret: &Secret, payload: &str) -> String {
    signature_with_key(secret.expose(), payload)
}

/// The signature of `payload` with a secret given as text (tests, tools).
/// Binance signs the bytes exactly as sent: no trimming, no re-encoding.
pub fn signature_with_key(secret: &str, payload: &str) -> String {
    // HMAC hashes a key longer than a block and pads a shorter one, so every
    // length is accepted; the `Err` arm exists only because the trait is shared
    // with fixed-key MACs.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        unreachable!("HMAC accepts keys of any length")
    };
    mac.update(payload.as_bytes());
    lower_hex(&mac.finalize().into_bytes())
}

/// `query` with `&signature=<hex>` appended, ready to send. The query must
/// already hold `timestamp` and `recvWindow`: they are part of what is signed.
pub fn signed_query(secret: &Secret, query: &str) -> String {
    let signature = signature(secret, query);
    if query.is_empty() {
        format!("signature={signature}")
    } else {
        format!("{query}&signature={signature}")
    }
}

fn lower_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lower_case_two_digits_per_byte() {
        assert_eq!(lower_hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(lower_hex(&[]), "");
    }

    #[test]
    fn rfc_4231_case_2_short_key() {
        // RFC 4231 test case 2: key "Jefe".
        assert_eq!(
            signature_with_key("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn signed_query_appends_the_signature_of_the_query_itself() {
        let secret = Secret::new("Jefe");
        let q = signed_query(&secret, "what do ya want for nothing?");
        assert!(q.starts_with("what do ya want for nothing?&signature=5bdcc146"));
        assert_eq!(
            signed_query(&secret, ""),
            format!("signature={}", signature_with_key("Jefe", ""))
        );
    }
}
