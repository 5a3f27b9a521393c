//! Concurrency: the balance rule holds under a storm of simultaneous deductions.

use serde_json::json;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_deductions_against_a_hundred_yuan_card() {
    // Goal: 200 concurrent 1.00 deductions (distinct orders) against 100.00: exactly 100
    // succeed, the rest are INSUFFICIENT_BALANCE, and the balance ends at 0.00.
    let server = std::sync::Arc::new(Server::start());
    let cast = Cast::register(&server);
    let shift = open_shift(&server, &cast.cashier, "0.00").await;
    let card = open_card(&server, &cast.cashier, "CARD-STORM").await;
    deposit(&server, &cast.cashier, &card, &shift, "100.00").await;

    let mut tasks = Vec::new();
    for n in 0..200 {
        let server = server.clone();
        let token = cast.lab.token.clone();
        let card = card.clone();
        tasks.push(tokio::spawn(async move {
            let variables = json!({ "account": card, "amount": "1.00", "department": "Lab", "order": format!("STORM-{n}"), "item": "X" });
            server.gql(Some(&token), DEDUCT, variables).await
        }));
    }
    let (mut succeeded, mut insufficient) = (0, 0);
    for task in tasks {
        let answer = task.await.expect("the task finishes");
        match answer["errors"][0]["extensions"]["code"].as_str() {
            None => succeeded += 1,
            Some("INSUFFICIENT_BALANCE") => insufficient += 1,
            Some(other) => panic!("unexpected refusal {other}: {answer}"),
        }
    }
    assert_eq!((succeeded, insufficient), (100, 100));
    let account = server
        .ok(&cast.cashier.token, ACCOUNT, json!({ "id": card }))
        .await;
    assert_eq!(account["account"]["balance"], "0.00");
    assert_eq!(account["account"]["deducted"], "100.00");
}
