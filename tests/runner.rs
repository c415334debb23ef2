//! The async runner over a real replay: operator commands are taken before
//! market data, notices arrive on their channel, snapshots on the watch.

use std::sync::Arc;

use cockpit::config::{Automation, Config};
use cockpit::domain::Mode;
use cockpit::engine::feed::{Feed, ReplayFeed, Speed};
use cockpit::engine::{Command, EngineChannels, Snapshot, run_engine};
use tokio::sync::{mpsc, watch};

mod common;

#[tokio::test(flavor = "current_thread")]
async fn an_arm_command_sent_before_the_replay_is_taken_before_any_candle() {
    let dir = tempfile::tempdir().unwrap();
    let head = common::head_of_btc_1h(dir.path(), 3000);

    let mut config = Config::default();
    config.engine.mode = Mode::Paper;
    config.engine.automation = Automation::Auto;
    config.engine.armed = false;
    let feed = ReplayFeed::open(&head, &config.market.symbols[0], Speed::Max).unwrap();
    config.market.interval = feed.interval;
    let runner =
        cockpit::session::build_runner(&config, "replay", i64::MAX / 4, None, &common::algo_only())
            .unwrap();

    let (command_tx, command_rx) = mpsc::channel(8);
    let (snapshot_tx, snapshot_rx) = watch::channel(Arc::new(Snapshot::default()));
    let (notice_tx, mut notice_rx) = mpsc::channel(10_000);
    command_tx.send(Command::Arm).await.unwrap();
    let runner = run_engine(
        runner,
        Feed::Replay(feed),
        Vec::new(),
        EngineChannels {
            commands: command_rx,
            snapshots: snapshot_tx,
            notices: Some(notice_tx),
        },
        || 0,
    )
    .await;

    let trades = runner.engine.trades();
    assert!(
        !trades.is_empty(),
        "armed before the first candle, so it traded"
    );
    let mut texts = Vec::new();
    while let Ok(n) = notice_rx.try_recv() {
        texts.push(n.text);
    }
    // Commands first: the arm is the engine's first word, before any candle's.
    assert!(texts[0].starts_with("arm:"), "{texts:?}");
    assert!(texts.iter().any(|t| t.contains("filled at")), "{texts:?}");
    let last = snapshot_rx.borrow().clone();
    assert_eq!(last.bars, 2999);
    assert!(last.armed);
}
