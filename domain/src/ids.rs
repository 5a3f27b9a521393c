//! Typed identifiers, so that an account id can never be passed where a shift id is expected.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// The underlying UUID.
            #[must_use]
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

typed_id!(
    /// A patient account: an outpatient card or an inpatient deposit account.
    AccountId
);
typed_id!(
    /// A staff member (cashier, department terminal operator, controller, ...).
    StaffId
);
typed_id!(
    /// A cashier's shift. It is the event id of the shift's `ShiftOpened` event.
    ShiftId
);
typed_id!(
    /// A deduction. It is the event id of its `ChargeDeducted` event.
    DeductionId
);

/// Stream names, in one place so that the store layout is decided once.
pub mod streams {
    use super::{AccountId, StaffId};

    /// The stream of one patient account.
    #[must_use]
    pub fn account(id: AccountId) -> String {
        format!("account-{id}")
    }

    /// The stream that guards a card number: who holds it now.
    #[must_use]
    pub fn card(card_no: &str) -> String {
        format!("card-{card_no}")
    }

    /// The stream of one cashier's shifts (one open shift at a time).
    #[must_use]
    pub fn cashier(id: StaffId) -> String {
        format!("cashier-{id}")
    }

    /// The stream of one shift's drawer and receipts.
    #[must_use]
    pub fn shift(id: super::ShiftId) -> String {
        format!("shift-{id}")
    }

    /// The stream of the difficulty coefficient sets (one for the hospital).
    #[must_use]
    pub fn coefficients() -> String {
        "coefficients".to_owned()
    }

    /// The stream of a staff member's quality deductions.
    #[must_use]
    pub fn quality(id: StaffId) -> String {
        format!("quality-{id}")
    }

    /// The stream that guards a staff number.
    #[must_use]
    pub fn staff(staff_no: &str) -> String {
        format!("staff-{staff_no}")
    }
}
