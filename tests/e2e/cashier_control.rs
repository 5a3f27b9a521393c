//! Cashier control over HTTP: the numbered receipt series, a void, a surprise count that finds
//! a shortage, the drawer that never goes below zero, and the hand-over to a controller.

use serde_json::json;

use crate::support::*;

const COUNT: &str = "mutation($shift: UUID!, $counted: Money!) { recordCashCount(input: { shiftId: $shift, countedCash: $counted, note: \"surprise\" }) { countedCash expectedCash variance surprise note countedBy { staffNo } } }";
const DECLARE: &str = "mutation($shift: UUID!, $cash: Money!) { declareHandOver(input: { shiftId: $shift, cash: $cash }) { status declaredCash } }";
const HAND_OVER: &str = "mutation($shift: UUID!, $amount: Money!) { handOverShift(input: { shiftId: $shift, amount: $amount }) { status handedOver handedOverTo { staffNo } } }";
const VOID: &str = "mutation($shift: UUID!) { voidReceipt(input: { shiftId: $shift, reason: \"printer jam\" }) { receiptsIssued receiptsVoided receiptGaps } }";
const REPORT: &str = "query($id: UUID!) { shift(id: $id) { status expectedCash countedCash variance receiptsIssued receiptsVoided receiptGaps handedOver cashCounts { countedCash expectedCash variance surprise countedBy { staffNo } } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shift_from_float_to_hand_over() {
    // Goal: receipts come from the cashier's series in order (a void uses up a number), an
    // auditor's surprise count finds 10.00 short, a cash payout beyond the drawer is refused,
    // and a controller receives the closed shift's cash; every figure computed by hand.
    let server = Server::start();
    let cast = Cast::register(&server);
    let auditor = server.staff_add("AU01", "Sun Li", "AUDITOR", None);
    let controller = server.staff_add("F001", "Chen Jing", "CONTROLLER", None);
    let shift = open_shift(&server, &cast.cashier, "200.00").await;
    let card = open_card(&server, &cast.cashier, "CC-1").await;

    let first = deposit(&server, &cast.cashier, &card, &shift, "300.00").await;
    assert_eq!(first["receiptNo"], "C001-00000001");
    let voided = server
        .ok(&cast.cashier.token, VOID, json!({ "shift": shift }))
        .await;
    assert_eq!(
        voided["voidReceipt"],
        json!({ "receiptsIssued": 1, "receiptsVoided": 1, "receiptGaps": [] })
    );
    let wechat = json!({ "account": card, "amount": "50.00", "method": "WECHAT", "shift": shift, "key": uuid() });
    let second = server.ok(&cast.cashier.token, DEPOSIT, wechat).await;
    assert_eq!(
        second["deposit"]["receiptNo"], "C001-00000003",
        "the voided number 2 is used up"
    );

    // Drawer: 200.00 float + 300.00 cash = 500.00. The auditor counts 490.00: 10.00 short.
    let count = server
        .ok(
            &auditor.token,
            COUNT,
            json!({ "shift": shift, "counted": "490.00" }),
        )
        .await;
    assert_eq!(
        count["recordCashCount"],
        json!({ "countedCash": "490.00", "expectedCash": "500.00", "variance": "-10.00", "surprise": true, "note": "surprise", "countedBy": { "staffNo": "AU01" } })
    );

    // 350.00 is on the card but only 500.00 in the drawer: paying 350.00 works, then the
    // drawer holds 150.00 and a further cash payout of 150.01 is refused.
    let refund = json!({ "account": card, "amount": "300.00", "method": "CASH", "shift": shift, "key": uuid() });
    server.ok(&cast.cashier.token, REFUND, refund).await;
    let card2 = open_card(&server, &cast.cashier, "CC-2").await;
    let big = json!({ "account": card2, "amount": "1000.00", "method": "BANK_CARD", "shift": shift, "key": uuid() });
    server.ok(&cast.cashier.token, DEPOSIT, big).await;
    let events = server.event_count().await;
    let beyond = json!({ "account": card2, "amount": "200.01", "method": "CASH", "shift": shift, "key": uuid() });
    assert_eq!(
        server
            .refused(Some(&cast.cashier.token), REFUND, beyond)
            .await,
        "INSUFFICIENT_CASH"
    );
    assert_eq!(
        server.event_count().await,
        events,
        "the refused payout wrote nothing"
    );

    // A hand-over before the close is refused; so is one by the wrong role.
    let hand = json!({ "shift": shift, "amount": "190.00" });
    assert_eq!(
        server
            .refused(Some(&controller.token), HAND_OVER, hand.clone())
            .await,
        "VALIDATION"
    );
    server
        .ok(
            &cast.cashier.token,
            CLOSE_SHIFT,
            json!({ "shift": shift, "counted": "190.00" }),
        )
        .await;
    assert_eq!(
        server
            .refused(Some(&cast.cashier.token), HAND_OVER, hand.clone())
            .await,
        "FORBIDDEN"
    );
    assert_eq!(
        server
            .refused(Some(&auditor.token), HAND_OVER, hand.clone())
            .await,
        "FORBIDDEN"
    );
    let declared = server
        .ok(
            &cast.cashier.token,
            DECLARE,
            json!({ "shift": shift, "cash": "190.00" }),
        )
        .await;
    assert_eq!(
        declared["declareHandOver"],
        json!({ "status": "CLOSED", "declaredCash": "190.00" })
    );
    let handed = server.ok(&controller.token, HAND_OVER, hand.clone()).await;
    assert_eq!(
        handed["handOverShift"],
        json!({ "status": "HANDED_OVER", "handedOver": "190.00", "handedOverTo": { "staffNo": "F001" } })
    );
    assert_eq!(
        server
            .refused(Some(&controller.token), HAND_OVER, hand)
            .await,
        "CONFLICT"
    );
    // Nothing more is counted into a closed shift.
    assert_eq!(
        server
            .refused(
                Some(&auditor.token),
                COUNT,
                json!({ "shift": shift, "counted": "1.00" })
            )
            .await,
        "SHIFT_NOT_OPEN"
    );

    // Expected at close: 200 + 300 − 300 = 200.00; counted 190.00: 10.00 short.
    let report = server
        .ok(&controller.token, REPORT, json!({ "id": shift }))
        .await;
    assert_eq!(
        report["shift"],
        json!({
            "status": "HANDED_OVER", "expectedCash": "200.00", "countedCash": "190.00", "variance": "-10.00",
            "receiptsIssued": 4, "receiptsVoided": 1, "receiptGaps": [], "handedOver": "190.00",
            "cashCounts": [{ "countedCash": "490.00", "expectedCash": "500.00", "variance": "-10.00", "surprise": true, "countedBy": { "staffNo": "AU01" } }]
        })
    );

    // Views rebuilt from the log alone equal the live ones: receipts, counts, hand-over.
    let live = server
        .ok(&controller.token, REPORT, json!({ "id": shift }))
        .await;
    let data = server.stop();
    data.forget_views().await;
    let server = Server::start_in(data);
    assert_eq!(
        server
            .ok(&controller.token, REPORT, json!({ "id": shift }))
            .await,
        live
    );

    // The next shift continues the cashier's series after the five numbers used.
    let next = open_shift(&server, &cast.cashier, "0.00").await;
    let again = deposit(&server, &cast.cashier, &card2, &next, "1.00").await;
    assert_eq!(again["receiptNo"], "C001-00000006");
}
