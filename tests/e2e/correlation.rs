//! Correlation ids: each request's id is in the answer's header, in the metadata of every
//! event it wrote, and in the server's structured log lines.

use serde_json::{Value, json};

use crate::support::*;

const TRAIL: &str = "query($a: UUID!) { auditTrail(filter: { accountId: $a }) { edges { node { type correlationId } } } }";

async fn post(
    server: &Server,
    token: &str,
    correlation: Option<&str>,
    query: &str,
    variables: Value,
) -> (String, Value) {
    let mut request = reqwest::Client::new()
        .post(&server.url)
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(id) = correlation {
        request = request.header("x-correlation-id", id);
    }
    let response = request.send().await.expect("an answer");
    let id = response.headers()["x-correlation-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.expect("JSON");
    assert!(body.get("errors").is_none(), "{body}");
    (id, body["data"].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_requests_correlation_id_reaches_its_events_and_the_logs() {
    // Goal: a client's x-correlation-id is echoed and stored in the metadata of every event the request wrote; without one the server makes one, returns it, and stores it; the JSON log lines of the request carry it.
    let log_dir = tempfile::tempdir().unwrap();
    let log = log_dir.path().join("yika.log");
    let server = Server::start_logging(&log, &["--log-format", "json"]);
    let cast = Cast::register(&server);
    let controller = server.staff_add("F001", "Controller", "CONTROLLER", None);
    let shift = open_shift(&server, &cast.cashier, "0.00").await;

    // No header: the server's own id, returned and stored.
    let (opened_by, data) = post(
        &server,
        &cast.cashier.token,
        None,
        OPEN_ACCOUNT,
        json!({ "kind": "OUTPATIENT_CARD", "patient": "P-C1", "card": "CORR0001", "key": "open-CORR0001" }),
    )
    .await;
    let account = data["openAccount"]["id"].as_str().unwrap().to_owned();
    // A UUID in its hyphenated 8-4-4-4-12 form.
    assert_eq!(
        uuid::Uuid::parse_str(&opened_by).map(|id| id.hyphenated().to_string()),
        Ok(opened_by.clone())
    );

    // The client's id, echoed and stored.
    let chosen = "0192f3a4-5b6c-7d8e-9fa0-b1c2d3e4f506";
    let (echoed, _) = post(
        &server,
        &cast.cashier.token,
        Some(chosen),
        DEPOSIT,
        json!({ "account": account, "amount": "50.00", "method": "CASH", "shift": shift, "key": "dep-corr-1" }),
    )
    .await;
    assert_eq!(echoed, chosen);

    let trail = server
        .ok(&controller.token, TRAIL, json!({ "a": account }))
        .await;
    let events: Vec<(String, String)> = trail["auditTrail"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["type"].as_str().unwrap().to_owned(),
                e["node"]["correlationId"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let of = |ty: &str| {
        events
            .iter()
            .find(|(t, _)| t == ty)
            .unwrap_or_else(|| panic!("{ty} in {events:?}"))
            .1
            .clone()
    };
    assert_eq!(of("AccountOpened"), opened_by);
    assert_eq!(of("CardAssigned"), opened_by);
    assert_eq!(of("DepositReceived"), chosen);
    assert_eq!(of("ReceiptIssued"), chosen);

    // The log: JSON lines, the request's span carries the id.
    let mut found = false;
    for _ in 0..50 {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        found = text
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .any(|line| {
                line["span"]["correlation_id"] == chosen && line["fields"]["message"] == "graphql"
            });
        if found {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        found,
        "no JSON log line with the correlation id in {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
}
