//! Fuzzing the request path (issue 13): seeded random requests against the real server, built by
//! damaging valid GraphQL documents, variables and bodies (cut, repeated, swapped, nested, wrong
//! types, huge numbers, odd text), under every media type. No answer is a 5xx, none hangs, the
//! connection is never dropped without an answer, and the server stays healthy; the seed is
//! printed so that a failure can be replayed (`YIKA_FUZZ_SEED`).

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::*;

/// Valid documents to damage: queries and mutations over every capability.
const DOCUMENTS: [&str; 10] = [
    "{ me { id staffNo role department } }",
    "query($id: UUID) { account(id: $id) { id balance statement(first: 5) { totalCount edges { node { type amount position } } } } }",
    "{ accounts(first: 20) { totalCount edges { cursor node { id cardNo balance } } pageInfo { hasNextPage endCursor } } }",
    "{ dailyReport(date: \"2026-11-22\") { balances openingLiability byMethod { method amount } } }",
    "{ workload(from: \"2026-11-01\", to: \"2026-11-30\") { base rows { weighted } } }",
    "{ auditTrail(first: 10, filter: { eventTypes: [\"MoneyDeposited\"] }) { totalCount edges { node { type position } } } }",
    "mutation($a: UUID!, $m: Money!, $s: UUID!, $k: String!) { deposit(input: { accountId: $a, amount: $m, method: CASH, shiftId: $s, idempotencyKey: $k }) { id amount } }",
    "mutation($k: String!) { openShift(input: { window: \"W1\", openingFloat: \"100.00\", idempotencyKey: $k }) { id status } }",
    "mutation($a: UUID!, $m: Money!) { deduct(input: { accountId: $a, amount: $m, department: \"Lab\", orderId: \"F-1\", itemCode: \"X\" }) { id } }",
    "{ trialBalance { balanced totalDebit } shifts(first: 5) { totalCount } }",
];

/// Odd values for variables and literals.
fn odd_value(rng: &mut fastrand::Rng) -> Value {
    match rng.u8(..16) {
        0 => json!(null),
        1 => json!(rng.i64(..)),
        2 => json!(1e308),
        3 => json!("-0.001"),
        4 => json!("99999999999999999999999999.99"),
        5 => json!("+262142-12-31"),
        6 => json!("１２.５０"),
        7 => json!("\u{0}\u{202e}'; DROP TABLE events; --"),
        8 => json!("x".repeat(rng.usize(0..5_000))),
        9 => json!([1, "2", null, {}]),
        10 => json!({ "__proto__": { "a": 1 } }),
        11 => json!(uuid()),
        12 => json!(true),
        13 => json!("10000000.00"),
        14 => json!(""),
        _ => json!(format!("{}", rng.i64(..))),
    }
}

/// A damaged copy of a document.
fn damaged(rng: &mut fastrand::Rng, document: &str) -> String {
    let mut text: Vec<char> = document.chars().collect();
    for _ in 0..rng.usize(1..4) {
        if text.is_empty() {
            break;
        }
        let at = rng.usize(..text.len());
        match rng.u8(..7) {
            0 => text.truncate(at),
            1 => {
                text.remove(at);
            }
            2 => text.insert(
                at,
                ['{', '}', '(', ')', '$', '"', '\\', ':', '@', '!', '#'][rng.usize(..11)],
            ),
            3 => {
                let end = (at + rng.usize(1..40)).min(text.len());
                let copy: Vec<char> = text[at..end].to_vec();
                text.splice(end..end, copy);
            }
            4 => {
                let nest = "a: me { ".repeat(rng.usize(1..30));
                text.splice(at..at, nest.chars());
            }
            5 => text[at] = char::from_u32(rng.u32(..0x11_0000)).unwrap_or('?'),
            _ => {
                let alias = format!(
                    " x{}: dailyReport(date: \"2026-11-22\") {{ balances }} ",
                    rng.u32(..)
                );
                text.splice(at..at, alias.chars());
            }
        }
    }
    text.into_iter().collect()
}

/// One random request body.
fn body(rng: &mut fastrand::Rng) -> Vec<u8> {
    let document = DOCUMENTS[rng.usize(..DOCUMENTS.len())];
    match rng.u8(..10) {
        0 => (0..rng.usize(0..300)).map(|_| rng.u8(..)).collect(),
        1 => b"{\"query\":".to_vec(),
        2 => serde_json::to_vec(&json!({ "query": odd_value(rng) })).expect("JSON"),
        3 => serde_json::to_vec(&json!({ "query": document, "variables": odd_value(rng) }))
            .expect("JSON"),
        4 => serde_json::to_vec(&json!([{ "query": document }, { "query": document }]))
            .expect("JSON"),
        _ => {
            let mut variables = serde_json::Map::new();
            for name in ["id", "a", "m", "s", "k"] {
                match rng.u8(..3) {
                    0 => {
                        variables.insert(name.to_owned(), odd_value(rng));
                    }
                    1 => {}
                    _ => {
                        let fair = match name {
                            "m" => json!(format!("{}.{:02}", rng.u32(..100), rng.u32(..100))),
                            "k" => json!(format!("fuzz-{}", rng.u32(..))),
                            _ => json!(uuid()),
                        };
                        variables.insert(name.to_owned(), fair);
                    }
                }
            }
            let query = if rng.u8(..3) == 0 {
                damaged(rng, document)
            } else {
                document.to_owned()
            };
            let mut request = json!({ "query": query, "variables": variables });
            if rng.u8(..5) == 0 {
                request["operationName"] = odd_value(rng);
            }
            serde_json::to_vec(&request).expect("JSON")
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_requests_never_get_a_5xx_a_hang_or_a_dropped_connection() {
    let seed = std::env::var("YIKA_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    println!("YIKA_FUZZ_SEED={seed}");
    let mut rng = fastrand::Rng::with_seed(seed);
    let server = Server::start();
    let cast = Cast::register(&server);
    let shift = open_shift(&server, &cast.cashier, "100.00").await;
    let card = open_card(&server, &cast.cashier, "CARD-FUZZ").await;
    deposit(&server, &cast.cashier, &card, &shift, "50.00").await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("a client");
    let tokens = [
        None,
        Some(cast.cashier.token.clone()),
        Some(cast.lab.token.clone()),
        Some(cast.admin.token.clone()),
        Some("not-a-token".to_owned()),
    ];
    let media = [
        "application/json",
        "application/graphql-response+json",
        "text/plain",
        "application/json; charset=latin1",
        "",
    ];
    let mut executed = 0;
    for n in 0..2_000 {
        let body = body(&mut rng);
        let mut request = if rng.u8(..8) == 0 {
            let query: String = form_urlencoded::Serializer::new(String::new())
                .append_pair("query", &String::from_utf8_lossy(&body))
                .finish();
            client.get(format!("{}?{query}", server.url))
        } else {
            client.post(&server.url).body(body.clone())
        };
        // Mostly what a client sends, so that most requests reach validation and execution.
        let pick = |rng: &mut fastrand::Rng| {
            if rng.u8(..4) == 0 {
                media[rng.usize(..media.len())]
            } else {
                media[0]
            }
        };
        let content_type = pick(&mut rng);
        if !content_type.is_empty() {
            request = request.header("content-type", content_type);
        }
        request = request.header("accept", pick(&mut rng));
        if let Some(token) = &tokens[rng.usize(..tokens.len())] {
            request = request.bearer_auth(token);
        }
        let answer = request.send().await.unwrap_or_else(|error| {
            panic!(
                "seed {seed}, request {n}: no answer ({error}) to {}",
                String::from_utf8_lossy(&body)
            )
        });
        let status = answer.status();
        assert!(
            !status.is_server_error(),
            "seed {seed}, request {n}: {status} for {}",
            String::from_utf8_lossy(&body)
        );
        let text = answer.text().await.unwrap_or_else(|error| {
            panic!("seed {seed}, request {n}: the answer broke off ({error})")
        });
        if serde_json::from_str::<Value>(&text)
            .is_ok_and(|v| v.get("data").is_some_and(|d| !d.is_null()))
        {
            executed += 1;
        }
    }
    println!("seed {seed}: {executed} of 2000 requests reached execution");
    assert!(
        executed > 20,
        "seed {seed}: the fuzzing reaches the resolvers ({executed})"
    );
    let (status, _) = server.get_blocking("/healthz");
    assert_eq!(status, 200, "seed {seed}: the server is alive");
    let account = server
        .ok(
            &cast.cashier.token,
            "query($id: UUID!) { account(id: $id) { balance } }",
            json!({ "id": card }),
        )
        .await;
    assert!(
        account["account"]["balance"].as_str().is_some(),
        "seed {seed}: the ledger still answers"
    );
}
