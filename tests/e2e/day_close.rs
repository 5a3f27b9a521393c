//! The day's close (日结) over HTTP and the command line: a day with an outpatient card and an
//! inpatient deposit account, the close refused while its shift is not handed over and then
//! signed, a reversal of that day's deduction recorded after the close (the SIGNED report
//! unchanged, the CURRENT one moved by it, `dayCorrections` naming it), a deposit after the
//! close belonging to the next day, and `yika verify` naming the signed day once its past is
//! altered.

use serde_json::{Value, json};

use crate::support::*;

const CLOSE_DAY: &str = "mutation($date: Date!, $key: String!) {
  closeDay(input: { date: $date, note: \"evening close\", idempotencyKey: $key }) {
    version deposits deductions reversals closingLiability balances
    signature { closedBy { staffNo } reportSha256 note asOfPosition position }
  }
}";
const REPORT: &str = "query($date: Date!, $version: ReportVersion!) {
  dailyReport(date: $date, version: $version) {
    version openingLiability deposits deductions reversals refunds settlementEffect
    closingLiability balances changedSinceSigned asOfPosition
    byMethod { method amount } byWindow { window received paidOut transactions }
    signature { reportSha256 }
  }
}";
const CORRECTIONS: &str = "query($date: Date!) {
  dayCorrections(date: $date) { position eventType actor { staffNo } recordedAt moved { line amount } }
}";

fn next_day(date: &str) -> String {
    let day: chrono::NaiveDate = date.parse().expect("a date");
    day.succ_opt().expect("a next day").to_string()
}

/// The report lines that differ between two versions of a day.
fn lines(report: &Value) -> Value {
    let mut report = report.clone();
    let object = report.as_object_mut().expect("an object");
    for volatile in [
        "version",
        "changedSinceSigned",
        "asOfPosition",
        "signature",
        "balances",
    ] {
        object.remove(volatile);
    }
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_is_closed_signed_corrected_after_and_its_altered_past_is_found() {
    let (zone, today) = zone_with_local_hour(12);
    let server = Server::start_args(&["--time-zone", &zone]);
    let cast = Cast::register(&server);
    let controller = server.staff_add("F001", "Chen Jing", "CONTROLLER", None);
    let auditor = server.staff_add("AU01", "Sun Li", "AUDITOR", None);
    let c = &cast.cashier;

    // The day: a card with 500.00 cash on it and 120.00 deducted by the lab; an inpatient
    // account with 1,000.00 by WeChat and 300.00 deducted.
    let shift = open_shift(&server, c, "100.00").await;
    let card = open_card(&server, c, "DC-1").await;
    deposit(&server, c, &card, &shift, "500.00").await;
    let stay = server
        .ok(&c.token, OPEN_ACCOUNT, json!({ "kind": "INPATIENT_DEPOSIT", "patient": "P-DC-2", "card": "DC-2", "key": uuid() }))
        .await["openAccount"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    server
        .ok(&c.token, DEPOSIT, json!({ "account": stay, "amount": "1000.00", "method": "WECHAT", "shift": shift, "key": uuid() }))
        .await;
    let drug = server
        .ok(&cast.lab.token, DEDUCT, json!({ "account": card, "amount": "120.00", "department": "Lab", "order": "DC-O1", "item": "CBC" }))
        .await["deduct"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    server
        .ok(&cast.lab.token, DEDUCT, json!({ "account": stay, "amount": "300.00", "department": "Lab", "order": "DC-O2", "item": "MRI" }))
        .await;

    // Before the shift is handed over the day cannot be closed: the shift is named, and
    // nothing is written.
    let before = server.event_count().await;
    let refused = server
        .gql(
            Some(&controller.token),
            CLOSE_DAY,
            json!({ "date": today, "key": "close-1" }),
        )
        .await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "CONFLICT",
        "{refused}"
    );
    assert_eq!(
        refused["errors"][0]["extensions"]["blockingShifts"],
        json!([shift]),
        "{refused}"
    );
    assert_eq!(server.event_count().await, before);
    // A cashier may not close a day; a day not begun cannot be closed.
    assert_eq!(
        server
            .refused(
                Some(&c.token),
                CLOSE_DAY,
                json!({ "date": today, "key": "close-c" })
            )
            .await,
        "FORBIDDEN"
    );
    assert_eq!(
        server
            .refused(
                Some(&controller.token),
                CLOSE_DAY,
                json!({ "date": next_day(&next_day(&today)), "key": "close-f" })
            )
            .await,
        "VALIDATION"
    );

    // The shift closed (600.00 cash counted: the float and the card's deposit) and handed over
    // by both parties.
    server
        .ok(&c.token, "mutation($shift: UUID!) { closeShift(input: { shiftId: $shift, countedCash: \"600.00\", countedOther: [{ method: WECHAT, amount: \"1000.00\" }] }) { status } }", json!({ "shift": shift }))
        .await;
    server
        .ok(&c.token, "mutation($shift: UUID!) { declareHandOver(input: { shiftId: $shift, cash: \"600.00\", other: [{ method: WECHAT, amount: \"1000.00\" }] }) { status } }", json!({ "shift": shift }))
        .await;
    server
        .ok(&controller.token, "mutation($shift: UUID!) { handOverShift(input: { shiftId: $shift, amount: \"600.00\" }) { status } }", json!({ "shift": shift }))
        .await;

    // The controller closes the day: the answer is the report as signed.
    let closed = server
        .ok(
            &controller.token,
            CLOSE_DAY,
            json!({ "date": today, "key": "close-1" }),
        )
        .await["closeDay"]
        .clone();
    assert_eq!(closed["version"], "SIGNED");
    assert_eq!(closed["deposits"], "1500.00");
    assert_eq!(closed["deductions"], "420.00");
    assert_eq!(closed["reversals"], "0.00");
    assert_eq!(closed["closingLiability"], "1080.00");
    assert_eq!(closed["balances"], true);
    assert_eq!(closed["signature"]["closedBy"]["staffNo"], "F001");
    assert_eq!(closed["signature"]["note"], "evening close");
    let sha = closed["signature"]["reportSha256"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(sha.len(), 64);
    // The same request again answers the same close; another one is refused.
    let again = server
        .ok(
            &controller.token,
            CLOSE_DAY,
            json!({ "date": today, "key": "close-1" }),
        )
        .await["closeDay"]
        .clone();
    assert_eq!(again, closed);
    let before = server.event_count().await;
    assert_eq!(
        server
            .refused(
                Some(&controller.token),
                CLOSE_DAY,
                json!({ "date": today, "key": "close-2" })
            )
            .await,
        "CONFLICT"
    );
    assert_eq!(server.event_count().await, before);
    let signed = server
        .ok(
            &auditor.token,
            REPORT,
            json!({ "date": today, "version": "SIGNED" }),
        )
        .await["dailyReport"]
        .clone();
    let current = server
        .ok(
            &auditor.token,
            REPORT,
            json!({ "date": today, "version": "CURRENT" }),
        )
        .await["dailyReport"]
        .clone();
    assert_eq!(lines(&signed), lines(&current));
    assert_eq!(current["changedSinceSigned"], false);
    assert!(
        server
            .ok(&auditor.token, CORRECTIONS, json!({ "date": today }))
            .await["dayCorrections"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // After the close: the lab takes back 20.00 of the day's 120.00 (a drug returned), and a
    // new shift takes a 50.00 deposit. The reversal belongs to the day of its deduction; the
    // deposit to the next day.
    server
        .ok(
            &cast.lab.token,
            REVERSE,
            json!({ "deduction": drug, "amount": "20.00", "reason": "DRUG_RETURN", "key": uuid() }),
        )
        .await;
    let evening = server
        .ok(
            &c.token,
            OPEN_SHIFT,
            json!({ "window": "W2", "float": "0.00", "key": uuid() }),
        )
        .await["openShift"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    deposit(&server, c, &card, &evening, "50.00").await;

    // SIGNED is what was signed, to the byte; CURRENT moved by the reversal alone.
    let signed_after = server
        .ok(
            &auditor.token,
            REPORT,
            json!({ "date": today, "version": "SIGNED" }),
        )
        .await["dailyReport"]
        .clone();
    assert_eq!(signed_after, signed);
    assert_eq!(signed_after["signature"]["reportSha256"], sha.as_str());
    let current = server
        .ok(
            &auditor.token,
            REPORT,
            json!({ "date": today, "version": "CURRENT" }),
        )
        .await["dailyReport"]
        .clone();
    assert_eq!(current["version"], "CURRENT");
    assert_eq!(current["deposits"], "1500.00");
    assert_eq!(current["reversals"], "20.00");
    assert_eq!(current["closingLiability"], "1100.00");
    assert_eq!(current["balances"], true);
    assert_eq!(current["changedSinceSigned"], true);
    let corrections = server
        .ok(&auditor.token, CORRECTIONS, json!({ "date": today }))
        .await["dayCorrections"]
        .clone();
    assert_eq!(corrections.as_array().unwrap().len(), 1, "{corrections}");
    assert_eq!(corrections[0]["eventType"], "DeductionReversed");
    assert_eq!(corrections[0]["actor"]["staffNo"], "D-LAB");
    assert_eq!(
        corrections[0]["moved"],
        json!([
            { "line": "closingLiability", "amount": "20.00" },
            { "line": "reversals", "amount": "20.00" },
        ])
    );
    // The next day opens where the corrected day closes and holds the deposit made after the
    // close.
    let tomorrow = server
        .ok(
            &auditor.token,
            REPORT,
            json!({ "date": next_day(&today), "version": "CURRENT" }),
        )
        .await["dailyReport"]
        .clone();
    assert_eq!(tomorrow["openingLiability"], "1100.00");
    assert_eq!(tomorrow["deposits"], "50.00");
    assert_eq!(tomorrow["closingLiability"], "1150.00");
    assert_eq!(tomorrow["balances"], true);
    assert_eq!(tomorrow["changedSinceSigned"], Value::Null);
    // Only finance reads them; a day not closed has no signed version and no corrections.
    assert_eq!(
        server
            .refused(
                Some(&c.token),
                REPORT,
                json!({ "date": today, "version": "SIGNED" })
            )
            .await,
        "FORBIDDEN"
    );
    assert_eq!(
        server
            .refused(
                Some(&auditor.token),
                REPORT,
                json!({ "date": next_day(&today), "version": "SIGNED" })
            )
            .await,
        "NOT_FOUND"
    );
    assert_eq!(
        server
            .ok(
                &auditor.token,
                CORRECTIONS,
                json!({ "date": next_day(&today) })
            )
            .await["dayCorrections"],
        json!([])
    );

    // `yika verify` passes; once the day's first deposit is altered in the files, it names the
    // signed day.
    let data = server.stop();
    let output = data.yika(&["verify"]).output().expect("yika verify runs");
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{report}");
    let tamper = "UPDATE events SET payload = replace(payload, '\"500.00\"', '\"5.00\"') \
                  WHERE event_type = 'DepositReceived' AND payload LIKE '%\"500.00\"%'";
    match data.postgres_url() {
        Some(url) => crate::verify::pg(&url, tamper).await,
        None => crate::verify::sql(data.path().join("events.db"), tamper).await,
    }
    let output = data.yika(&["verify"]).output().expect("yika verify runs");
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(!output.status.success(), "{report}");
    assert!(report.contains(&format!("signed day {today}")), "{report}");
    assert!(report.contains("deposits -495.00"), "{report}");
}
