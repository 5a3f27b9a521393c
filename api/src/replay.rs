//! `yika replay`: the ledger as it stood at a time or a position, in a data directory of its own.
//!
//! The log's prefix up to the cut is copied verbatim into the new directory's event store
//! ([`EventStore::import`] checks every hash as it goes), then every view is rebuilt from it by
//! the same projection runner a live server uses. The result is a complete data directory:
//! `yika serve --read-only --data DIR` answers every query (balances, reports, the audit trail,
//! `event`, `verifyLedger`) about the ledger as it stood, and `yika verify --data DIR` passes.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use yika_projections::ProjectionRunner;
use yika_store::{EventStore, MAX_IMPORT_BATCH, RecordedEvent};

use crate::anyhow_like::Result;
use crate::{EVENTS_FILE, Locations, READ_FILE, Stores, open_stores};

/// Where the replay stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cut {
    /// Every event, up to the head as the replay starts.
    Head,
    /// Events up to and including this position.
    Position(u64),
    /// Events recorded at or before this instant (the log's prefix up to the first event
    /// recorded later: recorded times never go backwards along the log).
    Time(DateTime<Utc>),
}

impl Cut {
    /// Whether `event` is inside the cut.
    fn admits(self, event: &RecordedEvent) -> bool {
        match self {
            Cut::Head => true,
            Cut::Position(last) => event.position <= last,
            Cut::Time(until) => event.recorded_at <= until,
        }
    }
}

/// What a replay did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replayed {
    /// The last position replayed (0 for an empty prefix).
    pub position: u64,
    /// When that event was recorded.
    pub recorded_at: Option<DateTime<Utc>>,
    /// The source log's head when the replay started.
    pub source_head: u64,
}

/// How often progress is reported on long runs.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// Copies the prefix of `source` selected by `cut` into a new data directory `into` and
/// rebuilds every view there. `progress` receives lines for a human ("copied 20000 of at most
/// 45000 events"), at most about once a second plus once at the end of each phase.
pub async fn replay(
    source: &dyn EventStore,
    into: &Path,
    cut: Cut,
    mut progress: impl FnMut(String),
) -> Result<Replayed> {
    for file in [EVENTS_FILE, READ_FILE] {
        if into.join(file).exists() {
            return Err(format!(
                "{} already holds a ledger ({file}): replay into a new directory",
                into.display()
            ));
        }
    }
    let head = source
        .head_position()
        .await
        .map_err(|e| format!("source event store: {e}"))?;
    let limit = match cut {
        Cut::Position(position) if position > head => {
            return Err(format!(
                "--position {position} is beyond the log's head ({head})"
            ));
        }
        Cut::Position(position) => position,
        Cut::Head | Cut::Time(_) => head,
    };
    let stores = open_stores(&Locations::data_dir(into)).await?;
    let result = copy_and_project(source, &stores, cut, limit, &mut progress).await;
    stores.close().await;
    let (position, recorded_at) = result?;
    Ok(Replayed {
        position,
        recorded_at,
        source_head: head,
    })
}

async fn copy_and_project(
    source: &dyn EventStore,
    stores: &Stores,
    cut: Cut,
    limit: u64,
    progress: &mut impl FnMut(String),
) -> Result<(u64, Option<DateTime<Utc>>)> {
    // The views are built from zero into a new store nobody reads yet: their secondary indexes
    // are made once at the end instead of kept up to date row by row.
    let indexes = stores
        .read
        .drop_secondary_indexes()
        .await
        .map_err(|e| format!("preparing the new views: {e}"))?;
    // The views follow the copy as it goes (each batch is projected once it is committed to
    // the new log): the copy's inserts and the views' writer run on their own threads.
    let progress = std::cell::RefCell::new(progress);
    let say = |line: String| (progress.borrow_mut())(line);
    let (copied_to, following) = tokio::sync::watch::channel(0_u64);
    let built = tokio::try_join!(
        copy(source, stores, cut, limit, copied_to, &say),
        project(stores, following, &say)
    );
    if let Err(error) = stores.read.create_indexes(&indexes).await {
        return Err(built
            .err()
            .unwrap_or(format!("indexing the new views: {error}")));
    }
    let ((copied, last_recorded), projected) = built?;
    if projected != copied {
        return Err(format!(
            "the views stopped at {projected}, short of {copied}"
        ));
    }
    say(format!("views rebuilt to position {projected}, indexed"));
    Ok((copied, last_recorded))
}

/// Copies the log's prefix up to `limit` (and inside `cut`) into the new store, announcing on
/// `copied_to` each position committed there; answers the last position copied and its time.
async fn copy(
    source: &dyn EventStore,
    stores: &Stores,
    cut: Cut,
    limit: u64,
    copied_to: tokio::sync::watch::Sender<u64>,
    say: &impl Fn(String),
) -> Result<(u64, Option<DateTime<Utc>>)> {
    let mut copied = 0_u64;
    let mut last_recorded = None;
    let mut reported = Instant::now();
    'copy: while copied < limit {
        let batch = source
            .read_all(copied, MAX_IMPORT_BATCH)
            .await
            .map_err(|e| format!("reading the log after {copied}: {e}"))?;
        if batch.is_empty() {
            break;
        }
        let mut take = Vec::with_capacity(batch.len());
        let mut done = false;
        for event in batch {
            if event.position > limit || !cut.admits(&event) {
                done = true;
                break;
            }
            take.push(event);
        }
        // Keep a keyed append whole within one import (its claim is rebuilt from its events):
        // when the batch may end inside one, leave its events for the next batch.
        if !done && take.len() == MAX_IMPORT_BATCH {
            let note = take
                .last()
                .and_then(|e| yika_store::hash::claim_note(&e.metadata));
            if note.is_some() {
                let keep = take
                    .iter()
                    .rposition(|e| yika_store::hash::claim_note(&e.metadata) != note)
                    .map_or(take.len(), |i| i + 1);
                take.truncate(keep);
            }
        }
        if let Some(last) = take.last() {
            let position = last.position;
            last_recorded = Some(last.recorded_at);
            stores
                .events
                .import(take)
                .await
                .map_err(|e| format!("copying the log up to {position}: {e}"))?;
            copied = position;
            copied_to.send_replace(copied);
        }
        if reported.elapsed() >= PROGRESS_EVERY {
            say(format!("copied {copied} of at most {limit} events"));
            reported = Instant::now();
        }
        if done {
            break 'copy;
        }
    }
    say(format!("copied {copied} events"));
    Ok((copied, last_recorded))
}

/// Rebuilds every view as the copy commits events to the new log, until the copy ends and the
/// views have caught up with it; answers the views' position.
async fn project(
    stores: &Stores,
    mut copied: tokio::sync::watch::Receiver<u64>,
    say: &impl Fn(String),
) -> Result<u64> {
    let store: Arc<dyn EventStore> = stores.events.clone();
    let runner = ProjectionRunner::new(store, stores.read.clone());
    let mut reported = Instant::now();
    let mut projected = 0_u64;
    loop {
        let target = *copied.borrow_and_update();
        while projected < target {
            let step = (projected + yika_projections::runner::BATCH_EVENTS as u64).min(target);
            runner
                .catch_up_until(step)
                .await
                .map_err(|e| format!("rebuilding the views at {projected}: {e}"))?;
            projected = stores.read.position();
            if reported.elapsed() >= PROGRESS_EVERY {
                say(format!("views rebuilt to {projected}"));
                reported = Instant::now();
            }
            if projected < step {
                return Err(format!("the views stopped at {projected}, short of {step}"));
            }
        }
        // The copy ended (its sender is gone) and every event it committed is projected.
        if copied.changed().await.is_err() && projected >= *copied.borrow() {
            return Ok(projected);
        }
    }
}

/// Parses `--until`: RFC 3339 with an offset ("2026-11-22T10:30:00+08:00"), or a local time
/// without one ("2026-11-22T10:30", "2026-11-22 10:30:15"), read in the hospital's time zone.
pub fn parse_until(text: &str, time_zone: chrono_tz::Tz) -> Result<DateTime<Utc>> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    let normalized = text.replacen(' ', "T", 1);
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(local) = chrono::NaiveDateTime::parse_from_str(&normalized, format) {
            use chrono::TimeZone as _;
            return time_zone
                .from_local_datetime(&local)
                .earliest()
                .map(|t| t.with_timezone(&Utc))
                .ok_or_else(|| format!("{text:?} does not exist in {time_zone}"));
        }
    }
    Err(format!(
        "--until must be RFC 3339 (2026-11-22T10:30:00+08:00) or local (2026-11-22T10:30), got {text:?}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn until_reads_rfc3339_and_local_times() {
        // Goal: --until accepts an offset time as given and a local time in the hospital's zone.
        let shanghai = chrono_tz::Asia::Shanghai;
        let expected: DateTime<Utc> = "2026-11-22T02:30:00Z".parse().unwrap();
        assert_eq!(
            parse_until("2026-11-22T10:30:00+08:00", shanghai).unwrap(),
            expected
        );
        assert_eq!(parse_until("2026-11-22T10:30", shanghai).unwrap(), expected);
        assert_eq!(
            parse_until("2026-11-22 10:30:00", shanghai).unwrap(),
            expected
        );
        assert_eq!(
            parse_until("2026-11-22T10:30", chrono_tz::UTC).unwrap(),
            "2026-11-22T10:30:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert!(parse_until("yesterday", shanghai).is_err());
        assert!(parse_until("2026-13-01T00:00", shanghai).is_err());
    }
}
