//! Acts at the cashier's window (收费窗口) that span several streams: issuing and returning a
//! card (the card number and the account), opening and closing a shift (the cashier's shifts and
//! the shift's drawer), counting, handing over and voiding, and money crossing the window, which
//! moves the account, takes the next number of the cashier's receipt series and passes through
//! the drawer at once. Each act is one pure decision over the aggregates the application loaded
//! from the log; the application appends what it returns with the revisions it loaded, in one
//! atomic write, and decides nothing itself.

use crate::account::{Account, AccountCommand};
use crate::actor::Actor;
use crate::aggregate::{Aggregate, single};
use crate::card::{Card, CardCommand};
use crate::cashier::{Cashier, CashierCommand};
use crate::ids::{AccountId, ShiftId, StaffId};
use crate::money::{Amount, Money};
use crate::shift::{Shift, ShiftCommand, ShiftContext};
use crate::{AccountKind, Direction, DomainError, Event, InsuranceScheme, PaymentMethod, Role};

/// The facts of a shift's opening, from its `ShiftOpened` event on the cashier's stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShiftOpening {
    /// The cashier who opened it.
    pub cashier_id: StaffId,
    /// The petty-cash float it opened with.
    pub opening_float: Money,
}

impl ShiftOpening {
    /// The shift and its opening facts, when `event` opened a shift.
    #[must_use]
    pub fn of(event: &Event) -> Option<(ShiftId, ShiftOpening)> {
        match event {
            Event::ShiftOpened {
                shift_id,
                cashier_id,
                opening_float,
                ..
            } => Some((
                *shift_id,
                ShiftOpening {
                    cashier_id: *cashier_id,
                    opening_float: *opening_float,
                },
            )),
            _ => None,
        }
    }
}

/// What the log knows of one shift: its opening, the owning cashier's shifts and the shift's own
/// drawer and receipts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drawer {
    /// The shift asked for.
    pub shift_id: ShiftId,
    /// Its opening; `None` when no shift was opened with this id.
    pub opening: Option<ShiftOpening>,
    /// The owning cashier's shifts (default when the shift is unknown).
    pub cashier: Cashier,
    /// The shift's drawer and receipts.
    pub shift: Shift,
}

impl Drawer {
    /// What the cashier's stream says of the shift, with receipts numbered in `series`.
    fn context(&self, series: &str) -> Result<ShiftContext, DomainError> {
        let opening = self
            .opening
            .ok_or(DomainError::ShiftNotFound(self.shift_id))?;
        let open = self
            .cashier
            .open
            .as_ref()
            .filter(|o| o.shift_id == self.shift_id);
        Ok(ShiftContext {
            shift_id: self.shift_id,
            cashier_id: opening.cashier_id,
            series: series.to_owned(),
            first_receipt: open.map_or(0, |o| o.first_receipt),
            opening_float: opening.opening_float,
            open: open.is_some(),
        })
    }

    /// Whether the shift is closed and handed over: the controller's receipt and the cashier's
    /// declaration are both recorded (a receipt from before the two-party hand-over alone).
    #[must_use]
    pub fn is_handed_over(&self) -> bool {
        let open = self
            .cashier
            .open
            .as_ref()
            .is_some_and(|o| o.shift_id == self.shift_id);
        self.opening.is_some()
            && !open
            && self.shift.handed_over
            && (self.shift.declared || self.shift.received_alone)
    }

    /// The actor's own open shift, where alone a cashier records money (invariant 4): another
    /// cashier's shift is refused as such, an unknown or closed one as not open. Receipts are
    /// numbered in the actor's series (their staff number).
    pub fn own_open(&self, actor: &Actor) -> Result<ShiftContext, DomainError> {
        actor.require(Role::Cashier)?;
        let context = match self.context(&actor.staff_no) {
            Err(DomainError::ShiftNotFound(id)) => return Err(DomainError::ShiftNotOpen(id)),
            other => other?,
        };
        if context.cashier_id != actor.staff_id {
            return Err(DomainError::ShiftOfAnotherCashier(self.shift_id));
        }
        if !context.open {
            return Err(DomainError::ShiftNotOpen(self.shift_id));
        }
        Ok(context)
    }
}

/// Money crossing the window for an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payment {
    /// A deposit (预存, 预交金).
    Deposit {
        amount: Amount,
        external_ref: Option<String>,
    },
    /// Paying out the balance (退款, 退卡): `None` pays out all of it.
    Refund {
        amount: Option<Amount>,
        external_ref: Option<String>,
    },
    /// A discharge settlement (出院结算): the scheme's share is supplied by the insurance centre,
    /// the difference crosses the window.
    SettleDischarge {
        insurance_scheme: InsuranceScheme,
        insurance_pays: Money,
        external_ref: Option<String>,
    },
}

/// What money crossing the window writes: the account's movement and the drawer's receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThroughTheWindow {
    /// On the account's stream.
    pub movement: Event,
    /// On the shift's stream: the next number of the cashier's series.
    pub receipt: Event,
}

/// Money crosses the window in the actor's own open shift: the account's rules first (open,
/// balance, settlement), then the drawer's (a cash payout never exceeds what the drawer holds),
/// and the movement carries the receipt number it is issued under.
pub fn pay(
    actor: &Actor,
    drawer: &Drawer,
    account: &Account,
    method: PaymentMethod,
    payment: &Payment,
) -> Result<ThroughTheWindow, DomainError> {
    let context = drawer.own_open(actor)?;
    let receipt_no = drawer.shift.next_receipt_no(&context);
    let (shift_id, cashier_id) = (drawer.shift_id, actor.staff_id);
    let command = match payment {
        Payment::Deposit {
            amount,
            external_ref,
        } => AccountCommand::Deposit {
            amount: *amount,
            method,
            shift_id,
            cashier_id,
            receipt_no,
            external_ref: external_ref.clone(),
        },
        Payment::Refund {
            amount,
            external_ref,
        } => AccountCommand::Refund {
            amount: *amount,
            external_ref: external_ref.clone(),
            method,
            shift_id,
            cashier_id,
            receipt_no,
        },
        Payment::SettleDischarge {
            insurance_scheme,
            insurance_pays,
            external_ref,
        } => AccountCommand::SettleDischarge {
            external_ref: external_ref.clone(),
            insurance_scheme: *insurance_scheme,
            insurance_pays: *insurance_pays,
            method,
            shift_id,
            cashier_id,
            receipt_no,
        },
    };
    let movement = single(account.decide(&command)?);
    let (account_id, direction, amount) = flow(&movement);
    let receipt = single(drawer.shift.decide(&ShiftCommand::IssueReceipt {
        context,
        account_id,
        direction,
        method,
        amount,
    })?);
    Ok(ThroughTheWindow { movement, receipt })
}

/// Which way and how much money an account movement moves across the window.
fn flow(movement: &Event) -> (AccountId, Direction, Money) {
    match movement {
        Event::DepositReceived {
            account_id, amount, ..
        } => (*account_id, Direction::In, amount.money()),
        Event::BalanceRefunded {
            account_id, amount, ..
        } => (*account_id, Direction::Out, amount.money()),
        Event::DischargeSettled {
            account_id,
            patient_pays,
            patient_receives,
            ..
        } => {
            if patient_receives.is_positive() {
                (*account_id, Direction::Out, *patient_receives)
            } else {
                (*account_id, Direction::In, *patient_pays)
            }
        }
        other => unreachable!("a payment decides a money movement, not {other:?}"),
    }
}

/// A new account at the window: an outpatient card issued or an inpatient deposit account
/// opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    /// Its id, chosen by the caller.
    pub account_id: AccountId,
    /// Card or inpatient deposit.
    pub kind: AccountKind,
    /// The patient.
    pub patient_id: String,
    /// The card number it holds.
    pub card_no: String,
    /// The patient's insurance scheme.
    pub insurance_scheme: InsuranceScheme,
}

/// A cashier opens an account under a card number that no open account holds: the account's
/// opening and the card number's assignment.
pub fn open_account(
    actor: &Actor,
    card: &Card,
    new: &NewAccount,
) -> Result<(Event, Event), DomainError> {
    actor.require(Role::Cashier)?;
    let opened = single(Account::default().decide(&AccountCommand::Open {
        account_id: new.account_id,
        kind: new.kind,
        patient_id: new.patient_id.clone(),
        card_no: new.card_no.clone(),
        insurance_scheme: new.insurance_scheme,
    })?);
    let Event::AccountOpened { card_no, .. } = &opened else {
        unreachable!("opening an account decides AccountOpened");
    };
    let assigned = single(card.decide(&CardCommand::Assign {
        card_no: card_no.clone(),
        account_id: new.account_id,
    })?);
    Ok((opened, assigned))
}

/// A cashier closes an account at 0.00 (退卡) and releases its card number: the account's
/// closing and the number's release. `card` is the stream of the number the account holds.
pub fn close_account(
    actor: &Actor,
    account: &Account,
    card: &Card,
) -> Result<(Event, Event), DomainError> {
    actor.require(Role::Cashier)?;
    let closed = single(account.decide(&AccountCommand::Close)?);
    let Event::AccountClosed {
        account_id,
        card_no,
    } = &closed
    else {
        unreachable!("closing an account decides AccountClosed");
    };
    let released = single(card.decide(&CardCommand::Release {
        card_no: card_no.clone(),
        account_id: *account_id,
    })?);
    Ok((closed, released))
}

/// A cashier opens a shift at a window with a float; one open shift per cashier.
pub fn open_shift(
    actor: &Actor,
    cashier: &Cashier,
    shift_id: ShiftId,
    window: &str,
    opening_float: Money,
) -> Result<Event, DomainError> {
    actor.require(Role::Cashier)?;
    Ok(single(cashier.decide(&CashierCommand::OpenShift {
        shift_id,
        cashier_id: actor.staff_id,
        window: window.to_owned(),
        opening_float,
    })?))
}

/// The cashier closes their own open shift with a blind count of each tender (结账); the event
/// goes on the cashier's stream and records how many receipt numbers the shift used.
pub fn close_shift(
    actor: &Actor,
    drawer: &Drawer,
    counted_cash: Money,
    counted_other: &[(PaymentMethod, Money)],
) -> Result<Event, DomainError> {
    drawer.own_open(actor)?;
    Ok(single(
        drawer.cashier.decide(&CashierCommand::CloseShift {
            shift_id: drawer.shift_id,
            cashier_id: actor.staff_id,
            counted_cash,
            counted_other: counted_other.to_vec(),
            receipts_used: drawer.shift.receipts_used(),
            expected_cash: drawer
                .shift
                .expected_cash(drawer.opening.map_or(Money::ZERO, |o| o.opening_float)),
        })?,
    ))
}

/// A count of an open shift's drawer: a surprise count (突击盘点) by an AUDITOR of any shift, or
/// a routine count by the CASHIER of their own.
pub fn count_cash(
    actor: &Actor,
    drawer: &Drawer,
    counted_cash: Money,
    note: Option<&str>,
) -> Result<Event, DomainError> {
    let surprise = surprise_count(actor)?;
    let context = if surprise {
        drawer.context("")?
    } else {
        drawer.own_open(actor)?
    };
    Ok(single(drawer.shift.decide(&ShiftCommand::CountCash {
        context,
        counted_by: actor.staff_id,
        surprise,
        counted_cash,
        note: note.map(str::to_owned),
    })?))
}

/// Who counts a drawer: an AUDITOR makes a surprise count (true), the shift's CASHIER a routine
/// one (false); no other role counts.
pub fn surprise_count(actor: &Actor) -> Result<bool, DomainError> {
    match actor.role {
        Role::Auditor => Ok(true),
        Role::Cashier => Ok(false),
        _ => Err(DomainError::CountByOtherRole),
    }
}

/// A CONTROLLER receives a closed shift's cash for finance (上交财务).
pub fn hand_over(actor: &Actor, drawer: &Drawer, amount: Money) -> Result<Event, DomainError> {
    actor.require(Role::Controller)?;
    // No more can be handed over than the drawer was counted at when it closed; less is taken
    // (and shows on the shift as a difference to review).
    if let Some(counted) = drawer.cashier.closed_counts.get(&drawer.shift_id)
        && amount > *counted
    {
        return Err(DomainError::InsufficientCash {
            cash: *counted,
            requested: amount,
        });
    }
    Ok(single(drawer.shift.decide(&ShiftCommand::HandOver {
        context: drawer.context("")?,
        received_by: actor.staff_id,
        amount,
    })?))
}

/// The cashier declares what they hand over from their own closed shift (交接, the cashier's
/// half): the cash and each other tender's slips. Once only; the controller's receipt
/// ([`hand_over`]) may come before or after it.
pub fn declare_hand_over(
    actor: &Actor,
    drawer: &Drawer,
    cash: Money,
    other: &[(PaymentMethod, Money)],
) -> Result<Event, DomainError> {
    actor.require(Role::Cashier)?;
    let context = drawer.context(&actor.staff_no)?;
    if context.cashier_id != actor.staff_id {
        return Err(DomainError::ShiftOfAnotherCashier(drawer.shift_id));
    }
    if context.open {
        return Err(DomainError::ShiftStillOpen(drawer.shift_id));
    }
    if drawer.shift.declared {
        return Err(DomainError::AlreadyDeclared(drawer.shift_id));
    }
    let cash = cash.non_negative_total()?;
    let other = tenders("other", other)?;
    Ok(Event::HandOverDeclared {
        shift_id: drawer.shift_id,
        cashier_id: actor.staff_id,
        cash,
        other,
    })
}

/// Non-cash tenders, each listed once, amounts zero or more, in method order.
pub(crate) fn tenders(
    field: &'static str,
    listed: &[(PaymentMethod, Money)],
) -> Result<Vec<(PaymentMethod, Money)>, DomainError> {
    let mut other: Vec<(PaymentMethod, Money)> = Vec::with_capacity(listed.len());
    for (method, amount) in listed {
        let amount = amount.non_negative_total()?;
        if *method == PaymentMethod::Cash {
            return Err(DomainError::InvalidText {
                field,
                reason: "must not list CASH (give it as the cash amount)",
            });
        }
        if other.iter().any(|(m, _)| m == method) {
            return Err(DomainError::InvalidText {
                field,
                reason: "lists a method twice",
            });
        }
        other.push((*method, amount));
    }
    other.sort();
    Ok(other)
}

/// A CONTROLLER resolves a closed shift's cash variance (长短款): the cashier repays a
/// shortage, the difference is written off, or it was found. Once per shift; only a shift
/// whose close posted a variance has one to resolve.
pub fn resolve_variance(
    actor: &Actor,
    drawer: &Drawer,
    resolution: crate::VarianceResolution,
    note: &str,
) -> Result<Event, DomainError> {
    actor.require(Role::Controller)?;
    let context = drawer.context("")?;
    if context.open {
        return Err(DomainError::ShiftStillOpen(drawer.shift_id));
    }
    let note = crate::text::bounded("note", note, crate::text::MAX_NAME_CHARS)?;
    let variance = drawer
        .cashier
        .closed_variances
        .get(&drawer.shift_id)
        .copied()
        .filter(|v| !v.is_zero())
        .ok_or(DomainError::NoVariance(drawer.shift_id))?;
    if drawer.shift.variance_resolved {
        return Err(DomainError::VarianceAlreadyResolved(drawer.shift_id));
    }
    if resolution == crate::VarianceResolution::CashierRepays && variance.is_positive() {
        return Err(DomainError::NothingToRepay(drawer.shift_id));
    }
    Ok(Event::VarianceResolved {
        shift_id: drawer.shift_id,
        cashier_id: context.cashier_id,
        variance,
        resolution,
        note,
        resolved_by: actor.staff_id,
    })
}

/// The cashier voids the next receipt number of their own open shift (a spoiled form).
pub fn void_receipt(actor: &Actor, drawer: &Drawer, reason: &str) -> Result<Event, DomainError> {
    let context = drawer.own_open(actor)?;
    Ok(single(drawer.shift.decide(&ShiftCommand::VoidReceipt {
        context,
        reason: reason.to_owned(),
    })?))
}
