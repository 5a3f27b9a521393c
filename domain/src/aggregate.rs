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
