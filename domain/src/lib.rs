//! Yika's domain: the hospital prepaid-card and inpatient-deposit ledger as pure functions.
//!
//! Nothing here performs IO, awaits, reads a clock or talks to a database. Time, ids and the
//! acting staff member are passed in by the application layer, so that every rule can be tested
//! by feeding events and a command and looking at the events (or the error) that come out.
//!
//! The shape follows the decide/evolve pattern: an aggregate is rebuilt by [`Aggregate::apply`]
//! from the events of its stream, and [`Aggregate::decide`] turns a command into new events or a
//! [`DomainError`] naming the business rule that refused it.

#![deny(unsafe_code)]

pub mod account;
pub mod actor;
pub mod aggregate;
pub mod card;
pub mod cashier;
pub mod day;
pub mod error;
pub mod event;
pub mod execution;
pub mod ids;
pub mod insurance;
pub mod money;
pub mod postings;
pub mod reconciliation;
pub mod shift;
pub mod staff;
pub mod testing;
pub mod text;
pub mod window;
pub mod workload;

pub use account::{Account, AccountCommand, DischargeSplit};
pub use actor::Actor;
pub use aggregate::Aggregate;
pub use card::{Card, CardCommand};
pub use cashier::{Cashier, CashierCommand};
pub use day::{Day, DayReport};
pub use error::DomainError;
pub use event::{
    AccountKind, ClaimNote, Direction, Event, EventDecodeError, InsuranceScheme, MatchRule,
    Metadata, PaymentMatch, PaymentMethod, ReversalReason, Role, StatementLine, VarianceResolution,
};
pub use ids::{AccountId, DeductionId, ShiftId, StaffId};
pub use money::{Amount, Money, MoneyError};
pub use postings::{LedgerAccount, Posting, postings};
pub use shift::{Shift, ShiftCommand, ShiftContext};
pub use staff::{Staff, StaffCommand};
pub use workload::{
    BusinessType, Coefficients, CoefficientsCommand, Quality, RecordQualityDeduction,
};
