//! `yika verify` and `verifyLedger`: the hash chain over the whole log, and every live view
//! compared with a fresh replay.

use crate::app::App;
use crate::error::{ApiError, ApiResult};

/// The verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Events walked.
    pub events_checked: u64,
    /// The first position that does not follow from its predecessor, if any.
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
    let scratch = std::env::temp_dir().join(format!("yika-verify-{}.db", uuid::Uuid::now_v7()));
    let views =
        yika_projections::verify::compare_views(&app.read, app.store.clone(), &scratch).await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", scratch.display()));
    }
    let views = views.map_err(|e| ApiError::Internal(format!("comparing the views: {e}")))?;
    Ok(Verdict {
        events_checked: chain.events_checked,
        first_broken_position: chain.first_broken_position,
        views_position: views.position,
        mismatches: views.mismatches,
    })
}
