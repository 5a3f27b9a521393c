//! Discharge settlement (出院结算): an inpatient stay's charges split between the insurance
//! scheme and the patient, the deposits applied, and the difference paid in (补) or back (退)
//! through the cashier's drawer with a receipt.

use serde::Serialize;
use yika_domain::window::Payment;
use yika_domain::{AccountId, Actor, InsuranceScheme, Money, PaymentMethod, Role, ShiftId};

use super::{App, Stored, claim};
use crate::error::ApiResult;

/// Input of `settleDischarge`.
#[derive(Debug, Clone, Serialize)]
pub struct SettleDischarge {
    pub account_id: AccountId,
    pub insurance_scheme: InsuranceScheme,
    pub insurance_pays: Money,
    pub method: PaymentMethod,
    pub shift_id: ShiftId,
    /// The platform's or bank's reference of what crossed the window (for reconciliation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_ref: Option<String>,
    /// Set for a back-entry after an outage (补录).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub back_entry: Option<super::days::BackEntryRequest>,
}

impl App {
    /// CASHIER, own open shift: settles an inpatient stay at discharge; the account ends at 0.00.
    /// Answers the `DischargeSettled` event.
    pub async fn settle_discharge(
        &self,
        actor: &Actor,
        key: &str,
        input: SettleDischarge,
    ) -> ApiResult<Stored> {
        actor.require(Role::Cashier)?;
        let claim = claim("settleDischarge", key, &(actor.staff_id, &input))?;
        self.through_the_window(
            actor,
            (input.account_id, input.shift_id, input.method),
            Payment::SettleDischarge {
                insurance_scheme: input.insurance_scheme,
                insurance_pays: input.insurance_pays,
                external_ref: input.external_ref.clone(),
            },
            claim,
            input.back_entry.as_ref(),
        )
        .await?
        .take("DischargeSettled")
    }
}
