//! Given/when/then for discharge settlement (出院结算): the split between the insurance scheme
//! and the patient, the account left at exactly zero, and nothing more after it.

mod common;

use common::*;
use yika_domain::testing::given;
use yika_domain::{Account, AccountCommand, DomainError, Event, InsuranceScheme, PaymentMethod};

fn settle(scheme: InsuranceScheme, insurance: &str) -> AccountCommand {
    AccountCommand::SettleDischarge {
        insurance_scheme: scheme,
        insurance_pays: money(insurance),
        method: PaymentMethod::Cash,
        shift_id: SHIFT,
        cashier_id: CASHIER,
        receipt_no: "C001-00000009".to_owned(),
        external_ref: None,
    }
}

fn settled(scheme: InsuranceScheme, figures: [&str; 5]) -> Event {
    let [
        total_charges,
        insurance_pays,
        deposits_applied,
        patient_pays,
        patient_receives,
    ] = figures;
    Event::DischargeSettled {
        account_id: ACCOUNT,
        insurance_scheme: scheme,
        total_charges: money(total_charges),
        insurance_pays: money(insurance_pays),
        deposits_applied: money(deposits_applied),
        patient_pays: money(patient_pays),
        patient_receives: money(patient_receives),
        method: PaymentMethod::Cash,
        shift_id: SHIFT,
        cashier_id: CASHIER,
        receipt_no: "C001-00000009".to_owned(),
        external_ref: None,
        manual: scheme == InsuranceScheme::OutOfArea,
    }
}

/// An inpatient stay: 5,000.00 deposited, 6,234.56 charged by two departments, 34.56 reversed.
fn stay() -> Vec<Event> {
    vec![
        inpatient(),
        deposited("5000.00"),
        deducted(D1, "4000.00", LAB),
        deducted(D2, "2234.56", PHARMACY),
        reversed(D2, "34.56", PHARMACY),
    ]
}

#[test]
fn it_refunds_a_self_pay_patient_whose_deposits_exceed_the_charges() {
    // Goal: self-pay, deposits 5,000.00, charges 3,000.00: 3,000.00 applied, 2,000.00 back (退).
    given::<Account>([
        inpatient(),
        deposited("5000.00"),
        deducted(D1, "3000.00", LAB),
    ])
    .when(settle(InsuranceScheme::SelfPay, "0.00"))
    .then([settled(
        InsuranceScheme::SelfPay,
        ["3000.00", "0.00", "3000.00", "0.00", "2000.00"],
    )]);
}

#[test]
fn it_has_an_insured_patient_pay_the_rest() {
    // Goal: charges 6,200.00 net of reversals; the resident scheme pays 1,000.00; the patient's
    // share 5,200.00 takes all 5,000.00 of deposits and 200.00 more is paid in (补).
    given::<Account>(stay())
        .when(settle(InsuranceScheme::ResidentBasic, "1000.00"))
        .then([settled(
            InsuranceScheme::ResidentBasic,
            ["6200.00", "1000.00", "5000.00", "200.00", "0.00"],
        )]);
}

#[test]
fn it_returns_all_deposits_when_insurance_pays_everything() {
    // Goal: the scheme pays all 6,200.00: no deposit is applied and all 5,000.00 go back.
    given::<Account>(stay())
        .when(settle(InsuranceScheme::EmployeeBasic, "6200.00"))
        .then([settled(
            InsuranceScheme::EmployeeBasic,
            ["6200.00", "6200.00", "0.00", "0.00", "5000.00"],
        )]);
}

#[test]
fn it_marks_out_of_area_settlements_as_manual() {
    // Goal: 外埠 contract patients are settled by hand; the event says so.
    given::<Account>(stay())
        .when(settle(InsuranceScheme::OutOfArea, "3000.00"))
        .then([settled(
            InsuranceScheme::OutOfArea,
            ["6200.00", "3000.00", "3200.00", "0.00", "1800.00"],
        )]);
}

#[test]
fn it_refuses_an_insurance_share_above_the_charges() {
    // Goal: the scheme never pays more than the stay cost.
    given::<Account>(stay())
        .when(settle(InsuranceScheme::ResidentBasic, "6200.01"))
        .then_err(DomainError::InsuranceExceedsCharges {
            insurance_pays: money("6200.01"),
            total_charges: money("6200.00"),
        });
    given::<Account>(stay())
        .when(settle(InsuranceScheme::SelfPay, "0.01"))
        .then_err(DomainError::SelfPayWithInsurance);
}

#[test]
fn it_settles_once_and_then_takes_nothing_more() {
    // Goal: a second settlement, a deduction or a deposit after settlement is ALREADY_SETTLED;
    // the settled account can be closed.
    let mut history = stay();
    history.push(settled(
        InsuranceScheme::ResidentBasic,
        ["6200.00", "1000.00", "5000.00", "200.00", "0.00"],
    ));
    given::<Account>(history.clone())
        .when(settle(InsuranceScheme::ResidentBasic, "1000.00"))
        .then_err(DomainError::AlreadySettled(ACCOUNT));
    given::<Account>(history.clone())
        .when(deduct(
            yika_domain::DeductionId(uuid::Uuid::from_u128(0xded_0003)),
            "1.00",
            LAB,
        ))
        .then_err(DomainError::AlreadySettled(ACCOUNT));
    given::<Account>(history.clone())
        .when(deposit("1.00"))
        .then_err(DomainError::AlreadySettled(ACCOUNT));
    given::<Account>(history)
        .when(AccountCommand::Close)
        .then([closed()]);
}

#[test]
fn it_settles_only_inpatient_accounts() {
    // Goal: an outpatient card is refunded and closed, never settled at discharge.
    given::<Account>([outpatient(), deposited("10.00")])
        .when(settle(InsuranceScheme::SelfPay, "0.00"))
        .then_err(DomainError::NotInpatient);
}

#[test]
fn it_settles_an_account_in_arrears() {
    // Goal: charges above the deposits (欠费) are paid in at settlement.
    given::<Account>([
        inpatient(),
        deposited("100.00"),
        deducted(D1, "350.00", LAB),
    ])
    .when(settle(InsuranceScheme::RuralCooperative, "50.00"))
    .then([settled(
        InsuranceScheme::RuralCooperative,
        ["350.00", "50.00", "100.00", "200.00", "0.00"],
    )]);
}
