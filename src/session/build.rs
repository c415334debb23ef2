use std::path::Path;
use std::time::Instant;

use anyhow::Context;

use crate::ai::setup::{AiFlags, confirmer_for_run};
use crate::config::Config;
use crate::engine::{Engine, EngineState, MicrosClock, Runner};
use crate::exec::paper::{FundingSchedule, PaperExchange, PaperState};
use crate::journal::{AiRecord, Journal, Record};

/// Microseconds since the session started, for latency stamps.
pub fn mono_clock() -> MicrosClock {
    let start = Instant::now();
    Box::new(move || start.elapsed().as_micros() as i64)
}

pub fn open_journal(path: &Path) -> anyhow::Result<Journal> {
    Journal::open(path).with_context(|| format!("opening the journal {}", path.display()))
}

/// The engine, the paper exchange and the journal, with the risk state,
/// account and paper positions of the previous run restored from the journal.
pub fn build_runner(
    config: &Config,
    feed_source: &'static str,
    stale_after_ms: i64,
    mut journal: Option<Journal>,
    ai: &AiFlags,
) -> anyhow::Result<Runner> {
    let confirmer = confirmer_for_run(config, ai);
    if let Some(journal) = &mut journal {
        let (event, detail) = match confirmer.detail() {
            Some(reason) => ("model_unavailable", reason),
            None => ("model_loaded", confirmer.label()),
        };
        journal.append(&[Record::Ai(AiRecord {
            at_ms: wall_ms(),
            event: event.to_string(),
            detail,
            drift: None,
        })])?;
    }
    let mut engine = Engine::new(config, feed_source, stale_after_ms)
        .map_err(|e| anyhow::anyhow!("strategy.name: {e}"))?
        .with_clock(mono_clock())
        .with_confirmer(confirmer);
    let funding = FundingSchedule::from_config(&config.paper)
        .map_err(|e| anyhow::anyhow!("paper.funding_file: {e}"))?;
    let mut exchange = PaperExchange::new(&config.paper, funding);
    if let Some(journal) = &journal
        && let Some(json) = journal.state("engine")?
    {
        let state: EngineState = serde_json::from_str(&json).context(
            "the journal's engine state cannot be read (written by another version?); move the journal aside to start fresh",
        )?;
        if state.feed != feed_source {
            // A demo account must never wake up in a replay (or, later, on the
            // exchange), nor the other way round.
            log::warn!(
                target: "engine",
                "the journal's account traded on the {} feed; this run uses {}: starting a fresh account (use another --journal to keep them apart)",
                state.feed,
                feed_source
            );
        } else {
            log::info!(
                target: "engine",
                "restored from the journal: {} position(s), wallet {} USDT, trading {}{}",
                state.book.positions.len(),
                state.book.wallet.round_dp(2),
                state.risk.trading_state,
                state
                    .risk
                    .cooldown_until_ms
                    .map(|t| format!(", cooldown until {}", crate::domain::time::format_utc(t)))
                    .unwrap_or_default()
            );
            engine.restore(state);
            if let Some(json) = journal.state("paper")? {
                let state: PaperState = serde_json::from_str(&json).context(
                    "the journal's paper exchange state cannot be read; move the journal aside to start fresh",
                )?;
                exchange.restore(state);
            }
        }
    }
    Ok(Runner::new(engine, exchange, journal))
}

fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
