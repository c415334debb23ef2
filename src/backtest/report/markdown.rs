//! `metrics.md`: the run, the figures of the summary table and the trades
//! by exit reason, as Markdown tables.

use std::collections::BTreeMap;
use std::fmt::Write;

use rust_decimal::Decimal;

use crate::backtest::summary;

use super::chart;
use super::saved::SavedResult;

/// A table cell: `|` would end the cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

fn table(out: &mut String, rows: &[(&str, String)]) {
    out.push_str("| figure | value |\n|:--|--:|\n");
    for (name, value) in rows {
        let _ = writeln!(out, "| {} | {} |", cell(name), cell(value));
    }
}

#[derive(Default)]
struct Tally {
    trades: usize,
    won: usize,
    pnl: Decimal,
}

impl Tally {
    fn add(&mut self, pnl: Decimal) {
        self.trades += 1;
        self.won += (pnl > Decimal::ZERO) as usize;
        self.pnl += pnl;
    }

    fn row(&self, name: &str) -> String {
        format!(
            "| {} | {} | {} | {} | {} |",
            cell(name),
            self.trades,
            self.won,
            self.trades - self.won,
            self.pnl.round_dp(2)
        )
    }
}

pub fn render(saved: &SavedResult) -> String {
    let m = &saved.metrics;
    let mut out = format!("# {}\n\n## Run\n\n", chart::title(saved));
    table(
        &mut out,
        &summary::run_rows(
            &saved.symbols,
            saved.interval,
            saved.bars,
            saved.elapsed_ms,
            m,
        ),
    );
    let [risk, trades] = summary::metric_groups(m);
    out.push_str("\n## Returns and risk\n\n");
    table(&mut out, &risk);
    out.push_str("\n## Trades\n\n");
    table(&mut out, &trades);
    if let Some(ai) = &saved.ai {
        out.push_str("\n## Model\n\n");
        table(&mut out, &summary::ai_rows(ai));
    }

    let mut by_reason: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut all = Tally::default();
    for t in &saved.trades {
        by_reason.entry(&t.exit_reason).or_default().add(t.pnl);
        all.add(t.pnl);
    }
    let mut reasons: Vec<(&str, Tally)> = by_reason.into_iter().collect();
    reasons.sort_by(|a, b| b.1.trades.cmp(&a.1.trades).then(a.0.cmp(b.0)));
    out.push_str("\n## Trades by exit reason\n\n");
    out.push_str("| exit reason | trades | won | lost | net PnL (USDT) |\n");
    out.push_str("|:--|--:|--:|--:|--:|\n");
    for (reason, tally) in &reasons {
        let _ = writeln!(out, "{}", tally.row(reason));
    }
    let _ = writeln!(out, "{}", all.row("all"));
    out
}
