//! What a newcomer and a dashboard developer meet first: the server says where GraphiQL is and
//! how to make the first ADMIN, GraphiQL opens in a real browser and fetches the schema without
//! an error, a dashboard on another (configured) origin may call the API, and /metrics has the
//! latency histograms, the open WebSockets and the build.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::json;

use crate::support::*;

#[test]
fn the_server_says_where_graphiql_is_and_how_to_make_the_first_admin() {
    let data = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(YIKA)
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("yika serve starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let banner: Vec<String> = (0..6)
        .map(|_| lines.next().expect("a line").expect("UTF-8"))
        .collect();
    let _ = child.kill();
    let _ = child.wait();
    let address = banner[0]
        .strip_prefix("yika listening on http://")
        .and_then(|rest| rest.split_once("/graphql"))
        .map(|(address, _)| address.to_owned())
        .unwrap_or_else(|| panic!("{banner:?}"));
    assert_eq!(
        banner[1],
        format!("  GraphiQL, to explore the API in a browser: http://{address}/")
    );
    assert_eq!(
        banner[2],
        format!(
            "  the live dashboard (finance, supervisors, auditors): http://{address}/dashboard"
        )
    );
    assert!(banner[3].contains("/print/daily-report"), "{banner:?}");
    assert_eq!(
        banner[5],
        format!(
            "    yika staff add --data {} --staff-no A001 --name Admin --role ADMIN",
            data.path().display()
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dashboard_on_a_configured_origin_may_call_the_api_and_no_other() {
    let server = Server::start_args(&["--cors-origin", "https://dash.hospital.local"]);
    let cast = Cast::register(&server);
    let client = reqwest::Client::new();
    let preflight = |origin: &'static str| {
        client
            .request(reqwest::Method::OPTIONS, &server.url)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .send()
    };
    let allowed = preflight("https://dash.hospital.local").await.unwrap();
    assert!(allowed.status().is_success(), "{}", allowed.status());
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://dash.hospital.local"
    );
    let methods = allowed.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(methods.contains("POST"), "{methods}");
    let other = preflight("https://elsewhere.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
    // The real request from the dashboard carries the header back.
    let answer = client
        .post(&server.url)
        .header("origin", "https://dash.hospital.local")
        .bearer_auth(&cast.admin.token)
        .json(&json!({ "query": "{ me { staffNo } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer.headers()["access-control-allow-origin"],
        "https://dash.hospital.local"
    );
    assert_eq!(
        answer.json::<serde_json::Value>().await.unwrap()["data"]["me"]["staffNo"],
        "A001"
    );
    // Without --cors-origin no origin is allowed.
    let closed = Server::start();
    let response = client
        .request(reqwest::Method::OPTIONS, &closed.url)
        .header("origin", "https://dash.hospital.local")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    // A malformed origin stops the server from starting, with the reason.
    let data = tempfile::tempdir().expect("tempdir");
    let mut command = Command::new(YIKA);
    command
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--cors-origin",
            "dash.hospital.local/path",
            "--data",
        ])
        .arg(data.path());
    let output = output_of_ending(command);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--cors-origin"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_have_latency_histograms_open_websockets_and_the_build() {
    let server = Server::start();
    let cast = Cast::register(&server);
    open_shift(&server, &cast.cashier, "100.00").await;
    server
        .gql(
            None,
            include_str!("../fixtures/introspection.graphql"),
            json!({}),
        )
        .await;
    let base = server.url.trim_end_matches("/graphql").to_owned();
    let text = metrics(&base).await;
    assert!(
        text.contains("# TYPE yika_append_seconds histogram"),
        "{text}"
    );
    assert!(
        text.contains("yika_append_seconds_bucket{le=\"+Inf\"}"),
        "{text}"
    );
    assert!(
        text.contains("# TYPE yika_graphql_request_seconds histogram"),
        "{text}"
    );
    assert!(
        text.contains("yika_graphql_request_seconds_bucket{operation=\"anonymous\",le=\"+Inf\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("yika_graphql_request_seconds_count{operation=\"anonymous\"} 1"),
        "{text}"
    );
    assert!(text.contains("yika_websockets_open 0"), "{text}");
    // A live connection counts while it is open.
    use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
    let mut request = (server.url.replace("http://", "ws://") + "/ws")
        .into_client_request()
        .expect("a WebSocket request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().expect("a header value"),
    );
    let (socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("the WebSocket upgrade succeeds");
    // The server counts the socket once the upgrade is done on its side, which may be a
    // moment after the client has its answer.
    let mut open = String::new();
    for _ in 0..100 {
        open = metrics(&base).await;
        if open.contains("yika_websockets_open 1") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(open.contains("yika_websockets_open 1"), "{open}");
    drop(socket);
    assert!(text.contains("yika_build_info{version=\""), "{text}");
    // The introspection a browser's GraphiQL sends is not an error.
    assert!(
        text.contains(
            "yika_graphql_requests_total{operation=\"unauthenticated\",outcome=\"ok\"} 1"
        ),
        "{text}"
    );
    assert!(
        !text.contains("operation=\"unauthenticated\",outcome=\"error\""),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(chromium),
    ignore = "SKIPPED: install Debian's chromium package (done by .ci/run)"
)]
async fn graphiql_opens_in_headless_chromium_and_fetches_the_schema_without_an_error() {
    let server = Server::start();
    let base = server.url.trim_end_matches("/graphql").to_owned();
    let profile = tempfile::tempdir().expect("tempdir");
    let output = crate::support::chromium_dom(
        &format!("{base}/"),
        profile.path(),
        &["--virtual-time-budget=10000"],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let dom = String::from_utf8_lossy(&output.stdout);
    assert!(dom.contains("graphiql-container"), "{dom}");
    assert!(!dom.contains("Error fetching schema"), "{dom}");
    // GraphiQL asked for the schema, and got it: one introspection, no error.
    let text = metrics(&base).await;
    assert!(
        text.contains("yika_graphql_requests_total{operation=\"unauthenticated\",outcome=\"ok\"}"),
        "{text}"
    );
    assert!(!text.contains("outcome=\"error\""), "{text}");
}

/// The server's /metrics text.
async fn metrics(base: &str) -> String {
    reqwest::get(format!("{base}/metrics"))
        .await
        .expect("/metrics answers")
        .text()
        .await
        .expect("a text")
}
