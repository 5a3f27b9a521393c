//! A cashier's shifts: one open shift at a time, opened with a float and closed with a blind
//! count. Money is recorded only in the recording cashier's own open shift (invariant 4).

use crate::aggregate::Aggregate;
use crate::ids::{ShiftId, StaffId};
use crate::money::Money;
use crate::text::{MAX_NAME_CHARS, identifier};
use crate::{DomainError, Event, PaymentMethod};

/// The shift a cashier has open now.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Cashier {
    /// The open shift, if any.
    pub open: Option<OpenShift>,
    /// How many shifts this cashier has closed.
    pub closed_shifts: u64,
    /// Receipt numbers used by the closed shifts: the series goes on at `receipts_used + 1`.
    pub receipts_used: u64,
    /// The cash each closed shift was counted at (its blind count): a hand-over may not exceed it.
    pub closed_counts: std::collections::BTreeMap<ShiftId, Money>,
    /// Each closed shift's cash variance (count − expected), for shifts closed since variances
    /// are posted.
    pub closed_variances: std::collections::BTreeMap<ShiftId, Money>,
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
        /// The cash the drawer should hold, from the shift's own stream.
        expected_cash: Money,
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

    crate::aggregate::snapshot_as_json!("cashier/1");

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
                expected_cash,
                ..
            } => {
                self.receipts_used += receipts_used;
                self.closed_counts.insert(*shift_id, *counted_cash);
                if let Some(expected) = expected_cash {
                    self.closed_variances
                        .insert(*shift_id, *counted_cash - *expected);
                }
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
                expected_cash,
            } => {
                let counted_cash = counted_cash.non_negative_total()?;
                let other = crate::window::tenders("countedOther", counted_other)?;
                self.ensure_open(*shift_id)?;
                Ok(vec![Event::ShiftClosed {
                    shift_id: *shift_id,
                    cashier_id: *cashier_id,
                    counted_cash,
                    counted_other: other,
                    receipts_used: *receipts_used,
                    expected_cash: Some(*expected_cash),
                }])
            }
        }
    }
}
