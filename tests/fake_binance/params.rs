//! Request parameters as Binance reads them (query string and form body,
//! percent-decoded) and the error answer `{"code", "msg"}`.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::json;

/// A Binance error answer: HTTP status, code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: u16,
    pub code: i64,
    pub msg: String,
}

impl ApiError {
    /// HTTP 400, the status of nearly every Binance rejection.
    pub fn new(code: i64, msg: impl Into<String>) -> ApiError {
        ApiError {
            status: 400,
            code,
            msg: msg.into(),
        }
    }

    pub fn with_status(mut self, status: u16) -> ApiError {
        self.status = status;
        self
    }

    pub fn body(&self) -> String {
        json!({"code": self.code, "msg": self.msg}).to_string()
    }

    pub fn mandatory(name: &str) -> ApiError {
        ApiError::new(
            -1102,
            format!("Mandatory parameter '{name}' was not sent, was empty/null, or malformed."),
        )
    }

    pub fn invalid(name: &str) -> ApiError {
        ApiError::new(
            -1130,
            format!("Data sent for parameter '{name}' is not valid."),
        )
    }

    pub fn not_required(name: &str) -> ApiError {
        ApiError::new(-1106, format!("Parameter '{name}' sent when not required."))
    }

    pub fn invalid_symbol() -> ApiError {
        ApiError::new(-1121, "Invalid symbol.")
    }
}

/// The parameters of one request, query first, then body, as sent.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(query: &str, body: &str) -> Params {
        let pairs = [query, body]
            .into_iter()
            .flat_map(|s| s.split('&'))
            .filter(|part| !part.is_empty())
            .map(|part| {
                let (k, v) = part.split_once('=').unwrap_or((part, ""));
                (percent_decode(k), percent_decode(v))
            })
            .collect();
        Params(pairs)
    }

    /// The value of `name`; an empty value counts as not sent, as on Binance.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    pub fn req(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name).ok_or_else(|| ApiError::mandatory(name))
    }

    pub fn decimal(&self, name: &str) -> Result<Option<Decimal>, ApiError> {
        self.get(name)
            .map(|v| Decimal::from_str(v).map_err(|_| ApiError::mandatory(name)))
            .transpose()
    }

    pub fn req_decimal(&self, name: &str) -> Result<Decimal, ApiError> {
        self.decimal(name)?.ok_or_else(|| ApiError::mandatory(name))
    }

    pub fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.get(name)
            .map(|v| v.parse::<i64>().map_err(|_| ApiError::mandatory(name)))
            .transpose()
    }

    pub fn u64(&self, name: &str) -> Result<Option<u64>, ApiError> {
        self.get(name)
            .map(|v| v.parse::<u64>().map_err(|_| ApiError::mandatory(name)))
            .transpose()
    }

    /// `true` / `false`; absent is false.
    pub fn flag(&self, name: &str) -> Result<bool, ApiError> {
        match self.get(name) {
            None | Some("false") | Some("FALSE") => Ok(false),
            Some("true") | Some("TRUE") => Ok(true),
            Some(_) => Err(ApiError::invalid(name)),
        }
    }

    /// The symbol parameter, upper-case as Binance accepts it.
    pub fn symbol(&self) -> Option<String> {
        self.get("symbol").map(str::to_ascii_uppercase)
    }
}

/// Form/query decoding: `+` is a space, `%XX` a byte; a malformed escape is
/// kept as text.
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(hi), Some(lo)) => {
                    out.push(hi * 16 + lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    char::from(b).to_digit(16).map(|d| d as u8)
}

/// Binance's client order id rule.
pub(crate) fn valid_client_id(id: &str) -> bool {
    (1..=36).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b':' | b'/' | b'_' | b'-'))
}

pub(crate) fn illegal_client_id(name: &str) -> ApiError {
    ApiError::new(
        -1100,
        format!(
            "Illegal characters found in parameter '{name}'; legal range is '^[\\.A-Z\\:/a-z0-9_-]{{1,36}}$'."
        ),
    )
}

/// A successful answer, and the client order id it concerned (for the order
/// log: the one generated, or the one a cancel by `orderId` resolved to).
#[derive(Debug, Clone)]
pub(crate) struct Done {
    pub body: serde_json::Value,
    pub client_id: Option<String>,
}

impl Done {
    pub fn body(body: serde_json::Value) -> Done {
        Done {
            body,
            client_id: None,
        }
    }
}
