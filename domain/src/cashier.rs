//! A cashier's shifts: one open shift at a time, opened with a float and closed with a blind
//! count. Money is recorded only in the recording cashier's own open shift (invariant 4).

use crate::aggregate::Aggregate;
use crate::ids::{ShiftId, StaffId};
use crate::money::Money;
use crate::text::{MAX_NAME_CHARS, identifier};
use crate::{DomainError, Event, PaymentMethod};

/// The shift a cashier has open now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenShift {
    /// Its id.
    pub shift_id: ShiftId,
    /// The window it is worked at.
    pub window: String,
    /// The petty-cash float it opened with.
    pub opening_float: Money,
    /// The first number of the cashier's receipt series this shift uses.
    pub first_receipt: u64,
}

/// One cashier's shift history, as far as decisions need it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Cashier {
    /// The open shift, if any.
    pub open: Option<OpenShift>,
    /// How many shifts this cashier has closed.
    pub closed_shifts: u64,
    /// Receipt numbers used by the closed shifts: the series goes on at `receipts_used + 1`.
    pub receipts_used: u64,
    /// The cash each closed shift was counted at (its blind count): a hand-over may not exceed it.
    pub closed_counts: std::collections::BTreeMap<ShiftId, Money>,
}

/// Commands on a cashier's shifts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CashierCommand {
    /// Open a shift at a window with a float (zero or more).
    OpenShift {
        shift_id: ShiftId,
        cashier_id: StaffId,
        window: String,
        opening_float: Money,
    },
    /// Close the open shift with a blind count of cash and of each other tender.
    CloseShift {
        shift_id: ShiftId,
        cashier_id: StaffId,
        counted_cash: Money,
        counted_other: Vec<(PaymentMethod, Money)>,
        /// Receipt numbers the shift used, from its own stream.
        receipts_used: u64,
    },
}

impl Cashier {
    /// Checks that `shift_id` is this cashier's open shift, so money may be recorded in it.
    pub fn ensure_open(&self, shift_id: ShiftId) -> Result<&OpenShift, DomainError> {
        match &self.open {
            Some(open) if open.shift_id == shift_id => Ok(open),
            _ => Err(DomainError::ShiftNotOpen(shift_id)),
        }
    }
}

impl Aggregate for Cashier {
    type Command = CashierCommand;

    fn apply(&mut self, event: &Event) {
        match event {
            Event::ShiftOpened {
                shift_id,
                window,
                opening_float,
                ..
            } => {
                assert!(self.open.is_none(), "one open shift per cashier");
                self.open = Some(OpenShift {
                    shift_id: *shift_id,
                    window: window.clone(),
                    opening_float: *opening_float,
                    first_receipt: self.receipts_used + 1,
                });
            }
            Event::ShiftClosed {
                shift_id,
                receipts_used,
                counted_cash,
                ..
            } => {
                self.receipts_used += receipts_used;
                self.closed_counts.insert(*shift_id, *counted_cash);
                let open = self.open.take().expect("only an open shift closes");
                assert_eq!(
                    open.shift_id, *shift_id,
                    "the open shift is the one that closes"
                );
                self.closed_shifts += 1;
            }
            _ => {}
        }
    }

    fn decide(&self, command: &CashierCommand) -> Result<Vec<Event>, DomainError> {
        match command {
            CashierCommand::OpenShift {
                shift_id,
                cashier_id,
                window,
                opening_float,
            } => {
                let window = identifier("window", window, MAX_NAME_CHARS)?;
                let opening_float = opening_float.non_negative()?;
                if let Some(open) = &self.open {
                    return Err(DomainError::ShiftAlreadyOpen(open.shift_id));
                }
                Ok(vec![Event::ShiftOpened {
                    shift_id: *shift_id,
                    cashier_id: *cashier_id,
                    window,
                    opening_float,
                }])
            }
            CashierCommand::CloseShift {
                shift_id,
                cashier_id,
                counted_cash,
                counted_other,
                receipts_used,
            } => {
                let counted_cash = counted_cash.non_negative_total()?;
                let mut other: Vec<(PaymentMethod, Money)> =
                    Vec::with_capacity(counted_other.len());
                for (method, amount) in counted_other {
                    let amount = amount.non_negative_total()?;
                    if *method == PaymentMethod::Cash {
                        return Err(DomainError::InvalidText {
                            field: "countedOther",
                            reason: "must not list CASH (count it in countedCash)",
                        });
                    }
                    if other.iter().any(|(m, _)| m == method) {
                        return Err(DomainError::InvalidText {
                            field: "countedOther",
                            reason: "lists a method twice",
                        });
                    }
                    other.push((*method, amount));
                }
                other.sort();
                self.ensure_open(*shift_id)?;
                Ok(vec![Event::ShiftClosed {
                    shift_id: *shift_id,
                    cashier_id: *cashier_id,
                    counted_cash,
                    counted_other: other,
                    receipts_used: *receipts_used,
                }])
            }
        }
    }
}
