//! The last events this process committed, kept in memory: the projection runner (and any reader
//! of the log's tail) reads them without a query. Only committed events are kept, in position
//! order, contiguous; anything that breaks the run (an import, another process's appends, a
//! failed commit) starts it afresh, and a read it cannot answer goes to the database.
//!
//! The writer holds the memory locked from before its commit until the committed events are in
//! it, and a read that finds it locked goes to the database: so a read answered from memory
//! holds everything this process has committed, and reads never go backwards. Another process
//! may commit too (`yika staff add` beside a server): `read_all` answers from memory only a read
//! that memory fills whole; `read_recent` answers what memory holds, for a reader that also
//! reads the log in full now and then.

use std::collections::VecDeque;

use tokio::sync::{Mutex, MutexGuard};

use crate::RecordedEvent;

/// The most events kept.
const CAPACITY: usize = 20_000;

/// Recently committed events.
#[derive(Default)]
pub(crate) struct Recent {
    events: Mutex<VecDeque<RecordedEvent>>,
}

/// The memory, locked by the writer around a commit.
pub(crate) struct Committing<'a>(MutexGuard<'a, VecDeque<RecordedEvent>>);

impl Committing<'_> {
    /// Keeps `committed`, which continue the log from the last event kept (or start a new run).
    pub(crate) fn push(&mut self, committed: &[RecordedEvent]) {
        let Some(first) = committed.first() else {
            return;
        };
        let events = &mut self.0;
        if events
            .back()
            .is_some_and(|last| last.position + 1 != first.position)
        {
            events.clear();
        }
        events.extend(committed.iter().cloned());
        let excess = events.len().saturating_sub(CAPACITY);
        events.drain(..excess);
    }

    /// Forgets everything.
    pub(crate) fn clear(&mut self) {
        self.0.clear();
    }
}

impl Recent {
    /// Locks the memory for a commit: reads go to the database until the guard is dropped.
    pub(crate) async fn committing(&self) -> Committing<'_> {
        Committing(self.events.lock().await)
    }

    /// Up to `max` events after `after_position`, if the first of them is kept and no commit is
    /// in flight: `None` when the database must answer.
    pub(crate) fn read(&self, after_position: u64, max: usize) -> Option<Vec<RecordedEvent>> {
        let events = self.events.try_lock().ok()?;
        let first = events.front()?.position;
        let last = events.back()?.position;
        if after_position + 1 < first || after_position >= last {
            return None;
        }
        let start = usize::try_from(after_position + 1 - first).ok()?;
        Some(events.iter().skip(start).take(max).cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(position: u64) -> RecordedEvent {
        RecordedEvent {
            position,
            event_id: uuid::Uuid::from_u128(u128::from(position)),
            stream_id: "s".to_owned(),
            revision: position,
            event_type: "TestEvent".to_owned(),
            schema_version: 1,
            payload: "{}".to_owned(),
            metadata: "{}".to_owned(),
            recorded_at: chrono::Utc::now(),
            hash: String::new(),
        }
    }

    #[tokio::test]
    async fn it_answers_only_reads_it_holds_and_starts_afresh_on_a_gap() {
        // Goal: a read is answered from memory only from an event kept on, never during a
        // commit; the end of the run, and events before it, go to the database.
        let recent = Recent::default();
        assert!(recent.read(0, 10).is_none());
        recent
            .committing()
            .await
            .push(&[event(5), event(6), event(7)]);
        let positions = |r: Option<Vec<RecordedEvent>>| {
            r.map(|events| events.iter().map(|e| e.position).collect::<Vec<_>>())
        };
        assert_eq!(positions(recent.read(5, 10)), Some(vec![6, 7]));
        assert_eq!(positions(recent.read(4, 2)), Some(vec![5, 6]));
        assert_eq!(positions(recent.read(3, 10)), None, "event 4 is not kept");
        assert_eq!(
            positions(recent.read(7, 10)),
            None,
            "after the run: ask the database"
        );
        let mut committing = recent.committing().await;
        assert!(recent.read(5, 10).is_none(), "a commit is in flight");
        committing.push(&[event(9)]);
        drop(committing);
        assert_eq!(positions(recent.read(5, 10)), None, "a gap starts afresh");
        assert_eq!(positions(recent.read(8, 10)), Some(vec![9]));
        recent.committing().await.push(&[event(10)]);
        assert_eq!(positions(recent.read(9, 10)), Some(vec![10]));
    }
}
