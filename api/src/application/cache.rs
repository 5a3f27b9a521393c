//! Aggregates kept in memory between commands, so that a command's cost does not grow with its
//! stream's history: a command decides on the state this process last knew of a stream and
//! appends with that revision. The store's expected-revision check is what keeps this safe: if
//! another process (an API replica, `yika staff add`) moved the stream since, the append is a
//! conflict, the stream is forgotten here, and the command runs again on what the log says. A
//! refusal is never given on remembered state alone: a refused command is decided once more on
//! state read from the log (see `App::execute`).

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use yika_domain::{Aggregate, Event};

/// The most streams remembered; beyond it the memory starts afresh.
const MAX_STREAMS: usize = 200_000;

/// A snapshot of a long stream is kept each time it passes a multiple of this many events, so
/// that the first load after a start reads at most about this many (decision 0034).
pub(crate) const SNAPSHOT_EVERY: u64 = 1_000;

/// A state's snapshot, to be written off the request's path: its kind and its text.
pub(crate) type Snapshotter = Box<dyn FnOnce() -> Option<(&'static str, String)> + Send>;

/// A snapshot of `state` to write later (`None` when its aggregate keeps none).
pub(crate) fn snapshotter<A: Aggregate + Send + Sync + 'static>(
    state: &Arc<A>,
) -> Option<Snapshotter> {
    let kind = A::SNAPSHOT?;
    let state = state.clone();
    Some(Box::new(move || state.snapshot().map(|text| (kind, text))))
}

/// A remembered aggregate, its type erased, that can take the events appended after it.
trait State: Send + Sync {
    fn apply(&mut self, events: &[Event]);
    fn as_any(&self) -> &dyn Any;
    fn snapshotter(&self) -> Option<Snapshotter>;
}

impl<A: Aggregate + Clone + Send + Sync + 'static> State for Arc<A> {
    fn apply(&mut self, events: &[Event]) {
        // The command that loaded this state has finished with it, so this rarely copies.
        let state = Arc::make_mut(self);
        for event in events {
            state.apply(event);
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn snapshotter(&self) -> Option<Snapshotter> {
        snapshotter(self)
    }
}

struct Entry {
    revision: u64,
    state: Box<dyn State>,
}

/// Streams' aggregates as this process last knew them.
#[derive(Default)]
pub(crate) struct Aggregates {
    streams: Mutex<HashMap<String, Entry>>,
}

impl Aggregates {
    /// The remembered state of `stream` as an `A`, with its revision.
    pub(crate) fn get<A: Aggregate + Clone + Send + Sync + 'static>(
        &self,
        stream: &str,
    ) -> Option<(Arc<A>, u64)> {
        let streams = self.streams.lock().expect("never poisoned");
        let entry = streams.get(stream)?;
        let state = entry.state.as_any().downcast_ref::<Arc<A>>()?;
        Some((state.clone(), entry.revision))
    }

    /// Remembers `state` of `stream` at `revision` (unless a newer one is known).
    pub(crate) fn put<A: Aggregate + Clone + Send + Sync + 'static>(
        &self,
        stream: &str,
        state: Arc<A>,
        revision: u64,
    ) {
        let mut streams = self.streams.lock().expect("never poisoned");
        if streams.len() >= MAX_STREAMS {
            streams.clear();
        }
        match streams.get(stream) {
            Some(known) if known.revision > revision => {}
            _ => {
                streams.insert(
                    stream.to_owned(),
                    Entry {
                        revision,
                        state: Box::new(state),
                    },
                );
            }
        }
    }

    /// `events` were appended to `stream` after `revision`: the remembered state moves on with
    /// them if it was at `revision`, and is forgotten otherwise. When the stream passed a
    /// multiple of [`SNAPSHOT_EVERY`], the new state's snapshot to keep, with its revision.
    pub(crate) fn appended(
        &self,
        stream: &str,
        revision: u64,
        events: &[Event],
    ) -> Option<(u64, Snapshotter)> {
        let mut streams = self.streams.lock().expect("never poisoned");
        match streams.get_mut(stream) {
            Some(entry) if entry.revision == revision => {
                entry.state.apply(events);
                entry.revision += events.len() as u64;
                (entry.revision / SNAPSHOT_EVERY > revision / SNAPSHOT_EVERY)
                    .then(|| entry.state.snapshotter())
                    .flatten()
                    .map(|write| (entry.revision, write))
            }
            Some(_) => {
                streams.remove(stream);
                None
            }
            None => None,
        }
    }

    /// Forgets `stream` (another writer moved it).
    pub(crate) fn forget(&self, stream: &str) {
        self.streams.lock().expect("never poisoned").remove(stream);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yika_domain::{AccountId, Card};

    fn assigned(account: u128) -> Event {
        Event::CardAssigned {
            card_no: "C1".to_owned(),
            account_id: AccountId(uuid::Uuid::from_u128(account)),
        }
    }

    #[test]
    fn a_remembered_state_moves_on_with_its_own_appends_and_is_forgotten_when_out_of_step() {
        // Goal: the memory follows the appends made at the revision it holds, forgets a stream
        // whose append was made at another revision, and never goes back to an older state.
        let aggregates = Aggregates::default();
        aggregates.put("card-C1", Arc::new(Card::default()), 0);
        aggregates.appended("card-C1", 0, &[assigned(1)]);
        let (card, revision) = aggregates.get::<Card>("card-C1").expect("remembered");
        assert_eq!(revision, 1);
        assert_eq!(card.holder, Some(AccountId(uuid::Uuid::from_u128(1))));

        aggregates.put("card-C1", Arc::new(Card::default()), 0);
        assert_eq!(aggregates.get::<Card>("card-C1").expect("kept").1, 1);

        aggregates.appended("card-C1", 5, &[assigned(2)]);
        assert!(aggregates.get::<Card>("card-C1").is_none());
        assert!(aggregates.get::<yika_domain::Account>("card-C1").is_none());
    }
}
