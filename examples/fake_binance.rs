//! Runs the test-only fake Binance USD-M Futures exchange on loopback, for
//! manual runs and the tmux test of `cockpit run --feed binance`.
//!
//! Prints one line `REST http://127.0.0.1:P WS ws://127.0.0.1:Q` and runs
//! until killed. Arguments: `--speed N` (virtual ms per wall ms, default 60:
//! a 1m candle every second) and `--symbols BTCUSDT,ETHUSDT`.

#[path = "../tests/fake_binance/mod.rs"]
mod fake_binance;

use std::io::Write;

use fake_binance::{FakeBinance, FakeConfig};

const USAGE: &str = "usage: fake_binance [--speed N] [--symbols BTCUSDT,ETHUSDT]";

fn fail(msg: &str) -> ! {
    eprintln!("fake_binance: {msg}\n{USAGE}");
    std::process::exit(2)
}

fn parse_args() -> FakeConfig {
    let mut config = FakeConfig {
        speed: 60.0,
        ..FakeConfig::default()
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--speed" => {
                config.speed = args
                    .next()
                    .and_then(|v| v.parse::<f64>().ok())
                    .filter(|s| *s > 0.0)
                    .unwrap_or_else(|| fail("--speed needs a positive number"));
            }
            "--symbols" => {
                let list = args
                    .next()
                    .unwrap_or_else(|| fail("--symbols needs a list such as BTCUSDT,ETHUSDT"));
                config.symbols = list
                    .split(',')
                    .map(|s| s.trim().to_ascii_uppercase())
                    .filter(|s| !s.is_empty())
                    .collect();
                if config.symbols.is_empty() {
                    fail("--symbols is empty");
                }
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => fail(&format!("unknown argument `{other}`")),
        }
    }
    config
}

#[tokio::main]
async fn main() {
    let config = parse_args();
    let fake = FakeBinance::start(config).await;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "REST {} WS {}", fake.rest_url(), fake.ws_url());
    let _ = out.flush();
    drop(out);
    std::future::pending::<()>().await;
}
