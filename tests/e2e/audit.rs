//! The audit trail: pages in log order that walk every event exactly once while new events
//! arrive, filters, and who may read it.

use serde_json::json;

use crate::support::*;

const TRAIL: &str = "query($filter: EventFilter, $after: String) { auditTrail(filter: $filter, first: 5, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id position type streamId actor { staffNo } hash } } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_trail_pages_walk_every_event_once_while_events_arrive() {
    // Goal: paging 5 at a time from the start, with a deposit made between pages, visits
    // positions 1, 2, 3, … with no gap and no repeat, ending at the log's head.
    let server = Server::start();
    let cast = Cast::register(&server);
    let controller = server.staff_add("F001", "Chen Jing", "CONTROLLER", None);
    let shift = open_shift(&server, &cast.cashier, "0.00").await;
    let card = open_card(&server, &cast.cashier, "AU-1").await;
    deposit(&server, &cast.cashier, &card, &shift, "10.00").await;

    let mut seen: Vec<i64> = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    let mut deposits = 1;
    loop {
        let page = server
            .ok(&controller.token, TRAIL, json!({ "after": after }))
            .await;
        let trail = &page["auditTrail"];
        for edge in trail["edges"].as_array().unwrap() {
            seen.push(edge["node"]["position"].as_i64().unwrap());
            assert_eq!(edge["cursor"], edge["node"]["position"].to_string());
        }
        pages += 1;
        if trail["pageInfo"]["hasNextPage"] == false {
            break;
        }
        if pages <= 3 {
            // New events arrive while the auditor pages.
            deposit(&server, &cast.cashier, &card, &shift, "1.00").await;
            deposits += 1;
        }
        after = trail["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        assert!(pages < 100, "the walk ends");
    }
    let head = server.event_count().await;
    assert_eq!(
        seen,
        (1..=head).collect::<Vec<_>>(),
        "every event exactly once, in log order"
    );

    // Filters: the account's events only; and an event by id.
    let account = server
        .ok(
            &controller.token,
            TRAIL,
            json!({ "filter": { "accountId": card, "eventTypes": ["DepositReceived"] } }),
        )
        .await;
    assert_eq!(account["auditTrail"]["totalCount"], deposits);
    assert!(deposits > 1, "events arrived during the walk");
    let first = &account["auditTrail"]["edges"][0]["node"];
    assert_eq!(first["type"], "DepositReceived");
    assert_eq!(first["actor"]["staffNo"], "C001");
    let by_id = server
        .ok(
            &controller.token,
            "query($id: UUID!) { event(id: $id) { position hash } }",
            json!({ "id": first["id"] }),
        )
        .await;
    assert_eq!(by_id["event"]["hash"], first["hash"]);

    // A cashier reads only its own shift's events; departments not at all.
    assert_eq!(
        server
            .refused(Some(&cast.cashier.token), TRAIL, json!({}))
            .await,
        "FORBIDDEN"
    );
    let own = server
        .ok(
            &cast.cashier.token,
            TRAIL,
            json!({ "filter": { "shiftId": shift } }),
        )
        .await;
    assert!(own["auditTrail"]["totalCount"].as_i64().unwrap() > 0);
    let other = server.staff_add("C002", "Li Na", "CASHIER", None);
    assert_eq!(
        server
            .refused(
                Some(&other.token),
                TRAIL,
                json!({ "filter": { "shiftId": shift } })
            )
            .await,
        "FORBIDDEN"
    );
    assert_eq!(
        server
            .refused(Some(&cast.lab.token), TRAIL, json!({}))
            .await,
        "FORBIDDEN"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_trail_filters_by_actor_department_and_time() {
    // Goal: actorId, department and the [from, to) time range each select exactly the events a
    // naive filter over the whole unfiltered trail selects, in log order.
    let server = Server::start();
    let cast = Cast::register(&server);
    let controller = server.staff_add("F001", "Chen Jing", "CONTROLLER", None);
    let shift = open_shift(&server, &cast.cashier, "0.00").await;
    let card = open_card(&server, &cast.cashier, "AF-1").await;
    deposit(&server, &cast.cashier, &card, &shift, "50.00").await;
    for (n, department) in [(1, "Lab"), (2, "Lab"), (3, "Pharmacy")] {
        let token = if department == "Lab" {
            &cast.lab.token
        } else {
            &cast.pharmacy.token
        };
        server
            .ok(token, DEDUCT, json!({ "account": card, "amount": "1.00", "department": department, "order": format!("AF-O{n}"), "item": "X" }))
            .await;
    }
    deposit(&server, &cast.cashier, &card, &shift, "5.00").await;

    const ALL: &str = "query($filter: EventFilter) { auditTrail(filter: $filter, first: 200) { totalCount edges { node { position type recordedAt actor { id } payload } } } }";
    let positions = |page: &serde_json::Value| -> Vec<i64> {
        page["auditTrail"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["position"].as_i64().unwrap())
            .collect()
    };
    let everything = server.ok(&controller.token, ALL, json!({})).await;
    let nodes: Vec<serde_json::Value> = everything["auditTrail"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    let naive = |keep: &dyn Fn(&serde_json::Value) -> bool| -> Vec<i64> {
        nodes
            .iter()
            .filter(|n| keep(n))
            .map(|n| n["position"].as_i64().unwrap())
            .collect()
    };

    // By actor: the lab terminal's two deductions.
    let by_lab = server
        .ok(
            &controller.token,
            ALL,
            json!({ "filter": { "actorId": cast.lab.id } }),
        )
        .await;
    let expected = naive(&|n| n["actor"]["id"] == cast.lab.id.as_str());
    assert_eq!(expected.len(), 2);
    assert_eq!(positions(&by_lab), expected);

    // By department: the pharmacy terminal's registration and its deduction.
    let by_pharmacy = server
        .ok(
            &controller.token,
            ALL,
            json!({ "filter": { "department": "Pharmacy" } }),
        )
        .await;
    let expected = naive(&|n| {
        n["payload"]
            .as_str()
            .unwrap()
            .contains("\"department\":\"Pharmacy\"")
    });
    assert_eq!(expected.len(), 2);
    assert_eq!(positions(&by_pharmacy), expected);

    // By time: from the first deduction's time (inclusive) to the last deposit's (exclusive).
    let first_charge = nodes
        .iter()
        .find(|n| n["type"] == "ChargeDeducted")
        .unwrap();
    let last = nodes.last().unwrap();
    let (from, to) = (
        first_charge["recordedAt"].as_str().unwrap(),
        last["recordedAt"].as_str().unwrap(),
    );
    let instant = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap();
    let expected = naive(&|n| {
        let t = instant(n["recordedAt"].as_str().unwrap());
        t >= instant(from) && t < instant(to)
    });
    assert!(!expected.is_empty() && expected.len() < nodes.len());
    let by_time = server
        .ok(
            &controller.token,
            ALL,
            json!({ "filter": { "from": from, "to": to } }),
        )
        .await;
    assert_eq!(positions(&by_time), expected);
    assert_eq!(by_time["auditTrail"]["totalCount"], expected.len());
}
