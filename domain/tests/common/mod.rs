//! Shared fixtures for the domain's integration tests: fixed ids, amounts, commands and events.
//!
//! Every test file uses only part of this module, hence the `dead_code` allowance.
#![allow(dead_code)]

use uuid::Uuid;
use yika_domain::{
    AccountCommand, AccountId, AccountKind, Amount, DeductionId, Event, InsuranceScheme, Money,
    PaymentMethod, ReversalReason, ShiftId, StaffId,
};

pub const ACCOUNT: AccountId = AccountId(Uuid::from_u128(0xacc0_0001));
pub const OTHER_ACCOUNT: AccountId = AccountId(Uuid::from_u128(0xacc0_0002));
pub const SHIFT: ShiftId = ShiftId(Uuid::from_u128(0x5f7_0001));
pub const OTHER_SHIFT: ShiftId = ShiftId(Uuid::from_u128(0x5f7_0002));
pub const CASHIER: StaffId = StaffId(Uuid::from_u128(0xca5_0001));
pub const D1: DeductionId = DeductionId(Uuid::from_u128(0xded_0001));
pub const D2: DeductionId = DeductionId(Uuid::from_u128(0xded_0002));
pub const UNKNOWN_DEDUCTION: DeductionId = DeductionId(Uuid::from_u128(0xded_ffff));

pub const CARD_NO: &str = "YK-000001";
pub const PATIENT: &str = "P-000001";
pub const LAB: &str = "Lab";
pub const PHARMACY: &str = "Pharmacy";
pub const RECEIPT: &str = "R-000001";
pub const ORDER: &str = "ORD-000001";
pub const ITEM_CODE: &str = "LAB-CBC";
pub const ITEM_NAME: &str = "Complete blood count";

/// A positive amount from text; panics on a typo in a test.
pub fn amount(text: &str) -> Amount {
    Amount::parse(text).expect("test amounts are valid")
}

/// Money from text; panics on a typo in a test.
pub fn money(text: &str) -> Money {
    Money::parse(text).expect("test money is valid")
}

/// A string of `n` copies of `c`.
pub fn chars(c: char, n: usize) -> String {
    std::iter::repeat_n(c, n).collect()
}

/// Which variant an event is. The match has no wildcard, so a new variant does not compile until
/// it is added here; fixtures that claim to hold "one of each" check themselves against it.
pub fn variant(event: &Event) -> usize {
    match event {
        Event::StaffRegistered { .. } => 0,
        Event::CardAssigned { .. } => 1,
        Event::CardReleased { .. } => 2,
        Event::AccountOpened { .. } => 3,
        Event::DepositReceived { .. } => 4,
        Event::ChargeDeducted { .. } => 5,
        Event::DeductionReversed { .. } => 6,
        Event::BalanceRefunded { .. } => 7,
        Event::AccountClosed { .. } => 8,
        Event::ShiftOpened { .. } => 9,
        Event::ShiftClosed { .. } => 10,
        Event::ReceiptIssued { .. } => 11,
        Event::ReceiptVoided { .. } => 12,
        Event::CashCounted { .. } => 13,
        Event::CashHandedOver { .. } => 14,
        Event::DischargeSettled { .. } => 15,
        Event::DifficultyCoefficientsSet { .. } => 16,
        Event::QualityDeductionRecorded { .. } => 17,
        Event::TokenIssued { .. } => 18,
        Event::TokenRevoked { .. } => 19,
        Event::StaffDeactivated { .. } => 20,
        Event::HandOverDeclared { .. } => 21,
        Event::VarianceResolved { .. } => 22,
        Event::StatementImported { .. } => 23,
        Event::PaymentsMatched { .. } => 24,
        Event::PaymentUnmatched { .. } => 25,
        Event::InsuranceRemittanceReceived { .. } => 26,
        Event::DayClosed { .. } => 27,
    }
}

/// How many variants [`variant`] knows.
pub const VARIANT_COUNT: usize = 28;

/// A statement line of `text` paid in under `reference`.
pub fn line(reference: &str, text: &str, fee: &str) -> yika_domain::StatementLine {
    yika_domain::StatementLine {
        external_ref: reference.to_owned(),
        amount: amount(text),
        direction: yika_domain::Direction::In,
        occurred_at: chrono::DateTime::from_timestamp(1_780_000_000, 0).unwrap(),
        fee: money(fee),
        note: None,
    }
}

/// A match of the line `reference` to the movement `movement`.
pub fn a_match(
    reference: &str,
    movement: u128,
    text: &str,
    fee: &str,
) -> yika_domain::PaymentMatch {
    yika_domain::PaymentMatch {
        external_ref: reference.to_owned(),
        movement_id: Uuid::from_u128(movement),
        account_id: ACCOUNT,
        direction: yika_domain::Direction::In,
        amount: money(text),
        fee: money(fee),
        rule: yika_domain::MatchRule::Reference,
    }
}

/// One each of the events that close the books (hand-over declarations, variances,
/// statements, matches, remittances).
pub fn closing_events() -> Vec<Event> {
    vec![
        Event::HandOverDeclared {
            shift_id: SHIFT,
            cashier_id: CASHIER,
            cash: money("400.00"),
            other: vec![(PaymentMethod::Wechat, money("20.00"))],
        },
        Event::VarianceResolved {
            shift_id: SHIFT,
            cashier_id: CASHIER,
            variance: money("-0.50"),
            resolution: yika_domain::VarianceResolution::CashierRepays,
            note: "repaid at once".to_owned(),
            resolved_by: CASHIER,
        },
        Event::StatementImported {
            method: PaymentMethod::Wechat,
            statement_date: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            source: Some("wechat.csv".to_owned()),
            lines: vec![line("WX-1", "20.00", "0.12")],
            duplicates: 1,
            imported_by: CASHIER,
        },
        Event::PaymentsMatched {
            method: PaymentMethod::Wechat,
            matches: vec![a_match("WX-1", 7, "20.00", "0.12")],
            reason: None,
        },
        Event::PaymentUnmatched {
            method: PaymentMethod::Wechat,
            unmatched: a_match("WX-1", 7, "20.00", "0.12"),
            reason: "wrong payment".to_owned(),
        },
        Event::InsuranceRemittanceReceived {
            scheme: InsuranceScheme::ResidentBasic,
            amount: amount("550.00"),
            period_from: chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            period_to: chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
            reference: "YB-2026-11".to_owned(),
            owed: money("600.00"),
            recorded_by: CASHIER,
        },
        Event::DayClosed {
            date: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            report: Box::new(day_report("2026-12-01", 41)),
            report_sha256: "ab".repeat(32),
            note: Some("all windows handed over".to_owned()),
            closed_by: CASHIER,
        },
    ]
}

/// A day's report of `date` as of `as_of` that balances: 1,000.00 deposited in cash at W1,
/// 300.00 deducted, 20.00 of it reversed.
pub fn day_report(date: &str, as_of: u64) -> yika_domain::DayReport {
    yika_domain::DayReport {
        format: yika_domain::day::REPORT_FORMAT,
        date: date.parse().unwrap(),
        time_zone: "Asia/Shanghai".to_owned(),
        as_of_position: as_of,
        opening_liability: money("50.00"),
        deposits: money("1000.00"),
        deductions: money("300.00"),
        reversals: money("20.00"),
        refunds: Money::ZERO,
        settlement_effect: Money::ZERO,
        closing_liability: money("770.00"),
        by_method: vec![(PaymentMethod::Cash, money("1000.00"))],
        by_window: vec![yika_domain::day::WindowLine {
            window: "W1".to_owned(),
            received: money("1000.00"),
            paid_out: Money::ZERO,
            transactions: 1,
        }],
        cash_variance: Money::ZERO,
        open_variance: Money::ZERO,
        open_variance_shifts: 0,
        sections: vec![],
        cards_issued: 1,
        admissions: 0,
        discharges: 0,
        settlements: vec![],
        by_cashier: vec![],
        variances: vec![],
        receipts: vec![],
        receipt_gaps: vec![],
        back_entries: vec![],
    }
}

/// One each of the shift-stream events (receipts, counts, hand-over).
pub fn shift_stream_events() -> Vec<Event> {
    vec![
        Event::ReceiptIssued {
            shift_id: SHIFT,
            cashier_id: CASHIER,
            receipt_no: "C001-00000001".to_owned(),
            sequence: 1,
            account_id: ACCOUNT,
            direction: yika_domain::Direction::In,
            method: yika_domain::PaymentMethod::Cash,
            amount: money("100.00"),
        },
        Event::ReceiptVoided {
            shift_id: SHIFT,
            cashier_id: CASHIER,
            receipt_no: "C001-00000002".to_owned(),
            sequence: 2,
            reason: "printer jam".to_owned(),
        },
        Event::CashCounted {
            shift_id: SHIFT,
            cashier_id: CASHIER,
            counted_by: CASHIER,
            surprise: false,
            counted_cash: money("400.00"),
            expected_cash: money("400.50"),
            note: Some("routine".to_owned()),
        },
        Event::CashHandedOver {
            shift_id: SHIFT,
            cashier_id: CASHIER,
            received_by: CASHIER,
            amount: money("400.00"),
            two_party: true,
        },
        Event::DischargeSettled {
            account_id: ACCOUNT,
            insurance_scheme: yika_domain::InsuranceScheme::ResidentBasic,
            total_charges: money("1000.00"),
            insurance_pays: money("600.00"),
            deposits_applied: money("300.00"),
            patient_pays: money("100.00"),
            patient_receives: money("0.00"),
            method: yika_domain::PaymentMethod::Cash,
            shift_id: SHIFT,
            cashier_id: CASHIER,
            receipt_no: "C001-00000003".to_owned(),
            manual: false,
            external_ref: None,
        },
        Event::DifficultyCoefficientsSet {
            effective_from: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            base_ratio: "0.7".parse().unwrap(),
            coefficients: vec![(
                yika_domain::BusinessType::DischargeOutOfArea,
                "3.5".parse().unwrap(),
            )],
            set_by: CASHIER,
        },
        Event::QualityDeductionRecorded {
            staff_id: CASHIER,
            points: "2".parse().unwrap(),
            reason: "complaint".to_owned(),
            recorded_by: CASHIER,
        },
    ]
}

/// Asserts that `events` holds at least one event of every variant.
#[track_caller]
pub fn assert_every_variant(events: &[Event]) {
    let mut seen = [false; VARIANT_COUNT];
    for event in events {
        seen[variant(event)] = true;
    }
    assert!(
        seen.iter().all(|s| *s),
        "variants missing from the fixture: {seen:?}"
    );
}

// ----- commands -----

pub fn open(kind: AccountKind) -> AccountCommand {
    AccountCommand::Open {
        account_id: ACCOUNT,
        kind,
        patient_id: PATIENT.to_owned(),
        card_no: CARD_NO.to_owned(),
        insurance_scheme: InsuranceScheme::SelfPay,
    }
}

pub fn deposit(text: &str) -> AccountCommand {
    deposit_by(text, PaymentMethod::Cash)
}

pub fn deposit_by(text: &str, method: PaymentMethod) -> AccountCommand {
    AccountCommand::Deposit {
        amount: amount(text),
        method,
        shift_id: SHIFT,
        cashier_id: CASHIER,
        receipt_no: RECEIPT.to_owned(),
        external_ref: None,
    }
}

/// The executing order of a deduction in these tests: ORDER for D1, one of its own otherwise
/// (an order is deducted at most once).
pub fn order_of(id: DeductionId) -> String {
    if id == D1 {
        ORDER.to_owned()
    } else {
        format!("ORD-{id}")
    }
}

pub fn deduct(id: DeductionId, text: &str, department: &str) -> AccountCommand {
    deduct_line(
        id,
        text,
        department,
        &order_of(id),
        ITEM_CODE,
        Some(ITEM_NAME),
        1,
    )
}

pub fn deduct_line(
    id: DeductionId,
    text: &str,
    department: &str,
    order_id: &str,
    item_code: &str,
    item_name: Option<&str>,
    quantity: i64,
) -> AccountCommand {
    AccountCommand::Deduct {
        deduction_id: id,
        amount: amount(text),
        department: department.to_owned(),
        order_id: order_id.to_owned(),
        item_code: item_code.to_owned(),
        item_name: item_name.map(str::to_owned),
        quantity,
    }
}

pub fn reverse(id: DeductionId, text: &str, department: &str) -> AccountCommand {
    AccountCommand::Reverse {
        deduction_id: id,
        amount: amount(text),
        department: department.to_owned(),
        reason: ReversalReason::DrugReturn,
    }
}

/// A cash refund of `text`, or of the whole balance when `None`.
pub fn refund(text: Option<&str>) -> AccountCommand {
    AccountCommand::Refund {
        amount: text.map(amount),
        method: PaymentMethod::Cash,
        shift_id: SHIFT,
        cashier_id: CASHIER,
        receipt_no: RECEIPT.to_owned(),
        external_ref: None,
    }
}

// ----- events (what the commands above produce) -----

pub fn opened(kind: AccountKind) -> Event {
    Event::AccountOpened {
        account_id: ACCOUNT,
        kind,
        patient_id: PATIENT.to_owned(),
        card_no: CARD_NO.to_owned(),
        insurance_scheme: InsuranceScheme::SelfPay,
    }
}

pub fn outpatient() -> Event {
    opened(AccountKind::OutpatientCard)
}

pub fn inpatient() -> Event {
    opened(AccountKind::InpatientDeposit)
}

pub fn deposited(text: &str) -> Event {
    deposited_by(text, PaymentMethod::Cash)
}

pub fn deposited_by(text: &str, method: PaymentMethod) -> Event {
    Event::DepositReceived {
        account_id: ACCOUNT,
        amount: amount(text),
        method,
        shift_id: SHIFT,
        cashier_id: CASHIER,
        receipt_no: RECEIPT.to_owned(),
        external_ref: None,
    }
}

pub fn deducted(id: DeductionId, text: &str, department: &str) -> Event {
    deducted_line(id, text, department, 1)
}

pub fn deducted_line(id: DeductionId, text: &str, department: &str, quantity: u32) -> Event {
    Event::ChargeDeducted {
        account_id: ACCOUNT,
        deduction_id: id,
        amount: amount(text),
        department: department.to_owned(),
        order_id: order_of(id),
        item_code: ITEM_CODE.to_owned(),
        item_name: Some(ITEM_NAME.to_owned()),
        quantity,
    }
}

pub fn reversed(id: DeductionId, text: &str, department: &str) -> Event {
    Event::DeductionReversed {
        account_id: ACCOUNT,
        deduction_id: id,
        amount: amount(text),
        department: department.to_owned(),
        reason: ReversalReason::DrugReturn,
    }
}

pub fn refunded(text: &str) -> Event {
    Event::BalanceRefunded {
        account_id: ACCOUNT,
        amount: amount(text),
        method: PaymentMethod::Cash,
        shift_id: SHIFT,
        cashier_id: CASHIER,
        receipt_no: RECEIPT.to_owned(),
        external_ref: None,
    }
}

pub fn closed() -> Event {
    Event::AccountClosed {
        account_id: ACCOUNT,
        card_no: CARD_NO.to_owned(),
    }
}
