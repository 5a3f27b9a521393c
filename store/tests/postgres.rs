//! The PostgreSQL backend: every conformance check on a real server, then what a shared server
//! adds (two stores on one database, as two API replicas; reopening).
//!
//! The server comes from `YIKA_TEST_POSTGRES_URL` (`postgres://user@host:port/db`; `.ci/run`
//! starts one and sets it). Each check gets a database of its own, dropped afterwards. Without
//! the variable the checks say they were skipped, unless `YIKA_REQUIRE_POSTGRES=1` (CI), where
//! a missing server is a failure.

mod conformance;

use std::sync::Arc;

use conformance::*;
use sqlx::Connection;
use yika_store::{EventStore, ExpectedRevision, PostgresEventStore};

/// A fresh database on the test server, dropped when this is dropped.
struct Database {
    admin_url: String,
    name: String,
    url: String,
}

impl Database {
    /// `None` (with a note on stderr) when no server is configured and none is required.
    async fn create(test: &str) -> Option<Database> {
        let admin_url = match std::env::var("YIKA_TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => url,
            _ => {
                assert!(
                    std::env::var("YIKA_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                    "YIKA_REQUIRE_POSTGRES=1 but YIKA_TEST_POSTGRES_URL is not set"
                );
                eprintln!("SKIPPED {test}: set YIKA_TEST_POSTGRES_URL to run it on PostgreSQL");
                return None;
            }
        };
        let name = format!("yika_test_{}", uuid::Uuid::now_v7().simple());
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .expect("the PostgreSQL test server answers");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("a test database");
        let _ = admin.close().await;
        let url = match admin_url.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{name}"),
            None => panic!("YIKA_TEST_POSTGRES_URL has no database part: {admin_url}"),
        };
        Some(Database {
            admin_url,
            name,
            url,
        })
    }

    async fn drop_now(self) {
        let mut admin = sqlx::PgConnection::connect(&self.admin_url)
            .await
            .expect("the PostgreSQL test server answers");
        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        )))
        .execute(&mut admin)
        .await;
    }
}

/// Runs one conformance check on a fresh database, then closes the store and drops it.
async fn run<F, Fut>(test: &str, check: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(database) = Database::create(test).await else {
        return;
    };
    let store = Arc::new(
        PostgresEventStore::connect(&database.url)
            .await
            .expect("the store opens"),
    );
    check(store.clone()).await;
    store.close().await;
    database.drop_now().await;
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(postgres_server),
    ignore = "SKIPPED: no PostgreSQL server; set YIKA_TEST_POSTGRES_URL to run it"
)]
            async fn $name() {
                // Goal: the conformance check of the same name holds on PostgreSQL.
                run(stringify!($name), conformance::$name).await;
            }
        )*
    };
}

crate::every_check!(conformance);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(postgres_server),
    ignore = "SKIPPED: no PostgreSQL server; set YIKA_TEST_POSTGRES_URL to run it"
)]
async fn conformance_snapshots() {
    // Goal: snapshots are kept newest first beside the log, and are not events.
    run("snapshots", conformance::snapshots).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(postgres_server),
    ignore = "SKIPPED: no PostgreSQL server; set YIKA_TEST_POSTGRES_URL to run it"
)]
async fn import_copies_a_log() {
    // Goal: import copies a log verbatim and refuses gaps, edits and repeats, on PostgreSQL.
    let Some(source_db) = Database::create("import_copies_a_log").await else {
        return;
    };
    let target_db = Database::create("import_copies_a_log")
        .await
        .expect("configured");
    let source = Arc::new(PostgresEventStore::connect(&source_db.url).await.unwrap());
    let target = Arc::new(PostgresEventStore::connect(&target_db.url).await.unwrap());
    conformance::import_copies_a_log(source.clone(), target.clone()).await;
    source.close().await;
    target.close().await;
    source_db.drop_now().await;
    target_db.drop_now().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(postgres_server),
    ignore = "SKIPPED: no PostgreSQL server; set YIKA_TEST_POSTGRES_URL to run it"
)]
async fn two_replicas_share_one_log() {
    // Goal: two stores on one database (two API replicas) interleave appends with dense positions, an intact chain and exact conflicts, and each wakes up for the other's appends (NOTIFY).
    let Some(database) = Database::create("two_replicas_share_one_log").await else {
        return;
    };
    let a = Arc::new(PostgresEventStore::connect(&database.url).await.unwrap());
    let b = Arc::new(PostgresEventStore::connect(&database.url).await.unwrap());
    let mut b_wakes = b.subscribe();
    let (first, _) = committed(
        a.append(single(
            "r-1",
            ExpectedRevision::NoStream,
            numbered("r-1", 1, 3),
        ))
        .await,
    );
    assert_eq!(first, 1);
    tokio::time::timeout(WAIT, b_wakes.wait_for(|p| *p >= 3))
        .await
        .expect("B is woken by A's append")
        .expect("open");
    // B writes on from the head A left, and a stale expectation is a conflict on either side.
    let (first, last) = committed(
        b.append(single(
            "r-1",
            ExpectedRevision::at(3),
            numbered("r-1", 4, 2),
        ))
        .await,
    );
    assert_eq!((first, last), (4, 5));
    assert!(matches!(
        a.append(single(
            "r-1",
            ExpectedRevision::at(3),
            numbered("r-1", 9, 1)
        ))
        .await,
        Err(yika_store::StoreError::Conflict { actual: 5, .. })
    ));
    let mut writers = Vec::new();
    for (i, store) in [a.clone(), b.clone()].into_iter().enumerate() {
        writers.push(tokio::spawn(async move {
            for n in 0..100 {
                let stream = format!("w-{i}-{n}");
                committed(
                    store
                        .append(single(
                            &stream,
                            ExpectedRevision::NoStream,
                            numbered(&stream, 0, 2),
                        ))
                        .await,
                );
            }
        }));
    }
    for writer in writers {
        writer.await.unwrap();
    }
    assert_chain_intact(&*a, 5 + 400).await;
    assert_eq!(b.head_position().await.unwrap(), 405);
    a.close().await;
    b.close().await;
    database.drop_now().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(postgres_server),
    ignore = "SKIPPED: no PostgreSQL server; set YIKA_TEST_POSTGRES_URL to run it"
)]
async fn reopen() {
    // Goal: a closed store reopened on the same database keeps head, revisions, claims and chain.
    let Some(database) = Database::create("reopen").await else {
        return;
    };
    let first = Arc::new(PostgresEventStore::connect(&database.url).await.unwrap());
    let url = database.url.clone();
    conformance::reopen(first, || async move {
        let reopened: Store = Arc::new(PostgresEventStore::connect(&url).await.unwrap());
        reopened
    })
    .await;
    database.drop_now().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(postgres_server),
    ignore = "SKIPPED: no PostgreSQL server; set YIKA_TEST_POSTGRES_URL to run it"
)]
async fn the_log_refuses_updates_deletes_and_truncation() {
    // Goal: an UPDATE, DELETE or TRUNCATE of events, by mistake or by hand, is refused by the append-only triggers and changes nothing; appends go on.
    let Some(database) = Database::create("the_log_refuses_updates_deletes_and_truncation").await
    else {
        return;
    };
    let store = Arc::new(PostgresEventStore::connect(&database.url).await.unwrap());
    fill(&*store, 5).await;
    {
        use sqlx::Connection as _;
        let mut conn = sqlx::PgConnection::connect(&database.url).await.unwrap();
        for statement in [
            "UPDATE events SET payload = '{}' WHERE position = 2",
            "DELETE FROM events WHERE position = 5",
            "TRUNCATE events",
        ] {
            let error = sqlx::query(sqlx::AssertSqlSafe(statement))
                .execute(&mut conn)
                .await
                .expect_err(statement);
            assert!(error.to_string().contains("append-only"), "{error}");
        }
        conn.close().await.unwrap();
    }
    assert_chain_intact(&*store, 5).await;
    fill(&*store, 2).await;
    assert_chain_intact(&*store, 7).await;
    store.close().await;
    database.drop_now().await;
}
