//! Live subscriptions over WebSocket (graphql-transport-ws at /graphql/ws).

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::support::*;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// How long a test waits for a message it expects.
const WAIT: Duration = Duration::from_secs(10);

/// Opens /graphql/ws with the graphql-transport-ws subprotocol and sends connection_init.
async fn connect(server: &Server, payload: Value) -> Socket {
    let mut socket = open(server).await;
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": payload }),
    )
    .await;
    socket
}

/// Opens /graphql/ws with the graphql-transport-ws subprotocol.
async fn open(server: &Server) -> Socket {
    let url = server.url.replace("http://", "ws://") + "/ws";
    let mut request = url.into_client_request().expect("a WebSocket request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().expect("a header value"),
    );
    let (socket, response) = tokio_tungstenite::connect_async(request)
        .await
        .expect("the WebSocket upgrade succeeds");
    assert_eq!(
        response
            .headers()
            .get("sec-websocket-protocol")
            .and_then(|v| v.to_str().ok()),
        Some("graphql-transport-ws")
    );
    socket
}

async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::text(message.to_string()))
        .await
        .expect("the message is sent");
}

/// The next JSON message (pings are answered), or `None` when the server closed the socket.
async fn next(socket: &mut Socket) -> Option<Value> {
    loop {
        let message = tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("a message within the wait")?;
        match message.expect("a readable message") {
            Message::Text(text) => {
                let value: Value = serde_json::from_str(&text).expect("JSON");
                if value["type"] == "ping" {
                    send(socket, json!({ "type": "pong" })).await;
                    continue;
                }
                return Some(value);
            }
            Message::Close(frame) => {
                return Some(json!({
                    "closed": frame.as_ref().map(|f| u16::from(f.code)),
                    "reason": frame.map(|f| f.reason.to_string()),
                }));
            }
            _ => continue,
        }
    }
}

/// Returns once every subscription sent so far on `socket` has started. A last subscription,
/// "probe", follows the whole ledger; cards are opened until it reports one. The server starts
/// a connection's new subscriptions together, before any of them can deliver, so when the
/// probe delivers, the earlier ones had started before the card that it reports was opened.
/// The probe's messages keep coming: readers skip id "probe".
async fn until_live(server: &Server, socket: &mut Socket, cashier: &StaffMember) {
    subscribe(
        socket,
        "probe",
        "subscription { ledgerEvents(filter: { eventTypes: [\"AccountOpened\"] }) { position } }",
        json!({}),
    )
    .await;
    for attempt in 0..50 {
        open_card(server, cashier, &format!("PROBE-{attempt}")).await;
        match tokio::time::timeout(Duration::from_millis(200), socket.next()).await {
            Err(_) => continue,
            Ok(message) => {
                let text = message
                    .expect("open")
                    .expect("readable")
                    .into_text()
                    .expect("text");
                let value: Value = serde_json::from_str(&text).expect("JSON");
                assert_eq!(value["id"], "probe", "{value}");
                return;
            }
        }
    }
    panic!("the subscriptions did not start");
}

async fn subscribe(socket: &mut Socket, id: &str, query: &str, variables: Value) {
    send(
        socket,
        json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } }),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dashboard_sees_another_clients_deposit_live() {
    // Goal: a controller's dashboard subscribed over graphql-transport-ws receives balanceChanged, ledgerEvents and shiftUpdated for a deposit made by a cashier on another connection, and the views already hold the change when the message arrives.
    let server = Server::start();
    let cast = Cast::register(&server);
    let controller = server.staff_add("F001", "Controller", "CONTROLLER", None);
    let shift = open_shift(&server, &cast.cashier, "300.00").await;
    let account = open_card(&server, &cast.cashier, "LIVE0001").await;

    let mut dashboard = connect(
        &server,
        json!({ "Authorization": format!("Bearer {}", controller.token) }),
    )
    .await;
    assert_eq!(
        next(&mut dashboard).await.unwrap()["type"],
        "connection_ack"
    );
    subscribe(
        &mut dashboard,
        "balance",
        "subscription($a: UUID!) { balanceChanged(accountId: $a) { id balance deposited } }",
        json!({ "a": account }),
    )
    .await;
    subscribe(
        &mut dashboard,
        "events",
        "subscription($a: UUID!) { ledgerEvents(filter: { accountId: $a, eventTypes: [\"DepositReceived\", \"ChargeDeducted\"] }) { type position correlationId actor { staffNo } } }",
        json!({ "a": account }),
    )
    .await;
    subscribe(
        &mut dashboard,
        "shift",
        "subscription($s: UUID) { shiftUpdated(shiftId: $s) { id transactionCount expectedCash } }",
        json!({ "s": shift }),
    )
    .await;
    // Subscriptions follow from the moment they start: wait until they have.
    until_live(&server, &mut dashboard, &cast.cashier).await;

    // Another client: the cashier deposits over plain HTTP, while the dashboard listens (so a
    // message may arrive before the cashier has its answer).
    let paid = deposit(&server, &cast.cashier, &account, &shift, "120.50");
    let mut seen = std::collections::BTreeMap::new();
    let listen = async {
        while seen.len() < 3 {
            let message = next(&mut dashboard).await.expect("the socket stays open");
            assert_eq!(message["type"], "next", "{message}");
            if message["id"] == "probe" {
                continue;
            }
            let id = message["id"].as_str().expect("an id").to_owned();
            let data = message["payload"]["data"].clone();
            if id == "balance" && !seen.contains_key("balance") {
                // Delivered after the view has the change: a query right now sees it.
                let now = server
                    .ok(&controller.token, ACCOUNT, json!({ "id": account }))
                    .await;
                assert_eq!(now["account"]["balance"], "120.50");
            }
            seen.entry(id).or_insert(data);
        }
    };
    tokio::join!(paid, listen);
    assert_eq!(
        seen["balance"]["balanceChanged"],
        json!({ "id": account, "balance": "120.50", "deposited": "120.50" })
    );
    assert_eq!(seen["events"]["ledgerEvents"]["type"], "DepositReceived");
    assert_eq!(seen["events"]["ledgerEvents"]["actor"]["staffNo"], "C001");
    assert_eq!(seen["shift"]["shiftUpdated"]["id"], shift);
    assert_eq!(seen["shift"]["shiftUpdated"]["expectedCash"], "420.50");

    // A deduction on the account is the next change of its balance and its next event.
    server
        .ok(
            &cast.lab.token,
            DEDUCT,
            json!({ "account": account, "amount": "20.50", "department": "Lab", "order": "ORD-LIVE-1", "item": "LAB-1" }),
        )
        .await;
    let mut balances = Vec::new();
    while balances.is_empty() {
        let message = next(&mut dashboard).await.expect("open");
        assert_eq!(message["type"], "next", "{message}");
        if message["id"] == "balance" {
            balances.push(message["payload"]["data"]["balanceChanged"]["balance"].clone());
        } else if message["id"] == "events" {
            assert_eq!(
                message["payload"]["data"]["ledgerEvents"]["type"],
                "ChargeDeducted"
            );
        }
    }
    assert_eq!(balances, vec![json!("100.00")]);

    // Completing a subscription stops it.
    send(
        &mut dashboard,
        json!({ "id": "balance", "type": "complete" }),
    )
    .await;
    let _ = dashboard.close(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_need_a_token_and_the_audit_roles() {
    // Goal: a connection_init without a valid token is closed (UNAUTHENTICATED); a department terminal may not follow the ledger (FORBIDDEN) nor a shift it does not own; an unknown account is NOT_FOUND.
    let server = Server::start();
    let cast = Cast::register(&server);
    let shift = open_shift(&server, &cast.cashier, "0.00").await;

    // async-graphql closes a refused connection_init with 1002 and the resolver's message.
    let mut stranger = connect(&server, json!({ "Authorization": "Bearer yk_not-a-token" })).await;
    let closed = next(&mut stranger).await.expect("a close frame");
    assert_eq!(closed["closed"], 1002, "{closed}");
    assert!(
        closed["reason"]
            .as_str()
            .unwrap()
            .starts_with("UNAUTHENTICATED"),
        "{closed}"
    );
    let mut nobody = connect(&server, json!({})).await;
    let closed = next(&mut nobody).await.expect("a close frame");
    assert!(
        closed["reason"]
            .as_str()
            .unwrap()
            .starts_with("UNAUTHENTICATED"),
        "{closed}"
    );

    let mut lab = connect(&server, json!({ "token": cast.lab.token })).await;
    assert_eq!(next(&mut lab).await.unwrap()["type"], "connection_ack");
    subscribe(
        &mut lab,
        "1",
        "subscription { ledgerEvents { type } }",
        json!({}),
    )
    .await;
    assert_eq!(refusal(&mut lab, "1").await, "FORBIDDEN");
    subscribe(
        &mut lab,
        "2",
        "subscription($s: UUID) { shiftUpdated(shiftId: $s) { id } }",
        json!({ "s": shift }),
    )
    .await;
    assert_eq!(refusal(&mut lab, "2").await, "FORBIDDEN");
    subscribe(
        &mut lab,
        "3",
        "subscription($a: UUID!) { balanceChanged(accountId: $a) { id } }",
        json!({ "a": uuid::Uuid::now_v7() }),
    )
    .await;
    assert_eq!(
        refusal(&mut lab, "3").await,
        "FORBIDDEN",
        "a department does not follow an account's history (issue 14)"
    );
}

/// A refused subscription: a `next` carrying the error (then `complete`); returns its code.
async fn refusal(socket: &mut Socket, id: &str) -> String {
    let message = next(socket).await.expect("open");
    assert_eq!(
        (message["type"].as_str(), message["id"].as_str()),
        (Some("next"), Some(id)),
        "{message}"
    );
    assert_eq!(message["payload"]["data"], Value::Null, "{message}");
    let code = message["payload"]["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("a code in {message}"))
        .to_owned();
    let complete = next(socket).await.expect("open");
    assert_eq!(complete, json!({ "type": "complete", "id": id }));
    code
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_that_never_authenticates_is_dropped() {
    // Goal: a WebSocket that sends no connection_init does not hold one of the server's live
    // connection slots for ever: the server ends it after its init timeout (10 s).
    let server = Server::start();
    let mut idle = open(&server).await;
    let end = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match idle.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await;
    assert!(end.is_ok(), "the server ended the idle socket");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_closes_its_live_connection() {
    // Goal: issue 14: a token revoked from the command line ends the live connection that was
    // opened with it (within about a second), not only its next HTTP request.
    let server = Server::start();
    let finance = server.staff_add("F001", "Controller", "CONTROLLER", None);
    let mut socket = connect(
        &server,
        json!({ "Authorization": format!("Bearer {}", finance.token) }),
    )
    .await;
    assert_eq!(
        next(&mut socket).await.expect("an answer")["type"],
        "connection_ack"
    );
    subscribe(
        &mut socket,
        "all",
        "subscription { ledgerEvents(filter: { eventTypes: [\"AccountOpened\"] }) { position } }",
        json!({}),
    )
    .await;
    let output = server
        .data
        .yika(&["staff", "revoke", "--staff-no", "F001"])
        .output()
        .expect("yika runs");
    assert!(output.status.success(), "{output:?}");
    let end = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match socket.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await;
    assert!(
        end.is_ok(),
        "the server closed the revoked token's connection"
    );
}
