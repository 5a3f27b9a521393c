//! Verification: the hash chain and the views against a replay, over GraphQL and the CLI, on an
//! untouched ledger and after someone edits the SQLite files by hand.

use serde_json::json;
use sqlx::ConnectOptions;

use crate::support::*;

fn yika_verify(data: &std::path::Path) -> (bool, String) {
    let output = std::process::Command::new(YIKA)
        .arg("verify")
        .arg("--data")
        .arg(data)
        .env("RUST_LOG", "warn")
        .output()
        .expect("yika verify runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

/// A connection to a SQLite file by someone set on changing it: the log's append-only triggers
/// are dropped first.
async fn tampering(path: &std::path::Path) -> sqlx::SqliteConnection {
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .connect()
        .await
        .expect("the file opens");
    sqlx::raw_sql(
        "DROP TRIGGER IF EXISTS events_append_only_update; \
         DROP TRIGGER IF EXISTS events_append_only_delete;",
    )
    .execute(&mut conn)
    .await
    .expect("the triggers are dropped");
    conn
}

/// Runs `statement` on a SQLite file, as someone set on changing it.
pub(crate) async fn sql(path: std::path::PathBuf, statement: &str) {
    let mut conn = tampering(&path).await;
    sqlx::query(sqlx::AssertSqlSafe(statement.to_owned()))
        .execute(&mut conn)
        .await
        .expect("the statement runs");
}

/// Runs `statement` on the PostgreSQL database as its owner set on changing it: the log's
/// append-only triggers are disabled first.
pub(crate) async fn pg(url: &str, statement: &str) {
    use sqlx::Connection as _;
    let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "ALTER TABLE events DISABLE TRIGGER USER; {statement}"
    )))
    .execute(&mut conn)
    .await
    .expect("the statement runs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_passes_untouched_and_locates_tampering() {
    // Goal: an untouched ledger verifies (on either backend); an edited view, an edited event
    // payload and a deleted event are each detected, and the event ones are located by position
    // (edits made in the SQLite files by hand).
    let server = Server::start();
    let cast = Cast::register(&server);
    let auditor = server.staff_add("AU01", "Sun Li", "AUDITOR", None);
    let shift = open_shift(&server, &cast.cashier, "100.00").await;
    let card = open_card(&server, &cast.cashier, "V-1").await;
    deposit(&server, &cast.cashier, &card, &shift, "80.00").await;
    server
        .ok(&cast.lab.token, DEDUCT, json!({ "account": card, "amount": "12.34", "department": "Lab", "order": "V-O1", "item": "X" }))
        .await;
    let verification = server
        .ok(&auditor.token, "{ verifyLedger { eventsChecked chainIntact firstBrokenPosition viewsMatchReplay mismatches } }", json!({}))
        .await;
    let events = server.event_count().await;
    assert_eq!(
        verification["verifyLedger"],
        json!({ "eventsChecked": events, "chainIntact": true, "firstBrokenPosition": null, "viewsMatchReplay": true, "mismatches": [] })
    );
    assert_eq!(
        server
            .refused(
                Some(&cast.cashier.token),
                "{ verifyLedger { chainIntact } }",
                json!({})
            )
            .await,
        "FORBIDDEN"
    );

    let data = server.stop();
    let output = data.yika(&["verify"]).output().expect("yika verify runs");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{report}");
    assert!(report.contains("hash chain: intact"), "{report}");
    assert!(report.contains("views: equal to a replay"), "{report}");
    if let Some(url) = data.postgres_url() {
        // On PostgreSQL: a view and an event edited by a DBA are found, the event by position.
        let verify = || {
            let output = data.yika(&["verify"]).output().expect("yika verify runs");
            (
                output.status.success(),
                String::from_utf8_lossy(&output.stdout).into_owned(),
            )
        };
        pg(&url, "UPDATE accounts SET balance_fen = balance_fen + 1").await;
        let (ok, report) = verify();
        assert!(!ok && report.contains("MISMATCH accounts"), "{report}");
        assert!(
            report.contains("balance_fen live i6767, replayed i6766"),
            "{report}"
        );
        pg(&url, "UPDATE accounts SET balance_fen = balance_fen - 1").await;
        pg(&url, &format!("UPDATE events SET payload = replace(payload, '12.34', '1.34') WHERE position = {events}")).await;
        let (ok, report) = verify();
        assert!(!ok, "{report}");
        assert!(
            report.contains(&format!("BROKEN at position {events}")),
            "{report}"
        );
        // The last event removed (the head row left alone): named by the views' record.
        pg(
            &url,
            &format!("DELETE FROM events WHERE position = {events}"),
        )
        .await;
        let (ok, report) = verify();
        assert!(!ok, "{report}");
        assert!(
            report.contains(&format!(
                "event {events}, which the views applied, is missing from the log"
            )),
            "{report}"
        );
        return;
    }

    // A view edited by hand is found by the replay.
    let read = data.path().join("read.db");
    sql(
        read.clone(),
        "UPDATE accounts SET balance_fen = balance_fen + 1",
    )
    .await;
    let (ok, report) = yika_verify(data.path());
    assert!(!ok, "{report}");
    assert!(report.contains("MISMATCH accounts"), "{report}");
    // …and located: the card's row, and the cell that differs.
    assert!(
        report.contains(&format!("first difference: row account_id = t36:{card}")),
        "{report}"
    );
    assert!(
        report.contains("balance_fen live i6767, replayed i6766"),
        "{report}"
    );
    sql(read, "UPDATE accounts SET balance_fen = balance_fen - 1").await;
    assert!(yika_verify(data.path()).0);

    // An event's payload edited by hand breaks the chain at its position.
    let log = data.path().join("events.db");
    let position = events; // the deduction, the last event
    sql(log.clone(), &format!("UPDATE events SET payload = replace(payload, '12.34', '1.34') WHERE position = {position}")).await;
    let (ok, report) = yika_verify(data.path());
    assert!(!ok, "{report}");
    assert!(
        report.contains(&format!("BROKEN at position {position}")),
        "{report}"
    );
    sql(log.clone(), &format!("UPDATE events SET payload = replace(payload, '1.34', '12.34') WHERE position = {position}")).await;
    assert!(yika_verify(data.path()).0, "restored");

    // A chain rewritten from an edited event on (its metadata given another correlation id,
    // every later hash recomputed) is intact in itself, but not what the views applied: the
    // first rewritten position is named.
    let originals = read_log(&log).await;
    let mut previous = yika_store::hash::parse_hex(&originals[1].hash).expect("a hash");
    for event in &originals[2..] {
        let mut forged = event.clone();
        if forged.position == 3 {
            let mut metadata: serde_json::Value =
                serde_json::from_str(&forged.metadata).expect("JSON metadata");
            metadata["correlation_id"] = json!(uuid::Uuid::now_v7());
            forged.metadata = metadata.to_string();
        }
        previous = yika_store::hash::event_hash(&previous, &forged);
        set_event(
            &log,
            forged.position,
            &forged.metadata,
            &hex::encode(previous),
        )
        .await;
    }
    let (ok, report) = yika_verify(data.path());
    assert!(!ok, "{report}");
    assert!(report.contains("hash chain: intact"), "{report}");
    assert!(report.contains("log: BROKEN at position 3"), "{report}");
    assert!(
        report.contains("event 3 in the log is not the event the views applied"),
        "{report}"
    );
    for event in &originals[2..] {
        set_event(&log, event.position, &event.metadata, &event.hash).await;
    }
    assert!(yika_verify(data.path()).0, "restored");

    // An event whose stored time no longer parses is a break where it stands, not a crash.
    sql(
        log.clone(),
        "UPDATE events SET recorded_at = 'yesterday' WHERE position = 3",
    )
    .await;
    let (ok, report) = yika_verify(data.path());
    assert!(!ok, "{report}");
    assert!(report.contains("hash chain: BROKEN"), "{report}");
    assert!(report.contains("log: BROKEN at position 3"), "{report}");
    assert!(
        report.contains("event 3 can no longer be read from the log"),
        "{report}"
    );
    sql(
        log.clone(),
        &format!(
            "UPDATE events SET recorded_at = '{}' WHERE position = 3",
            yika_store::time::format_time(originals[2].recorded_at)
        ),
    )
    .await;
    assert!(yika_verify(data.path()).0, "restored");

    // The last event deleted by hand: the chain of what is left is intact, but the views
    // applied one more event; verify names it, and a server refuses to project new events
    // onto views built from a log that has lost some.
    sql(
        log.clone(),
        &format!("DELETE FROM events WHERE position = {events}"),
    )
    .await;
    let (ok, report) = yika_verify(data.path());
    assert!(!ok, "{report}");
    assert!(
        report.contains(&format!("log: BROKEN at position {events}")),
        "{report}"
    );
    assert!(
        report.contains(&format!(
            "event {events}, which the views applied, is missing from the log"
        )),
        "{report}"
    );
    let serve = output_of_ending(data.yika(&["serve", "--listen", "127.0.0.1:0"]));
    assert!(
        !serve.status.success(),
        "a server on a cut log must not start"
    );
    assert!(
        String::from_utf8_lossy(&serve.stderr).contains("missing from the log"),
        "{}",
        String::from_utf8_lossy(&serve.stderr)
    );

    // An event deleted by hand in the middle is located too.
    sql(log, "DELETE FROM events WHERE position = 3").await;
    let (ok, report) = yika_verify(data.path());
    assert!(!ok, "{report}");
    assert!(report.contains("BROKEN at position 3"), "{report}");
}

/// Every event of the SQLite log at `path` (no server may be running on it).
async fn read_log(path: &std::path::Path) -> Vec<yika_store::RecordedEvent> {
    use yika_store::EventStore as _;
    let store = yika_store::SqliteEventStore::open(path)
        .await
        .expect("the log opens");
    let events = store.read_all(0, 10_000).await.expect("the log reads");
    store.close().await;
    events
}

/// Overwrites an event's metadata and hash in the SQLite log at `path`.
async fn set_event(path: &std::path::Path, position: u64, metadata: &str, hash: &str) {
    let mut conn = tampering(path).await;
    sqlx::query("UPDATE events SET metadata = ?, hash = ? WHERE position = ?")
        .bind(metadata)
        .bind(hash)
        .bind(i64::try_from(position).expect("small"))
        .execute(&mut conn)
        .await
        .expect("the update runs");
}

/// Runs `statements` on the ledger's event log (SQLite file or PostgreSQL), as someone set on
/// changing it.
async fn tamper_log(data: &Ledger, statements: &str) {
    match data.postgres_url() {
        Some(url) => pg(&url, statements).await,
        None => {
            let mut conn = tampering(&data.path().join("events.db")).await;
            sqlx::raw_sql(sqlx::AssertSqlSafe(statements.to_owned()))
                .execute(&mut conn)
                .await
                .expect("the statements run");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_claims_altered_in_the_files_are_found_and_never_answered() {
    // Goal: issue 14, item 4. The store's claim columns are outside the hash, but each keyed
    // command's events carry a hashed copy. A claim pointed at another deposit (so that a retry
    // would be answered with someone else's receipt) is refused at the retry (INTERNAL, nothing
    // written) and named by `yika verify`; a claim removed (so that a retry would write the
    // deposit twice) is named by `yika verify` too.
    let server = Server::start();
    let cast = Cast::register(&server);
    let shift = open_shift(&server, &cast.cashier, "100.00").await;
    let card = open_card(&server, &cast.cashier, "IDEM-CARD").await;
    let pay = |amount: &str, key: &str| json!({ "account": card, "amount": amount, "method": "WECHAT", "shift": shift, "key": key });
    server
        .ok(&cast.cashier.token, DEPOSIT, pay("10.00", "IDEM-1"))
        .await;
    server
        .ok(&cast.cashier.token, DEPOSIT, pay("20.00", "IDEM-2"))
        .await;
    server
        .ok(&cast.cashier.token, DEPOSIT, pay("30.00", "IDEM-3"))
        .await;
    let data = server.stop();
    let output = data.yika(&["verify"]).output().expect("yika verify runs");
    assert!(output.status.success(), "{output:?}");

    // IDEM-1's claim now points at IDEM-2's deposit; IDEM-3's claim is gone.
    tamper_log(
        &data,
        "UPDATE events SET idempotency_key = 'moved' WHERE idempotency_key = 'deposit:IDEM-1'; \
         UPDATE events SET idempotency_key = 'deposit:IDEM-1', \
           idempotency_fingerprint = (SELECT idempotency_fingerprint FROM events WHERE idempotency_key = 'moved') \
           WHERE idempotency_key = 'deposit:IDEM-2'; \
         UPDATE events SET idempotency_key = NULL, idempotency_fingerprint = NULL, idempotency_last = NULL \
           WHERE idempotency_key = 'moved' OR idempotency_key = 'deposit:IDEM-3';",
    )
    .await;
    let output = data.yika(&["verify"]).output().expect("yika verify runs");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "{report}");
    assert!(report.contains("idempotency"), "{report}");
    assert!(
        report.contains("deposit:IDEM-3"),
        "the removed claim is named: {report}"
    );
    assert!(
        report.contains("deposit:IDEM-2"),
        "the moved claim is named: {report}"
    );

    let server = Server::start_in(data);
    let before = server.event_count().await;
    let answer = server
        .gql(Some(&cast.cashier.token), DEPOSIT, pay("10.00", "IDEM-1"))
        .await;
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "INTERNAL",
        "another deposit's receipt is not handed out: {answer}"
    );
    assert_eq!(server.event_count().await, before, "nothing was written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_head_finds_a_truncated_log_that_otherwise_verifies() {
    // Goal: issue 14, item 4. The last events deleted together with the views (which are then
    // rebuilt from what is left) pass the chain and the replay; the head recorded earlier with
    // `yika head`, kept outside the data directory, names the truncation.
    let server = Server::start();
    let cast = Cast::register(&server);
    let shift = open_shift(&server, &cast.cashier, "100.00").await;
    let card = open_card(&server, &cast.cashier, "HEAD-CARD").await;
    deposit(&server, &cast.cashier, &card, &shift, "10.00").await;
    let data = server.stop();
    let head = data.yika(&["head"]).output().expect("yika head runs");
    assert!(head.status.success(), "{head:?}");
    let line = String::from_utf8_lossy(&head.stdout).trim().to_owned();
    let position: u64 = line
        .split_whitespace()
        .next()
        .and_then(|p| p.parse().ok())
        .expect("a position");
    let outside = tempfile::tempdir().expect("a directory outside the data");
    let recorded = outside.path().join("heads.txt");
    std::fs::write(
        &recorded,
        format!("# recorded at the day's close\n{line}\n"),
    )
    .expect("written");
    let recorded_arg = recorded.to_str().expect("a path");
    let output = data
        .yika(&["verify", "--expect-head", recorded_arg])
        .output()
        .expect("yika verify runs");
    assert!(output.status.success(), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("recorded heads: all 1 still in the log")
    );

    let mut truncate = format!("DELETE FROM events WHERE position >= {};", position - 1);
    if data.postgres_url().is_some() {
        truncate.push_str(
            " UPDATE log_head SET position = (SELECT MAX(position) FROM events), \
             hash = (SELECT hash FROM events ORDER BY position DESC LIMIT 1), \
             recorded_at = (SELECT recorded_at FROM events ORDER BY position DESC LIMIT 1);",
        );
    }
    tamper_log(&data, &truncate).await;
    data.forget_views().await;
    let output = data.yika(&["verify"]).output().expect("yika verify runs");
    assert!(
        output.status.success(),
        "without the recorded head the shortened log verifies: {output:?}"
    );
    let output = data
        .yika(&["verify", "--expect-head", recorded_arg])
        .output()
        .expect("yika verify runs");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "{report}");
    assert!(report.contains("truncated"), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_heads_cannot_be_forged_without_the_key() {
    // Goal: a head signed with a key kept outside the data directory verifies; a recorded line
    // rewritten to match an altered log (without the key) is named as forged; a key inside the
    // data directory is refused.
    let server = Server::start();
    let cast = Cast::register(&server);
    open_shift(&server, &cast.cashier, "100.00").await;
    let data = server.stop();
    let outside = tempfile::tempdir().expect("a directory outside the data");
    let key = outside.path().join("head.key");
    std::fs::write(&key, "a secret of finance, 32 bytes long").expect("a key");
    let key_arg = key.to_str().expect("a path");
    let head = data
        .yika(&["head", "--key-file", key_arg])
        .output()
        .expect("yika head runs");
    assert!(head.status.success(), "{head:?}");
    let line = String::from_utf8_lossy(&head.stdout).trim().to_owned();
    assert_eq!(line.split_whitespace().count(), 4, "{line}");
    let heads = outside.path().join("heads.txt");
    std::fs::write(&heads, format!("{line}\n")).expect("written");
    let heads_arg = heads.to_str().expect("a path");
    let output = data
        .yika(&["verify", "--expect-head", heads_arg, "--key-file", key_arg])
        .output()
        .expect("yika verify runs");
    assert!(output.status.success(), "{output:?}");

    // Whoever rewrites the recorded line (here: another hash) cannot sign it.
    let mut fields: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
    fields[1] = "0".repeat(64);
    std::fs::write(&heads, format!("{}\n", fields.join(" "))).expect("written");
    let output = data
        .yika(&["verify", "--expect-head", heads_arg, "--key-file", key_arg])
        .output()
        .expect("yika verify runs");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "{report}");
    assert!(report.contains("forged or altered"), "{report}");

    let inside = data.path().join("head.key");
    std::fs::write(&inside, "a secret of finance, 32 bytes long").expect("a key");
    let output = data
        .yika(&["head", "--key-file", inside.to_str().expect("a path")])
        .output()
        .expect("yika head runs");
    assert!(
        !output.status.success(),
        "a key inside the data directory is refused"
    );
}
