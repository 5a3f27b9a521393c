//! The patient account: an outpatient card (never below zero) or an inpatient deposit account
//! (may run into arrears). Deposits, refunds and settlements go through a cashier's open shift;
//! that rule, the drawer and the receipt are decided with the account in [`crate::window`].

use std::collections::{BTreeMap, BTreeSet};

use crate::aggregate::Aggregate;
use crate::ids::{AccountId, DeductionId, ShiftId, StaffId};
use crate::money::{Amount, Money};
use crate::text::{MAX_ID_CHARS, MAX_NAME_CHARS, bounded, identifier, identity};
use crate::{AccountKind, DomainError, Event, InsuranceScheme, PaymentMethod, ReversalReason};

/// What remains known of one deduction, for reversals.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeductionState {
    /// The executing department that deducted.
    pub department: String,
    /// The deducted amount.
    pub amount: Money,
    /// How much of it has been reversed so far.
    pub reversed: Money,
}

impl DeductionState {
    /// What may still be reversed.
    #[must_use]
    pub fn remaining(&self) -> Money {
        self.amount - self.reversed
    }
}

/// The account's open life; `None` before `AccountOpened`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OpenedAccount {
    /// Its id.
    pub account_id: AccountId,
    /// Outpatient card or inpatient deposit.
    pub kind: AccountKind,
    /// The card number it holds.
    pub card_no: String,
    /// Closed accounts take nothing more.
    pub closed: bool,
}

/// The account aggregate.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Account {
    /// Set once the account is opened.
    pub opened: Option<OpenedAccount>,
    /// deposited − deducted + reversed − refunded.
    pub balance: Money,
    /// Sum of deposits.
    pub deposited: Money,
    /// Sum of deductions.
    pub deducted: Money,
    /// Sum of reversals.
    pub reversed: Money,
    /// Sum of refunds paid out.
    pub refunded: Money,
    /// Net effect of the discharge settlement on the balance (insurance + paid in − paid out).
    pub settlement: Money,
    /// Settled at discharge: no more money moves.
    pub settled: bool,
    /// Every deduction, for reversals.
    pub deductions: BTreeMap<DeductionId, DeductionState>,
    /// The executing orders already deducted (invariant 2: at most once per order).
    pub orders: BTreeSet<String>,
}

/// Commands on an account. Ids and receipt numbers are chosen by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountCommand {
    /// Issue a card or open an inpatient deposit account.
    Open {
        account_id: AccountId,
        kind: AccountKind,
        patient_id: String,
        card_no: String,
        insurance_scheme: InsuranceScheme,
    },
    /// Take a deposit at a window.
    Deposit {
        amount: Amount,
        method: PaymentMethod,
        shift_id: ShiftId,
        cashier_id: StaffId,
        receipt_no: String,
        external_ref: Option<String>,
    },
    /// Deduct the price of an executed service.
    Deduct {
        deduction_id: DeductionId,
        amount: Amount,
        department: String,
        order_id: String,
        item_code: String,
        item_name: Option<String>,
        quantity: i64,
    },
    /// Give back (part of) a deduction.
    Reverse {
        deduction_id: DeductionId,
        amount: Amount,
        department: String,
        reason: ReversalReason,
    },
    /// Pay out the balance or part of it; `None` refunds all of it.
    Refund {
        amount: Option<Amount>,
        method: PaymentMethod,
        shift_id: ShiftId,
        cashier_id: StaffId,
        receipt_no: String,
        external_ref: Option<String>,
    },
    /// Settle an inpatient stay at discharge (出院结算).
    SettleDischarge {
        insurance_scheme: InsuranceScheme,
        insurance_pays: Money,
        method: PaymentMethod,
        shift_id: ShiftId,
        cashier_id: StaffId,
        receipt_no: String,
        external_ref: Option<String>,
    },
    /// Close the account at zero balance.
    Close,
}

impl Account {
    /// True when the balance is below zero (only possible for inpatient accounts).
    #[must_use]
    pub fn in_arrears(&self) -> bool {
        self.balance.is_negative()
    }

    fn open_account(&self) -> Result<&OpenedAccount, DomainError> {
        let opened = self.opened.as_ref().ok_or(DomainError::AccountNotFound)?;
        if opened.closed {
            return Err(DomainError::AccountClosed(opened.account_id));
        }
        Ok(opened)
    }

    /// An open account that was not settled at discharge: money may still move on it.
    fn unsettled_account(&self) -> Result<&OpenedAccount, DomainError> {
        let opened = self.open_account()?;
        if self.settled {
            return Err(DomainError::AlreadySettled(opened.account_id));
        }
        Ok(opened)
    }

    /// Deductions net of reversals: what the stay cost.
    #[must_use]
    pub fn total_charges(&self) -> Money {
        self.deducted - self.reversed
    }

    /// How a discharge settlement with `insurance_pays` from `scheme` splits the charges:
    /// the patient's share is taken from the deposits, and the difference is paid in (补) or
    /// paid back (退). Refused unless this is an unsettled inpatient account and the share is
    /// between 0.00 and the charges (0.00 for self-pay).
    pub fn discharge_split(
        &self,
        scheme: InsuranceScheme,
        insurance_pays: Money,
    ) -> Result<DischargeSplit, DomainError> {
        let opened = self.unsettled_account()?;
        if opened.kind != AccountKind::InpatientDeposit {
            return Err(DomainError::NotInpatient);
        }
        let insurance_pays = insurance_pays.non_negative()?;
        let total_charges = self.total_charges();
        if insurance_pays > total_charges {
            return Err(DomainError::InsuranceExceedsCharges {
                insurance_pays,
                total_charges,
            });
        }
        if scheme == InsuranceScheme::SelfPay && insurance_pays.is_positive() {
            return Err(DomainError::SelfPayWithInsurance);
        }
        let deposits = self.deposited - self.refunded;
        let share = total_charges - insurance_pays;
        let split = if deposits >= share {
            DischargeSplit {
                total_charges,
                insurance_pays,
                deposits_applied: share,
                patient_pays: Money::ZERO,
                patient_receives: deposits - share,
            }
        } else {
            DischargeSplit {
                total_charges,
                insurance_pays,
                deposits_applied: deposits,
                patient_pays: share - deposits,
                patient_receives: Money::ZERO,
            }
        };
        assert!(
            (self.balance + split.insurance_pays + split.patient_pays - split.patient_receives)
                .is_zero(),
            "a settlement leaves the account at exactly zero"
        );
        Ok(split)
    }
}

/// The figures of a discharge settlement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DischargeSplit {
    /// Deductions net of reversals.
    pub total_charges: Money,
    /// The scheme's share.
    pub insurance_pays: Money,
    /// The patient's deposits applied to the charges.
    pub deposits_applied: Money,
    /// What the patient pays in (补).
    pub patient_pays: Money,
    /// What the patient receives back (退).
    pub patient_receives: Money,
}

/// The largest quantity on one executed order line.
pub const MAX_QUANTITY: i64 = 10_000;

impl Aggregate for Account {
    type Command = AccountCommand;

    crate::aggregate::snapshot_as_json!("account/1");

    fn apply(&mut self, event: &Event) {
        match event {
            Event::AccountOpened {
                account_id,
                kind,
                card_no,
                ..
            } => {
                assert!(self.opened.is_none(), "an account opens once");
                self.opened = Some(OpenedAccount {
                    account_id: *account_id,
                    kind: *kind,
                    card_no: card_no.clone(),
                    closed: false,
                });
            }
            Event::DepositReceived { amount, .. } => {
                self.deposited += amount.money();
                self.balance += amount.money();
            }
            Event::ChargeDeducted {
                deduction_id,
                amount,
                department,
                order_id,
                ..
            } => {
                let first = self.orders.insert(order_id.clone());
                assert!(first, "an order is deducted once");
                self.deducted += amount.money();
                self.balance -= amount.money();
                let previous = self.deductions.insert(
                    *deduction_id,
                    DeductionState {
                        department: department.clone(),
                        amount: amount.money(),
                        reversed: Money::ZERO,
                    },
                );
                assert!(previous.is_none(), "a deduction id is recorded once");
            }
            Event::DeductionReversed {
                deduction_id,
                amount,
                ..
            } => {
                self.reversed += amount.money();
                self.balance += amount.money();
                let deduction = self
                    .deductions
                    .get_mut(deduction_id)
                    .expect("a reversal references a known deduction");
                deduction.reversed += amount.money();
                assert!(
                    !deduction.remaining().is_negative(),
                    "a reversal never exceeds its deduction"
                );
            }
            Event::BalanceRefunded { amount, .. } => {
                self.refunded += amount.money();
                self.balance -= amount.money();
            }
            Event::DischargeSettled {
                insurance_pays,
                patient_pays,
                patient_receives,
                ..
            } => {
                assert!(!self.settled, "a stay is settled once");
                let effect = *insurance_pays + *patient_pays - *patient_receives;
                self.settlement += effect;
                self.balance += effect;
                self.settled = true;
                assert!(
                    self.balance.is_zero(),
                    "a settlement leaves the account at exactly zero"
                );
            }
            Event::AccountClosed { .. } => {
                let opened = self.opened.as_mut().expect("only an opened account closes");
                opened.closed = true;
            }
            _ => {}
        }
        assert_eq!(
            self.balance,
            self.deposited - self.deducted + self.reversed - self.refunded + self.settlement,
            "the balance is always the sum of its movements"
        );
    }

    fn decide(&self, command: &AccountCommand) -> Result<Vec<Event>, DomainError> {
        match command {
            AccountCommand::Open {
                account_id,
                kind,
                patient_id,
                card_no,
                insurance_scheme,
            } => {
                if self.opened.is_some() {
                    return Err(DomainError::AccountAlreadyExists(*account_id));
                }
                Ok(vec![Event::AccountOpened {
                    account_id: *account_id,
                    kind: *kind,
                    patient_id: identifier("patientId", patient_id, MAX_ID_CHARS)?,
                    card_no: identity("cardNo", card_no)?,
                    insurance_scheme: *insurance_scheme,
                }])
            }
            AccountCommand::Deposit {
                amount,
                method,
                shift_id,
                cashier_id,
                receipt_no,
                external_ref,
            } => {
                let opened = self.unsettled_account()?;
                DomainError::check_total(
                    "the account's deposits",
                    self.deposited + amount.money(),
                )?;
                DomainError::check_total("the account's balance", self.balance + amount.money())?;
                let external_ref = reference(external_ref.as_deref())?;
                Ok(vec![Event::DepositReceived {
                    account_id: opened.account_id,
                    amount: *amount,
                    method: *method,
                    shift_id: *shift_id,
                    cashier_id: *cashier_id,
                    receipt_no: receipt_no.clone(),
                    external_ref,
                }])
            }
            AccountCommand::Deduct {
                deduction_id,
                amount,
                department,
                order_id,
                item_code,
                item_name,
                quantity,
            } => {
                let opened = self.unsettled_account()?;
                if self.deductions.contains_key(deduction_id) {
                    return Err(DomainError::DeductionAlreadyRecorded(*deduction_id));
                }
                if !(1..=MAX_QUANTITY).contains(quantity) {
                    return Err(DomainError::InvalidQuantity(*quantity));
                }
                let department = identifier("department", department, MAX_NAME_CHARS)?;
                let order_id = identifier("orderId", order_id, MAX_ID_CHARS)?;
                if self.orders.contains(&order_id) {
                    return Err(DomainError::OrderAlreadyDeducted(order_id));
                }
                let item_code = identifier("itemCode", item_code, MAX_ID_CHARS)?;
                let item_name = match item_name {
                    Some(n) => Some(bounded("itemName", n, MAX_NAME_CHARS)?),
                    None => None,
                };
                DomainError::check_total(
                    "the account's deductions",
                    self.deducted + amount.money(),
                )?;
                DomainError::check_total("the account's balance", self.balance - amount.money())?;
                if opened.kind == AccountKind::OutpatientCard && amount.money() > self.balance {
                    return Err(DomainError::InsufficientBalance {
                        balance: self.balance,
                        requested: amount.money(),
                    });
                }
                Ok(vec![Event::ChargeDeducted {
                    account_id: opened.account_id,
                    deduction_id: *deduction_id,
                    amount: *amount,
                    department,
                    order_id,
                    item_code,
                    item_name,
                    quantity: u32::try_from(*quantity).expect("quantity checked above"),
                }])
            }
            AccountCommand::Reverse {
                deduction_id,
                amount,
                department,
                reason,
            } => {
                let opened = self.unsettled_account()?;
                let department = &identifier("department", department, MAX_NAME_CHARS)?;
                let deduction = self
                    .deductions
                    .get(deduction_id)
                    .ok_or(DomainError::DeductionNotFound(*deduction_id))?;
                if deduction.department != *department {
                    return Err(DomainError::ReversalByOtherDepartment {
                        deducted_by: deduction.department.clone(),
                    });
                }
                DomainError::check_total(
                    "the account's reversals",
                    self.reversed + amount.money(),
                )?;
                DomainError::check_total("the account's balance", self.balance + amount.money())?;
                if amount.money() > deduction.remaining() {
                    return Err(DomainError::ReversalExceedsRemaining {
                        remaining: deduction.remaining(),
                        requested: amount.money(),
                    });
                }
                Ok(vec![Event::DeductionReversed {
                    account_id: opened.account_id,
                    deduction_id: *deduction_id,
                    amount: *amount,
                    department: department.clone(),
                    reason: *reason,
                }])
            }
            AccountCommand::Refund {
                amount,
                method,
                shift_id,
                cashier_id,
                receipt_no,
                external_ref,
            } => {
                let opened = self.unsettled_account()?;
                let external_ref = reference(external_ref.as_deref())?;
                let amount = match amount {
                    Some(a) => *a,
                    None if !self.balance.is_positive() => {
                        return Err(DomainError::NothingToRefund(self.balance));
                    }
                    None => Amount::new(self.balance)?,
                };
                if amount.money() > self.balance {
                    return Err(DomainError::InsufficientBalance {
                        balance: self.balance,
                        requested: amount.money(),
                    });
                }
                DomainError::check_total("the account's refunds", self.refunded + amount.money())?;
                Ok(vec![Event::BalanceRefunded {
                    account_id: opened.account_id,
                    amount,
                    method: *method,
                    shift_id: *shift_id,
                    cashier_id: *cashier_id,
                    receipt_no: receipt_no.clone(),
                    external_ref,
                }])
            }
            AccountCommand::SettleDischarge {
                insurance_scheme,
                insurance_pays,
                method,
                shift_id,
                cashier_id,
                receipt_no,
                external_ref,
            } => {
                let external_ref = reference(external_ref.as_deref())?;
                let split = self.discharge_split(*insurance_scheme, *insurance_pays)?;
                let opened = self.unsettled_account()?;
                Ok(vec![Event::DischargeSettled {
                    account_id: opened.account_id,
                    insurance_scheme: *insurance_scheme,
                    total_charges: split.total_charges,
                    insurance_pays: split.insurance_pays,
                    deposits_applied: split.deposits_applied,
                    patient_pays: split.patient_pays,
                    patient_receives: split.patient_receives,
                    method: *method,
                    shift_id: *shift_id,
                    cashier_id: *cashier_id,
                    receipt_no: receipt_no.clone(),
                    manual: *insurance_scheme == InsuranceScheme::OutOfArea,
                    external_ref,
                }])
            }
            AccountCommand::Close => {
                let opened = self.open_account()?;
                if !self.balance.is_zero() {
                    return Err(DomainError::BalanceNotZero(self.balance));
                }
                Ok(vec![Event::AccountClosed {
                    account_id: opened.account_id,
                    card_no: opened.card_no.clone(),
                }])
            }
        }
    }
}

/// A payment platform's or bank's reference, when given: an identifier.
fn reference(external_ref: Option<&str>) -> Result<Option<String>, DomainError> {
    external_ref
        .map(|r| identifier("externalRef", r, MAX_ID_CHARS))
        .transpose()
}
