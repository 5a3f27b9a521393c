//! The embedded SQLite event store: one file, WAL, `synchronous=FULL`, STRICT tables.
//!
//! All appends of this process go through one writer task (`crate::writer`, shared with the
//! PostgreSQL store). It takes every request waiting in its queue, checks each one against the
//! log, and writes the accepted ones in one statement (or, when it knew too little, in a
//! `BEGIN IMMEDIATE` transaction): group commit, one fsync for many callers. Each caller is answered only after the commit, with its own
//! outcome: a request refused by a check is answered with its error and writes nothing, the
//! others are committed together (or, if the commit fails, all of them are told it failed).
//!
//! Another process (`yika staff add` beside a running server) may append to the same file:
//! SQLite's write lock serializes the two, and the writer re-reads the tail of the log at the
//! start of each transaction, so positions and the hash chain stay dense and linked.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, QueryBuilder, Row, SqliteConnection, SqlitePool};
use tokio::sync::watch;
use uuid::Uuid;

use crate::hash::{GENESIS, check_continuation, parse_hex};
use crate::plan::{Planned, Verdict, plan};
use crate::recent::Recent;
use crate::sqlite_read::BulkReader;
use crate::time::{as_stored, format_time};
use crate::writer::{Job, MAX_BATCH_EVENTS, Queue};
use crate::{
    AppendOutcome, AppendRequest, EventStore, MAX_EVENTS_PER_APPEND, MAX_READ_BATCH, RecordedEvent,
    Snapshot, StoreError,
};

/// How many streams' revisions the writer remembers before it forgets them all.
const REVISION_CACHE_MAX: usize = 200_000;
/// The most rows one group commit inserts: a batch stops gathering at [`MAX_BATCH_EVENTS`] and
/// one append adds at most [`MAX_EVENTS_PER_APPEND`]. All of them go into ONE statement (13
/// parameters a row; SQLite allows 32,766), which is what makes the fast path atomic.
const MAX_ROWS_PER_COMMIT: usize = MAX_BATCH_EVENTS + MAX_EVENTS_PER_APPEND;
/// Parameters per `IN (...)` list.
const IN_LIST_MAX: usize = 500;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite/events");

/// Connection options shared by the writer and the readers.
fn options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(10))
        // 64 MiB of page cache keeps the indexes' hot pages in memory.
        .pragma("cache_size", "-65536")
        // Checkpoint the WAL into the database every ~40 MiB instead of every ~4 MiB: fewer,
        // larger checkpoints on the commit path. (A background checkpointer was measured and
        // was slower on two cores: it competes with the writer for the disk and a core.)
        .pragma("wal_autocheckpoint", "10000")
        // Statement journals (written for every multi-row INSERT) stay in memory, not in a temp file.
        .pragma("temp_store", "memory")
}

/// The SQLite event store. Cheap to share behind an `Arc`.
pub struct SqliteEventStore {
    readers: SqlitePool,
    /// Reads of many events, on connections of their own.
    bulk: BulkReader,
    queue: Queue,
    committed: watch::Receiver<u64>,
    /// The events this process committed last, for reads of the log's tail.
    recent: Arc<Recent>,
}

impl SqliteEventStore {
    /// Opens (creating if needed) the event store file and applies its migrations.
    pub async fn open(path: &Path) -> Result<SqliteEventStore, StoreError> {
        SqliteEventStore::open_with_clock(path, crate::time::Clock::system()).await
    }

    /// Opens the event store stamping commits by `clock` (a simulated one only for `yika demo`).
    pub async fn open_with_clock(
        path: &Path,
        clock: crate::time::Clock,
    ) -> Result<SqliteEventStore, StoreError> {
        let mut conn = SqliteConnection::connect_with(&options(path)).await?;
        MIGRATOR.run(&mut conn).await?;
        let readers = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options(path).read_only(true))
            .await?;
        let head = read_tail(&mut conn)
            .await?
            .map_or(0, |(position, _)| position);
        let (committed_tx, committed) = watch::channel(head);
        let recent = Arc::new(Recent::default());
        let writer = SqliteWriter {
            conn,
            revisions: HashMap::new(),
            tail: None,
            committed: committed_tx,
            recent: recent.clone(),
            clock,
        };
        Ok(SqliteEventStore {
            readers,
            bulk: BulkReader::new(path),
            queue: Queue::start_on_own_thread(writer)?,
            committed,
            recent,
        })
    }

    /// Answers every append queued before this call, stops the writer and closes the file.
    /// Appends after this fail with [`StoreError::Closed`].
    async fn shutdown(&self) {
        self.queue.close().await;
        self.bulk.close();
        self.readers.close().await;
    }
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).expect("positions and revisions stay below i64::MAX")
}

pub(crate) fn to_u64(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("negative number {value}")))
}

/// One INSERT of `rows` (recorded and hashed), each with the idempotency claim it stores.
fn insert_rows<'a>(
    rows: &'a [RecordedEvent],
    claims: &'a [Option<(&'a str, &'a str, u64)>],
) -> QueryBuilder<sqlx::Sqlite> {
    let mut insert = QueryBuilder::new(format!("INSERT INTO events ({COLUMNS}) "));
    insert.push_values(rows.iter().zip(claims), |mut values, (row, claim)| {
        values
            .push_bind(to_i64(row.position))
            .push_bind(row.event_id.to_string())
            .push_bind(row.stream_id.as_str())
            .push_bind(to_i64(row.revision))
            .push_bind(row.event_type.as_str())
            .push_bind(i64::from(row.schema_version))
            .push_bind(row.payload.as_str())
            .push_bind(row.metadata.as_str())
            .push_bind(format_time(row.recorded_at))
            .push_bind(row.hash.as_str())
            .push_bind(claim.map(|(key, _, _)| key))
            .push_bind(claim.map(|(_, fingerprint, _)| fingerprint))
            .push_bind(claim.map(|(_, _, last)| to_i64(last)));
    });
    insert
}

const COLUMNS: &str = "position, event_id, stream_id, revision, event_type, schema_version, payload, metadata, recorded_at, hash, \
     idempotency_key, idempotency_fingerprint, idempotency_last";

#[async_trait::async_trait]
impl EventStore for SqliteEventStore {
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError> {
        self.queue.append(request).await
    }

    async fn read_stream(
        &self,
        stream_id: &str,
        after_revision: u64,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.bulk
            .stream(stream_id, after_revision, max.min(MAX_READ_BATCH))
            .await
    }

    async fn read_all(
        &self,
        after_position: u64,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let max = max.min(MAX_READ_BATCH);
        // A read that memory answers in full holds exactly the log's events there.
        if let Some(events) = self.recent.read(after_position, max)
            && events.len() == max
        {
            return Ok(events);
        }
        self.bulk.all(after_position, max).await
    }

    async fn read_snapshot(&self, stream_id: &str) -> Result<Option<Snapshot>, StoreError> {
        self.bulk.snapshot(stream_id).await
    }

    async fn write_snapshot(&self, snapshot: Snapshot) -> Result<(), StoreError> {
        self.bulk.keep_snapshot(snapshot).await
    }

    async fn snapshots(&self, after_stream: &str, max: usize) -> Result<Vec<Snapshot>, StoreError> {
        self.bulk
            .snapshots(after_stream, max.min(MAX_READ_BATCH))
            .await
    }

    async fn read_recent(
        &self,
        after_position: u64,
        max: usize,
    ) -> Result<Option<Vec<RecordedEvent>>, StoreError> {
        Ok(self.recent.read(after_position, max.min(MAX_READ_BATCH)))
    }

    async fn find_event(&self, event_id: Uuid) -> Result<Option<RecordedEvent>, StoreError> {
        self.bulk.event(event_id).await
    }

    async fn idempotency_columns(
        &self,
        after: u64,
        until: u64,
    ) -> Result<Option<Vec<(u64, String, String, u64)>>, StoreError> {
        let rows = sqlx::query(
            "SELECT position, idempotency_key AS key, idempotency_fingerprint AS fingerprint, \
             idempotency_last AS last_position FROM events \
             WHERE position > ? AND position <= ? AND idempotency_key IS NOT NULL ORDER BY position",
        )
        .bind(i64::try_from(after).unwrap_or(i64::MAX))
        .bind(i64::try_from(until).unwrap_or(i64::MAX))
        .fetch_all(&self.readers)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    to_u64(row.try_get("position")?)?,
                    row.try_get("key")?,
                    row.try_get("fingerprint")?,
                    to_u64(row.try_get("last_position")?)?,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()
            .map(Some)
    }

    async fn idempotency_claim(&self, key: &str) -> Result<Option<(String, u64, u64)>, StoreError> {
        let row = sqlx::query(
            "SELECT idempotency_fingerprint AS fingerprint, position AS first_position, idempotency_last AS last_position \
             FROM events WHERE idempotency_key = ?",
        )
        .bind(key)
        .fetch_optional(&self.readers)
        .await?;
        row.map(|row| {
            Ok((
                row.try_get("fingerprint")?,
                to_u64(row.try_get("first_position")?)?,
                to_u64(row.try_get("last_position")?)?,
            ))
        })
        .transpose()
    }

    async fn head_position(&self) -> Result<u64, StoreError> {
        let head: Option<i64> = sqlx::query_scalar("SELECT MAX(position) FROM events")
            .fetch_one(&self.readers)
            .await?;
        to_u64(head.unwrap_or(0))
    }

    fn subscribe(&self) -> watch::Receiver<u64> {
        self.committed.clone()
    }

    async fn close(&self) {
        self.shutdown().await;
    }

    async fn import(&self, events: Vec<RecordedEvent>) -> Result<(), StoreError> {
        self.queue.import(events).await
    }
}

async fn read_tail(conn: &mut SqliteConnection) -> Result<Option<(u64, [u8; 32])>, StoreError> {
    let row = sqlx::query("SELECT position, hash FROM events ORDER BY position DESC LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        None => Ok(None),
        Some(row) => {
            let position = to_u64(row.try_get("position")?)?;
            let hash: String = row.try_get("hash")?;
            let hash = parse_hex(&hash)
                .ok_or_else(|| StoreError::Corrupt(format!("hash at {position}")))?;
            Ok(Some((position, hash)))
        }
    }
}

/// The last committed event as the writer knows it.
#[derive(Clone, Copy)]
struct Tail {
    position: u64,
    hash: [u8; 32],
    recorded_at: Option<DateTime<Utc>>,
}

struct SqliteWriter {
    conn: SqliteConnection,
    /// Known revisions of recently written streams, valid while `tail` is the log's real tail.
    revisions: HashMap<String, u64>,
    tail: Option<Tail>,
    committed: watch::Sender<u64>,
    recent: Arc<Recent>,
    clock: crate::time::Clock,
}

impl crate::writer::Writer for SqliteWriter {
    async fn commit(&mut self, jobs: &[Job]) -> Result<Vec<Verdict>, StoreError> {
        let mut result = self.try_commit_batch(jobs, false).await;
        if result.is_err() {
            // The fast path trusts what this writer knows; a constraint violation means it knew
            // too little (another process appended, or a caller reused an event id elsewhere).
            // Nothing was written: redo the batch under the write lock, checking everything.
            self.revisions.clear();
            self.tail = None;
            result = self.try_commit_batch(jobs, true).await;
        }
        if result.is_err() {
            // Nothing of this batch is durable; forget what we thought we knew.
            let _ = sqlx::query("ROLLBACK").execute(&mut self.conn).await;
            self.revisions.clear();
            self.tail = None;
        }
        result
    }

    async fn import(&mut self, events: &[RecordedEvent]) -> Result<(), StoreError> {
        self.import_events(events).await
    }

    /// Leaves a tidy file: everything in the database, an empty WAL.
    async fn finish(mut self) {
        let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut self.conn)
            .await;
        let _ = self.conn.close().await;
    }
}

impl SqliteWriter {
    /// Writes a verbatim copy of recorded events under the write lock, after checking that
    /// they continue this log's tail and hash chain. All or nothing.
    async fn import_events(&mut self, events: &[RecordedEvent]) -> Result<(), StoreError> {
        // Whatever happens, re-read the tail before the next append.
        self.revisions.clear();
        self.tail = None;
        self.recent.committing().await.clear();
        let Some(last) = events.last() else {
            return Ok(());
        };
        let sql =
            "BEGIN IMMEDIATE; SELECT position, hash FROM events ORDER BY position DESC LIMIT 1";
        let row = sqlx::raw_sql(sql).fetch_optional(&mut self.conn).await?;
        let result = async {
            let (position, hash) = match row {
                None => (0, GENESIS),
                Some(row) => {
                    let position = to_u64(row.try_get("position")?)?;
                    let hash: String = row.try_get("hash")?;
                    let hash = parse_hex(&hash)
                        .ok_or_else(|| StoreError::Corrupt(format!("hash at {position}")))?;
                    (position, hash)
                }
            };
            check_continuation(position, hash, events)?;
            // The claims are rebuilt from the copy each keyed command left in its events' metadata.
            let owned = crate::hash::claims_of(events);
            let claims: Vec<Option<(&str, &str, u64)>> = owned
                .iter()
                .map(|c| c.as_ref().map(|(k, f, l)| (k.as_str(), f.as_str(), *l)))
                .collect();
            insert_rows(events, &claims)
                .build()
                .execute(&mut self.conn)
                .await?;
            Ok::<(), StoreError>(())
        }
        .await;
        match result {
            Ok(()) => {
                sqlx::query("COMMIT").execute(&mut self.conn).await?;
                self.committed.send_replace(last.position);
                Ok(())
            }
            Err(error) => {
                let _ = sqlx::query("ROLLBACK").execute(&mut self.conn).await;
                Err(error)
            }
        }
    }

    /// Checks every request and writes the accepted ones atomically, in one INSERT statement.
    ///
    /// The fast path (`careful` false) trusts the writer's knowledge of the tail, the streams'
    /// revisions and the events' ids, and writes with one auto-committed statement: one round
    /// trip and one fsync, no explicit transaction and no statement journal. Whatever it did not
    /// know makes that statement fail on a constraint (positions, `(stream_id, revision)`, event
    /// ids and idempotency keys are all unique), and the careful path then redoes the batch in a
    /// `BEGIN IMMEDIATE` transaction after re-reading the tail and looking up every event id.
    ///
    /// Either way, event ids are looked up for the requests that could be retries of committed
    /// appends: those whose expected revision no longer matches the log, or that expect `Any`.
    async fn try_commit_batch(
        &mut self,
        jobs: &[Job],
        careful: bool,
    ) -> Result<Vec<Verdict>, StoreError> {
        let tail_row = if careful {
            // One round trip: take the write lock and read the tail.
            let sql =
                "BEGIN IMMEDIATE; SELECT position, hash FROM events ORDER BY position DESC LIMIT 1";
            Some(sqlx::raw_sql(sql).fetch_optional(&mut self.conn).await?)
        } else if self.tail.is_none() {
            Some(
                sqlx::query("SELECT position, hash FROM events ORDER BY position DESC LIMIT 1")
                    .fetch_optional(&mut self.conn)
                    .await?,
            )
        } else {
            None
        };
        let (position, hash) = match tail_row {
            None => self
                .tail
                .map(|t| (t.position, t.hash))
                .expect("the fast path knows the tail"),
            Some(None) => (0, GENESIS),
            Some(Some(row)) => {
                let position = to_u64(row.try_get("position")?)?;
                let hash: String = row.try_get("hash")?;
                (
                    position,
                    parse_hex(&hash)
                        .ok_or_else(|| StoreError::Corrupt(format!("hash at {position}")))?,
                )
            }
        };
        if self.tail.map(|t| (t.position, t.hash)) != Some((position, hash)) {
            self.revisions.clear();
            self.tail = Some(Tail {
                position,
                hash,
                recorded_at: None,
            });
        }
        let mut tail = self.tail.expect("tail is known from here on");
        if self.revisions.len() > REVISION_CACHE_MAX {
            self.revisions.clear();
        }

        let requests: Vec<&AppendRequest> = jobs.iter().map(|j| &j.request).collect();
        let claims = self.existing_claims(&requests).await?;
        self.load_revisions(&requests).await?;
        let suspects: Vec<&AppendRequest> = requests
            .iter()
            .copied()
            .filter(|r| {
                careful
                    || r.writes.iter().any(|w| {
                        w.expected == crate::ExpectedRevision::Any
                            || !w
                                .expected
                                .admits(self.revisions.get(&w.stream_id).copied().unwrap_or(0))
                    })
            })
            .collect();
        let existing_ids = self.existing_event_ids(&suspects).await?;

        let now = self.clock.now();
        // recorded_at never goes backwards, even if the wall clock does.
        let recorded_at = match tail.recorded_at {
            Some(last) if last > now => last,
            _ => now,
        };
        let recorded_at = as_stored(recorded_at)?;

        let Planned {
            verdicts,
            rows,
            row_claims,
            revisions,
            tail_position,
            tail_hash,
        } = plan(
            &requests,
            (tail.position, tail.hash),
            &self.revisions,
            &claims,
            &existing_ids,
            recorded_at,
        );
        tail.position = tail_position;
        tail.hash = tail_hash;

        // A conflict found on the fast path may come from a stale cache (another process wrote
        // the stream): only the careful path, which re-reads the log under the lock, may refuse.
        if !careful
            && let Some(Verdict::Refused(conflict @ StoreError::Conflict { .. })) = verdicts
                .iter()
                .find(|v| matches!(v, Verdict::Refused(StoreError::Conflict { .. })))
        {
            return Err(StoreError::CommitFailed(format!(
                "recheck under the lock: {conflict}"
            )));
        }
        assert!(
            rows.len() <= MAX_ROWS_PER_COMMIT,
            "batches are capped below one statement's limit"
        );
        // Reads of the tail go to the database until the committed rows are in memory too.
        let mut committing = self.recent.committing().await;
        if !rows.is_empty()
            && let Err(error) = insert_rows(&rows, &row_claims)
                .build()
                .execute(&mut self.conn)
                .await
        {
            if careful {
                let _ = sqlx::query("ROLLBACK").execute(&mut self.conn).await;
            }
            return Err(error.into());
        }
        if careful {
            sqlx::query("COMMIT").execute(&mut self.conn).await?;
        }
        committing.push(&rows);
        drop(committing);

        // Durable: now the in-memory view may move forward.
        tail.recorded_at = Some(recorded_at);
        self.tail = Some(tail);
        self.revisions.extend(revisions);
        if !rows.is_empty() {
            self.committed.send_replace(tail.position);
        }
        Ok(verdicts)
    }

    async fn existing_event_ids(
        &mut self,
        requests: &[&AppendRequest],
    ) -> Result<HashMap<Uuid, u64>, StoreError> {
        let ids: Vec<String> = requests
            .iter()
            .flat_map(|r| r.events())
            .map(|e| e.event_id.to_string())
            .collect();
        let mut found = HashMap::new();
        for chunk in ids.chunks(IN_LIST_MAX) {
            let mut query =
                QueryBuilder::new("SELECT event_id, position FROM events WHERE event_id IN ");
            query.push_tuples(chunk, |mut b, id| {
                b.push_bind(id.as_str());
            });
            for row in query.build().fetch_all(&mut self.conn).await? {
                let id: String = row.try_get("event_id")?;
                let id = Uuid::from_str(&id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                found.insert(id, to_u64(row.try_get("position")?)?);
            }
        }
        Ok(found)
    }

    async fn existing_claims(
        &mut self,
        requests: &[&AppendRequest],
    ) -> Result<HashMap<String, (String, u64, u64)>, StoreError> {
        let keys: Vec<&str> = requests
            .iter()
            .filter_map(|r| r.idempotency.as_ref())
            .map(|c| c.key.as_str())
            .collect();
        let mut found = HashMap::new();
        for chunk in keys.chunks(IN_LIST_MAX) {
            let mut query = QueryBuilder::new(
                "SELECT idempotency_key AS key, idempotency_fingerprint AS fingerprint, position AS first_position, \
                 idempotency_last AS last_position FROM events WHERE idempotency_key IN ",
            );
            query.push_tuples(chunk, |mut b, key| {
                b.push_bind(*key);
            });
            for row in query.build().fetch_all(&mut self.conn).await? {
                found.insert(
                    row.try_get("key")?,
                    (
                        row.try_get("fingerprint")?,
                        to_u64(row.try_get("first_position")?)?,
                        to_u64(row.try_get("last_position")?)?,
                    ),
                );
            }
        }
        Ok(found)
    }

    /// Fills the revision cache for every stream the batch touches.
    async fn load_revisions(&mut self, requests: &[&AppendRequest]) -> Result<(), StoreError> {
        let mut missing: Vec<&str> = requests
            .iter()
            .flat_map(|r| r.writes.iter())
            .map(|w| w.stream_id.as_str())
            .filter(|s| !self.revisions.contains_key(*s))
            .collect();
        missing.sort_unstable();
        missing.dedup();
        for chunk in missing.chunks(IN_LIST_MAX) {
            let mut query = QueryBuilder::new(
                "SELECT stream_id, MAX(revision) AS revision FROM events WHERE stream_id IN ",
            );
            query.push_tuples(chunk, |mut b, stream| {
                b.push_bind(*stream);
            });
            query.push(" GROUP BY stream_id");
            let rows = query.build().fetch_all(&mut self.conn).await?;
            for stream in chunk {
                self.revisions.insert((*stream).to_owned(), 0);
            }
            for row in rows {
                self.revisions
                    .insert(row.try_get("stream_id")?, to_u64(row.try_get("revision")?)?);
            }
        }
        Ok(())
    }
}
