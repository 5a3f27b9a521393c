//! The application layer: one pipeline that every command goes through, and one module per
//! capability that says, for each command, which aggregates to load and which pure domain
//! decision to take on them.
//!
//! The pipeline ([`App::execute`]): queue behind this process's other commands on the same
//! stream, load the aggregates from the event store, decide (in `yika_domain`), append the
//! decided events with the revisions they were decided at (atomically across streams), retry
//! the whole load-decide-append on a concurrency conflict, and answer a retried idempotent
//! command with its first result. Commands never read the read store to decide; a mutation only
//! waits for the views afterwards so that its answer reflects its own write.

pub mod accounts;
pub(crate) mod cache;
pub mod days;
pub mod finance;
pub mod settlement;
pub mod shifts;
pub mod staff;
pub mod workload;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;
use yika_domain::text::bounded;
use yika_domain::{Actor, Aggregate, ClaimNote, Event, Metadata};
use yika_projections::ReadStore;
use yika_store::{
    AppendOutcome, AppendRequest, EventStore, ExpectedRevision, IdempotencyClaim, NewEvent,
    StreamWrite,
};

use crate::auth::Tokens;
use crate::error::{ApiError, ApiResult};

pub use accounts::{Deduct, Deposit, OpenAccount, Refund, Reverse};
pub use settlement::SettleDischarge;
pub use staff::{RegisterStaff, StaffChange};

/// How often a command is retried after losing a race for a stream.
const MAX_ATTEMPTS: u32 = 10;
/// How long a mutation waits for the views to include its own write.
pub(crate) const READ_YOUR_WRITES: Duration = Duration::from_secs(5);
/// Striped locks that queue this process's commands per stream instead of letting them race.
const LOCK_STRIPES: usize = 1_024;
/// The longest idempotency key.
const MAX_KEY_CHARS: usize = 128;

/// The application: the event store for decisions, the read store for answers.
#[derive(Clone)]
pub struct App {
    /// The event store.
    pub store: Arc<dyn EventStore>,
    /// The read store.
    pub read: ReadStore,
    locks: Arc<Vec<tokio::sync::Mutex<()>>>,
    /// Whether a projection runner follows this store (false for the CLI's one-off commands).
    views_follow: bool,
    /// Refuses every command (`yika serve --read-only`, for an as-of replay).
    read_only: bool,
    /// Counters for /metrics.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Tokens already checked against the log.
    pub(crate) tokens: Arc<Tokens>,
    /// Aggregates as this process last knew them.
    aggregates: Arc<cache::Aggregates>,
    /// Events found by id (facts never change): the id's stream and the event.
    facts: Arc<std::sync::Mutex<HashMap<Uuid, (String, Event)>>>,
    /// The time now: the system's, or `yika demo`'s simulated one (the store's clock too).
    pub(crate) clock: yika_store::Clock,
}

/// The most events remembered by id.
const MAX_FACTS: usize = 100_000;

tokio::task_local! {
    /// The correlation id of the request being served: the HTTP layer sets it for the whole
    /// request, and every event a command writes carries it in its metadata.
    pub static CORRELATION_ID: Uuid;

    /// Set while a command is decided again on state read from the log (after a conflict or a
    /// refusal): loads then read what the log holds beyond the remembered state.
    pub(crate) static FRESH: bool;

    /// Set while a back-entry (补录) is appended: its business time and reason, which the
    /// events' metadata carry.
    pub(crate) static BACK_ENTRY: (chrono::DateTime<Utc>, String);

    /// What the request being served has written (the HTTP layer sets it per request).
    pub static WRITTEN: Recorder;

    /// The response key of the mutation field being resolved (the GraphQL layer sets it).
    pub static MUTATION_FIELD: String;
}

/// What a request wrote, by the response key of the mutation field that wrote it: the answer to
/// a command that was recorded must say so even when the rest of the answer fails.
#[derive(Clone, Default)]
pub struct Recorder(Arc<std::sync::Mutex<Vec<(String, serde_json::Value)>>>);

/// The note of a write the views did not include in time: the answer read from them is older.
const VIEWS_BEHIND: &str = "viewsBehind";

impl Recorder {
    /// The views did not include what `field` wrote when its answer was read.
    fn behind(&self, field: String, why: String) {
        self.0
            .lock()
            .expect("never poisoned")
            .push((field, serde_json::json!({ VIEWS_BEHIND: why })));
    }

    /// The mutation fields whose answers were read from views that did not include their
    /// writes yet, and why.
    #[must_use]
    pub fn behind_views(&self) -> Vec<(String, String)> {
        self.0
            .lock()
            .expect("never poisoned")
            .iter()
            .filter_map(|(field, note)| {
                note.get(VIEWS_BEHIND)
                    .and_then(|why| why.as_str())
                    .map(|why| (field.clone(), why.to_owned()))
            })
            .collect()
    }

    fn record(&self, field: String, written: &Written) {
        let mut notes = self.0.lock().expect("never poisoned");
        for stored in &written.events {
            let mut note = serde_json::json!({
                "type": stored.event.event_type(),
                "eventId": stored.event_id,
            });
            if let Some(account) = stored.event.account_id() {
                note["accountId"] = serde_json::json!(account.to_string());
            }
            if let Some(shift) = stored.event.shift_id() {
                note["shiftId"] = serde_json::json!(shift.to_string());
            }
            notes.push((field.clone(), note));
        }
    }

    /// What the mutation field with response key `field` wrote (empty: nothing).
    #[must_use]
    pub fn written_by(&self, field: &str) -> Vec<serde_json::Value> {
        self.0
            .lock()
            .expect("never poisoned")
            .iter()
            .filter(|(key, note)| key == field && note.get(VIEWS_BEHIND).is_none())
            .map(|(_, note)| note.clone())
            .collect()
    }
}

/// The current request's correlation id, or a fresh one outside a request (the CLI).
#[must_use]
pub fn correlation_id() -> Uuid {
    CORRELATION_ID
        .try_with(|id| *id)
        .unwrap_or_else(|_| Uuid::now_v7())
}

/// An event as a command wrote it (or, for a retried command, as its first run wrote it).
#[derive(Debug, Clone)]
pub struct Stored {
    /// Its id.
    pub event_id: Uuid,
    /// When the store committed it.
    pub recorded_at: DateTime<Utc>,
    /// Who acted.
    pub actor: Option<yika_domain::StaffId>,
    /// The event.
    pub event: Event,
}

/// The events a command wrote, in append order.
#[derive(Debug, Clone)]
pub struct Written {
    /// The events.
    pub events: Vec<Stored>,
    /// The last position, for read-your-writes.
    pub last_position: u64,
}

impl Written {
    /// The first written event that `pick` recognizes.
    pub fn find<T>(&self, pick: impl Fn(&Stored) -> Option<T>) -> ApiResult<T> {
        self.events.iter().find_map(pick).ok_or_else(|| {
            ApiError::Internal("the command's events are not what it decided".to_owned())
        })
    }

    /// The first written event of type `event_type`.
    pub fn take(mut self, event_type: &str) -> ApiResult<Stored> {
        let index = self
            .events
            .iter()
            .position(|s| s.event.event_type() == event_type)
            .ok_or_else(|| {
                ApiError::Internal(format!("the command wrote no {event_type} event"))
            })?;
        Ok(self.events.swap_remove(index))
    }
}

/// One stream a command writes, or only guards (no events): it must still be at `revision`
/// when the append commits.
pub(crate) struct Write {
    stream_id: String,
    revision: u64,
    events: Vec<(Uuid, Event)>,
}

impl Write {
    /// `events` on `stream_id`, loaded at `revision`, each with a fresh id.
    pub(crate) fn new(
        stream_id: impl Into<String>,
        revision: u64,
        events: impl IntoIterator<Item = Event>,
    ) -> Write {
        Write {
            stream_id: stream_id.into(),
            revision,
            events: events.into_iter().map(|e| (Uuid::now_v7(), e)).collect(),
        }
    }

    /// One event under an id chosen before the decision (the id of what it creates).
    pub(crate) fn with_id(
        stream_id: impl Into<String>,
        revision: u64,
        event_id: Uuid,
        event: Event,
    ) -> Write {
        Write {
            stream_id: stream_id.into(),
            revision,
            events: vec![(event_id, event)],
        }
    }

    /// A guard: `stream_id` must not move from `revision` before the append commits.
    pub(crate) fn guard(stream_id: impl Into<String>, revision: u64) -> Write {
        Write::new(stream_id, revision, [])
    }
}

/// An aggregate as loaded, with its stream's revision (an empty stream is the default).
#[derive(Default)]
pub(crate) struct Loaded<A> {
    pub state: Arc<A>,
    pub revision: u64,
}

impl App {
    /// An application over these stores.
    #[must_use]
    pub fn new(store: Arc<dyn EventStore>, read: ReadStore) -> App {
        let locks = (0..LOCK_STRIPES)
            .map(|_| tokio::sync::Mutex::new(()))
            .collect();
        App {
            store,
            read,
            locks: Arc::new(locks),
            views_follow: true,
            read_only: false,
            metrics: Arc::default(),
            tokens: Arc::default(),
            aggregates: Arc::default(),
            facts: Arc::default(),
            clock: yika_store::Clock::system(),
        }
    }

    /// The same application reading the time from `clock` (`yika demo`'s simulated hospital;
    /// its event store must stamp commits by the same clock).
    #[must_use]
    pub fn with_clock(self, clock: yika_store::Clock) -> App {
        App { clock, ..self }
    }

    /// The same application, refusing every command with FORBIDDEN: an auditor's server over
    /// an as-of replay answers questions about the past and cannot add to it.
    #[must_use]
    pub fn read_only(self) -> App {
        App {
            read_only: true,
            ..self
        }
    }

    /// The same application for a one-off command of the CLI: no projection runner follows
    /// the store, so commands do not wait for the views.
    #[must_use]
    pub fn offline(self) -> App {
        App {
            views_follow: false,
            ..self
        }
    }

    fn lock_for(&self, stream_id: &str) -> &tokio::sync::Mutex<()> {
        let digest = Sha256::digest(stream_id.as_bytes());
        let index = usize::from(u16::from_be_bytes([digest[0], digest[1]])) % LOCK_STRIPES;
        &self.locks[index]
    }

    /// An aggregate and its stream's revision: as this process last knew it, or (the first
    /// time, and when deciding again after a conflict or a refusal) as the log says.
    pub(crate) async fn load<A: Aggregate + Clone + Send + Sync + 'static>(
        &self,
        stream_id: &str,
    ) -> ApiResult<Loaded<A>> {
        let fresh = FRESH.try_with(|fresh| *fresh).unwrap_or(false);
        let (mut state, after, remembered) = match self.aggregates.get::<A>(stream_id) {
            Some((state, revision)) if !fresh => return Ok(Loaded { state, revision }),
            Some((state, revision)) => (state, revision, true),
            None => match self.snapshot_of::<A>(stream_id).await? {
                Some((state, revision)) => (Arc::new(state), revision, false),
                None => (Arc::new(A::default()), 0, false),
            },
        };
        let mut revision = after;
        loop {
            let batch = self.store.read_stream(stream_id, revision, 1_000).await?;
            let Some(last) = batch.last().map(|r| r.revision) else {
                break;
            };
            let state = Arc::make_mut(&mut state);
            for r in &batch {
                state.apply(&Event::decode(&r.event_type, r.schema_version, &r.payload)?);
            }
            revision = last;
            if batch.len() < 1_000 {
                break;
            }
        }
        if revision != after || !remembered {
            self.aggregates.put(stream_id, state.clone(), revision);
        }
        if revision - after >= cache::SNAPSHOT_EVERY
            && let Some(write) = cache::snapshotter(&state)
        {
            self.keep_snapshot(stream_id, revision, write);
        }
        Ok(Loaded { state, revision })
    }

    /// The snapshot kept of `stream_id` as an `A` and its revision, if one of `A`'s kind is
    /// kept and the log still holds, at its revision, the event it was taken after.
    async fn snapshot_of<A: Aggregate>(&self, stream_id: &str) -> ApiResult<Option<(A, u64)>> {
        let Some(kind) = A::SNAPSHOT else {
            return Ok(None);
        };
        let Some(snapshot) = self.store.read_snapshot(stream_id).await? else {
            return Ok(None);
        };
        if snapshot.kind != kind {
            return Ok(None);
        }
        let at =
            yika_store::read_at_revision(self.store.as_ref(), stream_id, snapshot.revision).await?;
        match at {
            Some(event) if event.hash == snapshot.hash => {
                Ok(A::restore(&snapshot.state).map(|state| (state, snapshot.revision)))
            }
            _ => {
                tracing::warn!(
                    stream = stream_id,
                    revision = snapshot.revision,
                    "a snapshot does not match the log at its revision; the stream is read whole"
                );
                Ok(None)
            }
        }
    }

    /// Keeps a snapshot of `stream_id` at `revision`, written off the caller's path (a failure
    /// is logged: a snapshot only saves reading).
    fn keep_snapshot(&self, stream_id: &str, revision: u64, write: cache::Snapshotter) {
        let store = self.store.clone();
        let stream_id = stream_id.to_owned();
        tokio::spawn(async move {
            let Ok(Some((kind, state))) = tokio::task::spawn_blocking(write).await else {
                return;
            };
            let Ok(Some(at)) =
                yika_store::read_at_revision(store.as_ref(), &stream_id, revision).await
            else {
                return;
            };
            let kept = store
                .write_snapshot(yika_store::Snapshot {
                    stream_id: stream_id.clone(),
                    kind: kind.to_owned(),
                    revision,
                    hash: at.hash,
                    state,
                })
                .await;
            if let Err(error) = kept {
                tracing::warn!(stream = stream_id, revision, %error, "a snapshot was not kept");
            }
        });
    }

    /// The stored event with id `id`, decoded, if it is an event of type `event_type`; with the
    /// stream it is on. Found events are remembered: an event never changes.
    pub(crate) async fn event_by_id(
        &self,
        id: Uuid,
        event_type: &str,
    ) -> ApiResult<Option<(String, Event)>> {
        let known = self.facts.lock().expect("never poisoned").get(&id).cloned();
        let found = match known {
            Some(found) => found,
            None => match self.store.find_event(id).await? {
                Some(r) => {
                    let event = Event::decode(&r.event_type, r.schema_version, &r.payload)?;
                    let mut facts = self.facts.lock().expect("never poisoned");
                    if facts.len() >= MAX_FACTS {
                        facts.clear();
                    }
                    facts.insert(id, (r.stream_id.clone(), event.clone()));
                    (r.stream_id, event)
                }
                None => return Ok(None),
            },
        };
        Ok((found.1.event_type() == event_type).then_some(found))
    }

    /// The events a command wrote at positions `first..=last` (a retried command's first run),
    /// found through its idempotency `claim` (or its event ids). The store's claim columns are
    /// not hashed; the events carry a hashed copy of the claim. A claim that points at events
    /// which do not carry it was altered: refuse to answer with someone else's receipt.
    async fn written(
        &self,
        first: u64,
        last: u64,
        claim: Option<&IdempotencyClaim>,
    ) -> ApiResult<Written> {
        let count = usize::try_from(last - first + 1).expect("one append's positions");
        let recorded = self.store.read_all(first - 1, count).await?;
        let mut events = Vec::with_capacity(recorded.len());
        for r in recorded {
            let event = Event::decode(&r.event_type, r.schema_version, &r.payload)?;
            let metadata: Metadata = serde_json::from_str(&r.metadata)
                .map_err(|e| ApiError::Internal(format!("metadata at {}: {e}", r.position)))?;
            let carries_the_claim = match (claim, &metadata.idempotency) {
                // No claim to check, or written before the copy existed.
                (None, _) | (_, None) => true,
                (Some(claim), Some(Some(note))) => {
                    note.key == claim.key && note.fingerprint == claim.fingerprint
                }
                (Some(_), Some(None)) => false,
            };
            if let (false, Some(claim)) = (carries_the_claim, claim) {
                tracing::error!(
                    key = %claim.key,
                    position = r.position,
                    "an idempotency claim points at events that do not carry it: the log's files were altered"
                );
                return Err(ApiError::Internal(
                    "this command's idempotency record does not match the log (run yika verify)"
                        .to_owned(),
                ));
            }
            events.push(Stored {
                event_id: r.event_id,
                recorded_at: r.recorded_at,
                actor: metadata.actor_id,
                event,
            });
        }
        Ok(Written {
            events,
            last_position: last,
        })
    }

    /// The first result of a command whose idempotency key is already claimed, if it is.
    async fn first_result(&self, claim: &IdempotencyClaim) -> ApiResult<Option<Written>> {
        match self.store.idempotency_claim(&claim.key).await? {
            Some((fingerprint, _, _)) if fingerprint != claim.fingerprint => {
                Err(ApiError::IdempotencyMismatch(claim.key.clone()))
            }
            Some((_, first, last)) => Ok(Some(self.written(first, last, Some(claim)).await?)),
            None => Ok(None),
        }
    }

    /// Runs a command: `attempt` loads what it needs and decides; its writes are appended with
    /// the revisions they were decided at, and the whole attempt is retried when another writer
    /// moved one of those streams first. A command carrying an idempotency `claim` that was
    /// already committed answers with its first result, whether the store recognizes the claim
    /// at the append or the attempt is refused by what the first run wrote (an order already
    /// deducted, a card already issued). Then waits for the views to include the write.
    /// `queue_on` names the stream that serializes this process's commands that race for it.
    pub(crate) async fn execute<F, Fut>(
        &self,
        actor: Option<&Actor>,
        queue_on: &str,
        claim: Option<IdempotencyClaim>,
        attempt: F,
    ) -> ApiResult<Written>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = ApiResult<Vec<Write>>>,
    {
        if self.read_only {
            return Err(ApiError::Forbidden(
                "this server is read-only (yika serve --read-only): it answers questions about \
                 the ledger as it stood and records nothing"
                    .to_owned(),
            ));
        }
        let _queued = self.lock_for(queue_on).lock().await;
        let mut fresh = false;
        let written = 'attempts: {
            for _ in 0..MAX_ATTEMPTS {
                let writes = match FRESH.scope(fresh, attempt()).await {
                    Ok(writes) => writes,
                    // A refusal decided on remembered state is decided again on the log's.
                    Err(ApiError::Domain(_)) if !fresh => {
                        fresh = true;
                        continue;
                    }
                    Err(refusal) => {
                        if let Some(claim) = &claim
                            && let Some(first) = self.first_result(claim).await?
                        {
                            break 'attempts first;
                        }
                        return Err(refusal);
                    }
                };
                let decided: Vec<(Uuid, Event)> = writes
                    .iter()
                    .flat_map(|w| w.events.iter().cloned())
                    .collect();
                let moved: Vec<(String, u64, Vec<Event>)> = writes
                    .iter()
                    .filter(|w| !w.events.is_empty())
                    .map(|w| {
                        let events = w.events.iter().map(|(_, e)| e.clone()).collect();
                        (w.stream_id.clone(), w.revision, events)
                    })
                    .collect();
                let request = request(actor, writes, claim.clone(), self.clock.now());
                let started = std::time::Instant::now();
                let appended = self.store.append(request).await;
                if appended.is_ok() {
                    self.metrics.appended(started.elapsed());
                }
                match appended {
                    Ok(AppendOutcome::Committed {
                        last_position,
                        recorded_at,
                        ..
                    }) => {
                        for (stream, revision, events) in &moved {
                            if let Some((at, write)) =
                                self.aggregates.appended(stream, *revision, events)
                            {
                                self.keep_snapshot(stream, at, write);
                            }
                        }
                        break 'attempts Written {
                            events: decided
                                .into_iter()
                                .map(|(event_id, event)| Stored {
                                    event_id,
                                    recorded_at,
                                    actor: actor.map(|a| a.staff_id),
                                    event,
                                })
                                .collect(),
                            last_position,
                        };
                    }
                    Ok(AppendOutcome::AlreadyCommitted {
                        first_position,
                        last_position,
                    }) => {
                        break 'attempts self
                            .written(first_position, last_position, claim.as_ref())
                            .await?;
                    }
                    Err(yika_store::StoreError::Conflict { stream_id, .. }) => {
                        // Another writer moved the stream: decide again on what the log says.
                        self.aggregates.forget(&stream_id);
                        fresh = true;
                        self.metrics.conflicted();
                        tokio::time::sleep(Duration::from_millis(jitter())).await;
                    }
                    Err(other) => {
                        for (stream, _, _) in &moved {
                            self.aggregates.forget(stream);
                        }
                        return Err(other.into());
                    }
                }
            }
            return Err(ApiError::Conflict);
        };
        let recording = match (
            WRITTEN.try_with(Clone::clone),
            MUTATION_FIELD.try_with(Clone::clone),
        ) {
            (Ok(recorder), Ok(field)) => {
                recorder.record(field.clone(), &written);
                Some((recorder, field))
            }
            _ => None,
        };
        if self.views_follow
            && !self
                .read
                .wait_for(written.last_position, READ_YOUR_WRITES)
                .await
        {
            let why = self.read.stalled().unwrap_or_else(|| {
                format!(
                    "the views did not include position {} within {} s",
                    written.last_position,
                    READ_YOUR_WRITES.as_secs()
                )
            });
            tracing::warn!(position = written.last_position, %why, "answering from views that are behind");
            if let Some((recorder, field)) = recording {
                recorder.behind(field, why);
            }
        }
        Ok(written)
    }
}

/// The append of a command's writes, with the envelope's metadata.
fn request(
    actor: Option<&Actor>,
    writes: Vec<Write>,
    idempotency: Option<IdempotencyClaim>,
    now: DateTime<Utc>,
) -> AppendRequest {
    let back_entry = BACK_ENTRY.try_with(Clone::clone).ok();
    let metadata = Metadata {
        actor_id: actor.map(|a| a.staff_id),
        actor_role: actor.map(|a| a.role),
        terminal: None,
        correlation_id: correlation_id(),
        causation_id: None,
        occurred_at: back_entry.as_ref().map_or(now, |(at, _)| *at),
        idempotency: Some(idempotency.as_ref().map(|claim| ClaimNote {
            key: claim.key.clone(),
            fingerprint: claim.fingerprint.clone(),
        })),
        back_entry: back_entry.map(|(_, reason)| reason),
    };
    let metadata = serde_json::to_string(&metadata).expect("metadata serializes");
    AppendRequest {
        writes: writes
            .into_iter()
            .map(|w| StreamWrite {
                stream_id: w.stream_id,
                expected: ExpectedRevision::at(w.revision),
                events: w
                    .events
                    .into_iter()
                    .map(|(event_id, event)| NewEvent {
                        event_id,
                        event_type: event.event_type().to_owned(),
                        schema_version: Event::SCHEMA_VERSION,
                        payload: event.encode(),
                        metadata: metadata.clone(),
                    })
                    .collect(),
            })
            .collect(),
        idempotency,
    }
}

/// The idempotency claim of `command` under the client's `key`: the key namespaced by the
/// command, and a fingerprint of the input (another input under the same key is refused).
pub(crate) fn claim(
    command: &str,
    key: &str,
    input: &impl Serialize,
) -> ApiResult<IdempotencyClaim> {
    let key = bounded("idempotencyKey", key, MAX_KEY_CHARS)?;
    let bytes = serde_json::to_vec(input).expect("command inputs serialize");
    Ok(IdempotencyClaim {
        key: format!("{command}:{key}"),
        fingerprint: hex::encode(Sha256::digest(bytes)),
    })
}

/// A few milliseconds, so that writers who lost a race do not retry in lockstep.
fn jitter() -> u64 {
    let mut byte = [0u8; 1];
    getrandom::fill(&mut byte).expect("the OS provides randomness");
    1 + u64::from(byte[0] % 8)
}
