//! The projection runner: catches up from its checkpoint, then follows the live tail.
//!
//! Each batch of events (at most [`BATCH_EVENTS`]) is applied to every view and the checkpoint
//! is moved in the same read-store transaction, so a crash never applies an event twice or
//! skips one. Positions are dense (the store guarantees it), so `position > checkpoint` never
//! passes over an event that commits later. On SQLite the batch goes to the read store's writer
//! thread (`sqlite_writer`); on PostgreSQL it is applied through the pool, with the checkpoint
//! row locked, so several API replicas can share the views.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;
use yika_domain::{Event, Metadata};
use yika_store::{EventStore, MAX_READ_BATCH, RecordedEvent};

use crate::sqlite_writer::Batch;
use crate::views::{self, Applied};
use crate::{ProjectionError, ReadStore};

/// The most events applied in one read-store transaction: as many as one read of the log holds
/// beside the checkpoint's own event. A rebuild with batches of 9,999 was 8% faster than with
/// 5,000 (fewer commits, each hot index page written to the WAL fewer times); live batches are
/// what arrived since the last one, far smaller.
pub const BATCH_EVENTS: usize = MAX_READ_BATCH - 1;
/// How often the runner looks for appends made by other processes.
pub const POLL_INTERVAL: Duration = Duration::from_millis(200);
/// The checkpoint's name.
pub const PROJECTION: &str = "views";

/// Applies the event log to the read store.
#[derive(Clone)]
pub struct ProjectionRunner {
    store: Arc<dyn EventStore>,
    read: ReadStore,
    /// Serializes catch-ups, so an event is never applied by two callers at once.
    lock: Arc<Mutex<()>>,
}

/// Checks that `logged`, read from the log at the views' checkpoint, is the event the views
/// applied there: `seen` is the hash the audit index recorded for it (views built before it
/// recorded hashes are not checked).
pub(crate) fn check_witness(
    checkpoint: u64,
    logged: Option<&RecordedEvent>,
    seen: Option<Option<String>>,
) -> Result<(), ProjectionError> {
    let Some(logged) = logged.filter(|e| e.position == checkpoint) else {
        return Err(ProjectionError::ForeignLog(format!(
            "event {checkpoint}, the last the views applied, is missing from the log: \
             events were removed from it (run `yika verify`)"
        )));
    };
    if let Some(Some(seen)) = seen
        && seen != logged.hash
    {
        return Err(ProjectionError::ForeignLog(format!(
            "event {checkpoint} in the log is not the event the views applied there: the views \
             were built from another log, or this one was rewritten (run `yika verify`)"
        )));
    }
    Ok(())
}

/// Decodes a batch read after `checkpoint`, checking that its positions follow on densely: what
/// the runner and the fold in memory do with each batch they read.
///
/// # Errors
///
/// A hole in the positions, or an event or its metadata that does not decode.
pub fn decode(
    checkpoint: u64,
    events: Vec<RecordedEvent>,
) -> Result<Vec<(RecordedEvent, Event, Metadata)>, ProjectionError> {
    let mut decoded = Vec::with_capacity(events.len());
    for (offset, recorded) in events.into_iter().enumerate() {
        // The store's log is dense; a hole means a row was removed from the file by hand.
        let due = checkpoint + 1 + offset as u64;
        if recorded.position != due {
            return Err(ProjectionError::Corrupt(format!(
                "event {due} is missing from the log"
            )));
        }
        let event = Event::decode(
            &recorded.event_type,
            recorded.schema_version,
            &recorded.payload,
        )?;
        let metadata: Metadata = serde_json::from_str(&recorded.metadata).map_err(|e| {
            ProjectionError::Corrupt(format!("metadata at {}: {e}", recorded.position))
        })?;
        decoded.push((recorded, event, metadata));
    }
    Ok(decoded)
}

impl ProjectionRunner {
    /// A runner from `store` into `read`.
    #[must_use]
    pub fn new(store: Arc<dyn EventStore>, read: ReadStore) -> ProjectionRunner {
        ProjectionRunner {
            store,
            read,
            lock: Arc::new(Mutex::new(())),
        }
    }

    /// Applies every committed event not yet applied; returns how many were applied.
    pub async fn catch_up(&self) -> Result<u64, ProjectionError> {
        self.catch_up_until(u64::MAX).await
    }

    /// Applies committed events up to and including position `limit`.
    pub async fn catch_up_until(&self, limit: u64) -> Result<u64, ProjectionError> {
        self.catch_up_from(limit, false).await
    }

    /// Applies committed events up to `limit`; with `recent`, the events this process just
    /// committed are read from the store's memory (another process's appends wait for the next
    /// full read).
    async fn catch_up_from(&self, limit: u64, recent: bool) -> Result<u64, ProjectionError> {
        let _guard = self.lock.lock().await;
        let mut applied = 0;
        loop {
            let (n, more) = match self.read.sqlite_writer() {
                Some(_) => self.apply_batch_sqlite(limit, recent).await?,
                None => self.apply_batch_pooled(limit).await?,
            };
            applied += n;
            if !more {
                return Ok(applied);
            }
        }
    }

    /// How many events to read after `checkpoint` for a batch up to `limit` (one read holds the
    /// batch and the checkpoint's own event); `None` when there is no room.
    fn asked(checkpoint: u64, limit: u64) -> Option<usize> {
        let room = usize::try_from(limit.saturating_sub(checkpoint)).unwrap_or(usize::MAX);
        (room > 0).then(|| BATCH_EVENTS.min(room))
    }

    /// The batch after `checkpoint`, read from the checkpoint's own event on, which must be the
    /// event the views applied there: if the log lost it, or was rewritten, or is another
    /// ledger's log altogether (a replica pointed at another event store), new events must
    /// never be projected onto these views. Returns the event at the checkpoint and the batch.
    async fn read_after(
        &self,
        checkpoint: u64,
        asked: usize,
        recent: bool,
    ) -> Result<(Option<RecordedEvent>, Vec<RecordedEvent>), ProjectionError> {
        let (after, max) = (
            checkpoint.saturating_sub(1),
            asked + usize::from(checkpoint > 0),
        );
        let remembered = if recent {
            self.store.read_recent(after, max).await?
        } else {
            None
        };
        let mut events = match remembered {
            Some(events) if !events.is_empty() => events,
            _ => self.store.read_all(after, max).await?,
        };
        let at_checkpoint = if checkpoint > 0 && !events.is_empty() {
            Some(events.remove(0))
        } else {
            None
        };
        Ok((at_checkpoint, events))
    }

    /// A batch through the SQLite read store's writer thread. This process is the views' only
    /// writer: the checkpoint it last applied is the views' (the writer checks it).
    async fn apply_batch_sqlite(
        &self,
        limit: u64,
        recent: bool,
    ) -> Result<(u64, bool), ProjectionError> {
        let writer = self.read.sqlite_writer().expect("a SQLite read store");
        let checkpoint = self.read.position();
        let Some(asked) = Self::asked(checkpoint, limit) else {
            return Ok((0, false));
        };
        let (at_checkpoint, events) = self.read_after(checkpoint, asked, recent).await?;
        if checkpoint > 0 && at_checkpoint.is_none() {
            check_witness(checkpoint, None, None)?;
        }
        // Even with nothing new, the writer checks that the log still holds, at the checkpoint,
        // the event the views applied there.
        let count = events.len();
        let last = events.last().map_or(checkpoint, |e| e.position);
        let started = std::time::Instant::now();
        let events = decode(checkpoint, events)?;
        let decoded = started.elapsed();
        writer
            .apply(Batch {
                checkpoint,
                at_checkpoint,
                events,
            })
            .await?;
        if count > 0 {
            tracing::debug!(
                events = count,
                decode_us = decoded.as_micros() as u64,
                apply_us = (started.elapsed() - decoded).as_micros() as u64,
                "views batch"
            );
        }
        self.read.applied_to(last);
        Ok((count as u64, count == asked))
    }

    /// A batch through the pool, the checkpoint row locked for it.
    async fn apply_batch_pooled(&self, limit: u64) -> Result<(u64, bool), ProjectionError> {
        let mut tx = self.read.pool().begin().await?;
        // On PostgreSQL several API replicas may share the read store: the checkpoint row is
        // locked for the batch, so each event is applied once between them.
        let checkpoint = self.read.lock_checkpoint(&mut tx, PROJECTION).await?;
        if checkpoint > self.read.position() {
            // Another replica applied these; they are committed: announce them here too.
            self.read.applied_to(checkpoint);
        }
        let Some(asked) = Self::asked(checkpoint, limit) else {
            return Ok((0, false));
        };
        let (at_checkpoint, events) = self.read_after(checkpoint, asked, false).await?;
        if checkpoint > 0 {
            let seen: Option<Option<String>> =
                sqlx::query_scalar("SELECT hash FROM audit_index WHERE position = $1")
                    .bind(i64::try_from(checkpoint).expect("position fits"))
                    .fetch_optional(&mut *tx)
                    .await?;
            check_witness(checkpoint, at_checkpoint.as_ref(), seen)?;
        }
        let Some(last) = events.last().map(|e| e.position) else {
            return Ok((0, false));
        };
        let count = events.len();
        let decoded = decode(checkpoint, events)?;
        let batch: Vec<Applied<'_>> = decoded
            .iter()
            .map(|(recorded, event, metadata)| Applied::new(recorded, event, metadata))
            .collect();
        views::apply_batch(&mut tx, self.read.backend(), &batch).await?;
        sqlx::query(
            "INSERT INTO checkpoints (projection, position) VALUES ($1, $2) \
             ON CONFLICT (projection) DO UPDATE SET position = excluded.position",
        )
        .bind(PROJECTION)
        .bind(i64::try_from(last).expect("position fits"))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.read.applied_to(last);
        Ok((count as u64, count == asked))
    }

    /// Checks, before anything is applied, that the log still holds at the views' checkpoint the
    /// event the views applied there: a server must not start on views built from another log.
    pub async fn check_witness(&self) -> Result<(), ProjectionError> {
        let checkpoint = self.read.position();
        if checkpoint == 0 {
            return Ok(());
        }
        let logged = yika_store::read_at(self.store.as_ref(), checkpoint).await?;
        let seen: Option<Option<String>> =
            sqlx::query_scalar("SELECT hash FROM audit_index WHERE position = $1")
                .bind(i64::try_from(checkpoint).expect("position fits"))
                .fetch_optional(self.read.pool())
                .await?;
        check_witness(checkpoint, logged.as_ref(), seen)
    }

    /// Runs until the process ends: catch up, then wait for the store's wake-up (or the poll
    /// interval, for other processes' appends) and catch up again: after a wake-up from this
    /// process's own appends from the store's memory, after the interval from the log in full.
    ///
    /// A batch that fails (an event a view cannot apply, the read store failing) stalls the
    /// views: the reason is on [`ReadStore::stalled`] (the server's `/readyz` and `/metrics`
    /// show it, commands stop waiting for the views), it is logged, and the batch is retried
    /// with a growing pause. The log and the commands go on meanwhile. Views found built from
    /// another log are never applied to again.
    pub async fn run(self) {
        let mut wake = self.store.subscribe();
        let mut woken = false;
        let mut read_in_full = tokio::time::Instant::now();
        let mut pause = Duration::from_millis(250);
        loop {
            // The log in full at least every poll interval, however busy this process is.
            let recent = woken && read_in_full.elapsed() < POLL_INTERVAL;
            if !recent {
                read_in_full = tokio::time::Instant::now();
            }
            match self.catch_up_from(u64::MAX, recent).await {
                Ok(_) => {
                    if self.read.stalled().is_some() {
                        tracing::info!(
                            position = self.read.position(),
                            "views applying the log again"
                        );
                        self.read.set_stalled(None);
                    }
                    pause = Duration::from_millis(250);
                }
                Err(error) => {
                    let foreign = matches!(error, ProjectionError::ForeignLog(_));
                    let why = format!(
                        "views stopped after position {}: {error}",
                        self.read.position()
                    );
                    tracing::error!(%error, position = self.read.position(), "views stalled; retrying");
                    self.read.set_stalled(Some(why));
                    if foreign {
                        // Never apply this log to these views; the server keeps answering.
                        std::future::pending::<()>().await;
                    }
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(30));
                    woken = false;
                    continue;
                }
            }
            woken = tokio::time::timeout(POLL_INTERVAL, wake.changed())
                .await
                .is_ok_and(|changed| changed.is_ok());
        }
    }
}
