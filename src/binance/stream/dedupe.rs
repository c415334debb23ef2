//! The user-data stream may deliver the same event twice. An exact
//! duplicate — the same raw text — among the last [`RECENT_EVENTS`] events
//! is dropped.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

/// How many recent texts the user stream remembers.
pub const RECENT_EVENTS: usize = 1024;

/// The last `capacity` distinct texts, oldest forgotten first.
#[derive(Debug)]
pub struct RecentTexts {
    capacity: usize,
    order: VecDeque<Arc<str>>,
    seen: HashSet<Arc<str>>,
}

impl RecentTexts {
    pub fn new(capacity: usize) -> RecentTexts {
        let capacity = capacity.max(1);
        RecentTexts {
            capacity,
            order: VecDeque::with_capacity(capacity),
            seen: HashSet::with_capacity(capacity),
        }
    }

    /// True the first time `text` is seen among the remembered ones (and
    /// remembers it); false for a duplicate.
    pub fn first_time(&mut self, text: &str) -> bool {
        if self.seen.contains(text) {
            return false;
        }
        if self.order.len() == self.capacity
            && let Some(oldest) = self.order.pop_front()
        {
            self.seen.remove(&oldest);
        }
        let text: Arc<str> = Arc::from(text);
        self.order.push_back(text.clone());
        self.seen.insert(text);
        true
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

impl Default for RecentTexts {
    fn default() -> Self {
        RecentTexts::new(RECENT_EVENTS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exact_duplicate_is_dropped_a_different_text_is_not() {
        let mut r = RecentTexts::default();
        let a = r#"{"e":"ORDER_TRADE_UPDATE","E":1,"o":{"c":"x"}}"#;
        assert!(r.first_time(a));
        assert!(!r.first_time(a));
        assert!(r.first_time(&a.replace("\"E\":1", "\"E\":2")));
        assert_eq!(r.len(), 2);
    }

    #[test]
    fn it_remembers_the_last_capacity_texts_only() {
        let mut r = RecentTexts::new(3);
        for t in ["a", "b", "c"] {
            assert!(r.first_time(t));
        }
        assert!(!r.first_time("a"), "still remembered");
        assert!(r.first_time("d"), "pushes out a");
        assert_eq!(r.len(), 3);
        assert!(r.first_time("a"), "a was forgotten");
        assert!(!r.first_time("d"));
        assert!(r.first_time("b"), "b was forgotten when a came back");
    }

    #[test]
    fn a_thousand_distinct_events_then_their_replay() {
        let mut r = RecentTexts::default();
        let texts: Vec<String> = (0..RECENT_EVENTS)
            .map(|i| format!("{{\"E\":{i}}}"))
            .collect();
        assert!(texts.iter().all(|t| r.first_time(t)));
        assert!(texts.iter().all(|t| !r.first_time(t)), "all duplicates");
        assert!(!r.is_empty());
    }
}
