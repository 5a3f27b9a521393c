//! A given/when/then harness for aggregates:
//!
//! ```
//! use yika_domain::testing::given;
//! use yika_domain::{Account, AccountCommand, DomainError};
//! given::<Account>([]).when(AccountCommand::Close).then_err(DomainError::AccountNotFound);
//! ```

use crate::aggregate::Aggregate;
use crate::{DomainError, Event};

/// An aggregate rebuilt from past events, waiting for a command.
pub struct Given<A: Aggregate> {
    state: A,
}

/// The result of deciding one command.
pub struct Then<A: Aggregate> {
    state: A,
    result: Result<Vec<Event>, DomainError>,
}

/// Starts a scenario from the events already in the stream.
pub fn given<A: Aggregate>(events: impl IntoIterator<Item = Event>) -> Given<A> {
    let mut state = A::default();
    for event in events {
        state.apply(&event);
    }
    Given { state }
}

impl<A: Aggregate> Given<A> {
    /// Decides a command against the given state.
    pub fn when(self, command: A::Command) -> Then<A> {
        let result = self.state.decide(&command);
        Then {
            state: self.state,
            result,
        }
    }

    /// The rebuilt state, for assertions on it.
    pub fn state(&self) -> &A {
        &self.state
    }
}

impl<A: Aggregate> Then<A> {
    /// Asserts the command produced exactly these events; returns the state after them.
    #[track_caller]
    pub fn then(self, expected: impl IntoIterator<Item = Event>) -> A {
        let expected: Vec<Event> = expected.into_iter().collect();
        match self.result {
            Ok(events) => {
                assert_eq!(
                    events, expected,
                    "the command produced other events than expected"
                );
                let mut state = self.state;
                for event in &events {
                    state.apply(event);
                }
                state
            }
            Err(error) => {
                panic!("expected events {expected:?}, but the command was refused: {error}")
            }
        }
    }

    /// Asserts the command was accepted; returns the events it decided.
    #[track_caller]
    pub fn then_events(self) -> Vec<Event> {
        match self.result {
            Ok(events) => events,
            Err(error) => panic!("expected events, but the command was refused: {error}"),
        }
    }

    /// Asserts the command was refused with exactly this error.
    #[track_caller]
    pub fn then_err(self, expected: DomainError) {
        match self.result {
            Ok(events) => {
                panic!("expected refusal {expected:?}, but the command produced {events:?}")
            }
            Err(error) => assert_eq!(
                error, expected,
                "the command was refused for another reason"
            ),
        }
    }
}
