//! `yika verify` and `verifyLedger`: the hash chain over the whole log, and every live view
//! compared with a fresh replay.

use crate::application::App;
use crate::error::{ApiError, ApiResult};

/// The verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Events walked.
    pub events_checked: u64,
    /// The hash chain recomputes over the whole log (each event follows from its predecessor).
    pub chain_intact: bool,
    /// The first position where the log is not what it was, if any: the first that does not
    /// follow from its predecessor in the hash chain, or the first that differs from the event
    /// the views applied at that position (a rewritten chain, a removed or truncated event).
    pub first_broken_position: Option<u64>,
    /// The position the views were compared at.
    pub views_position: u64,
    /// Differences between the live views and the replay.
    pub mismatches: Vec<String>,
}

impl Verdict {
    /// True when the chain is intact and the views equal the replay.
    #[must_use]
    pub fn ok(&self) -> bool {
        self.first_broken_position.is_none() && self.mismatches.is_empty()
    }
}

/// Verifies the chain and the views. The replay goes into a scratch file that is removed after.
pub async fn verify(app: &App) -> ApiResult<Verdict> {
    let chain = yika_projections::verify::verify_chain(app.store.as_ref()).await?;
    let divergence =
        yika_projections::verify::compare_log_with_views(&app.read, app.store.as_ref())
            .await
            .map_err(|e| ApiError::Internal(format!("comparing the log with the views: {e}")))?;
    let scratch = std::env::temp_dir().join(format!("yika-verify-{}.db", uuid::Uuid::now_v7()));
    let views =
        yika_projections::verify::compare_views(&app.read, app.store.clone(), &scratch).await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", scratch.display()));
    }
    let views = views.map_err(|e| ApiError::Internal(format!("comparing the views: {e}")))?;
    let mut mismatches = Vec::new();
    if let Some(divergence) = &divergence {
        mismatches.push(format!("log: {}", divergence.reason));
    }
    mismatches.extend(views.mismatches);
    mismatches.extend(
        yika_projections::verify::verify_idempotency(app.store.as_ref())
            .await
            .map_err(|e| ApiError::Internal(format!("checking the idempotency claims: {e}")))?,
    );
    // The first position where the log is not what it was: its own chain breaks there, or it
    // differs there from what the views applied.
    let first_broken_position = [chain.first_broken_position, divergence.map(|d| d.position)]
        .into_iter()
        .flatten()
        .min();
    Ok(Verdict {
        events_checked: chain.events_checked,
        chain_intact: chain.first_broken_position.is_none(),
        first_broken_position,
        views_position: views.position,
        mismatches,
    })
}
