//! Every running total the domain keeps, and every sum it writes into an event, stays within
//! the largest total the ledger keeps (10,000,000,000.00 yuan), so that whatever is accepted can
//! be read back and applied to every view.

mod common;

use common::*;
use yika_domain::testing::given;
use yika_domain::{
    Account, Aggregate, Direction, DomainError, Event, Money, PaymentMethod, Shift, ShiftCommand,
    ShiftContext,
};

fn too_large(what: &'static str) -> DomainError {
    DomainError::TotalTooLarge {
        what,
        limit: Money::from_fen(Money::MAX_TOTAL_FEN),
    }
}

/// `n` deposits of the largest single amount.
fn largest_deposits(n: usize) -> Vec<Event> {
    (0..n).map(|_| deposited("10000000.00")).collect()
}

#[test]
fn a_deposit_beyond_the_largest_total_is_refused() {
    // Goal: a thousand deposits of 10,000,000.00 reach the largest total; the next is refused
    // before the account's deposits outgrow what an event can carry.
    let mut events = vec![outpatient()];
    events.extend(largest_deposits(1_000));
    let state = given::<Account>(events.clone()).state().clone();
    assert_eq!(state.deposited, Money::from_fen(Money::MAX_TOTAL_FEN));
    given::<Account>(events)
        .when(deposit("0.01"))
        .then_err(too_large("the account's deposits"));
}

#[test]
fn an_inpatient_deduction_beyond_the_largest_arrears_is_refused() {
    // Goal: an inpatient account may run into arrears, but not beyond the largest total.
    let mut events = vec![inpatient()];
    let mut state = Account::default();
    state.apply(&inpatient());
    for n in 0..1_000u128 {
        let id = yika_domain::DeductionId(uuid::Uuid::from_u128(0xd00_0000 + n));
        let event = deducted(id, "10000000.00", LAB);
        state.apply(&event);
        events.push(event);
    }
    assert_eq!(state.balance, Money::from_fen(-Money::MAX_TOTAL_FEN));
    given::<Account>(events)
        .when(deduct(D2, "0.01", LAB))
        .then_err(too_large("the account's deductions"));
}

fn context() -> ShiftContext {
    ShiftContext {
        shift_id: SHIFT,
        cashier_id: CASHIER,
        series: "C001".to_owned(),
        first_receipt: 1,
        opening_float: Money::ZERO,
        open: true,
    }
}

fn receipt(amount: &str) -> ShiftCommand {
    ShiftCommand::IssueReceipt {
        context: context(),
        account_id: ACCOUNT,
        direction: Direction::In,
        method: PaymentMethod::Cash,
        amount: money(amount),
    }
}

#[test]
fn cash_into_a_drawer_beyond_the_largest_total_is_refused_so_a_count_always_reads_back() {
    // Goal: the reported brick: 1,001 cash deposits of 10,000,000.00 into one shift, then a
    // count. The 1,001st receipt is refused; the count's expected cash is a sum an event carries
    // and reads back.
    let mut shift = Shift::default();
    let mut events = Vec::new();
    for _ in 0..1_000 {
        let issued = shift
            .decide(&receipt("10000000.00"))
            .expect("within the total");
        shift.apply(&issued[0]);
        events.extend(issued);
    }
    given::<Shift>(events.clone())
        .when(receipt("10000000.00"))
        .then_err(too_large("the drawer's cash"));
    let counted = given::<Shift>(events)
        .when(ShiftCommand::CountCash {
            context: context(),
            counted_by: CASHIER,
            surprise: false,
            counted_cash: money("10000000.00"),
            note: None,
        })
        .then_events();
    let payload = counted[0].encode();
    let decoded =
        Event::decode("CashCounted", Event::SCHEMA_VERSION, &payload).expect("reads back");
    assert_eq!(decoded, counted[0]);
    let Event::CashCounted { expected_cash, .. } = decoded else {
        panic!("a count");
    };
    assert_eq!(expected_cash, Money::from_fen(Money::MAX_TOTAL_FEN));
}

#[test]
fn a_card_deposit_within_the_total_is_still_accepted() {
    // Goal: the bound refuses only what would exceed it.
    let mut events = vec![outpatient()];
    events.extend(largest_deposits(999));
    given::<Account>(events)
        .when(deposit("10000000.00"))
        .then([deposited("10000000.00")]);
}

#[test]
fn a_drawer_past_the_largest_single_amount_is_counted_and_handed_over_at_its_total() {
    // Goal: what a drawer holds is a running total, not one payment: a drawer holding
    // 30,000,000.00 is counted at 30,000,000.00 (not refused as an amount over 10,000,000.00,
    // which would leave the shift impossible to count), and a count beyond the largest total
    // is refused as such.
    let mut shift = Shift::default();
    let mut events = Vec::new();
    for _ in 0..3 {
        let issued = shift
            .decide(&receipt("10000000.00"))
            .expect("within the total");
        shift.apply(&issued[0]);
        events.extend(issued);
    }
    let count = |counted: Money| ShiftCommand::CountCash {
        context: context(),
        counted_by: CASHIER,
        surprise: false,
        counted_cash: counted,
        note: None,
    };
    let counted = given::<Shift>(events.clone())
        .when(count(money("30000000.00")))
        .then_events();
    let Event::CashCounted {
        counted_cash,
        expected_cash,
        ..
    } = &counted[0]
    else {
        panic!("a count");
    };
    assert_eq!(
        (*counted_cash, *expected_cash),
        (money("30000000.00"), money("30000000.00"))
    );
    given::<Shift>(events)
        .when(count(Money::from_fen(Money::MAX_TOTAL_FEN + 1)))
        .then_err(DomainError::Money(yika_domain::MoneyError::TotalTooLarge(
            Money::from_fen(Money::MAX_TOTAL_FEN + 1),
        )));
}
