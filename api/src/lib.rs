//! Yika's API: the application layer, the GraphQL schema, the HTTP endpoint and the CLI.

#![deny(unsafe_code)]

pub mod app;
pub mod bench;
pub mod cli;
pub mod error;
pub mod graphql;
pub mod http;
pub mod metrics;
pub mod replay;
pub mod verify;

use std::path::Path;
use std::sync::Arc;

use yika_projections::{ProjectionRunner, ReadStore};
use yika_store::SqliteEventStore;

/// The event store file inside a data directory.
pub const EVENTS_FILE: &str = "events.db";
/// The read store file inside a data directory.
pub const READ_FILE: &str = "read.db";

/// The stores of a data directory, opened.
pub struct Stores {
    /// The event store (kept concrete so it can be closed cleanly).
    pub events: Arc<SqliteEventStore>,
    /// The read store.
    pub read: ReadStore,
}

/// Opens (creating) the data directory's stores.
pub async fn open_stores(data: &Path) -> anyhow_like::Result<Stores> {
    std::fs::create_dir_all(data)
        .map_err(|e| format!("cannot create data directory {}: {e}", data.display()))?;
    let events = SqliteEventStore::open(&data.join(EVENTS_FILE))
        .await
        .map_err(|e| format!("event store: {e}"))?;
    let read = ReadStore::open(&data.join(READ_FILE))
        .await
        .map_err(|e| format!("read store: {e}"))?;
    Ok(Stores {
        events: Arc::new(events),
        read,
    })
}

/// The application over opened stores, with its projection runner (not yet running).
#[must_use]
pub fn application(stores: &Stores) -> (app::App, ProjectionRunner) {
    let store: Arc<dyn yika_store::EventStore> = stores.events.clone();
    let runner = ProjectionRunner::new(store.clone(), stores.read.clone());
    (app::App::new(store, stores.read.clone()), runner)
}

/// Plain string errors for the CLI's top level.
pub mod anyhow_like {
    /// A CLI-level result with a human-readable error.
    pub type Result<T> = std::result::Result<T, String>;
}
