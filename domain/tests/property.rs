//! A seeded model-based property test: random command sequences are driven through the account
//! and cashier aggregates and, side by side, through a naive model that keeps every figure as
//! `i64` fen. The model predicts acceptance or the exact refusal of each command; after every
//! accepted command the books are checked (invariants 1, 3, 4 and 6).
//!
//! Reproduce a failure with `YIKA_PROPTEST_SEED=<seed> cargo test -p yika-domain --test property`;
//! every failure message names the seed.

mod common;

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use common::{ACCOUNT, CARD_NO, CASHIER, PATIENT, RECEIPT};
use uuid::Uuid;
use yika_domain::{
    Account, AccountCommand, AccountKind, Aggregate, Amount, Cashier, CashierCommand, DeductionId,
    DomainError, Event, InsuranceScheme, LedgerAccount, Money, MoneyError, PaymentMethod,
    ReversalReason, ShiftId, postings,
};

const SEQUENCES_PER_KIND: u64 = 200;
const STEPS: usize = 60;
const DEPARTMENTS: [&str; 2] = ["Lab", "Pharmacy"];

/// The seed: `YIKA_PROPTEST_SEED` when set, otherwise a fresh random one.
fn seed() -> u64 {
    match std::env::var("YIKA_PROPTEST_SEED") {
        Ok(text) => text
            .trim()
            .parse()
            .expect("YIKA_PROPTEST_SEED must be an unsigned 64-bit integer"),
        Err(_) => fastrand::u64(..),
    }
}

fn fen(money: Money) -> i64 {
    money.fen()
}

fn amount(fen: i64) -> Amount {
    Amount::from_fen(fen).expect("generated amounts are in 1..=MAX_FEN")
}

/// One step of a scenario: a command on the account or on the cashier's shifts.
#[derive(Debug, Clone)]
enum Step {
    Account(AccountCommand),
    Cashier(CashierCommand),
}

/// What an accepted command produced, reduced to what the model can predict.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Opened(AccountKind),
    Deposited {
        fen: i64,
        method: PaymentMethod,
        shift: ShiftId,
    },
    Deducted {
        id: DeductionId,
        fen: i64,
        department: String,
        quantity: u32,
    },
    Reversed {
        id: DeductionId,
        fen: i64,
        department: String,
    },
    Refunded {
        fen: i64,
        method: PaymentMethod,
        shift: ShiftId,
    },
    Closed,
    ShiftOpened {
        shift: ShiftId,
        float: i64,
    },
    ShiftClosed {
        shift: ShiftId,
    },
    Unexpected(&'static str),
}

fn outcome_of(event: &Event) -> Outcome {
    match event {
        Event::AccountOpened { kind, .. } => Outcome::Opened(*kind),
        Event::DepositReceived {
            amount,
            method,
            shift_id,
            ..
        } => Outcome::Deposited {
            fen: fen(amount.money()),
            method: *method,
            shift: *shift_id,
        },
        Event::ChargeDeducted {
            deduction_id,
            amount,
            department,
            quantity,
            ..
        } => Outcome::Deducted {
            id: *deduction_id,
            fen: fen(amount.money()),
            department: department.clone(),
            quantity: *quantity,
        },
        Event::DeductionReversed {
            deduction_id,
            amount,
            department,
            ..
        } => Outcome::Reversed {
            id: *deduction_id,
            fen: fen(amount.money()),
            department: department.clone(),
        },
        Event::BalanceRefunded {
            amount,
            method,
            shift_id,
            ..
        } => Outcome::Refunded {
            fen: fen(amount.money()),
            method: *method,
            shift: *shift_id,
        },
        Event::AccountClosed { .. } => Outcome::Closed,
        Event::ShiftOpened {
            shift_id,
            opening_float,
            ..
        } => Outcome::ShiftOpened {
            shift: *shift_id,
            float: fen(*opening_float),
        },
        Event::ShiftClosed { shift_id, .. } => Outcome::ShiftClosed { shift: *shift_id },
        other => Outcome::Unexpected(other.event_type()),
    }
}

/// A label for coverage counting.
fn error_label(error: &DomainError) -> &'static str {
    match error {
        DomainError::Money(_) => "refused:Money",
        DomainError::InvalidText { .. } => "refused:InvalidText",
        DomainError::InvalidQuantity(_) => "refused:InvalidQuantity",
        DomainError::InvalidDepartment { .. } => "refused:InvalidDepartment",
        DomainError::AccountNotFound => "refused:AccountNotFound",
        DomainError::AccountAlreadyExists(_) => "refused:AccountAlreadyExists",
        DomainError::CardAlreadyIssued { .. } => "refused:CardAlreadyIssued",
        DomainError::StaffNoTaken(_) => "refused:StaffNoTaken",
        DomainError::AccountClosed(_) => "refused:AccountClosed",
        DomainError::InsufficientBalance { .. } => "refused:InsufficientBalance",
        DomainError::NothingToRefund(_) => "refused:NothingToRefund",
        DomainError::BalanceNotZero(_) => "refused:BalanceNotZero",
        DomainError::DeductionNotFound(_) => "refused:DeductionNotFound",
        DomainError::ReversalExceedsRemaining { .. } => "refused:ReversalExceedsRemaining",
        DomainError::ReversalByOtherDepartment { .. } => "refused:ReversalByOtherDepartment",
        DomainError::ShiftAlreadyOpen(_) => "refused:ShiftAlreadyOpen",
        DomainError::ShiftNotOpen(_) => "refused:ShiftNotOpen",
        DomainError::ShiftOfAnotherCashier(_) => "refused:ShiftOfAnotherCashier",
        DomainError::DeductionAlreadyRecorded(_) => "refused:DeductionAlreadyRecorded",
        DomainError::OrderAlreadyDeducted(_) => "refused:OrderAlreadyDeducted",
        DomainError::InsufficientCash { .. } => "refused:InsufficientCash",
        DomainError::ShiftStillOpen(_) => "refused:ShiftStillOpen",
        DomainError::AlreadyHandedOver(_) => "refused:AlreadyHandedOver",
        DomainError::AlreadySettled(_) => "refused:AlreadySettled",
        DomainError::NotInpatient => "refused:NotInpatient",
        DomainError::InsuranceExceedsCharges { .. } => "refused:InsuranceExceedsCharges",
        DomainError::SelfPayWithInsurance => "refused:SelfPayWithInsurance",
        DomainError::ShiftNotFound(_) => "refused:ShiftNotFound",
        DomainError::RoleRequired(_) => "refused:RoleRequired",
        DomainError::ForAnotherDepartment => "refused:ForAnotherDepartment",
        DomainError::CountByOtherRole => "refused:CountByOtherRole",
        DomainError::StaffNotFound(_) => "refused:StaffNotFound",
        DomainError::TotalTooLarge { .. } => "refused:TotalTooLarge",
        DomainError::StaffNoUnknown(_) => "refused:StaffNoUnknown",
        DomainError::StaffDeactivated(_) => "refused:StaffDeactivated",
        DomainError::NoTokenToRevoke(_) => "refused:NoTokenToRevoke",
        DomainError::ExpiryInThePast => "refused:ExpiryInThePast",
        DomainError::AlreadyDeclared(_) => "refused:AlreadyDeclared",
        DomainError::NoVariance(_) => "refused:NoVariance",
        DomainError::VarianceAlreadyResolved(_) => "refused:VarianceAlreadyResolved",
        DomainError::NothingToRepay(_) => "refused:NothingToRepay",
        DomainError::StatementLineNotFound(_) => "refused:StatementLineNotFound",
        DomainError::LineAlreadyMatched(_) => "refused:LineAlreadyMatched",
        DomainError::LineNotMatched(_) => "refused:LineNotMatched",
        DomainError::MovementAlreadyMatched { .. } => "refused:MovementAlreadyMatched",
        DomainError::MovementDiffers(_) => "refused:MovementDiffers",
        DomainError::MovementNotFound(_) => "refused:MovementNotFound",
        DomainError::TooManyLines { .. } => "refused:TooManyLines",
        DomainError::CashHasNoStatement => "refused:CashHasNoStatement",
        DomainError::NothingOwed { .. } => "refused:NothingOwed",
        DomainError::PeriodOverlaps { .. } => "refused:PeriodOverlaps",
        DomainError::RemittanceAlreadyRecorded(_) => "refused:RemittanceAlreadyRecorded",
        DomainError::PeriodReversed => "refused:PeriodReversed",
        DomainError::DayInTheFuture(_) => "refused:DayInTheFuture",
        DomainError::DayAlreadyClosed(_) => "refused:DayAlreadyClosed",
        DomainError::DayNotReady { .. } => "refused:DayNotReady",
        DomainError::BackEntryInTheFuture => "refused:BackEntryInTheFuture",
        DomainError::BackEntryTooOld { .. } => "refused:BackEntryTooOld",
    }
}

// ----- the naive model -----

#[derive(Debug, Clone)]
struct ModelDeduction {
    id: DeductionId,
    department: &'static str,
    amount: i64,
    reversed: i64,
}

/// Everything in plain integers of fen, written from the rules, not from the aggregate's code.
#[derive(Debug, Default)]
struct Model {
    kind: Option<AccountKind>,
    closed: bool,
    balance: i64,
    deposited: i64,
    deducted: i64,
    reversed: i64,
    refunded: i64,
    deductions: Vec<ModelDeduction>,
    open_shift: Option<ShiftId>,
    /// Expected cash in each shift's drawer: float + cash deposits − cash refunds; after its
    /// close, the count.
    drawer: BTreeMap<ShiftId, i64>,
    /// Each closed shift's variance as posted: expected − counted (a shortage is positive).
    over_short: BTreeMap<ShiftId, i64>,
}

impl Model {
    fn live(&self) -> Result<AccountKind, DomainError> {
        match self.kind {
            None => Err(DomainError::AccountNotFound),
            Some(_) if self.closed => Err(DomainError::AccountClosed(ACCOUNT)),
            Some(kind) => Ok(kind),
        }
    }

    fn shift(&self, shift: ShiftId) -> Result<(), DomainError> {
        if self.open_shift == Some(shift) {
            Ok(())
        } else {
            Err(DomainError::ShiftNotOpen(shift))
        }
    }

    fn deduction(&self, id: DeductionId) -> Option<&ModelDeduction> {
        self.deductions.iter().find(|d| d.id == id)
    }

    /// The outcome the rules call for, or the refusal, checked in the documented order.
    fn predict(&self, step: &Step) -> Result<Outcome, DomainError> {
        match step {
            Step::Account(command) => self.predict_account(command),
            Step::Cashier(command) => self.predict_cashier(command),
        }
    }

    fn predict_account(&self, command: &AccountCommand) -> Result<Outcome, DomainError> {
        match command {
            AccountCommand::Open { kind, .. } => match self.kind {
                Some(_) => Err(DomainError::AccountAlreadyExists(ACCOUNT)),
                None => Ok(Outcome::Opened(*kind)),
            },
            AccountCommand::Deposit {
                amount,
                method,
                shift_id,
                ..
            } => {
                self.shift(*shift_id)?;
                self.live()?;
                Ok(Outcome::Deposited {
                    fen: fen(amount.money()),
                    method: *method,
                    shift: *shift_id,
                })
            }
            AccountCommand::Deduct {
                deduction_id,
                amount,
                department,
                quantity,
                ..
            } => {
                let kind = self.live()?;
                if *quantity < 1 || *quantity > 10_000 {
                    return Err(DomainError::InvalidQuantity(*quantity));
                }
                let requested = fen(amount.money());
                if kind == AccountKind::OutpatientCard && requested > self.balance {
                    return Err(DomainError::InsufficientBalance {
                        balance: Money::from_fen(self.balance),
                        requested: Money::from_fen(requested),
                    });
                }
                Ok(Outcome::Deducted {
                    id: *deduction_id,
                    fen: requested,
                    department: department.clone(),
                    quantity: u32::try_from(*quantity).expect("checked above"),
                })
            }
            AccountCommand::Reverse {
                deduction_id,
                amount,
                department,
                ..
            } => {
                self.live()?;
                let deduction = self
                    .deduction(*deduction_id)
                    .ok_or(DomainError::DeductionNotFound(*deduction_id))?;
                if deduction.department != department {
                    return Err(DomainError::ReversalByOtherDepartment {
                        deducted_by: deduction.department.to_owned(),
                    });
                }
                let requested = fen(amount.money());
                let remaining = deduction.amount - deduction.reversed;
                if requested > remaining {
                    return Err(DomainError::ReversalExceedsRemaining {
                        remaining: Money::from_fen(remaining),
                        requested: Money::from_fen(requested),
                    });
                }
                Ok(Outcome::Reversed {
                    id: *deduction_id,
                    fen: requested,
                    department: department.clone(),
                })
            }
            AccountCommand::Refund {
                amount,
                method,
                shift_id,
                ..
            } => {
                self.shift(*shift_id)?;
                self.live()?;
                let requested = match amount {
                    Some(a) => fen(a.money()),
                    None if self.balance > 0 => self.balance,
                    None => {
                        return Err(DomainError::NothingToRefund(Money::from_fen(self.balance)));
                    }
                };
                if requested > self.balance {
                    return Err(DomainError::InsufficientBalance {
                        balance: Money::from_fen(self.balance),
                        requested: Money::from_fen(requested),
                    });
                }
                Ok(Outcome::Refunded {
                    fen: requested,
                    method: *method,
                    shift: *shift_id,
                })
            }
            AccountCommand::SettleDischarge { .. } => {
                unreachable!("the generator does not settle; settlement_rules.rs covers it")
            }
            AccountCommand::Close => {
                self.live()?;
                if self.balance != 0 {
                    return Err(DomainError::BalanceNotZero(Money::from_fen(self.balance)));
                }
                Ok(Outcome::Closed)
            }
        }
    }

    fn predict_cashier(&self, command: &CashierCommand) -> Result<Outcome, DomainError> {
        match command {
            CashierCommand::OpenShift {
                shift_id,
                opening_float,
                ..
            } => {
                if fen(*opening_float) < 0 {
                    return Err(DomainError::Money(MoneyError::Negative(*opening_float)));
                }
                if let Some(open) = self.open_shift {
                    return Err(DomainError::ShiftAlreadyOpen(open));
                }
                Ok(Outcome::ShiftOpened {
                    shift: *shift_id,
                    float: fen(*opening_float),
                })
            }
            CashierCommand::CloseShift {
                shift_id,
                counted_other,
                ..
            } => {
                if counted_other.iter().any(|(m, _)| *m == PaymentMethod::Cash) {
                    return Err(DomainError::InvalidText {
                        field: "countedOther",
                        reason: "must not list CASH (give it as the cash amount)",
                    });
                }
                self.shift(*shift_id)?;
                Ok(Outcome::ShiftClosed { shift: *shift_id })
            }
        }
    }

    /// Books an accepted outcome.
    fn commit(&mut self, outcome: &Outcome, step: &Step) {
        match outcome {
            Outcome::Opened(kind) => self.kind = Some(*kind),
            Outcome::Deposited { fen, method, shift } => {
                self.balance += fen;
                self.deposited += fen;
                if *method == PaymentMethod::Cash {
                    *self.drawer.entry(*shift).or_default() += fen;
                }
            }
            Outcome::Deducted { id, fen, .. } => {
                self.balance -= fen;
                self.deducted += fen;
                let Step::Account(AccountCommand::Deduct { department, .. }) = step else {
                    unreachable!("a deduction comes from a Deduct command")
                };
                let department = DEPARTMENTS
                    .into_iter()
                    .find(|d| d == department)
                    .expect("generated department");
                self.deductions.push(ModelDeduction {
                    id: *id,
                    department,
                    amount: *fen,
                    reversed: 0,
                });
            }
            Outcome::Reversed { id, fen, .. } => {
                self.balance += fen;
                self.reversed += fen;
                let deduction = self
                    .deductions
                    .iter_mut()
                    .find(|d| d.id == *id)
                    .expect("known deduction");
                deduction.reversed += fen;
            }
            Outcome::Refunded { fen, method, shift } => {
                self.balance -= fen;
                self.refunded += fen;
                if *method == PaymentMethod::Cash {
                    *self.drawer.entry(*shift).or_default() -= fen;
                }
            }
            Outcome::Closed => self.closed = true,
            Outcome::ShiftOpened { shift, float } => {
                self.open_shift = Some(*shift);
                self.drawer.insert(*shift, *float);
            }
            Outcome::ShiftClosed { shift } => {
                self.open_shift = None;
                // The variance leaves the drawer for cash-over-short: the drawer holds the count.
                let Step::Cashier(CashierCommand::CloseShift { counted_cash, .. }) = step else {
                    unreachable!("a close comes from a CloseShift command")
                };
                let expected = self.drawer.insert(*shift, counted_cash.fen()).unwrap_or(0);
                self.over_short
                    .insert(*shift, expected - counted_cash.fen());
            }
            Outcome::Unexpected(name) => unreachable!("the model never predicts {name}"),
        }
    }
}

// ----- the system under test, wired the way the application layer wires it -----

#[derive(Default)]
struct World {
    account: Account,
    cashier: Cashier,
    log: Vec<Event>,
    /// The trial balance: the running sum of postings per ledger account, in fen.
    ledger: BTreeMap<LedgerAccount, i64>,
}

impl World {
    /// Money at a window goes through the cashier's open shift first (invariant 4).
    fn decide(&self, step: &Step) -> Result<Vec<Event>, DomainError> {
        match step {
            Step::Account(command) => {
                if let AccountCommand::Deposit { shift_id, .. }
                | AccountCommand::Refund { shift_id, .. } = command
                {
                    self.cashier.ensure_open(*shift_id)?;
                }
                self.account.decide(command)
            }
            Step::Cashier(command) => self.cashier.decide(command),
        }
    }
}

// ----- the generator -----

struct Generator {
    rng: fastrand::Rng,
    next_id: u128,
    shifts: Vec<ShiftId>,
}

impl Generator {
    fn fresh(&mut self) -> Uuid {
        self.next_id += 1;
        Uuid::from_u128(self.next_id)
    }

    /// An amount in fen aimed at `target` (a balance or a remainder) and its neighbours, with the
    /// smallest and the largest amounts thrown in.
    fn amount_near(&mut self, target: i64) -> i64 {
        let fen = match self.rng.u8(0..40) {
            0..=4 => 1,
            5..=14 => target,
            15..=18 => target + 1,
            19..=21 => target - 1,
            22 => Amount::MAX_FEN,
            _ => self.rng.i64(1..=20_000),
        };
        fen.clamp(1, Amount::MAX_FEN)
    }

    fn deposit_amount(&mut self) -> i64 {
        match self.rng.u8(0..40) {
            0..=3 => 1,
            4 => Amount::MAX_FEN,
            _ => self.rng.i64(1..=100_000),
        }
    }

    /// A shift for money at the window: mostly the open one, sometimes a closed or unknown one.
    fn window_shift(&mut self, model: &Model) -> ShiftId {
        match (model.open_shift, self.rng.u8(0..10)) {
            (Some(open), 0..=8) => open,
            _ if !self.shifts.is_empty() && self.rng.bool() => {
                self.shifts[self.rng.usize(..self.shifts.len())]
            }
            _ => ShiftId(self.fresh()),
        }
    }

    fn method(&mut self) -> PaymentMethod {
        if self.rng.bool() {
            PaymentMethod::Cash
        } else {
            PaymentMethod::ALL[self.rng.usize(..PaymentMethod::ALL.len())]
        }
    }

    fn open_shift(&mut self) -> Step {
        let shift_id = ShiftId(self.fresh());
        self.shifts.push(shift_id);
        let float = match self.rng.u8(0..10) {
            0..=2 => 0,
            3 => -1,
            _ => self.rng.i64(1..=100_000),
        };
        Step::Cashier(CashierCommand::OpenShift {
            shift_id,
            cashier_id: CASHIER,
            window: "W1".to_owned(),
            opening_float: Money::from_fen(float),
        })
    }

    fn step(&mut self, model: &Model, kind: AccountKind) -> Step {
        // Before the account exists, mostly open it; sometimes try something else first.
        if model.kind.is_none() && self.rng.u8(0..10) < 7 {
            return Step::Account(AccountCommand::Open {
                account_id: ACCOUNT,
                kind,
                patient_id: PATIENT.to_owned(),
                card_no: CARD_NO.to_owned(),
                insurance_scheme: InsuranceScheme::SelfPay,
            });
        }
        // Without an open shift, the window mostly opens one: money needs it.
        if model.open_shift.is_none() && self.rng.u8(0..3) == 0 {
            return self.open_shift();
        }
        // Back at zero after some business, closing is tried now and then, so that life after
        // close is exercised without ending most sequences early.
        if model.balance == 0 && model.deposited > 0 && !model.closed && self.rng.u8(0..10) == 0 {
            return Step::Account(AccountCommand::Close);
        }
        match self.rng.u8(0..100) {
            0..=21 => {
                let shift_id = self.window_shift(model);
                Step::Account(AccountCommand::Deposit {
                    amount: amount(self.deposit_amount()),
                    method: self.method(),
                    shift_id,
                    cashier_id: CASHIER,
                    receipt_no: RECEIPT.to_owned(),
                    external_ref: None,
                })
            }
            22..=46 => {
                let quantity = match self.rng.u8(0..30) {
                    0 => 0,
                    1 => -1,
                    2 => 10_001,
                    3 => 10_000,
                    _ => self.rng.i64(1..=5),
                };
                let fen = self.amount_near(model.balance);
                Step::Account(AccountCommand::Deduct {
                    deduction_id: DeductionId(self.fresh()),
                    amount: amount(fen),
                    department: DEPARTMENTS[self.rng.usize(..2)].to_owned(),
                    order_id: format!("ORD-{}", self.next_id),
                    item_code: "ITEM".to_owned(),
                    item_name: None,
                    quantity,
                })
            }
            47..=66 => {
                let (deduction_id, department, remaining) =
                    match (model.deductions.is_empty(), self.rng.u8(0..10)) {
                        (false, 0..=8) => {
                            let d = &model.deductions[self.rng.usize(..model.deductions.len())];
                            let department = if self.rng.u8(0..10) == 0 {
                                other_department(d.department)
                            } else {
                                d.department
                            };
                            (d.id, department, d.amount - d.reversed)
                        }
                        _ => (DeductionId(self.fresh()), DEPARTMENTS[0], 100),
                    };
                Step::Account(AccountCommand::Reverse {
                    deduction_id,
                    amount: amount(self.amount_near(remaining)),
                    department: department.to_owned(),
                    reason: ReversalReason::DrugReturn,
                })
            }
            67..=80 => {
                let shift_id = self.window_shift(model);
                // A whole-balance refund above Amount::MAX is refused with a misleading
                // NothingToRefund (a known bug, see account_rules.rs); it is not generated here.
                let whole = self.rng.u8(0..5) < 2 && model.balance <= Amount::MAX_FEN;
                let amount = if whole {
                    None
                } else {
                    Some(amount(self.amount_near(model.balance)))
                };
                Step::Account(AccountCommand::Refund {
                    external_ref: None,
                    amount,
                    method: self.method(),
                    shift_id,
                    cashier_id: CASHIER,
                    receipt_no: RECEIPT.to_owned(),
                })
            }
            81..=82 => Step::Account(AccountCommand::Close),
            83..=85 => Step::Account(AccountCommand::Open {
                account_id: ACCOUNT,
                kind,
                patient_id: PATIENT.to_owned(),
                card_no: CARD_NO.to_owned(),
                insurance_scheme: InsuranceScheme::SelfPay,
            }),
            86..=92 => self.open_shift(),
            _ => {
                let shift_id = match model.open_shift {
                    Some(open) if self.rng.u8(0..5) > 0 => open,
                    _ => self.window_shift(model),
                };
                let other = if self.rng.u8(0..15) == 0 {
                    PaymentMethod::Cash
                } else {
                    PaymentMethod::Wechat
                };
                // The application passes the drawer's expected cash from the shift's stream:
                // the model's; the count is blind, so a variance is the rule, not the exception.
                let expected = model.drawer.get(&shift_id).copied().unwrap_or(0);
                Step::Cashier(CashierCommand::CloseShift {
                    expected_cash: Money::from_fen(expected),
                    shift_id,
                    cashier_id: CASHIER,
                    counted_cash: Money::from_fen(self.rng.i64(0..=100_000)),
                    counted_other: vec![(other, Money::from_fen(self.rng.i64(0..=100_000)))],
                    receipts_used: 0,
                })
            }
        }
    }
}

fn other_department(department: &str) -> &'static str {
    if department == DEPARTMENTS[0] {
        DEPARTMENTS[1]
    } else {
        DEPARTMENTS[0]
    }
}

// ----- the run -----

/// Drives one sequence and checks the books after every accepted command.
fn run_sequence(
    seed: u64,
    sequence: u64,
    kind: AccountKind,
    coverage: &mut BTreeMap<&'static str, u32>,
) {
    let mut generator = Generator {
        rng: fastrand::Rng::with_seed(seed ^ sequence.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
        next_id: 0,
        shifts: Vec::new(),
    };
    let mut model = Model::default();
    let mut world = World::default();
    let mut prepaid = 0_i64;

    for number in 0..STEPS {
        let step = generator.step(&model, kind);
        let ctx =
            format!("seed={seed} sequence={sequence} kind={kind:?} step={number} command={step:?}");
        let predicted = model.predict(&step);
        let decided = world.decide(&step);
        let actual = decided
            .clone()
            .map(|events| events.iter().map(outcome_of).collect::<Vec<_>>());
        assert_eq!(
            actual,
            predicted.clone().map(|o| vec![o]),
            "{ctx}: the aggregate and the model disagree"
        );

        let events = match (decided, predicted) {
            (Err(error), _) => {
                *coverage.entry(error_label(&error)).or_default() += 1;
                continue;
            }
            (Ok(events), Ok(outcome)) => {
                label_accepted(&model, &outcome, coverage);
                model.commit(&outcome, &step);
                events
            }
            (Ok(_), Err(_)) => unreachable!("checked equal above"),
        };

        for event in &events {
            if let Some(account_id) = event.account_id() {
                assert_eq!(account_id, ACCOUNT, "{ctx}: an event of another account");
            }
            world.account.apply(event);
            world.cashier.apply(event);
            world.log.push(event.clone());

            let legs = postings(event);
            let sum: i64 = legs.iter().map(|p| fen(p.amount)).sum();
            assert_eq!(
                sum, 0,
                "{ctx}: the postings of {event:?} do not balance: {legs:?}"
            );
            for leg in legs {
                if leg.account == LedgerAccount::PatientPrepaid(ACCOUNT) {
                    prepaid += fen(leg.amount);
                }
                *world.ledger.entry(leg.account).or_default() += fen(leg.amount);
            }
        }
        check_books(&ctx, &model, &world, prepaid);
    }
    let replayed = Account::from_events(&world.log);
    assert_eq!(
        replayed, world.account,
        "seed={seed} sequence={sequence}: replay gives another state"
    );
    // A snapshot taken part-way, then the rest of the log, gives the same state as the whole
    // log: what a command decides on after a restart.
    let cut = world.log.len() / 2;
    let taken = Account::from_events(&world.log[..cut])
        .snapshot()
        .expect("an account keeps snapshots");
    let mut resumed = Account::restore(&taken).expect("a snapshot restores");
    for event in &world.log[cut..] {
        resumed.apply(event);
    }
    assert_eq!(
        resumed, world.account,
        "seed={seed} sequence={sequence}: a snapshot and the rest of the log give another state"
    );
    let cashier = Cashier::restore(&world.cashier.snapshot().expect("a cashier keeps snapshots"))
        .expect("a snapshot restores");
    assert_eq!(cashier, world.cashier, "seed={seed} sequence={sequence}");
}

/// Counts the interesting accepted cases, so the run can prove it reached them.
fn label_accepted(model: &Model, outcome: &Outcome, coverage: &mut BTreeMap<&'static str, u32>) {
    let label = match outcome {
        Outcome::Deducted { fen, .. } if *fen == model.balance => "accepted:deduct-exact-balance",
        Outcome::Deducted { fen, .. } if *fen > model.balance => "accepted:deduct-into-arrears",
        Outcome::Reversed { id, fen, .. }
            if model
                .deduction(*id)
                .is_some_and(|d| d.amount - d.reversed == *fen) =>
        {
            "accepted:reverse-exact-remaining"
        }
        Outcome::Refunded { fen, .. } if *fen == model.balance => "accepted:refund-all",
        Outcome::Closed => "accepted:close",
        Outcome::ShiftClosed { .. } => "accepted:shift-close",
        _ => "accepted:other",
    };
    *coverage.entry(label).or_default() += 1;
}

/// The books after an accepted command agree with the model and with themselves.
fn check_books(ctx: &str, model: &Model, world: &World, prepaid: i64) {
    // Figures of the aggregate are compared as Money (by value) rather than through `fen()`, which
    // panics on the scale-0 `Money::default()` an untouched total still holds (see the report).
    let account = &world.account;
    let balance = model.balance;
    assert_eq!(account.balance, Money::from_fen(balance), "{ctx}: balance");
    assert_eq!(
        account.deposited,
        Money::from_fen(model.deposited),
        "{ctx}: deposited"
    );
    assert_eq!(
        account.deducted,
        Money::from_fen(model.deducted),
        "{ctx}: deducted"
    );
    assert_eq!(
        account.reversed,
        Money::from_fen(model.reversed),
        "{ctx}: reversed"
    );
    assert_eq!(
        account.refunded,
        Money::from_fen(model.refunded),
        "{ctx}: refunded"
    );
    assert_eq!(
        account.balance,
        account.deposited - account.deducted + account.reversed - account.refunded,
        "{ctx}: balance = deposited - deducted + reversed - refunded"
    );
    assert_eq!(
        model.balance,
        model.deposited - model.deducted + model.reversed - model.refunded,
        "{ctx}: the model's own balance identity"
    );
    assert_eq!(account.in_arrears(), balance < 0, "{ctx}: arrears flag");
    if model.kind == Some(AccountKind::OutpatientCard) {
        assert!(
            !account.balance.is_negative(),
            "{ctx}: invariant 1, an outpatient card went below zero"
        );
        assert!(balance >= 0, "{ctx}: invariant 1 in the model: {balance}");
    }
    assert_eq!(
        account.opened.as_ref().map(|o| o.kind),
        model.kind,
        "{ctx}: kind"
    );
    assert_eq!(
        account.opened.as_ref().is_some_and(|o| o.closed),
        model.closed,
        "{ctx}: closed flag"
    );

    assert_eq!(
        account.deductions.len(),
        model.deductions.len(),
        "{ctx}: deduction count"
    );
    for d in &model.deductions {
        let kept = account
            .deductions
            .get(&d.id)
            .unwrap_or_else(|| panic!("{ctx}: deduction {} lost", d.id));
        assert_eq!(
            kept.department, d.department,
            "{ctx}: department of {}",
            d.id
        );
        assert_eq!(
            kept.amount,
            Money::from_fen(d.amount),
            "{ctx}: amount of {}",
            d.id
        );
        assert_eq!(
            kept.reversed,
            Money::from_fen(d.reversed),
            "{ctx}: reversed of {}",
            d.id
        );
        assert_eq!(
            kept.remaining(),
            Money::from_fen(d.amount - d.reversed),
            "{ctx}: remaining of {}",
            d.id
        );
        assert!(
            !kept.remaining().is_negative(),
            "{ctx}: invariant 3, {} reversed beyond its amount",
            d.id
        );
    }

    assert_eq!(
        world.cashier.open.as_ref().map(|o| o.shift_id),
        model.open_shift,
        "{ctx}: open shift"
    );

    // Invariant 6: the liability to the patient is the balance, and the trial balance is zero.
    assert_eq!(
        prepaid, -balance,
        "{ctx}: patient-prepaid postings sum to minus the balance"
    );
    assert_eq!(
        world
            .ledger
            .get(&LedgerAccount::PatientPrepaid(ACCOUNT))
            .copied()
            .unwrap_or(0),
        -balance,
        "{ctx}: ledger patient-prepaid"
    );
    assert_eq!(
        world.ledger.values().sum::<i64>(),
        0,
        "{ctx}: trial balance {:?}",
        world.ledger
    );
    for (shift, cash) in &model.drawer {
        let posted = world
            .ledger
            .get(&LedgerAccount::CashDrawer(*shift))
            .copied()
            .unwrap_or(0);
        assert_eq!(posted, *cash, "{ctx}: cash drawer of shift {shift}");
    }
    for (shift, variance) in &model.over_short {
        let posted = world
            .ledger
            .get(&LedgerAccount::CashOverShort(*shift))
            .copied()
            .unwrap_or(0);
        assert_eq!(posted, *variance, "{ctx}: cash over/short of shift {shift}");
    }
}

#[test]
fn it_keeps_the_books_straight_under_random_command_sequences() {
    // Goal: for random sequences on both kinds of account, the aggregates agree with a naive
    // model on every accept and refusal, and the balance, arrears rule, reversal limits and
    // double-entry postings hold after every accepted command.
    let seed = seed();
    eprintln!("property seed={seed} (reproduce with YIKA_PROPTEST_SEED={seed})");
    let mut coverage = BTreeMap::new();
    for (index, kind) in [AccountKind::OutpatientCard, AccountKind::InpatientDeposit]
        .into_iter()
        .enumerate()
    {
        for n in 0..SEQUENCES_PER_KIND {
            let sequence = n * 2 + index as u64;
            let run = catch_unwind(AssertUnwindSafe(|| {
                run_sequence(seed, sequence, kind, &mut coverage)
            }));
            if let Err(panic) = run {
                eprintln!("property test failed: seed={seed} sequence={sequence} kind={kind:?}");
                resume_unwind(panic);
            }
        }
    }

    // The run must have reached the edges it is meant to test, or it proves little.
    let required = [
        "refused:AccountNotFound",
        "refused:AccountAlreadyExists",
        "refused:AccountClosed",
        "refused:InsufficientBalance",
        "refused:NothingToRefund",
        "refused:BalanceNotZero",
        "refused:DeductionNotFound",
        "refused:ReversalExceedsRemaining",
        "refused:ReversalByOtherDepartment",
        "refused:InvalidQuantity",
        "refused:ShiftAlreadyOpen",
        "refused:ShiftNotOpen",
        "refused:Money",
        "refused:InvalidText",
        "accepted:deduct-exact-balance",
        "accepted:deduct-into-arrears",
        "accepted:reverse-exact-remaining",
        "accepted:refund-all",
        "accepted:close",
        "accepted:shift-close",
    ];
    for label in required {
        assert!(
            coverage.get(label).copied().unwrap_or(0) > 0,
            "seed={seed}: the run never reached {label}; coverage {coverage:?}"
        );
    }
    eprintln!("property coverage seed={seed}: {coverage:?}");
}
