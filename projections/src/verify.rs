//! Verification: the log's hash chain, and every live view against a fresh replay of the log.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use yika_store::EventStore;
use yika_store::hash::{ChainCheck, ChainVerifier};

use crate::memory::{Digest, InMemory};
use crate::views::rows::{CellRef, hash_named_cell};
use crate::{ProjectionError, ProjectionRunner, ReadStore};

/// Walks the whole log in batches and checks the hash chain from the first event. A row that
/// no longer reads as an event (an edited time, id or number that does not parse) is a break
/// where it stands: the batch is read again one event at a time up to it.
pub async fn verify_chain(store: &dyn EventStore) -> Result<ChainCheck, ProjectionError> {
    let mut verifier = ChainVerifier::default();
    let mut after = 0;
    loop {
        let batch = match store.read_all(after, 1_000).await {
            Ok(batch) => batch,
            Err(yika_store::StoreError::Corrupt(_)) => {
                loop {
                    match store.read_all(after, 1).await {
                        Ok(one) if !one.is_empty() => {
                            verifier.push(&one[0]);
                            after = one[0].position;
                        }
                        Ok(_) => return Ok(verifier.finish()),
                        Err(yika_store::StoreError::Corrupt(_)) => break,
                        Err(error) => return Err(error.into()),
                    }
                }
                verifier.unreadable();
                return Ok(verifier.finish());
            }
            Err(error) => return Err(error.into()),
        };
        let Some(last) = batch.last().map(|e| e.position) else {
            return Ok(verifier.finish());
        };
        for event in &batch {
            verifier.push(event);
        }
        after = last;
    }
}

/// Where the log stopped being the log the views were built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Divergence {
    /// The first such position.
    pub position: u64,
    /// What is wrong there.
    pub reason: String,
}

/// Events compared per batch with the views' record of them.
const WITNESS_BATCH: i64 = 1_000;

/// Compares the log with the hash the views recorded of each event as they applied it (the
/// audit index), from position 1 to the views' checkpoint, and returns the first position
/// where the log now holds another event (an edited event whose chain was recomputed, an
/// event inserted or renumbered) or none (an event removed, the log cut short). The views are
/// a witness kept apart from the log: a chain rewritten from some point on is intact in
/// itself, but not equal to what the views saw.
pub async fn compare_log_with_views(
    live: &ReadStore,
    store: &dyn EventStore,
) -> Result<Option<Divergence>, ProjectionError> {
    let mut tx = live.snapshot().await?;
    let checkpoint = ReadStore::checkpoint_in(&mut tx, crate::runner::PROJECTION).await?;
    let mut after: i64 = 0;
    let divergence = loop {
        let witnessed: Vec<(i64, Option<String>)> = sqlx::query_as(
            "SELECT position, hash FROM audit_index WHERE position > $1 AND position <= $2 \
             ORDER BY position LIMIT $3",
        )
        .bind(after)
        .bind(i64::try_from(checkpoint).expect("position fits"))
        .bind(WITNESS_BATCH)
        .fetch_all(&mut *tx)
        .await?;
        let Some(&(last, _)) = witnessed.last() else {
            break None;
        };
        let logged: std::collections::HashMap<u64, String> = match store
            .read_all(u64::try_from(after).unwrap_or(0), witnessed.len())
            .await
        {
            Ok(events) => events.into_iter().map(|e| (e.position, e.hash)).collect(),
            // A row that no longer reads: find it among the witnessed positions.
            Err(yika_store::StoreError::Corrupt(problem)) => {
                let mut readable = std::collections::HashMap::new();
                for (position, _) in &witnessed {
                    let position = u64::try_from(*position).unwrap_or(0);
                    match yika_store::read_at(store, position).await {
                        Ok(Some(event)) => {
                            readable.insert(position, event.hash);
                        }
                        Ok(None) => {}
                        Err(yika_store::StoreError::Corrupt(_)) => {
                            tx.commit().await?;
                            return Ok(Some(Divergence {
                                position,
                                reason: format!(
                                    "event {position} can no longer be read from the log ({problem})"
                                ),
                            }));
                        }
                        Err(error) => return Err(error.into()),
                    }
                }
                readable
            }
            Err(error) => return Err(error.into()),
        };
        let found = witnessed.iter().find_map(|(position, seen)| {
            let position = u64::try_from(*position).unwrap_or(0);
            match (logged.get(&position), seen) {
                (None, _) => Some(Divergence {
                    position,
                    reason: format!(
                        "event {position}, which the views applied, is missing from the log"
                    ),
                }),
                (Some(hash), Some(seen)) if hash != seen => Some(Divergence {
                    position,
                    reason: format!(
                        "event {position} in the log is not the event the views applied (its hash was {seen}, it is now {hash})"
                    ),
                }),
                _ => None,
            }
        });
        if found.is_some() {
            break found;
        }
        after = last;
    };
    tx.commit().await?;
    Ok(divergence)
}

/// The outcome of comparing the live views with a replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewCheck {
    /// The position both were compared at (the live views' checkpoint).
    pub position: u64,
    /// One line per difference ("accounts: 1 row(s) differ from the replay").
    pub mismatches: Vec<String>,
}

/// Replays the log in memory up to the live views' checkpoint and compares every compared table
/// with the live one, the live side read in one snapshot. Tables are compared as multisets of
/// rows (each row as its columns' names and values, by name, so column order does not matter),
/// through an order-independent digest: the sum of the rows' SHA-256 hashes and the row count,
/// streamed on the live side, so any backend and any size compares in bounded memory. Only when
/// a table differs is the log replayed into a scratch SQLite read store at `scratch` (a new
/// file), to name the first differing row. A replay that fails (an event that no longer
/// decodes, a hole) is reported as a mismatch.
pub async fn compare_views(
    live: &ReadStore,
    store: Arc<dyn EventStore>,
    scratch: &Path,
) -> Result<ViewCheck, ProjectionError> {
    let mut tx = live.snapshot().await?;
    let position = ReadStore::checkpoint_in(&mut tx, crate::runner::PROJECTION).await?;
    // On SQLite the live tables are hashed on a thread of their own while the log is replayed.
    let hashing = live
        .sqlite_writer()
        .map(|writer| sqlite_digests(writer.path().to_owned(), position));
    let mut mismatches = Vec::new();
    let replay = InMemory::replay(store.as_ref(), position).await;
    // Should that fail (a row that does not read as a view row), the snapshot is read as before.
    let mut hashed = match hashing {
        Some(hashing) => match hashing.await {
            Ok(Ok(hashed)) => hashed,
            Ok(Err(error)) => {
                tracing::warn!(%error, "hashing the live views through rusqlite failed; reading them again");
                None
            }
            Err(error) => {
                tracing::warn!(%error, "hashing the live views stopped; reading them again");
                None
            }
        },
        None => None,
    };
    match replay {
        Err(error) => mismatches.push(format!("the replay failed: {error}")),
        Ok(mut memory) => {
            let replayed = memory.digests();
            let mut differing = Vec::new();
            for table in crate::views::compared_tables() {
                let live_digest = match hashed.as_mut().and_then(|h| h.remove(table)) {
                    Some(hashed) => hashed,
                    None => digest(&mut tx, table).await?,
                };
                let replay_digest = replayed.get(table).copied().unwrap_or_default();
                if live_digest != replay_digest {
                    differing.push((table, live_digest.rows, replay_digest.rows));
                }
            }
            if !differing.is_empty() {
                let located = locate(&mut tx, store.clone(), scratch, position, &differing).await?;
                for ((table, live_rows, replay_rows), at) in differing.into_iter().zip(located) {
                    mismatches.push(format!(
                        "{table}: the live rows differ from a replay of the log ({live_rows} live, {replay_rows} replayed){}",
                        at.map(|at| format!("; first difference: {at}"))
                            .unwrap_or_default()
                    ));
                }
            }
            // The events beyond the views' checkpoint are not compared, but every one of them
            // must still apply to every view: one that cannot would stall the views.
            if let Err(error) = memory.fold_until(store.as_ref(), u64::MAX).await {
                mismatches.push(format!(
                    "an event after position {} cannot be applied to the views: {error}",
                    memory.position
                ));
            }
        }
    }
    tx.commit().await?;
    Ok(ViewCheck {
        position,
        mismatches,
    })
}

/// The first differing row of each differing table, found by replaying the log up to
/// `position` into a scratch SQLite read store and walking both copies in the same order.
async fn locate(
    live: &mut sqlx::AnyConnection,
    store: Arc<dyn EventStore>,
    scratch: &Path,
    position: u64,
    differing: &[(&'static str, u64, u64)],
) -> Result<Vec<Option<String>>, ProjectionError> {
    let replay = ReadStore::open(scratch).await?;
    let result = async {
        ProjectionRunner::new(store, replay.clone())
            .catch_up_until(position)
            .await?;
        let mut replayed = replay.pool().acquire().await?;
        let mut located = Vec::with_capacity(differing.len());
        for (table, _, _) in differing {
            located.push(first_difference(live, &mut replayed, table).await?);
        }
        Ok::<_, ProjectionError>(located)
    }
    .await;
    replay.close().await;
    result
}

/// The tables among `tables` whose rows differ between two read stores (compared as multisets
/// of rows, like [`compare_views`]).
pub async fn differing_tables(
    left: &mut sqlx::AnyConnection,
    right: &mut sqlx::AnyConnection,
    tables: impl IntoIterator<Item = &'static str>,
) -> Result<Vec<&'static str>, ProjectionError> {
    let mut differing = Vec::new();
    for table in tables {
        if digest(left, table).await? != digest(right, table).await? {
            differing.push(table);
        }
    }
    Ok(differing)
}

/// A row as its cells (column name, value as `i<n>`, `t<len>:<text>` or `null`), by name.
fn cells(row: &sqlx::any::AnyRow) -> Result<Vec<(String, String)>, ProjectionError> {
    use sqlx::{Column as _, Row as _};
    let mut cells: Vec<(String, String)> = Vec::with_capacity(row.len());
    for (i, column) in row.columns().iter().enumerate() {
        let value = if let Ok(number) = row.try_get::<Option<i64>, _>(i) {
            CellRef::Int(number).canonical()
        } else {
            let text: Option<String> = row.try_get(i)?;
            CellRef::Text(text.as_deref()).canonical()
        };
        cells.push((column.name().to_owned(), value));
    }
    cells.sort();
    Ok(cells)
}

/// The first row where two copies of a table differ, both read in the same order (by every
/// column, by name, nulls first), described by its first column and the cells that differ.
async fn first_difference(
    live: &mut sqlx::AnyConnection,
    replayed: &mut sqlx::AnyConnection,
    table: &str,
) -> Result<Option<String>, ProjectionError> {
    use futures::TryStreamExt as _;
    let one = format!("SELECT * FROM {table} LIMIT 1");
    let sample = match sqlx::query(sqlx::AssertSqlSafe(one.clone()))
        .fetch_optional(&mut *live)
        .await?
    {
        Some(row) => Some(row),
        None => {
            sqlx::query(sqlx::AssertSqlSafe(one))
                .fetch_optional(&mut *replayed)
                .await?
        }
    };
    let Some(sample) = sample else {
        return Ok(None);
    };
    // Rows are named by the table's first column (its key, in every view table).
    let key_name = {
        use sqlx::{Column as _, Row as _};
        sample.columns().first().map(|c| c.name().to_owned())
    };
    let names: Vec<String> = cells(&sample)?.into_iter().map(|(name, _)| name).collect();
    let order = names
        .iter()
        .map(|n| format!("\"{n}\" NULLS FIRST"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!("SELECT * FROM {table} ORDER BY {order}");
    let mut left = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).fetch(&mut *live);
    let mut right = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut *replayed);
    loop {
        let (l, r) = (left.try_next().await?, right.try_next().await?);
        let (l, r) = match (l, r) {
            (None, None) => return Ok(None),
            (l, r) => (
                l.as_ref().map(cells).transpose()?,
                r.as_ref().map(cells).transpose()?,
            ),
        };
        if l == r {
            continue;
        }
        let key = |c: &Vec<(String, String)>| {
            c.iter()
                .find(|(n, _)| Some(n) == key_name.as_ref())
                .map(|(n, v)| format!("{n} = {v}"))
                .unwrap_or_default()
        };
        return Ok(Some(match (l, r) {
            (Some(l), None) => format!("a live row the replay does not have ({})", key(&l)),
            (None, Some(r)) => format!("a replayed row the live views do not have ({})", key(&r)),
            (Some(l), Some(r)) => {
                let differing: Vec<String> = l
                    .iter()
                    .zip(&r)
                    .filter(|(a, b)| a != b)
                    .map(|((name, live), (_, replay))| {
                        format!("{name} live {live}, replayed {replay}")
                    })
                    .collect();
                format!("row {} ({})", key(&l), differing.join("; "))
            }
            (None, None) => unreachable!("handled above"),
        }));
    }
}

/// The digest of a table as a read store holds it.
pub async fn digest(
    conn: &mut sqlx::AnyConnection,
    table: &str,
) -> Result<Digest, ProjectionError> {
    use futures::TryStreamExt as _;
    let mut digest = Digest::default();
    let sql = format!("SELECT * FROM {table}");
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut *conn);
    while let Some(row) = rows.try_next().await? {
        digest.add(&cells(&row)?);
    }
    Ok(digest)
}

/// Every compared table's digest of a SQLite read store as of its checkpoint now, read as
/// `yika verify` reads it (`None` on PostgreSQL, or when the views moved on while it read).
pub async fn sqlite_digests_now(
    read: &ReadStore,
) -> Result<Option<HashMap<&'static str, Digest>>, ProjectionError> {
    let Some(writer) = read.sqlite_writer() else {
        return Ok(None);
    };
    sqlite_digests(writer.path().to_owned(), read.position())
        .await
        .map_err(|e| ProjectionError::Corrupt(format!("hashing the live views stopped: {e}")))?
}

/// Every compared table of the SQLite read store at `path` hashed as [`digest`] hashes it, read
/// through rusqlite in one read transaction on a blocking thread (sqlx hands each row from its
/// worker thread one at a time, which made these reads most of verify's time). `None` when the
/// views' checkpoint in that transaction is not `position` (they moved on since the caller's
/// snapshot): the caller then reads its own snapshot.
fn sqlite_digests(
    path: std::path::PathBuf,
    position: u64,
) -> tokio::task::JoinHandle<Result<Option<HashMap<&'static str, Digest>>, ProjectionError>> {
    tokio::task::spawn_blocking(move || {
        let mut conn = rusqlite::Connection::open_with_flags(
            &path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Deferred)?;
        let checkpoint: i64 = tx.query_row(
            "SELECT COALESCE((SELECT position FROM checkpoints WHERE projection = ?1), 0)",
            [crate::runner::PROJECTION],
            |row| row.get(0),
        )?;
        if u64::try_from(checkpoint).ok() != Some(position) {
            return Ok(None);
        }
        let mut digests = HashMap::new();
        for table in crate::views::compared_tables() {
            let mut statement = tx.prepare(&format!("SELECT * FROM {table}"))?;
            let names: Vec<String> = statement
                .column_names()
                .into_iter()
                .map(str::to_owned)
                .collect();
            let mut order: Vec<usize> = (0..names.len()).collect();
            order.sort_by(|a, b| names[*a].cmp(&names[*b]));
            let mut digest = Digest::default();
            let mut rows = statement.query([])?;
            while let Some(row) = rows.next()? {
                digest.add_row(|hasher| {
                    for &index in &order {
                        let cell = match row.get_ref(index)? {
                            rusqlite::types::ValueRef::Null => CellRef::Int(None),
                            rusqlite::types::ValueRef::Integer(n) => CellRef::Int(Some(n)),
                            rusqlite::types::ValueRef::Text(text) => {
                                CellRef::Text(Some(std::str::from_utf8(text).map_err(|e| {
                                    ProjectionError::Corrupt(format!("{table}: {e}"))
                                })?))
                            }
                            other => {
                                return Err(ProjectionError::Corrupt(format!(
                                    "{table}.{}: a {:?} value, not an integer or a text",
                                    names[index],
                                    other.data_type()
                                )));
                            }
                        };
                        hash_named_cell(hasher, &names[index], |hasher| cell.hash_into(hasher));
                    }
                    Ok(())
                })?;
            }
            digests.insert(table, digest);
        }
        Ok(Some(digests))
    })
}

/// The store's idempotency columns (not hashed) against the copy of each claim in the hashed
/// metadata of the events it covers: a claim removed (a client's retry would write the command a
/// second time), pointed elsewhere (a retry would be answered with another command's receipt),
/// or added, is reported with its position. Events written before the copy existed are not
/// compared. Empty when the backend keeps its claims elsewhere (KurrentDB).
pub async fn verify_idempotency(store: &dyn EventStore) -> Result<Vec<String>, ProjectionError> {
    /// A keyed append being walked: its claim, its first position and what the columns say.
    struct Group {
        note: yika_domain::ClaimNote,
        first: u64,
        last: u64,
        stored: Option<(String, String, u64)>,
    }
    fn close(group: Group, problems: &mut Vec<String>) {
        let Group {
            note,
            first,
            last,
            stored,
        } = group;
        match stored {
            None => problems.push(format!(
                "idempotency: the claim {:?} of the append at positions {first}..={last} was removed from the store (a retry would write it again)",
                note.key
            )),
            Some((key, fingerprint, stored_last))
                if key != note.key || fingerprint != note.fingerprint || stored_last != last =>
            {
                problems.push(format!(
                    "idempotency: the claim stored at position {first} ({key:?}, up to {stored_last}) is not the one its events carry ({:?}, up to {last})",
                    note.key
                ));
            }
            Some(_) => {}
        }
    }
    let mut problems = Vec::new();
    let mut group: Option<Group> = None;
    let mut after = 0;
    loop {
        // An unreadable event stops this walk; the chain check names it.
        let Ok(batch) = store.read_all(after, 1_000).await else {
            break;
        };
        let Some(last) = batch.last().map(|e| e.position) else {
            break;
        };
        let Some(columns) = store.idempotency_columns(after, last).await? else {
            return Ok(Vec::new());
        };
        let mut columns: std::collections::BTreeMap<u64, (String, String, u64)> = columns
            .into_iter()
            .map(|(position, key, fingerprint, last)| (position, (key, fingerprint, last)))
            .collect();
        for event in &batch {
            let stored = columns.remove(&event.position);
            let note = serde_json::from_str::<yika_domain::Metadata>(&event.metadata)
                .ok()
                .and_then(|m| m.idempotency);
            match (note, group.as_mut()) {
                (Some(Some(note)), Some(open)) if open.note == note => {
                    open.last = event.position;
                    if let Some((key, ..)) = stored {
                        problems.push(format!(
                            "idempotency: a second claim {key:?} at position {} inside the append of {:?}",
                            event.position, open.note.key
                        ));
                    }
                }
                (Some(Some(note)), _) => {
                    if let Some(done) = group.take() {
                        close(done, &mut problems);
                    }
                    group = Some(Group {
                        note,
                        first: event.position,
                        last: event.position,
                        stored,
                    });
                }
                (other, _) => {
                    if let Some(done) = group.take() {
                        close(done, &mut problems);
                    }
                    if let (Some(None), Some((key, ..))) = (other, stored) {
                        problems.push(format!(
                            "idempotency: a claim {key:?} is stored at position {}, whose command had none",
                            event.position
                        ));
                    }
                }
            }
        }
        after = last;
    }
    if let Some(done) = group.take() {
        close(done, &mut problems);
    }
    Ok(problems)
}
