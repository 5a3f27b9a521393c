//! Discharge settlement (出院结算): `settleDischarge` and the `Settlement` it answers.

use async_graphql::{Context, InputObject, Object};
use uuid::Uuid;
use yika_domain::{AccountId, Event, Money, ShiftId};

use super::accounts::{Account, account_by_id};
use super::answer::acting;
use super::context::app;
use super::scalars::{InsuranceScheme, MoneyScalar, PaymentMethod};
use crate::application::{self, Stored};
use crate::error::{ApiError, GqlResult};

/// A discharge settlement: the scheme's share is supplied by the insurance centre.
#[derive(InputObject)]
struct SettleDischargeInput {
    account_id: Uuid,
    insurance_scheme: InsuranceScheme,
    insurance_pays: MoneyScalar,
    method: PaymentMethod,
    shift_id: Uuid,
    idempotency_key: String,
    /// The platform's or bank's reference of what crossed the window, for reconciliation.
    external_ref: Option<String>,
    /// For a back-entry after an outage (补录): when the settlement was made at the window,
    /// within `--back-entry-hours` and never in a closed day. Needs `backEntryReason`.
    occurred_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Why the settlement is entered late (required with `occurredAt`).
    back_entry_reason: Option<String>,
}

/// A discharge settlement (出院结算).
struct Settlement {
    id: Uuid,
    account_id: AccountId,
    total_charges: Money,
    insurance_pays: Money,
    deposits_applied: Money,
    patient_pays: Money,
    patient_receives: Money,
    receipt_no: String,
    manual: bool,
}

impl Settlement {
    /// The settlement a `DischargeSettled` event records.
    fn of(stored: Stored) -> GqlResult<Settlement> {
        match stored.event {
            Event::DischargeSettled {
                account_id,
                total_charges,
                insurance_pays,
                deposits_applied,
                patient_pays,
                patient_receives,
                receipt_no,
                manual,
                ..
            } => Ok(Settlement {
                id: stored.event_id,
                account_id,
                total_charges,
                insurance_pays,
                deposits_applied,
                patient_pays,
                patient_receives,
                receipt_no,
                manual,
            }),
            _ => Err(ApiError::Internal("a settlement that is not one".to_owned()).into()),
        }
    }
}

#[Object]
impl Settlement {
    async fn id(&self) -> Uuid {
        self.id
    }
    async fn account(&self, ctx: &Context<'_>) -> GqlResult<Account> {
        account_by_id(ctx, self.account_id).await
    }
    /// Deductions net of reversals.
    async fn total_charges(&self) -> MoneyScalar {
        self.total_charges.into()
    }
    /// The scheme's share.
    async fn insurance_pays(&self) -> MoneyScalar {
        self.insurance_pays.into()
    }
    /// The patient's deposits applied to the charges.
    async fn deposits_applied(&self) -> MoneyScalar {
        self.deposits_applied.into()
    }
    /// Paid in by the patient (补).
    async fn patient_pays(&self) -> MoneyScalar {
        self.patient_pays.into()
    }
    /// Paid back to the patient (退).
    async fn patient_receives(&self) -> MoneyScalar {
        self.patient_receives.into()
    }
    async fn receipt_no(&self) -> &str {
        &self.receipt_no
    }
    /// Out-of-area (外埠) contract patients are settled by hand.
    async fn manual(&self) -> bool {
        self.manual
    }
}

/// Settlement commands.
#[derive(Default)]
pub struct SettlementMutation;

#[Object]
impl SettlementMutation {
    /// CASHIER, own open shift: settles an inpatient stay at discharge; the account ends at 0.00.
    async fn settle_discharge(
        &self,
        ctx: &Context<'_>,
        input: SettleDischargeInput,
    ) -> GqlResult<Settlement> {
        let actor = acting(ctx)?;
        let stored = app(ctx)?
            .settle_discharge(
                actor,
                &input.idempotency_key,
                application::SettleDischarge {
                    account_id: AccountId(input.account_id),
                    insurance_scheme: input.insurance_scheme.into(),
                    insurance_pays: input.insurance_pays.0,
                    method: input.method.into(),
                    shift_id: ShiftId(input.shift_id),
                    external_ref: input.external_ref,
                    back_entry: super::reports::back_entry(
                        ctx,
                        input.occurred_at,
                        input.back_entry_reason,
                    )?,
                },
            )
            .await?;
        Settlement::of(stored)
    }
}
