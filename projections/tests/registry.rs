//! The view registry is the one list of views: every table the read migrations create is a
//! view's (compared by `yika verify`) or the runner's bookkeeping, and each view is told about
//! every event that changes its rows.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use yika_domain::{Event, Metadata};
use yika_projections::views::{Applied, RUNNER_TABLES, Rows, VIEWS, compared_tables};
use yika_projections::{ProjectionRunner, ReadStore};
use yika_store::{EventStore, SqliteEventStore};

/// Tables of the read store that are neither a view's nor compared: the migrations' own record.
const BOOKKEEPING: [&str; 1] = ["_sqlx_migrations"];

#[tokio::test]
async fn every_table_of_the_sqlite_read_store_is_a_compared_view_table_or_bookkeeping() {
    // Goal: a table added by a read migration and forgotten in the registry fails here, so
    // `yika verify` can never silently stop comparing it.
    let dir = tempfile::tempdir().expect("a temp dir");
    let read = ReadStore::open(&dir.path().join("read.db"))
        .await
        .expect("opens");
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )
    .fetch_all(read.pool())
    .await
    .expect("the tables");
    let tables: BTreeSet<String> = tables.into_iter().collect();
    let known: BTreeSet<String> = compared_tables()
        .chain(BOOKKEEPING)
        .map(str::to_owned)
        .collect();
    assert_eq!(tables, known);
    read.close().await;
}

#[test]
fn the_postgres_read_migrations_create_the_same_tables() {
    // Goal: the PostgreSQL dialect's read migrations create exactly the registry's tables too
    // (they track themselves in `_yika_read_migrations`, made by the migrator, not by SQL).
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations/postgres/read");
    let mut created = BTreeSet::new();
    for entry in std::fs::read_dir(dir).expect("the migrations") {
        let sql = std::fs::read_to_string(entry.expect("a file").path()).expect("SQL text");
        for statement in sql.split(';') {
            let words: Vec<String> = statement
                .split_whitespace()
                .map(str::to_ascii_lowercase)
                .collect();
            if let Some(at) = words.windows(2).position(|w| w == ["create", "table"]) {
                let name = words[at + 2..]
                    .iter()
                    .find(|w| !matches!(w.as_str(), "if" | "not" | "exists"))
                    .expect("a table name");
                created.insert(name.trim_end_matches('(').to_owned());
            }
        }
    }
    let compared: BTreeSet<String> = compared_tables().map(str::to_owned).collect();
    assert_eq!(created, compared);
}

#[test]
fn the_runner_tables_are_not_a_views() {
    // Goal: a table belongs to one owner, so a replay's comparison names it once.
    let mut seen = BTreeSet::new();
    for table in compared_tables() {
        assert!(seen.insert(table), "{table} is registered twice");
    }
    for table in RUNNER_TABLES {
        assert!(VIEWS.iter().all(|v| !v.tables().contains(&table)));
    }
}

#[tokio::test]
async fn applying_only_the_events_a_view_listens_to_changes_nothing() {
    // Goal: each view's event list (which the runner filters by and the live subscriptions
    // follow) names every event that changes its rows: a ledger holding every event type,
    // projected by the runner (batch by batch, loading rows from the read store), equals the
    // same ledger with every event folded into every view in one pass.
    let dir = tempfile::tempdir().expect("a temp dir");
    let store: Arc<dyn EventStore> = Arc::new(
        SqliteEventStore::open(&dir.path().join("events.db"))
            .await
            .expect("an event store"),
    );
    let head = common::sample_ledger(store.as_ref(), 3).await;
    let events = store.read_all(0, 10_000).await.expect("the log");
    assert_eq!(events.len() as u64, head);
    let mut seen = [false; common::EVENT_TYPES];
    for recorded in &events {
        let event = Event::decode(
            &recorded.event_type,
            recorded.schema_version,
            &recorded.payload,
        )
        .expect("decodes");
        seen[common::type_index(&event)] = true;
    }
    assert!(seen.iter().all(|s| *s), "the sample holds every event type");

    let filtered = ReadStore::open(&dir.path().join("filtered.db"))
        .await
        .expect("opens");
    ProjectionRunner::new(store.clone(), filtered.clone())
        .catch_up()
        .await
        .expect("projected");

    let everything = ReadStore::open(&dir.path().join("everything.db"))
        .await
        .expect("opens");
    let decoded: Vec<(Event, Metadata)> = events
        .iter()
        .map(|recorded| {
            (
                Event::decode(
                    &recorded.event_type,
                    recorded.schema_version,
                    &recorded.payload,
                )
                .expect("decodes"),
                serde_json::from_str(&recorded.metadata).expect("metadata"),
            )
        })
        .collect();
    let mut rows = Rows::default();
    for (recorded, (event, metadata)) in events.iter().zip(&decoded) {
        let applied = Applied::new(recorded, event, metadata);
        for view in VIEWS {
            view.fold(&mut rows, &applied)
                .unwrap_or_else(|e| panic!("{} on {}: {e}", view.name(), recorded.event_type));
        }
    }
    let mut tx = everything.pool().begin().await.expect("a transaction");
    rows.flush(&mut tx, everything.backend())
        .await
        .expect("written");
    tx.commit().await.expect("committed");

    let view_tables = VIEWS.iter().flat_map(|v| v.tables().iter().copied());
    let mut left = filtered.pool().acquire().await.expect("a connection");
    let mut right = everything.pool().acquire().await.expect("a connection");
    let differing = yika_projections::verify::differing_tables(&mut left, &mut right, view_tables)
        .await
        .expect("compared");
    assert!(differing.is_empty(), "views missed events: {differing:?}");
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
        .fetch_one(&mut *left)
        .await
        .expect("a count");
    assert_eq!(rows, 6, "the comparison saw the sample's accounts");
    drop((left, right));
    filtered.close().await;
    everything.close().await;
    store.close().await;
}
