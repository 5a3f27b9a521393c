//! Several API replicas on one PostgreSQL ledger (events and views), as behind a load balancer.

use serde_json::json;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(postgres_server),
    ignore = "SKIPPED: no PostgreSQL server; set YIKA_TEST_POSTGRES_URL to run it"
)]
async fn two_replicas_share_one_ledger_and_one_read_store() {
    // Goal: two servers on one PostgreSQL database take deposits on the same card at once; no deposit is lost or applied twice to the shared views, each replica reads its own writes and the other's, and the views equal a replay of the log.
    let Some(ledger) = Ledger::postgres("two_replicas_share_one_ledger_and_one_read_store") else {
        return;
    };
    let a = Server::start_in(ledger);
    let b = Server::start_in(a.data.replica());
    let cast = Cast::register(&a);
    let shift = open_shift(&a, &cast.cashier, "0.00").await;
    let card = open_card(&b, &cast.cashier, "REPLICA-1").await;

    let mut tasks = Vec::new();
    for (i, url) in [a.url.clone(), b.url.clone()].into_iter().enumerate() {
        let (card, shift, token) = (card.clone(), shift.clone(), cast.cashier.token.clone());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            for n in 0..15 {
                let answer: serde_json::Value = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({ "query": DEPOSIT, "variables": { "account": card, "amount": "10.00", "method": "CASH", "shift": shift, "key": format!("replica-{i}-{n}") } }))
                    .send()
                    .await
                    .expect("an answer")
                    .json()
                    .await
                    .expect("JSON");
                assert!(answer.get("errors").is_none(), "{answer}");
            }
        }));
    }
    for task in tasks {
        task.await.expect("the writer finishes");
    }
    // Read your writes on both replicas: each answers with the whole, exact balance.
    for server in [&a, &b] {
        let account = server
            .ok(&cast.cashier.token, ACCOUNT, json!({ "id": card }))
            .await;
        assert_eq!(account["account"]["balance"], "300.00");
        assert_eq!(account["account"]["deposited"], "300.00");
    }
    let shift_report = b
        .ok(
            &cast.cashier.token,
            "query($id: UUID!) { shift(id: $id) { transactionCount receiptsIssued expectedCash } }",
            json!({ "id": shift }),
        )
        .await;
    assert_eq!(
        shift_report["shift"],
        json!({ "transactionCount": 30, "receiptsIssued": 30, "expectedCash": "300.00" })
    );
    let output = a.data.yika(&["verify"]).output().expect("yika verify runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    drop(b);
}
