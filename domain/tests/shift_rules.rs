//! Given/when/then for a shift's drawer and receipts: the numbered series, voids, cash counts,
//! the drawer never going below zero, and the hand-over to finance.

mod common;

use common::*;
use yika_domain::StaffId;
use yika_domain::testing::given;

/// An auditor or controller, anyone but the cashier.
const OTHER_CASHIER: StaffId = StaffId(uuid::Uuid::from_u128(0xa0d_0001));
use yika_domain::{
    Aggregate, Cashier, CashierCommand, Direction, DomainError, Event, PaymentMethod, Shift,
    ShiftCommand, ShiftContext,
};

fn context(open: bool) -> ShiftContext {
    ShiftContext {
        shift_id: SHIFT,
        cashier_id: CASHIER,
        series: "C001".to_owned(),
        first_receipt: 41,
        opening_float: money("200.00"),
        open,
    }
}

fn issue(direction: Direction, method: PaymentMethod, text: &str) -> ShiftCommand {
    ShiftCommand::IssueReceipt {
        context: context(true),
        account_id: ACCOUNT,
        direction,
        method,
        amount: money(text),
    }
}

fn issued(sequence: u64, direction: Direction, method: PaymentMethod, text: &str) -> Event {
    Event::ReceiptIssued {
        shift_id: SHIFT,
        cashier_id: CASHIER,
        receipt_no: format!("C001-{sequence:08}"),
        sequence,
        account_id: ACCOUNT,
        direction,
        method,
        amount: money(text),
    }
}

#[test]
fn it_numbers_receipts_from_the_shift_s_place_in_the_cashier_s_series() {
    // Goal: the first receipt of a shift takes the series' next number, the rest follow.
    let state = given::<Shift>([])
        .when(issue(Direction::In, PaymentMethod::Cash, "50.00"))
        .then([issued(41, Direction::In, PaymentMethod::Cash, "50.00")]);
    let events = state
        .decide(&issue(Direction::In, PaymentMethod::Wechat, "20.00"))
        .unwrap();
    assert_eq!(
        events,
        [issued(42, Direction::In, PaymentMethod::Wechat, "20.00")]
    );
}

#[test]
fn it_refuses_a_cash_payout_beyond_the_drawer() {
    // Goal: float 200.00 + cash in 50.00 = 250.00; paying out 250.01 in cash is refused, while
    // 250.00 and any non-cash payout are not limited by the drawer.
    let history = [issued(41, Direction::In, PaymentMethod::Cash, "50.00")];
    given::<Shift>(history.clone())
        .when(issue(Direction::Out, PaymentMethod::Cash, "250.01"))
        .then_err(DomainError::InsufficientCash {
            cash: money("250.00"),
            requested: money("250.01"),
        });
    given::<Shift>(history.clone())
        .when(issue(Direction::Out, PaymentMethod::Cash, "250.00"))
        .then([issued(42, Direction::Out, PaymentMethod::Cash, "250.00")]);
    given::<Shift>(history)
        .when(issue(Direction::Out, PaymentMethod::BankCard, "9999.00"))
        .then([issued(
            42,
            Direction::Out,
            PaymentMethod::BankCard,
            "9999.00",
        )]);
}

#[test]
fn it_refuses_receipts_counts_and_voids_in_a_closed_shift() {
    // Goal: a closed shift takes nothing more.
    let closed = context(false);
    given::<Shift>([])
        .when(ShiftCommand::IssueReceipt {
            context: closed.clone(),
            account_id: ACCOUNT,
            direction: Direction::In,
            method: PaymentMethod::Cash,
            amount: money("1.00"),
        })
        .then_err(DomainError::ShiftNotOpen(SHIFT));
    given::<Shift>([])
        .when(ShiftCommand::VoidReceipt {
            context: closed.clone(),
            reason: "jam".to_owned(),
        })
        .then_err(DomainError::ShiftNotOpen(SHIFT));
    given::<Shift>([])
        .when(ShiftCommand::CountCash {
            context: closed,
            counted_by: CASHIER,
            surprise: true,
            counted_cash: money("1.00"),
            note: None,
        })
        .then_err(DomainError::ShiftNotOpen(SHIFT));
}

#[test]
fn it_voids_the_next_number_with_a_reason() {
    // Goal: a voided form uses up its number; the next receipt follows it.
    let state = given::<Shift>([issued(41, Direction::In, PaymentMethod::Cash, "5.00")])
        .when(ShiftCommand::VoidReceipt {
            context: context(true),
            reason: "printer jam".to_owned(),
        })
        .then([Event::ReceiptVoided {
            shift_id: SHIFT,
            cashier_id: CASHIER,
            receipt_no: "C001-00000042".to_owned(),
            sequence: 42,
            reason: "printer jam".to_owned(),
        }]);
    assert_eq!(state.receipts_used(), 2);
    let next = state
        .decide(&issue(Direction::In, PaymentMethod::Cash, "1.00"))
        .unwrap();
    assert_eq!(
        next,
        [issued(43, Direction::In, PaymentMethod::Cash, "1.00")]
    );
    given::<Shift>([])
        .when(ShiftCommand::VoidReceipt {
            context: context(true),
            reason: " ".to_owned(),
        })
        .then_err(DomainError::InvalidText {
            field: "reason",
            reason: "must not be empty",
        });
}

#[test]
fn it_records_a_surprise_count_with_the_expected_cash() {
    // Goal: a count records what the drawer should hold at that moment, so the view can show
    // the variance (here 10.00 short).
    given::<Shift>([
        issued(41, Direction::In, PaymentMethod::Cash, "500.00"),
        issued(42, Direction::Out, PaymentMethod::Cash, "100.00"),
        issued(43, Direction::In, PaymentMethod::Alipay, "70.00"),
    ])
    .when(ShiftCommand::CountCash {
        context: context(true),
        counted_by: OTHER_CASHIER,
        surprise: true,
        counted_cash: money("590.00"),
        note: None,
    })
    .then([Event::CashCounted {
        shift_id: SHIFT,
        cashier_id: CASHIER,
        counted_by: OTHER_CASHIER,
        surprise: true,
        counted_cash: money("590.00"),
        expected_cash: money("600.00"),
        note: None,
    }]);
}

#[test]
fn it_hands_over_a_closed_shift_once() {
    // Goal: the cash of a closed shift is handed over once; an open shift is not.
    given::<Shift>([])
        .when(ShiftCommand::HandOver {
            context: context(true),
            received_by: OTHER_CASHIER,
            amount: money("10.00"),
        })
        .then_err(DomainError::ShiftStillOpen(SHIFT));
    let handed = Event::CashHandedOver {
        shift_id: SHIFT,
        cashier_id: CASHIER,
        received_by: OTHER_CASHIER,
        amount: money("10.00"),
        two_party: true,
    };
    given::<Shift>([])
        .when(ShiftCommand::HandOver {
            context: context(false),
            received_by: OTHER_CASHIER,
            amount: money("10.00"),
        })
        .then([handed.clone()]);
    given::<Shift>([handed])
        .when(ShiftCommand::HandOver {
            context: context(false),
            received_by: OTHER_CASHIER,
            amount: money("10.00"),
        })
        .then_err(DomainError::AlreadyHandedOver(SHIFT));
}

#[test]
fn it_continues_the_series_in_the_next_shift() {
    // Goal: a shift that used 5 numbers moves the cashier's series on by 5.
    let cashier = Cashier::from_events(&[Event::ShiftOpened {
        shift_id: SHIFT,
        cashier_id: CASHIER,
        window: "W1".to_owned(),
        opening_float: money("0.00"),
    }]);
    assert_eq!(cashier.open.as_ref().unwrap().first_receipt, 1);
    let closed = cashier
        .decide(&CashierCommand::CloseShift {
            shift_id: SHIFT,
            cashier_id: CASHIER,
            counted_cash: money("0.00"),
            counted_other: vec![],
            receipts_used: 5,
            expected_cash: money("0.00"),
        })
        .unwrap();
    let mut cashier = cashier;
    for event in &closed {
        cashier.apply(event);
    }
    cashier.apply(&Event::ShiftOpened {
        shift_id: OTHER_SHIFT,
        cashier_id: CASHIER,
        window: "W1".to_owned(),
        opening_float: money("0.00"),
    });
    assert_eq!(cashier.open.as_ref().unwrap().first_receipt, 6);
}

#[test]
fn a_shift_s_snapshot_restores_its_state_and_names_its_kind() {
    // Goal: a shift's state (receipts, cash, hand-over flags) comes back whole from its
    // snapshot, which names its kind with the domain's version (another release's is not used);
    // an aggregate with a short stream keeps none.
    let events = [
        issued(41, Direction::In, PaymentMethod::Cash, "50.00"),
        issued(42, Direction::Out, PaymentMethod::Cash, "20.00"),
        issued(43, Direction::In, PaymentMethod::Wechat, "9.99"),
    ];
    let shift = Shift::from_events(&events);
    let restored = Shift::restore(&shift.snapshot().expect("a shift keeps snapshots"))
        .expect("its snapshot restores");
    assert_eq!(restored, shift);
    assert_eq!(restored.receipts_issued, 3);
    assert_eq!(
        Shift::SNAPSHOT,
        Some(concat!("shift/1@", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(Shift::restore("{\"receipts_issued\": \"three\"}"), None);
    assert_eq!(yika_domain::Staff::SNAPSHOT, None);
    assert_eq!(yika_domain::Staff::default().snapshot(), None);
}
