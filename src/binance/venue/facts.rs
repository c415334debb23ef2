//! The order in which the engine learns facts about the bot's orders.
//!
//! A reconciliation reads four REST views one after the other; an order
//! can fill, a stop can be placed or a fill can be reported between those
//! reads. A snapshot that arrives after the engine has applied a newer fact
//! would make it adopt, cancel or protect on stale data. So every report,
//! and every user-stream event the venue applies, bumps a generation under
//! one lock, and a snapshot is sent, under the same lock, only when the
//! generation has not moved since its reads began and no order request was
//! waiting for its answer (its outcome may already be in the snapshot but
//! not yet in the engine's book).

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Mutex, mpsc};

#[derive(Default)]
pub(crate) struct Facts {
    /// How many reports have gone to the engine.
    generation: Mutex<u64>,
    /// Order requests (placements, cancels) sent and not answered yet.
    in_flight: AtomicUsize,
}

/// Held while an order request awaits its answer; dropping it ends that.
pub(crate) struct InFlight<'a>(&'a Facts);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Facts {
    /// Marks an order request in flight until the guard is dropped.
    pub fn begin(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(self)
    }

    pub fn busy(&self) -> bool {
        self.in_flight.load(Ordering::SeqCst) > 0
    }

    pub async fn generation(&self) -> u64 {
        *self.generation.lock().await
    }

    /// Notes a fact the venue applied without reporting it (an order
    /// triggering, a position changing): a snapshot read meanwhile may
    /// already disagree with what the next reports will tell.
    pub async fn touch(&self) {
        *self.generation.lock().await += 1;
    }

    /// Sends a fact to the engine, after every fact sent before it.
    pub async fn send<T>(&self, tx: &mpsc::Sender<T>, item: T) {
        let mut generation = self.generation.lock().await;
        *generation += 1;
        let _ = tx.send(item).await;
    }

    /// Sends a snapshot whose reads began at generation `since`, unless a
    /// fact went out meanwhile or an order request is awaiting its answer:
    /// then it is stale and returned, to be read again.
    pub async fn send_if_current<T>(&self, since: u64, tx: &mpsc::Sender<T>, item: T) -> bool {
        let generation = self.generation.lock().await;
        if *generation != since || self.busy() {
            return false;
        }
        let _ = tx.send(item).await;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_snapshot_is_sent_only_when_nothing_happened_since_its_reads_began() {
        let facts = Facts::default();
        let (tx, mut rx) = mpsc::channel(8);
        let since = facts.generation().await;
        assert!(facts.send_if_current(since, &tx, "snapshot 1").await);
        facts.send(&tx, "fill").await;
        assert!(!facts.send_if_current(since, &tx, "stale").await);
        let since = facts.generation().await;
        facts.touch().await;
        assert!(!facts.send_if_current(since, &tx, "stale too").await);
        let since = facts.generation().await;
        let guard = facts.begin();
        assert!(facts.busy());
        assert!(!facts.send_if_current(since, &tx, "order in flight").await);
        drop(guard);
        assert!(!facts.busy());
        assert!(facts.send_if_current(since, &tx, "snapshot 2").await);
        let mut got = Vec::new();
        while let Ok(x) = rx.try_recv() {
            got.push(x);
        }
        assert_eq!(got, ["snapshot 1", "fill", "snapshot 2"]);
    }
}
