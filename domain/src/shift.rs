//! One shift's drawer and receipts (stream `shift-<id>`): receipts from the cashier's numbered
//! series, voided receipts, cash counts, and the hand-over of the cash to finance. Whether the
//! shift is open, its float and where its receipt numbers start come from the cashier's stream
//! (the [`crate::Cashier`] aggregate) and are passed in as a [`ShiftContext`].

use crate::aggregate::Aggregate;
use crate::ids::{AccountId, ShiftId, StaffId};
use crate::money::Money;
use crate::text::{MAX_NAME_CHARS, bounded};
use crate::{Direction, DomainError, Event, PaymentMethod};

/// What the cashier's stream says about a shift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftContext {
    /// The shift.
    pub shift_id: ShiftId,
    /// Its cashier.
    pub cashier_id: StaffId,
    /// The prefix of the cashier's receipt series (their staff number).
    pub series: String,
    /// The first receipt number of this shift in the series.
    pub first_receipt: u64,
    /// The float it opened with.
    pub opening_float: Money,
    /// Whether it is still open.
    pub open: bool,
}

/// A shift's drawer and receipts.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shift {
    /// Receipts issued.
    pub receipts_issued: u64,
    /// Receipt numbers voided.
    pub receipts_voided: u64,
    /// Cash received.
    pub cash_in: Money,
    /// Cash paid out.
    pub cash_out: Money,
    /// Whether a controller received the cash (their half of the hand-over).
    pub handed_over: bool,
    /// Whether the cashier declared what they hand over (their half).
    pub declared: bool,
    /// Whether the controller's receipt predates the two-party hand-over, and so completed it
    /// alone.
    pub received_alone: bool,
    /// Whether the closed shift's cash variance was resolved.
    pub variance_resolved: bool,
}

/// Commands on a shift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShiftCommand {
    /// Issue the next receipt for money in or out.
    IssueReceipt {
        context: ShiftContext,
        account_id: AccountId,
        direction: Direction,
        method: PaymentMethod,
        amount: Money,
    },
    /// Void the next receipt number (a spoiled form), with a reason.
    VoidReceipt {
        context: ShiftContext,
        reason: String,
    },
    /// Count the drawer now.
    CountCash {
        context: ShiftContext,
        counted_by: StaffId,
        surprise: bool,
        counted_cash: Money,
        note: Option<String>,
    },
    /// Hand the closed shift's cash over to finance.
    HandOver {
        context: ShiftContext,
        received_by: StaffId,
        amount: Money,
    },
}

/// Receipt numbers: the series prefix and an eight-digit sequence ("C001-00000042").
#[must_use]
pub fn receipt_no(series: &str, sequence: u64) -> String {
    format!("{series}-{sequence:08}")
}

impl Shift {
    /// Receipt numbers used so far (issued and voided).
    #[must_use]
    pub fn receipts_used(&self) -> u64 {
        self.receipts_issued + self.receipts_voided
    }

    /// The cash the drawer should hold: float + cash received − cash paid out.
    #[must_use]
    pub fn expected_cash(&self, opening_float: Money) -> Money {
        opening_float + self.cash_in - self.cash_out
    }

    /// The number the next receipt of this shift is issued under.
    #[must_use]
    pub fn next_receipt_no(&self, context: &ShiftContext) -> String {
        self.next_receipt(context).1
    }

    fn next_receipt(&self, context: &ShiftContext) -> (u64, String) {
        let sequence = context.first_receipt + self.receipts_used();
        (sequence, receipt_no(&context.series, sequence))
    }
}

fn ensure_open(context: &ShiftContext) -> Result<(), DomainError> {
    if context.open {
        Ok(())
    } else {
        Err(DomainError::ShiftNotOpen(context.shift_id))
    }
}

impl Aggregate for Shift {
    type Command = ShiftCommand;

    crate::aggregate::snapshot_as_json!("shift/1");

    fn apply(&mut self, event: &Event) {
        match event {
            Event::ReceiptIssued {
                direction,
                method,
                amount,
                ..
            } => {
                self.receipts_issued += 1;
                if *method == PaymentMethod::Cash {
                    match direction {
                        Direction::In => self.cash_in += *amount,
                        Direction::Out => self.cash_out += *amount,
                    }
                }
            }
            Event::ReceiptVoided { .. } => self.receipts_voided += 1,
            Event::CashHandedOver { two_party, .. } => {
                assert!(!self.handed_over, "a shift is handed over once");
                self.handed_over = true;
                self.received_alone = !*two_party;
            }
            Event::HandOverDeclared { .. } => self.declared = true,
            Event::VarianceResolved { .. } => self.variance_resolved = true,
            _ => {}
        }
    }

    fn decide(&self, command: &ShiftCommand) -> Result<Vec<Event>, DomainError> {
        match command {
            ShiftCommand::IssueReceipt {
                context,
                account_id,
                direction,
                method,
                amount,
            } => {
                ensure_open(context)?;
                let cash = self.expected_cash(context.opening_float);
                if *method == PaymentMethod::Cash {
                    match direction {
                        Direction::In => {
                            DomainError::check_total("the drawer's cash", cash + *amount)?;
                            DomainError::check_total("the cash received", self.cash_in + *amount)?;
                        }
                        Direction::Out => {
                            DomainError::check_total("the cash paid out", self.cash_out + *amount)?;
                        }
                    }
                }
                if *direction == Direction::Out && *method == PaymentMethod::Cash && *amount > cash
                {
                    return Err(DomainError::InsufficientCash {
                        cash,
                        requested: *amount,
                    });
                }
                let (sequence, receipt_no) = self.next_receipt(context);
                Ok(vec![Event::ReceiptIssued {
                    shift_id: context.shift_id,
                    cashier_id: context.cashier_id,
                    receipt_no,
                    sequence,
                    account_id: *account_id,
                    direction: *direction,
                    method: *method,
                    amount: *amount,
                }])
            }
            ShiftCommand::VoidReceipt { context, reason } => {
                ensure_open(context)?;
                let reason = bounded("reason", reason, MAX_NAME_CHARS)?;
                let (sequence, receipt_no) = self.next_receipt(context);
                Ok(vec![Event::ReceiptVoided {
                    shift_id: context.shift_id,
                    cashier_id: context.cashier_id,
                    receipt_no,
                    sequence,
                    reason,
                }])
            }
            ShiftCommand::CountCash {
                context,
                counted_by,
                surprise,
                counted_cash,
                note,
            } => {
                let counted_cash = counted_cash.non_negative_total()?;
                let note = match note {
                    Some(n) => Some(bounded("note", n, MAX_NAME_CHARS)?),
                    None => None,
                };
                ensure_open(context)?;
                Ok(vec![Event::CashCounted {
                    shift_id: context.shift_id,
                    cashier_id: context.cashier_id,
                    counted_by: *counted_by,
                    surprise: *surprise,
                    counted_cash,
                    expected_cash: self.expected_cash(context.opening_float),
                    note,
                }])
            }
            ShiftCommand::HandOver {
                context,
                received_by,
                amount,
            } => {
                let amount = amount.non_negative_total()?;
                if context.open {
                    return Err(DomainError::ShiftStillOpen(context.shift_id));
                }
                if self.handed_over {
                    return Err(DomainError::AlreadyHandedOver(context.shift_id));
                }
                Ok(vec![Event::CashHandedOver {
                    shift_id: context.shift_id,
                    cashier_id: context.cashier_id,
                    received_by: *received_by,
                    amount,
                    two_party: true,
                }])
            }
        }
    }
}
