//! The KurrentDB (EventStoreDB) event store, through the `kurrentdb` gRPC client.
//!
//! Yika's guarantees rest on atomic appends across streams (a deposit writes the account and
//! the shift and guards the cashier's stream) and on one dense global order (the hash chain
//! links each event to the one before; the projection runner reads positions without gaps).
//! KurrentDB appends atomically to one stream only, and its `$all` positions are not dense. So
//! the whole ledger is ONE KurrentDB stream, [`LEDGER_STREAM`] (decision 0020):
//!
//! - a Yika position is the ledger stream's revision + 1: dense, in commit order;
//! - every append goes to the ledger with the exact expected revision of its tail (never
//!   `Any`), so the server both serializes writers (a replica that lost the race gets
//!   `WrongExpectedVersion`, catches up and re-plans) and deduplicates a retried append's event
//!   ids;
//! - each KurrentDB event carries the Yika event's payload as its data, its event id and type,
//!   and an [`Envelope`] as custom metadata: the Yika stream and revision, schema version, the
//!   Yika metadata, the recorded time, the chain hash and the idempotency claim;
//! - the per-stream revisions, event ids and claims the planner needs come from an index this
//!   process builds by reading the ledger and keeps up to date; a catch-up subscription on the
//!   ledger stream wakes live readers.
//!
//! The pure mapping (events to `EventData`, revisions and positions, errors) is at the top and
//! unit-tested without a server; the store itself is tested against a real server when
//! `YIKA_TEST_KURRENTDB_URL` is set (`store/tests/kurrentdb.rs`).

use std::collections::HashMap;

use bytes::Bytes;
use chrono::Utc;
use kurrentdb::{
    AppendToStreamOptions, Client, ClientSettings, EventData, ReadStreamOptions, StreamPosition,
    StreamState, SubscribeToStreamOptions,
};
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, watch};
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::hash::{GENESIS, check_continuation, parse_hex};
use crate::plan::{Planned, Verdict, plan};
use crate::time::{as_stored, format_time, parse_time};
use crate::{
    AppendOutcome, AppendRequest, EventStore, MAX_IMPORT_BATCH, MAX_READ_BATCH, RecordedEvent,
    StoreError,
};

/// The KurrentDB stream that holds the whole ledger.
pub const LEDGER_STREAM: &str = "yika-ledger";
/// How many times an append re-plans after losing the race for the ledger's tail.
const MAX_TAIL_RACES: usize = 50;

// ----- the mapping (pure) -----

/// An idempotency claim as stored on the first event of the append that made it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// The command's idempotency key.
    pub key: String,
    /// The fingerprint of the command's input.
    pub fingerprint: String,
    /// The append's last position.
    pub last: u64,
}

/// What Yika stores in a KurrentDB event's custom metadata.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// The Yika stream (aggregate) the event belongs to.
    pub stream_id: String,
    /// Its revision in that stream, from 1.
    pub revision: u64,
    /// The payload's schema version.
    pub schema_version: u16,
    /// Yika's metadata JSON, as written (it is hashed byte for byte).
    pub metadata: String,
    /// When Yika recorded it, as hashed (RFC 3339, microseconds, Z).
    pub recorded_at: String,
    /// The hash chain at this event (hex SHA-256).
    pub hash: String,
    /// The idempotency claim, on the first event of an append that carried one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<Claim>,
}

/// The ledger stream's revision holding a Yika position.
#[must_use]
pub fn revision_of(position: u64) -> u64 {
    position - 1
}

/// The expected state of the ledger stream when the log's tail is at `tail` (0: empty).
#[must_use]
pub fn expected_state(tail: u64) -> StreamState {
    if tail == 0 {
        StreamState::NoStream
    } else {
        StreamState::StreamRevision(revision_of(tail))
    }
}

/// The envelope (custom metadata) of a planned (hashed) Yika event.
#[must_use]
pub fn envelope_of(event: &RecordedEvent, claim: Option<Claim>) -> Vec<u8> {
    let envelope = Envelope {
        stream_id: event.stream_id.clone(),
        revision: event.revision,
        schema_version: event.schema_version,
        metadata: event.metadata.clone(),
        recorded_at: format_time(event.recorded_at),
        hash: event.hash.clone(),
        claim,
    };
    serde_json::to_vec(&envelope).expect("an envelope serializes")
}

/// What is sent to KurrentDB for one planned (hashed) Yika event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    /// The event id (the server deduplicates on it under an expected stream state).
    pub id: Uuid,
    /// The event type.
    pub event_type: String,
    /// The data: the Yika payload.
    pub data: Vec<u8>,
    /// The custom metadata: the [`Envelope`].
    pub custom_metadata: Vec<u8>,
}

/// The KurrentDB event for a planned (hashed) Yika event: the payload as data, the event id
/// and type, the envelope as custom metadata.
#[must_use]
pub fn outgoing(event: &RecordedEvent, claim: Option<Claim>) -> Outgoing {
    Outgoing {
        id: event.event_id,
        event_type: event.event_type.clone(),
        data: event.payload.as_bytes().to_vec(),
        custom_metadata: envelope_of(event, claim),
    }
}

impl From<Outgoing> for EventData {
    fn from(event: Outgoing) -> EventData {
        EventData::binary(event.event_type, Bytes::from(event.data))
            .id(event.id)
            .metadata(Bytes::from(event.custom_metadata))
    }
}

/// The parts of an event read back from the ledger stream that Yika uses.
#[derive(Clone, Debug)]
pub struct LedgerEvent<'a> {
    /// The KurrentDB stream it was read from.
    pub stream_id: &'a str,
    /// Its event id.
    pub id: Uuid,
    /// Its revision in the ledger stream.
    pub revision: u64,
    /// Its event type.
    pub event_type: &'a str,
    /// Its data (the Yika payload).
    pub data: &'a [u8],
    /// Its custom metadata (the [`Envelope`]).
    pub custom_metadata: &'a [u8],
}

impl<'a> From<&'a kurrentdb::RecordedEvent> for LedgerEvent<'a> {
    fn from(event: &'a kurrentdb::RecordedEvent) -> LedgerEvent<'a> {
        LedgerEvent {
            stream_id: event.stream_id(),
            id: event.id,
            revision: event.revision,
            event_type: &event.event_type,
            data: &event.data,
            custom_metadata: &event.custom_metadata,
        }
    }
}

/// The Yika event (and its claim) in an event read from the ledger stream `ledger`.
pub fn from_ledger_event(
    ledger: &str,
    event: &LedgerEvent<'_>,
) -> Result<(RecordedEvent, Option<Claim>), StoreError> {
    let position = event.revision + 1;
    if event.stream_id != ledger {
        return Err(StoreError::Corrupt(format!(
            "event {} is on stream {}, not on the ledger {ledger}",
            event.id, event.stream_id
        )));
    }
    let envelope: Envelope = serde_json::from_slice(event.custom_metadata)
        .map_err(|e| StoreError::Corrupt(format!("the envelope of position {position}: {e}")))?;
    let payload = String::from_utf8(event.data.to_vec())
        .map_err(|_| StoreError::Corrupt(format!("the payload at {position} is not UTF-8")))?;
    Ok((
        RecordedEvent {
            position,
            event_id: event.id,
            stream_id: envelope.stream_id,
            revision: envelope.revision,
            event_type: event.event_type.to_owned(),
            schema_version: envelope.schema_version,
            payload,
            metadata: envelope.metadata,
            recorded_at: parse_time(&envelope.recorded_at)?,
            hash: envelope.hash,
        },
        envelope.claim,
    ))
}

/// What a KurrentDB error means for an append or a read.
#[must_use]
pub fn map_error(error: kurrentdb::Error) -> StoreError {
    match error {
        // Another writer moved the ledger's tail: `actual` is the ledger's head position.
        kurrentdb::Error::WrongExpectedVersion { current, .. } => StoreError::Conflict {
            stream_id: LEDGER_STREAM.to_owned(),
            expected: crate::ExpectedRevision::Any,
            actual: match current {
                kurrentdb::CurrentRevision::Current(revision) => revision + 1,
                kurrentdb::CurrentRevision::NoStream => 0,
            },
        },
        kurrentdb::Error::ResourceNotFound => {
            StoreError::Corrupt("the ledger stream does not exist".to_owned())
        }
        kurrentdb::Error::ResourceDeleted => {
            StoreError::Corrupt("the ledger stream was deleted".to_owned())
        }
        kurrentdb::Error::AccessDenied => {
            StoreError::Unavailable("access denied by the KurrentDB server".to_owned())
        }
        // A transport error or a deadline may come after the server wrote: the outcome of an
        // append in flight is unknown, so this must not say that nothing was written.
        other => StoreError::Unavailable(format!("KurrentDB: {other}")),
    }
}

// ----- the index -----

/// What this process knows of the ledger, up to `tail`.
struct Index {
    tail: u64,
    /// The hash chain at `tail` (the genesis hash while the ledger is empty).
    tail_hash: [u8; 32],
    last_recorded: Option<chrono::DateTime<Utc>>,
    /// Positions of each Yika stream's events, in revision order.
    streams: HashMap<String, Vec<u64>>,
    ids: HashMap<Uuid, u64>,
    claims: HashMap<String, (String, u64, u64)>,
}

impl Default for Index {
    fn default() -> Self {
        Index {
            tail: 0,
            tail_hash: GENESIS,
            last_recorded: None,
            streams: HashMap::new(),
            ids: HashMap::new(),
            claims: HashMap::new(),
        }
    }
}

impl Index {
    fn add(&mut self, event: &RecordedEvent, claim: Option<&Claim>) -> Result<(), StoreError> {
        if event.position != self.tail + 1 {
            return Err(StoreError::Corrupt(format!(
                "the ledger skips from {} to {}",
                self.tail, event.position
            )));
        }
        self.streams
            .entry(event.stream_id.clone())
            .or_default()
            .push(event.position);
        self.ids.insert(event.event_id, event.position);
        if let Some(claim) = claim {
            self.claims.insert(
                claim.key.clone(),
                (claim.fingerprint.clone(), event.position, claim.last),
            );
        }
        // An unreadable hash must not restart the chain from genesis at the next append.
        self.tail_hash = parse_hex(&event.hash).ok_or_else(|| {
            StoreError::Corrupt(format!("the hash at {} is not hex SHA-256", event.position))
        })?;
        self.tail = event.position;
        self.last_recorded = Some(event.recorded_at);
        Ok(())
    }

    fn revision(&self, stream: &str) -> u64 {
        self.streams.get(stream).map_or(0, |p| p.len() as u64)
    }
}

/// The KurrentDB event store.
pub struct KurrentEventStore {
    client: Client,
    stream: String,
    index: Mutex<Index>,
    committed: watch::Sender<u64>,
    follower: std::sync::Mutex<Option<JoinHandle<()>>>,
    closed: std::sync::atomic::AtomicBool,
}

impl KurrentEventStore {
    /// Connects to `url` (`kurrentdb://…`, `esdb://…`, with `+discover` for DNS discovery) and
    /// reads the ledger stream into this process's index.
    pub async fn connect(url: &str) -> Result<KurrentEventStore, StoreError> {
        KurrentEventStore::connect_to_stream(url, LEDGER_STREAM).await
    }

    /// The same on a ledger stream of another name (tests give each check its own).
    pub async fn connect_to_stream(
        url: &str,
        stream: &str,
    ) -> Result<KurrentEventStore, StoreError> {
        let settings: ClientSettings = url
            .parse()
            .map_err(|e| StoreError::Unavailable(format!("bad KurrentDB URL: {e}")))?;
        let client = Client::new(settings)
            .map_err(|e| StoreError::Unavailable(format!("KurrentDB client: {e}")))?;
        let (committed, _) = watch::channel(0);
        let store = KurrentEventStore {
            client,
            stream: stream.to_owned(),
            index: Mutex::new(Index::default()),
            committed,
            follower: std::sync::Mutex::new(None),
            closed: std::sync::atomic::AtomicBool::new(false),
        };
        {
            let mut index = store.index.lock().await;
            store.catch_up(&mut index).await?;
        }
        let follower = tokio::spawn(follow(
            store.client.clone(),
            store.stream.clone(),
            store.committed.clone(),
        ));
        *store.follower.lock().expect("not poisoned") = Some(follower);
        Ok(store)
    }

    /// Up to `max` events of the ledger after `position`.
    async fn read_ledger(&self, after: u64, max: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        Ok(self
            .read_ledger_with_claims(after, max)
            .await?
            .into_iter()
            .map(|(event, _)| event)
            .collect())
    }

    async fn read_ledger_with_claims(
        &self,
        after: u64,
        max: usize,
    ) -> Result<Vec<(RecordedEvent, Option<Claim>)>, StoreError> {
        let options = ReadStreamOptions::default()
            .forwards()
            .position(StreamPosition::Position(after))
            .max_count(max);
        let mut stream = match self
            .client
            .read_stream(self.stream.as_str(), &options)
            .await
        {
            Ok(stream) => stream,
            Err(kurrentdb::Error::ResourceNotFound) => return Ok(Vec::new()),
            Err(error) => return Err(map_error(error)),
        };
        let mut events = Vec::new();
        loop {
            match stream.next().await {
                Ok(Some(resolved)) => events.push(from_ledger_event(
                    &self.stream,
                    &LedgerEvent::from(resolved.get_original_event()),
                )?),
                Ok(None) => return Ok(events),
                Err(kurrentdb::Error::ResourceNotFound) => return Ok(events),
                Err(error) => return Err(map_error(error)),
            }
        }
    }

    /// Reads whatever the ledger holds beyond the index's tail into the index.
    async fn catch_up(&self, index: &mut Index) -> Result<(), StoreError> {
        loop {
            let batch = self.read_ledger_with_claims(index.tail, 1_000).await?;
            let done = batch.len() < 1_000;
            for (event, claim) in &batch {
                index.add(event, claim.as_ref())?;
            }
            crate::advance(&self.committed, index.tail);
            if done {
                return Ok(());
            }
        }
    }

    /// Appends planned rows at the index's tail; `Ok(false)` when another writer moved the tail.
    async fn write(
        &self,
        index: &mut Index,
        rows: &[RecordedEvent],
        claims: &[Option<Claim>],
    ) -> Result<bool, StoreError> {
        let events: Vec<EventData> = rows
            .iter()
            .zip(claims)
            .map(|(row, claim)| outgoing(row, claim.clone()).into())
            .collect();
        let options = AppendToStreamOptions::default().stream_state(expected_state(index.tail));
        match self
            .client
            .append_to_stream(self.stream.as_str(), &options, events)
            .await
        {
            Ok(_) => {
                for (row, claim) in rows.iter().zip(claims) {
                    index.add(row, claim.as_ref())?;
                }
                crate::advance(&self.committed, index.tail);
                Ok(true)
            }
            Err(kurrentdb::Error::WrongExpectedVersion { .. }) => Ok(false),
            Err(error) => Err(map_error(error)),
        }
    }
}

/// Wakes live readers: a catch-up subscription on the ledger stream from its end.
async fn follow(client: Client, stream: String, committed: watch::Sender<u64>) {
    loop {
        let options = SubscribeToStreamOptions::default().start_from(StreamPosition::End);
        let mut subscription = client.subscribe_to_stream(stream.as_str(), &options).await;
        loop {
            match subscription.next().await {
                Ok(event) => {
                    let position = event.get_original_event().revision + 1;
                    crate::advance(&committed, position);
                }
                Err(error) => {
                    tracing::warn!(%error, "the ledger subscription dropped; resubscribing");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    break;
                }
            }
        }
    }
}

#[async_trait::async_trait]
impl EventStore for KurrentEventStore {
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError> {
        crate::check_request(&request)?;
        let mut index = self.index.lock().await;
        if self.closed.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(StoreError::Closed);
        }
        for _ in 0..MAX_TAIL_RACES {
            self.catch_up(&mut index).await?;
            let known: HashMap<String, u64> = request
                .writes
                .iter()
                .map(|w| (w.stream_id.clone(), index.revision(&w.stream_id)))
                .collect();
            let ids: HashMap<Uuid, u64> = request
                .events()
                .filter_map(|e| index.ids.get(&e.event_id).map(|p| (e.event_id, *p)))
                .collect();
            let now = as_stored(Utc::now())?;
            let recorded_at = match index.last_recorded {
                Some(last) if last > now => last,
                _ => now,
            };
            let requests = [&request];
            let Planned {
                mut verdicts,
                rows,
                row_claims,
                ..
            } = plan(
                &requests,
                (index.tail, index.tail_hash),
                &known,
                &index.claims,
                &ids,
                recorded_at,
            );
            let claims: Vec<Option<Claim>> = row_claims
                .iter()
                .map(|c| {
                    c.map(|(key, fingerprint, last)| Claim {
                        key: key.to_owned(),
                        fingerprint: fingerprint.to_owned(),
                        last,
                    })
                })
                .collect();
            let verdict = verdicts.pop().expect("one verdict per request");
            match verdict {
                Verdict::Refused(error) => return Err(error),
                Verdict::Duplicate(outcome) => return Ok(outcome),
                Verdict::Write {
                    first_position,
                    last_position,
                    recorded_at,
                } => {
                    if self.write(&mut index, &rows, &claims).await? {
                        return Ok(AppendOutcome::Committed {
                            first_position,
                            last_position,
                            recorded_at,
                        });
                    }
                }
            }
        }
        Err(StoreError::CommitFailed(
            "lost the race for the ledger's tail too many times".to_owned(),
        ))
    }

    async fn read_stream(
        &self,
        stream_id: &str,
        after_revision: u64,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let positions: Vec<u64> = {
            let mut index = self.index.lock().await;
            self.catch_up(&mut index).await?;
            index
                .streams
                .get(stream_id)
                .map(|p| {
                    p.iter()
                        .skip(usize::try_from(after_revision).unwrap_or(usize::MAX))
                        .take(max.min(MAX_READ_BATCH))
                        .copied()
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut events = Vec::with_capacity(positions.len());
        for position in positions {
            events.extend(crate::read_at(self, position).await?);
        }
        Ok(events)
    }

    async fn read_all(
        &self,
        after_position: u64,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.read_ledger(after_position, max.min(MAX_READ_BATCH))
            .await
    }

    async fn find_event(&self, event_id: Uuid) -> Result<Option<RecordedEvent>, StoreError> {
        let position = {
            let mut index = self.index.lock().await;
            self.catch_up(&mut index).await?;
            index.ids.get(&event_id).copied()
        };
        match position {
            Some(position) => crate::read_at(self, position).await,
            None => Ok(None),
        }
    }

    async fn idempotency_claim(&self, key: &str) -> Result<Option<(String, u64, u64)>, StoreError> {
        let mut index = self.index.lock().await;
        self.catch_up(&mut index).await?;
        Ok(index.claims.get(key).cloned())
    }

    async fn head_position(&self) -> Result<u64, StoreError> {
        let mut index = self.index.lock().await;
        self.catch_up(&mut index).await?;
        Ok(index.tail)
    }

    fn subscribe(&self) -> watch::Receiver<u64> {
        self.committed.subscribe()
    }

    async fn import(&self, events: Vec<RecordedEvent>) -> Result<(), StoreError> {
        if events.len() > MAX_IMPORT_BATCH {
            return Err(StoreError::Invalid("too many events in one import"));
        }
        if events.is_empty() {
            return Ok(());
        }
        let mut index = self.index.lock().await;
        self.catch_up(&mut index).await?;
        check_continuation(index.tail, index.tail_hash, &events)?;
        let claims = vec![None; events.len()];
        if self.write(&mut index, &events, &claims).await? {
            Ok(())
        } else {
            Err(StoreError::CommitFailed(
                "another writer appended to the ledger during the import".to_owned(),
            ))
        }
    }

    async fn close(&self) {
        // Taking the index lock waits for an append in flight to be answered first.
        let _index = self.index.lock().await;
        self.closed.store(true, std::sync::atomic::Ordering::SeqCst);
        let follower = self.follower.lock().expect("not poisoned").take();
        if let Some(follower) = follower {
            follower.abort();
            let _ = follower.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yika_event(position: u64, claim: bool) -> (RecordedEvent, Option<Claim>) {
        let event = RecordedEvent {
            position,
            event_id: Uuid::now_v7(),
            stream_id: "account-01".to_owned(),
            revision: 3,
            event_type: "DepositReceived".to_owned(),
            schema_version: 1,
            payload: r#"{"amount":"12.50","note":"预存 ✓"}"#.to_owned(),
            metadata: r#"{"actor_id":null,"correlation_id":"0192"}"#.to_owned(),
            recorded_at: "2026-11-22T08:30:00.123456Z".parse().unwrap(),
            hash: "ab".repeat(32),
        };
        let claim = claim.then(|| Claim {
            key: "dep-1".to_owned(),
            fingerprint: "f00d".to_owned(),
            last: position + 1,
        });
        (event, claim)
    }

    /// What the server hands back for `event` written at ledger revision `revision`, with
    /// `custom_metadata` as stored.
    fn as_read_back<'a>(
        event: &'a RecordedEvent,
        revision: u64,
        custom_metadata: &'a [u8],
    ) -> LedgerEvent<'a> {
        LedgerEvent {
            stream_id: LEDGER_STREAM,
            id: event.event_id,
            revision,
            event_type: &event.event_type,
            data: event.payload.as_bytes(),
            custom_metadata,
        }
    }

    #[test]
    fn positions_are_ledger_revisions_plus_one() {
        // Goal: position 1 is ledger revision 0; an empty log expects NoStream, a log at N expects revision N-1.
        assert_eq!(revision_of(1), 0);
        assert_eq!(revision_of(42), 41);
        assert_eq!(expected_state(0), StreamState::NoStream);
        assert_eq!(expected_state(1), StreamState::StreamRevision(0));
        assert_eq!(expected_state(42), StreamState::StreamRevision(41));
    }

    #[test]
    fn an_event_round_trips_through_its_envelope() {
        // Goal: payload, id, type, Yika stream and revision, schema version, metadata, recorded time, hash and claim survive the mapping to what is sent and back from what the server returns, byte for byte.
        for with_claim in [false, true] {
            let (event, claim) = yika_event(7, with_claim);
            let sent = outgoing(&event, claim.clone());
            assert_eq!(sent.id, event.event_id);
            assert_eq!(sent.event_type, "DepositReceived");
            assert_eq!(sent.data, event.payload.as_bytes());
            // The server hands back exactly what was sent, at ledger revision 6.
            let read_back = LedgerEvent {
                stream_id: LEDGER_STREAM,
                id: sent.id,
                revision: 6,
                event_type: &sent.event_type,
                data: &sent.data,
                custom_metadata: &sent.custom_metadata,
            };
            let (back, back_claim) = from_ledger_event(LEDGER_STREAM, &read_back).unwrap();
            assert_eq!(back, event);
            assert_eq!(back_claim, claim);
            // And it converts to the client's EventData.
            let _: EventData = sent.into();
        }
    }

    #[test]
    fn an_unreadable_hash_does_not_restart_the_chain() {
        // Goal: the index refuses an event whose hash is not hex SHA-256 (Corrupt), and keeps its tail, rather than chaining the next append from the genesis hash.
        let mut index = Index::default();
        let (first, _) = yika_event(1, false);
        index.add(&first, None).unwrap();
        let (mut second, _) = yika_event(2, false);
        second.hash = "not a hash".to_owned();
        assert!(matches!(
            index.add(&second, None),
            Err(StoreError::Corrupt(_))
        ));
        assert_eq!(index.tail, 1);
        assert_eq!(index.tail_hash, [0xab; 32]);
    }

    #[test]
    fn a_foreign_or_damaged_event_is_corrupt() {
        // Goal: an event without a Yika envelope, with a non-UTF-8 payload, or on another stream is reported as Corrupt, never mapped.
        let (event, _) = yika_event(1, false);
        let no_envelope = as_read_back(&event, 0, b"{}");
        assert!(matches!(
            from_ledger_event(LEDGER_STREAM, &no_envelope),
            Err(StoreError::Corrupt(_))
        ));
        let envelope = envelope_of(&event, None);
        let mut binary = as_read_back(&event, 0, &envelope);
        binary.data = &[0xff, 0xfe];
        assert!(matches!(
            from_ledger_event(LEDGER_STREAM, &binary),
            Err(StoreError::Corrupt(_))
        ));
        let mut elsewhere = as_read_back(&event, 0, &envelope);
        elsewhere.stream_id = "account-01";
        assert!(matches!(
            from_ledger_event(LEDGER_STREAM, &elsewhere),
            Err(StoreError::Corrupt(_))
        ));
        // The same event read from the ledger maps fine.
        let fine = as_read_back(&event, 0, &envelope);
        assert_eq!(from_ledger_event(LEDGER_STREAM, &fine).unwrap().0, event);
    }

    #[test]
    fn errors_map_to_store_errors() {
        // Goal: a lost race for the tail is a Conflict carrying the ledger's real head; a missing or deleted ledger is Corrupt; anything else leaves the store unavailable (an append's outcome unknown), never "nothing was written".
        let conflict = map_error(kurrentdb::Error::WrongExpectedVersion {
            expected: StreamState::StreamRevision(9),
            current: kurrentdb::CurrentRevision::Current(11),
        });
        assert!(matches!(conflict, StoreError::Conflict { actual: 12, .. }));
        let empty = map_error(kurrentdb::Error::WrongExpectedVersion {
            expected: StreamState::StreamRevision(0),
            current: kurrentdb::CurrentRevision::NoStream,
        });
        assert!(matches!(empty, StoreError::Conflict { actual: 0, .. }));
        assert!(matches!(
            map_error(kurrentdb::Error::ResourceDeleted),
            StoreError::Corrupt(_)
        ));
        assert!(matches!(
            map_error(kurrentdb::Error::DeadlineExceeded),
            StoreError::Unavailable(_)
        ));
    }

    #[test]
    fn the_index_follows_the_ledger_and_refuses_a_skip() {
        // Goal: the index gives each Yika stream its revision, each event id its position and each claim its range, and refuses an event that does not continue its tail.
        let mut index = Index::default();
        let (first, claim) = yika_event(1, true);
        index.add(&first, claim.as_ref()).unwrap();
        let (mut second, _) = yika_event(2, false);
        second.stream_id = "shift-01".to_owned();
        index.add(&second, None).unwrap();
        assert_eq!(index.tail, 2);
        assert_eq!(index.revision("account-01"), 1);
        assert_eq!(index.revision("shift-01"), 1);
        assert_eq!(index.revision("cashier-01"), 0);
        assert_eq!(index.ids[&first.event_id], 1);
        assert_eq!(index.claims["dep-1"], ("f00d".to_owned(), 1, 2));
        let (skipping, _) = yika_event(4, false);
        assert!(index.add(&skipping, None).is_err());
    }
}
