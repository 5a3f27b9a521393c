//! `yika demo`: a simulated hospital through the real command path, the same business from the
//! same seed, a log `yika verify` accepts, and a server on it that answers each role's token.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::support::{Ledger, Server, YIKA};

/// Runs `yika demo --days 2 --seed SEED --json` into `data`; answers its summary.
fn demo(data: &Path, seed: &str) -> Value {
    let output = Command::new(YIKA)
        .arg("--data")
        .arg(data)
        .args(["demo", "--days", "2", "--seed", seed, "--json"])
        .output()
        .expect("yika demo runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the summary is JSON")
}

/// The stdout of `yika --data DATA ARGS`, which must succeed.
fn yika(data: &Path, args: &[&str]) -> String {
    let output = Command::new(YIKA)
        .arg("--data")
        .arg(data)
        .args(args)
        .output()
        .expect("yika runs");
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// The token of the first staff member the demo made for which `pick` holds.
fn token(summary: &Value, pick: impl Fn(&Value) -> bool, role: &str) -> String {
    summary["staff"]
        .as_array()
        .expect("staff")
        .iter()
        .find(|s| s["role"] == role && pick(s))
        .and_then(|s| s["token"].as_str())
        .unwrap_or_else(|| panic!("a {role} in {summary}"))
        .to_owned()
}

#[test]
fn the_same_seed_makes_the_same_business_and_verify_accepts_the_log() {
    // Goal: `yika demo --days 2 --seed 1` twice gives the same accounts, amounts and daily
    // reports (ids and recorded times aside); another seed another business; the log and the
    // views are whole, and a ledger already there is never written into.
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let (first, second, _) = (
        demo(a.path(), "1"),
        demo(b.path(), "1"),
        demo(c.path(), "2"),
    );
    assert_eq!(first["firstDay"], second["firstDay"]);
    assert_eq!(first["events"], second["events"], "{first} / {second}");
    assert_eq!(first["closedDays"], json!([first["firstDay"]]));
    let days = [
        first["firstDay"].as_str().unwrap(),
        first["lastDay"].as_str().unwrap(),
    ];
    for day in days {
        let daily = ["report", "daily", "--date", day, "--csv"];
        let report = yika(a.path(), &daily);
        assert!(report.contains("出院结算") || day == days[0], "{report}");
        assert_eq!(report, yika(b.path(), &daily), "the daily report of {day}");
        assert_ne!(report, yika(c.path(), &daily), "seed 2 made seed 1's {day}");
    }
    let signed = ["report", "daily", "--date", days[0], "--version", "signed"];
    assert_eq!(yika(a.path(), &signed), yika(b.path(), &signed));
    let month = &days[1][..7];
    let workload = ["report", "workload", "--month", month, "--csv"];
    assert_eq!(yika(a.path(), &workload), yika(b.path(), &workload));

    let verified = yika(a.path(), &["verify"]);
    assert!(verified.contains("hash chain: intact"), "{verified}");

    let again = Command::new(YIKA)
        .arg("--data")
        .arg(a.path())
        .args(["demo", "--days", "1"])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("holds a ledger already"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(yika(a.path(), &["head"]), yika(a.path(), &["head"]));
}

#[test]
fn a_replay_of_the_demo_ledger_reports_what_the_ledger_reports() {
    // Goal: `yika replay --into` over a ledger of several import batches (the views following
    // the copy batch by batch) makes views that verify against their log and report every day,
    // current and signed, and the month's workload, exactly as the ledger they were copied from.
    let root = tempfile::tempdir().unwrap();
    let (source, copy) = (root.path().join("ledger"), root.path().join("replay"));
    let summary = demo(&source, "3");
    let events = summary["events"].as_u64().expect("an event count");
    assert!(events > 1_000, "{events} events fit one import batch");
    let replayed = Command::new(YIKA)
        .arg("--data")
        .arg(&source)
        .arg("replay")
        .arg("--into")
        .arg(&copy)
        .output()
        .expect("yika replay runs");
    let stderr = String::from_utf8_lossy(&replayed.stderr);
    assert!(replayed.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("copied {events} events")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("views rebuilt to position {events}, indexed")),
        "{stderr}"
    );
    let verified = yika(&copy, &["verify"]);
    assert!(
        verified.contains(&format!(
            "views: equal to a replay of the log up to position {events}"
        )),
        "{verified}"
    );
    let days = [
        summary["firstDay"].as_str().unwrap(),
        summary["lastDay"].as_str().unwrap(),
    ];
    // The demo signs every day but the last.
    for (day, versions) in [
        (days[0], &["current", "signed"][..]),
        (days[1], &["current"][..]),
    ] {
        for version in versions {
            let daily = [
                "report",
                "daily",
                "--date",
                day,
                "--version",
                version,
                "--csv",
            ];
            assert_eq!(
                yika(&copy, &daily),
                yika(&source, &daily),
                "the {version} daily report of {day}"
            );
        }
    }
    let workload = ["report", "workload", "--month", &days[1][..7], "--csv"];
    assert_eq!(yika(&copy, &workload), yika(&source, &workload));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_hospital_is_served_with_a_token_per_role() {
    // Goal: what the demo prints works: the controller reads the signed day, the settlements,
    // the statements' exceptions and the accounts in arrears; the night cashier's shift is
    // still open and takes a deposit.
    let data = tempfile::tempdir().unwrap();
    let summary = demo(data.path(), "7");
    let server = Server::start_in(Ledger::sqlite_dir(data));
    let controller = token(&summary, |_| true, "CONTROLLER");
    let first = summary["firstDay"].as_str().unwrap();
    let answer = server
        .ok(
            &controller,
            "query($day: Date!) {
               me { role }
               dailyReport(date: $day, version: SIGNED) { balances signature { position } }
               settlements(first: 100) { edges { node { scheme manual } } }
               open: shifts(filter: { status: OPEN }) { totalCount edges { node { id window } } }
               arrears: accounts(filter: { inArrears: true }) { totalCount }
               wechat: reconciliation(method: WECHAT, date: $day) { matchedCount ledgerOnly { externalRef } statementOnly { externalRef } }
             }",
            json!({ "day": first }),
        )
        .await;
    assert_eq!(answer["me"]["role"], "CONTROLLER");
    assert_eq!(answer["dailyReport"]["balances"], true, "{answer}");
    assert!(answer["dailyReport"]["signature"]["position"].as_i64() > Some(0));
    let open = &answer["open"];
    assert_eq!(open["totalCount"], 1, "{answer}");
    assert_eq!(open["edges"][0]["node"]["id"], summary["openShift"]);
    assert!(
        answer["wechat"]["matchedCount"].as_i64() > Some(0),
        "{answer}"
    );
    let settled = answer["settlements"]["edges"].as_array().unwrap();
    assert!(!settled.is_empty(), "{answer}");

    // The night cashier's shift is open: their token takes a deposit on a new card.
    let night = summary["openShiftCashier"].clone();
    let cashier = token(&summary, |s| s["staffNo"] == night, "CASHIER");
    let opened = server
        .ok(
            &cashier,
            crate::support::OPEN_ACCOUNT,
            json!({ "kind": "OUTPATIENT_CARD", "patient": "P-DEMO-1", "card": "DEMO-0001", "key": "demo-card" }),
        )
        .await;
    let account = opened["openAccount"]["id"].clone();
    let deposited = server
        .ok(
            &cashier,
            crate::support::DEPOSIT,
            json!({ "account": account, "amount": "88.00", "method": "CASH", "shift": summary["openShift"], "key": "demo-deposit" }),
        )
        .await;
    assert_eq!(
        deposited["deposit"]["account"]["balance"], "88.00",
        "{deposited}"
    );
}

/// `amount` as the dashboard shows money: the API's string, grouped by thousands.
fn grouped(amount: &str) -> String {
    let (whole, cents) = amount.split_once('.').expect("two places");
    let (sign, digits) = whole
        .strip_prefix('-')
        .map_or(("", whole), |digits| ("-", digits));
    let mut out = String::new();
    for (n, digit) in digits.chars().enumerate() {
        if n > 0 && (digits.len() - n) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    format!("{sign}{out}.{cents}")
}

#[test]
fn money_is_grouped_by_thousands_as_the_dashboard_shows_it() {
    assert_eq!(grouped("1234567.89"), "1,234,567.89");
    assert_eq!(grouped("-1000.00"), "-1,000.00");
    assert_eq!(grouped("999.50"), "999.50");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(browser),
    ignore = "SKIPPED: needs Debian's chromium and `npm ci` in tests/browser (done by .ci/run)"
)]
async fn the_dashboard_shows_the_demo_hospital_and_a_deposit_within_a_second() {
    // Goal: the controller's token from `yika demo` opens the dashboard on the demo's figures
    // (the night shift still open with its expected cash, the month's workload, the last day
    // not signed), and a deposit the night cashier makes over GraphQL shows within a second.
    let data = tempfile::tempdir().unwrap();
    let summary = demo(data.path(), "3");
    let server = Server::start_in(Ledger::sqlite_dir(data));
    let controller = token(&summary, |_| true, "CONTROLLER");
    let night = summary["openShiftCashier"].clone();
    let cashier = token(&summary, |s| s["staffNo"] == night, "CASHIER");
    let shift = server
        .ok(
            &controller,
            "query($id: UUID!) { shift(id: $id) { window expectedCash } }",
            json!({ "id": summary["openShift"] }),
        )
        .await["shift"]
        .clone();
    let expected: rust_decimal::Decimal = shift["expectedCash"].as_str().unwrap().parse().unwrap();
    let after = format!("{:.2}", expected + rust_decimal::Decimal::new(1000, 2));
    let card = server
        .ok(
            &cashier,
            crate::support::OPEN_ACCOUNT,
            json!({ "kind": "OUTPATIENT_CARD", "patient": "P-DASH", "card": "DASH-DEMO", "key": "dash" }),
        )
        .await["openAccount"]["id"]
        .clone();
    let spec = json!({
        "before": [
            { "panel": "p-shifts", "text": shift["window"] },
            { "panel": "p-shifts", "text": grouped(shift["expectedCash"].as_str().unwrap()) },
            { "panel": "p-workload", "text": "C001" },
            { "panel": "p-unsigned", "text": summary["lastDay"] },
        ],
        "deposit": { "token": cashier, "accountId": card, "shiftId": summary["openShift"], "amount": "10.00", "method": "CASH" },
        "after": [{ "panel": "p-shifts", "text": grouped(&after) }],
        "withinMs": 1000,
    });
    let (passed, result) = crate::dashboard::browser(
        "dashboard.mjs",
        &[server.base(), &controller, &spec.to_string()],
    );
    assert!(passed, "{result:#}");
    assert!(result["shownAfterMs"].as_u64() <= Some(1000), "{result:#}");
}
