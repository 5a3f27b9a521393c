//! Accounts: cards issued and inpatient deposit accounts opened and closed at the window,
//! deposits and refunds through the cashier's drawer, and the executing departments' deductions
//! and reversals ("whoever executes, deducts").

use serde::Serialize;
use uuid::Uuid;
use yika_domain::execution::{self, Executed};
use yika_domain::ids::streams;
use yika_domain::text::{MAX_ID_CHARS, identifier, identity};
use yika_domain::window::{self, NewAccount, Payment};
use yika_domain::{
    Account, AccountId, AccountKind, Actor, Amount, Card, DeductionId, InsuranceScheme, Money,
    PaymentMethod, ReversalReason, Role, ShiftId,
};

use super::{App, Loaded, Stored, Write, claim};
use crate::error::ApiResult;

/// Input of `openAccount`.
#[derive(Debug, Clone, Serialize)]
pub struct OpenAccount {
    pub kind: AccountKind,
    pub patient_id: String,
    pub card_no: String,
    pub insurance_scheme: InsuranceScheme,
}

/// Input of `deposit`.
#[derive(Debug, Clone, Serialize)]
pub struct Deposit {
    pub account_id: AccountId,
    pub amount: Money,
    pub method: PaymentMethod,
    pub shift_id: ShiftId,
    pub external_ref: Option<String>,
    /// Set for a back-entry after an outage (补录).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub back_entry: Option<super::days::BackEntryRequest>,
}

/// Input of `deduct`.
#[derive(Debug, Clone, Serialize)]
pub struct Deduct {
    pub account_id: AccountId,
    pub amount: Money,
    pub department: String,
    pub order_id: String,
    pub item_code: String,
    pub item_name: Option<String>,
    pub quantity: i64,
}

/// Input of `reverseDeduction`.
#[derive(Debug, Clone, Serialize)]
pub struct Reverse {
    pub deduction_id: DeductionId,
    pub amount: Money,
    pub reason: ReversalReason,
}

/// Input of `refundBalance`.
#[derive(Debug, Clone, Serialize)]
pub struct Refund {
    pub account_id: AccountId,
    pub amount: Option<Money>,
    pub method: PaymentMethod,
    pub shift_id: ShiftId,
    /// The platform's or bank's reference of the payout (for reconciliation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_ref: Option<String>,
    /// Set for a back-entry after an outage (补录).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub back_entry: Option<super::days::BackEntryRequest>,
}

impl App {
    /// CASHIER: issues a card or opens an inpatient deposit account under a card number that
    /// no open account holds.
    pub async fn open_account(
        &self,
        actor: &Actor,
        key: &str,
        input: OpenAccount,
    ) -> ApiResult<AccountId> {
        actor.require(Role::Cashier)?;
        let card_no = identity("cardNo", &input.card_no)?;
        let card_stream = streams::card(&card_no);
        let claim = claim("openAccount", key, &(actor.staff_id, &input))?;
        let written = self
            .execute(Some(actor), &card_stream, Some(claim), || async {
                let account_id = AccountId(Uuid::now_v7());
                let card = self.load::<Card>(&card_stream).await?;
                let (opened, assigned) = window::open_account(
                    actor,
                    &card.state,
                    &NewAccount {
                        account_id,
                        kind: input.kind,
                        patient_id: input.patient_id.clone(),
                        card_no: card_no.clone(),
                        insurance_scheme: input.insurance_scheme,
                    },
                )?;
                Ok(vec![
                    Write::new(streams::account(account_id), 0, [opened]),
                    Write::new(card_stream.clone(), card.revision, [assigned]),
                ])
            })
            .await?;
        written.find(|s| s.event.account_id())
    }

    /// CASHIER: closes an account at 0.00 and releases its card number.
    pub async fn close_account(
        &self,
        actor: &Actor,
        key: &str,
        account_id: AccountId,
    ) -> ApiResult<()> {
        actor.require(Role::Cashier)?;
        let stream = streams::account(account_id);
        let claim = claim("closeAccount", key, &(actor.staff_id, account_id))?;
        self.execute(Some(actor), &stream, Some(claim), || async {
            let account = self.load::<Account>(&stream).await?;
            // The card number the account holds (none for an unknown account, which the
            // domain refuses before it looks at a card).
            let card_stream = account
                .state
                .opened
                .as_ref()
                .map(|o| streams::card(&o.card_no));
            let card = match &card_stream {
                Some(card_stream) => self.load::<Card>(card_stream).await?,
                None => Loaded::default(),
            };
            let (closed, released) = window::close_account(actor, &account.state, &card.state)?;
            Ok(vec![
                Write::new(stream.clone(), account.revision, [closed]),
                Write::new(card_stream.unwrap_or_default(), card.revision, [released]),
            ])
        })
        .await?;
        Ok(())
    }

    /// CASHIER, own open shift: takes a deposit; answers the movement (with its receipt).
    pub async fn deposit(&self, actor: &Actor, key: &str, input: Deposit) -> ApiResult<Stored> {
        actor.require(Role::Cashier)?;
        let amount = Amount::new(input.amount)?;
        let claim = claim("deposit", key, &(actor.staff_id, &input))?;
        let payment = Payment::Deposit {
            amount,
            external_ref: input.external_ref.clone(),
        };
        self.through_the_window(
            actor,
            (input.account_id, input.shift_id, input.method),
            payment,
            claim,
            input.back_entry.as_ref(),
        )
        .await?
        .take("DepositReceived")
    }

    /// CASHIER, own open shift: pays out the balance (all of it when `amount` is `None`).
    pub async fn refund(&self, actor: &Actor, key: &str, input: Refund) -> ApiResult<Stored> {
        actor.require(Role::Cashier)?;
        let amount = input.amount.map(Amount::new).transpose()?;
        let claim = claim("refundBalance", key, &(actor.staff_id, &input))?;
        self.through_the_window(
            actor,
            (input.account_id, input.shift_id, input.method),
            Payment::Refund {
                amount,
                external_ref: input.external_ref.clone(),
            },
            claim,
            input.back_entry.as_ref(),
        )
        .await?
        .take("BalanceRefunded")
    }

    /// DEPARTMENT, for itself: deducts the price of an executed service; idempotent on the
    /// order id. Answers the `ChargeDeducted` event (the deduction's id is its event's id).
    pub async fn deduct(&self, actor: &Actor, input: Deduct) -> ApiResult<Stored> {
        actor.require_department(&input.department)?;
        let amount = Amount::new(input.amount)?;
        let order_id = identifier("orderId", &input.order_id, MAX_ID_CHARS)?;
        let stream = streams::account(input.account_id);
        let claim = claim("deduct", &order_id, &input)?;
        let written = self
            .execute(Some(actor), &stream, Some(claim), || async {
                let account = self.load::<Account>(&stream).await?;
                let event_id = Uuid::now_v7();
                let deducted = execution::deduct(
                    actor,
                    &account.state,
                    &Executed {
                        deduction_id: DeductionId(event_id),
                        amount,
                        department: input.department.clone(),
                        order_id: order_id.clone(),
                        item_code: input.item_code.clone(),
                        item_name: input.item_name.clone(),
                        quantity: input.quantity,
                    },
                )?;
                Ok(vec![Write::with_id(
                    stream.clone(),
                    account.revision,
                    event_id,
                    deducted,
                )])
            })
            .await?;
        written.take("ChargeDeducted")
    }

    /// The DEPARTMENT that deducted: gives back (part of) a deduction.
    pub async fn reverse(
        &self,
        actor: &Actor,
        key: &str,
        input: Reverse,
    ) -> ApiResult<DeductionId> {
        actor.require(Role::Department)?;
        let amount = Amount::new(input.amount)?;
        // A deduction's id is its event's id: the event names the account's stream.
        let stream = self
            .event_by_id(input.deduction_id.as_uuid(), "ChargeDeducted")
            .await?
            .map(|(stream, _)| stream);
        let claim = claim("reverseDeduction", key, &(actor.staff_id, &input))?;
        let queue_on = stream.clone().unwrap_or_default();
        self.execute(Some(actor), &queue_on, Some(claim), || async {
            let account = match &stream {
                Some(stream) => Some(self.load::<Account>(stream).await?),
                None => None,
            };
            let reversed = execution::reverse(
                actor,
                account.as_ref().map(|a| &*a.state),
                input.deduction_id,
                amount,
                input.reason,
            )?;
            let (stream, revision) = (stream.clone(), account.map_or(0, |a| a.revision));
            Ok(vec![Write::new(
                stream.unwrap_or_default(),
                revision,
                [reversed],
            )])
        })
        .await?;
        Ok(input.deduction_id)
    }
}
