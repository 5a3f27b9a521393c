//! One typed error per business rule. The API maps each to a contract error code.

use crate::Role;
use crate::ids::{AccountId, DeductionId, ShiftId, StaffId};
use crate::money::{Money, MoneyError};

/// A command refused by a business rule. Refusals write nothing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// Invalid money (too many places, zero, negative, absurd).
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// A text field is empty, too long or has control characters.
    #[error("{field} {reason}")]
    InvalidText {
        field: &'static str,
        reason: &'static str,
    },
    /// A quantity outside 1..=10000.
    #[error("quantity must be between 1 and 10000, got {0}")]
    InvalidQuantity(i64),
    /// A department staff member must belong to a department; other roles must not.
    #[error("role {role} {reason}")]
    InvalidDepartment {
        role: &'static str,
        reason: &'static str,
    },

    /// The account does not exist.
    #[error("the account does not exist")]
    AccountNotFound,
    /// An account with this id already exists.
    #[error("account {0} already exists")]
    AccountAlreadyExists(AccountId),
    /// The card number is held by another open account.
    #[error("card {card_no} is already issued to account {holder}")]
    CardAlreadyIssued { card_no: String, holder: AccountId },
    /// The staff number is taken.
    #[error("staff number {0} is already registered")]
    StaffNoTaken(String),
    /// The account is closed and takes nothing more (invariant 4 for accounts).
    #[error("account {0} is closed")]
    AccountClosed(AccountId),
    /// An outpatient card may never go below zero (invariant 1).
    #[error("insufficient balance: balance {balance}, requested {requested}")]
    InsufficientBalance { balance: Money, requested: Money },
    /// Nothing is left to refund.
    #[error("the balance is {0}; there is nothing to refund")]
    NothingToRefund(Money),
    /// An account can be closed only at exactly 0.00.
    #[error("the balance is {0}; an account closes only at 0.00 (refund it first)")]
    BalanceNotZero(Money),
    /// The referenced deduction is not on this account.
    #[error("deduction {0} does not exist")]
    DeductionNotFound(DeductionId),
    /// A deduction with this id is already on the account.
    #[error("deduction {0} is already recorded")]
    DeductionAlreadyRecorded(DeductionId),
    /// This executing order was already deducted from this account (invariant 2).
    #[error("order {0} is already deducted")]
    OrderAlreadyDeducted(String),
    /// A reversal may not exceed what remains of its deduction (invariant 3).
    #[error("reversal of {requested} exceeds the {remaining} that remains of the deduction")]
    ReversalExceedsRemaining { remaining: Money, requested: Money },
    /// Only the department that deducted may reverse (invariant 3).
    #[error("only department {deducted_by} may reverse this deduction")]
    ReversalByOtherDepartment { deducted_by: String },

    /// The cashier already has an open shift (one open shift per cashier).
    #[error("shift {0} is already open for this cashier; close it first")]
    ShiftAlreadyOpen(ShiftId),
    /// The shift is not this cashier's open shift (closed, unknown, or never opened).
    #[error("shift {0} is not open")]
    ShiftNotOpen(ShiftId),
    /// The account was settled at discharge and takes nothing more.
    #[error("account {0} is already settled")]
    AlreadySettled(AccountId),
    /// Only an inpatient deposit account is settled at discharge.
    #[error("only an inpatient deposit account is settled at discharge")]
    NotInpatient,
    /// The scheme's share may not exceed the charges.
    #[error("the insurance share {insurance_pays} exceeds the charges {total_charges}")]
    InsuranceExceedsCharges {
        insurance_pays: Money,
        total_charges: Money,
    },
    /// A self-pay settlement has no insurance share.
    #[error("a SELF_PAY settlement has no insurance share")]
    SelfPayWithInsurance,
    /// A cash payout would take the drawer below zero.
    #[error("insufficient cash in the drawer: {cash} held, {requested} requested")]
    InsufficientCash { cash: Money, requested: Money },
    /// The shift must be closed (with its blind count) before its cash is handed over.
    #[error("shift {0} is still open; close it before handing over")]
    ShiftStillOpen(ShiftId),
    /// The shift's cash was already handed over.
    #[error("shift {0} was already handed over")]
    AlreadyHandedOver(ShiftId),
    /// The shift belongs to another cashier.
    #[error("shift {0} belongs to another cashier")]
    ShiftOfAnotherCashier(ShiftId),
    /// No shift was opened with this id.
    #[error("shift {0} does not exist")]
    ShiftNotFound(ShiftId),

    /// The act needs another role.
    #[error("this needs the {0} role")]
    RoleRequired(Role),
    /// A department acts only for itself.
    #[error("a department deducts only for itself")]
    ForAnotherDepartment,
    /// A drawer is counted by an AUDITOR (surprise) or by the shift's own CASHIER (routine).
    #[error("a count is made by an AUDITOR or the shift's cashier")]
    CountByOtherRole,
    /// The command would take a running total (a balance, a sum of deposits or deductions, a
    /// drawer's cash) beyond what the ledger keeps.
    #[error("{what} would exceed {limit}, the largest total the ledger keeps")]
    TotalTooLarge { what: &'static str, limit: Money },
    /// No staff member was registered with this id.
    #[error("staff member {0} does not exist")]
    StaffNotFound(StaffId),
    /// No staff member was registered with this staff number.
    #[error("no staff member has the staff number {0:?}")]
    StaffNoUnknown(String),
    /// The staff member was deactivated: no token is issued to them.
    #[error("staff member {0} was deactivated")]
    StaffDeactivated(String),
    /// The staff member holds no valid token to revoke.
    #[error("staff member {0} holds no token to revoke")]
    NoTokenToRevoke(String),
    /// A token's expiry must lie after its issue.
    #[error("a token's expiry must lie in the future")]
    ExpiryInThePast,
    /// The cashier already declared this shift's hand-over.
    #[error("the hand-over of shift {0} was already declared")]
    AlreadyDeclared(ShiftId),
    /// The shift's close posted no cash variance (it balanced, or closed before variances were
    /// posted).
    #[error("shift {0} has no cash variance to resolve")]
    NoVariance(ShiftId),
    /// The shift's variance was already resolved.
    #[error("the cash variance of shift {0} was already resolved")]
    VarianceAlreadyResolved(ShiftId),
    /// A surplus (长款) is not repaid by the cashier: it is written off or its owner found.
    #[error("shift {0} was over, not short: a surplus is written off or found, not repaid")]
    NothingToRepay(ShiftId),
    /// A statement line is not among those imported for the method.
    #[error("no statement line {0:?} was imported for this method")]
    StatementLineNotFound(String),
    /// The statement line is already matched.
    #[error("statement line {0:?} is already matched")]
    LineAlreadyMatched(String),
    /// The statement line is not matched.
    #[error("statement line {0:?} is not matched")]
    LineNotMatched(String),
    /// The ledger movement is already matched to a statement line.
    #[error("the ledger movement {movement} is already matched to statement line {line:?}")]
    MovementAlreadyMatched { movement: uuid::Uuid, line: String },
    /// The ledger movement does not fit the statement line (method, direction or amount).
    #[error("the ledger movement does not fit the statement line: {0}")]
    MovementDiffers(&'static str),
    /// No deposit, refund or settlement with this id moved money by a non-cash method.
    #[error("no deposit, refund or settlement {0} moved money by this method")]
    MovementNotFound(uuid::Uuid),
    /// A statement holds too many lines for one import.
    #[error("a statement import holds at most {max} lines, not {given}")]
    TooManyLines { max: usize, given: usize },
    /// Cash is counted at the window, not reconciled with a statement.
    #[error("cash has no statement: it is counted at the window and handed over")]
    CashHasNoStatement,
    /// Nothing is owed by the scheme for the period.
    #[error("nothing is owed by {scheme} for {from}..{to}")]
    NothingOwed {
        scheme: &'static str,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    },
    /// A remittance's period partly overlaps an earlier one's (periods are equal or disjoint).
    #[error("the period {from}..{to} partly overlaps an earlier remittance's period")]
    PeriodOverlaps {
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    },
    /// The remittance reference was recorded before.
    #[error("remittance {0:?} was already recorded")]
    RemittanceAlreadyRecorded(String),
    /// A period ends before it starts.
    #[error("a period ends on or after its first day")]
    PeriodReversed,
    /// A business day that has not begun cannot be closed.
    #[error("{0} has not begun: a day is closed on or after its own date")]
    DayInTheFuture(chrono::NaiveDate),
    /// A business day is closed once; later changes are corrections.
    #[error("{0} is already closed: corrections are recorded as events of their own")]
    DayAlreadyClosed(chrono::NaiveDate),
    /// A back-entry's business time lies in the future.
    #[error("a back-entry happened in the past: occurredAt is later than now")]
    BackEntryInTheFuture,
    /// A back-entry's business time lies further back than the configured window.
    #[error("a back-entry goes at most {hours} hours back")]
    BackEntryTooOld { hours: i64 },
    /// Shifts that took money that day are still open or not handed over.
    #[error("{date} cannot be closed: {} shift(s) that took money that day are not closed and handed over", shifts.len())]
    DayNotReady {
        date: chrono::NaiveDate,
        shifts: Vec<crate::ids::ShiftId>,
    },
}

impl DomainError {
    /// `value`, if within the largest total the ledger keeps ([`Money::MAX_TOTAL_FEN`]);
    /// otherwise the refusal naming `what` would grow too large.
    pub fn check_total(what: &'static str, value: Money) -> Result<Money, DomainError> {
        if value.exceeds_total() {
            Err(DomainError::TotalTooLarge {
                what,
                limit: Money::from_fen(Money::MAX_TOTAL_FEN),
            })
        } else {
            Ok(value)
        }
    }
}
