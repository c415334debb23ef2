//! The typed configuration tree. Every field's default here equals the value
//! written in the project's `config.toml` (a test holds them together).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::{Interval, Mode, Symbol};
use crate::indicators::IndicatorParams;
use crate::market::demo::DemoParams;

use super::Secret;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub market: MarketConfig,
    pub demo: DemoParams,
    pub indicators: IndicatorParams,
    pub strategy: StrategyConfig,
    pub risk: RiskConfig,
    pub paper: PaperConfig,
    pub engine: EngineConfig,
    pub binance: BinanceConfig,
    pub ai: AiConfig,
    pub paths: PathsConfig,
    pub ui: UiConfig,
}

/// Where candles come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum FeedKind {
    /// The built-in generator: no keys, no network.
    #[default]
    Demo,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MarketConfig {
    pub symbols: Vec<Symbol>,
    pub interval: Interval,
    pub feed: FeedKind,
    /// Closed candles kept in memory per symbol.
    pub history: usize,
}

impl Default for MarketConfig {
    fn default() -> Self {
        MarketConfig {
            // A literal that is a valid symbol; `collect` avoids a panic path.
            symbols: Symbol::new("BTCUSDT").into_iter().collect(),
            interval: Interval::H1,
            feed: FeedKind::Demo,
            history: 1000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StrategyConfig {
    pub name: String,
    /// Periods of the fast and slow trend EMAs; both must be in `indicators.ema_periods`.
    pub ema_fast: usize,
    pub ema_slow: usize,
    pub rsi_long_min: f64,
    pub rsi_long_max: f64,
    pub rsi_short_min: f64,
    pub rsi_short_max: f64,
    pub adx_min: f64,
    /// ATR / close below this is a dead market; above `atr_pct_max` a chaotic one.
    pub atr_pct_min: f64,
    pub atr_pct_max: f64,
    pub stop_atr_mult: f64,
    pub take_profit_atr_mult: f64,
}

impl Default for StrategyConfig {
    fn default() -> Self {
        StrategyConfig {
            name: "trend_momentum_volatility".to_string(),
            ema_fast: 50,
            ema_slow: 200,
            rsi_long_min: 50.0,
            rsi_long_max: 70.0,
            rsi_short_min: 30.0,
            rsi_short_max: 50.0,
            adx_min: 25.0,
            atr_pct_min: 0.001,
            atr_pct_max: 0.05,
            stop_atr_mult: 1.5,
            take_profit_atr_mult: 3.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RiskConfig {
    /// Fraction of TOTAL equity (wallet + unrealized PnL) risked per trade.
    pub risk_per_trade: Decimal,
    pub max_leverage: Decimal,
    /// Largest position notional in USDT.
    pub max_notional: Decimal,
    /// Equity drop from the start of the UTC day that trips the circuit breaker.
    pub daily_loss_limit: Decimal,
    pub cooldown_losses: u32,
    pub cooldown_hours: u32,
    pub max_open_positions: u32,
    /// Paper and shadow account size in USDT.
    pub paper_equity: Decimal,
}

impl Default for RiskConfig {
    fn default() -> Self {
        RiskConfig {
            risk_per_trade: Decimal::new(1, 2),
            max_leverage: Decimal::from(3),
            max_notional: Decimal::from(50_000),
            daily_loss_limit: Decimal::new(3, 2),
            cooldown_losses: 3,
            cooldown_hours: 4,
            max_open_positions: 2,
            paper_equity: Decimal::from(10_000),
        }
    }
}

/// The simulated exchange behind paper mode and backtests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PaperConfig {
    /// Market orders fill this fraction worse than the next price: 0.0002 = 2 bp.
    pub slippage: Decimal,
    pub taker_fee: Decimal,
    pub maker_fee: Decimal,
    /// Funding rate charged every 8 h when no funding file covers the time.
    pub funding_rate: Decimal,
    /// CSV `funding_time_ms,funding_rate` (Binance's history); empty = use `funding_rate`.
    pub funding_file: String,
    /// Isolated-margin leverage used for the liquidation price.
    pub leverage: Decimal,
    /// Maintenance margin rate for the liquidation price.
    pub maintenance_margin: Decimal,
}

impl Default for PaperConfig {
    fn default() -> Self {
        PaperConfig {
            slippage: Decimal::new(2, 4),
            taker_fee: Decimal::new(5, 4),
            maker_fee: Decimal::new(2, 4),
            funding_rate: Decimal::new(1, 4),
            funding_file: String::new(),
            leverage: Decimal::from(5),
            maintenance_margin: Decimal::new(4, 3),
        }
    }
}

/// Whether proposals are sent by themselves or wait for the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Automation {
    Auto,
    #[default]
    Semi,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EngineConfig {
    /// Mode at start; live is never entered without the operator typing LIVE.
    pub mode: Mode,
    pub armed: bool,
    pub automation: Automation,
    pub approval_timeout_secs: u64,
    /// How an entry goes to the exchange.
    pub entry_order: EntryOrder,
    /// A limit entry's price improvement on the signal candle's close, as a
    /// fraction (0.0005 = 5 bps below the close for a buy, above for a sell).
    pub limit_offset: Decimal,
    /// A limit entry still unfilled at the close of this many candles after
    /// it was placed is cancelled (a partly filled one keeps what it got).
    pub limit_timeout_bars: u32,
}

/// Market entries take the price; limit entries wait for it and may miss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum EntryOrder {
    #[default]
    Market,
    Limit,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            mode: Mode::Shadow,
            armed: false,
            automation: Automation::Semi,
            approval_timeout_secs: 60,
            entry_order: EntryOrder::Market,
            limit_offset: Decimal::ZERO,
            limit_timeout_bars: 1,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Network {
    #[default]
    Testnet,
    Mainnet,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BinanceConfig {
    pub network: Network,
    /// Mainnet needs this flag as well as `network = "mainnet"`.
    pub allow_mainnet: bool,
    /// Testnet `https://demo-fapi.binance.com`, mainnet `https://fapi.binance.com`.
    pub rest_url: String,
    /// The base the routed streams hang under (`/market`, `/public`,
    /// `/private`): testnet `wss://fstream.binancefuture.com`, mainnet
    /// `wss://fstream.binance.com`.
    pub ws_url: String,
    /// Not read for trading: live keys come from BINANCE_API_KEY /
    /// BINANCE_API_SECRET or from `key_file`. Kept so that an old file
    /// still parses; live mode refuses keys written here.
    pub api_key: Secret,
    pub api_secret: Secret,
    /// A file with the API key on its first line and the secret on its
    /// second; it must be readable by its owner only (chmod 600).
    pub key_file: String,
    pub recv_window_ms: u64,
    /// After this an order request's outcome is unknown and is asked about.
    pub request_timeout_ms: u64,
    /// Leverage and margin type set on every traded symbol before trading.
    pub leverage: u32,
    /// "ISOLATED" or "CROSSED".
    pub margin_type: String,
    /// A closed candle that arrives later than this after its close (a
    /// backfill after a reconnect, a slow stream) moves the indicators but
    /// opens no trade.
    pub late_candle_ms: i64,
    /// A position whose stop is not confirmed on the exchange within this
    /// is closed.
    pub stop_deadline_ms: u64,
    /// Closed candles loaded over REST at start to warm the indicators up.
    pub warm_up_bars: usize,
    /// Reconnect waits grow from the first to the second (with jitter):
    /// many clients cut off together must not come back together.
    pub reconnect_min_ms: u64,
    pub reconnect_max_ms: u64,
}

impl Default for BinanceConfig {
    fn default() -> Self {
        BinanceConfig {
            network: Network::Testnet,
            allow_mainnet: false,
            rest_url: "https://demo-fapi.binance.com".to_string(),
            ws_url: "wss://fstream.binancefuture.com".to_string(),
            api_key: Secret::default(),
            api_secret: Secret::default(),
            key_file: String::new(),
            recv_window_ms: 5000,
            request_timeout_ms: 10_000,
            leverage: 3,
            margin_type: "ISOLATED".to_string(),
            late_candle_ms: 30_000,
            stop_deadline_ms: 5_000,
            warm_up_bars: 1000,
            reconnect_min_ms: 500,
            reconnect_max_ms: 30_000,
        }
    }
}

/// The model that confirms or vetoes proposals ("algo proposes, AI confirms").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AiConfig {
    /// A model name in `paths.models_dir` (`<name>.onnx` beside `<name>.json`),
    /// a path to a `.onnx` file, or empty for algo-only.
    pub model: String,
    /// Confirm at or above this probability for the proposed side, veto
    /// below; 0 takes the threshold the model's manifest suggests.
    pub threshold: f64,
    /// What an abstention means (features not warm, model unavailable,
    /// drift over its limit): pass on the algorithm alone, or block.
    pub abstain: Abstain,
    /// Overall drift (mean PSI over the features) above which the model abstains.
    pub drift_limit: f64,
    /// Closed candles in the rolling window compared with the training data.
    pub drift_window: usize,
    /// libonnxruntime.so.1.31.1; empty: ORT_DYLIB_PATH, then the project's
    /// `.onnxruntime/` (scripts/fetch-onnxruntime.sh puts it there).
    pub onnxruntime: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Abstain {
    #[default]
    Pass,
    Block,
}

impl Default for AiConfig {
    fn default() -> Self {
        AiConfig {
            model: "gbm".to_string(),
            threshold: 0.0,
            abstain: Abstain::Pass,
            drift_limit: 0.5,
            drift_window: 720,
            onnxruntime: String::new(),
        }
    }
}

/// Empty paths mean "the platform's place for it" (see `config::paths`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PathsConfig {
    pub data_dir: String,
    pub log_dir: String,
    pub journal: String,
    pub models_dir: String,
}

impl Default for PathsConfig {
    fn default() -> Self {
        PathsConfig {
            data_dir: String::new(),
            log_dir: String::new(),
            journal: String::new(),
            models_dir: "models".to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiConfig {
    /// Redraws per second at most; the screen only redraws when something changed.
    pub max_fps: u32,
    /// Candles the chart aims to show before zooming; it fills its width with
    /// one to three cells per candle, whichever is nearest.
    pub chart_candles: usize,
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig {
            max_fps: 30,
            chart_candles: 36,
        }
    }
}
