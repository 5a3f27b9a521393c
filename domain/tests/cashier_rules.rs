//! Given/when/then specifications of a cashier's shifts: opening, blind-count closing, and the
//! open-shift check that deposits and refunds rely on (invariant 4).

mod common;

use common::*;
use yika_domain::testing::given;
use yika_domain::{
    Aggregate, Cashier, CashierCommand, DomainError, Event, Money, MoneyError, PaymentMethod,
};

const WINDOW: &str = "Window 3";

fn open_shift(shift_id: yika_domain::ShiftId, float: &str) -> CashierCommand {
    CashierCommand::OpenShift {
        shift_id,
        cashier_id: CASHIER,
        window: WINDOW.to_owned(),
        opening_float: money(float),
    }
}

fn shift_opened(shift_id: yika_domain::ShiftId, float: &str) -> Event {
    Event::ShiftOpened {
        shift_id,
        cashier_id: CASHIER,
        window: WINDOW.to_owned(),
        opening_float: money(float),
    }
}

fn close_shift(
    shift_id: yika_domain::ShiftId,
    cash: &str,
    other: &[(PaymentMethod, &str)],
) -> CashierCommand {
    CashierCommand::CloseShift {
        expected_cash: money(cash),
        shift_id,
        cashier_id: CASHIER,
        counted_cash: money(cash),
        counted_other: other.iter().map(|(m, a)| (*m, money(a))).collect(),
        receipts_used: 0,
    }
}

fn shift_closed(
    shift_id: yika_domain::ShiftId,
    cash: &str,
    other: &[(PaymentMethod, &str)],
) -> Event {
    Event::ShiftClosed {
        expected_cash: Some(money(cash)),
        shift_id,
        cashier_id: CASHIER,
        counted_cash: money(cash),
        counted_other: other.iter().map(|(m, a)| (*m, money(a))).collect(),
        receipts_used: 0,
    }
}

// ----- open -----

#[test]
fn it_opens_a_shift_with_a_float() {
    // Goal: opening records ShiftOpened and makes that shift the open one.
    let state = given::<Cashier>([])
        .when(open_shift(SHIFT, "500.00"))
        .then([shift_opened(SHIFT, "500.00")]);
    let open = state.open.as_ref().expect("a shift is open");
    assert_eq!(open.shift_id, SHIFT);
    assert_eq!(open.window, WINDOW);
    assert_eq!(open.opening_float, money("500.00"));
}

#[test]
fn it_opens_a_shift_with_a_zero_float() {
    // Goal: a float of 0.00 is allowed.
    given::<Cashier>([])
        .when(open_shift(SHIFT, "0"))
        .then([shift_opened(SHIFT, "0.00")]);
}

#[test]
fn it_trims_the_window_name() {
    // Goal: the window is stored without surrounding blanks.
    let command = CashierCommand::OpenShift {
        shift_id: SHIFT,
        cashier_id: CASHIER,
        window: format!("  {WINDOW} "),
        opening_float: Money::ZERO,
    };
    given::<Cashier>([])
        .when(command)
        .then([shift_opened(SHIFT, "0.00")]);
}

#[test]
fn it_refuses_a_blank_or_too_long_window() {
    // Goal: the window name is a non-empty name of at most 128 characters.
    for (window, reason) in [
        ("".to_owned(), "must not be empty"),
        (chars('窗', 129), "is too long"),
    ] {
        let command = CashierCommand::OpenShift {
            shift_id: SHIFT,
            cashier_id: CASHIER,
            window,
            opening_float: Money::ZERO,
        };
        given::<Cashier>([])
            .when(command)
            .then_err(DomainError::InvalidText {
                field: "window",
                reason,
            });
    }
}

#[test]
fn it_refuses_a_second_open_shift() {
    // Goal: one open shift per cashier; the error names the shift that is still open.
    given::<Cashier>([shift_opened(SHIFT, "100.00")])
        .when(open_shift(OTHER_SHIFT, "100.00"))
        .then_err(DomainError::ShiftAlreadyOpen(SHIFT));
}

#[test]
fn it_refuses_a_negative_float() {
    // Goal: a float is zero or more.
    given::<Cashier>([])
        .when(open_shift(SHIFT, "-0.01"))
        .then_err(DomainError::Money(MoneyError::Negative(money("-0.01"))));
}

#[test]
fn it_refuses_an_absurd_float() {
    // Goal: a float above the single-amount limit is refused.
    given::<Cashier>([])
        .when(open_shift(SHIFT, "10000000.01"))
        .then_err(DomainError::Money(MoneyError::TooLarge(money(
            "10000000.01",
        ))));
}

#[test]
fn it_opens_a_new_shift_after_closing_the_last() {
    // Goal: once the open shift is closed, the cashier may open another.
    let state = given::<Cashier>([
        shift_opened(SHIFT, "100.00"),
        shift_closed(SHIFT, "100.00", &[]),
    ])
    .when(open_shift(OTHER_SHIFT, "200.00"))
    .then([shift_opened(OTHER_SHIFT, "200.00")]);
    assert_eq!(state.closed_shifts, 1);
    assert_eq!(state.open.as_ref().map(|o| o.shift_id), Some(OTHER_SHIFT));
}

// ----- close -----

#[test]
fn it_closes_the_open_shift_with_a_blind_count() {
    // Goal: closing records the counted cash and other tenders, sorted by method.
    let counted = [
        (PaymentMethod::Wechat, "30.00"),
        (PaymentMethod::BankCard, "120.50"),
    ];
    let sorted = [
        (PaymentMethod::BankCard, "120.50"),
        (PaymentMethod::Wechat, "30.00"),
    ];
    let state = given::<Cashier>([shift_opened(SHIFT, "500.00")])
        .when(close_shift(SHIFT, "612.30", &counted))
        .then([shift_closed(SHIFT, "612.30", &sorted)]);
    assert!(state.open.is_none());
    assert_eq!(state.closed_shifts, 1);
}

#[test]
fn it_closes_a_shift_with_nothing_counted() {
    // Goal: an empty drawer (0.00 cash, no other tender) is a valid count.
    given::<Cashier>([shift_opened(SHIFT, "0.00")])
        .when(close_shift(SHIFT, "0.00", &[]))
        .then([shift_closed(SHIFT, "0.00", &[])]);
}

#[test]
fn it_refuses_to_close_a_shift_that_is_not_the_open_one() {
    // Goal: closing another shift than the open one is ShiftNotOpen.
    given::<Cashier>([shift_opened(SHIFT, "0.00")])
        .when(close_shift(OTHER_SHIFT, "0.00", &[]))
        .then_err(DomainError::ShiftNotOpen(OTHER_SHIFT));
}

#[test]
fn it_refuses_to_close_a_shift_twice() {
    // Goal: a closed shift takes nothing more, not even a second close.
    given::<Cashier>([
        shift_opened(SHIFT, "0.00"),
        shift_closed(SHIFT, "0.00", &[]),
    ])
    .when(close_shift(SHIFT, "0.00", &[]))
    .then_err(DomainError::ShiftNotOpen(SHIFT));
}

#[test]
fn it_refuses_to_close_when_no_shift_was_ever_opened() {
    // Goal: a cashier without shifts has nothing to close.
    given::<Cashier>([])
        .when(close_shift(SHIFT, "0.00", &[]))
        .then_err(DomainError::ShiftNotOpen(SHIFT));
}

#[test]
fn it_refuses_cash_in_the_other_tenders() {
    // Goal: cash is counted in countedCash only.
    given::<Cashier>([shift_opened(SHIFT, "0.00")])
        .when(close_shift(
            SHIFT,
            "10.00",
            &[(PaymentMethod::Cash, "10.00")],
        ))
        .then_err(DomainError::InvalidText {
            field: "countedOther",
            reason: "must not list CASH (give it as the cash amount)",
        });
}

#[test]
fn it_refuses_a_method_counted_twice() {
    // Goal: each non-cash method appears at most once in the count.
    given::<Cashier>([shift_opened(SHIFT, "0.00")])
        .when(close_shift(
            SHIFT,
            "0.00",
            &[
                (PaymentMethod::Alipay, "1.00"),
                (PaymentMethod::Wechat, "2.00"),
                (PaymentMethod::Alipay, "3.00"),
            ],
        ))
        .then_err(DomainError::InvalidText {
            field: "countedOther",
            reason: "lists a method twice",
        });
}

#[test]
fn it_refuses_a_negative_count() {
    // Goal: counted cash and counted tenders are zero or more.
    given::<Cashier>([shift_opened(SHIFT, "0.00")])
        .when(close_shift(SHIFT, "-1.00", &[]))
        .then_err(DomainError::Money(MoneyError::Negative(money("-1.00"))));
    given::<Cashier>([shift_opened(SHIFT, "0.00")])
        .when(close_shift(
            SHIFT,
            "1.00",
            &[(PaymentMethod::Transfer, "-0.01")],
        ))
        .then_err(DomainError::Money(MoneyError::Negative(money("-0.01"))));
}

// ----- ensure_open -----

#[test]
fn it_accepts_money_only_in_the_open_shift() {
    // Goal: ensure_open passes for the open shift and refuses any other with ShiftNotOpen.
    let cashier = Cashier::from_events(&[shift_opened(SHIFT, "100.00")]);
    let open = cashier
        .ensure_open(SHIFT)
        .expect("the open shift takes money");
    assert_eq!(open.shift_id, SHIFT);
    assert_eq!(open.opening_float, money("100.00"));
    assert_eq!(
        cashier.ensure_open(OTHER_SHIFT).unwrap_err(),
        DomainError::ShiftNotOpen(OTHER_SHIFT)
    );
}

#[test]
fn it_refuses_money_in_a_closed_shift() {
    // Goal: invariant 4, a closed shift takes nothing more.
    let cashier = Cashier::from_events(&[
        shift_opened(SHIFT, "100.00"),
        shift_closed(SHIFT, "100.00", &[]),
    ]);
    assert_eq!(
        cashier.ensure_open(SHIFT).unwrap_err(),
        DomainError::ShiftNotOpen(SHIFT)
    );
}

#[test]
fn it_refuses_money_when_no_shift_is_open() {
    // Goal: a cashier who never opened a shift cannot record money.
    let cashier = Cashier::default();
    assert_eq!(
        cashier.ensure_open(SHIFT).unwrap_err(),
        DomainError::ShiftNotOpen(SHIFT)
    );
}

#[test]
fn it_ignores_events_of_other_families() {
    // Goal: account events in a mixed fold leave the cashier untouched.
    let cashier =
        Cashier::from_events(&[shift_opened(SHIFT, "1.00"), outpatient(), deposited("5.00")]);
    assert_eq!(cashier.open.as_ref().map(|o| o.shift_id), Some(SHIFT));
    assert_eq!(cashier.closed_shifts, 0);
}
