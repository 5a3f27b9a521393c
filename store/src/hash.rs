//! The tamper-evident hash chain.
//!
//! `hash(n) = SHA-256(hash(n-1) || canonical(event n))`, with `hash(0)` = 32 zero bytes. The
//! canonical bytes are every stored field, each length-prefixed, including the position, so
//! that editing, reordering or deleting any event breaks the chain at that position.

use sha2::{Digest, Sha256};

use crate::RecordedEvent;
use crate::time::format_time;

/// The hash before the first event.
pub const GENESIS: [u8; 32] = [0; 32];

fn field(hasher: &mut Sha256, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).expect("stored fields are far below 4 GiB");
    hasher.update(len.to_be_bytes());
    hasher.update(bytes);
}

/// The chain hash of `event` given the previous event's hash (hex of it in `event.hash` is
/// ignored; everything else is covered).
#[must_use]
pub fn event_hash(previous: &[u8; 32], event: &RecordedEvent) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(previous);
    hasher.update(event.position.to_be_bytes());
    field(&mut hasher, event.event_id.as_bytes());
    field(&mut hasher, event.stream_id.as_bytes());
    hasher.update(event.revision.to_be_bytes());
    field(&mut hasher, event.event_type.as_bytes());
    hasher.update(event.schema_version.to_be_bytes());
    field(&mut hasher, event.payload.as_bytes());
    field(&mut hasher, event.metadata.as_bytes());
    field(&mut hasher, format_time(event.recorded_at).as_bytes());
    hasher.finalize().into()
}

/// Parses a stored hex hash.
pub fn parse_hex(hex_hash: &str) -> Option<[u8; 32]> {
    let bytes = hex::decode(hex_hash).ok()?;
    bytes.try_into().ok()
}

/// The result of walking the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainCheck {
    /// How many events were checked.
    pub events_checked: u64,
    /// The first position whose stored hash or position does not follow from its predecessor.
    pub first_broken_position: Option<u64>,
}

/// Walks a log in position order and reports the first break. Feed it every event from
/// position 1; a missing position (a deleted row) is a break at the first missing position.
#[derive(Debug)]
pub struct ChainVerifier {
    previous: [u8; 32],
    next_position: u64,
    check: ChainCheck,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            previous: GENESIS,
            next_position: 1,
            check: ChainCheck {
                events_checked: 0,
                first_broken_position: None,
            },
        }
    }
}

impl ChainVerifier {
    /// Checks the next event.
    pub fn push(&mut self, event: &RecordedEvent) {
        self.check.events_checked += 1;
        if self.check.first_broken_position.is_some() {
            return;
        }
        if event.position != self.next_position {
            self.check.first_broken_position = Some(self.next_position);
            return;
        }
        let expected = event_hash(&self.previous, event);
        if parse_hex(&event.hash) != Some(expected) {
            self.check.first_broken_position = Some(event.position);
            return;
        }
        self.previous = expected;
        self.next_position += 1;
    }

    /// The next event cannot be read at all (a stored field no longer parses): the chain breaks
    /// at the position that should come next, unless it broke before.
    pub fn unreadable(&mut self) {
        if self.check.first_broken_position.is_none() {
            self.check.first_broken_position = Some(self.next_position);
        }
    }

    /// The verdict so far.
    #[must_use]
    pub fn finish(self) -> ChainCheck {
        self.check
    }
}

/// Checks that `events` continue a log whose last event is at `tail_position` with hash
/// `tail_hash`: dense positions from `tail_position + 1`, every stored hash recomputing from
/// the one before. Returns the new tail's hash.
pub fn check_continuation(
    tail_position: u64,
    tail_hash: [u8; 32],
    events: &[RecordedEvent],
) -> Result<[u8; 32], crate::StoreError> {
    let mut previous = tail_hash;
    for (offset, event) in events.iter().enumerate() {
        let position = tail_position + 1 + offset as u64;
        if event.position != position {
            return Err(crate::StoreError::Corrupt(format!(
                "imported event at position {} where {position} was due",
                event.position
            )));
        }
        let expected = event_hash(&previous, event);
        if parse_hex(&event.hash) != Some(expected) {
            return Err(crate::StoreError::Corrupt(format!(
                "imported event at position {position} does not continue the hash chain"
            )));
        }
        previous = expected;
    }
    Ok(previous)
}

/// The idempotency claim copied into an event's metadata (`idempotency: { key, fingerprint }`),
/// if it carries one.
#[must_use]
pub fn claim_note(metadata: &str) -> Option<(String, String)> {
    let metadata: serde_json::Value = serde_json::from_str(metadata).ok()?;
    let note = metadata.get("idempotency")?;
    Some((
        note.get("key")?.as_str()?.to_owned(),
        note.get("fingerprint")?.as_str()?.to_owned(),
    ))
}

/// The idempotency claims of imported events, rebuilt from the copy each keyed command left in
/// the metadata of its events: the first event of each keyed append holds its claim, up to its
/// last event. (An importer keeps each append within one batch.)
#[must_use]
pub fn claims_of(events: &[RecordedEvent]) -> Vec<Option<(String, String, u64)>> {
    let notes: Vec<Option<(String, String)>> =
        events.iter().map(|e| claim_note(&e.metadata)).collect();
    let mut claims = vec![None; events.len()];
    let mut i = 0;
    while i < events.len() {
        let Some(note) = &notes[i] else {
            i += 1;
            continue;
        };
        let mut j = i;
        while j + 1 < events.len() && notes[j + 1].as_ref() == Some(note) {
            j += 1;
        }
        claims[i] = Some((note.0.clone(), note.1.clone(), events[j].position));
        i = j + 1;
    }
    claims
}

#[cfg(test)]
mod claim_tests {
    use super::*;

    fn event(position: u64, metadata: &str) -> RecordedEvent {
        RecordedEvent {
            position,
            event_id: uuid::Uuid::from_u128(u128::from(position)),
            stream_id: "s".to_owned(),
            revision: position,
            event_type: "T".to_owned(),
            schema_version: 1,
            payload: "{}".to_owned(),
            metadata: metadata.to_owned(),
            recorded_at: chrono::Utc::now(),
            hash: String::new(),
        }
    }

    #[test]
    fn claims_are_rebuilt_on_the_first_event_of_each_keyed_append() {
        // Goal: an imported log gets the claim columns its events' hashed copies describe.
        let a = r#"{"idempotency":{"key":"deposit:A","fingerprint":"fa"}}"#;
        let b = r#"{"idempotency":{"key":"deposit:B","fingerprint":"fb"}}"#;
        let events = [
            event(1, "{}"),
            event(2, a),
            event(3, a),
            event(4, r#"{"idempotency":null}"#),
            event(5, b),
        ];
        assert_eq!(
            claims_of(&events),
            [
                None,
                Some(("deposit:A".to_owned(), "fa".to_owned(), 3)),
                None,
                None,
                Some(("deposit:B".to_owned(), "fb".to_owned(), 5)),
            ]
        );
    }
}
