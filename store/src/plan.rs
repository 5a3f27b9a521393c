//! Deciding a group commit: which requests of a batch are written, at which positions and
//! revisions, with which hashes, and what every caller is told. Pure (no IO): each backend
//! loads what the log knows (the tail, the streams' revisions, stored event ids and idempotency
//! claims) under its write lock, calls [`plan`], and writes the planned rows atomically.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::hash::event_hash;
use crate::{AppendOutcome, AppendRequest, NewEvent, RecordedEvent, StoreError};

/// One request's fate within a batch.
pub(crate) enum Verdict {
    Refused(StoreError),
    Duplicate(AppendOutcome),
    Write {
        first_position: u64,
        last_position: u64,
        recorded_at: DateTime<Utc>,
    },
}

/// The plan of a batch.
pub(crate) struct Planned<'a> {
    /// One per request, in order.
    pub verdicts: Vec<Verdict>,
    /// The rows to write, in position order, hashes filled in.
    pub rows: Vec<RecordedEvent>,
    /// For each row, the idempotency claim it stores (on the first row of a request that
    /// carries one): (key, fingerprint, last position).
    pub row_claims: Vec<Option<(&'a str, &'a str, u64)>>,
    /// The streams' revisions after the batch (only the streams it writes).
    pub revisions: HashMap<String, u64>,
    /// The log's tail after the batch.
    pub tail_position: u64,
    /// Its hash.
    pub tail_hash: [u8; 32],
}

/// Plans a batch on a log whose tail is `tail`, where `known` holds the revision of every stream
/// the batch touches (0 for a new stream), `claims` the stored claims of the batch's keys and
/// `existing_ids` the stored positions of the batch's event ids that may be retries.
pub(crate) fn plan<'a>(
    requests: &[&'a AppendRequest],
    tail: (u64, [u8; 32]),
    known: &HashMap<String, u64>,
    claims: &HashMap<String, (String, u64, u64)>,
    existing_ids: &HashMap<Uuid, u64>,
    recorded_at: DateTime<Utc>,
) -> Planned<'a> {
    let (mut position, mut hash) = tail;
    // This batch's changes to stream revisions, applied to the cache only after the commit.
    let mut revisions: HashMap<String, u64> = HashMap::new();
    let mut new_claims: HashMap<&str, (&str, u64, u64)> = HashMap::new();
    let mut rows: Vec<RecordedEvent> = Vec::new();
    // The claim stored on the first row of each request that carries one: (key, fingerprint, last).
    let mut row_claims: Vec<Option<(&str, &str, u64)>> = Vec::new();
    let mut verdicts = Vec::with_capacity(requests.len());
    // Ids written earlier in this batch, so that a retry queued behind its first copy is
    // answered like any other retry.
    let mut batch_ids: HashMap<Uuid, u64> = HashMap::new();

    for request in requests {
        // 1. The command's idempotency key.
        if let Some(claim) = &request.idempotency {
            let seen = new_claims
                .get(claim.key.as_str())
                .map(|(f, a, b)| ((*f).to_owned(), *a, *b))
                .or_else(|| claims.get(&claim.key).cloned());
            if let Some((fingerprint, first_position, last_position)) = seen {
                verdicts.push(if fingerprint == claim.fingerprint {
                    Verdict::Duplicate(AppendOutcome::AlreadyCommitted {
                        first_position,
                        last_position,
                    })
                } else {
                    Verdict::Refused(StoreError::IdempotencyMismatch {
                        key: claim.key.clone(),
                    })
                });
                continue;
            }
        }
        // 2. The events' ids: all stored already means a retried append.
        let ids: Vec<Uuid> = request.events().map(|e| e.event_id).collect();
        let stored: Vec<u64> = ids
            .iter()
            .filter_map(|id| existing_ids.get(id).or_else(|| batch_ids.get(id)).copied())
            .collect();
        if !stored.is_empty() {
            verdicts.push(if stored.len() == ids.len() {
                let first_position = *stored.iter().min().expect("not empty");
                let last_position = *stored.iter().max().expect("not empty");
                Verdict::Duplicate(AppendOutcome::AlreadyCommitted {
                    first_position,
                    last_position,
                })
            } else {
                Verdict::Refused(StoreError::PartialDuplicate(ids[0]))
            });
            continue;
        }
        // 3. Expected revisions, against the log plus this batch's earlier writes.
        let conflict = request.writes.iter().find_map(|write| {
            let actual = revisions
                .get(&write.stream_id)
                .or_else(|| known.get(&write.stream_id))
                .copied()
                .unwrap_or(0);
            (!write.expected.admits(actual)).then(|| StoreError::Conflict {
                stream_id: write.stream_id.clone(),
                expected: write.expected,
                actual,
            })
        });
        if let Some(conflict) = conflict {
            verdicts.push(Verdict::Refused(conflict));
            continue;
        }
        // 4. Accepted: assign positions, revisions and hashes.
        let first_position = position + 1;
        let first_row = rows.len();
        for write in &request.writes {
            let known = known.get(&write.stream_id).copied().unwrap_or(0);
            let revision = revisions.entry(write.stream_id.clone()).or_insert(known);
            for event in &write.events {
                *revision += 1;
                position += 1;
                let mut row = recorded(event, &write.stream_id, *revision, position, recorded_at);
                hash = event_hash(&hash, &row);
                row.hash = hex::encode(hash);
                rows.push(row);
                row_claims.push(None);
            }
        }
        batch_ids.extend(ids.iter().copied().zip(first_position..));
        if let Some(claim) = &request.idempotency {
            new_claims.insert(&claim.key, (&claim.fingerprint, first_position, position));
            row_claims[first_row] = Some((&claim.key, &claim.fingerprint, position));
        }
        verdicts.push(Verdict::Write {
            first_position,
            last_position: position,
            recorded_at,
        });
    }
    Planned {
        verdicts,
        rows,
        row_claims,
        revisions,
        tail_position: position,
        tail_hash: hash,
    }
}

fn recorded(
    event: &NewEvent,
    stream_id: &str,
    revision: u64,
    position: u64,
    recorded_at: DateTime<Utc>,
) -> RecordedEvent {
    RecordedEvent {
        position,
        event_id: event.event_id,
        stream_id: stream_id.to_owned(),
        revision,
        event_type: event.event_type.clone(),
        schema_version: event.schema_version,
        payload: event.payload.clone(),
        metadata: event.metadata.clone(),
        recorded_at,
        hash: String::new(),
    }
}
