//! The read matrix (issue 14, item 2): every query, every account field and every
//! subscription, asked by every role, is answered or refused (FORBIDDEN) exactly as
//! docs/operations.md's table says. A department terminal sees an account by its card or id,
//! with only what a deduction needs; it never lists accounts or follows their history.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::support::*;

const ROLES: [&str; 6] = [
    "CASHIER",
    "DEPARTMENT",
    "CONTROLLER",
    "AUDITOR",
    "SUPERVISOR",
    "ADMIN",
];
const ALL: &[&str] = &ROLES;
const NOT_DEPARTMENT: &[&str] = &["CASHIER", "CONTROLLER", "AUDITOR", "SUPERVISOR", "ADMIN"];
const FINANCE: &[&str] = &["CONTROLLER", "AUDITOR", "SUPERVISOR", "ADMIN"];
const FINANCE_AND_CASHIER: &[&str] = NOT_DEPARTMENT;

/// The queries and account fields, with who may read them.
fn queries() -> Vec<(&'static str, String, &'static [&'static str])> {
    let mut cases: Vec<(&'static str, String, &'static [&'static str])> = vec![
        ("me", "{ me { staffNo } }".into(), ALL),
        (
            "account(id) { id kind status cardNo balance inArrears revision }",
            "query($a: UUID) { account(id: $a) { id kind status cardNo balance inArrears revision } }".into(),
            ALL,
        ),
        (
            "account(cardNo)",
            "{ account(cardNo: \"MATRIX-1\") { id balance } }".into(),
            ALL,
        ),
        (
            "accounts",
            "{ accounts(first: 5) { totalCount } }".into(),
            FINANCE,
        ),
        (
            "accounts(filter: { patientId })",
            "{ accounts(filter: { patientId: \"P-MATRIX-1\" }) { totalCount } }".into(),
            FINANCE_AND_CASHIER,
        ),
        (
            "balanceAsOf",
            "query($a: UUID!) { balanceAsOf(accountId: $a, at: \"2030-01-01T00:00:00Z\") }".into(),
            NOT_DEPARTMENT,
        ),
        (
            "shift(id) of the cashier",
            "query($s: UUID!) { shift(id: $s) { id expectedCash } }".into(),
            FINANCE_AND_CASHIER,
        ),
        (
            "shifts",
            "{ shifts(first: 5) { totalCount } }".into(),
            FINANCE_AND_CASHIER,
        ),
        (
            "dailyReport",
            "{ dailyReport(date: \"2026-11-22\") { balances } }".into(),
            FINANCE,
        ),
        ("trialBalance", "{ trialBalance { balanced } }".into(), FINANCE),
        (
            "departmentRevenue",
            "{ departmentRevenue(from: \"2026-11-01T00:00:00Z\", to: \"2026-11-02T00:00:00Z\") { net } }".into(),
            FINANCE,
        ),
        (
            "auditTrail",
            "{ auditTrail(first: 5) { totalCount } }".into(),
            FINANCE,
        ),
        (
            "auditTrail(filter: { shiftId }) of the cashier",
            "query($s: UUID!) { auditTrail(first: 5, filter: { shiftId: $s }) { totalCount } }".into(),
            FINANCE_AND_CASHIER,
        ),
        (
            "event(id)",
            "query($a: UUID!) { event(id: $a) { position } }".into(),
            FINANCE,
        ),
        ("verifyLedger", "{ verifyLedger { chainIntact } }".into(), FINANCE),
        (
            "workload",
            "{ workload(from: \"2026-11-01\", to: \"2026-11-30\") { base } }".into(),
            FINANCE,
        ),
        (
            "workloadByHour",
            "{ workloadByHour(from: \"2026-11-01\", to: \"2026-11-30\") { hour } }".into(),
            FINANCE,
        ),
        (
            "reconciliation",
            "{ reconciliation(method: WECHAT, date: \"2026-11-22\") { difference } }".into(),
            FINANCE,
        ),
        ("receivables", "{ receivables { owed } }".into(), FINANCE),
        (
            "myWorkload (the caller's own)",
            "{ myWorkload(from: \"2026-11-01\", to: \"2026-11-30\") { transactions } }".into(),
            ALL,
        ),
        (
            "monthlyReport",
            "{ monthlyReport(month: \"2026-11\") { balances } }".into(),
            FINANCE,
        ),
        (
            "dayCorrections",
            "{ dayCorrections(date: \"2026-11-22\") { position } }".into(),
            FINANCE,
        ),
        (
            "settlements",
            "{ settlements(first: 5) { pageInfo { hasNextPage } } }".into(),
            FINANCE,
        ),
        (
            "journal",
            "{ journal(first: 5) { pageInfo { hasNextPage } } }".into(),
            FINANCE,
        ),
    ];
    for field in [
        "patientId",
        "insuranceScheme",
        "deposited",
        "deducted",
        "reversed",
        "refunded",
        "lastActivityAt",
        "statement { totalCount }",
    ] {
        let name: &'static str = Box::leak(format!("Account.{field}").into_boxed_str());
        cases.push((
            name,
            format!("query($a: UUID) {{ account(id: $a) {{ {field} }} }}"),
            NOT_DEPARTMENT,
        ));
    }
    cases
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_query_and_subscription_answers_exactly_the_roles_the_matrix_names() {
    let server = Server::start();
    let cashier = server.staff_add("C001", "Cashier", "CASHIER", None);
    let mut tokens = BTreeMap::new();
    tokens.insert("CASHIER", cashier.token.clone());
    tokens.insert(
        "DEPARTMENT",
        server
            .staff_add("D001", "Lab", "DEPARTMENT", Some("Lab"))
            .token,
    );
    for role in ["CONTROLLER", "AUDITOR", "SUPERVISOR", "ADMIN"] {
        let no = format!("{}1", &role[..3]);
        tokens.insert(role, server.staff_add(&no, role, role, None).token);
    }
    let shift = open_shift(&server, &cashier, "100.00").await;
    let card = open_card(&server, &cashier, "MATRIX-1").await;
    deposit(&server, &cashier, &card, &shift, "50.00").await;
    let event_id = server
        .ok(
            &tokens["ADMIN"],
            "{ auditTrail(first: 1) { edges { node { id } } } }",
            json!({}),
        )
        .await["auditTrail"]["edges"][0]["node"]["id"]
        .clone();
    let variables = |query: &str| {
        let mut variables = serde_json::Map::new();
        if query.contains("$a: UUID!) { event") {
            variables.insert("a".into(), event_id.clone());
        } else if query.contains("$a") {
            variables.insert("a".into(), json!(card));
        }
        if query.contains("$s") {
            variables.insert("s".into(), json!(shift));
        }
        Value::Object(variables)
    };

    let mut wrong = Vec::new();
    for (name, query, allowed) in queries() {
        for role in ROLES {
            let answer = server
                .gql(Some(&tokens[role]), &query, variables(&query))
                .await;
            let code = answer["errors"][0]["extensions"]["code"].as_str();
            let expected_ok = allowed.contains(&role);
            match (expected_ok, code) {
                (true, None) | (false, Some("FORBIDDEN")) => {}
                _ => wrong.push(format!("{name} as {role}: {answer}")),
            }
        }
    }

    // Subscriptions: refused at once, or delivering the next deposit.
    let subscriptions: [(&str, &str, Value, &[&str]); 3] = [
        (
            "balanceChanged",
            "subscription($a: UUID!) { balanceChanged(accountId: $a) { balance } }",
            json!({ "a": card }),
            NOT_DEPARTMENT,
        ),
        (
            "shiftUpdated of the cashier",
            "subscription($s: UUID) { shiftUpdated(shiftId: $s) { id } }",
            json!({ "s": shift }),
            FINANCE_AND_CASHIER,
        ),
        (
            "ledgerEvents",
            "subscription { ledgerEvents(filter: { eventTypes: [\"DepositReceived\"] }) { position } }",
            json!({}),
            FINANCE,
        ),
    ];
    let mut sockets = Vec::new();
    for role in ROLES {
        let mut socket = connect(&server, &tokens[role]).await;
        for (n, (_, query, variables, _)) in subscriptions.iter().enumerate() {
            send(
                &mut socket,
                json!({ "id": n.to_string(), "type": "subscribe", "payload": { "query": query, "variables": variables } }),
            )
            .await;
        }
        sockets.push((role, socket));
    }
    // Let every subscription start, then deposit until each allowed one has delivered.
    let mut outcome: BTreeMap<(&str, usize), String> = BTreeMap::new();
    for round in 0..40 {
        deposit(&server, &cashier, &card, &shift, "1.00").await;
        for (role, socket) in &mut sockets {
            while let Ok(Some(Ok(message))) =
                tokio::time::timeout(Duration::from_millis(50), socket.next()).await
            {
                let Message::Text(text) = message else {
                    continue;
                };
                let value: Value = serde_json::from_str(&text).expect("JSON");
                if value["type"] == "ping" {
                    send(socket, json!({ "type": "pong" })).await;
                    continue;
                }
                let Some(id) = value["id"].as_str().and_then(|i| i.parse::<usize>().ok()) else {
                    continue;
                };
                let got = match value["payload"]["errors"][0]["extensions"]["code"].as_str() {
                    Some(code) => code.to_owned(),
                    None if value["type"] == "next" => "DATA".to_owned(),
                    None => continue,
                };
                outcome.entry((role, id)).or_insert(got);
            }
        }
        if outcome.len() == ROLES.len() * subscriptions.len() {
            break;
        }
        assert!(round < 39, "every subscription answered: {outcome:?}");
    }
    for (role, _) in &sockets {
        for (n, (name, _, _, allowed)) in subscriptions.iter().enumerate() {
            let expected = if allowed.contains(role) {
                "DATA"
            } else {
                "FORBIDDEN"
            };
            if outcome[&(*role, n)] != expected {
                wrong.push(format!(
                    "subscription {name} as {role}: {} (expected {expected})",
                    outcome[&(*role, n)]
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "cells that differ from the matrix:\n{}",
        wrong.join("\n")
    );
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(server: &Server, token: &str) -> Socket {
    let url = server.url.replace("http://", "ws://") + "/ws";
    let mut request = url.into_client_request().expect("a WebSocket request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().expect("a header value"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("the WebSocket upgrade succeeds");
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } }),
    )
    .await;
    let ack = tokio::time::timeout(Duration::from_secs(10), socket.next())
        .await
        .expect("an answer")
        .expect("open")
        .expect("readable");
    assert!(ack.to_string().contains("connection_ack"), "{ack}");
    socket
}

async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::text(message.to_string()))
        .await
        .expect("the message is sent");
}
