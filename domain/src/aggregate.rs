//! The decide/evolve contract every aggregate follows.

use crate::{DomainError, Event};

/// A consistency boundary rebuilt from the events of one stream.
///
/// `apply` must accept every event that `decide` can produce for this aggregate; events of other
/// families are ignored, so a projection-style fold over a mixed list is harmless.
pub trait Aggregate: Default {
    /// What a caller asks this aggregate to do.
    type Command;

    /// Evolves the state by one event that has already happened.
    fn apply(&mut self, event: &Event);

    /// Decides, without side effects, which events a command produces, or which rule refuses it.
    fn decide(&self, command: &Self::Command) -> Result<Vec<Event>, DomainError>;

    /// The name and version of this aggregate's snapshot form, for aggregates whose streams
    /// grow long (an account's deductions, a shift's receipts); `None` for the others. A state
    /// kept under another kind (an older release's) is not used.
    const SNAPSHOT: Option<&'static str> = None;

    /// The state as a snapshot (`None`: this aggregate keeps none).
    fn snapshot(&self) -> Option<String> {
        None
    }

    /// The state a snapshot of kind [`Aggregate::SNAPSHOT`] holds (`None`: unreadable).
    fn restore(snapshot: &str) -> Option<Self> {
        let _ = snapshot;
        None
    }

    /// Rebuilds the state from a stream's events, oldest first.
    fn from_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> Self {
        let mut state = Self::default();
        for event in events {
            state.apply(event);
        }
        state
    }
}

/// The one event of a decision that decides exactly one.
pub(crate) fn single(mut events: Vec<Event>) -> Event {
    assert_eq!(events.len(), 1, "this decision decides exactly one event");
    events.pop().expect("one event")
}

/// Declares an aggregate's snapshot form: its kind (a name, a version bumped whenever the
/// state's fields or its `apply` change, and the crate's version) and its JSON.
macro_rules! snapshot_as_json {
    ($kind:literal) => {
        const SNAPSHOT: Option<&'static str> = Some(concat!($kind, "@", env!("CARGO_PKG_VERSION")));

        fn snapshot(&self) -> Option<String> {
            serde_json::to_string(self).ok()
        }

        fn restore(snapshot: &str) -> Option<Self> {
            serde_json::from_str(snapshot).ok()
        }
    };
}
pub(crate) use snapshot_as_json;
