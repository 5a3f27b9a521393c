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
    // Each signed day must still reproduce its report from the log as it stood at the close.
    // When the log and the views agree, the views answer that; otherwise a fresh replay does.
    let intact = first_broken_position.is_none() && mismatches.is_empty();
    mismatches.extend(signed_days(app, intact).await?);
    mismatches.extend(snapshots(app).await?);
    Ok(Verdict {
        events_checked: chain.events_checked,
        chain_intact: chain.first_broken_position.is_none(),
        first_broken_position,
        views_position: views.position,
        mismatches,
    })
}

/// Snapshots listed per read.
const SNAPSHOTS_PER_READ: usize = 100;

/// Checks every kept snapshot a command would use (of its aggregate's current kind, and the log
/// holds the hash it records at its revision): it must be the state the stream's events give
/// up to that revision. A snapshot edited by hand would otherwise make commands decide on a
/// state the log does not give (decision 0034). Snapshots that would not be used are skipped.
pub async fn snapshots(app: &App) -> ApiResult<Vec<String>> {
    use yika_domain::{Account, Aggregate as _, Cashier, Shift};
    let mut mismatches = Vec::new();
    let mut after = String::new();
    loop {
        let batch = app.store.snapshots(&after, SNAPSHOTS_PER_READ).await?;
        let Some(last) = batch.last() else {
            break;
        };
        after = last.stream_id.clone();
        for snapshot in &batch {
            let kind = Some(snapshot.kind.as_str());
            let differs = if kind == Account::SNAPSHOT {
                snapshot_differs::<Account>(app, snapshot).await?
            } else if kind == Shift::SNAPSHOT {
                snapshot_differs::<Shift>(app, snapshot).await?
            } else if kind == Cashier::SNAPSHOT {
                snapshot_differs::<Cashier>(app, snapshot).await?
            } else {
                false
            };
            if differs {
                mismatches.push(format!(
                    "snapshots: the snapshot of {} at revision {} is not the state its events give; \
                     commands would decide on it (delete the row; the next load keeps a true one)",
                    snapshot.stream_id, snapshot.revision
                ));
            }
        }
        if batch.len() < SNAPSHOTS_PER_READ {
            break;
        }
    }
    Ok(mismatches)
}

/// Whether `snapshot`, which a command would use, differs from its stream folded to its
/// revision.
async fn snapshot_differs<A: yika_domain::Aggregate + PartialEq>(
    app: &App,
    snapshot: &yika_store::Snapshot,
) -> ApiResult<bool> {
    let mut state = A::default();
    let (mut revision, mut hash) = (0, None);
    while revision < snapshot.revision {
        let room = usize::try_from(snapshot.revision - revision).unwrap_or(usize::MAX);
        let batch = app
            .store
            .read_stream(&snapshot.stream_id, revision, room.min(1_000))
            .await?;
        let Some(last) = batch.last() else {
            break;
        };
        for recorded in &batch {
            state.apply(&yika_domain::Event::decode(
                &recorded.event_type,
                recorded.schema_version,
                &recorded.payload,
            )?);
        }
        revision = last.revision;
        hash = Some(last.hash.clone());
    }
    if revision != snapshot.revision || hash.as_deref() != Some(snapshot.hash.as_str()) {
        return Ok(false);
    }
    Ok(A::restore(&snapshot.state).is_some_and(|kept| kept != state))
}

/// Checks every signed day (日结): the report in its close still hashes to the SHA-256 it
/// signed, and the log still gives that report for that day as of the position it was signed
/// at. Answers one line per day that does not, naming the date and the lines that moved. The
/// figures come from the live views when `views_agree` (they equal a replay of the log), and
/// otherwise from a replay of the log into a scratch read store.
pub async fn signed_days(app: &App, views_agree: bool) -> ApiResult<Vec<String>> {
    if views_agree {
        return signed_days_in(app.store.as_ref(), &app.read).await;
    }
    let scratch = std::env::temp_dir().join(format!("yika-days-{}.db", uuid::Uuid::now_v7()));
    let result = async {
        let replay = yika_projections::ReadStore::open(&scratch).await?;
        let head = app.store.head_position().await?;
        let caught_up = yika_projections::ProjectionRunner::new(app.store.clone(), replay.clone())
            .catch_up_until(head)
            .await;
        let found = match caught_up {
            Ok(_) => signed_days_in(app.store.as_ref(), &replay).await,
            Err(error) => Ok(vec![format!(
                "signed days: the log cannot be replayed to check them ({error})"
            )]),
        };
        replay.close().await;
        found
    }
    .await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", scratch.display()));
    }
    result
}

async fn signed_days_in(
    store: &dyn yika_store::EventStore,
    read: &yika_projections::ReadStore,
) -> ApiResult<Vec<String>> {
    use yika_projections::reports::report_sha256;
    let mut found = Vec::new();
    let (first, last) = (
        chrono::NaiveDate::from_ymd_opt(2000, 1, 1).expect("a date"),
        chrono::NaiveDate::from_ymd_opt(2099, 12, 31).expect("a date"),
    );
    for closed in read.closed_days(first, last).await? {
        let date = closed.date;
        let signed = match crate::application::days::signed_at(store, &closed).await {
            Ok(signed) => signed,
            Err(error) => {
                found.push(format!(
                    "signed day {date}: its close cannot be read ({error})"
                ));
                continue;
            }
        };
        if report_sha256(&signed.report) != signed.report_sha256 {
            found.push(format!(
                "signed day {date}: the report in its close (position {}) no longer hashes to the SHA-256 it signed",
                signed.position
            ));
            continue;
        }
        let Ok(time_zone) = signed.report.time_zone.parse::<chrono_tz::Tz>() else {
            found.push(format!(
                "signed day {date}: unknown time zone {:?}",
                signed.report.time_zone
            ));
            continue;
        };
        let calendar = crate::calendar::Calendar {
            time_zone,
            ..crate::calendar::Calendar::default()
        };
        let as_of = signed.report.as_of_position;
        let (now, _) = crate::application::days::day_report(
            store,
            read,
            &calendar.business_day(date),
            &signed.report.time_zone,
            Some(as_of),
            // Each signed day from the movements alone, not from another signed day.
            false,
        )
        .await?;
        if report_sha256(&now) != signed.report_sha256 {
            let moved = now
                .moved_since(&signed.report)
                .into_iter()
                .map(|(line, amount)| format!("{line} {amount}"))
                .collect::<Vec<_>>()
                .join(", ");
            found.push(format!(
                "signed day {date}: the log as of position {as_of} no longer gives the report signed at position {} (SHA-256 {}); moved: {}",
                signed.position,
                signed.report_sha256,
                if moved.is_empty() { "no line (the form differs)".to_owned() } else { moved }
            ));
        }
    }
    Ok(found)
}

/// The log's head as one line: position, hash and recorded time (`0 - -` when empty).
pub async fn head(store: &dyn yika_store::EventStore) -> ApiResult<String> {
    let position = store.head_position().await?;
    if position == 0 {
        return Ok("0 - -".to_owned());
    }
    let event = store.read_all(position - 1, 1).await?;
    let event = event
        .first()
        .ok_or_else(|| ApiError::Internal(format!("the head {position} cannot be read")))?;
    Ok(format!(
        "{} {} {}",
        event.position,
        event.hash,
        yika_store::time::format_time(event.recorded_at)
    ))
}

/// Checks heads recorded earlier (`yika head` lines; blank lines and `#` comments skipped)
/// against the log: each position must still hold the event with that hash. Answers each
/// difference with its position.
pub async fn check_heads(
    store: &dyn yika_store::EventStore,
    recorded: &str,
    key: Option<&[u8]>,
) -> ApiResult<Vec<(u64, String)>> {
    let end = store.head_position().await?;
    let mut differences = Vec::new();
    for (number, line) in recorded.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split_whitespace();
        let (Some(position), Some(hash)) = (
            fields.next().and_then(|p| p.parse::<u64>().ok()),
            fields.next(),
        ) else {
            return Err(ApiError::Validation(format!(
                "line {} of the recorded heads is not `position hash [time]`: {line:?}",
                number + 1
            )));
        };
        if let Some(key) = key {
            let parts: Vec<&str> = line.split_whitespace().collect();
            let signed = parts.len() == 4 && {
                let text = parts[..3].join(" ");
                sign(key, &text) == parts[3]
            };
            if !signed {
                differences.push((
                    position.max(1),
                    format!(
                        "line {} of the recorded heads does not carry this key's signature: it was forged or altered",
                        number + 1
                    ),
                ));
                continue;
            }
        }
        if position == 0 {
            continue;
        }
        if position > end {
            differences.push((
                end + 1,
                format!(
                    "the head {position} recorded earlier is beyond the log's end ({end}): the log was truncated"
                ),
            ));
            continue;
        }
        match store.read_all(position - 1, 1).await {
            Ok(events) if events.first().is_some_and(|e| e.hash == hash) => {}
            Ok(events) => differences.push((
                position,
                format!(
                    "position {position} holds hash {} but {hash} was recorded: the log was rewritten",
                    events.first().map_or("nothing", |e| e.hash.as_str())
                ),
            )),
            Err(error) => differences.push((
                position,
                format!("position {position} cannot be read ({error}): the log was altered"),
            )),
        }
    }
    Ok(differences)
}

/// The hex HMAC-SHA-256 of a head line under `key`.
#[must_use]
pub fn sign(key: &[u8], line: &str) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha2_hmac::Sha256>::new_from_slice(key)
        .expect("HMAC takes a key of any length");
    mac.update(line.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Reads a signing key, which must not live in the data directory (whoever can write the data
/// could then sign a forged head): at least 16 bytes, surrounding whitespace ignored.
pub fn read_key(
    path: &std::path::Path,
    locations: &crate::startup::Locations,
) -> Result<Vec<u8>, String> {
    let key =
        std::fs::read(path).map_err(|e| format!("cannot read the key {}: {e}", path.display()))?;
    if let (Ok(key_path), Ok(data)) = (path.canonicalize(), locations.data.canonicalize())
        && key_path.starts_with(&data)
    {
        return Err(format!(
            "the key {} is inside the data directory {}: keep it where the data's users cannot read it",
            path.display(),
            data.display()
        ));
    }
    let trimmed = key.trim_ascii().to_vec();
    if trimmed.len() < 16 {
        return Err(format!(
            "the key {} is shorter than 16 bytes",
            path.display()
        ));
    }
    Ok(trimmed)
}
