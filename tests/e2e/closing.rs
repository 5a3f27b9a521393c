//! Closing the books over HTTP and the command line: a day of WeChat, Alipay and cash money,
//! the WeChat and Alipay statements (in their real layouts) imported with `yika reconcile
//! import`, matched automatically and by hand, the reconciliation's exceptions, a short drawer
//! posted and resolved, a two-party hand-over with a difference, and an insurance remittance
//! short-paid; with the refusals, each with its code and nothing written.

use serde_json::{Value, json};

use crate::support::*;

const DEPOSIT_REF: &str = "mutation($account: UUID!, $amount: Money!, $method: PaymentMethod!, $shift: UUID!, $key: String!, $ref: String) {
  deposit(input: { accountId: $account, amount: $amount, method: $method, shiftId: $shift, idempotencyKey: $key, externalRef: $ref }) { id }
}";
const REFUND_REF: &str = "mutation($account: UUID!, $amount: Money!, $shift: UUID!, $key: String!, $ref: String) {
  refundBalance(input: { accountId: $account, amount: $amount, method: WECHAT, shiftId: $shift, idempotencyKey: $key, externalRef: $ref }) { id }
}";
const RECONCILIATION: &str = "query($method: PaymentMethod!, $date: Date!) {
  reconciliation(method: $method, date: $date) {
    ledgerTotal statementTotal matchedCount matchedTotal fees difference clearingBalance
    ledgerOnly { eventId amount direction externalRef receiptNo }
    statementOnly { externalRef amount direction }
  }
}";
const IMPORT: &str = "mutation($input: ImportStatementInput!) { importStatement(input: $input) { imported duplicates matched } }";
const MATCH: &str = "mutation($ref: String!, $movement: UUID!) { matchPayment(input: { method: ALIPAY, externalRef: $ref, movementId: $movement, reason: \"reference mistyped at the window\" }) { matchedCount } }";

/// Today in the hospital's time zone (the server's default, Asia/Shanghai).
fn today() -> String {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%d")
        .to_string()
}

/// A statement fixture (real layout) moved to today: its lines fall within a day of now.
fn statement_of_today(name: &str, dir: &std::path::Path) -> std::path::PathBuf {
    let fixture = format!(
        "{}/../tests/fixtures/statements/{name}-2026-12-01.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&fixture).expect("fixture");
    // Dates are ASCII, in UTF-8 and in GBK alike.
    let text = bytes
        .windows(10)
        .enumerate()
        .filter(|(_, w)| *w == b"2026-12-01")
        .map(|(i, _)| i)
        .collect::<Vec<_>>();
    let mut moved = bytes.clone();
    for i in text {
        moved[i..i + 10].copy_from_slice(today().as_bytes());
    }
    let path = dir.join(format!("{name}.csv"));
    std::fs::write(&path, moved).expect("write");
    path
}

async fn deposit_by(
    server: &Server,
    cashier: &StaffMember,
    (account, shift): (&str, &str),
    amount: &str,
    method: &str,
    reference: Option<&str>,
) -> String {
    let answer = server
        .ok(
            &cashier.token,
            DEPOSIT_REF,
            json!({ "account": account, "amount": amount, "method": method, "shift": shift, "key": uuid(), "ref": reference }),
        )
        .await;
    answer["deposit"]["id"].as_str().expect("id").to_owned()
}

fn ledger_only_amounts(report: &Value) -> Vec<String> {
    let mut amounts: Vec<String> = report["ledgerOnly"]
        .as_array()
        .expect("list")
        .iter()
        .map(|m| m["amount"].as_str().expect("amount").to_owned())
        .collect();
    amounts.sort();
    amounts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_is_reconciled_its_drawer_resolved_handed_over_and_insurance_remitted() {
    let server = Server::start();
    let cast = Cast::register(&server);
    let controller = server.staff_add("F001", "Chen Jing", "CONTROLLER", None);
    let auditor = server.staff_add("AU01", "Sun Li", "AUDITOR", None);
    let shift = open_shift(&server, &cast.cashier, "100.00").await;
    let card = open_card(&server, &cast.cashier, "RC-1").await;
    let c = &cast.cashier;
    let at = (card.as_str(), shift.as_str());

    // The day's money. WeChat: 200.00 under WX-DEP-1, 150.00 with no reference (the statement
    // has it as WX-DEP-2), 60.00 under WX-DEP-5 (not on the statement), and 50.00 paid back
    // under WX-REF-1. Alipay: 300.00 under ALI-DEP-1, 120.00 under a mistyped reference (the
    // statement says ALI-DEP-2), 45.00 under ALI-DEP-7 (not on the statement). Cash: 100.00.
    deposit_by(&server, c, at, "200.00", "WECHAT", Some("WX-DEP-1")).await;
    deposit_by(&server, c, at, "150.00", "WECHAT", None).await;
    deposit_by(&server, c, at, "60.00", "WECHAT", Some("WX-DEP-5")).await;
    server
        .ok(
            &c.token,
            REFUND_REF,
            json!({ "account": card, "amount": "50.00", "shift": shift, "key": uuid(), "ref": "WX-REF-1" }),
        )
        .await;
    deposit_by(&server, c, at, "300.00", "ALIPAY", Some("ALI-DEP-1")).await;
    let typo = deposit_by(&server, c, at, "120.00", "ALIPAY", Some("ALI-TYPO-2")).await;
    deposit_by(&server, c, at, "45.00", "ALIPAY", Some("ALI-DEP-7")).await;
    deposit_by(&server, c, at, "100.00", "CASH", None).await;

    // An inpatient stay under the resident scheme: 1,000.00 deposited in cash, 1,500.00
    // charged; the scheme pays 900.00, the patient 600.00, so 400.00 cash goes back.
    let stay = server
        .ok(&c.token, "mutation { openAccount(input: { kind: INPATIENT_DEPOSIT, patientId: \"P-IN-1\", cardNo: \"IN-1\", insuranceScheme: RESIDENT_BASIC, idempotencyKey: \"open-in-1\" }) { id } }", json!({}))
        .await["openAccount"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    deposit_by(&server, c, (&stay, &shift), "1000.00", "CASH", None).await;
    server
        .ok(
            &cast.lab.token,
            DEDUCT,
            json!({ "account": stay, "amount": "1500.00", "department": "Lab", "order": "ORD-IN-1", "item": "SURGERY" }),
        )
        .await;
    let settled = server
        .ok(&c.token, "mutation($account: UUID!, $shift: UUID!) { settleDischarge(input: { accountId: $account, insuranceScheme: RESIDENT_BASIC, insurancePays: \"900.00\", method: CASH, shiftId: $shift, idempotencyKey: \"settle-in-1\" }) { patientReceives } }", json!({ "account": stay, "shift": shift }))
        .await;
    assert_eq!(settled["settleDischarge"]["patientReceives"], "400.00");

    // Finance imports the WeChat statement with the command line: three of its four lines
    // match (two by reference, WX-DEP-2 by amount and time); WX-DEP-9 is only on the statement.
    let dir = tempfile::tempdir().expect("tempdir");
    let date = today();
    let import = |method: &str, file: &std::path::Path| {
        server
            .data
            .yika(&[
                "reconcile",
                "import",
                "--method",
                method,
                "--date",
                &date,
                "--file",
                file.to_str().unwrap(),
                "--server",
                &server.url,
                "--token",
                &controller.token,
            ])
            .output()
            .expect("yika runs")
    };
    let wechat_file = statement_of_today("wechat", dir.path());
    let out = import("WECHAT", &wechat_file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Value = serde_json::from_slice(&out.stdout).expect("the import's JSON");
    assert_eq!(printed["imported"], 4);
    assert_eq!(printed["matched"], 3);
    let wechat = server
        .ok(
            &controller.token,
            RECONCILIATION,
            json!({ "method": "WECHAT", "date": date }),
        )
        .await["reconciliation"]
        .clone();
    // Ledger: 200 + 150 + 60 − 50 = 360.00; statement: 200 + 150 + 88 − 50 = 388.00.
    assert_eq!(wechat["ledgerTotal"], "360.00");
    assert_eq!(wechat["statementTotal"], "388.00");
    assert_eq!(wechat["difference"], "-28.00");
    assert_eq!(wechat["matchedCount"], 3);
    assert_eq!(wechat["matchedTotal"], "300.00");
    assert_eq!(wechat["fees"], "2.93");
    assert_eq!(ledger_only_amounts(&wechat), vec!["60.00"]);
    assert_eq!(wechat["ledgerOnly"][0]["externalRef"], "WX-DEP-5");
    assert_eq!(
        wechat["statementOnly"],
        json!([{ "externalRef": "WX-DEP-9", "amount": "88.00", "direction": "IN" }])
    );
    // The clearing account holds exactly what is not matched.
    assert_eq!(wechat["clearingBalance"], "60.00");

    // The Alipay statement (GBK, with its # lines): ALI-DEP-1 matches; ALI-DEP-2 does not (the
    // window typed another reference) and ALI-DEP-8 is only on the statement.
    let out = import("ALIPAY", &statement_of_today("alipay", dir.path()));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let alipay = server
        .ok(
            &controller.token,
            RECONCILIATION,
            json!({ "method": "ALIPAY", "date": date }),
        )
        .await["reconciliation"]
        .clone();
    assert_eq!(alipay["matchedCount"], 1);
    assert_eq!(ledger_only_amounts(&alipay), vec!["120.00", "45.00"]);
    // A controller matches ALI-DEP-2 to the mistyped deposit by hand.
    server
        .ok(
            &controller.token,
            MATCH,
            json!({ "ref": "ALI-DEP-2", "movement": typo }),
        )
        .await;
    let alipay = server
        .ok(
            &controller.token,
            RECONCILIATION,
            json!({ "method": "ALIPAY", "date": date }),
        )
        .await["reconciliation"]
        .clone();
    assert_eq!(alipay["matchedCount"], 2);
    assert_eq!(ledger_only_amounts(&alipay), vec!["45.00"]);
    assert_eq!(
        alipay["statementOnly"],
        json!([{ "externalRef": "ALI-DEP-8", "amount": "66.00", "direction": "IN" }])
    );
    assert_eq!(alipay["clearingBalance"], "45.00");

    // Refusals, each with its code, and nothing written.
    let before = server.event_count().await;
    assert_eq!(
        server
            .refused(
                Some(&controller.token),
                MATCH,
                json!({ "ref": "ALI-DEP-2", "movement": typo })
            )
            .await,
        "CONFLICT",
        "a line matched twice"
    );
    let cash_statement = json!({ "input": { "method": "CASH", "statementDate": date, "lines": [], "idempotencyKey": uuid() } });
    assert_eq!(
        server
            .refused(Some(&controller.token), IMPORT, cash_statement)
            .await,
        "VALIDATION"
    );
    let any = json!({ "input": { "method": "WECHAT", "statementDate": date, "lines": [], "idempotencyKey": uuid() } });
    for token in [&c.token, &auditor.token] {
        assert_eq!(
            server.refused(Some(token), IMPORT, any.clone()).await,
            "FORBIDDEN"
        );
    }
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "externalRef,amount,direction,occurredAt,fee\nOK-1,1.00,IN,2026-12-01 09:00:00,\nBAD-1,12.345,SIDEWAYS,yesterday,\n",
    )
    .unwrap();
    let out = import("PAYPAL", &wechat_file);
    assert!(!out.status.success(), "an unknown method");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--method"));
    let out = import("BANK_CARD", &bad);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 3"), "{stderr}");
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    assert_eq!(server.event_count().await, before, "refusals write nothing");

    // A statement line already imported is counted, not stored twice.
    let again = json!({ "input": { "method": "WECHAT", "statementDate": date, "idempotencyKey": uuid(), "lines": [
        { "externalRef": "WX-DEP-9", "amount": "88.00", "direction": "IN", "occurredAt": chrono::Utc::now().to_rfc3339() },
        { "externalRef": "WX-NEW-1", "amount": "1.00", "direction": "IN", "occurredAt": chrono::Utc::now().to_rfc3339() }
    ] } });
    let answer = server.ok(&controller.token, IMPORT, again).await;
    assert_eq!(
        answer["importStatement"],
        json!({ "imported": 1, "duplicates": 1, "matched": 0 })
    );

    // The drawer: 100.00 float + 100.00 + 1,000.00 cash − 400.00 paid back = 800.00; counted
    // 795.00 at the close, 5.00 short, posted to cash-over-short.
    let closed = server
        .ok(
            &c.token,
            CLOSE_SHIFT,
            json!({ "shift": shift, "counted": "795.00" }),
        )
        .await;
    assert_eq!(closed["closeShift"]["variance"], "-5.00");
    let journal = server
        .ok(&controller.token, "query { journal(filter: { ledgerAccount: \"cash-over-short\" }) { edges { node { eventType side amount } } } }", json!({}))
        .await;
    assert_eq!(
        journal["journal"]["edges"],
        json!([{ "node": { "eventType": "ShiftClosed", "side": "DEBIT", "amount": "5.00" } }])
    );
    let daily = "query($date: Date!) { dailyReport(date: $date) { cashVariance openVariance openVarianceShifts balances } }";
    let open = server
        .ok(&controller.token, daily, json!({ "date": date }))
        .await;
    assert_eq!(
        open["dailyReport"],
        json!({ "cashVariance": "-5.00", "openVariance": "-5.00", "openVarianceShifts": 1, "balances": true })
    );
    let resolve = "mutation($shift: UUID!, $how: VarianceResolution!) { resolveVariance(input: { shiftId: $shift, resolution: $how, note: \"repaid by the cashier\" }) { variance varianceResolution varianceNote } }";
    assert_eq!(
        server
            .refused(
                Some(&c.token),
                resolve,
                json!({ "shift": shift, "how": "CASHIER_REPAYS" })
            )
            .await,
        "FORBIDDEN"
    );
    let resolved = server
        .ok(
            &controller.token,
            resolve,
            json!({ "shift": shift, "how": "CASHIER_REPAYS" }),
        )
        .await;
    assert_eq!(
        resolved["resolveVariance"],
        json!({ "variance": "-5.00", "varianceResolution": "CASHIER_REPAYS", "varianceNote": "repaid by the cashier" })
    );
    assert_eq!(
        server
            .refused(
                Some(&controller.token),
                resolve,
                json!({ "shift": shift, "how": "WRITTEN_OFF" })
            )
            .await,
        "CONFLICT"
    );

    // The two-party hand-over: the cashier declares 795.00; finance counts 790.00.
    let declared = server
        .ok(&c.token, "mutation($shift: UUID!) { declareHandOver(input: { shiftId: $shift, cash: \"795.00\", other: [{ method: WECHAT, amount: \"360.00\" }] }) { status declaredCash declaredVariance declaredOther { method amount } } }", json!({ "shift": shift }))
        .await;
    assert_eq!(
        declared["declareHandOver"],
        json!({ "status": "CLOSED", "declaredCash": "795.00", "declaredVariance": "0.00", "declaredOther": [{ "method": "WECHAT", "amount": "360.00" }] })
    );
    let handed = server
        .ok(&controller.token, "mutation($shift: UUID!) { handOverShift(input: { shiftId: $shift, amount: \"790.00\" }) { status handedOver receivedVariance handOverOverdue } }", json!({ "shift": shift }))
        .await;
    assert_eq!(
        handed["handOverShift"],
        json!({ "status": "HANDED_OVER", "handedOver": "790.00", "receivedVariance": "-5.00", "handOverOverdue": false })
    );

    // The resident scheme pays 850.00 of the 900.00 it owes: 50.00 stays owed.
    let remit = "mutation($scheme: InsuranceScheme!, $amount: Money!, $date: Date!, $ref: String!) { recordInsuranceRemittance(input: { scheme: $scheme, amount: $amount, periodFrom: $date, periodTo: $date, reference: $ref, idempotencyKey: $ref }) { owed amount difference } }";
    let remitted = server
        .ok(
            &controller.token,
            remit,
            json!({ "scheme": "RESIDENT_BASIC", "amount": "850.00", "date": date, "ref": "YB-1" }),
        )
        .await;
    assert_eq!(
        remitted["recordInsuranceRemittance"],
        json!({ "owed": "900.00", "amount": "850.00", "difference": "-50.00" })
    );
    let before = server.event_count().await;
    assert_eq!(
        server
            .refused(
                Some(&controller.token),
                remit,
                json!({ "scheme": "EMPLOYEE_BASIC", "amount": "1.00", "date": date, "ref": "YB-2" })
            )
            .await,
        "VALIDATION",
        "a scheme with nothing owed"
    );
    assert_eq!(server.event_count().await, before);
    let receivables = server
        .ok(&auditor.token, "{ receivables { scheme owed settled remitted byMonth { settled remitted outstanding } } }", json!({}))
        .await;
    assert_eq!(
        receivables["receivables"],
        json!([{ "scheme": "RESIDENT_BASIC", "owed": "50.00", "settled": "900.00", "remitted": "850.00",
                 "byMonth": [{ "settled": "900.00", "remitted": "850.00", "outstanding": "50.00" }] }])
    );
    let settlements = server
        .ok(&controller.token, "{ settlements(filter: { scheme: RESIDENT_BASIC }) { edges { node { patientId insurancePays patientReceives manual } } } }", json!({}))
        .await;
    assert_eq!(
        settlements["settlements"]["edges"],
        json!([{ "node": { "patientId": "P-IN-1", "insurancePays": "900.00", "patientReceives": "400.00", "manual": false } }])
    );

    // The books balance, and the views equal a replay of the log.
    let trial = server
        .ok(&auditor.token, "{ trialBalance { balanced } }", json!({}))
        .await;
    assert_eq!(trial["trialBalance"]["balanced"], true);
    let resolved_day = server
        .ok(&controller.token, daily, json!({ "date": date }))
        .await;
    assert_eq!(
        resolved_day["dailyReport"],
        json!({ "cashVariance": "-5.00", "openVariance": "0.00", "openVarianceShifts": 0, "balances": true })
    );
    let ledger = server.stop();
    let verified = ledger.yika(&["verify"]).output().expect("verify runs");
    assert!(
        verified.status.success(),
        "{}{}",
        String::from_utf8_lossy(&verified.stdout),
        String::from_utf8_lossy(&verified.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_statement_file_is_imported_in_parts_that_fit_the_request_limit() {
    // Goal: 1,500 rows (far more than one 64 KiB request holds) all arrive, once; sending the
    // same file again stores nothing twice.
    let server = Server::start();
    let controller = server.staff_add("F001", "Chen Jing", "CONTROLLER", None);
    let dir = tempfile::tempdir().expect("tempdir");
    let date = today();
    let mut text = String::from("externalRef,amount,direction,occurredAt,fee,note\n");
    for n in 0..1500 {
        // One product name longer than the ledger keeps: cut, not refused.
        let note = if n == 7 {
            "住院预交金".repeat(60)
        } else {
            "银联 POS 刷卡".to_owned()
        };
        text.push_str(&format!(
            "POS-{n:06},{}.{:02},IN,{date} 09:{:02}:00,0.10,{note}\n",
            1 + n % 500,
            n % 100,
            n % 60
        ));
    }
    let file = dir.path().join("bank.csv");
    std::fs::write(&file, text).expect("write");
    let send = || {
        server
            .data
            .yika(&[
                "reconcile",
                "import",
                "--method",
                "BANK_CARD",
                "--date",
                &date,
                "--file",
                file.to_str().unwrap(),
                "--server",
                &server.url,
                "--token",
                &controller.token,
            ])
            .output()
            .expect("yika runs")
    };
    let out = send();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(first["imported"], 1500);
    assert!(first["requests"].as_i64().unwrap() > 1, "{first}");
    assert_eq!(
        first["reconciliation"]["statementOnly"]
            .as_array()
            .unwrap()
            .len(),
        1500
    );
    let again = send();
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let again: Value = serde_json::from_slice(&again.stdout).expect("JSON");
    // The same parts under the same keys: the first results, nothing new written.
    assert_eq!(again["imported"], 1500);
    let events = server.event_count().await;
    let third = send();
    assert!(third.status.success());
    assert_eq!(
        server.event_count().await,
        events,
        "a retried file writes nothing"
    );
}
