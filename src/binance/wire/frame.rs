//! Opening a WebSocket frame: unwrap the combined-stream envelope
//! `{"stream": …, "data": …}` if there is one and read the event type `e`,
//! without parsing the event itself twice.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use super::de::excerpt;
use crate::binance::BinanceError;

/// A frame whose event type is known and whose payload is still text.
pub(super) struct Frame<'a> {
    /// The stream name from a combined-stream envelope.
    pub stream: Option<String>,
    pub event_type: String,
    /// The event object itself, envelope removed.
    pub data: &'a str,
}

#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(default)]
    stream: Option<String>,
    #[serde(default, borrow)]
    data: Option<&'a RawValue>,
    #[serde(default)]
    e: Option<String>,
}

/// `what` names the stream ("market", "user-data") in error messages.
pub(super) fn open<'a>(what: &str, text: &'a str) -> Result<Frame<'a>, BinanceError> {
    let garbage = |err: serde_json::Error| {
        BinanceError::Decode(format!("{what} frame: {err}: `{}`", excerpt(text)))
    };
    let outer: Probe<'a> = serde_json::from_str(text).map_err(garbage)?;
    let (stream, data, e) = match outer.data {
        Some(raw) => {
            let inner: Probe<'a> = serde_json::from_str(raw.get()).map_err(garbage)?;
            (outer.stream, raw.get(), inner.e)
        }
        None => (None, text, outer.e),
    };
    let event_type = e.ok_or_else(|| {
        BinanceError::Decode(format!(
            "{what} frame without an event type `e`: `{}`",
            excerpt(text)
        ))
    })?;
    Ok(Frame {
        stream,
        event_type,
        data,
    })
}

impl Frame<'_> {
    /// The payload as `T`; an error names the event type and shows the start
    /// of the payload.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, BinanceError> {
        serde_json::from_str(self.data).map_err(|err| {
            BinanceError::Decode(format!(
                "{} event: {err}: `{}`",
                self.event_type,
                excerpt(self.data)
            ))
        })
    }
}
