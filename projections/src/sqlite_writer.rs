//! The SQLite read store's writer: one thread that owns one connection to `read.db` and applies
//! whole batches (check the checkpoint, load the rows the batch needs, fold, write, move the
//! checkpoint, commit) with statements prepared once. The runner hands it a batch and waits for
//! one answer, instead of a thread hop and a wake-up per statement through sqlx's worker; the
//! connection's page cache stays warm, since no other connection writes. Queries keep reading
//! through the sqlx pool (WAL: readers see each committed batch).

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use rusqlite::{OptionalExtension as _, TransactionBehavior};
use tokio::sync::oneshot;
use yika_domain::{Event, Metadata};
use yika_store::RecordedEvent;

use crate::ProjectionError;
use crate::views::{self, Applied, Rows};

/// A batch of decoded events for the writer, to go after the views' checkpoint.
pub(crate) struct Batch {
    /// The checkpoint the runner read the batch after.
    pub checkpoint: u64,
    /// The log's event at the checkpoint (its hash must be the one the views applied there).
    pub at_checkpoint: Option<RecordedEvent>,
    /// The events, in position order from `checkpoint + 1`.
    pub events: Vec<(RecordedEvent, Event, Metadata)>,
}

/// WAL pages after which a commit checkpoints the views while they follow live traffic: a
/// checkpoint writes its pages and syncs the file while the log is syncing its own commits, and
/// every request in flight waits for both. Live batches are small and each rewrites the same
/// hot pages as new WAL frames, so the WAL grows by pages much faster than the file changes;
/// small, frequent checkpoints keep each sync short. 250 pages (about 1 MiB) against 2,500: at
/// a hospital's load (100–1,000 deductions/s) the p99 fell from 11–27 ms to 4–8 ms, at full load
/// from 35 ms to 28–29 ms for 2–3% of the rate (decisions 0035 and 0039, docs/performance.md).
const LIVE_CHECKPOINT_PAGES: u32 = 250;
/// The same while catching up (batches of thousands of events): fewer, larger checkpoints, each
/// page written once for many batches; a rebuild is about 11% faster than with the live setting.
const CATCH_UP_CHECKPOINT_PAGES: u32 = 10_000;
/// Batches at least this large are a catch-up, not live traffic.
const CATCH_UP_BATCH_EVENTS: usize = 512;

/// The WAL's checkpoint threshold for a batch of `events`.
fn checkpoint_pages_for(events: usize) -> u32 {
    if events >= CATCH_UP_BATCH_EVENTS {
        CATCH_UP_CHECKPOINT_PAGES
    } else {
        LIVE_CHECKPOINT_PAGES
    }
}

enum Job {
    Apply(Batch, oneshot::Sender<Result<(), ProjectionError>>),
}

/// The writer thread's handle; dropping it ends the thread once its queue is empty.
pub(crate) struct SqliteWriter {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
    path: PathBuf,
}

/// The file a `sqlite://` URL names.
pub(crate) fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://")?;
    let path = rest.split_once('?').map_or(rest, |(path, _)| path);
    let decoded = path
        .replace("%20", " ")
        .replace("%23", "#")
        .replace("%3F", "?")
        .replace("%25", "%");
    (!decoded.is_empty() && !decoded.starts_with(':')).then(|| PathBuf::from(decoded))
}

impl SqliteWriter {
    /// Opens the writer on `path` (which the read store's migrations have made).
    pub(crate) fn open(path: &Path) -> Result<SqliteWriter, ProjectionError> {
        let conn = rusqlite::Connection::open(path)?;
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000; \
             PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY; \
             PRAGMA wal_autocheckpoint = {CATCH_UP_CHECKPOINT_PAGES};"
        ))?;
        conn.set_prepared_statement_cache_capacity(64);
        let (jobs, queue) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("yika-views-writer".to_owned())
            .spawn(move || {
                let mut conn = conn;
                let mut checkpoint_pages = CATCH_UP_CHECKPOINT_PAGES;
                while let Ok(job) = queue.recv() {
                    match job {
                        Job::Apply(batch, answer) => {
                            let pages = checkpoint_pages_for(batch.events.len());
                            if pages != checkpoint_pages
                                && conn
                                    .pragma_update(None, "wal_autocheckpoint", pages)
                                    .is_ok()
                            {
                                checkpoint_pages = pages;
                            }
                            let _ = answer.send(apply(&mut conn, &batch));
                        }
                    }
                }
            })
            .map_err(|e| ProjectionError::Corrupt(format!("a thread for the views: {e}")))?;
        Ok(SqliteWriter {
            jobs: Some(jobs),
            thread: Some(thread),
            path: path.to_owned(),
        })
    }

    /// The read store's file.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Applies a batch in one transaction; its outcome.
    pub(crate) async fn apply(&self, batch: Batch) -> Result<(), ProjectionError> {
        let (answer, answered) = oneshot::channel();
        self.jobs
            .as_ref()
            .ok_or_else(|| ProjectionError::Corrupt("the views' writer is closed".to_owned()))?
            .send(Job::Apply(batch, answer))
            .map_err(|_| ProjectionError::Corrupt("the views' writer stopped".to_owned()))?;
        answered
            .await
            .map_err(|_| ProjectionError::Corrupt("the views' writer stopped".to_owned()))?
    }
}

impl Drop for SqliteWriter {
    fn drop(&mut self) {
        self.jobs.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn apply(conn: &mut rusqlite::Connection, batch: &Batch) -> Result<(), ProjectionError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Statements prepared once per connection, as the rows' own are.
    let stored: Option<i64> = tx
        .prepare_cached("SELECT position FROM checkpoints WHERE projection = ?1")?
        .query_row([crate::runner::PROJECTION], |row| row.get(0))
        .optional()?;
    if stored.unwrap_or(0) != i64::try_from(batch.checkpoint).unwrap_or(i64::MAX) {
        return Err(ProjectionError::Corrupt(format!(
            "the views' checkpoint moved from {} under their writer (another process writes them)",
            batch.checkpoint
        )));
    }
    if batch.checkpoint > 0 {
        let seen: Option<Option<String>> = tx
            .prepare_cached("SELECT hash FROM audit_index WHERE position = ?1")?
            .query_row(
                [i64::try_from(batch.checkpoint).unwrap_or(i64::MAX)],
                |row| row.get(0),
            )
            .optional()?;
        crate::runner::check_witness(batch.checkpoint, batch.at_checkpoint.as_ref(), seen)?;
    }
    let applied: Vec<Applied<'_>> = batch
        .events
        .iter()
        .map(|(recorded, event, metadata)| Applied::new(recorded, event, metadata))
        .collect();
    let mut rows = Rows::default();
    rows.load_sqlite(&tx, &views::needs(&applied))?;
    views::fold(&mut rows, &applied)?;
    rows.flush_sqlite(&tx)?;
    if let Some(last) = batch.events.last() {
        tx.prepare_cached(
            "INSERT INTO checkpoints (projection, position) VALUES (?1, ?2) \
             ON CONFLICT (projection) DO UPDATE SET position = excluded.position",
        )?
        .execute(rusqlite::params![
            crate::runner::PROJECTION,
            i64::try_from(last.0.position).unwrap_or(i64::MAX)
        ])?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sqlite_url_names_its_file() {
        // Goal: the writer opens the file the read store's URL names, escapes undone.
        assert_eq!(
            sqlite_path("sqlite:///var/lib/yika/read%20store%3F.db?mode=rwc"),
            Some(PathBuf::from("/var/lib/yika/read store?.db"))
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://db/yika"), None);
    }
}
