//! Store selection by URL, for every subcommand: flags and environment variables, the
//! KurrentDB client behind `kurrentdb://`/`esdb://`, and `yika bench` on each backend.

use serde_json::json;

use crate::support::*;

/// Runs a `yika` command that must succeed and returns what it printed.
fn stdout_of_success(mut command: std::process::Command) -> String {
    let output = command.env("RUST_LOG", "off").output().expect("yika runs");
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// A local port with nothing listening on it.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

#[test]
fn kurrentdb_urls_reach_the_kurrentdb_client_in_every_subcommand() {
    // Goal: `--event-store kurrentdb://…` and `esdb://…` (and YIKA_EVENT_STORE) are opened with
    // the KurrentDB client by serve, staff add, replay, verify and bench: with no server at the
    // address, each fails naming the store as unavailable (never "unsupported"), writes nothing,
    // and exits non-zero.
    let port = closed_port();
    let data = tempfile::tempdir().expect("a temporary directory");
    let into = data.path().join("as-of");
    let subcommands: [&[&str]; 5] = [
        &["serve", "--listen", "127.0.0.1:0"],
        &[
            "staff",
            "add",
            "--staff-no",
            "A1",
            "--name",
            "Admin",
            "--role",
            "ADMIN",
        ],
        &["replay", "--into", into.to_str().unwrap()],
        &["verify"],
        &["bench", "--events", "10", "--writers", "1"],
    ];
    for scheme in ["kurrentdb", "esdb"] {
        let url = format!("{scheme}://127.0.0.1:{port}?tls=false");
        for subcommand in subcommands {
            for by_env in [false, true] {
                let mut command = std::process::Command::new(YIKA);
                command
                    .arg("--data")
                    .arg(data.path())
                    .env("RUST_LOG", "off")
                    .env_remove("YIKA_READ_STORE");
                if by_env {
                    command.env("YIKA_EVENT_STORE", &url);
                } else {
                    command
                        .env_remove("YIKA_EVENT_STORE")
                        .args(["--event-store", &url]);
                }
                command.args(subcommand);
                let output = output_of_ending(command);
                let stderr = String::from_utf8_lossy(&output.stderr);
                assert!(
                    !output.status.success(),
                    "{subcommand:?} on {url} should fail"
                );
                assert!(
                    stderr.contains(&format!("{scheme}://127.0.0.1:{port}"))
                        && stderr.contains("event store unavailable")
                        && stderr.contains("KurrentDB"),
                    "{subcommand:?} on {url} (env: {by_env}) said: {stderr}"
                );
            }
        }
    }
    assert!(
        !data.path().join("events.db").exists(),
        "no SQLite event store was made in place of the cluster"
    );
    assert!(!into.exists(), "the replay made nothing");
}

#[test]
#[cfg_attr(
    not(postgres_server),
    ignore = "SKIPPED: no PostgreSQL server; set YIKA_TEST_POSTGRES_URL to run it"
)]
fn the_stores_can_be_chosen_by_environment_variables() {
    // Goal: YIKA_EVENT_STORE and YIKA_READ_STORE select the stores as the flags do: a staff
    // member added through them is in that ledger (verify counts its event there) and not in
    // the data directory given beside them.
    let Some(ledger) = Ledger::postgres("the_stores_can_be_chosen_by_environment_variables") else {
        return;
    };
    let url = ledger.postgres_url().expect("a PostgreSQL ledger");
    let elsewhere = tempfile::tempdir().expect("a temporary directory");
    let yika = |args: &[&str]| {
        let mut command = std::process::Command::new(YIKA);
        command
            .arg("--data")
            .arg(elsewhere.path())
            .args(args)
            .env("YIKA_EVENT_STORE", &url)
            .env("YIKA_READ_STORE", &url);
        stdout_of_success(command)
    };
    yika(&[
        "staff",
        "add",
        "--staff-no",
        "A1",
        "--name",
        "Admin",
        "--role",
        "ADMIN",
        "--json",
    ]);
    let verified = yika(&["verify"]);
    assert!(
        verified.contains("events checked: 1\n"),
        "verify said: {verified}"
    );
    assert!(!elsewhere.path().join("events.db").exists());
    assert!(!elsewhere.path().join("read.db").exists());
    // The flags name the same ledger: the event is there too.
    let output = ledger.yika(&["verify"]).output().expect("yika runs");
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("events checked: 1\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_measures_appends_on_each_backend() {
    // Goal: `yika bench` appends the asked number of events with each writer count and prints a
    // line per run, on the embedded store and (with a server) on an empty PostgreSQL database,
    // which then holds exactly those events; a database that is not empty is refused.
    let mut ledgers = vec![(
        Ledger::sqlite_dir(tempfile::tempdir().expect("a temporary directory")),
        None,
    )];
    if let Some(ledger) = Ledger::postgres("bench_measures_appends_on_each_backend") {
        let url = ledger.postgres_url();
        ledgers.push((ledger, url));
    }
    for (ledger, url) in &ledgers {
        let mut command = std::process::Command::new(YIKA);
        command
            .arg("--data")
            .arg(ledger.path())
            .env("RUST_LOG", "off");
        if let Some(url) = url {
            command.args(["--event-store", url]);
        }
        let output = command
            .args(["bench", "--events", "120", "--writers", "1,4"])
            .output()
            .expect("yika runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "bench failed: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        for writers in ["writers=   1  events=120 ", "writers=   4  events=120 "] {
            assert!(
                stdout.contains(writers),
                "no run line {writers:?} in: {stdout}"
            );
        }
        assert_eq!(stdout.matches(" events/s ").count(), 2, "{stdout}");
        if let Some(url) = url {
            use sqlx::Connection as _;
            let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
            let (rows, head): (i64, i64) = sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM events), (SELECT position FROM log_head)",
            )
            .fetch_one(&mut conn)
            .await
            .expect("the log's size");
            assert_eq!((rows, head), (240, 240), "both runs' events, densely");
            let again = std::process::Command::new(YIKA)
                .arg("--data")
                .arg(ledger.path())
                .args([
                    "--event-store",
                    url,
                    "bench",
                    "--events",
                    "1",
                    "--writers",
                    "1",
                ])
                .env("RUST_LOG", "off")
                .output()
                .expect("yika runs");
            assert!(!again.status.success(), "a full database is refused");
            assert!(String::from_utf8_lossy(&again.stderr).contains("holds 240 events"));
        }
    }
}

#[test]
fn sqlite_urls_name_files_anywhere_and_create_them() {
    // Goal: `--event-store sqlite://PATH` and `--read-store sqlite://PATH` create both files
    // where named (not in --data), and the ledger there verifies.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let events = dir.path().join("log").join("ledger-events.db");
    let views = dir.path().join("ledger-views.db");
    std::fs::create_dir_all(events.parent().unwrap()).unwrap();
    let data = dir.path().join("data");
    let yika = |args: &[&str]| {
        let mut command = std::process::Command::new(YIKA);
        command
            .arg("--data")
            .arg(&data)
            .arg("--event-store")
            .arg(format!("sqlite://{}", events.display()))
            .arg("--read-store")
            .arg(format!("sqlite://{}", views.display()))
            .args(args)
            .env_remove("YIKA_EVENT_STORE")
            .env_remove("YIKA_READ_STORE");
        stdout_of_success(command)
    };
    yika(&[
        "staff",
        "add",
        "--staff-no",
        "A1",
        "--name",
        "Admin",
        "--role",
        "ADMIN",
    ]);
    assert!(yika(&["verify"]).contains("events checked: 1\n"));
    assert!(events.exists() && views.exists());
    assert!(!data.join("events.db").exists() && !data.join("read.db").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn views_are_never_applied_from_another_ledgers_log() {
    // Goal: a server pointed at views built from one ledger and the log of another (a replica
    // misconfigured with another event store) refuses to start instead of projecting the other
    // log's events onto those views; with its own log it starts.
    let server = Server::start_in(Ledger::sqlite_dir(
        tempfile::tempdir().expect("a temporary directory"),
    ));
    let admin = server.staff_add("A1", "Admin", "ADMIN", None);
    // A request that authenticates waits for the views: they now hold the registration.
    server
        .ok(&admin.token, "{ me { staffNo } }", json!({}))
        .await;
    let first = server.stop();
    let other = Ledger::sqlite_dir(tempfile::tempdir().expect("a temporary directory"));
    staff_add_to(&other, "B1", "Someone else", "ADMIN", None);
    let views = format!("sqlite://{}", first.path().join("read.db").display());
    let mut command = std::process::Command::new(YIKA);
    command
        .arg("--data")
        .arg(other.path())
        .args(["--read-store", &views, "serve", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "off")
        .env_remove("YIKA_EVENT_STORE")
        .env_remove("YIKA_READ_STORE");
    let output = output_of_ending(command);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "the server must not start");
    assert!(
        stderr.contains("is not the event the views applied there"),
        "{stderr}"
    );
    // The views' own ledger still serves.
    let again = Server::start_in(first);
    again
        .ok(&admin.token, "{ me { staffNo } }", json!({}))
        .await;
}

/// What `yika bench ARGS` prints, run on a data directory of its own; it must succeed.
fn bench(args: &[&str]) -> String {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut command = std::process::Command::new(YIKA);
    command
        .arg("--data")
        .arg(dir.path())
        .arg("bench")
        .args(args);
    stdout_of_success(command)
}

#[test]
fn bench_rebuilds_the_ledger_it_generates_every_way_it_reports() {
    // Goal: `yika bench --scenario replay` rebuilds into SQLite, rebuilds as `yika replay
    // --into` does, folds in memory and reads and decodes alone every event of the ledger it
    // generated, each line naming that count.
    let stdout = bench(&["--scenario", "replay", "--events", "3000"]);
    let head: u64 = stdout
        .split("a generated ledger of ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no generated ledger in: {stdout}"));
    assert!(head >= 3_000, "{head} events generated for 3000: {stdout}");
    for prefix in [
        "rebuild into a SQLite read store: ",
        "rebuild from zero as `yika replay --into` builds the views (indexes made at the end): ",
        "fold in memory (read, decode, fold, hash): ",
        "the log alone, on one core (the floor under every replay): ",
    ] {
        let line = stdout
            .lines()
            .find(|line| line.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line {prefix:?} in: {stdout}"));
        let counted = line[prefix.len()..].starts_with(&format!("{head} events in "))
            || line[prefix.len()..].starts_with(&format!("{head} events read in "));
        assert!(counted, "{line}");
    }
}

/// The count a bench line gives after `prefix` ("deductions: 17 in 1.0s = …").
fn measured(stdout: &str, prefix: &str) -> u64 {
    stdout
        .lines()
        .find_map(|line| line.strip_prefix(prefix))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no line {prefix:?} in: {stdout}"))
}

#[test]
fn bench_deducts_through_a_server_it_starts_as_fast_as_answered_or_at_a_rate() {
    // Goal: `yika bench --scenario deductions` deducts through the real server it starts, with
    // no errors, and reports plain SQLite's commit rate beside it; with `--rate` the connections
    // send no more than that many a second in all (an open loop); a rate of zero is refused
    // before anything starts.
    let run = |extra: &[&str]| {
        let stdout = bench(
            &[
                &[
                    "--scenario",
                    "deductions",
                    "--seconds",
                    "2",
                    "--cards",
                    "3",
                    "--connections",
                    "2",
                ],
                extra,
            ]
            .concat(),
        );
        assert!(stdout.contains(" errors=0"), "{stdout}");
        assert!(
            stdout.contains("plain SQLite, one durable commit per row, same disk: "),
            "{stdout}"
        );
        measured(&stdout, "deductions: ")
    };
    let closed = run(&[]);
    let open = run(&["--rate", "10"]);
    // 10 a second for 2 s over 2 connections: at most 10 sends each in the window, one more
    // each at its edges.
    assert!(closed >= 1, "no deduction as fast as answered");
    assert!((1..=24).contains(&open), "{open} deductions at 10/s in 2 s");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let output = std::process::Command::new(YIKA)
        .arg("--data")
        .arg(dir.path())
        .args(["bench", "--scenario", "deductions", "--rate", "0"])
        .env("RUST_LOG", "off")
        .output()
        .expect("yika runs");
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("--rate must be between 1 and"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
