//! What one request, one client or one careless operator may cost the ledger (issue 13, items 2
//! and 4 to 6): report weights with aliases counted, a query that runs too long cancelled (never
//! a mutation), slow and surplus connections closed, dates held to a sane range, and a mistyped
//! data directory refused instead of an empty ledger that verifies.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::*;

fn controller(server: &Server) -> StaffMember {
    server.staff_add("F001", "Controller", "CONTROLLER", None)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_weigh_by_period_and_every_alias_counts() {
    // Goal: the reported stall. A year's workload table is one request's worth; the same table
    // twice under aliases, or a daily report under 25 aliases, is refused before anything runs,
    // with LIMIT_EXCEEDED.
    let server = Server::start();
    let finance = controller(&server);
    let year = "{ workload(from: \"2026-01-01\", to: \"2026-12-31\") { base rows { weighted } } }";
    server.ok(&finance.token, year, json!({})).await;

    let twice = "{ a: workload(from: \"2026-01-01\", to: \"2026-12-31\") { base }
                   b: workload(from: \"2026-01-01\", to: \"2026-12-31\") { base } }";
    let answer = server.gql(Some(&finance.token), twice, json!({})).await;
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "LIMIT_EXCEEDED",
        "{answer}"
    );
    assert!(answer.get("data").is_none(), "nothing ran: {answer}");

    let many = format!(
        "{{ {} }}",
        (0..25)
            .map(|n| format!("r{n}: dailyReport(date: \"2026-11-22\") {{ balances }}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let answer = server.gql(Some(&finance.token), &many, json!({})).await;
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "LIMIT_EXCEEDED",
        "{answer}"
    );
    // A few reports in one document are still fine.
    let few = "{ a: dailyReport(date: \"2026-11-21\") { balances } b: dailyReport(date: \"2026-11-22\") { balances } }";
    let data = server.ok(&finance.token, few, json!({})).await;
    assert_eq!(data["a"]["balances"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_that_runs_too_long_is_cancelled_but_a_mutation_never_is() {
    // Goal: with a query timeout of 0 ms every query that has to read is cancelled with
    // LIMIT_EXCEEDED, while a mutation runs to its answer and is written.
    let server = Server::start_args(&["--query-timeout-ms", "0"]);
    let cast = Cast::register(&server);
    let finance = controller(&server);
    let answer = server
        .gql(
            Some(&finance.token),
            "{ a: dailyReport(date: \"2026-11-22\") { balances }
               b: dailyReport(date: \"2026-11-23\") { balances }
               c: trialBalance { balanced }
               d: workload(from: \"2026-11-01\", to: \"2026-11-30\") { base }
               e: auditTrail(first: 200) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "LIMIT_EXCEEDED",
        "{answer}"
    );
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("cancelled"),
        "{answer}"
    );
    let before = server.event_count().await;
    open_shift(&server, &cast.cashier, "100.00").await;
    assert_eq!(server.event_count().await, before + 1, "the mutation wrote");
}

/// Opens a connection that sends half a request's headers and never the rest.
fn slow_client(server: &Server) -> TcpStream {
    let address = server.base().trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&address).expect("connects");
    stream
        .write_all(b"POST /graphql HTTP/1.1\r\nHost: yika\r\nContent-Type: appl")
        .expect("half the headers");
    stream
}

/// True when the server closes `stream` within `within`.
fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    stream.set_read_timeout(Some(within)).expect("a timeout");
    let mut buffer = [0u8; 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => {} // an error answer (408) before the close
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return false;
            }
            Err(_) => return true, // reset
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_surplus_connections_are_closed_and_others_are_served() {
    // Goal: the reported slowloris. Thirty connections from one address that never finish their
    // headers: those over the per-client cap are closed at once, the rest when the header
    // timeout passes; meanwhile another client is served, and afterwards the same address is.
    let server = Server::start_args(&[
        "--header-timeout-ms",
        "1000",
        "--max-connections-per-client",
        "8",
    ]);
    let started = Instant::now();
    let mut slow: Vec<TcpStream> = (0..30).map(|_| slow_client(&server)).collect();

    let other = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .timeout(Duration::from_secs(5))
        .build()
        .expect("a client");
    let answer = other
        .get(format!("{}/healthz", server.base()))
        .send()
        .await
        .expect("another client is served while the slow ones hold their sockets");
    assert_eq!(answer.status(), 200);

    for (n, stream) in slow.iter_mut().enumerate() {
        assert!(
            closed_within(stream, Duration::from_secs(5)),
            "slow connection {n} still open after {:?}",
            started.elapsed()
        );
    }
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "the connections within the cap had their full header time"
    );
    // The address that held them is served again.
    let (status, _) = server.get_blocking("/healthz");
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dates_outside_the_ledgers_range_are_refused_with_validation() {
    // Goal: a date far in the future no longer drops the connection (a panic in the calendar)
    // or gives a wrong answer compared as text: every Date and DateTime input outside
    // 2000-01-01 through 2099-12-31 is a VALIDATION error, and the server keeps answering.
    let server = Server::start();
    let cast = Cast::register(&server);
    let finance = controller(&server);
    let card = open_card(&server, &cast.cashier, "CARD-DATES").await;
    let refused = [
        (
            "{ dailyReport(date: \"+262142-12-31\") { balances } }",
            json!({}),
        ),
        (
            "{ dailyReport(date: \"2100-01-01\") { balances } }",
            json!({}),
        ),
        (
            "{ shifts(filter: { date: \"+262142-12-31\" }) { totalCount } }",
            json!({}),
        ),
        (
            "{ workload(from: \"1999-12-01\", to: \"1999-12-31\") { base } }",
            json!({}),
        ),
        (
            "{ workloadByHour(from: \"2099-12-01\", to: \"9999-12-31\") { hour } }",
            json!({}),
        ),
        (
            "query($id: UUID!) { balanceAsOf(accountId: $id, at: \"2150-01-01T00:00:00Z\") }",
            json!({ "id": card }),
        ),
        (
            "{ departmentRevenue(from: \"1999-12-31T00:00:00Z\", to: \"2000-01-02T00:00:00Z\") { net } }",
            json!({}),
        ),
        (
            "{ auditTrail(filter: { from: \"2026-01-01T00:00:00Z\", to: \"2200-01-01T00:00:00Z\" }) { totalCount } }",
            json!({}),
        ),
    ];
    for (query, variables) in refused {
        assert_eq!(
            server.refused(Some(&finance.token), query, variables).await,
            "VALIDATION",
            "{query}"
        );
    }
    // The edges of the range answer.
    let data = server
        .ok(
            &finance.token,
            "{ a: dailyReport(date: \"2099-12-31\") { balances } b: dailyReport(date: \"2000-01-01\") { balances } }",
            json!({}),
        )
        .await;
    assert_eq!(data["a"]["balances"], true);
    let data = server
        .ok(
            &finance.token,
            "query($id: UUID!) { balanceAsOf(accountId: $id, at: \"2099-12-31T23:59:59Z\") }",
            json!({ "id": card }),
        )
        .await;
    assert_eq!(data["balanceAsOf"], "0.00");
}

#[test]
fn only_serve_and_staff_add_create_a_ledger() {
    // Goal: a mistyped --data is an error for verify, report and replay (exit code 1, the path
    // named, nothing created), not an empty ledger that verifies; `staff add` says it creates one.
    let root = tempfile::tempdir().expect("a directory");
    let missing = root.path().join("yika-dat");
    let missing_arg = missing.to_str().expect("a path");
    let into = root.path().join("copy");
    let into_arg = into.to_str().expect("a path");
    for args in [
        vec!["verify"],
        vec!["report", "workload", "--month", "2026-11"],
        vec!["replay", "--into", into_arg],
    ] {
        let output = output_of_ending({
            let mut command = Command::new(YIKA);
            command.args(["--data", missing_arg]).args(&args);
            command
        });
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?} succeeded on no ledger");
        assert!(stderr.contains("no ledger"), "{args:?}: {stderr}");
        assert!(!missing.exists(), "{args:?} created {}", missing.display());
        assert!(!into.exists(), "{args:?} created {}", into.display());
    }
    let output = output_of_ending({
        let mut command = Command::new(YIKA);
        command.args([
            "--data",
            missing_arg,
            "staff",
            "add",
            "--staff-no",
            "A001",
            "--name",
            "Admin",
            "--role",
            "ADMIN",
        ]);
        command
    });
    assert!(output.status.success(), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("creating a new ledger"),
        "{output:?}"
    );
    let output = output_of_ending({
        let mut command = Command::new(YIKA);
        command.args(["--data", missing_arg, "verify"]);
        command
    });
    assert!(output.status.success(), "{output:?}");
}
