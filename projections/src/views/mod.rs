//! The views, each a projector behind one trait, registered once in [`VIEWS`]: the order in
//! which they fold an event, the tables `yika verify` compares, and the events the live
//! subscriptions follow all come from that list.
//!
//! A projector is pure: it says which rows of the read store an event needs ([`Projector::needs`])
//! and folds the event into those rows in memory ([`Projector::fold`]). The runner applies a
//! batch of events at once: it loads the rows the batch needs in a few queries, folds every
//! event in log order, and writes each added or changed row once, in a few multi-row statements,
//! in the same transaction as the checkpoint ([`apply_batch`]). Folded without a database, the
//! same projectors are the in-memory replay that `yika verify` compares the views with.

mod audit;
mod balances;
mod days;
mod deductions;
mod journal;
mod movements;
pub mod rows;
mod shifts;
mod staff;
pub mod tables;
mod workload;

use yika_domain::{Event, Metadata};
use yika_store::RecordedEvent;
use yika_store::time::format_time;

use crate::ProjectionError;
use crate::sql::Backend;
pub use rows::{Keys, Rows};

/// One event as the projectors see it.
pub struct Applied<'a> {
    /// The event as stored.
    pub recorded: &'a RecordedEvent,
    /// The event, decoded.
    pub event: &'a Event,
    /// Its envelope.
    pub metadata: &'a Metadata,
    /// Its position, as the views store it.
    pub position: i64,
    /// Its recorded time, as the views store it.
    pub at: String,
}

impl<'a> Applied<'a> {
    /// `recorded`, decoded as `event` with `metadata`.
    #[must_use]
    pub fn new(recorded: &'a RecordedEvent, event: &'a Event, metadata: &'a Metadata) -> Self {
        Applied {
            recorded,
            event,
            metadata,
            position: i64::try_from(recorded.position).expect("positions fit in i64"),
            at: format_time(recorded.recorded_at),
        }
    }

    /// When its business happened, as the views store times: the business time a back-entry
    /// (补录) carries in its metadata, otherwise its recorded time.
    #[must_use]
    pub fn business_at(&self) -> String {
        if self.metadata.back_entry.is_some() {
            format_time(self.metadata.occurred_at)
        } else {
            self.at.clone()
        }
    }

    fn corrupt(&self, what: &str) -> ProjectionError {
        ProjectionError::Corrupt(format!(
            "{} at {}: {what}",
            self.recorded.event_type, self.recorded.position
        ))
    }
}

/// A view: the tables it owns, the events it listens to, and how an event changes its rows.
pub trait Projector: Sync {
    /// Its name, in logs.
    fn name(&self) -> &'static str;
    /// The tables it owns; `yika verify` compares each with a replay.
    fn tables(&self) -> &'static [&'static str];
    /// The event types that change its rows (`None`: every event). Only these are folded into
    /// it, and a live subscription that follows the view listens to them.
    fn events(&self) -> Option<&'static [&'static str]>;
    /// The rows of the read store that folding `applied` reads or changes.
    fn needs(&self, applied: &Applied<'_>, keys: &mut Keys) {
        let _ = (applied, keys);
    }
    /// Folds one event into the rows (no IO).
    fn fold(&self, rows: &mut Rows, applied: &Applied<'_>) -> Result<(), ProjectionError>;

    /// Whether events of this type change its rows.
    fn listens_to(&self, event_type: &str) -> bool {
        self.events()
            .is_none_or(|types| types.contains(&event_type))
    }
}

pub use audit::AuditIndex;
pub use balances::Balances;
pub use days::Days;
pub use deductions::Deductions;
pub use journal::Journal;
pub use movements::Movements;
pub use shifts::Shifts;
pub use staff::Staff;
pub use workload::Workload;

/// Every view, in the order an event is folded into them.
pub static VIEWS: [&dyn Projector; 9] = [
    &Staff,
    &Balances,
    &Deductions,
    &Shifts,
    &Movements,
    &Journal,
    &Workload,
    &Days,
    &AuditIndex,
];

/// Tables the runner keeps beside the views: the checkpoint, which a replay must reach too,
/// and so is compared like a view's.
pub const RUNNER_TABLES: [&str; 1] = ["checkpoints"];

/// Every table `yika verify` compares with a replay: the views' and the runner's.
pub fn compared_tables() -> impl Iterator<Item = &'static str> {
    VIEWS
        .iter()
        .flat_map(|view| view.tables().iter().copied())
        .chain(RUNNER_TABLES)
}

/// The rows a batch needs from the read store.
#[must_use]
pub fn needs(batch: &[Applied<'_>]) -> Keys {
    let mut keys = Keys::default();
    for applied in batch {
        for view in VIEWS {
            if view.listens_to(&applied.recorded.event_type) {
                view.needs(applied, &mut keys);
            }
        }
    }
    keys
}

/// Folds a batch into `rows`, event by event in log order, each into every view that listens
/// to it.
pub fn fold(rows: &mut Rows, batch: &[Applied<'_>]) -> Result<(), ProjectionError> {
    for applied in batch {
        for view in VIEWS {
            if view.listens_to(&applied.recorded.event_type) {
                view.fold(rows, applied)?;
            }
        }
    }
    Ok(())
}

/// Applies a batch to the read store: loads the rows it needs, folds it, writes what changed.
pub async fn apply_batch(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    batch: &[Applied<'_>],
) -> Result<(), ProjectionError> {
    let mut rows = Rows::default();
    rows.load(conn, backend, &needs(batch)).await?;
    fold(&mut rows, batch)?;
    rows.flush(conn, backend).await
}

/// The stable wire text of a domain enum ("OUTPATIENT_CARD").
pub(crate) fn enum_text<T: serde::Serialize>(value: &T) -> String {
    crate::views_enum(value)
}
