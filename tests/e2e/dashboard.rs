//! The dashboard (decision 0031) and GraphiQL in a real browser: Debian's headless Chromium
//! driven by playwright-core (`tests/browser/*.mjs`, `npm ci` there). The dashboard logs in with
//! a token, shows the day's figures, and a deposit made over GraphQL appears on it within a
//! second; GraphiQL's Docs pane lists Query; no request leaves the server's origin.

use std::process::Command;

use serde_json::{Value, json};

use crate::support::*;

/// Runs `node tests/browser/<script> <args…>` and returns its JSON line and whether it passed.
pub(crate) fn browser(script: &str, args: &[&str]) -> (bool, Value) {
    let path = format!("{}/../tests/browser/{script}", env!("CARGO_MANIFEST_DIR"));
    let output = Command::new("node")
        .arg(&path)
        .args(args)
        .output()
        .expect("node runs (Node.js is needed for the browser tests)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    let result: Value = serde_json::from_str(line).unwrap_or_else(|_| {
        panic!(
            "{script} printed no JSON result: {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.success(), result)
}

/// Every `src="…"` and `href="…"` in an HTML page.
fn references(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for piece in html.split(attribute).skip(1) {
            found.push(piece.split('"').next().unwrap_or_default().to_owned());
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_and_its_assets_come_from_the_server_under_a_strict_policy() {
    // Goal: GET /dashboard answers the page with the hospital's time zone filled in and a
    // Content-Security-Policy that allows this server alone and no inline script; every asset
    // it references is a path on this server that loads, with no source map to miss.
    let server = Server::start_args(&["--time-zone", "Asia/Urumqi"]);
    let client = reqwest::Client::new();
    let response = client
        .get(format!("{}/dashboard", server.base()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("default-src 'self'"), "{policy}");
    assert!(policy.contains("connect-src 'self'"), "{policy}");
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    let html = response.text().await.unwrap();
    assert!(
        html.contains(r#"<meta name="yika-time-zone" content="Asia/Urumqi" />"#),
        "{html}"
    );
    assert!(!html.contains("{{"), "every placeholder is filled: {html}");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no absolute URL in {html}"
    );
    // No inline script: every <script> loads a file.
    assert_eq!(
        html.matches("<script").count(),
        html.matches("<script src=\"/dashboard/assets/").count(),
        "{html}"
    );
    let assets = references(&html);
    assert_eq!(assets.len(), 5, "{assets:?}");
    for asset in assets {
        assert!(
            asset.starts_with("/dashboard/assets/"),
            "{asset} is on this server"
        );
        let response = client
            .get(format!("{}{asset}", server.base()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{asset}");
        let body = response.text().await.unwrap();
        assert!(body.len() > 100, "{asset}");
        assert!(!body.contains("sourceMappingURL"), "{asset}");
    }
    let missing = client
        .get(format!("{}/dashboard/assets/nothing.js", server.base()))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(browser),
    ignore = "SKIPPED: needs Debian's chromium and `npm ci` in tests/browser (done by .ci/run)"
)]
async fn graphiql_in_chromium_lists_query_in_its_docs_and_fetches_nothing_elsewhere() {
    let server = Server::start();
    let (passed, result) = browser("graphiql.mjs", &[server.base()]);
    assert!(passed, "{result:#}");
    assert_eq!(result["listsQuery"], true, "{result:#}");
    let requests = result["requests"].as_array().expect("requests");
    assert!(
        requests
            .iter()
            .any(|r| r.as_str() == Some(&format!("{}/graphql", server.base()))),
        "GraphiQL fetched the schema: {result:#}"
    );
    for request in requests {
        assert!(
            request.as_str().unwrap().starts_with(server.base()),
            "{request} left the server"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(browser),
    ignore = "SKIPPED: needs Debian's chromium and `npm ci` in tests/browser (done by .ci/run)"
)]
async fn the_dashboard_shows_the_day_and_a_deposit_made_elsewhere_within_a_second() {
    // Goal: a controller logs in to /dashboard with their token; the open shift's expected cash,
    // the day's deposits and its balance check, department revenue and an inpatient in arrears
    // show; a cashier's deposit over GraphQL then shows on the page within a second of its
    // answer, live over the subscription; nothing is fetched from anywhere else.
    let (zone, today) = zone_with_local_hour(12);
    let server = Server::start_args(&["--time-zone", &zone]);
    let cast = Cast::register(&server);
    let controller = server.staff_add("F001", "陈静", "CONTROLLER", None);
    let shift = open_shift(&server, &cast.cashier, "500.00").await;
    let card = open_card(&server, &cast.cashier, "DASH-1").await;
    deposit(&server, &cast.cashier, &card, &shift, "1234.56").await;
    let inpatient = server
        .ok(&cast.cashier.token, OPEN_ACCOUNT, json!({ "kind": "INPATIENT_DEPOSIT", "patient": "IP-9", "card": "ZY-0009", "key": "adm" }))
        .await["openAccount"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let wechat = json!({ "account": inpatient, "amount": "300.00", "method": "WECHAT", "shift": shift, "key": "adm-dep" });
    server.ok(&cast.cashier.token, DEPOSIT, wechat).await;
    let charge = |account: &str, amount: &str| json!({ "account": account, "amount": amount, "department": "Lab", "order": uuid(), "item": "X" });
    server
        .ok(&cast.lab.token, DEDUCT, charge(&card, "88.00"))
        .await;
    server
        .ok(&cast.lab.token, DEDUCT, charge(&inpatient, "500.00"))
        .await;
    // By hand: deposits 1,234.56 + 300.00 = 1,534.56; the drawer 500.00 + 1,234.56 (cash
    // only); Lab 588.00; the inpatient 300.00 − 500.00 = −200.00.
    let report = server
        .ok(
            &controller.token,
            "query($d: Date!) { dailyReport(date: $d) { deposits balances } }",
            json!({ "d": today }),
        )
        .await;
    assert_eq!(
        report["dailyReport"],
        json!({ "deposits": "1534.56", "balances": true })
    );

    let shot = tempfile::tempdir().expect("tempdir");
    let png = shot.path().join("dashboard.png");
    let spec = json!({
        "before": [
            { "panel": "p-today", "text": "1,534.56" },
            { "panel": "p-today", "text": "平衡 ✓" },
            { "panel": "p-shifts", "text": "1,734.56" },
            { "panel": "p-shifts", "text": "Wang Fang" },
            { "panel": "p-revenue", "text": "588.00" },
            { "panel": "p-arrears", "text": "ZY-0009" },
            { "panel": "p-arrears", "text": "-200.00" },
            { "panel": "p-workload", "text": "C001" },
        ],
        "deposit": { "token": cast.cashier.token, "accountId": card, "shiftId": shift, "amount": "10.00", "method": "CASH" },
        "after": [
            { "panel": "p-today", "text": "1,544.56" },
            { "panel": "p-shifts", "text": "1,744.56" },
        ],
        "withinMs": 1000,
    });
    let (passed, result) = browser(
        "dashboard.mjs",
        &[
            server.base(),
            &controller.token,
            &spec.to_string(),
            "--screenshot",
            png.to_str().unwrap(),
        ],
    );
    assert!(passed, "{result:#}");
    let shown = result["shownAfterMs"].as_u64().expect("measured");
    assert!(shown <= 1000, "the deposit showed after {shown} ms");
    assert_eq!(result["deposit"]["receiptNo"], "C001-00000003");
    assert_eq!(result["balanceCheck"], "平衡 ✓");
    let requests = result["requests"].as_array().expect("requests");
    let ws = server.base().replace("http://", "ws://") + "/graphql/ws";
    assert!(
        requests.iter().any(|r| r.as_str() == Some(ws.as_str())),
        "the page listens on {ws}: {result:#}"
    );
    for request in requests {
        let url = request.as_str().unwrap();
        assert!(
            url.starts_with(server.base()) || url.starts_with(&ws),
            "{url} left the server"
        );
    }
    let png = std::fs::read(&png).expect("the screenshot");
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
}
