//! Given/when/then for the acts at the cashier's window (`yika_domain::window`): who may act,
//! the acting cashier's own open shift, the receipt series, the order in which the account's and
//! the drawer's rules refuse, cards issued and returned, and counting, handing over and voiding.
//!
//! Given: the streams the application loads (the owning cashier's shifts, the shift's drawer, the
//! account, the card number). When: one act. Then: the exact events, or the exact refusal.

mod common;

use common::*;
use uuid::Uuid;
use yika_domain::window::{self, Drawer, NewAccount, Payment, ShiftOpening, ThroughTheWindow};
use yika_domain::{
    Account, AccountKind, Actor, Aggregate, Card, Cashier, Direction, DomainError, Event,
    InsuranceScheme, PaymentMethod, Role, Shift, ShiftId, StaffId,
};

/// CASHIER's staff number: the prefix of their receipt series.
const SERIES: &str = "C001";
const OTHER_CASHIER: StaffId = StaffId(Uuid::from_u128(0xca5_0002));
const AUDITOR: StaffId = StaffId(Uuid::from_u128(0xa0d_0001));
const CONTROLLER: StaffId = StaffId(Uuid::from_u128(0xc7_0001));
/// A shift id no `ShiftOpened` ever used.
const UNKNOWN_SHIFT: ShiftId = ShiftId(Uuid::from_u128(0x5f7_ffff));
const WINDOW: &str = "Window 3";

// ----- who acts -----

fn actor(staff_id: StaffId, staff_no: &str, role: Role) -> Actor {
    Actor {
        staff_id,
        staff_no: staff_no.to_owned(),
        role,
        department: (role == Role::Department).then(|| LAB.to_owned()),
    }
}

/// The cashier whose shifts these tests mostly use.
fn cashier() -> Actor {
    actor(CASHIER, SERIES, Role::Cashier)
}

fn other_cashier() -> Actor {
    actor(OTHER_CASHIER, "C002", Role::Cashier)
}

fn auditor() -> Actor {
    actor(AUDITOR, "A001", Role::Auditor)
}

fn controller() -> Actor {
    actor(CONTROLLER, "F001", Role::Controller)
}

/// One staff member of every role but `role`.
fn everyone_but(role: Role) -> Vec<Actor> {
    Role::ALL
        .into_iter()
        .zip(1_u128..)
        .filter(|(r, _)| *r != role)
        .map(|(r, n)| actor(StaffId(Uuid::from_u128(0x0e_0000 + n)), "X-1", r))
        .collect()
}

// ----- the streams -----

fn shift_opened(shift_id: ShiftId, cashier_id: StaffId, float: &str) -> Event {
    Event::ShiftOpened {
        shift_id,
        cashier_id,
        window: WINDOW.to_owned(),
        opening_float: money(float),
    }
}

fn shift_closed(shift_id: ShiftId, cashier_id: StaffId, receipts_used: u64) -> Event {
    Event::ShiftClosed {
        expected_cash: None,
        shift_id,
        cashier_id,
        counted_cash: money("100.00"),
        counted_other: vec![],
        receipts_used,
    }
}

/// Number `sequence` of CASHIER's series.
fn no(sequence: u64) -> String {
    format!("{SERIES}-{sequence:08}")
}

/// A receipt of CASHIER's in `shift_id`, numbered `sequence` of their series.
fn issued_in(
    shift_id: ShiftId,
    sequence: u64,
    direction: Direction,
    method: PaymentMethod,
    text: &str,
) -> Event {
    Event::ReceiptIssued {
        shift_id,
        cashier_id: CASHIER,
        receipt_no: no(sequence),
        sequence,
        account_id: ACCOUNT,
        direction,
        method,
        amount: money(text),
    }
}

fn issued(sequence: u64, direction: Direction, method: PaymentMethod, text: &str) -> Event {
    issued_in(SHIFT, sequence, direction, method, text)
}

fn voided_in(shift_id: ShiftId, sequence: u64, reason: &str) -> Event {
    Event::ReceiptVoided {
        shift_id,
        cashier_id: CASHIER,
        receipt_no: no(sequence),
        sequence,
        reason: reason.to_owned(),
    }
}

/// The drawer of `shift_id` as the application loads it: the opening and the shifts from the
/// owning cashier's stream, the drawer and receipts from the shift's own stream.
fn drawer(shift_id: ShiftId, cashier_stream: &[Event], shift_stream: &[Event]) -> Drawer {
    Drawer {
        shift_id,
        opening: cashier_stream
            .iter()
            .filter_map(ShiftOpening::of)
            .find(|(id, _)| *id == shift_id)
            .map(|(_, opening)| opening),
        cashier: Cashier::from_events(cashier_stream),
        shift: Shift::from_events(shift_stream),
    }
}

/// CASHIER's open SHIFT with `float` and these receipts.
fn open_drawer(float: &str, shift_stream: &[Event]) -> Drawer {
    drawer(SHIFT, &[shift_opened(SHIFT, CASHIER, float)], shift_stream)
}

/// CASHIER's SHIFT, closed after using `shift_stream`'s receipt numbers.
fn closed_drawer(shift_stream: &[Event]) -> Drawer {
    let used = Shift::from_events(shift_stream).receipts_used();
    drawer(
        SHIFT,
        &[
            shift_opened(SHIFT, CASHIER, "100.00"),
            shift_closed(SHIFT, CASHIER, used),
        ],
        shift_stream,
    )
}

/// OTHER_CASHIER's open SHIFT.
fn others_drawer() -> Drawer {
    drawer(SHIFT, &[shift_opened(SHIFT, OTHER_CASHIER, "100.00")], &[])
}

/// A shift id nobody opened: nothing is known of it.
fn unknown_drawer() -> Drawer {
    drawer(UNKNOWN_SHIFT, &[], &[])
}

fn account(events: &[Event]) -> Account {
    Account::from_events(events)
}

// ----- payments and what they write -----

fn deposit_of(text: &str) -> Payment {
    Payment::Deposit {
        amount: amount(text),
        external_ref: None,
    }
}

fn refund_of(text: Option<&str>) -> Payment {
    Payment::Refund {
        external_ref: None,
        amount: text.map(amount),
    }
}

fn settle_of(scheme: InsuranceScheme, insurance: &str) -> Payment {
    Payment::SettleDischarge {
        external_ref: None,
        insurance_scheme: scheme,
        insurance_pays: money(insurance),
    }
}

fn deposit_received(text: &str, method: PaymentMethod, receipt_no: &str) -> Event {
    Event::DepositReceived {
        account_id: ACCOUNT,
        amount: amount(text),
        method,
        shift_id: SHIFT,
        cashier_id: CASHIER,
        receipt_no: receipt_no.to_owned(),
        external_ref: None,
    }
}

fn balance_refunded(text: &str, method: PaymentMethod, receipt_no: &str) -> Event {
    Event::BalanceRefunded {
        external_ref: None,
        account_id: ACCOUNT,
        amount: amount(text),
        method,
        shift_id: SHIFT,
        cashier_id: CASHIER,
        receipt_no: receipt_no.to_owned(),
    }
}

/// A cash settlement of CASHIER's in SHIFT: total, insurance, deposits applied, paid in, paid back.
fn discharge_settled(scheme: InsuranceScheme, figures: [&str; 5], receipt_no: &str) -> Event {
    let [total, insurance, applied, pays, receives] = figures;
    Event::DischargeSettled {
        external_ref: None,
        account_id: ACCOUNT,
        insurance_scheme: scheme,
        total_charges: money(total),
        insurance_pays: money(insurance),
        deposits_applied: money(applied),
        patient_pays: money(pays),
        patient_receives: money(receives),
        method: PaymentMethod::Cash,
        shift_id: SHIFT,
        cashier_id: CASHIER,
        receipt_no: receipt_no.to_owned(),
        manual: false,
    }
}

/// The receipt number an account movement or a receipt carries.
fn receipt_no_of(event: &Event) -> &str {
    match event {
        Event::DepositReceived { receipt_no, .. }
        | Event::BalanceRefunded { receipt_no, .. }
        | Event::DischargeSettled { receipt_no, .. }
        | Event::ReceiptIssued { receipt_no, .. } => receipt_no,
        other => panic!("{other:?} carries no receipt number"),
    }
}

/// An outpatient card holding `text`.
fn card_holding(text: &str) -> Account {
    account(&[outpatient(), deposited(text)])
}

fn pay_cash(actor: &Actor, drawer: &Drawer, account: &Account, payment: &Payment) -> PayResult {
    window::pay(actor, drawer, account, PaymentMethod::Cash, payment)
}

type PayResult = Result<ThroughTheWindow, DomainError>;

// ----- who may act -----

#[test]
fn only_a_cashier_takes_money_at_the_window() {
    // Goal: deposits, refunds and settlements are a CASHIER's acts; every other role is refused
    // with RoleRequired(CASHIER).
    let drawer = open_drawer("100.00", &[]);
    let stay = account(&[inpatient(), deposited("50.00"), deducted(D1, "30.00", LAB)]);
    for actor in everyone_but(Role::Cashier) {
        for payment in [
            deposit_of("1.00"),
            refund_of(None),
            settle_of(InsuranceScheme::SelfPay, "0.00"),
        ] {
            assert_eq!(
                pay_cash(&actor, &drawer, &stay, &payment),
                Err(DomainError::RoleRequired(Role::Cashier)),
                "{:?} paid {payment:?}",
                actor.role
            );
        }
    }
}

#[test]
fn only_a_cashier_opens_an_account() {
    // Goal: issuing a card or opening a deposit account is a CASHIER's act.
    for actor in everyone_but(Role::Cashier) {
        assert_eq!(
            window::open_account(&actor, &Card::default(), &new_account(CARD_NO)),
            Err(DomainError::RoleRequired(Role::Cashier))
        );
    }
}

#[test]
fn only_a_cashier_closes_an_account() {
    // Goal: returning a card (退卡) is a CASHIER's act, even for an account at 0.00.
    let at_zero = account(&[outpatient()]);
    let card = Card::from_events(&[card_assigned(ACCOUNT)]);
    for actor in everyone_but(Role::Cashier) {
        assert_eq!(
            window::close_account(&actor, &at_zero, &card),
            Err(DomainError::RoleRequired(Role::Cashier))
        );
    }
}

#[test]
fn only_a_cashier_opens_a_shift() {
    // Goal: a shift is a CASHIER's; no other role opens one.
    for actor in everyone_but(Role::Cashier) {
        assert_eq!(
            window::open_shift(&actor, &Cashier::default(), SHIFT, WINDOW, money("100.00")),
            Err(DomainError::RoleRequired(Role::Cashier))
        );
    }
}

#[test]
fn only_a_cashier_closes_a_shift() {
    // Goal: the blind count at closing is the CASHIER's own; no other role closes a shift.
    let drawer = open_drawer("100.00", &[]);
    for actor in everyone_but(Role::Cashier) {
        assert_eq!(
            window::close_shift(&actor, &drawer, money("100.00"), &[]),
            Err(DomainError::RoleRequired(Role::Cashier))
        );
    }
}

#[test]
fn only_a_cashier_voids_a_receipt() {
    // Goal: a spoiled form is voided by the CASHIER who holds the series.
    let drawer = open_drawer("100.00", &[]);
    for actor in everyone_but(Role::Cashier) {
        assert_eq!(
            window::void_receipt(&actor, &drawer, "printer jam"),
            Err(DomainError::RoleRequired(Role::Cashier))
        );
    }
}

#[test]
fn only_an_auditor_or_the_cashier_counts_a_drawer() {
    // Goal: a count is an AUDITOR's surprise count or the CASHIER's routine one; every other role
    // is CountByOtherRole.
    let drawer = open_drawer("100.00", &[]);
    for actor in everyone_but(Role::Cashier)
        .into_iter()
        .filter(|a| a.role != Role::Auditor)
    {
        assert_eq!(
            window::count_cash(&actor, &drawer, money("100.00"), None),
            Err(DomainError::CountByOtherRole),
            "{:?} counted",
            actor.role
        );
    }
}

#[test]
fn only_a_controller_receives_a_shift_s_cash() {
    // Goal: the hand-over to finance (上交财务) is received by a CONTROLLER; every other role,
    // the shift's own cashier included, is RoleRequired(CONTROLLER).
    let drawer = closed_drawer(&[]);
    for actor in everyone_but(Role::Controller)
        .into_iter()
        .chain([cashier()])
    {
        assert_eq!(
            window::hand_over(&actor, &drawer, money("100.00")),
            Err(DomainError::RoleRequired(Role::Controller)),
            "{:?} received the cash",
            actor.role
        );
    }
}

// ----- the cashier's own open shift (invariant 4) -----

#[test]
fn a_cashier_takes_no_money_in_another_cashier_s_shift() {
    // Goal: another cashier's shift is refused as theirs, whether it is open or closed.
    let closed = drawer(
        SHIFT,
        &[
            shift_opened(SHIFT, OTHER_CASHIER, "100.00"),
            shift_closed(SHIFT, OTHER_CASHIER, 0),
        ],
        &[],
    );
    for drawer in [others_drawer(), closed] {
        assert_eq!(
            pay_cash(
                &cashier(),
                &drawer,
                &card_holding("50.00"),
                &deposit_of("1.00")
            ),
            Err(DomainError::ShiftOfAnotherCashier(SHIFT))
        );
    }
}

#[test]
fn a_cashier_takes_no_money_in_their_own_closed_shift() {
    // Goal: once closed, a shift takes no more money, also while the cashier has a newer one open.
    let newer_open = drawer(
        SHIFT,
        &[
            shift_opened(SHIFT, CASHIER, "100.00"),
            shift_closed(SHIFT, CASHIER, 0),
            shift_opened(OTHER_SHIFT, CASHIER, "100.00"),
        ],
        &[],
    );
    for drawer in [closed_drawer(&[]), newer_open] {
        assert_eq!(
            pay_cash(
                &cashier(),
                &drawer,
                &card_holding("50.00"),
                &deposit_of("1.00")
            ),
            Err(DomainError::ShiftNotOpen(SHIFT))
        );
    }
}

#[test]
fn a_cashier_takes_no_money_in_a_shift_that_was_never_opened() {
    // Goal: an unknown shift is, for the cashier, a shift that is not open.
    assert_eq!(
        pay_cash(
            &cashier(),
            &unknown_drawer(),
            &card_holding("50.00"),
            &deposit_of("1.00")
        ),
        Err(DomainError::ShiftNotOpen(UNKNOWN_SHIFT))
    );
}

#[test]
fn a_cashier_closes_only_their_own_open_shift() {
    // Goal: another cashier's shift is ShiftOfAnotherCashier; a closed or unknown one ShiftNotOpen.
    let close = |drawer: &Drawer| window::close_shift(&cashier(), drawer, money("100.00"), &[]);
    assert_eq!(
        close(&others_drawer()),
        Err(DomainError::ShiftOfAnotherCashier(SHIFT))
    );
    assert_eq!(
        close(&closed_drawer(&[])),
        Err(DomainError::ShiftNotOpen(SHIFT))
    );
    assert_eq!(
        close(&unknown_drawer()),
        Err(DomainError::ShiftNotOpen(UNKNOWN_SHIFT))
    );
}

#[test]
fn a_cashier_voids_only_in_their_own_open_shift() {
    // Goal: another cashier's shift is ShiftOfAnotherCashier; a closed or unknown one ShiftNotOpen.
    let void = |drawer: &Drawer| window::void_receipt(&cashier(), drawer, "printer jam");
    assert_eq!(
        void(&others_drawer()),
        Err(DomainError::ShiftOfAnotherCashier(SHIFT))
    );
    assert_eq!(
        void(&closed_drawer(&[])),
        Err(DomainError::ShiftNotOpen(SHIFT))
    );
    assert_eq!(
        void(&unknown_drawer()),
        Err(DomainError::ShiftNotOpen(UNKNOWN_SHIFT))
    );
}

#[test]
fn a_cashier_counts_only_their_own_open_shift() {
    // Goal: a routine count is of the cashier's own open shift: another cashier's shift is
    // ShiftOfAnotherCashier, a closed or unknown one ShiftNotOpen (not ShiftNotFound).
    let count = |drawer: &Drawer| window::count_cash(&cashier(), drawer, money("100.00"), None);
    assert_eq!(
        count(&others_drawer()),
        Err(DomainError::ShiftOfAnotherCashier(SHIFT))
    );
    assert_eq!(
        count(&closed_drawer(&[])),
        Err(DomainError::ShiftNotOpen(SHIFT))
    );
    assert_eq!(
        count(&unknown_drawer()),
        Err(DomainError::ShiftNotOpen(UNKNOWN_SHIFT))
    );
}

// ----- money through the window, and the receipt series -----

#[test]
fn a_deposit_is_received_under_the_first_number_of_the_cashier_s_series() {
    // Goal: a cashier's first receipt is number 1 of the series named by their staff number (the
    // acting cashier's: C001, or C002 for another); the deposit and its receipt carry that
    // number, and the receipt is money in.
    let drawer = open_drawer("0.00", &[]);
    let empty_card = account(&[outpatient()]);
    assert_eq!(
        pay_cash(&cashier(), &drawer, &empty_card, &deposit_of("100.00")),
        Ok(ThroughTheWindow {
            movement: deposit_received("100.00", PaymentMethod::Cash, "C001-00000001"),
            receipt: issued(1, Direction::In, PaymentMethod::Cash, "100.00"),
        })
    );
    let through = pay_cash(
        &other_cashier(),
        &others_drawer(),
        &empty_card,
        &deposit_of("100.00"),
    )
    .expect("the other cashier takes the deposit in their own shift");
    assert_eq!(
        (
            receipt_no_of(&through.movement),
            receipt_no_of(&through.receipt)
        ),
        ("C002-00000001", "C002-00000001"),
        "another cashier numbers in their own series, named by their staff number"
    );
}

#[test]
fn the_movement_carries_the_number_of_the_receipt_issued_with_it() {
    // Goal: whatever crosses the window (deposit, refund, settlement, any tender), the account's
    // movement names the receipt issued for it: here number 4, after three numbers used.
    let drawer = open_drawer(
        "5000.00",
        &[
            issued(1, Direction::In, PaymentMethod::Cash, "10.00"),
            voided_in(SHIFT, 2, "printer jam"),
            issued(3, Direction::In, PaymentMethod::Wechat, "10.00"),
        ],
    );
    let card = card_holding("50.00");
    let stay = account(&[inpatient(), deposited("50.00"), deducted(D1, "30.00", LAB)]);
    for (account, payment) in [
        (&card, deposit_of("1.00")),
        (&card, refund_of(Some("1.00"))),
        (&card, refund_of(None)),
        (&stay, settle_of(InsuranceScheme::SelfPay, "0.00")),
    ] {
        for method in [PaymentMethod::Cash, PaymentMethod::BankCard] {
            let through = window::pay(&cashier(), &drawer, account, method, &payment)
                .unwrap_or_else(|e| panic!("{payment:?} by {method:?} was refused: {e}"));
            assert_eq!(receipt_no_of(&through.movement), "C001-00000004");
            assert_eq!(receipt_no_of(&through.receipt), "C001-00000004");
        }
    }
}

#[test]
fn a_voided_number_is_used_up_and_the_next_receipt_follows_it() {
    // Goal: after receipt 1 and a void of number 2, the next payment is receipt 3.
    let drawer = open_drawer(
        "0.00",
        &[
            issued(1, Direction::In, PaymentMethod::Cash, "10.00"),
            voided_in(SHIFT, 2, "printer jam"),
        ],
    );
    assert_eq!(
        pay_cash(
            &cashier(),
            &drawer,
            &card_holding("10.00"),
            &deposit_of("5.00")
        ),
        Ok(ThroughTheWindow {
            movement: deposit_received("5.00", PaymentMethod::Cash, &no(3)),
            receipt: issued(3, Direction::In, PaymentMethod::Cash, "5.00"),
        })
    );
}

#[test]
fn the_series_continues_in_the_cashier_s_next_shift() {
    // Goal: a shift that used three numbers (two receipts and a void) records them on closing,
    // and the cashier's next shift goes on at number 4.
    let used = [
        issued(1, Direction::In, PaymentMethod::Cash, "10.00"),
        voided_in(SHIFT, 2, "printer jam"),
        issued(3, Direction::In, PaymentMethod::Cash, "10.00"),
    ];
    let mut cashier_stream = vec![shift_opened(SHIFT, CASHIER, "0.00")];
    let closing = window::close_shift(
        &cashier(),
        &drawer(SHIFT, &cashier_stream, &used),
        money("20.00"),
        &[],
    )
    .expect("the shift closes");
    cashier_stream.push(closing);
    let opening = window::open_shift(
        &cashier(),
        &Cashier::from_events(&cashier_stream),
        OTHER_SHIFT,
        WINDOW,
        money("0.00"),
    )
    .expect("the next shift opens");
    cashier_stream.push(opening);
    let next = drawer(OTHER_SHIFT, &cashier_stream, &[]);
    let through = pay_cash(
        &cashier(),
        &next,
        &card_holding("10.00"),
        &deposit_of("5.00"),
    )
    .expect("the deposit is taken");
    assert_eq!(
        through.receipt,
        issued_in(OTHER_SHIFT, 4, Direction::In, PaymentMethod::Cash, "5.00")
    );
    assert_eq!(receipt_no_of(&through.movement), "C001-00000004");
    assert_eq!(
        window::void_receipt(&cashier(), &next, "printer jam"),
        Ok(voided_in(OTHER_SHIFT, 4, "printer jam"))
    );
}

#[test]
fn a_refund_of_everything_pays_out_exactly_the_balance() {
    // Goal: a refund without an amount pays out the whole balance, 100.00 − 33.33 = 66.67, and
    // the receipt is money out.
    let drawer = open_drawer("100.00", &[]);
    let card = account(&[
        outpatient(),
        deposited("100.00"),
        deducted(D1, "33.33", LAB),
    ]);
    assert_eq!(
        pay_cash(&cashier(), &drawer, &card, &refund_of(None)),
        Ok(ThroughTheWindow {
            movement: balance_refunded("66.67", PaymentMethod::Cash, &no(1)),
            receipt: issued(1, Direction::Out, PaymentMethod::Cash, "66.67"),
        })
    );
}

#[test]
fn a_refund_of_everything_at_0_00_is_nothing_to_refund() {
    // Goal: with nothing on the account there is nothing to pay out, and no number is taken.
    let drawer = open_drawer("100.00", &[]);
    let spent = account(&[outpatient(), deposited("5.00"), deducted(D1, "5.00", LAB)]);
    assert_eq!(
        pay_cash(&cashier(), &drawer, &spent, &refund_of(None)),
        Err(DomainError::NothingToRefund(money("0.00")))
    );
}

#[test]
fn the_account_s_rule_is_reported_before_the_drawer_s() {
    // Goal: a refund above the balance from an empty drawer is InsufficientBalance (the account),
    // not InsufficientCash (the drawer).
    let empty = open_drawer("0.00", &[]);
    assert_eq!(
        pay_cash(
            &cashier(),
            &empty,
            &card_holding("100.00"),
            &refund_of(Some("100.01"))
        ),
        Err(DomainError::InsufficientBalance {
            balance: money("100.00"),
            requested: money("100.01"),
        })
    );
}

#[test]
fn a_cash_payout_above_the_drawer_is_insufficient_cash() {
    // Goal: float 100.00 + 50.00 cash in (the 20.00 by WeChat is not in the drawer) = 150.00:
    // paying out 150.01 in cash is refused although the account holds 500.00; 150.00 is paid.
    let drawer = open_drawer(
        "100.00",
        &[
            issued(1, Direction::In, PaymentMethod::Cash, "50.00"),
            issued(2, Direction::In, PaymentMethod::Wechat, "20.00"),
        ],
    );
    let card = card_holding("500.00");
    assert_eq!(
        pay_cash(&cashier(), &drawer, &card, &refund_of(Some("150.01"))),
        Err(DomainError::InsufficientCash {
            cash: money("150.00"),
            requested: money("150.01"),
        })
    );
    assert_eq!(
        pay_cash(&cashier(), &drawer, &card, &refund_of(Some("150.00"))),
        Ok(ThroughTheWindow {
            movement: balance_refunded("150.00", PaymentMethod::Cash, &no(3)),
            receipt: issued(3, Direction::Out, PaymentMethod::Cash, "150.00"),
        })
    );
}

#[test]
fn a_payout_by_another_tender_is_not_limited_by_the_drawer() {
    // Goal: only cash leaves the drawer: a bank-card refund of 400.00 from an empty drawer is paid.
    let empty = open_drawer("0.00", &[]);
    assert_eq!(
        window::pay(
            &cashier(),
            &empty,
            &card_holding("500.00"),
            PaymentMethod::BankCard,
            &refund_of(Some("400.00")),
        ),
        Ok(ThroughTheWindow {
            movement: balance_refunded("400.00", PaymentMethod::BankCard, &no(1)),
            receipt: issued(1, Direction::Out, PaymentMethod::BankCard, "400.00"),
        })
    );
}

#[test]
fn a_settlement_the_patient_pays_into_is_a_receipt_for_money_in() {
    // Goal: charges 350.00, the scheme pays 50.00, deposits 100.00: the patient pays 200.00 in
    // (补), and the receipt is money in for 200.00.
    let drawer = open_drawer("0.00", &[]);
    let stay = account(&[
        inpatient(),
        deposited("100.00"),
        deducted(D1, "350.00", LAB),
    ]);
    assert_eq!(
        pay_cash(
            &cashier(),
            &drawer,
            &stay,
            &settle_of(InsuranceScheme::RuralCooperative, "50.00")
        ),
        Ok(ThroughTheWindow {
            movement: discharge_settled(
                InsuranceScheme::RuralCooperative,
                ["350.00", "50.00", "100.00", "200.00", "0.00"],
                &no(1)
            ),
            receipt: issued(1, Direction::In, PaymentMethod::Cash, "200.00"),
        })
    );
}

#[test]
fn a_settlement_the_patient_is_paid_back_from_is_a_receipt_for_money_out() {
    // Goal: self-pay, deposits 5,000.00, charges 3,000.00: 2,000.00 is paid back (退), and the
    // receipt is money out of the drawer for 2,000.00.
    let drawer = open_drawer("2000.00", &[]);
    let stay = account(&[
        inpatient(),
        deposited("5000.00"),
        deducted(D1, "3000.00", LAB),
    ]);
    assert_eq!(
        pay_cash(
            &cashier(),
            &drawer,
            &stay,
            &settle_of(InsuranceScheme::SelfPay, "0.00")
        ),
        Ok(ThroughTheWindow {
            movement: discharge_settled(
                InsuranceScheme::SelfPay,
                ["3000.00", "0.00", "3000.00", "0.00", "2000.00"],
                &no(1)
            ),
            receipt: issued(1, Direction::Out, PaymentMethod::Cash, "2000.00"),
        })
    );
}

#[test]
fn a_cash_settlement_paid_back_beyond_the_drawer_is_insufficient_cash() {
    // Goal: the drawer's rule holds for a settlement too: 2,000.00 back from a drawer of 1,999.99.
    let drawer = open_drawer("1999.99", &[]);
    let stay = account(&[
        inpatient(),
        deposited("5000.00"),
        deducted(D1, "3000.00", LAB),
    ]);
    assert_eq!(
        pay_cash(
            &cashier(),
            &drawer,
            &stay,
            &settle_of(InsuranceScheme::SelfPay, "0.00")
        ),
        Err(DomainError::InsufficientCash {
            cash: money("1999.99"),
            requested: money("2000.00"),
        })
    );
}

// ----- cards issued and returned -----

fn new_account(card_no: &str) -> NewAccount {
    NewAccount {
        account_id: ACCOUNT,
        kind: AccountKind::OutpatientCard,
        patient_id: PATIENT.to_owned(),
        card_no: card_no.to_owned(),
        insurance_scheme: InsuranceScheme::SelfPay,
    }
}

fn card_assigned(account_id: yika_domain::AccountId) -> Event {
    Event::CardAssigned {
        card_no: CARD_NO.to_owned(),
        account_id,
    }
}

fn card_released(account_id: yika_domain::AccountId) -> Event {
    Event::CardReleased {
        card_no: CARD_NO.to_owned(),
        account_id,
    }
}

#[test]
fn opening_an_account_assigns_its_card_number_to_it() {
    // Goal: a new account and the assignment of the (trimmed) card number it holds.
    assert_eq!(
        window::open_account(
            &cashier(),
            &Card::default(),
            &new_account(&format!(" {CARD_NO} "))
        ),
        Ok((outpatient(), card_assigned(ACCOUNT)))
    );
}

#[test]
fn a_card_number_held_by_an_open_account_is_card_already_issued() {
    // Goal: a live card number is held by one account; the refusal names the holder.
    let held = Card::from_events(&[card_assigned(OTHER_ACCOUNT)]);
    assert_eq!(
        window::open_account(&cashier(), &held, &new_account(CARD_NO)),
        Err(DomainError::CardAlreadyIssued {
            card_no: CARD_NO.to_owned(),
            holder: OTHER_ACCOUNT,
        })
    );
}

#[test]
fn a_released_card_number_is_issued_again() {
    // Goal: the number of a returned card may be given to a new account.
    let released = Card::from_events(&[card_assigned(OTHER_ACCOUNT), card_released(OTHER_ACCOUNT)]);
    assert_eq!(
        window::open_account(&cashier(), &released, &new_account(CARD_NO)),
        Ok((outpatient(), card_assigned(ACCOUNT)))
    );
}

#[test]
fn closing_an_account_at_0_00_releases_its_card_number() {
    // Goal: returning a card (退卡) closes the account and frees its number.
    let refunded_card = account(&[outpatient(), deposited("10.00"), refunded("10.00")]);
    let card = Card::from_events(&[card_assigned(ACCOUNT)]);
    assert_eq!(
        window::close_account(&cashier(), &refunded_card, &card),
        Ok((closed(), card_released(ACCOUNT)))
    );
}

#[test]
fn an_account_with_money_on_it_is_not_closed() {
    // Goal: the balance is refunded first; the number stays with the account.
    let card = Card::from_events(&[card_assigned(ACCOUNT)]);
    assert_eq!(
        window::close_account(&cashier(), &card_holding("10.00"), &card),
        Err(DomainError::BalanceNotZero(money("10.00")))
    );
}

// ----- shifts -----

#[test]
fn a_cashier_opens_a_shift_in_their_own_name() {
    // Goal: the shift is opened for the acting cashier, at a window, with its float.
    assert_eq!(
        window::open_shift(
            &cashier(),
            &Cashier::default(),
            SHIFT,
            WINDOW,
            money("100.00")
        ),
        Ok(shift_opened(SHIFT, CASHIER, "100.00"))
    );
}

#[test]
fn a_cashier_opens_one_shift_at_a_time() {
    // Goal: with a shift open, opening another is ShiftAlreadyOpen naming the open one.
    let working = Cashier::from_events(&[shift_opened(SHIFT, CASHIER, "100.00")]);
    assert_eq!(
        window::open_shift(&cashier(), &working, OTHER_SHIFT, WINDOW, money("0.00")),
        Err(DomainError::ShiftAlreadyOpen(SHIFT))
    );
}

#[test]
fn closing_a_shift_records_the_blind_count_and_the_numbers_it_used() {
    // Goal: ShiftClosed carries the count of each tender and every number the shift used,
    // receipts and voids alike.
    let drawer = open_drawer(
        "100.00",
        &[
            issued(1, Direction::In, PaymentMethod::Cash, "50.00"),
            voided_in(SHIFT, 2, "printer jam"),
            issued(3, Direction::In, PaymentMethod::Wechat, "20.00"),
        ],
    );
    assert_eq!(
        window::close_shift(
            &cashier(),
            &drawer,
            money("150.00"),
            &[(PaymentMethod::Wechat, money("20.00"))]
        ),
        Ok(Event::ShiftClosed {
            expected_cash: Some(money("150.00")),
            shift_id: SHIFT,
            cashier_id: CASHIER,
            counted_cash: money("150.00"),
            counted_other: vec![(PaymentMethod::Wechat, money("20.00"))],
            receipts_used: 3,
        })
    );
}

// ----- counts -----

fn cash_counted(
    counted_by: StaffId,
    surprise: bool,
    counted: &str,
    expected: &str,
    note: Option<&str>,
) -> Event {
    Event::CashCounted {
        shift_id: SHIFT,
        cashier_id: CASHIER,
        counted_by,
        surprise,
        counted_cash: money(counted),
        expected_cash: money(expected),
        note: note.map(str::to_owned),
    }
}

/// CASHIER's open SHIFT: float 200.00 + 500.00 cash in − 100.00 cash out = 600.00 in the drawer
/// (the 70.00 by Alipay is not).
fn busy_drawer() -> Drawer {
    open_drawer(
        "200.00",
        &[
            issued(1, Direction::In, PaymentMethod::Cash, "500.00"),
            issued(2, Direction::Out, PaymentMethod::Cash, "100.00"),
            issued(3, Direction::In, PaymentMethod::Alipay, "70.00"),
        ],
    )
}

#[test]
fn an_auditor_counts_any_cashier_s_open_shift_by_surprise() {
    // Goal: an AUDITOR's count is a surprise count (突击盘点) of the cashier's shift, recorded
    // with the cash the drawer should hold, here 10.00 short, and the auditor's note.
    let counted = window::count_cash(&auditor(), &busy_drawer(), money("590.00"), Some(" 突击 "));
    assert_eq!(
        counted,
        Ok(cash_counted(
            AUDITOR,
            true,
            "590.00",
            "600.00",
            Some("突击")
        ))
    );
}

#[test]
fn an_auditor_cannot_count_a_shift_that_was_never_opened() {
    // Goal: an unknown shift is ShiftNotFound for an auditor.
    assert_eq!(
        window::count_cash(&auditor(), &unknown_drawer(), money("0.00"), None),
        Err(DomainError::ShiftNotFound(UNKNOWN_SHIFT))
    );
}

#[test]
fn a_closed_shift_is_not_counted_by_an_auditor() {
    // Goal: a count is of a drawer in use; a closed shift was counted blind at closing.
    assert_eq!(
        window::count_cash(&auditor(), &closed_drawer(&[]), money("0.00"), None),
        Err(DomainError::ShiftNotOpen(SHIFT))
    );
}

#[test]
fn a_cashier_counts_their_own_open_shift_routinely() {
    // Goal: the CASHIER's count of their own shift is a routine count, not a surprise one.
    assert_eq!(
        window::count_cash(&cashier(), &busy_drawer(), money("600.00"), None),
        Ok(cash_counted(CASHIER, false, "600.00", "600.00", None))
    );
}

// ----- hand-over -----

#[test]
fn a_controller_receives_a_closed_shift_s_cash() {
    // Goal: the hand-over names the shift's cashier and the CONTROLLER who received the cash.
    assert_eq!(
        window::hand_over(&controller(), &closed_drawer(&[]), money("100.00")),
        Ok(Event::CashHandedOver {
            shift_id: SHIFT,
            cashier_id: CASHIER,
            received_by: CONTROLLER,
            amount: money("100.00"),
            two_party: true,
        })
    );
}

#[test]
fn a_shift_that_was_never_opened_is_not_handed_over() {
    // Goal: an unknown shift is ShiftNotFound.
    assert_eq!(
        window::hand_over(&controller(), &unknown_drawer(), money("100.00")),
        Err(DomainError::ShiftNotFound(UNKNOWN_SHIFT))
    );
}

#[test]
fn an_open_shift_is_not_handed_over() {
    // Goal: the shift is closed (with its blind count) before its cash goes to finance.
    assert_eq!(
        window::hand_over(&controller(), &open_drawer("100.00", &[]), money("100.00")),
        Err(DomainError::ShiftStillOpen(SHIFT))
    );
}

#[test]
fn a_shift_s_cash_is_handed_over_once() {
    // Goal: a second hand-over of the same shift is AlreadyHandedOver.
    let handed = Event::CashHandedOver {
        shift_id: SHIFT,
        cashier_id: CASHIER,
        received_by: CONTROLLER,
        amount: money("100.00"),
        two_party: true,
    };
    assert_eq!(
        window::hand_over(&controller(), &closed_drawer(&[handed]), money("100.00")),
        Err(DomainError::AlreadyHandedOver(SHIFT))
    );
}

// ----- voids -----

#[test]
fn a_cashier_voids_the_next_number_of_their_series() {
    // Goal: a spoiled form uses up the next number (2, after receipt 1), with its reason.
    let drawer = open_drawer(
        "0.00",
        &[issued(1, Direction::In, PaymentMethod::Cash, "10.00")],
    );
    assert_eq!(
        window::void_receipt(&cashier(), &drawer, "printer jam"),
        Ok(voided_in(SHIFT, 2, "printer jam"))
    );
}

// ----- the hand-over matches the count (issue 14) -----

fn closed_at_count(counted: &str) -> Drawer {
    drawer(
        SHIFT,
        &[
            shift_opened(SHIFT, CASHIER, "100.00"),
            Event::ShiftClosed {
                expected_cash: None,
                shift_id: SHIFT,
                cashier_id: CASHIER,
                counted_cash: money(counted),
                counted_other: vec![],
                receipts_used: 0,
            },
        ],
        &[],
    )
}

#[test]
fn no_more_is_handed_over_than_the_drawer_was_counted_at() {
    // Goal: the reported hole: 9,999,999.00 handed over from a drawer counted at 385.00 left the
    // drawer at -9,999,614.00. A hand-over above the closing count is INSUFFICIENT_CASH; the
    // count itself, or less (a difference the shift then shows for review), is taken.
    let controller = controller();
    let drawer = closed_at_count("385.00");
    assert_eq!(
        window::hand_over(&controller, &drawer, money("9999999.00")),
        Err(DomainError::InsufficientCash {
            cash: money("385.00"),
            requested: money("9999999.00"),
        })
    );
    assert_eq!(
        window::hand_over(&controller, &drawer, money("385.01")),
        Err(DomainError::InsufficientCash {
            cash: money("385.00"),
            requested: money("385.01"),
        })
    );
    for amount in ["385.00", "300.00", "0.00"] {
        let event = window::hand_over(&controller, &drawer, money(amount)).expect("taken");
        assert!(
            matches!(event, Event::CashHandedOver { amount: a, .. } if a == money(amount)),
            "{event:?}"
        );
    }
}

// ----- closing the drawer: variance, two-party hand-over -----

/// CASHIER's SHIFT, opened with 100.00, that took 50.00 cash and was closed at `counted`.
fn counted_drawer(counted: &str, shift_stream_after: &[Event]) -> Drawer {
    let mut shift_stream = vec![issued(1, Direction::In, PaymentMethod::Cash, "50.00")];
    shift_stream.extend_from_slice(shift_stream_after);
    let opened = shift_opened(SHIFT, CASHIER, "100.00");
    let open = drawer(SHIFT, std::slice::from_ref(&opened), &shift_stream);
    let closed = window::close_shift(&cashier(), &open, money(counted), &[]).expect("closed");
    drawer(SHIFT, &[opened, closed], &shift_stream)
}

#[test]
fn closing_a_shift_records_what_the_drawer_should_hold() {
    // Given a shift opened with 100.00 that took 50.00 cash
    let open = drawer(
        SHIFT,
        &[shift_opened(SHIFT, CASHIER, "100.00")],
        &[issued(1, Direction::In, PaymentMethod::Cash, "50.00")],
    );
    // When it is closed at 149.50
    let closed = window::close_shift(&cashier(), &open, money("149.50"), &[]).unwrap();
    // Then the close carries 150.00 expected, and the 0.50 shortage is the cashier's variance
    assert!(matches!(
        closed,
        Event::ShiftClosed { expected_cash: Some(e), .. } if e == money("150.00")
    ));
    let cashier_state = Cashier::from_events(&[shift_opened(SHIFT, CASHIER, "100.00"), closed]);
    assert_eq!(cashier_state.closed_variances[&SHIFT], money("-0.50"));
}

#[test]
fn a_controller_resolves_a_variance_once() {
    use yika_domain::VarianceResolution::{CashierRepays, Found, WrittenOff};
    let short = counted_drawer("149.50", &[]);
    // Only a controller resolves
    for actor in everyone_but(Role::Controller) {
        assert_eq!(
            window::resolve_variance(&actor, &short, CashierRepays, "repaid"),
            Err(DomainError::RoleRequired(Role::Controller))
        );
    }
    // A shortage repaid by the cashier records the variance
    let resolved =
        window::resolve_variance(&controller(), &short, CashierRepays, "repaid").unwrap();
    assert_eq!(
        resolved,
        Event::VarianceResolved {
            shift_id: SHIFT,
            cashier_id: CASHIER,
            variance: money("-0.50"),
            resolution: CashierRepays,
            note: "repaid".to_owned(),
            resolved_by: CONTROLLER,
        }
    );
    // And not twice
    let again = counted_drawer("149.50", &[resolved]);
    assert_eq!(
        window::resolve_variance(&controller(), &again, WrittenOff, "again"),
        Err(DomainError::VarianceAlreadyResolved(SHIFT))
    );
    // A surplus is not repaid, but may be written off or found
    let over = counted_drawer("151.00", &[]);
    assert_eq!(
        window::resolve_variance(&controller(), &over, CashierRepays, "x"),
        Err(DomainError::NothingToRepay(SHIFT))
    );
    assert!(window::resolve_variance(&controller(), &over, Found, "owner found").is_ok());
    // A drawer that balanced has nothing to resolve, nor has an open shift
    assert_eq!(
        window::resolve_variance(
            &controller(),
            &counted_drawer("150.00", &[]),
            WrittenOff,
            "x"
        ),
        Err(DomainError::NoVariance(SHIFT))
    );
    assert_eq!(
        window::resolve_variance(&controller(), &open_drawer("100.00", &[]), WrittenOff, "x"),
        Err(DomainError::ShiftStillOpen(SHIFT))
    );
    // A shift closed before variances were posted has none to resolve
    assert_eq!(
        window::resolve_variance(&controller(), &closed_drawer(&[]), WrittenOff, "x"),
        Err(DomainError::NoVariance(SHIFT))
    );
}

#[test]
fn the_cashier_declares_the_hand_over_of_their_own_closed_shift_once() {
    let closed = counted_drawer("150.00", &[]);
    let other = [(PaymentMethod::Wechat, money("20.00"))];
    // Only the shift's own cashier declares, and only once it is closed
    assert_eq!(
        window::declare_hand_over(&controller(), &closed, money("150.00"), &other),
        Err(DomainError::RoleRequired(Role::Cashier))
    );
    assert_eq!(
        window::declare_hand_over(&other_cashier(), &closed, money("150.00"), &other),
        Err(DomainError::ShiftOfAnotherCashier(SHIFT))
    );
    assert_eq!(
        window::declare_hand_over(&cashier(), &open_drawer("100.00", &[]), money("1.00"), &[]),
        Err(DomainError::ShiftStillOpen(SHIFT))
    );
    // Cash is given as the cash amount, not among the other tenders
    assert!(matches!(
        window::declare_hand_over(
            &cashier(),
            &closed,
            money("1.00"),
            &[(PaymentMethod::Cash, money("1.00"))]
        ),
        Err(DomainError::InvalidText { field: "other", .. })
    ));
    // Declared: what the cashier says they hand over, whatever it is
    let declared = window::declare_hand_over(&cashier(), &closed, money("149.00"), &other).unwrap();
    assert_eq!(
        declared,
        Event::HandOverDeclared {
            shift_id: SHIFT,
            cashier_id: CASHIER,
            cash: money("149.00"),
            other: other.to_vec(),
        }
    );
    // Not twice; and the controller's receipt still comes after it
    let after = counted_drawer("150.00", &[declared]);
    assert_eq!(
        window::declare_hand_over(&cashier(), &after, money("149.00"), &[]),
        Err(DomainError::AlreadyDeclared(SHIFT))
    );
    assert!(window::hand_over(&controller(), &after, money("149.00")).is_ok());
}
