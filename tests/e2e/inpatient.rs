//! The inpatient half over HTTP: admission deposit, charges from four departments with arrears,
//! a reversal, discharge settlement with the resident scheme, and the books after it.

use serde_json::json;

use crate::support::*;

const SETTLE: &str = "mutation($account: UUID!, $scheme: InsuranceScheme!, $pays: Money!, $method: PaymentMethod!, $shift: UUID!, $key: String!) {
  settleDischarge(input: { accountId: $account, insuranceScheme: $scheme, insurancePays: $pays, method: $method, shiftId: $shift, idempotencyKey: $key }) {
    totalCharges insurancePays depositsApplied patientPays patientReceives receiptNo manual account { balance status }
  }
}";
const TRIAL: &str =
    "{ trialBalance { balanced totalDebit totalCredit accounts { ledgerAccount balance } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admission_charges_reversal_and_resident_scheme_settlement() {
    // Goal: deposit 5,000.00 by bank card, 6,234.56 charged by four departments, 234.56
    // reversed, the resident scheme pays 3,600.00; the split is checked against a hand
    // computation, the account ends at 0.00 and takes nothing more, and the books balance.
    let (zone, today) = zone_with_local_hour(12);
    let server = Server::start_args(&["--time-zone", &zone]);
    let cast = Cast::register(&server);
    let treatment = server.staff_add("D-TRT", "Treatment room", "DEPARTMENT", Some("Treatment"));
    let controller = server.staff_add("F001", "Chen Jing", "CONTROLLER", None);
    let shift = open_shift(&server, &cast.cashier, "500.00").await;
    let account = server
        .ok(&cast.cashier.token, OPEN_ACCOUNT, json!({ "kind": "INPATIENT_DEPOSIT", "patient": "IP-7", "card": "ZY-0007", "key": "adm" }))
        .await["openAccount"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let admission = json!({ "account": account, "amount": "5000.00", "method": "BANK_CARD", "shift": shift, "key": "adm-dep" });
    server.ok(&cast.cashier.token, DEPOSIT, admission).await;

    let charge = |amount: &str, department: &str| json!({ "account": account, "amount": amount, "department": department, "order": uuid(), "item": "X" });
    server
        .ok(&cast.lab.token, DEDUCT, charge("1200.00", "Lab"))
        .await;
    server
        .ok(&cast.imaging.token, DEDUCT, charge("2500.00", "Imaging"))
        .await;
    let drugs = server
        .ok(&cast.pharmacy.token, DEDUCT, charge("1834.56", "Pharmacy"))
        .await;
    let nursing = server
        .ok(&treatment.token, DEDUCT, charge("700.00", "Treatment"))
        .await;
    // 6,234.56 charged against 5,000.00 deposited: 1,234.56 in arrears (欠费).
    assert_eq!(nursing["deduct"]["account"]["balance"], "-1234.56");
    let reverse = json!({ "deduction": drugs["deduct"]["id"], "amount": "234.56", "reason": "DRUG_RETURN", "key": "ret" });
    server.ok(&cast.pharmacy.token, REVERSE, reverse).await;

    let settle = |pays: &str, key: &str| json!({ "account": account, "scheme": "RESIDENT_BASIC", "pays": pays, "method": "BANK_CARD", "shift": shift, "key": key });
    assert_eq!(
        server
            .refused(
                Some(&cast.cashier.token),
                SETTLE,
                settle("6000.01", "too-much")
            )
            .await,
        "VALIDATION"
    );
    assert_eq!(
        server
            .refused(
                Some(&cast.lab.token),
                SETTLE,
                settle("3600.00", "wrong-role")
            )
            .await,
        "FORBIDDEN"
    );

    // By hand: charges 6,234.56 − 234.56 = 6,000.00; the scheme pays 3,600.00; the patient's
    // share 2,400.00 comes out of the 5,000.00 deposited; 2,600.00 goes back (退).
    let settled = server
        .ok(&cast.cashier.token, SETTLE, settle("3600.00", "settle"))
        .await;
    assert_eq!(
        settled["settleDischarge"],
        json!({
            "totalCharges": "6000.00", "insurancePays": "3600.00", "depositsApplied": "2400.00",
            "patientPays": "0.00", "patientReceives": "2600.00", "receiptNo": "C001-00000002", "manual": false,
            "account": { "balance": "0.00", "status": "OPEN" }
        })
    );
    // Settled: nothing more moves; a retry answers the first result.
    assert_eq!(
        server
            .ok(&cast.cashier.token, SETTLE, settle("3600.00", "settle"))
            .await,
        settled
    );
    assert_eq!(
        server
            .refused(
                Some(&cast.cashier.token),
                SETTLE,
                settle("3600.00", "again")
            )
            .await,
        "ALREADY_SETTLED"
    );
    assert_eq!(
        server
            .refused(Some(&cast.lab.token), DEDUCT, charge("1.00", "Lab"))
            .await,
        "ALREADY_SETTLED"
    );
    let top_up = json!({ "account": account, "amount": "1.00", "method": "CASH", "shift": shift, "key": uuid() });
    assert_eq!(
        server
            .refused(Some(&cast.cashier.token), DEPOSIT, top_up)
            .await,
        "ALREADY_SETTLED"
    );
    let closed = server
        .ok(
            &cast.cashier.token,
            CLOSE_ACCOUNT,
            json!({ "account": account, "key": "close" }),
        )
        .await;
    assert_eq!(closed["closeAccount"]["status"], "CLOSED");

    // The books: balanced, the scheme owes 3,600.00, patients are owed nothing.
    let trial = server.ok(&controller.token, TRIAL, json!({})).await;
    assert_eq!(trial["trialBalance"]["balanced"], true);
    let line = |name: &str| {
        trial["trialBalance"]["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["ledgerAccount"] == name)
            .map(|l| l["balance"].clone())
    };
    assert_eq!(
        line("insurance-receivable:RESIDENT_BASIC"),
        Some(json!("3600.00"))
    );
    assert_eq!(line("patient-prepaid"), Some(json!("0.00")));
    assert_eq!(line("clearing:BANK_CARD"), Some(json!("2400.00")));

    // The day: 0 + 5,000.00 − 6,234.56 + 234.56 − 0 − (2,600.00 − 0 − 3,600.00) = 0.00.
    let daily = "query($date: Date!) { dailyReport(date: $date) { deposits deductions reversals refunds settlementEffect closingLiability balances byMethod { method amount } } }";
    let report = server
        .ok(&controller.token, daily, json!({ "date": today }))
        .await;
    assert_eq!(
        report["dailyReport"],
        json!({
            "deposits": "5000.00", "deductions": "6234.56", "reversals": "234.56", "refunds": "0.00",
            "settlementEffect": "-1000.00", "closingLiability": "0.00", "balances": true,
            "byMethod": [{ "method": "BANK_CARD", "amount": "2400.00" }]
        })
    );
}
