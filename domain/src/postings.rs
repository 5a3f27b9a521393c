//! Double-entry postings: every event maps to postings whose debits equal their credits
//! (invariant 6). Debits are positive, credits negative, so each event's postings sum to zero.
//!
//! Ledger accounts (asset side first):
//! - `cash-drawer:<shift>`: cash in a cashier's drawer during a shift (asset)
//! - `clearing:<METHOD>`: money due from the bank or e-wallet for non-cash tenders (asset)
//! - `finance-vault`: the finance office's cash, which lends the float (asset)
//! - `bank`: the hospital's bank account, where matched statements and remittances land (asset)
//! - `insurance-receivable:<SCHEME>`: what a scheme owes for settled stays (asset)
//! - `cash-over-short:<shift>`: a closed drawer's count minus what it should have held, until
//!   resolved (a debit is a shortage)
//! - `patient-prepaid:<account>`: what the hospital owes the patient (liability)
//! - `revenue:<department>`: income as executed (revenue)
//! - `fee-expense:<METHOD>`: the platforms' and banks' fees (expense)
//! - `variance-written-off`: cash variances written off (expense; a credit is income)

use crate::ids::{AccountId, ShiftId};
use crate::money::Money;
use crate::{Direction, Event, InsuranceScheme, PaymentMatch, PaymentMethod, VarianceResolution};
use std::fmt;

/// A ledger account that postings move money between.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LedgerAccount {
    /// Cash in the drawer of a shift.
    CashDrawer(ShiftId),
    /// Bank-card, e-wallet, insurance-account or transfer clearing.
    Clearing(PaymentMethod),
    /// The finance office's vault.
    FinanceVault,
    /// A patient's prepaid balance, owed by the hospital.
    PatientPrepaid(AccountId),
    /// Revenue of an executing department.
    DepartmentRevenue(String),
    /// What an insurance scheme owes the hospital for settled stays.
    InsuranceReceivable(InsuranceScheme),
    /// The hospital's bank account.
    Bank,
    /// Fees charged by a payment platform or bank.
    FeeExpense(PaymentMethod),
    /// A closed shift's unresolved cash variance (a debit is a shortage).
    CashOverShort(ShiftId),
    /// Cash variances written off.
    VarianceWrittenOff,
}

impl fmt::Display for LedgerAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LedgerAccount::CashDrawer(shift) => write!(f, "cash-drawer:{shift}"),
            LedgerAccount::Clearing(method) => write!(f, "clearing:{}", method.as_str()),
            LedgerAccount::FinanceVault => f.write_str("finance-vault"),
            LedgerAccount::PatientPrepaid(account) => write!(f, "patient-prepaid:{account}"),
            LedgerAccount::DepartmentRevenue(department) => write!(f, "revenue:{department}"),
            LedgerAccount::InsuranceReceivable(scheme) => {
                write!(f, "insurance-receivable:{}", scheme.as_str())
            }
            LedgerAccount::Bank => f.write_str("bank"),
            LedgerAccount::FeeExpense(method) => write!(f, "fee-expense:{}", method.as_str()),
            LedgerAccount::CashOverShort(shift) => write!(f, "cash-over-short:{shift}"),
            LedgerAccount::VarianceWrittenOff => f.write_str("variance-written-off"),
        }
    }
}

/// One leg: a positive amount is a debit, a negative one a credit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting {
    /// The ledger account moved.
    pub account: LedgerAccount,
    /// Debit (positive) or credit (negative).
    pub amount: Money,
}

fn tender(method: PaymentMethod, shift: ShiftId) -> LedgerAccount {
    match method {
        PaymentMethod::Cash => LedgerAccount::CashDrawer(shift),
        other => LedgerAccount::Clearing(other),
    }
}

fn transfer(debit: LedgerAccount, credit: LedgerAccount, amount: Money) -> Vec<Posting> {
    vec![
        Posting {
            account: debit,
            amount,
        },
        Posting {
            account: credit,
            amount: -amount,
        },
    ]
}

/// The balanced postings of one event. Events that move no money have none.
#[must_use]
pub fn postings(event: &Event) -> Vec<Posting> {
    let legs = match event {
        Event::DepositReceived {
            account_id,
            amount,
            method,
            shift_id,
            ..
        } => transfer(
            tender(*method, *shift_id),
            LedgerAccount::PatientPrepaid(*account_id),
            amount.money(),
        ),
        Event::ChargeDeducted {
            account_id,
            amount,
            department,
            ..
        } => transfer(
            LedgerAccount::PatientPrepaid(*account_id),
            LedgerAccount::DepartmentRevenue(department.clone()),
            amount.money(),
        ),
        Event::DeductionReversed {
            account_id,
            amount,
            department,
            ..
        } => transfer(
            LedgerAccount::DepartmentRevenue(department.clone()),
            LedgerAccount::PatientPrepaid(*account_id),
            amount.money(),
        ),
        Event::BalanceRefunded {
            account_id,
            amount,
            method,
            shift_id,
            ..
        } => transfer(
            LedgerAccount::PatientPrepaid(*account_id),
            tender(*method, *shift_id),
            amount.money(),
        ),
        Event::ShiftOpened {
            shift_id,
            opening_float,
            ..
        } if opening_float.is_positive() => transfer(
            LedgerAccount::CashDrawer(*shift_id),
            LedgerAccount::FinanceVault,
            *opening_float,
        ),
        Event::DischargeSettled {
            account_id,
            insurance_scheme,
            insurance_pays,
            patient_pays,
            patient_receives,
            method,
            shift_id,
            ..
        } => {
            let patient = LedgerAccount::PatientPrepaid(*account_id);
            let mut legs = Vec::new();
            if insurance_pays.is_positive() {
                legs.extend(transfer(
                    LedgerAccount::InsuranceReceivable(*insurance_scheme),
                    patient.clone(),
                    *insurance_pays,
                ));
            }
            if patient_pays.is_positive() {
                legs.extend(transfer(
                    tender(*method, *shift_id),
                    patient.clone(),
                    *patient_pays,
                ));
            }
            if patient_receives.is_positive() {
                legs.extend(transfer(
                    patient,
                    tender(*method, *shift_id),
                    *patient_receives,
                ));
            }
            legs
        }
        Event::CashHandedOver {
            shift_id, amount, ..
        } if amount.is_positive() => transfer(
            LedgerAccount::FinanceVault,
            LedgerAccount::CashDrawer(*shift_id),
            *amount,
        ),
        Event::ShiftClosed {
            shift_id,
            counted_cash,
            expected_cash: Some(expected),
            ..
        } if counted_cash != expected => transfer(
            LedgerAccount::CashDrawer(*shift_id),
            LedgerAccount::CashOverShort(*shift_id),
            *counted_cash - *expected,
        ),
        Event::VarianceResolved {
            shift_id,
            variance,
            resolution,
            ..
        } => {
            // The variance account is cleared: a shortage (debit) by a credit, a surplus by a
            // debit; the other side is finance's cash (paid in, or paid back to its owner) or
            // the write-off.
            let other = match resolution {
                VarianceResolution::CashierRepays | VarianceResolution::Found => {
                    LedgerAccount::FinanceVault
                }
                VarianceResolution::WrittenOff => LedgerAccount::VarianceWrittenOff,
            };
            transfer(LedgerAccount::CashOverShort(*shift_id), other, *variance)
        }
        Event::PaymentsMatched {
            method, matches, ..
        } => matches
            .iter()
            .flat_map(|m| matched(*method, m, false))
            .collect(),
        Event::PaymentUnmatched {
            method, unmatched, ..
        } => matched(*method, unmatched, true),
        Event::InsuranceRemittanceReceived { scheme, amount, .. } => transfer(
            LedgerAccount::Bank,
            LedgerAccount::InsuranceReceivable(*scheme),
            amount.money(),
        ),
        Event::ShiftOpened { .. }
        | Event::ShiftClosed { .. }
        | Event::HandOverDeclared { .. }
        | Event::StatementImported { .. }
        | Event::ReceiptIssued { .. }
        | Event::ReceiptVoided { .. }
        | Event::CashCounted { .. }
        | Event::CashHandedOver { .. }
        | Event::DifficultyCoefficientsSet { .. }
        | Event::QualityDeductionRecorded { .. }
        | Event::StaffRegistered { .. }
        | Event::TokenIssued { .. }
        | Event::TokenRevoked { .. }
        | Event::StaffDeactivated { .. }
        | Event::CardAssigned { .. }
        | Event::CardReleased { .. }
        | Event::AccountOpened { .. }
        | Event::AccountClosed { .. }
        | Event::DayClosed { .. } => Vec::new(),
    };
    debug_assert!(
        legs.iter().map(|p| p.amount).sum::<Money>().is_zero(),
        "postings balance"
    );
    legs
}

/// A match's legs: the movement's gross amount leaves `clearing:<METHOD>` for the bank (money
/// in) or comes back from it (money paid out), and the fee goes from the bank to the fee
/// expense; `undo` reverses them.
fn matched(method: PaymentMethod, m: &PaymentMatch, undo: bool) -> Vec<Posting> {
    let sign = if undo { -m.amount } else { m.amount };
    let fee = if undo { -m.fee } else { m.fee };
    let mut legs = match m.direction {
        Direction::In => transfer(LedgerAccount::Bank, LedgerAccount::Clearing(method), sign),
        Direction::Out => transfer(LedgerAccount::Clearing(method), LedgerAccount::Bank, sign),
    };
    if !fee.is_zero() {
        legs.extend(transfer(
            LedgerAccount::FeeExpense(method),
            LedgerAccount::Bank,
            fee,
        ));
    }
    legs
}
