//! Finance's reports over HTTP: shift lists, the daily report and department revenue, with
//! every figure computed by hand in the test.

use serde_json::json;

use crate::support::*;

const DAILY: &str = "query($date: Date!) { dailyReport(date: $date) { date openingLiability deposits deductions reversals refunds settlementEffect closingLiability balances byMethod { method amount } byWindow { window received paidOut transactions } cashVariance } }";
const REVENUE: &str = "query($from: DateTime!, $to: DateTime!) { departmentRevenue(from: $from, to: $to) { department deducted reversed net count } }";
const SHIFTS: &str = "query($filter: ShiftFilter) { shifts(filter: $filter) { totalCount edges { node { window status overdue flaggedForReview reviewReasons cashier { staffNo } } } } }";

fn deposit_with(account: &str, shift: &str, amount: &str, method: &str) -> serde_json::Value {
    json!({ "account": account, "amount": amount, "method": method, "shift": shift, "key": uuid() })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_windows_one_day_checked_by_hand() {
    // Goal: two cashiers at two windows take deposits and refunds in several methods, three
    // departments deduct and one reverses; the daily report, the shift list and department
    // revenue equal figures computed by hand here.
    let (zone, today) = zone_with_local_hour(12);
    let server = Server::start_args(&["--time-zone", &zone]);
    let cast = Cast::register(&server);
    let controller = server.staff_add("F001", "Chen Jing", "CONTROLLER", None);
    let other = server.staff_add("C002", "Li Na", "CASHIER", None);

    let a_shift = server
        .ok(
            &cast.cashier.token,
            OPEN_SHIFT,
            json!({ "window": "W1", "float": "500.00", "key": "a" }),
        )
        .await["openShift"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b_shift = server
        .ok(
            &other.token,
            OPEN_SHIFT,
            json!({ "window": "W2", "float": "300.00", "key": "b" }),
        )
        .await["openShift"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let card1 = open_card(&server, &cast.cashier, "DAY-1").await;
    let card2 = open_card(&server, &cast.cashier, "DAY-2").await;
    let card3 = open_card(&server, &other, "DAY-3").await;

    server
        .ok(
            &cast.cashier.token,
            DEPOSIT,
            deposit_with(&card1, &a_shift, "1000.00", "CASH"),
        )
        .await;
    server
        .ok(
            &cast.cashier.token,
            DEPOSIT,
            deposit_with(&card2, &a_shift, "200.00", "WECHAT"),
        )
        .await;
    server
        .ok(
            &other.token,
            DEPOSIT,
            deposit_with(&card3, &b_shift, "300.00", "BANK_CARD"),
        )
        .await;
    let refund = json!({ "account": card3, "amount": "50.00", "method": "CASH", "shift": b_shift, "key": uuid() });
    server.ok(&other.token, REFUND, refund).await;

    let deduct = |account: &str, amount: &str, department: &str| json!({ "account": account, "amount": amount, "department": department, "order": uuid(), "item": "X" });
    server
        .ok(&cast.lab.token, DEDUCT, deduct(&card1, "120.00", "Lab"))
        .await;
    server
        .ok(
            &cast.imaging.token,
            DEDUCT,
            deduct(&card1, "15.50", "Imaging"),
        )
        .await;
    let pharmacy = server
        .ok(
            &cast.pharmacy.token,
            DEDUCT,
            deduct(&card2, "80.00", "Pharmacy"),
        )
        .await;
    let reverse = json!({ "deduction": pharmacy["deduct"]["id"], "amount": "30.00", "reason": "DRUG_RETURN", "key": uuid() });
    server.ok(&cast.pharmacy.token, REVERSE, reverse).await;

    // A's drawer should hold 500 + 1000 = 1500.00: an auditor's surprise count mid-shift
    // finds 1490.00, 10.00 short, and so does the blind count at the close.
    let auditor = server.staff_add("AU01", "Sun Li", "AUDITOR", None);
    let count = "mutation($shift: UUID!) { recordCashCount(input: { shiftId: $shift, countedCash: \"1490.00\" }) { expectedCash variance } }";
    let counted = server
        .ok(&auditor.token, count, json!({ "shift": a_shift }))
        .await;
    assert_eq!(
        counted["recordCashCount"],
        json!({ "expectedCash": "1500.00", "variance": "-10.00" })
    );
    server
        .ok(
            &cast.cashier.token,
            CLOSE_SHIFT,
            json!({ "shift": a_shift, "counted": "1490.00" }),
        )
        .await;
    server
        .ok(
            &cast.cashier.token,
            "mutation($shift: UUID!) { declareHandOver(input: { shiftId: $shift, cash: \"1490.00\" }) { status } }",
            json!({ "shift": a_shift }),
        )
        .await;
    let hand_over = "mutation($shift: UUID!) { handOverShift(input: { shiftId: $shift, amount: \"1490.00\" }) { status handedOver } }";
    let handed = server
        .ok(&controller.token, hand_over, json!({ "shift": a_shift }))
        .await;
    assert_eq!(
        handed["handOverShift"],
        json!({ "status": "HANDED_OVER", "handedOver": "1490.00" })
    );
    // B's drawer: 300 − 50 = 250.00, counted exactly.
    let b_closed = server
        .ok(
            &other.token,
            "mutation($shift: UUID!) { closeShift(input: { shiftId: $shift, countedCash: \"250.00\", countedOther: [{ method: BANK_CARD, amount: \"300.00\" }] }) { variance countedOther { method amount } } }",
            json!({ "shift": b_shift }),
        )
        .await;
    // B's blind count reads the bank-card terminal too (300.00); the cash is exact.
    assert_eq!(
        b_closed["closeShift"],
        json!({ "variance": "0.00", "countedOther": [{ "method": "BANK_CARD", "amount": "300.00" }] })
    );

    let report = server
        .ok(&controller.token, DAILY, json!({ "date": today }))
        .await;
    assert_eq!(
        report["dailyReport"],
        json!({
            "date": today,
            "openingLiability": "0.00",
            "deposits": "1500.00",
            "deductions": "215.50",
            "reversals": "30.00",
            "refunds": "50.00",
            "settlementEffect": "0.00",
            // 0 + 1500 − 215.50 + 30 − 50 − 0
            "closingLiability": "1264.50",
            "balances": true,
            "byMethod": [
                { "method": "CASH", "amount": "950.00" },
                { "method": "BANK_CARD", "amount": "300.00" },
                { "method": "WECHAT", "amount": "200.00" }
            ],
            "byWindow": [
                { "window": "W1", "received": "1200.00", "paidOut": "0.00", "transactions": 2 },
                { "window": "W2", "received": "300.00", "paidOut": "50.00", "transactions": 2 }
            ],
            "cashVariance": "-10.00"
        })
    );
    let revenue = server
        .ok(
            &controller.token,
            REVENUE,
            json!({ "from": utc_in(-3600), "to": utc_in(3600) }),
        )
        .await;
    assert_eq!(
        revenue["departmentRevenue"],
        json!([
            { "department": "Imaging", "deducted": "15.50", "reversed": "0.00", "net": "15.50", "count": 1 },
            { "department": "Lab", "deducted": "120.00", "reversed": "0.00", "net": "120.00", "count": 1 },
            { "department": "Pharmacy", "deducted": "80.00", "reversed": "30.00", "net": "50.00", "count": 1 }
        ])
    );
    let before = server
        .ok(
            &controller.token,
            REVENUE,
            json!({ "from": utc_in(-7200), "to": utc_in(-3600) }),
        )
        .await;
    assert_eq!(
        before["departmentRevenue"],
        json!([]),
        "nothing was executed an hour ago"
    );
    let too_long = json!({ "from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z" });
    assert_eq!(
        server
            .refused(Some(&controller.token), REVENUE, too_long)
            .await,
        "LIMIT_EXCEEDED"
    );

    let all = server
        .ok(
            &controller.token,
            SHIFTS,
            json!({ "filter": { "date": today } }),
        )
        .await;
    assert_eq!(all["shifts"]["totalCount"], 2);
    assert_eq!(all["shifts"]["edges"][0]["node"]["window"], "W1");
    assert_eq!(all["shifts"]["edges"][0]["node"]["status"], "HANDED_OVER");
    assert_eq!(all["shifts"]["edges"][1]["node"]["status"], "CLOSED");
    assert_eq!(all["shifts"]["edges"][0]["node"]["overdue"], false);
    let own = server.ok(&other.token, SHIFTS, json!({})).await;
    assert_eq!(
        own["shifts"]["totalCount"], 1,
        "a cashier sees only their own shifts"
    );
    assert_eq!(
        own["shifts"]["edges"][0]["node"]["cashier"]["staffNo"],
        "C002"
    );
    let someone_else = json!({ "filter": { "cashierId": cast.cashier.id } });
    assert_eq!(
        server
            .refused(Some(&other.token), SHIFTS, someone_else)
            .await,
        "FORBIDDEN"
    );
    assert_eq!(
        server
            .refused(Some(&cast.lab.token), DAILY, json!({ "date": today }))
            .await,
        "FORBIDDEN"
    );
    let backwards = json!({ "from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z" });
    assert_eq!(
        server
            .refused(Some(&controller.token), REVENUE, backwards)
            .await,
        "VALIDATION"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_night_shift_worked_alone_is_flagged_for_review() {
    // Goal: a shift opened at night (local 23:00) with no other cashier's shift beside it is
    // flagged NIGHT_SHIFT_ALONE; once a second cashier opens a shift it is no longer alone.
    let (zone, _) = zone_with_local_hour(23);
    let server = Server::start_args(&["--time-zone", &zone]);
    let cast = Cast::register(&server);
    let controller = server.staff_add("F001", "Chen Jing", "CONTROLLER", None);
    open_shift(&server, &cast.cashier, "100.00").await;
    let shifts = server.ok(&controller.token, SHIFTS, json!({})).await;
    assert_eq!(
        shifts["shifts"]["edges"][0]["node"]["reviewReasons"],
        json!(["NIGHT_SHIFT_ALONE"])
    );
    assert_eq!(
        shifts["shifts"]["edges"][0]["node"]["flaggedForReview"],
        true
    );

    let other = server.staff_add("C002", "Li Na", "CASHIER", None);
    open_shift(&server, &other, "100.00").await;
    let shifts = server.ok(&controller.token, SHIFTS, json!({})).await;
    for edge in shifts["shifts"]["edges"].as_array().unwrap() {
        assert_eq!(edge["node"]["flaggedForReview"], false, "{edge}");
    }
}
