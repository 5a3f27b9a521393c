//! The views folded in memory equal the views the runner writes, on SQLite and (with
//! `YIKA_TEST_POSTGRES_URL`) on PostgreSQL, for generated ledgers of many seeds.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use yika_projections::memory::InMemory;
use yika_projections::sample::{Hospital, import};
use yika_projections::views::compared_tables;
use yika_projections::{ProjectionRunner, ReadStore};
use yika_store::{EventStore, SqliteEventStore};

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-02T00:00:00Z")
        .expect("a time")
        .with_timezone(&Utc)
}

/// A generated ledger of about `events` events in a fresh SQLite event store.
async fn ledger(dir: &std::path::Path, seed: u64, events: usize) -> Arc<dyn EventStore> {
    let store: Arc<dyn EventStore> = Arc::new(
        SqliteEventStore::open(&dir.join("events.db"))
            .await
            .expect("an event store"),
    );
    let mut generated = Vec::new();
    Hospital::new(seed, start()).run(events, |g| generated.push(g));
    import(store.as_ref(), generated).await.expect("imported");
    store
}

/// Projects `store` into `read` through the runner and compares every table's digest with the
/// in-memory fold.
async fn same_as_memory(store: &Arc<dyn EventStore>, read: &ReadStore, seed: u64) {
    let head = store.head_position().await.expect("a head");
    ProjectionRunner::new(store.clone(), read.clone())
        .catch_up()
        .await
        .expect("projected");
    let memory = InMemory::replay(store.as_ref(), head)
        .await
        .expect("folded in memory");
    assert_eq!(memory.position, head);
    let digests = memory.digests();
    let mut conn = read.pool().acquire().await.expect("a connection");
    for table in compared_tables() {
        let written = yika_projections::verify::digest(&mut conn, table)
            .await
            .expect("a digest");
        assert_eq!(
            Some(&written),
            digests.get(table),
            "seed {seed}: {table} written differs from folded in memory"
        );
    }
    // On SQLite, verify hashes the live tables through rusqlite: the same digests.
    if let Some(hashed) = yika_projections::verify::sqlite_digests_now(read)
        .await
        .expect("hashed")
    {
        for table in compared_tables() {
            assert_eq!(
                hashed.get(table),
                digests.get(table),
                "seed {seed}: {table} hashed by verify's SQLite reader differs"
            );
        }
    }
    let accounts = digests["accounts"].rows;
    assert!(
        accounts > 10,
        "seed {seed}: the ledger has accounts ({accounts})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn views_folded_in_memory_equal_the_views_written_to_sqlite() {
    // Goal: for ledgers from many seeds (every event type, accounts opened and closed in the
    // same batch and across batches), the runner's batched writes and the in-memory fold agree
    // on every row of every table.
    for seed in 0..6 {
        let dir = tempfile::tempdir().expect("a temp dir");
        let store = ledger(dir.path(), seed, 3_000 + seed as usize * 700).await;
        let read = ReadStore::open(&dir.path().join("read.db"))
            .await
            .expect("a read store");
        same_as_memory(&store, &read, seed).await;
        assert!(
            yika_projections::verify::sqlite_digests_now(&read)
                .await
                .expect("hashed")
                .is_some(),
            "seed {seed}: verify's SQLite reader hashed the tables"
        );
        read.close().await;
        store.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(postgres_server),
    ignore = "SKIPPED: no PostgreSQL server; set YIKA_TEST_POSTGRES_URL to run it"
)]
async fn views_folded_in_memory_equal_the_views_written_to_postgresql() {
    // Goal: the same on a PostgreSQL read store (the other dialect of the batched writes).
    use sqlx::Connection as _;
    let admin_url = std::env::var("YIKA_TEST_POSTGRES_URL").expect("set when built");
    for seed in [11, 12] {
        let name = format!("yika_test_{}", uuid::Uuid::now_v7().simple());
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .expect("the server answers");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("a database");
        let url = format!(
            "{}/{name}",
            admin_url.rsplit_once('/').expect("a database part").0
        );
        let dir = tempfile::tempdir().expect("a temp dir");
        let store = ledger(dir.path(), seed, 4_000).await;
        let read = ReadStore::connect(&url).await.expect("a read store");
        same_as_memory(&store, &read, seed).await;
        read.close().await;
        store.close().await;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("dropped");
    }
}
