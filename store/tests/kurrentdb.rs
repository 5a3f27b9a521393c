//! The KurrentDB backend against a real server: every conformance check, each on a ledger
//! stream of its own. KurrentDB cannot be installed on this project's machines (no package is
//! obtainable), so these run only when `YIKA_TEST_KURRENTDB_URL` is set (for example
//! `kurrentdb://localhost:2113?tls=false` for a local `docker run kurrentplatform/kurrentdb`)
//! and are reported as ignored ("SKIPPED: no KurrentDB server") otherwise (`build.rs` reads the
//! variable when the tests are built). The mapping (events to EventData,
//! revisions, positions, errors) is unit-tested without a server in `src/kurrent.rs`.

#![cfg(feature = "kurrentdb")]

mod conformance;

use std::sync::Arc;

use conformance::*;
use yika_store::{EventStore, KurrentEventStore};

/// Runs one check on a fresh ledger stream, or says it was skipped.
async fn run<F, Fut>(test: &str, check: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    let Ok(url) = std::env::var("YIKA_TEST_KURRENTDB_URL") else {
        panic!(
            "{test} runs only with YIKA_TEST_KURRENTDB_URL (it was set when the tests were built)"
        );
    };
    let stream = format!("yika-ledger-test-{}", uuid::Uuid::now_v7().simple());
    let store = Arc::new(
        KurrentEventStore::connect_to_stream(&url, &stream)
            .await
            .expect("the KurrentDB test server answers"),
    );
    check(store.clone()).await;
    store.close().await;
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(
                not(kurrentdb_server),
                ignore = "SKIPPED: no KurrentDB server; set YIKA_TEST_KURRENTDB_URL to run it"
            )]
            async fn $name() {
                // Goal: the conformance check of the same name holds on KurrentDB.
                run(stringify!($name), conformance::$name).await;
            }
        )*
    };
}

crate::every_check!(conformance);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(kurrentdb_server),
    ignore = "SKIPPED: no KurrentDB server; set YIKA_TEST_KURRENTDB_URL to run it"
)]
async fn import_copies_a_log() {
    // Goal: import copies a log verbatim onto another ledger stream and refuses gaps, edits and repeats.
    let url = std::env::var("YIKA_TEST_KURRENTDB_URL").expect("set when built");
    let open = |name: String| {
        let url = url.clone();
        async move {
            Arc::new(
                KurrentEventStore::connect_to_stream(&url, &name)
                    .await
                    .expect("the KurrentDB test server answers"),
            )
        }
    };
    let id = uuid::Uuid::now_v7().simple();
    let source = open(format!("yika-ledger-test-{id}-a")).await;
    let target = open(format!("yika-ledger-test-{id}-b")).await;
    conformance::import_copies_a_log(source.clone(), target.clone()).await;
    source.close().await;
    target.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(kurrentdb_server),
    ignore = "SKIPPED: no KurrentDB server; set YIKA_TEST_KURRENTDB_URL to run it"
)]
async fn reopen() {
    // Goal: a closed store reconnected to the same ledger stream rebuilds its index: head, revisions, claims and chain.
    let url = std::env::var("YIKA_TEST_KURRENTDB_URL").expect("set when built");
    let stream = format!("yika-ledger-test-{}", uuid::Uuid::now_v7().simple());
    let first = Arc::new(
        KurrentEventStore::connect_to_stream(&url, &stream)
            .await
            .unwrap(),
    );
    conformance::reopen(first, || async move {
        let reopened: Store = Arc::new(
            KurrentEventStore::connect_to_stream(&url, &stream)
                .await
                .unwrap(),
        );
        reopened
    })
    .await;
}
