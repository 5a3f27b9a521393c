//! Yika's CQRS views: projectors that turn events into rows, the runner that applies the log
//! to them (catch-up from the checkpoint, then the live tail, rows and checkpoint in one
//! transaction), and the read-store queries the API serves from.
//!
//! Views never decide anything; commands never read views to decide.

#![deny(unsafe_code)]

pub mod memory;
pub mod read;
pub mod reports;
pub mod runner;
pub mod sample;
pub mod sql;
mod sqlite_writer;
pub mod verify;
pub mod views;

pub use read::{
    AccountFilter, AccountRow, CashCountRow, DeductionRow, MethodTotals, Page, ReadStore,
    ShiftFilter, ShiftRow, StaffRow,
};
pub use runner::ProjectionRunner;

/// Why a projection or a read failed.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    /// The read store failed.
    #[error("read store error: {0}")]
    Database(#[from] sqlx::Error),
    /// The SQLite read store's writer failed.
    #[error("read store error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Migrations failed.
    #[error("read store migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The event store failed.
    #[error(transparent)]
    Store(#[from] yika_store::StoreError),
    /// A stored event could not be decoded.
    #[error(transparent)]
    Decode(#[from] yika_domain::EventDecodeError),
    /// A view row is not what a projector wrote.
    #[error("corrupt view: {0}")]
    Corrupt(String),
    /// The log no longer holds, at the views' checkpoint, the event the views applied there:
    /// the views were built from another log, or this one lost or rewrote events. Nothing more
    /// may be applied to these views.
    #[error("{0}")]
    ForeignLog(String),
}

/// The stable wire text of a domain enum ("OUTPATIENT_CARD").
pub(crate) fn views_enum<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text,
        other => panic!("enum serializes to a string, got {other:?}"),
    }
}
