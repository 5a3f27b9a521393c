//! Yika's event store: the [`EventStore`] port and its backends: embedded SQLite, PostgreSQL
//! and KurrentDB/EventStoreDB (feature `kurrentdb`, on by default).
//!
//! Guarantees every backend gives (the conformance tests in `tests/` check them):
//! - an append is atomic across all the streams it writes or guards, and each stream's expected
//!   revision is checked inside the same transaction ([`StoreError::Conflict`] otherwise);
//! - an append is idempotent by its events' ids and, when it carries one, by its command's
//!   idempotency key ([`AppendOutcome::AlreadyCommitted`], or [`StoreError::IdempotencyMismatch`]);
//! - global positions are dense and assigned in commit order: a reader never sees a gap that
//!   fills later;
//! - every event carries a SHA-256 hash over the previous event's hash and its own canonical
//!   bytes ([`hash::event_hash`]), so altering or removing one breaks the chain at that position.

#![deny(unsafe_code)]

pub mod hash;
#[cfg(feature = "kurrentdb")]
pub mod kurrent;
mod plan;
pub mod postgres;
mod recent;
pub mod sqlite;
mod sqlite_read;
pub mod time;
mod writer;

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use uuid::Uuid;

#[cfg(feature = "kurrentdb")]
pub use kurrent::KurrentEventStore;
pub use postgres::PostgresEventStore;
pub use sqlite::SqliteEventStore;
pub use time::Clock;

/// The most events one append may carry.
pub const MAX_EVENTS_PER_APPEND: usize = 1_000;
/// The most events one read returns.
pub const MAX_READ_BATCH: usize = 10_000;

/// What the writer expects a stream's revision (its number of events) to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpectedRevision {
    /// No check.
    Any,
    /// The stream must be empty.
    NoStream,
    /// The stream must hold exactly this many events.
    Exact(u64),
}

impl ExpectedRevision {
    /// The expectation for a stream loaded at `revision` (0 = empty).
    #[must_use]
    pub fn at(revision: u64) -> ExpectedRevision {
        if revision == 0 {
            ExpectedRevision::NoStream
        } else {
            ExpectedRevision::Exact(revision)
        }
    }

    pub(crate) fn admits(self, actual: u64) -> bool {
        match self {
            ExpectedRevision::Any => true,
            ExpectedRevision::NoStream => actual == 0,
            ExpectedRevision::Exact(n) => actual == n,
        }
    }
}

/// An event to append.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvent {
    /// Its id (UUID v7). Appending an id that is already stored returns the first result.
    pub event_id: Uuid,
    /// Stable type name.
    pub event_type: String,
    /// Payload schema version.
    pub schema_version: u16,
    /// The payload as JSON text.
    pub payload: String,
    /// The envelope's metadata as JSON text (actor, correlation, business time, ...).
    pub metadata: String,
}

/// Events for one stream, or a pure guard (no events) that the stream is still at a revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamWrite {
    /// The stream.
    pub stream_id: String,
    /// What its revision must be when the append commits.
    pub expected: ExpectedRevision,
    /// Events to add to it, possibly none.
    pub events: Vec<NewEvent>,
}

/// A command's idempotency key and the fingerprint of its input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyClaim {
    /// The key, namespaced by the caller (e.g. "deposit:K1").
    pub key: String,
    /// A digest of the command input; another input under the same key is refused.
    pub fingerprint: String,
}

/// One atomic append.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppendRequest {
    /// The streams written or guarded, atomically.
    pub writes: Vec<StreamWrite>,
    /// The command's idempotency key, if any.
    pub idempotency: Option<IdempotencyClaim>,
}

impl AppendRequest {
    /// The events of every write, in append order.
    pub fn events(&self) -> impl Iterator<Item = &NewEvent> {
        self.writes.iter().flat_map(|w| w.events.iter())
    }
}

/// The result of an append that did not fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppendOutcome {
    /// The events were written at these positions, recorded at this time (one time for the
    /// whole append, as stored: whole microseconds).
    Committed {
        first_position: u64,
        last_position: u64,
        recorded_at: DateTime<Utc>,
    },
    /// The same append (same event ids, or same idempotency key and input) had already been
    /// committed at these positions; nothing new was written.
    AlreadyCommitted {
        first_position: u64,
        last_position: u64,
    },
}

impl AppendOutcome {
    /// The positions of the events (new or earlier).
    #[must_use]
    pub fn positions(self) -> (u64, u64) {
        match self {
            AppendOutcome::Committed {
                first_position,
                last_position,
                ..
            }
            | AppendOutcome::AlreadyCommitted {
                first_position,
                last_position,
            } => (first_position, last_position),
        }
    }
}

/// An event as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedEvent {
    /// Global position, from 1, dense.
    pub position: u64,
    /// Its id.
    pub event_id: Uuid,
    /// Its stream.
    pub stream_id: String,
    /// Its revision in the stream, from 1.
    pub revision: u64,
    /// Stable type name.
    pub event_type: String,
    /// Payload schema version.
    pub schema_version: u16,
    /// JSON payload.
    pub payload: String,
    /// JSON metadata.
    pub metadata: String,
    /// When the store committed it.
    pub recorded_at: DateTime<Utc>,
    /// Hex SHA-256 of the chain at this event.
    pub hash: String,
}

/// An aggregate's state as of one revision of its stream, kept beside the log so that loading
/// a long stream reads only the events after it. Derived from the log and replaceable: not
/// part of the hash chain, never copied by [`EventStore::import`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// The stream.
    pub stream_id: String,
    /// The state's form and version (an aggregate ignores a kind it does not write).
    pub kind: String,
    /// The revision the state is as of (from 1).
    pub revision: u64,
    /// The log's hash at that revision: a snapshot that does not match the log is not used.
    pub hash: String,
    /// The state, as the aggregate writes it.
    pub state: String,
}

/// The most bytes one snapshot's state may hold.
pub const MAX_SNAPSHOT_BYTES: usize = 64 * 1024 * 1024;

/// Why an append or a read failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A stream was not at the expected revision: someone else wrote first. Reload and retry.
    #[error("stream {stream_id} is at revision {actual}, expected {expected:?}")]
    Conflict {
        stream_id: String,
        expected: ExpectedRevision,
        actual: u64,
    },
    /// The idempotency key was used before for another input.
    #[error("idempotency key {key} was already used for a different request")]
    IdempotencyMismatch { key: String },
    /// Some, but not all, of the append's event ids are already stored: a caller bug.
    #[error("event ids of this append partly exist already: {0}")]
    PartialDuplicate(Uuid),
    /// The request breaks a limit (too many events, empty append).
    #[error("invalid append: {0}")]
    Invalid(&'static str),
    /// The stored data is not what Yika wrote (unreadable row).
    #[error("corrupt event store: {0}")]
    Corrupt(String),
    /// The group commit failed (disk full, lock timeout, I/O error); nothing of it was written.
    #[error("commit failed, nothing was written: {0}")]
    CommitFailed(String),
    /// The store's server could not be reached or did not answer in time. An append in flight
    /// may or may not have been committed: retry it with the same event ids (the same
    /// idempotency key), which the store deduplicates.
    #[error("event store unavailable: {0}")]
    Unavailable(String),
    /// A read of the log failed in the database (an I/O error, a lock held too long).
    #[error("reading the log failed: {0}")]
    ReadFailed(String),
    /// The writer has stopped (the store is closing).
    #[error("the event store is closed")]
    Closed,
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Migrations failed.
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// The event store port. Every backend gives the guarantees listed in the crate docs.
#[async_trait::async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// Appends atomically, checking every stream's expected revision.
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError>;

    /// Up to `max` events of a stream with revision greater than `after_revision`, in order.
    async fn read_stream(
        &self,
        stream_id: &str,
        after_revision: u64,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// Up to `max` events with position greater than `after_position`, in order.
    async fn read_all(
        &self,
        after_position: u64,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// Up to `max` events after `after_position` that this process committed last, kept in
    /// memory (`None` when it keeps none from there): a prefix of what [`EventStore::read_all`]
    /// returns, possibly shorter (another process's later appends are not in it). For a reader
    /// that follows this process's own appends and reads the log in full now and then.
    async fn read_recent(
        &self,
        after_position: u64,
        max: usize,
    ) -> Result<Option<Vec<RecordedEvent>>, StoreError> {
        let _ = (after_position, max);
        Ok(None)
    }

    /// The snapshot kept of `stream_id`, if this backend keeps snapshots and has one.
    async fn read_snapshot(&self, stream_id: &str) -> Result<Option<Snapshot>, StoreError> {
        let _ = stream_id;
        Ok(None)
    }

    /// Keeps `snapshot` in place of an older one of its stream (a newer one already kept
    /// stays). Backends without snapshots keep nothing.
    async fn write_snapshot(&self, snapshot: Snapshot) -> Result<(), StoreError> {
        let _ = snapshot;
        Ok(())
    }

    /// Up to `max` kept snapshots of streams named after `after_stream`, in stream order (for
    /// `yika verify`, which compares each with the log).
    async fn snapshots(&self, after_stream: &str, max: usize) -> Result<Vec<Snapshot>, StoreError> {
        let _ = (after_stream, max);
        Ok(Vec::new())
    }

    /// The event with this id, if stored.
    async fn find_event(&self, event_id: Uuid) -> Result<Option<RecordedEvent>, StoreError>;

    /// The claim stored under an idempotency key: `(fingerprint, first_position, last_position)`.
    async fn idempotency_claim(&self, key: &str) -> Result<Option<(String, u64, u64)>, StoreError>;

    /// The idempotency claims stored at positions `after + 1 ..= until`, as
    /// `(first_position, key, fingerprint, last_position)` in position order; `None` when this
    /// backend keeps its claims elsewhere (they are then not compared by `yika verify`).
    async fn idempotency_columns(
        &self,
        _after: u64,
        _until: u64,
    ) -> Result<Option<Vec<(u64, String, String, u64)>>, StoreError> {
        Ok(None)
    }

    /// The position of the last committed event (0 when empty), as of now.
    async fn head_position(&self) -> Result<u64, StoreError>;

    /// A signal that carries the last position this process committed; live readers wait on it.
    /// Appends by other processes are seen by polling [`EventStore::head_position`].
    fn subscribe(&self) -> watch::Receiver<u64>;

    /// Writes already-recorded events verbatim (positions, ids, revisions, recorded times and
    /// hashes): a copy of another log's prefix, for as-of replays and for moving a ledger
    /// between backends. The first event must sit at the tail + 1, positions must be dense and
    /// each hash must chain from the one before ([`hash::check_continuation`]); otherwise
    /// nothing is written. At most [`MAX_IMPORT_BATCH`] events per call.
    async fn import(&self, events: Vec<RecordedEvent>) -> Result<(), StoreError>;

    /// Answers every append already queued, stops the backend's tasks and closes its
    /// connections; appends after this fail with [`StoreError::Closed`].
    async fn close(&self);
}

/// The most events one [`EventStore::import`] call takes.
pub const MAX_IMPORT_BATCH: usize = 1_000;

/// The event at `position`, if the log holds it.
pub async fn read_at(
    store: &dyn EventStore,
    position: u64,
) -> Result<Option<RecordedEvent>, StoreError> {
    Ok(store
        .read_all(position.saturating_sub(1), 1)
        .await?
        .pop()
        .filter(|e| e.position == position))
}

/// The event of `stream_id` at `revision` (from 1), if the stream holds one.
pub async fn read_at_revision(
    store: &dyn EventStore,
    stream_id: &str,
    revision: u64,
) -> Result<Option<RecordedEvent>, StoreError> {
    if revision == 0 {
        return Ok(None);
    }
    Ok(store
        .read_stream(stream_id, revision - 1, 1)
        .await?
        .pop()
        .filter(|e| e.revision == revision))
}

/// Reads a whole stream in bounded batches.
pub async fn read_whole_stream(
    store: &dyn EventStore,
    stream_id: &str,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let mut events = Vec::new();
    loop {
        let after = events.last().map_or(0, |e: &RecordedEvent| e.revision);
        let batch = store.read_stream(stream_id, after, 1_000).await?;
        let done = batch.len() < 1_000;
        events.extend(batch);
        if done {
            return Ok(events);
        }
    }
}

/// The checks every backend makes before an append reaches its writer: at least one event, at
/// most [`MAX_EVENTS_PER_APPEND`], schema versions from 1, no event id twice.
pub(crate) fn check_request(request: &AppendRequest) -> Result<(), StoreError> {
    let count = request.events().count();
    if count == 0 {
        return Err(StoreError::Invalid("an append carries at least one event"));
    }
    if count > MAX_EVENTS_PER_APPEND {
        return Err(StoreError::Invalid("too many events in one append"));
    }
    if request.events().any(|e| e.schema_version == 0) {
        return Err(StoreError::Invalid("schema versions start at 1"));
    }
    let mut ids = std::collections::HashSet::with_capacity(count);
    if !request.events().all(|e| ids.insert(e.event_id)) {
        return Err(StoreError::Invalid(
            "an event id appears twice in one append",
        ));
    }
    Ok(())
}

/// Moves a wake-up signal forward to `position` (never back), waking its receivers if it moved.
pub(crate) fn advance(signal: &watch::Sender<u64>, position: u64) {
    signal.send_if_modified(|known| {
        let newer = position > *known;
        if newer {
            *known = position;
        }
        newer
    });
}
