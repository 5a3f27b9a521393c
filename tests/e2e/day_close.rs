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
    version deposits deductions reversals settlementEffect closingLiability balances
    signature { closedBy { staffNo } reportSha256 note asOfPosition position }
    sections { kind openingLiability deposits deductions reversals refunds settlementEffect closingLiability }
    cardsIssued admissions discharges
    settlementsByScheme { scheme count totalCharges insurancePays patientPays patientReceives }
    byCashier { cashier window method received paidOut transactions }
    variances { cashier variance resolution }
    receipts { cashier first last issued voided voidedNumbers }
    receiptGaps
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
        .ok(&c.token, "mutation { openAccount(input: { kind: INPATIENT_DEPOSIT, patientId: \"P-DC-2\", cardNo: \"DC-2\", insuranceScheme: RESIDENT_BASIC, idempotencyKey: \"open-dc-2\" }) { id } }", json!({}))
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
    // The patient is discharged: the scheme pays 100.00 of the 300.00, so the 700.00 left and
    // the scheme's 100.00 go back by WeChat.
    let settled = server
        .ok(&c.token, "mutation($account: UUID!, $shift: UUID!) { settleDischarge(input: { accountId: $account, insuranceScheme: RESIDENT_BASIC, insurancePays: \"100.00\", method: WECHAT, shiftId: $shift, idempotencyKey: \"settle-dc-2\" }) { patientReceives } }", json!({ "account": stay, "shift": shift }))
        .await;
    assert_eq!(settled["settleDischarge"]["patientReceives"], "800.00");

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
        .ok(&c.token, "mutation($shift: UUID!) { closeShift(input: { shiftId: $shift, countedCash: \"600.00\", countedOther: [{ method: WECHAT, amount: \"200.00\" }] }) { status } }", json!({ "shift": shift }))
        .await;
    server
        .ok(&c.token, "mutation($shift: UUID!) { declareHandOver(input: { shiftId: $shift, cash: \"600.00\", other: [{ method: WECHAT, amount: \"200.00\" }] }) { status } }", json!({ "shift": shift }))
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
    assert_eq!(closed["closingLiability"], "380.00");
    assert_eq!(closed["settlementEffect"], "700.00");
    assert_eq!(closed["balances"], true);
    // The whole report: each kind of account on its own, the counts, the settlement by scheme,
    // each cashier's takings, and the receipts the shift used.
    assert_eq!(
        closed["sections"],
        json!([
            { "kind": "OUTPATIENT_CARD", "openingLiability": "0.00", "deposits": "500.00",
              "deductions": "120.00", "reversals": "0.00", "refunds": "0.00",
              "settlementEffect": "0.00", "closingLiability": "380.00" },
            { "kind": "INPATIENT_DEPOSIT", "openingLiability": "0.00", "deposits": "1000.00",
              "deductions": "300.00", "reversals": "0.00", "refunds": "0.00",
              "settlementEffect": "700.00", "closingLiability": "0.00" },
        ])
    );
    assert_eq!(
        (
            &closed["cardsIssued"],
            &closed["admissions"],
            &closed["discharges"]
        ),
        (&json!(1), &json!(1), &json!(1))
    );
    assert_eq!(
        closed["settlementsByScheme"],
        json!([{ "scheme": "RESIDENT_BASIC", "count": 1, "totalCharges": "300.00",
                 "insurancePays": "100.00", "patientPays": "0.00", "patientReceives": "800.00" }])
    );
    assert_eq!(
        closed["byCashier"],
        json!([
            { "cashier": "C001", "window": "W1", "method": "CASH", "received": "500.00", "paidOut": "0.00", "transactions": 1 },
            { "cashier": "C001", "window": "W1", "method": "WECHAT", "received": "1000.00", "paidOut": "800.00", "transactions": 2 },
        ])
    );
    assert_eq!(closed["variances"], json!([]));
    assert_eq!(
        closed["receipts"],
        json!([{ "cashier": "C001", "first": "C001-00000001", "last": "C001-00000003",
                 "issued": 3, "voided": 0, "voidedNumbers": [] }])
    );
    assert_eq!(closed["receiptGaps"], json!([]));
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
    assert_eq!(current["closingLiability"], "400.00");
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
            { "line": "outpatient.closingLiability", "amount": "20.00" },
            { "line": "outpatient.reversals", "amount": "20.00" },
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
    assert_eq!(tomorrow["openingLiability"], "400.00");
    assert_eq!(tomorrow["deposits"], "50.00");
    assert_eq!(tomorrow["closingLiability"], "450.00");
    assert_eq!(tomorrow["balances"], true);
    assert_eq!(tomorrow["changedSinceSigned"], Value::Null);
    // The month sums its days so far and shows which are signed.
    let month = server
        .ok(&auditor.token, "query($m: String!) { monthlyReport(month: $m) { month deposits reversals closingLiability balances signedDays cardsIssued days { date signed changedSinceSigned deposits } } }", json!({ "m": &today[..7] }))
        .await["monthlyReport"]
        .clone();
    assert_eq!(month["month"], &today[..7]);
    assert_eq!(month["balances"], true, "{month}");
    assert_eq!(month["signedDays"], 1);
    let day = month["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["date"] == today.as_str())
        .expect("today in its month")
        .clone();
    assert_eq!(
        day,
        json!({ "date": today, "signed": true, "changedSinceSigned": true, "deposits": "1500.00" })
    );
    assert_eq!(month["deposits"], "1500.00");
    assert_eq!(month["reversals"], "20.00");
    assert_eq!(month["closingLiability"], "400.00");
    assert_eq!(
        server
            .refused(
                Some(&auditor.token),
                "{ monthlyReport(month: \"2026-13\") { month } }",
                json!({})
            )
            .await,
        "VALIDATION"
    );

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
    assert!(report.contains("outpatient.deposits -495.00"), "{report}");
}

const BACK_DEPOSIT: &str = "mutation($account: UUID!, $shift: UUID!, $key: String!, $at: DateTime, $reason: String) {
  deposit(input: { accountId: $account, amount: \"80.00\", method: CASH, shiftId: $shift, idempotencyKey: $key, occurredAt: $at, backEntryReason: $reason }) { id }
}";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn money_taken_during_an_outage_is_back_entered_into_its_day_never_into_a_closed_one() {
    let (zone, today) = zone_with_local_hour(12);
    let yesterday = {
        let day: chrono::NaiveDate = today.parse().unwrap();
        day.pred_opt().unwrap().to_string()
    };
    let server = Server::start_args(&["--time-zone", &zone]);
    let cast = Cast::register(&server);
    let controller = server.staff_add("F001", "Chen Jing", "CONTROLLER", None);
    let c = &cast.cashier;
    let shift = open_shift(&server, c, "100.00").await;
    let card = open_card(&server, c, "BE-1").await;

    // Yesterday at about 10:00 local the system was down; the cashier took 80.00 cash on paper
    // and enters it now with its real time and the reason.
    let at = utc_in(-26 * 3600);
    let entered = server
        .ok(&c.token, BACK_DEPOSIT, json!({ "account": card, "shift": shift, "key": uuid(), "at": at, "reason": "停电补录: paper receipt 0042" }))
        .await;
    let id = entered["deposit"]["id"].as_str().unwrap().to_owned();
    // The audit trail keeps both times and the flag.
    let event = server
        .ok(
            &controller.token,
            "query($id: UUID!) { event(id: $id) { occurredAt recordedAt backEntryReason } }",
            json!({ "id": id }),
        )
        .await["event"]
        .clone();
    let instant = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().expect("a time")).expect("RFC 3339")
    };
    assert_eq!(instant(&event["occurredAt"]), instant(&json!(at)));
    assert_ne!(event["recordedAt"], event["occurredAt"]);
    assert_eq!(event["backEntryReason"], "停电补录: paper receipt 0042");
    // Yesterday's report holds it, flagged; today's opens with it.
    let report = |date: String| {
        let server = &server;
        let token = controller.token.clone();
        async move {
            server
                .ok(&token, "query($date: Date!) { dailyReport(date: $date) { openingLiability deposits closingLiability balances backEntries { kind amount method cashier occurredAt reason } } }", json!({ "date": date }))
                .await["dailyReport"]
                .clone()
        }
    };
    let before = report(yesterday.clone()).await;
    assert_eq!(before["deposits"], "80.00");
    assert_eq!(before["balances"], true);
    let mut entries = before["backEntries"].clone();
    assert_eq!(instant(&entries[0]["occurredAt"]), instant(&json!(at)));
    entries[0].as_object_mut().unwrap().remove("occurredAt");
    assert_eq!(
        entries,
        json!([{ "kind": "DEPOSIT", "amount": "80.00", "method": "CASH", "cashier": "C001",
                 "reason": "停电补录: paper receipt 0042" }])
    );
    // The cashier's own workload counts the deposit on the day it was taken, the card today.
    let mine = server
        .ok(&c.token, "query($f: Date!, $t: Date!) { myWorkload(from: $f, to: $t) { days { date transactions } } }", json!({ "f": yesterday, "t": today }))
        .await["myWorkload"]["days"]
        .clone();
    assert_eq!(
        mine,
        json!([{ "date": yesterday, "transactions": 1 }, { "date": today, "transactions": 1 }])
    );
    let now = report(today.clone()).await;
    assert_eq!(now["openingLiability"], "80.00");
    assert_eq!(now["deposits"], "0.00");
    assert_eq!(now["backEntries"], json!([]));

    // Refused, each with its code and nothing written: no reason, a reason without a time, a
    // time in the future, a time beyond the 72 hours.
    let events = server.event_count().await;
    for (variables, code) in [
        (json!({ "at": utc_in(-3600) }), "VALIDATION"),
        (json!({ "reason": "late" }), "VALIDATION"),
        (
            json!({ "at": utc_in(3600), "reason": "late" }),
            "VALIDATION",
        ),
        (
            json!({ "at": utc_in(-80 * 3600), "reason": "late" }),
            "VALIDATION",
        ),
    ] {
        let mut variables = variables;
        variables["account"] = json!(card);
        variables["shift"] = json!(shift);
        variables["key"] = json!(uuid());
        assert_eq!(
            server
                .refused(Some(&c.token), BACK_DEPOSIT, variables.clone())
                .await,
            code,
            "{variables}"
        );
    }
    assert_eq!(server.event_count().await, events);

    // The day before yesterday took no money and is closed; nothing is back-entered into it.
    let two_days_ago = {
        let day: chrono::NaiveDate = yesterday.parse().unwrap();
        day.pred_opt().unwrap().to_string()
    };
    server
        .ok(&controller.token, "mutation($date: Date!) { closeDay(input: { date: $date, idempotencyKey: \"close-2\" }) { version } }", json!({ "date": two_days_ago }))
        .await;
    let events = server.event_count().await;
    assert_eq!(
        server
            .refused(Some(&c.token), BACK_DEPOSIT, json!({ "account": card, "shift": shift, "key": uuid(), "at": utc_in(-50 * 3600), "reason": "late" }))
            .await,
        "CONFLICT"
    );
    assert_eq!(server.event_count().await, events);
    // Yesterday cannot be closed while the shift that took its back-entered money is open.
    let refused = server
        .gql(Some(&controller.token), "mutation($date: Date!) { closeDay(input: { date: $date, idempotencyKey: \"close-1\" }) { version } }", json!({ "date": yesterday }))
        .await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "CONFLICT",
        "{refused}"
    );
    assert_eq!(
        refused["errors"][0]["extensions"]["blockingShifts"],
        json!([shift])
    );
}
