//! What a session needs before it trades: the server clock and a user-data
//! stream key.

use std::fmt;

use serde::Deserialize;

use super::de;

/// `GET /fapi/v1/time`: signed requests carry our clock plus the offset
/// measured from this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerTime {
    #[serde(deserialize_with = "de::int")]
    pub server_time: i64,
}

/// `POST`/`PUT /fapi/v1/listenKey`. The key reads the account's orders and
/// balances, so `Debug` shows only its start.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListenKey {
    pub listen_key: String,
}

impl fmt::Debug for ListenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let start: String = self.listen_key.chars().take(4).collect();
        write!(f, "ListenKey({start}…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_only_the_start_of_the_key() {
        let k: ListenKey =
            serde_json::from_str(r#"{"listenKey":"pqia91ma19a5s61cv6a81va65sdf"}"#).unwrap();
        assert_eq!(format!("{k:?}"), "ListenKey(pqia…)");
    }
}
