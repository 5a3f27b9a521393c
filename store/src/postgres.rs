//! The PostgreSQL event store: the same guarantees as the SQLite one, for a server database
//! shared by several API replicas.
//!
//! Every append of this process goes through one writer task, which takes every request
//! waiting in its queue (group commit) and writes the accepted ones in one transaction. The
//! transaction starts by locking the single row of `log_head`, which serializes writers across
//! processes: positions are assigned from the locked tail, so they are dense and commit in
//! order, and a reader never sees a gap that fills later. Under the lock the writer reads the
//! streams' revisions, the stored event ids and idempotency claims it needs, plans the batch
//! with the same pure code as the SQLite store ([`crate::plan`]), inserts the rows with one
//! `INSERT … SELECT FROM UNNEST(…)`, moves the head and sends `NOTIFY yika_events` with the new
//! head: every process's live readers wake up, not only this one's.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgListener, PgPool, PgPoolOptions, PgRow};
use sqlx::{Postgres, Row, Transaction};
use tokio::sync::{Mutex, watch};
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::hash::{GENESIS, check_continuation, parse_hex};
use crate::plan::{Planned, Verdict, plan};
use crate::time::{as_stored, format_time, parse_time};
use crate::writer::{Job, Queue};
use crate::{
    AppendOutcome, AppendRequest, EventStore, MAX_READ_BATCH, MAX_SNAPSHOT_BYTES, RecordedEvent,
    Snapshot, StoreError,
};

/// The notification channel that carries the log's new head.
pub const CHANNEL: &str = "yika_events";

/// The PostgreSQL event store. Cheap to share behind an `Arc`.
pub struct PostgresEventStore {
    pool: PgPool,
    queue: Queue,
    committed: watch::Receiver<u64>,
    listener: Mutex<Option<JoinHandle<()>>>,
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).expect("positions and revisions stay below i64::MAX")
}

fn to_u64(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("negative number {value}")))
}

/// `SELECT <every event column> FROM events <rest>`, as a literal.
macro_rules! select_events {
    ($rest:literal) => {
        concat!(
            "SELECT position, event_id, stream_id, revision, event_type, schema_version, ",
            "payload, metadata, recorded_at, hash FROM events ",
            $rest
        )
    };
}

fn recorded_event(row: &PgRow) -> Result<RecordedEvent, StoreError> {
    let schema_version: i32 = row.try_get("schema_version")?;
    Ok(RecordedEvent {
        position: to_u64(row.try_get("position")?)?,
        event_id: row.try_get("event_id")?,
        stream_id: row.try_get("stream_id")?,
        revision: to_u64(row.try_get("revision")?)?,
        event_type: row.try_get("event_type")?,
        schema_version: u16::try_from(schema_version)
            .map_err(|_| StoreError::Corrupt(format!("schema version {schema_version}")))?,
        payload: row.try_get("payload")?,
        metadata: row.try_get("metadata")?,
        recorded_at: parse_time(&row.try_get::<String, _>("recorded_at")?)?,
        hash: row.try_get("hash")?,
    })
}

impl PostgresEventStore {
    /// Connects to `url` (`postgres://…`) and applies the event store's migrations (tracked in
    /// `_yika_events_migrations`, so the read store may share the database).
    pub async fn connect(url: &str) -> Result<PostgresEventStore, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        let mut migrator = sqlx::migrate!("../migrations/postgres/events");
        migrator.dangerous_set_table_name("_yika_events_migrations");
        migrator.run(&pool).await?;
        let head: i64 = sqlx::query_scalar("SELECT position FROM log_head")
            .fetch_one(&pool)
            .await?;
        let (committed_tx, committed) = watch::channel(to_u64(head)?);
        let listener = tokio::spawn(listen(pool.clone(), committed_tx.clone()));
        let writer = PostgresWriter {
            pool: Self::writer_pool(url).await?,
            committed: committed_tx,
        };
        Ok(PostgresEventStore {
            pool,
            queue: Queue::start(writer),
            committed,
            listener: Mutex::new(Some(listener)),
        })
    }

    /// The writer's own connection, so that reads never make a group commit wait for one. Its
    /// session settings do not depend on the server's defaults: READ COMMITTED (the locked
    /// head is re-read after a wait), a bounded wait for another process's lock on the head,
    /// and a bound on a transaction left open by a stalled process.
    async fn writer_pool(url: &str) -> Result<PgPool, StoreError> {
        Ok(PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(|conn, _| {
                Box::pin(async move {
                    sqlx::raw_sql(
                        "SET default_transaction_isolation = 'read committed'; \
                         SET lock_timeout = '10s'; \
                         SET idle_in_transaction_session_timeout = '60s'",
                    )
                    .execute(conn)
                    .await
                    .map(|_| ())
                })
            })
            .connect(url)
            .await?)
    }

    /// Answers every append queued before this call, stops the writer and the listener and
    /// closes the pool. Appends after this fail with [`StoreError::Closed`].
    async fn shutdown(&self) {
        self.queue.close().await;
        if let Some(listener) = self.listener.lock().await.take() {
            listener.abort();
            let _ = listener.await;
        }
        self.pool.close().await;
    }
}

/// Follows `NOTIFY yika_events` (appends by any process) into the wake-up signal. After LISTEN
/// takes effect, and after every reconnection, the head is read again: notifications sent while
/// not listening are lost, the head is not. Positions only move forward.
async fn listen(pool: PgPool, committed: watch::Sender<u64>) {
    'connect: loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(%error, "cannot listen for appends; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(error) = listener.listen(CHANNEL).await {
            tracing::warn!(%error, "LISTEN failed; retrying");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        loop {
            match sqlx::query_scalar::<_, i64>("SELECT position FROM log_head")
                .fetch_one(&pool)
                .await
            {
                Ok(head) => crate::advance(&committed, u64::try_from(head).unwrap_or(0)),
                Err(error) => tracing::warn!(%error, "cannot read the log's head"),
            }
            loop {
                match listener.try_recv().await {
                    Ok(Some(notification)) => {
                        if let Ok(position) = notification.payload().parse::<u64>() {
                            crate::advance(&committed, position);
                        }
                    }
                    // The connection was lost and is listening again: read the head.
                    Ok(None) => {
                        tracing::warn!("the notification connection was re-established");
                        break;
                    }
                    Err(error) => {
                        tracing::warn!(%error, "lost the notification connection; reconnecting");
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        continue 'connect;
                    }
                }
            }
        }
    }
}

struct PostgresWriter {
    pool: PgPool,
    committed: watch::Sender<u64>,
}

impl crate::writer::Writer for PostgresWriter {
    async fn commit(&mut self, jobs: &[Job]) -> Result<Vec<Verdict>, StoreError> {
        self.try_commit_batch(jobs).await
    }

    async fn import(&mut self, events: &[RecordedEvent]) -> Result<(), StoreError> {
        self.import_events(events).await
    }

    async fn finish(self) {
        self.pool.close().await;
    }
}

impl PostgresWriter {
    /// Takes the log's write lock and returns the tail: position, hash, last recorded time.
    async fn lock_head(
        tx: &mut Transaction<'_, Postgres>,
    ) -> Result<(u64, [u8; 32], Option<DateTime<Utc>>), StoreError> {
        let row = sqlx::query("SELECT position, hash, recorded_at FROM log_head FOR UPDATE")
            .fetch_one(&mut **tx)
            .await?;
        let position = to_u64(row.try_get("position")?)?;
        let hash: String = row.try_get("hash")?;
        let hash = if position == 0 {
            GENESIS
        } else {
            parse_hex(&hash).ok_or_else(|| StoreError::Corrupt(format!("hash at {position}")))?
        };
        let recorded_at = row
            .try_get::<Option<String>, _>("recorded_at")?
            .map(|t| parse_time(&t))
            .transpose()?;
        Ok((position, hash, recorded_at))
    }

    /// Inserts rows (already planned and hashed), moves the head and notifies, in `tx`.
    async fn write_rows(
        tx: &mut Transaction<'_, Postgres>,
        rows: &[RecordedEvent],
        claims: &[Option<(&str, &str, u64)>],
        tail: (u64, [u8; 32], DateTime<Utc>),
    ) -> Result<(), StoreError> {
        // One round trip: the rows, the new head and the notification (all in `tx`).
        let (position, hash, recorded_at) = tail;
        sqlx::query(
            "WITH inserted AS (INSERT INTO events (position, event_id, stream_id, revision, event_type, \
             schema_version, payload, metadata, recorded_at, hash, idempotency_key, \
             idempotency_fingerprint, idempotency_last) \
             SELECT * FROM UNNEST($1::bigint[], $2::uuid[], $3::text[], $4::bigint[], $5::text[], \
             $6::integer[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], \
             $13::bigint[]) RETURNING position), \
             head AS (UPDATE log_head SET position = $14, hash = $15, recorded_at = $16 RETURNING position) \
             SELECT pg_notify($17, head.position::text) FROM head",
        )
        .bind(rows.iter().map(|r| to_i64(r.position)).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.event_id).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.stream_id.clone()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| to_i64(r.revision)).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.event_type.clone()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| i32::from(r.schema_version)).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.payload.clone()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.metadata.clone()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| format_time(r.recorded_at)).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.hash.clone()).collect::<Vec<_>>())
        .bind(claims.iter().map(|c| c.map(|(k, _, _)| k.to_owned())).collect::<Vec<_>>())
        .bind(claims.iter().map(|c| c.map(|(_, f, _)| f.to_owned())).collect::<Vec<_>>())
        .bind(claims.iter().map(|c| c.map(|(_, _, l)| to_i64(l))).collect::<Vec<_>>())
        .bind(to_i64(position))
        .bind(hex::encode(hash))
        .bind(format_time(recorded_at))
        .bind(CHANNEL)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    async fn try_commit_batch(&self, jobs: &[Job]) -> Result<Vec<Verdict>, StoreError> {
        let requests: Vec<&AppendRequest> = jobs.iter().map(|j| &j.request).collect();
        let mut tx = self.pool.begin().await?;
        let (position, hash, last_recorded) = Self::lock_head(&mut tx).await?;

        let streams: Vec<String> = requests
            .iter()
            .flat_map(|r| r.writes.iter().map(|w| w.stream_id.clone()))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let keys: Vec<String> = requests
            .iter()
            .filter_map(|r| r.idempotency.as_ref().map(|c| c.key.clone()))
            .collect();
        let ids: Vec<Uuid> = requests
            .iter()
            .flat_map(|r| r.events().map(|e| e.event_id))
            .collect();
        // One round trip under the lock: the streams' revisions (kind 0), the claims of the
        // batch's keys (1) and the stored positions of its event ids (2).
        let found = sqlx::query(
            "SELECT 0 AS kind, stream_id AS key, MAX(revision) AS first, NULL::bigint AS last, \
             NULL::text AS fingerprint FROM events WHERE stream_id = ANY($1) GROUP BY stream_id \
             UNION ALL SELECT 1, idempotency_key, position, idempotency_last, idempotency_fingerprint \
             FROM events WHERE idempotency_key = ANY($2) \
             UNION ALL SELECT 2, event_id::text, position, NULL, NULL FROM events WHERE event_id = ANY($3)",
        )
        .bind(&streams)
        .bind(&keys)
        .bind(&ids)
        .fetch_all(&mut *tx)
        .await?;
        let mut known: HashMap<String, u64> = streams.iter().map(|s| (s.clone(), 0)).collect();
        let mut claims = HashMap::new();
        let mut existing_ids = HashMap::new();
        for row in found {
            let kind: i32 = row.try_get("kind")?;
            let key: String = row.try_get("key")?;
            let first = to_u64(row.try_get("first")?)?;
            match kind {
                0 => {
                    known.insert(key, first);
                }
                1 => {
                    let last = to_u64(row.try_get::<Option<i64>, _>("last")?.unwrap_or(0))?;
                    let fingerprint: Option<String> = row.try_get("fingerprint")?;
                    claims.insert(key, (fingerprint.unwrap_or_default(), first, last));
                }
                _ => {
                    let id = Uuid::parse_str(&key)
                        .map_err(|e| StoreError::Corrupt(format!("event id {key:?}: {e}")))?;
                    existing_ids.insert(id, first);
                }
            }
        }

        // recorded_at never goes backwards, even if a clock does (several servers may write).
        let now = as_stored(Utc::now())?;
        let recorded_at = match last_recorded {
            Some(last) if last > now => last,
            _ => now,
        };
        let Planned {
            verdicts,
            rows,
            row_claims,
            tail_position,
            tail_hash,
            ..
        } = plan(
            &requests,
            (position, hash),
            &known,
            &claims,
            &existing_ids,
            recorded_at,
        );
        if rows.is_empty() {
            tx.rollback().await?;
            return Ok(verdicts);
        }
        Self::write_rows(
            &mut tx,
            &rows,
            &row_claims,
            (tail_position, tail_hash, recorded_at),
        )
        .await?;
        tx.commit().await?;
        crate::advance(&self.committed, tail_position);
        Ok(verdicts)
    }

    /// Writes a verbatim copy of recorded events after checking that they continue the tail
    /// and its hash chain. All or nothing.
    async fn import_events(&self, events: &[RecordedEvent]) -> Result<(), StoreError> {
        let Some(last) = events.last() else {
            return Ok(());
        };
        let mut tx = self.pool.begin().await?;
        let (position, hash, _) = Self::lock_head(&mut tx).await?;
        let tail_hash = check_continuation(position, hash, events)?;
        // The claims are rebuilt from the copy each keyed command left in its events' metadata.
        let owned = crate::hash::claims_of(events);
        let claims: Vec<Option<(&str, &str, u64)>> = owned
            .iter()
            .map(|c| c.as_ref().map(|(k, f, l)| (k.as_str(), f.as_str(), *l)))
            .collect();
        Self::write_rows(
            &mut tx,
            events,
            &claims,
            (last.position, tail_hash, last.recorded_at),
        )
        .await?;
        tx.commit().await?;
        crate::advance(&self.committed, last.position);
        Ok(())
    }
}

/// A `snapshots` row: `(stream_id, kind, revision, hash, state)`.
type SnapshotRow = (String, String, i64, String, String);

fn snapshot_row(
    (stream_id, kind, revision, hash, state): SnapshotRow,
) -> Result<Snapshot, StoreError> {
    Ok(Snapshot {
        stream_id,
        kind,
        revision: to_u64(revision)?,
        hash,
        state,
    })
}

#[async_trait::async_trait]
impl EventStore for PostgresEventStore {
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError> {
        self.queue.append(request).await
    }

    async fn read_stream(
        &self,
        stream_id: &str,
        after_revision: u64,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let rows = sqlx::query(select_events!(
            "WHERE stream_id = $1 AND revision > $2 ORDER BY revision LIMIT $3"
        ))
        .bind(stream_id)
        .bind(to_i64(after_revision))
        .bind(to_i64(max.min(MAX_READ_BATCH) as u64))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(recorded_event).collect()
    }

    async fn read_all(
        &self,
        after_position: u64,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let rows = sqlx::query(select_events!(
            "WHERE position > $1 ORDER BY position LIMIT $2"
        ))
        .bind(to_i64(after_position))
        .bind(to_i64(max.min(MAX_READ_BATCH) as u64))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(recorded_event).collect()
    }

    async fn read_snapshot(&self, stream_id: &str) -> Result<Option<Snapshot>, StoreError> {
        let row: Option<SnapshotRow> = sqlx::query_as(
            "SELECT stream_id, kind, revision, hash, state FROM snapshots WHERE stream_id = $1",
        )
        .bind(stream_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(snapshot_row).transpose()
    }

    async fn snapshots(&self, after_stream: &str, max: usize) -> Result<Vec<Snapshot>, StoreError> {
        let rows: Vec<SnapshotRow> = sqlx::query_as(
            "SELECT stream_id, kind, revision, hash, state FROM snapshots WHERE stream_id COLLATE \"C\" > $1 \
             ORDER BY stream_id COLLATE \"C\" LIMIT $2",
        )
        .bind(after_stream)
        .bind(i64::try_from(max.min(MAX_READ_BATCH)).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(snapshot_row).collect()
    }

    async fn write_snapshot(&self, snapshot: Snapshot) -> Result<(), StoreError> {
        if snapshot.state.len() > MAX_SNAPSHOT_BYTES {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO snapshots (stream_id, kind, revision, hash, state) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (stream_id) DO UPDATE SET \
             kind = excluded.kind, revision = excluded.revision, hash = excluded.hash, \
             state = excluded.state WHERE excluded.revision >= snapshots.revision",
        )
        .bind(&snapshot.stream_id)
        .bind(&snapshot.kind)
        .bind(i64::try_from(snapshot.revision).unwrap_or(i64::MAX))
        .bind(&snapshot.hash)
        .bind(&snapshot.state)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn find_event(&self, event_id: Uuid) -> Result<Option<RecordedEvent>, StoreError> {
        let row = sqlx::query(select_events!("WHERE event_id = $1"))
            .bind(event_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(recorded_event).transpose()
    }

    async fn idempotency_columns(
        &self,
        after: u64,
        until: u64,
    ) -> Result<Option<Vec<(u64, String, String, u64)>>, StoreError> {
        let rows = sqlx::query(
            "SELECT position, idempotency_key, idempotency_fingerprint, idempotency_last FROM events \
             WHERE position > $1 AND position <= $2 AND idempotency_key IS NOT NULL ORDER BY position",
        )
        .bind(i64::try_from(after).unwrap_or(i64::MAX))
        .bind(i64::try_from(until).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    to_u64(row.try_get("position")?)?,
                    row.try_get("idempotency_key")?,
                    row.try_get("idempotency_fingerprint")?,
                    to_u64(row.try_get("idempotency_last")?)?,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()
            .map(Some)
    }

    async fn idempotency_claim(&self, key: &str) -> Result<Option<(String, u64, u64)>, StoreError> {
        let row = sqlx::query(
            "SELECT idempotency_fingerprint, position, idempotency_last FROM events WHERE idempotency_key = $1",
        )
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok((
                row.try_get("idempotency_fingerprint")?,
                to_u64(row.try_get("position")?)?,
                to_u64(row.try_get("idempotency_last")?)?,
            ))
        })
        .transpose()
    }

    async fn head_position(&self) -> Result<u64, StoreError> {
        let head: i64 = sqlx::query_scalar("SELECT position FROM log_head")
            .fetch_one(&self.pool)
            .await?;
        to_u64(head)
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
