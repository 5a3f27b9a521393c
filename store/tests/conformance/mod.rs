//! Backend-independent checks of the [`EventStore`] guarantees (see the crate docs).
//!
//! Every check takes a fresh, empty store as an `Arc<dyn EventStore>` and panics on the first
//! broken guarantee. Each backend's test file (`tests/sqlite.rs`, later `tests/postgres.rs`)
//! declares `mod conformance;` and runs every check against its own store.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::Utc;
use serde_json::json;
use tokio::sync::Barrier;
use uuid::Uuid;
use yika_store::hash::{ChainCheck, ChainVerifier, GENESIS, event_hash};
use yika_store::{
    AppendOutcome, AppendRequest, EventStore, ExpectedRevision, IdempotencyClaim,
    MAX_EVENTS_PER_APPEND, MAX_READ_BATCH, NewEvent, RecordedEvent, StoreError, StreamWrite,
    read_whole_stream,
};

/// Calls `$m!(check, check, …)` with every check that takes one fresh store, so each backend's
/// test file runs all of them (and a new check reaches every backend at once).
#[macro_export]
macro_rules! every_check {
    ($m:ident) => {
        $m!(
            append_and_read_back,
            expected_revisions,
            concurrent_conflicts,
            concurrent_retry_loop,
            gap_free_positions,
            idempotent_event_ids,
            concurrent_retry_same_event_ids,
            idempotency_keys,
            concurrent_idempotency_key,
            batch_reads,
            read_batch_cap,
            hash_chain,
            live_wake_up,
            invalid_appends,
            malformed_append_is_refused_alone,
        );
    };
}

/// The store under test, shareable across tasks.
pub type Store = Arc<dyn EventStore>;

/// How long a check waits for a wake-up before it calls the store stuck.
pub const WAIT: Duration = Duration::from_secs(10);

// ----- helpers -----

/// A new "TestEvent" with this JSON payload.
pub fn event(payload: serde_json::Value) -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        event_type: "TestEvent".to_owned(),
        schema_version: 1,
        payload: payload.to_string(),
        metadata: "{}".to_owned(),
    }
}

/// Events numbered `from..from + count` for `stream` (payload `{"stream": .., "n": ..}`).
pub fn numbered(stream: &str, from: u64, count: u64) -> Vec<NewEvent> {
    (from..from + count)
        .map(|n| event(json!({ "stream": stream, "n": n })))
        .collect()
}

/// Appends `count` events over three streams, one event per append (used by the SQLite and
/// PostgreSQL tests of what only they have: tampering with the tables).
#[allow(dead_code)]
pub async fn fill(store: &dyn EventStore, count: u64) {
    for n in 0..count {
        let stream = format!("fill-{}", n % 3);
        committed(
            store
                .append(single(
                    &stream,
                    ExpectedRevision::Any,
                    numbered(&stream, n, 1),
                ))
                .await,
        );
    }
}

/// A write of `events` to `stream`.
pub fn write(stream: &str, expected: ExpectedRevision, events: Vec<NewEvent>) -> StreamWrite {
    StreamWrite {
        stream_id: stream.to_owned(),
        expected,
        events,
    }
}

/// A pure guard: `stream` must be at `expected`, nothing is written to it.
pub fn guard(stream: &str, expected: ExpectedRevision) -> StreamWrite {
    write(stream, expected, Vec::new())
}

/// An append to a single stream, without idempotency key.
pub fn single(stream: &str, expected: ExpectedRevision, events: Vec<NewEvent>) -> AppendRequest {
    AppendRequest {
        writes: vec![write(stream, expected, events)],
        idempotency: None,
    }
}

/// An idempotency claim.
pub fn claim(key: &str, fingerprint: &str) -> Option<IdempotencyClaim> {
    Some(IdempotencyClaim {
        key: key.to_owned(),
        fingerprint: fingerprint.to_owned(),
    })
}

/// Reads the whole log in pages of [`MAX_READ_BATCH`].
pub async fn read_everything(store: &dyn EventStore) -> Vec<RecordedEvent> {
    let mut all: Vec<RecordedEvent> = Vec::new();
    loop {
        let after = all.last().map_or(0, |e| e.position);
        let page = store
            .read_all(after, MAX_READ_BATCH)
            .await
            .expect("read_all");
        if page.is_empty() {
            return all;
        }
        all.extend(page);
    }
}

/// Runs the chain verifier over the whole log.
pub async fn verify_chain(store: &dyn EventStore) -> ChainCheck {
    let mut verifier = ChainVerifier::default();
    for event in read_everything(store).await {
        verifier.push(&event);
    }
    verifier.finish()
}

/// Asserts that the whole log's chain is intact and holds `count` events.
pub async fn assert_chain_intact(store: &dyn EventStore, count: u64) {
    assert_eq!(
        verify_chain(store).await,
        ChainCheck {
            events_checked: count,
            first_broken_position: None
        }
    );
}

/// Asserts that `events` are exactly positions `1..=events.len()`, in order.
pub fn assert_dense_from_one(events: &[RecordedEvent]) {
    for (index, event) in events.iter().enumerate() {
        assert_eq!(
            event.position,
            index as u64 + 1,
            "position gap or disorder at index {index}"
        );
    }
}

/// Asserts that a stream's events are revisions `1..=events.len()`, in order, at growing positions.
pub fn assert_stream_dense(events: &[RecordedEvent]) {
    for (index, event) in events.iter().enumerate() {
        assert_eq!(
            event.revision,
            index as u64 + 1,
            "revision gap or disorder in {}",
            event.stream_id
        );
    }
    assert!(
        events.windows(2).all(|w| w[0].position < w[1].position),
        "stream events out of position order"
    );
}

/// The positions of a fresh commit, or a panic.
pub fn committed(result: Result<AppendOutcome, StoreError>) -> (u64, u64) {
    let (first, last, _) = committed_at(result);
    (first, last)
}

/// The positions and recorded time of a fresh commit, or a panic.
pub fn committed_at(
    result: Result<AppendOutcome, StoreError>,
) -> (u64, u64, chrono::DateTime<Utc>) {
    match result {
        Ok(AppendOutcome::Committed {
            first_position,
            last_position,
            recorded_at,
        }) => (first_position, last_position, recorded_at),
        other => panic!("expected a fresh commit, got {other:?}"),
    }
}

/// Asserts a conflict on `stream` that reports `expected` and the stream's `actual` revision.
pub fn assert_conflict(
    result: Result<AppendOutcome, StoreError>,
    stream: &str,
    expected: ExpectedRevision,
    actual: u64,
) {
    match result {
        Err(StoreError::Conflict {
            stream_id,
            expected: reported,
            actual: found,
        }) => {
            assert_eq!(
                (stream_id.as_str(), reported, found),
                (stream, expected, actual),
                "wrong conflict details"
            );
        }
        other => panic!("expected a conflict on {stream} at revision {actual}, got {other:?}"),
    }
}

/// The payload's `"n"` field.
fn payload_n(event: &RecordedEvent) -> u64 {
    let payload: serde_json::Value = serde_json::from_str(&event.payload).expect("payload is JSON");
    payload["n"].as_u64().expect("payload has n")
}

// ----- checks -----

/// Appends to several streams and reads everything back through every read path.
pub async fn append_and_read_back(store: Store) {
    // Goal: what is appended reads back unchanged, at dense positions from 1 and per-stream revisions from 1.
    assert_eq!(store.head_position().await.unwrap(), 0);
    assert!(store.read_all(0, 100).await.unwrap().is_empty());
    assert!(store.read_stream("a", 0, 100).await.unwrap().is_empty());

    let before = Utc::now();
    let a1 = numbered("a", 1, 3);
    let b1 = numbered("b", 1, 2);
    let a2 = numbered("a", 4, 2);
    let a3 = numbered("a", 6, 1);
    let c1 = numbered("c", 1, 2);
    assert_eq!(
        committed(
            store
                .append(single("a", ExpectedRevision::NoStream, a1.clone()))
                .await
        ),
        (1, 3)
    );
    assert_eq!(
        committed(
            store
                .append(single("b", ExpectedRevision::NoStream, b1.clone()))
                .await
        ),
        (4, 5)
    );
    assert_eq!(
        committed(
            store
                .append(single("a", ExpectedRevision::Exact(3), a2.clone()))
                .await
        ),
        (6, 7)
    );
    let two_streams = AppendRequest {
        writes: vec![
            write("a", ExpectedRevision::Exact(5), a3.clone()),
            write("c", ExpectedRevision::NoStream, c1.clone()),
        ],
        idempotency: None,
    };
    let (first, last, two_streams_at) = committed_at(store.append(two_streams).await);
    assert_eq!((first, last), (8, 10));
    let after = Utc::now();

    // The expected log, in append order: (stream, revision, event).
    let expected: Vec<(&str, u64, &NewEvent)> = [
        ("a", 1, &a1),
        ("b", 1, &b1),
        ("a", 4, &a2),
        ("a", 6, &a3),
        ("c", 1, &c1),
    ]
    .into_iter()
    .flat_map(|(stream, first, events)| {
        events
            .iter()
            .zip(first..)
            .map(move |(e, revision)| (stream, revision, e))
    })
    .collect();

    let all = store.read_all(0, 100).await.unwrap();
    assert_eq!(all.len(), 10);
    assert_dense_from_one(&all);
    let tolerance = chrono::Duration::milliseconds(1);
    for (recorded, (stream, revision, new)) in all.iter().zip(&expected) {
        assert_eq!(recorded.stream_id, *stream);
        assert_eq!(
            recorded.revision, *revision,
            "revision of position {}",
            recorded.position
        );
        assert_eq!(recorded.event_id, new.event_id);
        assert_eq!(recorded.event_type, "TestEvent");
        assert_eq!(recorded.schema_version, 1);
        assert_eq!(recorded.payload, new.payload);
        assert_eq!(recorded.metadata, "{}");
        assert!(
            recorded.recorded_at >= before - tolerance && recorded.recorded_at <= after + tolerance,
            "recorded_at {} outside [{before}, {after}]",
            recorded.recorded_at
        );
        assert_eq!(recorded.hash.len(), 64);
        assert!(
            recorded.hash.chars().all(|c| c.is_ascii_hexdigit()),
            "hash is hex"
        );
    }
    assert!(
        all.windows(2).all(|w| w[0].recorded_at <= w[1].recorded_at),
        "recorded_at goes backwards"
    );
    // A commit tells its recorded time: the one every event of the append was stored with.
    for recorded in &all[7..] {
        assert_eq!(
            recorded.recorded_at, two_streams_at,
            "the commit's recorded_at is position {}'s",
            recorded.position
        );
    }
    let hashes: HashSet<&str> = all.iter().map(|e| e.hash.as_str()).collect();
    assert_eq!(hashes.len(), all.len(), "every event has its own hash");

    // Partial reads of the log.
    let middle = store.read_all(3, 4).await.unwrap();
    assert_eq!(middle, all[3..7].to_vec());
    assert!(store.read_all(10, 100).await.unwrap().is_empty());
    assert!(store.read_all(50, 100).await.unwrap().is_empty());

    // Streams.
    let stream_a = store.read_stream("a", 0, 100).await.unwrap();
    let from_log: Vec<RecordedEvent> = all.iter().filter(|e| e.stream_id == "a").cloned().collect();
    assert_eq!(stream_a, from_log);
    assert_eq!(
        stream_a.iter().map(|e| e.position).collect::<Vec<_>>(),
        [1, 2, 3, 6, 7, 8]
    );
    assert_stream_dense(&stream_a);
    assert_eq!(
        store.read_stream("a", 4, 100).await.unwrap(),
        stream_a[4..].to_vec()
    );
    assert_eq!(
        store.read_stream("a", 0, 2).await.unwrap(),
        stream_a[..2].to_vec()
    );
    assert_eq!(
        store.read_stream("a", 2, 3).await.unwrap(),
        stream_a[2..5].to_vec()
    );
    assert_eq!(read_whole_stream(&*store, "a").await.unwrap(), stream_a);
    let stream_c = store.read_stream("c", 0, 100).await.unwrap();
    assert_eq!(
        stream_c
            .iter()
            .map(|e| (e.position, e.revision))
            .collect::<Vec<_>>(),
        [(9, 1), (10, 2)]
    );
    assert!(store.read_stream("c", 2, 100).await.unwrap().is_empty());
    assert!(
        store
            .read_stream("nobody", 0, 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store.read_stream("A", 0, 100).await.unwrap().is_empty(),
        "stream ids are case-sensitive"
    );

    // By id.
    for recorded in &all {
        assert_eq!(
            store.find_event(recorded.event_id).await.unwrap().as_ref(),
            Some(recorded)
        );
    }
    assert_eq!(store.find_event(Uuid::now_v7()).await.unwrap(), None);

    assert_eq!(store.head_position().await.unwrap(), 10);
}

/// Expected revisions, single- and multi-stream, with guards.
pub async fn expected_revisions(store: Store) {
    // Goal: a wrong expectation is a Conflict carrying the real revision, and a refused request writes nothing at all.
    use ExpectedRevision::{Any, Exact, NoStream};
    committed(
        store
            .append(single("s", NoStream, numbered("s", 1, 2)))
            .await,
    );

    assert_conflict(
        store
            .append(single("s", NoStream, numbered("s", 3, 1)))
            .await,
        "s",
        NoStream,
        2,
    );
    assert_conflict(
        store
            .append(single("s", Exact(1), numbered("s", 3, 1)))
            .await,
        "s",
        Exact(1),
        2,
    );
    assert_conflict(
        store
            .append(single("s", Exact(3), numbered("s", 3, 1)))
            .await,
        "s",
        Exact(3),
        2,
    );
    assert_conflict(
        store
            .append(single("empty", Exact(1), numbered("empty", 1, 1)))
            .await,
        "empty",
        Exact(1),
        0,
    );
    assert_eq!(
        store.head_position().await.unwrap(),
        2,
        "refused appends wrote nothing"
    );

    assert_eq!(
        committed(
            store
                .append(single("s", Exact(2), numbered("s", 3, 1)))
                .await
        ),
        (3, 3)
    );
    assert_eq!(
        committed(
            store
                .append(single("t", NoStream, numbered("t", 1, 1)))
                .await
        ),
        (4, 4)
    );
    assert_eq!(
        committed(
            store
                .append(single("u0", Exact(0), numbered("u0", 1, 1)))
                .await
        ),
        (5, 5),
        "Exact(0) = empty"
    );

    // A guard on another stream that has moved refuses the whole request, whatever the order of its writes.
    let u_event = event(json!({ "stream": "u" }));
    for writes in [
        vec![
            write("u", NoStream, vec![u_event.clone()]),
            guard("s", Exact(2)),
        ],
        vec![
            guard("s", Exact(2)),
            write("u", NoStream, vec![u_event.clone()]),
        ],
    ] {
        let result = store
            .append(AppendRequest {
                writes,
                idempotency: None,
            })
            .await;
        assert_conflict(result, "s", Exact(2), 3);
        assert_eq!(store.head_position().await.unwrap(), 5);
        assert!(store.read_stream("u", 0, 10).await.unwrap().is_empty());
        assert_eq!(store.find_event(u_event.event_id).await.unwrap(), None);
    }

    // A conflict on the second written stream also voids the first.
    let v_events = numbered("v", 1, 2);
    let request = AppendRequest {
        writes: vec![
            write("v", NoStream, v_events.clone()),
            write("t", Exact(7), numbered("t", 2, 1)),
        ],
        idempotency: None,
    };
    assert_conflict(store.append(request).await, "t", Exact(7), 1);
    assert!(store.read_stream("v", 0, 10).await.unwrap().is_empty());
    assert!(store.read_stream("t", 1, 10).await.unwrap().is_empty());
    for e in &v_events {
        assert_eq!(store.find_event(e.event_id).await.unwrap(), None);
    }
    assert_eq!(store.head_position().await.unwrap(), 5);

    // A guard that holds lets the request through and adds nothing to the guarded stream.
    let request = AppendRequest {
        writes: vec![
            write("u", NoStream, vec![u_event.clone()]),
            guard("s", Exact(3)),
        ],
        idempotency: None,
    };
    assert_eq!(committed(store.append(request).await), (6, 6));
    assert_eq!(store.read_stream("s", 0, 10).await.unwrap().len(), 3);
    assert_eq!(
        store
            .find_event(u_event.event_id)
            .await
            .unwrap()
            .map(|e| (e.stream_id, e.revision)),
        Some(("u".to_owned(), 1))
    );

    // Any always passes, on an existing or a new stream.
    assert_eq!(
        committed(store.append(single("s", Any, numbered("s", 4, 2))).await),
        (7, 8)
    );
    assert_eq!(
        committed(
            store
                .append(single("fresh", Any, numbered("fresh", 1, 1)))
                .await
        ),
        (9, 9)
    );
    let mixed = AppendRequest {
        writes: vec![
            write("s", Any, numbered("s", 6, 1)),
            write("t", Exact(1), numbered("t", 2, 1)),
            guard("u", Any),
        ],
        idempotency: None,
    };
    assert_eq!(committed(store.append(mixed).await), (10, 11));

    let s = store.read_stream("s", 0, 100).await.unwrap();
    assert_eq!(s.len(), 6);
    assert_stream_dense(&s);
    let all = read_everything(&*store).await;
    assert_eq!(all.len(), 11);
    assert_dense_from_one(&all);
}

/// Fifty writers race for each revision of one stream.
pub async fn concurrent_conflicts(store: Store) {
    // Goal: with 50 simultaneous appends at the same expected revision, exactly one wins and every other gets a Conflict.
    const TASKS: usize = 50;
    const ROUNDS: u64 = 8;
    let stream = "contended";
    for round in 0..ROUNDS {
        let expected = ExpectedRevision::at(round);
        let barrier = Arc::new(Barrier::new(TASKS));
        let mut tasks = Vec::new();
        for task in 0..TASKS {
            let store = store.clone();
            let barrier = barrier.clone();
            tasks.push(tokio::spawn(async move {
                let new = event(json!({ "round": round, "task": task }));
                let id = new.event_id;
                barrier.wait().await;
                (id, store.append(single(stream, expected, vec![new])).await)
            }));
        }
        let mut winners = Vec::new();
        for task in tasks {
            let (id, result) = task.await.unwrap();
            match result {
                Ok(AppendOutcome::Committed {
                    first_position,
                    last_position,
                    ..
                }) => {
                    winners.push((id, first_position, last_position));
                }
                conflict => assert_conflict(conflict, stream, expected, round + 1),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: exactly one writer wins");
        let (id, first, last) = winners[0];
        assert_eq!((first, last), (round + 1, round + 1));
        let stored = store.read_stream(stream, round, 10).await.unwrap();
        assert_eq!(stored.len(), 1, "round {round}: one event added");
        assert_eq!((stored[0].event_id, stored[0].revision), (id, round + 1));
    }
    assert_eq!(store.head_position().await.unwrap(), ROUNDS);
    let all = read_everything(&*store).await;
    assert_dense_from_one(&all);
    assert_stream_dense(&all);
}

/// Twenty writers each add ten events to one stream, reloading and retrying on conflict.
pub async fn concurrent_retry_loop(store: Store) {
    // Goal: optimistic retries converge: 20 x 10 events end as exactly 200 events at revisions 1..=200, none lost or doubled.
    const TASKS: u64 = 20;
    const PER_TASK: u64 = 10;
    let stream = "retried";
    let barrier = Arc::new(Barrier::new(TASKS as usize));
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let store = store.clone();
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            let mut conflicts = 0_u64;
            barrier.wait().await;
            for seq in 0..PER_TASK {
                let new = event(json!({ "task": task, "n": seq }));
                loop {
                    let loaded = read_whole_stream(&*store, stream).await.unwrap();
                    let revision = loaded.last().map_or(0, |e| e.revision);
                    assert_eq!(revision, loaded.len() as u64, "a loaded stream is dense");
                    match store
                        .append(single(
                            stream,
                            ExpectedRevision::at(revision),
                            vec![new.clone()],
                        ))
                        .await
                    {
                        Ok(AppendOutcome::Committed { .. }) => break,
                        Err(StoreError::Conflict { actual, .. }) => {
                            assert!(
                                actual > revision,
                                "a conflict means the stream moved on ({actual} vs {revision})"
                            );
                            conflicts += 1;
                        }
                        other => panic!("task {task}: unexpected {other:?}"),
                    }
                }
                ids.push(new.event_id);
            }
            (ids, conflicts)
        }));
    }
    let mut ids_by_task = Vec::new();
    for task in tasks {
        ids_by_task.push(task.await.unwrap().0);
    }

    let events = read_whole_stream(&*store, stream).await.unwrap();
    assert_eq!(events.len() as u64, TASKS * PER_TASK);
    assert_stream_dense(&events);
    assert_eq!(events.last().map(|e| e.revision), Some(200));
    let stored: HashSet<Uuid> = events.iter().map(|e| e.event_id).collect();
    assert_eq!(stored.len(), events.len(), "no event stored twice");
    for ids in &ids_by_task {
        // Each task's events appear in the order it appended them.
        let revisions: Vec<u64> = ids
            .iter()
            .map(|id| {
                events
                    .iter()
                    .find(|e| e.event_id == *id)
                    .expect("committed event is stored")
                    .revision
            })
            .collect();
        assert!(
            revisions.windows(2).all(|w| w[0] < w[1]),
            "a task's events are in its order"
        );
    }
    assert_eq!(store.head_position().await.unwrap(), 200);
    assert_chain_intact(&*store, 200).await;
}

/// Sixteen writers append while a reader polls the log.
pub async fn gap_free_positions(store: Store) {
    // Goal: a reader never sees a gap in the global positions while 16 writers append, and all 3200 events end up stored.
    const WRITERS: u64 = 16;
    const APPENDS: u64 = 200;
    let done = Arc::new(AtomicBool::new(false));

    let reader = {
        let store = store.clone();
        let done = done.clone();
        tokio::spawn(async move {
            // Event ids by position as first seen: a position's event must never change.
            let mut seen: Vec<Uuid> = Vec::new();
            let mut reads = 0_u64;
            loop {
                let finished = done.load(Ordering::Acquire);
                // A read from the start is a dense prefix that extends what was seen before.
                let prefix = store.read_all(0, MAX_READ_BATCH).await.unwrap();
                assert_dense_from_one(&prefix);
                assert!(
                    prefix.len() >= seen.len(),
                    "the log shrank from {} to {}",
                    seen.len(),
                    prefix.len()
                );
                for (known, event) in seen.iter().zip(&prefix) {
                    assert_eq!(
                        *known, event.event_id,
                        "the event at position {} changed",
                        event.position
                    );
                }
                seen.extend(prefix[seen.len()..].iter().map(|e| e.event_id));
                // An incremental read continues exactly after the last seen position.
                let after = seen.len() as u64;
                let next = store.read_all(after, 97).await.unwrap();
                for (offset, event) in next.iter().enumerate() {
                    assert_eq!(
                        event.position,
                        after + offset as u64 + 1,
                        "gap after position {after}"
                    );
                }
                seen.extend(next.iter().map(|e| e.event_id));
                assert!(
                    store.head_position().await.unwrap() >= seen.len() as u64,
                    "head behind what was read"
                );
                reads += 1;
                if finished {
                    return (reads, seen);
                }
                tokio::task::yield_now().await;
            }
        })
    };

    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let store = store.clone();
        writers.push(tokio::spawn(async move {
            let stream = format!("gap-{writer}");
            let mut positions = Vec::new();
            for k in 0..APPENDS {
                let new = event(json!({ "writer": writer, "n": k }));
                let (first, last) = committed(
                    store
                        .append(single(&stream, ExpectedRevision::at(k), vec![new]))
                        .await,
                );
                assert_eq!(first, last);
                positions.push(first);
            }
            positions
        }));
    }
    let mut positions = Vec::new();
    for writer in writers {
        let mine = writer.await.unwrap();
        assert!(
            mine.windows(2).all(|w| w[0] < w[1]),
            "a writer's positions grow"
        );
        positions.extend(mine);
    }
    done.store(true, Ordering::Release);
    let (reads, seen) = reader.await.unwrap();
    assert!(reads >= 2, "the reader polled while writers ran");

    let total = WRITERS * APPENDS;
    positions.sort_unstable();
    assert_eq!(
        positions,
        (1..=total).collect::<Vec<_>>(),
        "reported positions are 1..=3200, each once"
    );
    let all = read_everything(&*store).await;
    assert_eq!(all.len() as u64, total);
    assert_dense_from_one(&all);
    assert_eq!(
        seen,
        all.iter().map(|e| e.event_id).collect::<Vec<_>>(),
        "the reader saw the final log"
    );
    for writer in 0..WRITERS {
        let stream = read_whole_stream(&*store, &format!("gap-{writer}"))
            .await
            .unwrap();
        assert_eq!(stream.len() as u64, APPENDS);
        assert_stream_dense(&stream);
    }
    assert_chain_intact(&*store, total).await;
}

/// Retrying an append with the same event ids.
pub async fn idempotent_event_ids(store: Store) {
    // Goal: the same append sent twice is AlreadyCommitted at the first positions and writes nothing new.
    let request = AppendRequest {
        writes: vec![
            write(
                "idem-a",
                ExpectedRevision::NoStream,
                numbered("idem-a", 1, 3),
            ),
            write(
                "idem-b",
                ExpectedRevision::NoStream,
                numbered("idem-b", 1, 1),
            ),
        ],
        idempotency: None,
    };
    assert_eq!(committed(store.append(request.clone()).await), (1, 4));
    let log = read_everything(&*store).await;
    // The retry carries NoStream, which no longer holds: idempotency wins over the revision check.
    assert_eq!(
        store.append(request.clone()).await.unwrap(),
        AppendOutcome::AlreadyCommitted {
            first_position: 1,
            last_position: 4
        }
    );
    assert_eq!(
        store.append(request.clone()).await.unwrap().positions(),
        (1, 4)
    );
    assert_eq!(
        read_everything(&*store).await,
        log,
        "nothing new was written"
    );
    assert_eq!(store.head_position().await.unwrap(), 4);

    // Mixing stored and new ids is a caller bug, refused without writing.
    let mut mixed = vec![request.writes[0].events[0].clone()];
    mixed.extend(numbered("idem-a", 4, 1));
    let result = store
        .append(single("idem-a", ExpectedRevision::Any, mixed.clone()))
        .await;
    assert!(
        matches!(result, Err(StoreError::PartialDuplicate(_))),
        "got {result:?}"
    );
    assert_eq!(store.find_event(mixed[1].event_id).await.unwrap(), None);
    assert_eq!(store.head_position().await.unwrap(), 4);

    // New ids on the same stream are written normally afterwards.
    assert_eq!(
        committed(
            store
                .append(single(
                    "idem-a",
                    ExpectedRevision::Exact(3),
                    numbered("idem-a", 4, 1)
                ))
                .await
        ),
        (5, 5)
    );
}

/// Retrying an append concurrently with the same event ids.
pub async fn concurrent_retry_same_event_ids(store: Store) {
    // Goal: the same append sent by 20 tasks at once (a client retrying while the first try is queued) commits once, and every copy gets its positions.
    const TASKS: usize = 20;
    let request = single("dup", ExpectedRevision::NoStream, numbered("dup", 1, 2));
    // Keep the writer busy so that the copies queue up together behind a large append.
    let busy = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .append(single(
                    "busy",
                    ExpectedRevision::Any,
                    numbered("busy", 1, 1_000),
                ))
                .await
        })
    };
    let barrier = Arc::new(Barrier::new(TASKS));
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let store = store.clone();
        let barrier = barrier.clone();
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            store.append(request).await
        }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap().expect("a retried append succeeds"));
    }
    committed(busy.await.unwrap());
    let fresh = outcomes
        .iter()
        .filter(|o| matches!(o, AppendOutcome::Committed { .. }))
        .count();
    assert_eq!(fresh, 1, "exactly one copy commits: {outcomes:?}");
    let positions = outcomes[0].positions();
    assert!(
        outcomes.iter().all(|o| o.positions() == positions),
        "every copy reports the same positions: {outcomes:?}"
    );
    let stored = store.read_stream("dup", 0, 10).await.unwrap();
    assert_eq!(stored.len(), 2);
    assert_eq!((stored[0].position, stored[1].position), positions);
    assert_eq!(store.head_position().await.unwrap(), 1_002);
}

/// Idempotency keys with matching and mismatching fingerprints.
pub async fn idempotency_keys(store: Store) {
    // Goal: a reused key with the same fingerprint returns the first positions, with another fingerprint it is refused; neither writes.
    let first = AppendRequest {
        writes: vec![write(
            "card-1",
            ExpectedRevision::NoStream,
            numbered("card-1", 1, 2),
        )],
        idempotency: claim("deposit:K1", "f1"),
    };
    assert_eq!(committed(store.append(first).await), (1, 2));
    assert_eq!(
        store.idempotency_claim("deposit:K1").await.unwrap(),
        Some(("f1".to_owned(), 1, 2))
    );
    assert_eq!(store.idempotency_claim("deposit:K9").await.unwrap(), None);

    // Same key, same input, new event ids (the command was decided again) and a stale expectation.
    let again_events = numbered("card-1", 1, 2);
    let again = AppendRequest {
        writes: vec![write(
            "card-1",
            ExpectedRevision::NoStream,
            again_events.clone(),
        )],
        idempotency: claim("deposit:K1", "f1"),
    };
    assert_eq!(
        store.append(again).await.unwrap(),
        AppendOutcome::AlreadyCommitted {
            first_position: 1,
            last_position: 2
        }
    );
    for e in &again_events {
        assert_eq!(
            store.find_event(e.event_id).await.unwrap(),
            None,
            "the retry's events are not stored"
        );
    }
    assert_eq!(store.head_position().await.unwrap(), 2);

    // Same key, other input.
    let other_events = numbered("card-1", 3, 1);
    let other = AppendRequest {
        writes: vec![write(
            "card-1",
            ExpectedRevision::Exact(2),
            other_events.clone(),
        )],
        idempotency: claim("deposit:K1", "f2"),
    };
    match store.append(other).await {
        Err(StoreError::IdempotencyMismatch { key }) => assert_eq!(key, "deposit:K1"),
        other => panic!("expected an idempotency mismatch, got {other:?}"),
    }
    assert_eq!(
        store.find_event(other_events[0].event_id).await.unwrap(),
        None
    );
    assert_eq!(store.head_position().await.unwrap(), 2);
    assert_eq!(
        store.idempotency_claim("deposit:K1").await.unwrap(),
        Some(("f1".to_owned(), 1, 2)),
        "the claim is unchanged"
    );

    // Another key with the same fingerprint is another command.
    let next = AppendRequest {
        writes: vec![write(
            "card-1",
            ExpectedRevision::Exact(2),
            numbered("card-1", 3, 1),
        )],
        idempotency: claim("deposit:K2", "f1"),
    };
    assert_eq!(committed(store.append(next).await), (3, 3));
    assert_eq!(
        store.idempotency_claim("deposit:K2").await.unwrap(),
        Some(("f1".to_owned(), 3, 3))
    );
    // An append without a key leaves no claim behind.
    committed(
        store
            .append(single(
                "card-2",
                ExpectedRevision::NoStream,
                numbered("card-2", 1, 1),
            ))
            .await,
    );
    assert_eq!(store.idempotency_claim("").await.unwrap(), None);
    let stream = store.read_stream("card-1", 0, 10).await.unwrap();
    assert_eq!(stream.len(), 3);
    assert_stream_dense(&stream);
}

/// Twenty tasks send the same command (same key and input, own event ids) at once.
pub async fn concurrent_idempotency_key(store: Store) {
    // Goal: one idempotency key sent concurrently from 20 tasks writes exactly once; the others get AlreadyCommitted with its positions.
    const TASKS: usize = 20;
    for round in 0..2_u64 {
        let key = format!("transfer:T{round}");
        let stream = format!("card-{round}");
        // In the second round a large append in front makes the copies share one group commit.
        let busy = (round == 1).then(|| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .append(single(
                        "busy",
                        ExpectedRevision::Any,
                        numbered("busy", 1, 1_000),
                    ))
                    .await
            })
        });
        let barrier = Arc::new(Barrier::new(TASKS));
        let mut tasks = Vec::new();
        for task in 0..TASKS {
            let store = store.clone();
            let barrier = barrier.clone();
            let (key, stream) = (key.clone(), stream.clone());
            tasks.push(tokio::spawn(async move {
                // `Any`: only the key stands between the copies and a double write.
                let events = vec![
                    event(json!({ "task": task, "n": 1 })),
                    event(json!({ "task": task, "n": 2 })),
                ];
                let ids: Vec<Uuid> = events.iter().map(|e| e.event_id).collect();
                let request = AppendRequest {
                    writes: vec![write(&stream, ExpectedRevision::Any, events)],
                    idempotency: claim(&key, "same-input"),
                };
                barrier.wait().await;
                (
                    ids,
                    store
                        .append(request)
                        .await
                        .expect("same key and input never fails"),
                )
            }));
        }
        let mut winner = None;
        let mut outcomes = Vec::new();
        for task in tasks {
            let (ids, outcome) = task.await.unwrap();
            if matches!(outcome, AppendOutcome::Committed { .. }) {
                assert!(
                    winner.replace(ids).is_none(),
                    "round {round}: a second copy committed"
                );
            }
            outcomes.push(outcome);
        }
        if let Some(busy) = busy {
            committed(busy.await.unwrap());
        }
        let winner = winner.expect("one copy committed");
        let positions = outcomes[0].positions();
        assert_eq!(positions.1 - positions.0, 1);
        assert!(
            outcomes.iter().all(|o| o.positions() == positions),
            "all copies report the same positions: {outcomes:?}"
        );
        let stored = store.read_stream(&stream, 0, 100).await.unwrap();
        assert_eq!(
            stored.iter().map(|e| e.event_id).collect::<Vec<_>>(),
            winner,
            "only the winner's events are stored"
        );
        assert_eq!((stored[0].position, stored[1].position), positions);
        assert_eq!(
            store.idempotency_claim(&key).await.unwrap(),
            Some(("same-input".to_owned(), positions.0, positions.1))
        );
    }
    assert_eq!(store.head_position().await.unwrap(), 1_004);
    assert_chain_intact(&*store, 1_004).await;
}

/// Pages through 5,000 events.
pub async fn batch_reads(store: Store) {
    // Goal: paging read_all by 700 and read_stream by 300 over 5,000 events returns every event once, in order, never more than max.
    let plan: [(&str, u64); 6] = [
        ("big", 1_000),
        ("big", 1_000),
        ("other", 700),
        ("big", 1_000),
        ("other", 1_000),
        ("big", 300),
    ];
    let mut revisions: HashMap<&str, u64> = HashMap::new();
    let mut ids = Vec::new();
    let mut position = 0;
    for (stream, count) in plan {
        let revision = revisions.entry(stream).or_default();
        let events = numbered(stream, *revision + 1, count);
        ids.extend(events.iter().map(|e| e.event_id));
        let outcome = committed(
            store
                .append(single(stream, ExpectedRevision::at(*revision), events))
                .await,
        );
        assert_eq!(outcome, (position + 1, position + count));
        position += count;
        *revision += count;
    }
    let total = 5_000;
    assert_eq!(position, total);

    // The log by pages of 700.
    let mut after = 0;
    let mut pages = 0;
    let mut read_ids = Vec::new();
    loop {
        let page = store.read_all(after, 700).await.unwrap();
        assert_eq!(
            page.len() as u64,
            700.min(total - after),
            "page after {after} is full unless the log ends"
        );
        if page.is_empty() {
            break;
        }
        for (offset, event) in page.iter().enumerate() {
            assert_eq!(event.position, after + offset as u64 + 1);
        }
        after = page.last().unwrap().position;
        read_ids.extend(page.iter().map(|e| e.event_id));
        pages += 1;
    }
    assert_eq!(pages, 8);
    assert_eq!(read_ids, ids, "the log reads back in append order");

    // Each stream by pages of 300.
    for (stream, length) in [("big", 3_300_u64), ("other", 1_700)] {
        let mut after = 0;
        let mut count = 0;
        loop {
            let page = store.read_stream(stream, after, 300).await.unwrap();
            assert_eq!(
                page.len() as u64,
                300.min(length - after),
                "{stream} page after {after}"
            );
            if page.is_empty() {
                break;
            }
            for (offset, event) in page.iter().enumerate() {
                assert_eq!(event.stream_id, stream);
                assert_eq!(event.revision, after + offset as u64 + 1);
                assert_eq!(
                    payload_n(event),
                    event.revision,
                    "{stream} events in append order"
                );
            }
            assert!(page.windows(2).all(|w| w[0].position < w[1].position));
            after = page.last().unwrap().revision;
            count += page.len() as u64;
        }
        assert_eq!(count, length);
        assert_eq!(
            read_whole_stream(&*store, stream).await.unwrap().len() as u64,
            length
        );
    }

    // Odd limits.
    assert!(store.read_all(0, 0).await.unwrap().is_empty());
    assert!(store.read_stream("big", 0, 0).await.unwrap().is_empty());
    assert_eq!(store.read_all(4_990, 700).await.unwrap().len(), 10);
    assert_eq!(store.read_all(0, 1).await.unwrap().len(), 1);
    assert_eq!(
        store.read_all(0, usize::MAX).await.unwrap().len() as u64,
        total
    );
    assert_chain_intact(&*store, total).await;
}

/// Reads are capped at MAX_READ_BATCH, and large appends group-commit correctly.
pub async fn read_batch_cap(store: Store) {
    // Goal: read_all and read_stream never return more than MAX_READ_BATCH events, whatever max asks, and concurrent 1,000-event appends get disjoint dense ranges.
    let appends = MAX_READ_BATCH / MAX_EVENTS_PER_APPEND + 2;
    let total = (appends * MAX_EVENTS_PER_APPEND) as u64;
    let mut tasks = Vec::new();
    for task in 0..appends {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let events: Vec<NewEvent> = (0..MAX_EVENTS_PER_APPEND)
                .map(|n| event(json!({ "task": task, "n": n })))
                .collect();
            let ids: Vec<Uuid> = events.iter().map(|e| e.event_id).collect();
            (
                ids,
                committed(
                    store
                        .append(single("cap", ExpectedRevision::Any, events))
                        .await,
                ),
            )
        }));
    }
    let mut ranges = Vec::new();
    for task in tasks {
        ranges.push(task.await.unwrap());
    }
    ranges.sort_by_key(|(_, range)| *range);
    let mut next = 1;
    for (_, (first, last)) in &ranges {
        assert_eq!(
            (*first, *last),
            (next, next + MAX_EVENTS_PER_APPEND as u64 - 1),
            "ranges are disjoint and dense"
        );
        next = last + 1;
    }
    assert_eq!(next, total + 1);

    let all = read_everything(&*store).await;
    assert_eq!(all.len() as u64, total);
    assert_dense_from_one(&all);
    for (ids, (first, _)) in &ranges {
        let stored: Vec<Uuid> = all[(*first - 1) as usize..][..ids.len()]
            .iter()
            .map(|e| e.event_id)
            .collect();
        assert_eq!(
            &stored, ids,
            "an append's events sit at its reported positions, in order"
        );
    }

    for max in [usize::MAX, MAX_READ_BATCH + 1, MAX_READ_BATCH * 2] {
        let page = store.read_all(0, max).await.unwrap();
        assert_eq!(page.len(), MAX_READ_BATCH, "read_all(0, {max})");
        assert_dense_from_one(&page);
        let page = store.read_stream("cap", 0, max).await.unwrap();
        assert_eq!(page.len(), MAX_READ_BATCH, "read_stream(0, {max})");
        assert_stream_dense(&page);
    }
    assert_eq!(
        store
            .read_all(MAX_READ_BATCH as u64, usize::MAX)
            .await
            .unwrap()
            .len() as u64,
        total - MAX_READ_BATCH as u64
    );
    assert_eq!(
        store.read_all(0, MAX_READ_BATCH).await.unwrap().len(),
        MAX_READ_BATCH
    );
    assert_chain_intact(&*store, total).await;
}

/// The hash chain over a log written by many kinds of appends.
pub async fn hash_chain(store: Store) {
    // Goal: ChainVerifier finds the stored chain intact from the genesis hash, and the verifier does flag an edited, removed or swapped event.
    use ExpectedRevision::{Any, NoStream};
    committed(
        store
            .append(single("h-1", NoStream, numbered("h-1", 1, 5)))
            .await,
    );
    let mut unusual = event(json!({ "note": "重复 ✓ \u{0} \"quoted\"", "amount": "12.50" }));
    unusual.metadata = json!({ "actor": "cashier-7", "correlation": Uuid::now_v7() }).to_string();
    unusual.schema_version = 3;
    unusual.event_type = "OtherEvent".to_owned();
    committed(
        store
            .append(single("h-2", NoStream, vec![unusual.clone()]))
            .await,
    );
    for round in 0..10 {
        let request = AppendRequest {
            writes: vec![
                write("h-1", Any, numbered("h-1", 100 + round, 2)),
                write("h-3", Any, numbered("h-3", round, 1)),
            ],
            idempotency: None,
        };
        committed(store.append(request).await);
    }
    let count = 5 + 1 + 10 * 3;
    assert_chain_intact(&*store, count).await;

    let log = read_everything(&*store).await;
    assert_eq!(
        log[0].hash,
        hex_of(&event_hash(&GENESIS, &log[0])),
        "the chain starts at the genesis hash"
    );
    let stored = store
        .find_event(unusual.event_id)
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(
        (stored.payload.as_str(), stored.metadata.as_str()),
        (unusual.payload.as_str(), unusual.metadata.as_str())
    );
    assert_eq!(
        (stored.schema_version, stored.event_type.as_str()),
        (3, "OtherEvent")
    );

    let check = |events: &[RecordedEvent]| {
        let mut verifier = ChainVerifier::default();
        events.iter().for_each(|e| verifier.push(e));
        verifier.finish().first_broken_position
    };
    let mut edited = log.clone();
    edited[9].payload = json!({ "n": 999 }).to_string();
    assert_eq!(check(&edited), Some(10));
    let mut removed = log.clone();
    removed.remove(9);
    assert_eq!(check(&removed), Some(10));
    let mut swapped = log.clone();
    swapped.swap(3, 4);
    assert_eq!(check(&swapped), Some(4));
    let mut renumbered = log;
    renumbered[20].revision += 1;
    assert_eq!(check(&renumbered), Some(21));
}

fn hex_of(bytes: &[u8; 32]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Live readers are woken by commits.
pub async fn live_wake_up(store: Store) {
    // Goal: subscribe() receivers are woken after an append and carry the new head position.
    let mut receiver = store.subscribe();
    assert_eq!(*receiver.borrow_and_update(), 0);

    let (ready, is_ready) = tokio::sync::oneshot::channel();
    let waiter = {
        let mut receiver = store.subscribe();
        tokio::spawn(async move {
            receiver.borrow_and_update();
            ready.send(()).unwrap();
            tokio::time::timeout(WAIT, receiver.changed())
                .await
                .expect("the waiter is woken")
                .unwrap();
            *receiver.borrow()
        })
    };
    is_ready.await.unwrap();
    assert_eq!(
        committed(
            store
                .append(single(
                    "live",
                    ExpectedRevision::NoStream,
                    numbered("live", 1, 3)
                ))
                .await
        ),
        (1, 3)
    );
    tokio::time::timeout(WAIT, receiver.changed())
        .await
        .expect("woken after the append")
        .expect("store alive");
    assert_eq!(*receiver.borrow_and_update(), 3);
    assert_eq!(waiter.await.unwrap(), 3);

    assert_eq!(
        committed(
            store
                .append(single(
                    "live",
                    ExpectedRevision::Exact(3),
                    numbered("live", 4, 2)
                ))
                .await
        ),
        (4, 5)
    );
    let head = tokio::time::timeout(WAIT, receiver.wait_for(|p| *p >= 5))
        .await
        .expect("woken again")
        .expect("store alive");
    assert_eq!(*head, 5);
    drop(head);
    assert_eq!(
        *store.subscribe().borrow(),
        5,
        "a new subscriber starts at the head"
    );
    assert_eq!(store.head_position().await.unwrap(), 5);
}

/// Refused shapes of append.
pub async fn invalid_appends(store: Store) {
    // Goal: an append without events or with more than MAX_EVENTS_PER_APPEND events is Invalid and writes nothing.
    let assert_invalid = |result: Result<AppendOutcome, StoreError>| {
        assert!(
            matches!(result, Err(StoreError::Invalid(_))),
            "expected Invalid, got {result:?}"
        );
    };
    assert_invalid(store.append(AppendRequest::default()).await);
    assert_invalid(
        store
            .append(AppendRequest {
                writes: vec![guard("g", ExpectedRevision::Any)],
                idempotency: claim("k", "f"),
            })
            .await,
    );
    let too_many = MAX_EVENTS_PER_APPEND as u64 + 1;
    assert_invalid(
        store
            .append(single(
                "big",
                ExpectedRevision::Any,
                numbered("big", 1, too_many),
            ))
            .await,
    );
    let split = AppendRequest {
        writes: vec![
            write("big", ExpectedRevision::Any, numbered("big", 1, 600)),
            write(
                "big-2",
                ExpectedRevision::Any,
                numbered("big-2", 1, too_many - 600),
            ),
        ],
        idempotency: None,
    };
    assert_invalid(store.append(split).await);
    assert_eq!(store.head_position().await.unwrap(), 0);
    assert!(store.read_all(0, 10).await.unwrap().is_empty());

    // The limits themselves are allowed.
    let max = MAX_EVENTS_PER_APPEND as u64;
    assert_eq!(
        committed(
            store
                .append(single(
                    "big",
                    ExpectedRevision::NoStream,
                    numbered("big", 1, max)
                ))
                .await
        ),
        (1, max)
    );
    let split = AppendRequest {
        writes: vec![
            write(
                "big",
                ExpectedRevision::Exact(max),
                numbered("big", max + 1, 500),
            ),
            write(
                "big-2",
                ExpectedRevision::NoStream,
                numbered("big-2", 1, max - 500),
            ),
        ],
        idempotency: None,
    };
    assert_eq!(committed(store.append(split).await), (max + 1, 2 * max));
    assert_eq!(
        committed(
            store
                .append(single(
                    "one",
                    ExpectedRevision::NoStream,
                    numbered("one", 1, 1)
                ))
                .await
        ),
        (2 * max + 1, 2 * max + 1)
    );
}

/// Malformed appends sent together with good ones.
pub async fn malformed_append_is_refused_alone(store: Store) {
    // Goal: an append that repeats an event id or carries schema version 0 is refused by itself, and the appends group-committed with it still commit.
    const GOOD: usize = 10;
    for round in 0..2_u64 {
        let bad_event = {
            let mut bad = event(json!({ "bad": round }));
            if round == 1 {
                bad.schema_version = 0;
            }
            bad
        };
        let bad_events = if round == 0 {
            vec![bad_event.clone(), bad_event.clone()]
        } else {
            vec![bad_event.clone()]
        };
        // A large append in front makes the others queue up behind it and share one group commit.
        let busy = {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .append(single(
                        "busy",
                        ExpectedRevision::Any,
                        numbered("busy", 1, 1_000),
                    ))
                    .await
            })
        };
        let barrier = Arc::new(Barrier::new(GOOD + 1));
        let mut good = Vec::new();
        for task in 0..GOOD {
            let store = store.clone();
            let barrier = barrier.clone();
            good.push(tokio::spawn(async move {
                let stream = format!("good-{round}-{task}");
                barrier.wait().await;
                store
                    .append(single(
                        &stream,
                        ExpectedRevision::NoStream,
                        numbered(&stream, 1, 1),
                    ))
                    .await
            }));
        }
        let bad = {
            let store = store.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                store
                    .append(single("bad", ExpectedRevision::Any, bad_events))
                    .await
            })
        };
        let bad = bad.await.unwrap();
        committed(busy.await.unwrap());
        for task in good {
            let result = task.await.unwrap();
            assert!(
                matches!(result, Ok(AppendOutcome::Committed { .. })),
                "round {round}: a good append failed: {result:?}"
            );
        }
        if round == 0 {
            assert!(
                matches!(
                    bad,
                    Err(StoreError::Invalid(_) | StoreError::PartialDuplicate(_))
                ),
                "an event id twice in one append: {bad:?}"
            );
        } else {
            assert!(
                matches!(bad, Err(StoreError::Invalid(_))),
                "schema version 0: {bad:?}"
            );
        }
        assert_eq!(store.find_event(bad_event.event_id).await.unwrap(), None);
    }
    assert!(store.read_stream("bad", 0, 10).await.unwrap().is_empty());
    let total = 2 * (1_000 + GOOD as u64);
    assert_eq!(store.head_position().await.unwrap(), total);
    assert_chain_intact(&*store, total).await;
}

/// `import` copies a log verbatim (for as-of replays and moves between backends), and refuses
/// anything that does not continue the target's tail and hash chain, writing nothing.
pub async fn import_copies_a_log(source: Store, target: Store) {
    // Goal: a prefix and then the rest of a log import verbatim (same positions, ids, times, hashes); a gap, an edit or a replay of the same prefix is refused and writes nothing; appends continue the imported chain.
    use ExpectedRevision::Any;
    for round in 0..30 {
        committed(
            source
                .append(single(
                    &format!("i-{}", round % 4),
                    Any,
                    numbered("i", round, 3),
                ))
                .await,
        );
    }
    let log = read_everything(&*source).await;
    assert_eq!(log.len(), 90);
    target
        .import(log[..40].to_vec())
        .await
        .expect("a prefix imports");
    assert_eq!(target.head_position().await.unwrap(), 40);
    // The same prefix again does not continue the tail.
    assert!(target.import(log[..10].to_vec()).await.is_err());
    // A gap (41 skipped) is refused.
    assert!(target.import(log[41..50].to_vec()).await.is_err());
    // An edited payload breaks the chain: refused, and nothing of the batch is written.
    let mut edited = log[40..60].to_vec();
    edited[5].payload = json!({ "n": -1 }).to_string();
    assert!(target.import(edited).await.is_err());
    assert_eq!(target.head_position().await.unwrap(), 40);
    target
        .import(log[40..].to_vec())
        .await
        .expect("the rest imports");
    let copy = read_everything(&*target).await;
    assert_eq!(copy, log, "the copy is the log, field for field");
    assert_chain_intact(&*target, 90).await;
    // The copy is a working log: a new append continues its chain and its streams.
    let (first, _) = committed(
        target
            .append(single(
                "i-1",
                ExpectedRevision::at(24),
                numbered("i", 99, 1),
            ))
            .await,
    );
    assert_eq!(first, 91);
    assert_chain_intact(&*target, 91).await;
}

/// A store closed and opened again on the same storage keeps its log: the head, the streams'
/// revisions, idempotency claims and the chain; appends continue them. `reopen` opens a new
/// handle on the storage `first` used.
pub async fn reopen<F, Fut>(first: Store, reopen: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Store>,
{
    // Goal: after close and reopen the head, stream revisions, idempotency claims and the chain are intact, the wake-up signal starts at the head, and appends continue at the next position and revision.
    use ExpectedRevision::NoStream;
    committed(
        first
            .append(single("o-1", NoStream, numbered("o-1", 1, 6)))
            .await,
    );
    let mut claimed = single("o-2", NoStream, numbered("o-2", 1, 1));
    claimed.idempotency = claim("reopen-key", "fp-1");
    committed(first.append(claimed).await);
    first.close().await;
    assert!(matches!(
        first
            .append(single("o-3", NoStream, numbered("o-3", 1, 1)))
            .await,
        Err(StoreError::Closed)
    ));

    let store = reopen().await;
    assert_eq!(store.head_position().await.unwrap(), 7);
    assert_eq!(*store.subscribe().borrow(), 7);
    assert_eq!(
        store.idempotency_claim("reopen-key").await.unwrap(),
        Some(("fp-1".to_owned(), 7, 7))
    );
    assert!(matches!(
        store
            .append(single(
                "o-1",
                ExpectedRevision::at(5),
                numbered("o-1", 7, 1)
            ))
            .await,
        Err(StoreError::Conflict { actual: 6, .. })
    ));
    let (first_position, _) = committed(
        store
            .append(single(
                "o-1",
                ExpectedRevision::at(6),
                numbered("o-1", 7, 1),
            ))
            .await,
    );
    assert_eq!(first_position, 8);
    assert_chain_intact(&*store, 8).await;
    store.close().await;
}

/// A backend that keeps snapshots (SQLite, PostgreSQL) keeps the newest one of each stream and
/// gives it back as written; an older one written later does not replace it; snapshots are
/// not events (the log is unchanged by them). (KurrentDB keeps none: not checked there.)
#[allow(dead_code)]
pub async fn snapshots(store: Store) {
    use yika_store::Snapshot;
    fill(store.as_ref(), 5).await;
    let head = store.head_position().await.expect("head");
    let snapshot = |revision: u64, state: &str| Snapshot {
        stream_id: "account-1".to_owned(),
        kind: "account/1".to_owned(),
        revision,
        hash: format!("{revision:064x}"),
        state: state.to_owned(),
    };
    assert_eq!(store.read_snapshot("account-1").await.expect("read"), None);
    store
        .write_snapshot(snapshot(2, "{\"balance\":\"2.00\"}"))
        .await
        .expect("kept");
    assert_eq!(
        store.read_snapshot("account-1").await.expect("read"),
        Some(snapshot(2, "{\"balance\":\"2.00\"}"))
    );
    store
        .write_snapshot(snapshot(4, "{\"balance\":\"4.00\"}"))
        .await
        .expect("kept");
    store
        .write_snapshot(snapshot(3, "{\"balance\":\"3.00\"}"))
        .await
        .expect("an older one is not an error");
    assert_eq!(
        store.read_snapshot("account-1").await.expect("read"),
        Some(snapshot(4, "{\"balance\":\"4.00\"}")),
        "the newest snapshot stays"
    );
    assert_eq!(store.read_snapshot("account-2").await.expect("read"), None);
    let mut other = snapshot(1, "{}");
    other.stream_id = "account-0".to_owned();
    store.write_snapshot(other.clone()).await.expect("kept");
    assert_eq!(
        store.snapshots("", 10).await.expect("listed"),
        vec![other, snapshot(4, "{\"balance\":\"4.00\"}")],
        "listed in stream order"
    );
    assert_eq!(
        store.snapshots("account-0", 1).await.expect("listed").len(),
        1
    );
    assert!(
        store
            .snapshots("account-1", 10)
            .await
            .expect("listed")
            .is_empty()
    );
    assert_eq!(store.head_position().await.expect("head"), head);
    assert_chain_intact(store.as_ref(), head).await;
}
