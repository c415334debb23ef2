//! Semantic checks that serde cannot express: ranges and keys that must agree.
//! Every problem is reported, not just the first.

use rust_decimal::Decimal;

use super::Config;

/// (dotted key path, what is wrong and how to fix it)
pub type Finding = (String, String);

impl Config {
    /// All problems at once; empty when the configuration is usable.
    pub fn validate(&self) -> Vec<Finding> {
        let mut out: Vec<Finding> = Vec::new();
        let mut bad = |key: &str, msg: String| out.push((key.to_string(), msg));

        let m = &self.market;
        if m.symbols.is_empty() {
            bad(
                "market.symbols",
                "list at least one symbol, e.g. [\"BTCUSDT\"]".into(),
            );
        }
        for (i, s) in m.symbols.iter().enumerate() {
            if m.symbols[..i].contains(s) {
                bad("market.symbols", format!("{s} is listed twice"));
            }
        }
        let warm_up = self
            .indicators
            .ema_periods
            .iter()
            .copied()
            .max()
            .unwrap_or(0);
        if m.history < warm_up + 1 {
            bad(
                "market.history",
                format!(
                    "{} is too short to warm up EMA{warm_up}; use at least {}",
                    m.history,
                    warm_up + 1
                ),
            );
        }

        for (key, msg) in self.indicators.validate() {
            bad(&format!("indicators.{key}"), msg);
        }
        for (key, msg) in self.demo.validate() {
            bad(&format!("demo.{key}"), msg);
        }

        let s = &self.strategy;
        use crate::strategy::STRATEGY_NAMES as STRATEGIES;
        if !STRATEGIES.contains(&s.name.as_str()) {
            bad(
                "strategy.name",
                format!(
                    "`{}` is not a strategy; use one of {}",
                    s.name,
                    STRATEGIES.join(", ")
                ),
            );
        }
        for (key, period) in [
            ("strategy.ema_fast", s.ema_fast),
            ("strategy.ema_slow", s.ema_slow),
        ] {
            if !self.indicators.ema_periods.contains(&period) {
                bad(
                    key,
                    format!(
                        "EMA{period} is not computed; add it to indicators.ema_periods {:?}",
                        self.indicators.ema_periods
                    ),
                );
            }
        }
        if s.ema_fast >= s.ema_slow {
            bad(
                "strategy.ema_fast",
                format!(
                    "{} must be shorter than ema_slow {}",
                    s.ema_fast, s.ema_slow
                ),
            );
        }
        for (lo_key, lo, hi_key, hi) in [
            (
                "strategy.rsi_long_min",
                s.rsi_long_min,
                "strategy.rsi_long_max",
                s.rsi_long_max,
            ),
            (
                "strategy.rsi_short_min",
                s.rsi_short_min,
                "strategy.rsi_short_max",
                s.rsi_short_max,
            ),
            (
                "strategy.atr_pct_min",
                s.atr_pct_min,
                "strategy.atr_pct_max",
                s.atr_pct_max,
            ),
        ] {
            if lo >= hi || lo.is_nan() || hi.is_nan() {
                bad(lo_key, format!("{lo} must be below {hi_key} {hi}"));
            }
        }
        for (key, v) in [
            ("strategy.rsi_long_min", s.rsi_long_min),
            ("strategy.rsi_long_max", s.rsi_long_max),
            ("strategy.rsi_short_min", s.rsi_short_min),
            ("strategy.rsi_short_max", s.rsi_short_max),
            ("strategy.adx_min", s.adx_min),
        ] {
            if !(0.0..=100.0).contains(&v) {
                bad(key, format!("{v} is outside 0..100"));
            }
        }
        for (key, v) in [
            ("strategy.atr_pct_min", s.atr_pct_min),
            ("strategy.stop_atr_mult", s.stop_atr_mult),
            ("strategy.take_profit_atr_mult", s.take_profit_atr_mult),
        ] {
            if !(v.is_finite() && v > 0.0) {
                bad(key, format!("{v} must be greater than 0"));
            }
        }

        let p = &self.paper;
        let fraction = |x: rust_decimal::Decimal, max: i64| {
            x >= rust_decimal::Decimal::ZERO && x < rust_decimal::Decimal::new(max, 2)
        };
        for (key, value, max) in [
            ("paper.slippage", p.slippage, 5),
            ("paper.taker_fee", p.taker_fee, 1),
            ("paper.maker_fee", p.maker_fee, 1),
            ("paper.maintenance_margin", p.maintenance_margin, 50),
        ] {
            if !fraction(value, max) {
                bad(
                    key,
                    format!("{value} must be a fraction from 0 up to 0.{max:02} (0.0005 = 0.05%)"),
                );
            }
        }
        if p.funding_rate.abs() >= rust_decimal::Decimal::new(1, 2) {
            bad(
                "paper.funding_rate",
                format!(
                    "{} is not a plausible 8-hour funding rate; use e.g. 0.0001",
                    p.funding_rate
                ),
            );
        }
        if p.leverage < rust_decimal::Decimal::ONE || p.leverage > rust_decimal::Decimal::from(125)
        {
            bad(
                "paper.leverage",
                format!("{} must be between 1 and 125", p.leverage),
            );
        }

        let r = &self.risk;
        let pct = |v: Decimal, max: Decimal| v > Decimal::ZERO && v <= max;
        if !pct(r.risk_per_trade, Decimal::new(1, 1)) {
            bad(
                "risk.risk_per_trade",
                format!(
                    "{} must be in (0, 0.1]: it is a fraction of equity, 0.01 = 1%",
                    r.risk_per_trade
                ),
            );
        }
        if !pct(r.daily_loss_limit, Decimal::new(5, 1)) {
            bad(
                "risk.daily_loss_limit",
                format!(
                    "{} must be in (0, 0.5]: 0.03 = 3% of equity",
                    r.daily_loss_limit
                ),
            );
        }
        if !(r.max_leverage >= Decimal::ONE && r.max_leverage <= Decimal::from(125)) {
            bad(
                "risk.max_leverage",
                format!("{} must be between 1 and 125", r.max_leverage),
            );
        }
        for (key, v) in [
            ("risk.max_notional", r.max_notional),
            ("risk.paper_equity", r.paper_equity),
        ] {
            if v <= Decimal::ZERO {
                bad(key, format!("{v} must be greater than 0"));
            }
        }
        if r.cooldown_losses == 0 {
            bad("risk.cooldown_losses", "must be at least 1".into());
        }
        if r.max_open_positions == 0 {
            bad("risk.max_open_positions", "must be at least 1".into());
        }

        if self.engine.approval_timeout_secs == 0 {
            bad(
                "engine.approval_timeout_secs",
                "must be at least 1 second".into(),
            );
        }
        let e = &self.engine;
        if e.limit_offset < Decimal::ZERO || e.limit_offset >= Decimal::new(5, 2) {
            bad(
                "engine.limit_offset",
                format!(
                    "{} must be at least 0 and below 0.05 (a fraction of the price: 0.0005 = 5 bps)",
                    e.limit_offset
                ),
            );
        }
        if e.limit_timeout_bars == 0 {
            bad("engine.limit_timeout_bars", "must be at least 1".into());
        }

        let b = &self.binance;
        if !(b.rest_url.starts_with("http://") || b.rest_url.starts_with("https://")) {
            bad(
                "binance.rest_url",
                format!("`{}` must start with http:// or https://", b.rest_url),
            );
        }
        if !(b.ws_url.starts_with("ws://") || b.ws_url.starts_with("wss://")) {
            bad(
                "binance.ws_url",
                format!("`{}` must start with ws:// or wss://", b.ws_url),
            );
        }
        if b.network == super::Network::Mainnet && !b.allow_mainnet {
            bad(
                "binance.network",
                "mainnet trades real money: also set binance.allow_mainnet = true".into(),
            );
        }
        if !(1..=125).contains(&b.leverage) {
            bad(
                "binance.leverage",
                format!("{} must be 1..=125", b.leverage),
            );
        }
        if !matches!(b.margin_type.as_str(), "ISOLATED" | "CROSSED") {
            bad(
                "binance.margin_type",
                format!("`{}` must be \"ISOLATED\" or \"CROSSED\"", b.margin_type),
            );
        }
        if b.late_candle_ms < 0 || b.stop_deadline_ms == 0 || b.request_timeout_ms == 0 {
            bad(
                "binance.late_candle_ms",
                "late_candle_ms must be ≥ 0, stop_deadline_ms and request_timeout_ms > 0".into(),
            );
        }
        if b.reconnect_min_ms == 0 || b.reconnect_max_ms < b.reconnect_min_ms {
            bad(
                "binance.reconnect_min_ms",
                "reconnect_min_ms must be > 0 and ≤ reconnect_max_ms".into(),
            );
        }
        if !(1..=60_000).contains(&b.recv_window_ms) {
            bad(
                "binance.recv_window_ms",
                format!("{} must be 1..=60000 (Binance's limit)", b.recv_window_ms),
            );
        }

        let ai = &self.ai;
        if !(0.0..1.0).contains(&ai.threshold) {
            bad(
                "ai.threshold",
                format!(
                    "{} must be a probability below 1, or 0 for the model's own threshold",
                    ai.threshold
                ),
            );
        }
        if !(ai.drift_limit.is_finite() && ai.drift_limit > 0.0) {
            bad(
                "ai.drift_limit",
                format!(
                    "{} must be a PSI above 0 (0.25 is a large shift)",
                    ai.drift_limit
                ),
            );
        }
        if ai.drift_window < 50 {
            bad(
                "ai.drift_window",
                format!(
                    "{} candles are too few for a stable PSI; use at least 50",
                    ai.drift_window
                ),
            );
        }
        if !(1..=120).contains(&self.ui.max_fps) {
            bad("ui.max_fps", format!("{} must be 1..=120", self.ui.max_fps));
        }
        if self.ui.chart_candles < 10 {
            bad(
                "ui.chart_candles",
                format!("{} must be at least 10", self.ui.chart_candles),
            );
        }
        out
    }
}
