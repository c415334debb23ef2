//! The `--status-file` picture: the snapshot as JSON, without the chart history.

use serde_json::{Value, json};

use crate::domain::time::format_utc;
use crate::engine::{FeedState, Snapshot};

pub fn status_json(s: &Snapshot) -> Value {
    json!({
        "at_ms": s.at_ms,
        "at": format_utc(s.at_ms),
        "mode": s.mode.label(),
        "automation": format!("{:?}", s.automation).to_lowercase(),
        "armed": s.armed,
        "trading_state": s.trading_state.to_string(),
        "feed": {
            "source": s.feed.source,
            "state": match s.feed.state {
                FeedState::Connecting => "connecting",
                FeedState::Connected => "connected",
                FeedState::Reconnecting => "reconnecting",
                FeedState::Stale => "stale",
            },
            "last_update_ms": s.feed.last_update_ms,
        },
        "equity": {
            "wallet": s.account.wallet,
            "unrealized": s.account.unrealized,
            "equity": s.account.equity,
            "day_pnl": s.account.day_pnl,
        },
        "risk": s.risk,
        "daily_loss_limit": s.daily_loss_limit,
        "ai": s.confirmer,
        "ai_detail": s.ai_detail,
        "drift": s.drift.as_ref().map(|d| json!({
            "score": d.score,
            "limit": d.limit,
            "over": d.over(),
            "filled": d.filled,
            "window": d.window,
            "most_moved": d.most_moved(3).iter().map(|(name, psi)| json!({
                "feature": name,
                "psi": psi,
            })).collect::<Vec<_>>(),
        })),
        "bars": s.bars,
        "trades_closed": s.trades_closed,
        "tally": {
            "proposals": s.tally.proposals,
            "confirmed": s.tally.confirmed,
            "vetoed": s.tally.vetoed,
            "abstained": s.tally.abstained,
            "unjudged": s.tally.unjudged,
        },
        "symbols": s.symbols.iter().map(|sym| {
            let last = sym.history.last();
            json!({
                "symbol": sym.symbol.as_str(),
                "interval": sym.interval.to_string(),
                "last_candle": last.map(|p| json!({
                    "open_time_ms": p.bar.open_time_ms,
                    "open": p.bar.open, "high": p.bar.high, "low": p.bar.low,
                    "close": p.bar.close, "volume": p.bar.volume,
                })),
                "indicators": sym.latest,
                "position": sym.position.as_ref().map(|p| json!({
                    "side": p.position.side,
                    "qty": p.position.qty,
                    "entry_price": p.position.entry_price,
                    "mark": p.mark,
                    "unrealized": p.unrealized,
                    "stop": p.stop,
                    "stop_confirmed": p.stop_confirmed,
                    "take_profit": p.take_profit,
                    "take_profit_confirmed": p.take_profit_confirmed,
                    "liquidation": p.liquidation,
                })),
            })
        }).collect::<Vec<_>>(),
        "open_orders": s.open_orders.iter().map(|o| json!({
            "id": o.request.id.as_str(),
            "symbol": o.request.symbol.as_str(),
            "side": o.request.side,
            "leg": o.request.leg,
            "kind": o.request.kind,
            "qty": o.request.qty,
            "state": o.state.label(),
        })).collect::<Vec<_>>(),
        "approvals": s.approvals.iter().map(|d| json!({
            "id": d.id,
            "side": d.proposal.side,
            "deadline_ms": d.deadline_ms,
        })).collect::<Vec<_>>(),
        "latency": s.latency.iter().map(|l| json!({
            "stage": l.stage.label(),
            "unit": l.stage.unit(),
            "p50": l.p50,
            "p99": l.p99,
            "last": l.last,
            "samples": l.samples,
        })).collect::<Vec<_>>(),
    })
}
