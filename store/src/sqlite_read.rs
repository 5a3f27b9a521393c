//! Reads of the SQLite log (`read_all`, `read_stream`, `find_event`): rusqlite on a
//! few read-only connections of their own, one blocking task per read. sqlx's SQLite driver
//! hands every row from its worker thread to the caller's task one at a time (a wake-up and a
//! copy of each value per row); for a replay, a rebuild or `yika verify` that cost about 6 µs an
//! event, five times what the query itself costs (docs/performance.md, "Reading the log,
//! decoding and hashing"; decision 0034).
//! Snapshots are read and kept here too (kept on a read-write connection of their own, off the
//! log writer's path: they are not part of the log).

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Params, Row};
use uuid::Uuid;

use crate::sqlite::to_u64;
use crate::time::parse_time;
use crate::{MAX_SNAPSHOT_BYTES, RecordedEvent, Snapshot, StoreError};

/// Idle connections kept for the next read.
const IDLE_MAX: usize = 4;

const EVENTS: &str = "SELECT position, event_id, stream_id, revision, event_type, schema_version, \
     payload, metadata, recorded_at, hash FROM events";

const SNAPSHOTS: &str = "SELECT stream_id, kind, revision, hash, state FROM snapshots";

/// A few read-only rusqlite connections to the log's file.
pub(crate) struct BulkReader {
    path: PathBuf,
    /// Idle connections; `None` once the store is closed.
    idle: Mutex<Option<Vec<Connection>>>,
}

impl BulkReader {
    pub(crate) fn new(path: &Path) -> BulkReader {
        BulkReader {
            path: path.to_owned(),
            idle: Mutex::new(Some(Vec::new())),
        }
    }

    /// Up to `max` events with position greater than `after`, in order.
    pub(crate) async fn all(
        &self,
        after: u64,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let (after, max) = (saturating(after), saturating(max as u64));
        self.run(move |conn| {
            events(
                conn,
                "WHERE position > ?1 ORDER BY position LIMIT ?2",
                (after, max),
            )
        })
        .await
    }

    /// Up to `max` events of `stream` with revision greater than `after`, in order.
    pub(crate) async fn stream(
        &self,
        stream: &str,
        after: u64,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let (stream, after, max) = (stream.to_owned(), saturating(after), saturating(max as u64));
        self.run(move |conn| {
            events(
                conn,
                "WHERE stream_id = ?1 AND revision > ?2 ORDER BY revision LIMIT ?3",
                (stream, after, max),
            )
        })
        .await
    }

    /// The event with this id, if stored.
    pub(crate) async fn event(&self, id: Uuid) -> Result<Option<RecordedEvent>, StoreError> {
        let id = id.to_string();
        self.run(move |conn| Ok(events(conn, "WHERE event_id = ?1", [id])?.pop()))
            .await
    }

    /// The snapshot kept of `stream`, if any.
    pub(crate) async fn snapshot(&self, stream: &str) -> Result<Option<Snapshot>, StoreError> {
        let stream = stream.to_owned();
        self.run(move |conn| Ok(snapshots(conn, "WHERE stream_id = ?1", [stream])?.pop()))
            .await
    }

    /// Up to `max` snapshots of streams named after `after`, in stream order.
    pub(crate) async fn snapshots(
        &self,
        after: &str,
        max: usize,
    ) -> Result<Vec<Snapshot>, StoreError> {
        let (after, max) = (after.to_owned(), saturating(max as u64));
        self.run(move |conn| {
            snapshots(
                conn,
                "WHERE stream_id > ?1 ORDER BY stream_id LIMIT ?2",
                (after, max),
            )
        })
        .await
    }

    /// Keeps `snapshot` unless a newer one of its stream is kept.
    pub(crate) async fn keep_snapshot(&self, snapshot: Snapshot) -> Result<(), StoreError> {
        if snapshot.state.len() > MAX_SNAPSHOT_BYTES {
            return Ok(());
        }
        if self.idle.lock().expect("never poisoned").is_none() {
            return Err(StoreError::Closed);
        }
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let conn = Connection::open_with_flags(
                &path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            conn.busy_timeout(Duration::from_secs(10))?;
            // A snapshot is replaceable: its commit need not wait for the disk.
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            conn.execute(
                "INSERT INTO snapshots (stream_id, kind, revision, hash, state) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (stream_id) DO UPDATE SET \
                 kind = excluded.kind, revision = excluded.revision, hash = excluded.hash, \
                 state = excluded.state WHERE excluded.revision >= snapshots.revision",
                rusqlite::params![
                    snapshot.stream_id,
                    snapshot.kind,
                    saturating(snapshot.revision),
                    snapshot.hash,
                    snapshot.state
                ],
            )?;
            Ok::<(), rusqlite::Error>(())
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("keeping a snapshot stopped: {e}")))?
        .map_err(failed)
    }

    /// Drops the idle connections; reads after this fail with [`StoreError::Closed`].
    pub(crate) fn close(&self) {
        self.idle.lock().expect("never poisoned").take();
    }

    /// Runs `read` on an idle connection (or a new one) in a blocking task.
    async fn run<T: Send + 'static>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let conn = match self.idle.lock().expect("never poisoned").as_mut() {
            None => return Err(StoreError::Closed),
            Some(idle) => idle.pop(),
        };
        let conn = match conn {
            Some(conn) => conn,
            None => open(&self.path)?,
        };
        let (conn, read) = tokio::task::spawn_blocking(move || {
            let read = read(&conn);
            (conn, read)
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("a read of the log stopped: {e}")))?;
        if let Some(idle) = self.idle.lock().expect("never poisoned").as_mut()
            && idle.len() < IDLE_MAX
        {
            idle.push(conn);
        }
        read
    }
}

fn open(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(failed)?;
    conn.busy_timeout(Duration::from_secs(10)).map_err(failed)?;
    conn.pragma_update(None, "cache_size", -16_384)
        .map_err(failed)?;
    Ok(conn)
}

/// The rows `each` reads from `select` narrowed by `clause`.
fn rows<T>(
    conn: &Connection,
    select: &str,
    clause: &str,
    params: impl Params,
    each: fn(&Row<'_>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut statement = conn
        .prepare_cached(&format!("{select} {clause}"))
        .map_err(failed)?;
    let mut rows = statement.query(params).map_err(failed)?;
    let mut read = Vec::new();
    while let Some(row) = rows.next().map_err(failed)? {
        read.push(each(row)?);
    }
    Ok(read)
}

fn events(
    conn: &Connection,
    clause: &str,
    params: impl Params,
) -> Result<Vec<RecordedEvent>, StoreError> {
    rows(conn, EVENTS, clause, params, recorded_event)
}

fn snapshots(
    conn: &Connection,
    clause: &str,
    params: impl Params,
) -> Result<Vec<Snapshot>, StoreError> {
    rows(conn, SNAPSHOTS, clause, params, |row| {
        Ok(Snapshot {
            stream_id: row.get(0).map_err(failed)?,
            kind: row.get(1).map_err(failed)?,
            revision: to_u64(row.get(2).map_err(failed)?)?,
            hash: row.get(3).map_err(failed)?,
            state: row.get(4).map_err(failed)?,
        })
    })
}

fn recorded_event(row: &Row<'_>) -> Result<RecordedEvent, StoreError> {
    let event_id: String = row.get(1).map_err(failed)?;
    let schema_version: i64 = row.get(5).map_err(failed)?;
    let recorded_at: String = row.get(8).map_err(failed)?;
    Ok(RecordedEvent {
        position: to_u64(row.get(0).map_err(failed)?)?,
        event_id: Uuid::from_str(&event_id)
            .map_err(|e| StoreError::Corrupt(format!("event id {event_id:?}: {e}")))?,
        stream_id: row.get(2).map_err(failed)?,
        revision: to_u64(row.get(3).map_err(failed)?)?,
        event_type: row.get(4).map_err(failed)?,
        schema_version: u16::try_from(schema_version)
            .map_err(|_| StoreError::Corrupt(format!("schema version {schema_version}")))?,
        payload: row.get(6).map_err(failed)?,
        metadata: row.get(7).map_err(failed)?,
        recorded_at: parse_time(&recorded_at)?,
        hash: row.get(9).map_err(failed)?,
    })
}

/// A value that does not read as what Yika wrote is a corrupt row; anything else is the
/// database failing.
fn failed(error: rusqlite::Error) -> StoreError {
    match error {
        rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::IntegralValueOutOfRange(..)
        | rusqlite::Error::InvalidColumnType(..)
        | rusqlite::Error::Utf8Error(..) => StoreError::Corrupt(error.to_string()),
        other => StoreError::ReadFailed(other.to_string()),
    }
}

/// A count or position as SQLite's INTEGER, at most `i64::MAX`.
fn saturating(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
