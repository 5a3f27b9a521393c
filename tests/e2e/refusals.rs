//! Bad input and forbidden acts: each refused with the contract's code, and nothing written.

use serde_json::json;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_money_is_refused_with_validation_and_writes_nothing() {
    // Goal: more than 2 decimal places, zero, negative, absurd amounts and floats are refused.
    let server = Server::start();
    let cast = Cast::register(&server);
    let shift = open_shift(&server, &cast.cashier, "0.00").await;
    let card = open_card(&server, &cast.cashier, "CARD-BAD").await;
    deposit(&server, &cast.cashier, &card, &shift, "10.00").await;
    let events = server.event_count().await;
    for amount in [
        json!("1.005"),
        json!("0"),
        json!("0.00"),
        json!("-5.00"),
        json!("10000000.01"),
        json!("abc"),
        json!(1.5),
        json!("1e3"),
    ] {
        let variables = json!({ "account": card, "amount": amount, "method": "CASH", "shift": shift, "key": uuid() });
        let code = server
            .refused(Some(&cast.cashier.token), DEPOSIT, variables)
            .await;
        assert_eq!(code, "VALIDATION", "deposit of {amount}");
        let variables = json!({ "account": card, "amount": amount, "department": "Lab", "order": uuid(), "item": "X" });
        let code = server
            .refused(Some(&cast.lab.token), DEDUCT, variables)
            .await;
        assert_eq!(code, "VALIDATION", "deduction of {amount}");
    }
    assert_eq!(server.event_count().await, events);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_carry_their_codes_and_write_nothing() {
    // Goal: unknown account, wrong role, someone else's department, missing or bad token,
    // closed shift, someone else's shift, insufficient balance, over-reversal, a second open
    // shift and closing a card with money on it are each refused with their code.
    let server = Server::start();
    let cast = Cast::register(&server);
    let other_cashier = server.staff_add("C002", "Li Na", "CASHIER", None);
    let shift = open_shift(&server, &cast.cashier, "50.00").await;
    let other_shift = open_shift(&server, &other_cashier, "0.00").await;
    let card = open_card(&server, &cast.cashier, "CARD-REF").await;
    deposit(&server, &cast.cashier, &card, &shift, "30.00").await;
    let lab_deduction = server
        .ok(&cast.lab.token, DEDUCT, json!({ "account": card, "amount": "10.00", "department": "Lab", "order": "REF-1", "item": "X" }))
        .await["deduct"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let events = server.event_count().await;
    let dep = |account: &str, shift: &str| json!({ "account": account, "amount": "5.00", "method": "CASH", "shift": shift, "key": uuid() });

    // Unknown account.
    let unknown = "01900000-0000-7000-8000-000000000000";
    assert_eq!(
        server
            .refused(Some(&cast.cashier.token), DEPOSIT, dep(unknown, &shift))
            .await,
        "NOT_FOUND"
    );
    let deduct_unknown = json!({ "account": unknown, "amount": "1.00", "department": "Lab", "order": uuid(), "item": "X" });
    assert_eq!(
        server
            .refused(Some(&cast.lab.token), DEDUCT, deduct_unknown)
            .await,
        "NOT_FOUND"
    );
    // Wrong role: a department cannot deposit, a cashier cannot deduct, a cashier cannot register staff.
    assert_eq!(
        server
            .refused(Some(&cast.lab.token), DEPOSIT, dep(&card, &shift))
            .await,
        "FORBIDDEN"
    );
    let by_cashier = json!({ "account": card, "amount": "1.00", "department": "Lab", "order": uuid(), "item": "X" });
    assert_eq!(
        server
            .refused(Some(&cast.cashier.token), DEDUCT, by_cashier)
            .await,
        "FORBIDDEN"
    );
    let register = "mutation { registerStaff(input: { staffNo: \"X9\", name: \"X\", role: ADMIN }) { token } }";
    assert_eq!(
        server
            .refused(Some(&cast.cashier.token), register, json!({}))
            .await,
        "FORBIDDEN"
    );
    // A department deducts only for itself, and only the deducting department reverses.
    let for_imaging = json!({ "account": card, "amount": "1.00", "department": "Imaging", "order": uuid(), "item": "X" });
    assert_eq!(
        server
            .refused(Some(&cast.lab.token), DEDUCT, for_imaging)
            .await,
        "FORBIDDEN"
    );
    let reverse = json!({ "deduction": lab_deduction, "amount": "1.00", "reason": "EXAM_CANCELLED", "key": uuid() });
    assert_eq!(
        server
            .refused(Some(&cast.pharmacy.token), REVERSE, reverse)
            .await,
        "FORBIDDEN"
    );
    // Missing and bad tokens.
    assert_eq!(
        server.refused(None, DEPOSIT, dep(&card, &shift)).await,
        "UNAUTHENTICATED"
    );
    assert_eq!(
        server
            .refused(Some("yk_not-a-token"), DEPOSIT, dep(&card, &shift))
            .await,
        "UNAUTHENTICATED"
    );
    assert_eq!(
        server.refused(None, "{ me { id } }", json!({})).await,
        "UNAUTHENTICATED"
    );
    // Someone else's shift.
    assert_eq!(
        server
            .refused(Some(&cast.cashier.token), DEPOSIT, dep(&card, &other_shift))
            .await,
        "FORBIDDEN"
    );
    // Insufficient balance on an outpatient card, for a deduction and for a refund.
    let too_much = json!({ "account": card, "amount": "20.01", "department": "Lab", "order": uuid(), "item": "X" });
    assert_eq!(
        server
            .refused(Some(&cast.lab.token), DEDUCT, too_much)
            .await,
        "INSUFFICIENT_BALANCE"
    );
    let refund = json!({ "account": card, "amount": "20.01", "method": "CASH", "shift": shift, "key": uuid() });
    assert_eq!(
        server
            .refused(Some(&cast.cashier.token), REFUND, refund)
            .await,
        "INSUFFICIENT_BALANCE"
    );
    // A reversal beyond what remains of the deduction.
    let over = json!({ "deduction": lab_deduction, "amount": "10.01", "reason": "CHARGE_ERROR", "key": uuid() });
    assert_eq!(
        server.refused(Some(&cast.lab.token), REVERSE, over).await,
        "VALIDATION"
    );
    // A second open shift for the same cashier.
    let second = json!({ "window": "W2", "float": "0.00", "key": uuid() });
    assert_eq!(
        server
            .refused(Some(&cast.cashier.token), OPEN_SHIFT, second)
            .await,
        "CONFLICT"
    );
    // A card with money on it does not close.
    assert_eq!(
        server
            .refused(
                Some(&cast.cashier.token),
                CLOSE_ACCOUNT,
                json!({ "account": card, "key": uuid() })
            )
            .await,
        "VALIDATION"
    );
    // A card number held by an open account is not issued again.
    let duplicate =
        json!({ "kind": "OUTPATIENT_CARD", "patient": "P-X", "card": "CARD-REF", "key": uuid() });
    assert_eq!(
        server
            .refused(Some(&cast.cashier.token), OPEN_ACCOUNT, duplicate)
            .await,
        "CONFLICT"
    );
    // Page sizes are limited.
    assert_eq!(
        server
            .refused(
                Some(&cast.cashier.token),
                "{ accounts(first: 201) { totalCount } }",
                json!({})
            )
            .await,
        "LIMIT_EXCEEDED"
    );
    assert_eq!(
        server.event_count().await,
        events,
        "no refusal wrote anything"
    );

    // A closed shift takes nothing more.
    server
        .ok(
            &cast.cashier.token,
            CLOSE_SHIFT,
            json!({ "shift": shift, "counted": "70.00" }),
        )
        .await;
    let events = server.event_count().await;
    assert_eq!(
        server
            .refused(Some(&cast.cashier.token), DEPOSIT, dep(&card, &shift))
            .await,
        "SHIFT_NOT_OPEN"
    );
    let refund = json!({ "account": card, "amount": "1.00", "method": "CASH", "shift": shift, "key": uuid() });
    assert_eq!(
        server
            .refused(Some(&cast.cashier.token), REFUND, refund)
            .await,
        "SHIFT_NOT_OPEN"
    );
    assert_eq!(
        server
            .refused(
                Some(&cast.cashier.token),
                CLOSE_SHIFT,
                json!({ "shift": shift, "counted": "70.00" })
            )
            .await,
        "SHIFT_NOT_OPEN"
    );
    assert_eq!(server.event_count().await, events);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_account_takes_nothing_more() {
    // Goal: after closeAccount, deposits, deductions and refunds are ACCOUNT_CLOSED.
    let server = Server::start();
    let cast = Cast::register(&server);
    let shift = open_shift(&server, &cast.cashier, "0.00").await;
    let card = open_card(&server, &cast.cashier, "CARD-CLOSED").await;
    server
        .ok(
            &cast.cashier.token,
            CLOSE_ACCOUNT,
            json!({ "account": card, "key": "c-1" }),
        )
        .await;
    let events = server.event_count().await;
    let dep = json!({ "account": card, "amount": "5.00", "method": "CASH", "shift": shift, "key": uuid() });
    assert_eq!(
        server
            .refused(Some(&cast.cashier.token), DEPOSIT, dep)
            .await,
        "ACCOUNT_CLOSED"
    );
    let ded = json!({ "account": card, "amount": "1.00", "department": "Lab", "order": uuid(), "item": "X" });
    assert_eq!(
        server.refused(Some(&cast.lab.token), DEDUCT, ded).await,
        "ACCOUNT_CLOSED"
    );
    assert_eq!(server.event_count().await, events);
    // The card number is free again for a new patient.
    let reissued = open_card(&server, &cast.cashier, "CARD-CLOSED-2").await;
    assert_ne!(reissued, card);
    let again = server
        .ok(&cast.cashier.token, OPEN_ACCOUNT, json!({ "kind": "OUTPATIENT_CARD", "patient": "P-NEW", "card": "CARD-CLOSED", "key": "reissue" }))
        .await;
    assert_ne!(again["openAccount"]["id"], card);
}
