//! Verification: the log's hash chain, and every live view against a fresh replay of the log.

use std::path::Path;
use std::sync::Arc;

use sqlx::Connection;
use yika_store::EventStore;
use yika_store::hash::{ChainCheck, ChainVerifier};

use crate::{ProjectionError, ProjectionRunner, ReadStore};

/// Every view table, compared row by row.
pub const VIEW_TABLES: [&str; 14] = [
    "staff",
    "accounts",
    "deductions",
    "shifts",
    "shift_methods",
    "movements",
    "receipts",
    "cash_counts",
    "journal",
    "workload_acts",
    "coefficient_sets",
    "quality_deductions",
    "audit_index",
    "checkpoints",
];

/// Walks the whole log in batches and checks the hash chain from the first event.
pub async fn verify_chain(store: &dyn EventStore) -> Result<ChainCheck, ProjectionError> {
    let mut verifier = ChainVerifier::default();
    let mut after = 0;
    loop {
        let batch = store.read_all(after, 1_000).await?;
        let Some(last) = batch.last().map(|e| e.position) else {
            return Ok(verifier.finish());
        };
        for event in &batch {
            verifier.push(event);
        }
        after = last;
    }
}

/// The outcome of comparing the live views with a replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewCheck {
    /// The position both were compared at (the live views' checkpoint).
    pub position: u64,
    /// One line per difference ("accounts: 1 row(s) differ from the replay").
    pub mismatches: Vec<String>,
}

/// Replays the log into a scratch read store at `scratch` (a new file) up to the live views'
/// checkpoint and compares every view table with the live one, in one read snapshot of the live
/// store. A replay that fails (an event that no longer decodes, a hole) is reported as a
/// mismatch.
pub async fn compare_views(
    live: &ReadStore,
    store: Arc<dyn EventStore>,
    scratch: &Path,
) -> Result<ViewCheck, ProjectionError> {
    let replay = ReadStore::open(scratch).await?;
    let mut conn = live.pool().acquire().await?;
    let scratch_text = scratch
        .to_str()
        .ok_or_else(|| ProjectionError::Corrupt("scratch path is not UTF-8".to_owned()))?;
    sqlx::query("ATTACH DATABASE $1 AS replay")
        .bind(scratch_text)
        .execute(&mut *conn)
        .await?;
    let result = async {
        let mut tx = conn.begin().await?;
        let position = ReadStore::checkpoint_in(&mut tx, crate::runner::PROJECTION).await?;
        let mut mismatches = Vec::new();
        let runner = ProjectionRunner::new(store, replay.clone());
        match runner.catch_up_until(position).await {
            Err(error) => mismatches.push(format!("the replay failed: {error}")),
            Ok(_) => {
                for table in VIEW_TABLES {
                    for (a, b, side) in [("main", "replay", "live"), ("replay", "main", "replayed")] {
                        let sql = format!("SELECT COUNT(*) FROM (SELECT * FROM {a}.{table} EXCEPT SELECT * FROM {b}.{table})");
                        let differing: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&mut *tx).await?;
                        if differing > 0 {
                            mismatches.push(format!("{table}: {differing} {side} row(s) differ from the other side"));
                        }
                    }
                }
            }
        }
        tx.commit().await?;
        Ok::<_, ProjectionError>(ViewCheck { position, mismatches })
    }
    .await;
    let _ = sqlx::query("DETACH DATABASE replay")
        .execute(&mut *conn)
        .await;
    replay.close().await;
    result
}
