//! The progress bar on stderr: rows done out of rows expected, with an ETA.
//! indicatif draws nothing when stderr is not a terminal; the summary lines
//! are printed either way, by the caller.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Where bars are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressTarget {
    /// stderr, when it is a terminal.
    Stderr,
    /// Nowhere (tests, library callers).
    Hidden,
}

/// One phase's bar (the candles, then the funding rates).
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
}

/// The bar takes the width the terminal leaves.
const TEMPLATE: &str =
    "{prefix} [{elapsed_precise}] {wide_bar} {pos}/{len} {msg} ({percent}%, ETA {eta})";

impl Progress {
    /// `expected` rows; `what` names them ("bars", "funding rates").
    pub fn start(target: ProgressTarget, prefix: &str, expected: u64, what: &str) -> Progress {
        let draw = match target {
            ProgressTarget::Stderr => ProgressDrawTarget::stderr(),
            ProgressTarget::Hidden => ProgressDrawTarget::hidden(),
        };
        let style = ProgressStyle::with_template(TEMPLATE)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let bar = ProgressBar::with_draw_target(Some(expected), draw)
            .with_style(style)
            .with_prefix(prefix.to_string())
            .with_message(what.to_string());
        // Redrawn while a slow request (or a throttle wait) is under way.
        bar.enable_steady_tick(Duration::from_millis(500));
        Progress { bar }
    }

    /// Rows covered so far (gaps included, so that the ETA stays right).
    pub fn set(&self, done: u64) {
        let len = self.bar.length().unwrap_or(0);
        if done > len {
            self.bar.set_length(done);
        }
        self.bar.set_position(done);
    }

    pub fn position(&self) -> u64 {
        self.bar.position()
    }

    /// Removes the bar: the summary lines take its place.
    pub fn finish(self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hidden_bar_counts_and_grows_when_more_comes_than_expected() {
        let p = Progress::start(ProgressTarget::Hidden, "BTCUSDT", 10, "bars");
        p.set(4);
        assert_eq!(p.position(), 4);
        p.set(12);
        assert_eq!(p.position(), 12);
        assert_eq!(p.bar.length(), Some(12));
        p.finish();
    }

    #[test]
    fn the_template_is_valid() {
        assert!(ProgressStyle::with_template(TEMPLATE).is_ok());
    }
}
