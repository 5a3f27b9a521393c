//! No event, request or connection bricks or stalls the ledger, and an answer never hides a
//! write (issue 13).

use serde_json::{Value, json};

use crate::support::*;

const COUNT: &str = "mutation($shift: UUID!, $counted: Money!) {
  recordCashCount(input: { shiftId: $shift, countedCash: $counted }) { countedCash expectedCash variance }
}";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drawer_filled_to_the_largest_total_still_counts_and_the_views_keep_up() {
    // Goal: the reported brick. A thousand cash deposits of 10,000,000.00 fill a drawer (and a
    // card) to the largest total the ledger keeps; the next is refused with LIMIT_EXCEEDED and
    // writes nothing; the count's expected cash, a sum written into an event, reads back and is
    // applied to every view; the server stays ready and the ledger verifies.
    let server = Server::start();
    let cast = Cast::register(&server);
    let shift = open_shift(&server, &cast.cashier, "0.00").await;
    let card = open_card(&server, &cast.cashier, "CARD-BIG").await;
    let mut tasks = Vec::new();
    let server = std::sync::Arc::new(server);
    for worker in 0..8 {
        let (server, token, card, shift) = (
            server.clone(),
            cast.cashier.token.clone(),
            card.clone(),
            shift.clone(),
        );
        tasks.push(tokio::spawn(async move {
            for n in 0..125 {
                server
                    .ok(
                        &token,
                        DEPOSIT,
                        json!({ "account": card, "amount": "10000000.00", "method": "CASH",
                                "shift": shift, "key": format!("big-{worker}-{n}") }),
                    )
                    .await;
            }
        }));
    }
    for task in tasks {
        task.await.expect("deposits");
    }
    let before = server.event_count().await;
    let refused = server
        .refused(
            Some(&cast.cashier.token),
            DEPOSIT,
            json!({ "account": card, "amount": "0.01", "method": "CASH", "shift": shift, "key": "one-more" }),
        )
        .await;
    assert_eq!(refused, "LIMIT_EXCEEDED");
    assert_eq!(
        server.event_count().await,
        before,
        "a refusal writes nothing"
    );

    let counted = server
        .ok(
            &cast.cashier.token,
            COUNT,
            json!({ "shift": shift, "counted": "10000000.00" }),
        )
        .await;
    assert_eq!(
        counted["recordCashCount"],
        json!({ "countedCash": "10000000.00", "expectedCash": "10000000000.00",
                "variance": "-9990000000.00" })
    );
    let account = server
        .ok(&cast.cashier.token, ACCOUNT, json!({ "id": card }))
        .await;
    assert_eq!(account["account"]["balance"], "10000000000.00");
    assert_eq!(server.get_blocking("/readyz").0, 200);
    let verified = server.data.yika(&["verify"]).output().expect("verify runs");
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
}

/// Puts a row in the audit index at `position` behind the runner's back, so that applying the
/// event at that position fails: a view that cannot apply an event.
async fn block_the_views_at(server: &Server, position: i64) {
    let sql = format!(
        "INSERT INTO audit_index (position, event_type, recorded_at) VALUES ({position}, 'Blocker', '2026-01-01T00:00:00.000000Z')"
    );
    execute_on_views(server, &sql).await;
}

async fn unblock_the_views(server: &Server) {
    execute_on_views(
        server,
        "DELETE FROM audit_index WHERE event_type = 'Blocker'",
    )
    .await;
}

async fn execute_on_views(server: &Server, sql: &str) {
    use sqlx::Connection as _;
    match server.data.postgres_url() {
        Some(url) => {
            let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(&mut conn)
                .await
                .expect("executed");
        }
        None => {
            let path = server.data.path().join("read.db");
            let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .expect("connect");
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(&mut conn)
                .await
                .expect("executed");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_view_that_cannot_apply_an_event_is_reported_and_holds_up_no_command() {
    // Goal: a view that fails stalls the views, not the ledger: /readyz and /metrics say so,
    // commands are still recorded and answer at once with ANSWER_INCOMPLETE and what they
    // wrote (never a refusal code), a restarted server still starts, and once the view can
    // apply the event again everything catches up.
    let server = Server::start();
    let cast = Cast::register(&server);
    let shift = open_shift(&server, &cast.cashier, "100.00").await;
    let card = open_card(&server, &cast.cashier, "CARD-STALL").await;
    let next = server.event_count().await + 1;
    block_the_views_at(&server, next).await;

    let before = server.event_count().await;
    let answer = server
        .gql(
            Some(&cast.cashier.token),
            DEPOSIT,
            json!({ "account": card, "amount": "50.00", "method": "CASH", "shift": shift, "key": "stalled-1" }),
        )
        .await;
    assert_eq!(
        server.event_count().await,
        before + 2,
        "the deposit is recorded"
    );
    let error = &answer["errors"][0];
    assert_eq!(error["extensions"]["code"], "ANSWER_INCOMPLETE", "{answer}");
    let written: Vec<&str> = error["extensions"]["written"]
        .as_array()
        .expect("what was written")
        .iter()
        .map(|w| w["type"].as_str().expect("a type"))
        .collect();
    assert_eq!(written, ["DepositReceived", "ReceiptIssued"]);
    assert_eq!(error["extensions"]["written"][0]["accountId"], card);

    // Reported while stalled.
    let mut stalled = (0, String::new());
    for _ in 0..100 {
        stalled = server.get_blocking("/readyz");
        if stalled.1.starts_with("stalled") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(stalled.0, 503, "{stalled:?}");
    assert!(stalled.1.contains("stalled"), "{stalled:?}");
    let (_, metrics) = server.get_blocking("/metrics");
    assert!(metrics.contains("yika_views_stalled 1"), "{metrics}");

    // A command while stalled answers at once, not after the 5 s read-your-writes wait.
    let started = std::time::Instant::now();
    let second = server
        .gql(
            Some(&cast.cashier.token),
            DEPOSIT,
            json!({ "account": card, "amount": "25.00", "method": "CASH", "shift": shift, "key": "stalled-2" }),
        )
        .await;
    assert_eq!(
        second["errors"][0]["extensions"]["code"],
        "ANSWER_INCOMPLETE"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );

    // A restarted server starts while the views are stalled.
    let data = server.stop();
    let server = Server::spawn_unready(data, &[], "warn", std::process::Stdio::inherit());
    assert_eq!(server.get_blocking("/healthz").0, 200);

    // Unblocked, the views apply what was recorded meanwhile.
    unblock_the_views(&server).await;
    server.wait_ready();
    let account = server
        .ok(&cast.cashier.token, ACCOUNT, json!({ "id": card }))
        .await;
    assert_eq!(account["account"]["balance"], "75.00");
    let (_, metrics) = server.get_blocking("/metrics");
    assert!(metrics.contains("yika_views_stalled 0"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_the_caller_may_not_read_is_refused_before_anything_is_written() {
    // Goal: a department's deduction selecting the account's statement, which a department may
    // not read, and a deposit selecting a statement page above the limit, are refused with
    // their codes before the command runs: the card is not charged, nothing is written.
    let server = Server::start();
    let cast = Cast::register(&server);
    let shift = open_shift(&server, &cast.cashier, "0.00").await;
    let card = open_card(&server, &cast.cashier, "CARD-READ").await;
    deposit(&server, &cast.cashier, &card, &shift, "100.00").await;
    let before = server.event_count().await;

    let deduct = "mutation($account: UUID!) {
      deduct(input: { accountId: $account, amount: \"10.00\", department: \"Lab\", orderId: \"R-1\", itemCode: \"LAB\" }) {
        id account { statement { totalCount } }
      }
    }";
    let answer: Value = server
        .gql(Some(&cast.lab.token), deduct, json!({ "account": card }))
        .await;
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{answer}"
    );
    let big_page = "mutation($account: UUID!, $shift: UUID!) {
      deposit(input: { accountId: $account, amount: \"1.00\", method: CASH, shiftId: $shift, idempotencyKey: \"page\" }) {
        id account { statement(first: 1000) { totalCount } }
      }
    }";
    let answer: Value = server
        .gql(
            Some(&cast.cashier.token),
            big_page,
            json!({ "account": card, "shift": shift }),
        )
        .await;
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "LIMIT_EXCEEDED",
        "{answer}"
    );
    assert_eq!(server.event_count().await, before, "nothing was written");
    let account = server
        .ok(&cast.cashier.token, ACCOUNT, json!({ "id": card }))
        .await;
    assert_eq!(account["account"]["balance"], "100.00");
}
