//! Trading rules from the recorded `GET /fapi/v1/exchangeInfo` (a real, trimmed
//! response: BTCUSDT tickSize 0.10, stepSize 0.001, MIN_NOTIONAL 10), and the
//! number formats that follow from them.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::Value;

/// One symbol's filters, and its exchangeInfo entry as served.
#[derive(Debug, Clone)]
pub(crate) struct SymbolRules {
    pub symbol: String,
    pub tick: Decimal,
    pub min_price: Decimal,
    pub max_price: Decimal,
    pub step: Decimal,
    pub min_qty: Decimal,
    pub max_qty: Decimal,
    pub market_max_qty: Decimal,
    pub min_notional: Decimal,
    pub max_algo_orders: usize,
    /// `pricePrecision` / `quantityPrecision`: the decimals Binance writes.
    pub price_dp: u32,
    pub qty_dp: u32,
    pub entry: Value,
}

impl SymbolRules {
    /// A price as Binance writes it for this symbol (`"95505.40"`).
    pub fn price(&self, d: Decimal) -> String {
        fixed(d, self.price_dp)
    }

    /// A quantity as Binance writes it (`"0.010"`).
    pub fn qty(&self, d: Decimal) -> String {
        fixed(d, self.qty_dp)
    }

    pub fn on_tick(&self, price: Decimal) -> bool {
        (price % self.tick).is_zero()
    }

    pub fn on_step(&self, qty: Decimal) -> bool {
        (qty % self.step).is_zero()
    }

    /// The nearest price on the tick.
    pub fn round_price(&self, price: Decimal) -> Decimal {
        (price / self.tick).round() * self.tick
    }

    fn from_entry(entry: Value) -> SymbolRules {
        let symbol = entry["symbol"].as_str().unwrap_or_default().to_string();
        let filter = |kind: &str, field: &str| -> Option<Decimal> {
            entry["filters"]
                .as_array()?
                .iter()
                .find(|f| f["filterType"] == kind)
                .and_then(|f| match &f[field] {
                    Value::String(s) => Decimal::from_str(s).ok(),
                    Value::Number(n) => Decimal::from_str(&n.to_string()).ok(),
                    _ => None,
                })
        };
        let need = |kind: &str, field: &str| {
            filter(kind, field)
                .unwrap_or_else(|| panic!("recorded exchangeInfo: {symbol} has no {kind}.{field}"))
        };
        let dp = |field: &str| entry[field].as_u64().map_or(8, |v| v as u32);
        SymbolRules {
            tick: need("PRICE_FILTER", "tickSize"),
            min_price: need("PRICE_FILTER", "minPrice"),
            max_price: need("PRICE_FILTER", "maxPrice"),
            step: need("LOT_SIZE", "stepSize"),
            min_qty: need("LOT_SIZE", "minQty"),
            max_qty: need("LOT_SIZE", "maxQty"),
            market_max_qty: filter("MARKET_LOT_SIZE", "maxQty")
                .unwrap_or_else(|| need("LOT_SIZE", "maxQty")),
            min_notional: need("MIN_NOTIONAL", "notional"),
            max_algo_orders: filter("MAX_NUM_ALGO_ORDERS", "limit")
                .map_or(10, |d| d.to_string().parse().unwrap_or(10)),
            price_dp: dp("pricePrecision"),
            qty_dp: dp("quantityPrecision"),
            symbol,
            entry,
        }
    }
}

/// The recorded response (less its symbols) and the configured symbols' rules.
pub(crate) struct Rules {
    template: Value,
    symbols: Vec<SymbolRules>,
}

impl Rules {
    /// The configured symbols' entries of the recording; a symbol it lacks is
    /// synthesised from BTCUSDT's entry (same filters, renamed).
    pub fn load(symbols: &[String]) -> Rules {
        let rel = "binance/fixtures/rest/http_futures_market_exchange_info.json";
        let path = cockpit::shared_data::file(rel).unwrap_or_else(|e| panic!("{e}"));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut template: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let recorded = template["symbols"].take();
        let recorded = recorded.as_array().cloned().unwrap_or_default();
        let find = |s: &str| recorded.iter().find(|e| e["symbol"] == s).cloned();
        let btc = find("BTCUSDT").expect("the recorded exchangeInfo lists BTCUSDT");
        let symbols = symbols
            .iter()
            .map(|s| {
                let entry = find(s).unwrap_or_else(|| {
                    let mut e = btc.clone();
                    e["symbol"] = Value::from(s.as_str());
                    e["pair"] = Value::from(s.as_str());
                    e["baseAsset"] = Value::from(s.trim_end_matches("USDT"));
                    e
                });
                SymbolRules::from_entry(entry)
            })
            .collect();
        Rules { template, symbols }
    }

    pub fn get(&self, symbol: &str) -> Option<&SymbolRules> {
        self.symbols.iter().find(|r| r.symbol == symbol)
    }

    /// The recorded response with `serverTime` now and only our symbols.
    /// `rateLimits` are kept as recorded (REQUEST_WEIGHT 6000 in that 2022
    /// recording; Binance lists 2400 today).
    pub fn exchange_info(&self, server_time: i64) -> Value {
        let mut v = self.template.clone();
        v["serverTime"] = Value::from(server_time);
        v["symbols"] = Value::Array(self.symbols.iter().map(|r| r.entry.clone()).collect());
        v
    }
}

/// `d` with exactly `dp` decimals, rounded half-even.
pub(crate) fn fixed(d: Decimal, dp: u32) -> String {
    let mut r = d.round_dp(dp);
    r.rescale(dp);
    r.to_string()
}

/// Balances and PnL: eight decimals, as Binance writes them.
pub(crate) fn money(d: Decimal) -> String {
    fixed(d, 8)
}

/// A computed price (average, entry) with no trailing zeros: `"95502.7"`.
pub(crate) fn plain(d: Decimal) -> String {
    d.round_dp(8).normalize().to_string()
}
