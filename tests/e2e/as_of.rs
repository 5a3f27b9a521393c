//! As-of replay: `yika replay --until TIME --into DIR` gives the ledger as it stood at a moment
//! in the middle of a seeded day's activity, served by `yika serve --read-only`.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::json;

use crate::support::*;

const BALANCES: &str =
    "{ accounts(first: 200) { totalCount edges { node { id balance deposited deducted } } } }";

fn fen(text: &str) -> i64 {
    let (yuan, cents) = text.split_once('.').expect("two places");
    yuan.parse::<i64>().unwrap() * 100 + cents.parse::<i64>().unwrap()
}

fn money(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

/// The naive model: per account, (deposited, deducted) in fen.
type Model = BTreeMap<String, (i64, i64)>;

/// A seeded stretch of the day: cards opened, deposits and deductions at random.
async fn activity(
    server: &Server,
    cast: &Cast,
    shift: &str,
    rng: &mut fastrand::Rng,
    model: &mut Model,
    steps: usize,
) {
    for _ in 0..steps {
        if model.is_empty() || rng.u8(..10) == 0 {
            let card = format!("AS{:08}", rng.u32(..100_000_000));
            let id = open_card(server, &cast.cashier, &card).await;
            model.insert(id, (0, 0));
            continue;
        }
        let ids: Vec<String> = model.keys().cloned().collect();
        let account = ids[rng.usize(..ids.len())].clone();
        let (deposited, deducted) = model[&account];
        let balance = deposited - deducted;
        if balance < 1_000 || rng.bool() {
            let amount = rng.i64(100..50_000);
            deposit(server, &cast.cashier, &account, shift, &money(amount)).await;
            model.get_mut(&account).expect("known").0 += amount;
        } else {
            let amount = rng.i64(1..=balance.min(20_000));
            let variables = json!({ "account": account, "amount": money(amount), "department": "Lab", "order": format!("ORD-{}", uuid()), "item": "LAB-1" });
            server.ok(&cast.lab.token, DEDUCT, variables).await;
            model.get_mut(&account).expect("known").1 += amount;
        }
    }
}

async fn balances(server: &Server, token: &str) -> Model {
    let data = server.ok(token, BALANCES, json!({})).await;
    data["accounts"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| {
            let node = &edge["node"];
            let balance = fen(node["balance"].as_str().expect("balance"));
            let deposited = fen(node["deposited"].as_str().expect("deposited"));
            let deducted = fen(node["deducted"].as_str().expect("deducted"));
            assert_eq!(balance, deposited - deducted, "{node}");
            (
                node["id"].as_str().expect("id").to_owned(),
                (deposited, deducted),
            )
        })
        .collect()
}

fn now_rfc3339() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970");
    let day = utc_in(0);
    // utc_in has whole seconds; add the microseconds so the cut falls between two events.
    format!("{}.{:06}Z", day.trim_end_matches('Z'), now.subsec_micros())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_until_a_time_gives_the_balances_of_then() {
    // Goal: after a seeded morning and afternoon of deposits and deductions, `yika replay --until` a moment between them builds a data directory whose read-only server reports exactly the naive model's balances at that moment (not the later ones), refuses mutations with FORBIDDEN, and verifies.
    let seed = std::env::var("YIKA_E2E_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    eprintln!("as-of replay test seed={seed} (set YIKA_E2E_SEED={seed} to replay)");
    let mut rng = fastrand::Rng::with_seed(seed);
    let server = Server::start();
    let cast = Cast::register(&server);
    let controller = server.staff_add("F001", "Controller", "CONTROLLER", None);
    let shift = open_shift(&server, &cast.cashier, "500.00").await;

    let mut model = Model::new();
    activity(&server, &cast, &shift, &mut rng, &mut model, 40).await;
    let morning = model.clone();
    std::thread::sleep(std::time::Duration::from_millis(30));
    let until = now_rfc3339();
    std::thread::sleep(std::time::Duration::from_millis(30));
    activity(&server, &cast, &shift, &mut rng, &mut model, 40).await;
    assert_ne!(
        morning, model,
        "seed={seed}: the afternoon changed something"
    );
    assert_eq!(
        balances(&server, &controller.token).await,
        model,
        "seed={seed}: live"
    );
    let live_events = server.event_count().await;

    let scratch = tempfile::tempdir().expect("a temporary directory");
    let into = scratch.path().join("as-of");
    let output = server
        .data
        .yika(&["replay", "--until", &until, "--into"])
        .arg(&into)
        .output()
        .expect("yika replay runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "replay failed: {stdout}\n{stderr}");
    assert!(stdout.contains("replayed positions 1..="), "{stdout}");
    assert!(
        stderr.contains("views rebuilt to position"),
        "progress: {stderr}"
    );
    // The replay built its views without their secondary indexes and made them at the end:
    // it has every index a new read store has.
    let fresh = crate::support::Ledger::sqlite_dir(tempfile::tempdir().expect("a directory"));
    crate::support::staff_add_to(&fresh, "A001", "Admin", "ADMIN", None);
    assert_eq!(indexes(&into).await, indexes(fresh.path()).await);
    let copied = event_count(&into).await;
    assert!(
        copied > 0 && copied < live_events,
        "seed={seed}: the cut copied {copied} of {live_events} events"
    );

    // Replaying into a directory that already holds a ledger is refused.
    let again = server
        .data
        .yika(&["replay", "--position", "1", "--into"])
        .arg(&into)
        .output()
        .expect("yika replay runs");
    assert!(
        !again.status.success(),
        "a second replay into the same directory"
    );

    // Nothing may append to the past: staff add and a writable server are refused there.
    let refused = |args: &[&str]| {
        let mut command = std::process::Command::new(YIKA);
        command
            .arg("--data")
            .arg(&into)
            .args(args)
            .env("RUST_LOG", "off");
        let output = output_of_ending(command);
        assert!(!output.status.success(), "{args:?} on a replay");
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(stderr.contains("it is read-only"), "{stderr}");
    };
    refused(&[
        "staff",
        "add",
        "--staff-no",
        "X1",
        "--name",
        "Late",
        "--role",
        "AUDITOR",
    ]);
    refused(&["serve", "--listen", "127.0.0.1:0"]);
    assert_eq!(event_count(&into).await, copied);

    let as_of_dir = tempfile::TempDir::new_in(scratch.path()).expect("a directory");
    std::fs::remove_dir(as_of_dir.path()).expect("empty");
    std::fs::rename(&into, as_of_dir.path()).expect("move the replay");
    let as_of = Server::start_with(Ledger::sqlite_dir(as_of_dir), &["--read-only"]);
    assert_eq!(
        balances(&as_of, &controller.token).await,
        morning,
        "seed={seed}: the balances as they stood at {until}"
    );
    // The read-only server records nothing.
    let card = format!("RO{:08}", rng.u32(..100_000_000));
    let code = as_of
        .refused(
            Some(&cast.cashier.token),
            OPEN_ACCOUNT,
            json!({ "kind": "OUTPATIENT_CARD", "patient": "P-RO", "card": card, "key": format!("open-{card}") }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    assert_eq!(as_of.event_count().await, copied);
    let verify = Command::new(YIKA)
        .arg("verify")
        .arg("--data")
        .arg(as_of.data.path())
        .output()
        .expect("yika verify runs");
    assert!(
        verify.status.success(),
        "the replayed directory verifies: {}",
        String::from_utf8_lossy(&verify.stdout)
    );

    // --position cuts at a position: the first event only.
    let first = scratch.path().join("first");
    let output = server
        .data
        .yika(&["replay", "--position", "1", "--into"])
        .arg(&first)
        .output()
        .expect("yika replay runs");
    assert!(output.status.success());
    assert_eq!(event_count(&first).await, 1);
}

/// The indexes of the read store in `data`, with the statements that made them.
async fn indexes(data: &std::path::Path) -> Vec<(String, String)> {
    use sqlx::Row as _;
    let mut conn = crate::support::read_only(&data.join("read.db")).await;
    let rows = sqlx::query(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name",
    )
    .fetch_all(&mut conn)
    .await
    .expect("the indexes");
    assert!(rows.len() > 10, "a read store has its indexes");
    rows.iter().map(|r| (r.get(0), r.get(1))).collect()
}
