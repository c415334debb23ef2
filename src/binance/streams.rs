//! Stream names and the routed WebSocket URLs (Binance routes USD-M streams
//! by category since 2026-04-23). The old unrouted `/ws` and `/stream` paths
//! still accept a subscription and never deliver it, so every URL here names
//! its route. Names are lower-case: an upper-case name is accepted and never fed.

use crate::domain::{Interval, Symbol};

/// The three routes; streams of two routes need two connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// High-frequency book data: bookTicker, depth.
    Public,
    /// Every other public stream: klines, mark price, trades, tickers.
    Market,
    /// The user-data stream.
    Private,
}

impl Route {
    pub fn path(self) -> &'static str {
        match self {
            Route::Public => "public",
            Route::Market => "market",
            Route::Private => "private",
        }
    }

    /// The route a stream name belongs to.
    pub fn of(stream: &str) -> Route {
        let kind = stream.split('@').nth(1).unwrap_or_default();
        if kind == "bookTicker" || kind.starts_with("depth") {
            Route::Public
        } else {
            Route::Market
        }
    }
}

/// `btcusdt@kline_15m`.
pub fn kline(symbol: &Symbol, interval: Interval) -> String {
    format!("{}@kline_{}", lower(symbol), interval.as_str())
}

/// `btcusdt@markPrice@1s`: mark price and funding every second.
pub fn mark_price(symbol: &Symbol) -> String {
    format!("{}@markPrice@1s", lower(symbol))
}

/// `btcusdt@bookTicker`.
pub fn book_ticker(symbol: &Symbol) -> String {
    format!("{}@bookTicker", lower(symbol))
}

/// `<base>/<route>/stream?streams=a/b`: one combined connection whose events
/// arrive wrapped as `{"stream", "data"}`.
pub fn combined_url(ws_base: &str, route: Route, streams: &[String]) -> String {
    format!(
        "{}/{}/stream?streams={}",
        ws_base.trim_end_matches('/'),
        route.path(),
        streams.join("/")
    )
}

/// The market connection: for each symbol its klines of `interval` and its
/// mark price, e.g. `<base>/market/stream?streams=btcusdt@kline_15m/btcusdt@markPrice@1s`.
pub fn market_url(ws_base: &str, symbols: &[Symbol], interval: Interval) -> String {
    let streams: Vec<String> = symbols
        .iter()
        .flat_map(|s| [kline(s, interval), mark_price(s)])
        .collect();
    combined_url(ws_base, Route::Market, &streams)
}

/// The public connection: best bid/ask per symbol,
/// `<base>/public/stream?streams=btcusdt@bookTicker`.
pub fn public_url(ws_base: &str, symbols: &[Symbol]) -> String {
    let streams: Vec<String> = symbols.iter().map(book_ticker).collect();
    combined_url(ws_base, Route::Public, &streams)
}

/// The user-data connection: `<base>/private/ws?listenKey=KEY`. The key is
/// percent-encoded in case Binance ever puts a reserved character in one.
pub fn user_data_url(ws_base: &str, listen_key: &str) -> String {
    format!(
        "{}/{}/ws?listenKey={}",
        ws_base.trim_end_matches('/'),
        Route::Private.path(),
        percent_encode(listen_key)
    )
}

fn lower(symbol: &Symbol) -> String {
    symbol.as_str().to_ascii_lowercase()
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TESTNET: &str = "wss://fstream.binancefuture.com";

    fn sym(s: &str) -> Symbol {
        Symbol::new(s).unwrap()
    }

    #[test]
    fn names_are_lower_case() {
        let s = sym("1000SHIBUSDT");
        assert_eq!(kline(&s, Interval::M15), "1000shibusdt@kline_15m");
        assert_eq!(mark_price(&s), "1000shibusdt@markPrice@1s");
        assert_eq!(book_ticker(&s), "1000shibusdt@bookTicker");
    }

    #[test]
    fn market_url_routes_klines_and_mark_price() {
        assert_eq!(
            market_url(TESTNET, &[sym("BTCUSDT")], Interval::M15),
            "wss://fstream.binancefuture.com/market/stream?streams=btcusdt@kline_15m/btcusdt@markPrice@1s"
        );
        assert_eq!(
            market_url(
                "ws://127.0.0.1:9001/",
                &[sym("BTCUSDT"), sym("ETHUSDT")],
                Interval::H1
            ),
            "ws://127.0.0.1:9001/market/stream?streams=btcusdt@kline_1h/btcusdt@markPrice@1s/ethusdt@kline_1h/ethusdt@markPrice@1s"
        );
    }

    #[test]
    fn public_url_routes_book_tickers() {
        assert_eq!(
            public_url(TESTNET, &[sym("BTCUSDT")]),
            "wss://fstream.binancefuture.com/public/stream?streams=btcusdt@bookTicker"
        );
    }

    #[test]
    fn user_data_url_is_private_and_carries_the_key() {
        assert_eq!(
            user_data_url(
                "wss://fstream.binance.com",
                "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1"
            ),
            "wss://fstream.binance.com/private/ws?listenKey=pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1"
        );
        assert_eq!(
            user_data_url(TESTNET, "a b&c"),
            format!("{TESTNET}/private/ws?listenKey=a%20b%26c")
        );
    }

    #[test]
    fn every_stream_we_build_is_on_the_route_we_put_it() {
        let s = sym("ETHUSDT");
        assert_eq!(Route::of(&kline(&s, Interval::M1)), Route::Market);
        assert_eq!(Route::of(&mark_price(&s)), Route::Market);
        assert_eq!(Route::of(&book_ticker(&s)), Route::Public);
        assert_eq!(Route::of("btcusdt@depth5@100ms"), Route::Public);
        assert_eq!(Route::of("btcusdt@aggTrade"), Route::Market);
    }
}
