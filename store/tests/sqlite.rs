//! The SQLite backend: every conformance check on a real file, then what only SQLite has
//! (closing and reopening the file, tampering with it, two stores on one file).

mod conformance;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use conformance::*;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};
use tempfile::TempDir;
use yika_store::{
    AppendOutcome, AppendRequest, EventStore, ExpectedRevision, SqliteEventStore, StoreError,
};

/// A fresh store file in its own temporary directory (dropped last).
async fn fresh() -> (TempDir, PathBuf, Arc<SqliteEventStore>) {
    let dir = TempDir::new().expect("temporary directory");
    let path = dir.path().join("events.db");
    let store = SqliteEventStore::open(&path)
        .await
        .expect("open a fresh store");
    (dir, path, Arc::new(store))
}

/// Runs one conformance check on a fresh SQLite store, then closes it.
async fn run<F, Fut>(check: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    let (_dir, _path, store) = fresh().await;
    check(store.clone()).await;
    store.close().await;
}

/// A plain connection to the file, outside the store, by someone set on changing the log: the
/// append-only triggers are dropped first.
async fn raw(path: &Path) -> SqliteConnection {
    let mut conn = guarded(path).await;
    sqlx::raw_sql(
        "DROP TRIGGER events_append_only_update; DROP TRIGGER events_append_only_delete;",
    )
    .execute(&mut conn)
    .await
    .expect("the triggers are dropped");
    conn
}

/// A plain connection to the file, outside the store, with the log's triggers in place.
async fn guarded(path: &Path) -> SqliteConnection {
    SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(path))
        .await
        .expect("raw connection")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_refuses_updates_and_deletes() {
    // Goal: an UPDATE or DELETE of an event in the file, by mistake or by hand, is refused by the
    // append-only triggers and changes nothing; appends go on.
    let (_dir, path, store) = fresh().await;
    fill(&*store, 5).await;
    let mut conn = guarded(&path).await;
    for statement in [
        "UPDATE events SET payload = '{}' WHERE position = 2",
        "DELETE FROM events WHERE position = 5",
        "DELETE FROM events",
    ] {
        let error = sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(&mut conn)
            .await
            .expect_err(statement);
        assert!(error.to_string().contains("append-only"), "{error}");
    }
    conn.close().await.unwrap();
    assert_chain_intact(&*store, 5).await;
    fill(&*store, 2).await;
    assert_chain_intact(&*store, 7).await;
    store.close().await;
}

// ----- conformance -----

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                // Goal: the conformance check of the same name holds on a SQLite file.
                run(conformance::$name).await;
            }
        )*
    };
}

crate::every_check!(conformance);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_snapshots() {
    // Goal: snapshots are kept newest first beside the log, and are not events.
    run(conformance::snapshots).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_import_copies_a_log() {
    // Goal: import copies a log verbatim and refuses gaps, edits and repeats, writing nothing.
    let (_source_dir, _, source) = fresh().await;
    let (_target_dir, _, target) = fresh().await;
    import_copies_a_log(source.clone(), target.clone()).await;
    source.close().await;
    target.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_reopen() {
    // Goal: a closed store reopened on the same file keeps head, revisions, claims and chain.
    let (_dir, path, store) = fresh().await;
    conformance::reopen(store, || async move {
        let reopened: Store = Arc::new(SqliteEventStore::open(&path).await.expect("reopens"));
        reopened
    })
    .await;
}

// ----- SQLite only -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edited_payload_breaks_the_chain_at_its_position() {
    // Goal: editing one event's payload in the file is detected by the chain verifier at exactly that position.
    const K: u64 = 7;
    let (_dir, path, store) = fresh().await;
    fill(&*store, 20).await;
    assert_chain_intact(&*store, 20).await;
    store.close().await;

    let mut conn = raw(&path).await;
    let changed = sqlx::query("UPDATE events SET payload = ? WHERE position = ?")
        .bind(r#"{"stream":"fill-0","n":6,"tampered":true}"#)
        .bind(K as i64)
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(changed.rows_affected(), 1);
    conn.close().await.unwrap();

    let store = SqliteEventStore::open(&path).await.unwrap();
    let check = verify_chain(&store).await;
    assert_eq!(check.first_broken_position, Some(K));
    assert_eq!(check.events_checked, 20);
    assert!(
        store.read_all(K - 1, 1).await.unwrap()[0]
            .payload
            .contains("tampered")
    );
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_row_breaks_the_chain_at_its_position() {
    // Goal: deleting one event row from the file is located by the chain verifier at the missing position.
    const K: u64 = 12;
    let (_dir, path, store) = fresh().await;
    fill(&*store, 20).await;
    assert_chain_intact(&*store, 20).await;
    store.close().await;

    let mut conn = raw(&path).await;
    let deleted = sqlx::query("DELETE FROM events WHERE position = ?")
        .bind(K as i64)
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(deleted.rows_affected(), 1);
    conn.close().await.unwrap();

    let store = SqliteEventStore::open(&path).await.unwrap();
    let check = verify_chain(&store).await;
    assert_eq!(check.first_broken_position, Some(K));
    assert_eq!(check.events_checked, 19);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edited_hash_or_stream_breaks_the_chain() {
    // Goal: rewriting a stored hash, or moving an event to another stream, is also caught at that position.
    let (_dir, path, store) = fresh().await;
    fill(&*store, 10).await;
    store.close().await;

    let mut conn = raw(&path).await;
    sqlx::query("UPDATE events SET hash = ? WHERE position = 4")
        .bind("0".repeat(64))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let store = SqliteEventStore::open(&path).await.unwrap();
    assert_eq!(verify_chain(&store).await.first_broken_position, Some(4));
    store.close().await;

    let (_dir, path, store) = fresh().await;
    fill(&*store, 10).await;
    store.close().await;
    let mut conn = raw(&path).await;
    sqlx::query("UPDATE events SET stream_id = 'elsewhere' WHERE position = 9")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let store = SqliteEventStore::open(&path).await.unwrap();
    assert_eq!(verify_chain(&store).await.first_broken_position, Some(9));
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reopen_keeps_everything_and_continues_the_chain() {
    // Goal: after close and reopen the log, streams, idempotency and chain are intact, and appends continue at the next position.
    let (_dir, path, store) = fresh().await;
    let keyed = AppendRequest {
        writes: vec![write(
            "card",
            ExpectedRevision::NoStream,
            numbered("card", 1, 2),
        )],
        idempotency: claim("deposit:R1", "fp"),
    };
    assert_eq!(committed(store.append(keyed.clone()).await), (1, 2));
    fill(&*store, 10).await;
    let before = read_everything(&*store).await;
    assert_eq!(before.len(), 12);
    store.close().await;

    // Closed: appends are refused, and a second close is harmless.
    let after_close = store
        .append(single(
            "card",
            ExpectedRevision::Any,
            numbered("card", 3, 1),
        ))
        .await;
    assert!(
        matches!(after_close, Err(StoreError::Closed)),
        "got {after_close:?}"
    );
    store.close().await;
    drop(store);

    let store = SqliteEventStore::open(&path).await.unwrap();
    assert_eq!(
        read_everything(&store).await,
        before,
        "the log is unchanged"
    );
    assert_eq!(store.head_position().await.unwrap(), 12);
    assert_eq!(
        *store.subscribe().borrow(),
        12,
        "the wake-up signal starts at the stored head"
    );
    assert_chain_intact(&store, 12).await;
    for event in &before {
        assert_eq!(
            store.find_event(event.event_id).await.unwrap().as_ref(),
            Some(event)
        );
    }

    // Idempotency survives the restart, by event ids and by key.
    assert_eq!(
        store.append(keyed.clone()).await.unwrap(),
        AppendOutcome::AlreadyCommitted {
            first_position: 1,
            last_position: 2
        }
    );
    let retried_key = AppendRequest {
        writes: vec![write(
            "card",
            ExpectedRevision::NoStream,
            numbered("card", 1, 2),
        )],
        idempotency: claim("deposit:R1", "fp"),
    };
    assert_eq!(store.append(retried_key).await.unwrap().positions(), (1, 2));
    assert_eq!(
        store.idempotency_claim("deposit:R1").await.unwrap(),
        Some(("fp".to_owned(), 1, 2))
    );
    // Revisions survive the restart (no stale cache from the previous writer).
    assert_conflict(
        store
            .append(single(
                "card",
                ExpectedRevision::NoStream,
                numbered("card", 3, 1),
            ))
            .await,
        "card",
        ExpectedRevision::NoStream,
        2,
    );

    // New appends continue the positions, the revisions and the chain.
    let mut receiver = store.subscribe();
    assert_eq!(
        committed(
            store
                .append(single(
                    "card",
                    ExpectedRevision::Exact(2),
                    numbered("card", 3, 2)
                ))
                .await
        ),
        (13, 14)
    );
    tokio::time::timeout(WAIT, receiver.changed())
        .await
        .expect("woken")
        .unwrap();
    assert_eq!(*receiver.borrow(), 14);
    fill(&store, 5).await;
    let card = store.read_stream("card", 0, 10).await.unwrap();
    assert_eq!(
        card.iter()
            .map(|e| (e.revision, e.position))
            .collect::<Vec<_>>(),
        [(1, 1), (2, 2), (3, 13), (4, 14)]
    );
    let all = read_everything(&store).await;
    assert_eq!(all.len(), 19);
    assert_dense_from_one(&all);
    assert_eq!(all[..12], before[..], "old events untouched");
    assert_chain_intact(&store, 19).await;
    store.close().await;

    // A third opening still verifies.
    let store = SqliteEventStore::open(&path).await.unwrap();
    assert_chain_intact(&store, 19).await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_answers_every_queued_append() {
    // Goal: appends racing with close() either commit (and survive a reopen) or fail with Closed; none hangs or half-writes.
    let (_dir, path, store) = fresh().await;
    let before = numbered("before", 1, 2);
    let mut committed_ids: Vec<_> = before.iter().map(|e| e.event_id).collect();
    assert_eq!(
        committed(
            store
                .append(single("before", ExpectedRevision::NoStream, before))
                .await
        ),
        (1, 2)
    );
    let mut tasks = Vec::new();
    for task in 0..40 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let events = numbered(&format!("race-{task}"), 1, 3);
            let ids: Vec<_> = events.iter().map(|e| e.event_id).collect();
            (
                ids,
                store
                    .append(single(
                        &format!("race-{task}"),
                        ExpectedRevision::NoStream,
                        events,
                    ))
                    .await,
            )
        }));
    }
    tokio::task::yield_now().await;
    store.close().await;
    for task in tasks {
        let (ids, result) = tokio::time::timeout(WAIT, task)
            .await
            .expect("answered")
            .unwrap();
        match result {
            Ok(AppendOutcome::Committed {
                first_position,
                last_position,
                ..
            }) => {
                assert_eq!(last_position - first_position, 2);
                committed_ids.extend(ids);
            }
            Err(StoreError::Closed) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    drop(store);

    let store = SqliteEventStore::open(&path).await.unwrap();
    let all = read_everything(&store).await;
    assert_dense_from_one(&all);
    let mut stored: Vec<_> = all.iter().map(|e| e.event_id).collect();
    stored.sort_unstable();
    committed_ids.sort_unstable();
    assert_eq!(
        stored, committed_ids,
        "exactly the acknowledged appends are stored"
    );
    assert_chain_intact(&store, all.len() as u64).await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_on_one_file() {
    // Goal: two store instances on one file (a CLI beside the server) keep positions dense, revisions checked and the chain intact.
    let (_dir, path, first) = fresh().await;
    let second = Arc::new(SqliteEventStore::open(&path).await.unwrap());

    // Strict alternation on one shared stream: each writer must see the other's last write.
    for n in 0..10_u64 {
        let store: &SqliteEventStore = if n % 2 == 0 { &first } else { &second };
        let outcome = store
            .append(single(
                "shared",
                ExpectedRevision::at(n),
                numbered("shared", n + 1, 1),
            ))
            .await;
        assert_eq!(committed(outcome), (n + 1, n + 1));
    }
    // A stale expectation is caught although this instance's own last write left the stream at 9.
    assert_conflict(
        first
            .append(single(
                "shared",
                ExpectedRevision::Exact(9),
                numbered("shared", 11, 1),
            ))
            .await,
        "shared",
        ExpectedRevision::Exact(9),
        10,
    );
    committed(
        first
            .append(single("x", ExpectedRevision::NoStream, numbered("x", 1, 1)))
            .await,
    );
    committed(
        second
            .append(single("x", ExpectedRevision::Exact(1), numbered("x", 2, 1)))
            .await,
    );
    assert_conflict(
        first
            .append(single("x", ExpectedRevision::Exact(1), numbered("x", 3, 1)))
            .await,
        "x",
        ExpectedRevision::Exact(1),
        2,
    );

    // Idempotency keys are shared through the file.
    let keyed = AppendRequest {
        writes: vec![write(
            "staff",
            ExpectedRevision::Any,
            numbered("staff", 1, 1),
        )],
        idempotency: claim("staff-add:alice", "fp"),
    };
    let (position, _) = committed(first.append(keyed.clone()).await);
    assert_eq!(
        second.append(keyed).await.unwrap(),
        AppendOutcome::AlreadyCommitted {
            first_position: position,
            last_position: position
        }
    );
    assert_eq!(
        second.head_position().await.unwrap(),
        position,
        "each sees the other's commits by polling"
    );

    // Concurrent writers on both instances, on own streams and on one contended stream.
    let mut tasks = Vec::new();
    for task in 0..8_u64 {
        let store: Arc<dyn EventStore> = if task % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        tasks.push(tokio::spawn(async move {
            let own = format!("own-{task}");
            for n in 0..25 {
                committed(
                    store
                        .append(single(
                            &own,
                            ExpectedRevision::at(2 * n),
                            numbered(&own, 2 * n + 1, 2),
                        ))
                        .await,
                );
                let mut n_retries = 0;
                loop {
                    let revision = store.read_stream("both", 0, 10_000).await.unwrap().len() as u64;
                    match store
                        .append(single(
                            "both",
                            ExpectedRevision::at(revision),
                            numbered("both", task * 100 + n, 1),
                        ))
                        .await
                    {
                        Ok(AppendOutcome::Committed { .. }) => break,
                        Err(StoreError::Conflict { .. }) => n_retries += 1,
                        other => panic!("unexpected {other:?}"),
                    }
                    assert!(n_retries < 10_000, "livelock");
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }

    let expected_total = 10 + 2 + 1 + 8 * 25 * 2 + 8 * 25;
    for store in [&first, &second] {
        let all = read_everything(&**store).await;
        assert_eq!(all.len() as u64, expected_total);
        assert_dense_from_one(&all);
        assert_chain_intact(&**store, expected_total).await;
        let both = store.read_stream("both", 0, 1_000).await.unwrap();
        assert_eq!(both.len(), 200);
        assert_stream_dense(&both);
        for task in 0..8 {
            let own = store
                .read_stream(&format!("own-{task}"), 0, 1_000)
                .await
                .unwrap();
            assert_eq!(own.len(), 50);
            assert_stream_dense(&own);
        }
    }
    first.close().await;
    second.close().await;

    let reopened = SqliteEventStore::open(&path).await.unwrap();
    assert_chain_intact(&reopened, expected_total).await;
    reopened.close().await;
}

/// Sends `requests` in order so that the writer takes them all in one group commit, and
/// returns their answers in order. A plain connection holds the file's write lock while a first
/// append takes the writer into its transaction (where it waits for the lock) and the requests
/// queue up behind it; then the lock is released.
async fn in_one_group_commit(
    path: &Path,
    store: &Arc<SqliteEventStore>,
    requests: Vec<AppendRequest>,
) -> Vec<Result<AppendOutcome, StoreError>> {
    let mut lock = raw(path).await;
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut lock)
        .await
        .unwrap();
    let blocker = {
        let store = store.clone();
        let request = single("blocker", ExpectedRevision::Any, numbered("blocker", 0, 1));
        tokio::spawn(async move { store.append(request).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut answers = Vec::new();
    for request in requests {
        let store = store.clone();
        let mut append = Box::pin(async move { store.append(request).await });
        // One poll queues the request (or refuses it at once); the rest runs in its own task.
        tokio::task::yield_now().await;
        let ready = tokio::select! {
            biased;
            answer = &mut append => Some(answer),
            () = std::future::ready(()) => None,
        };
        answers.push(match ready {
            Some(answer) => tokio::spawn(std::future::ready(answer)),
            None => tokio::spawn(append),
        });
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        !blocker.is_finished(),
        "the writer waits for the write lock"
    );
    sqlx::query("ROLLBACK").execute(&mut lock).await.unwrap();
    lock.close().await.unwrap();
    committed(blocker.await.unwrap());
    let mut results = Vec::new();
    for answer in answers {
        results.push(answer.await.unwrap());
    }
    results
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_commit_same_idempotency_key() {
    // Goal: copies of one command (same key, own event ids) in one group commit write once; another input under the key is refused.
    let (_dir, path, store) = fresh().await;
    let mut requests: Vec<AppendRequest> = (0..20)
        .map(|n| AppendRequest {
            writes: vec![write("card", ExpectedRevision::Any, numbered("card", n, 2))],
            idempotency: claim("deposit:G1", "same"),
        })
        .collect();
    requests.push(AppendRequest {
        writes: vec![write(
            "card",
            ExpectedRevision::Any,
            numbered("card", 99, 1),
        )],
        idempotency: claim("deposit:G1", "other"),
    });
    let mut answers = in_one_group_commit(&path, &store, requests).await;
    let mismatch = answers.pop().unwrap();
    assert!(
        matches!(mismatch, Err(StoreError::IdempotencyMismatch { .. })),
        "got {mismatch:?}"
    );
    assert_eq!(answers[0].as_ref().unwrap().positions(), (2, 3));
    assert!(matches!(
        answers[0].as_ref().unwrap(),
        AppendOutcome::Committed { .. }
    ));
    for answer in &answers[1..] {
        assert_eq!(
            answer.as_ref().unwrap(),
            &AppendOutcome::AlreadyCommitted {
                first_position: 2,
                last_position: 3
            }
        );
    }
    assert_eq!(
        store.read_stream("card", 0, 100).await.unwrap().len(),
        2,
        "written once"
    );
    assert_eq!(store.head_position().await.unwrap(), 3);
    assert_chain_intact(&*store, 3).await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_commit_same_event_ids() {
    // Goal: copies of one append (same event ids) in one group commit write once and all succeed with the same positions.
    let (_dir, path, store) = fresh().await;
    let request = single("dup", ExpectedRevision::NoStream, numbered("dup", 1, 3));
    let answers = in_one_group_commit(&path, &store, vec![request; 10]).await;
    assert_eq!(answers[0].as_ref().unwrap().positions(), (2, 4));
    assert!(matches!(
        answers[0].as_ref().unwrap(),
        AppendOutcome::Committed { .. }
    ));
    for answer in &answers[1..] {
        assert_eq!(
            answer.as_ref().unwrap(),
            &AppendOutcome::AlreadyCommitted {
                first_position: 2,
                last_position: 4
            }
        );
    }
    assert_eq!(store.head_position().await.unwrap(), 4);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_commit_checks_revisions_against_earlier_requests() {
    // Goal: within one group commit each request's expected revisions see the requests accepted before it.
    let (_dir, path, store) = fresh().await;
    let mut requests: Vec<AppendRequest> = (0..10)
        .map(|n| single("race", ExpectedRevision::NoStream, numbered("race", n, 1)))
        .collect();
    // Guard on the stream the first request writes: stale once that one is in.
    requests.push(AppendRequest {
        writes: vec![
            write("other", ExpectedRevision::NoStream, numbered("other", 1, 1)),
            guard("race", ExpectedRevision::NoStream),
        ],
        idempotency: None,
    });
    // Chained on the first request's result.
    requests.push(single(
        "race",
        ExpectedRevision::Exact(1),
        numbered("race", 100, 1),
    ));
    let answers = in_one_group_commit(&path, &store, requests).await;
    assert_eq!(committed(answers[0].clone_ok()), (2, 2));
    for answer in answers[1..10].iter().chain(&answers[10..11]) {
        assert!(
            matches!(answer, Err(StoreError::Conflict { stream_id, expected: ExpectedRevision::NoStream, actual: 1 }) if stream_id == "race"),
            "got {answer:?}"
        );
    }
    assert_eq!(committed(answers[11].clone_ok()), (3, 3));
    assert!(store.read_stream("other", 0, 10).await.unwrap().is_empty());
    let race = store.read_stream("race", 0, 10).await.unwrap();
    assert_eq!(race.len(), 2);
    assert_stream_dense(&race);
    assert_chain_intact(&*store, 3).await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_commit_malformed_request_fails_alone() {
    // Goal: a request that repeats an event id, or has schema version 0, is refused without failing the group commit it shares.
    let (_dir, path, store) = fresh().await;
    let repeated = event(serde_json::json!({ "repeated": true }));
    let mut zero = event(serde_json::json!({ "zero": true }));
    zero.schema_version = 0;
    let good = |n: u64| {
        single(
            &format!("good-{n}"),
            ExpectedRevision::NoStream,
            numbered("good", n, 1),
        )
    };
    let requests = vec![
        good(0),
        single(
            "bad",
            ExpectedRevision::Any,
            vec![repeated.clone(), repeated.clone()],
        ),
        good(1),
        single("bad", ExpectedRevision::Any, vec![zero.clone()]),
        good(2),
    ];
    let answers = in_one_group_commit(&path, &store, requests).await;
    for index in [0, 2, 4] {
        assert!(
            matches!(answers[index], Ok(AppendOutcome::Committed { .. })),
            "good request {index}: {:?}",
            answers[index]
        );
    }
    assert!(
        matches!(
            answers[1],
            Err(StoreError::Invalid(_) | StoreError::PartialDuplicate(_))
        ),
        "repeated id: {:?}",
        answers[1]
    );
    assert!(
        matches!(answers[3], Err(StoreError::Invalid(_))),
        "schema version 0: {:?}",
        answers[3]
    );
    assert!(store.read_stream("bad", 0, 10).await.unwrap().is_empty());
    assert_eq!(store.head_position().await.unwrap(), 4);
    assert_chain_intact(&*store, 4).await;
    store.close().await;
}

/// Unwraps an answer that is expected to be Ok, keeping it as a Result for `committed`.
trait CloneOk {
    fn clone_ok(&self) -> Result<AppendOutcome, StoreError>;
}

impl CloneOk for Result<AppendOutcome, StoreError> {
    fn clone_ok(&self) -> Result<AppendOutcome, StoreError> {
        match self {
            Ok(outcome) => Ok(*outcome),
            Err(error) => panic!("expected success, got {error:?}"),
        }
    }
}
