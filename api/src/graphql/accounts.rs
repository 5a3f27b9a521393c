//! Accounts: the balances view (`account`, `accounts`), an account's statement from the log,
//! and the window's and the departments' commands on accounts.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;
use yika_domain::ids::streams;
use yika_domain::{AccountId, DeductionId, Event, ShiftId};
use yika_projections::read::AccountFilter as ViewFilter;
use yika_projections::{AccountRow, DeductionRow};

use super::answer::acting;
use super::audit::{EventConnection, EventEdge, LedgerEvent};
use super::context::{actor, app};
use super::page::{
    DEFAULT_EVENT_PAGE, DEFAULT_PAGE, PageInfo, page_size, page_weight, parse_cursor,
};
use super::scalars::{
    AccountKind, AccountStatus, InsuranceScheme, MoneyScalar, PaymentMethod, ReversalReason,
};
use crate::application::{self, Stored};
use crate::auth::{may_list_accounts, may_read_statement, require_account_detail};
use crate::error::{ApiError, GqlResult};

/// A deduction's quantity when absent or null.
const DEFAULT_QUANTITY: i32 = 1;

/// A patient account, from the balances view.
pub struct Account(pub AccountRow);

/// An account that must be in the views (a command's own write, or what a row points at).
pub(super) async fn account_by_id(ctx: &Context<'_>, account_id: AccountId) -> GqlResult<Account> {
    app(ctx)?
        .read
        .account(account_id)
        .await?
        .map(Account)
        .ok_or_else(|| {
            ApiError::NotFound(format!("account {account_id} is not in the views yet")).into()
        })
}

#[Object]
impl Account {
    async fn id(&self) -> Uuid {
        self.0.account_id.as_uuid()
    }
    async fn kind(&self) -> AccountKind {
        self.0.kind.into()
    }
    async fn status(&self) -> AccountStatus {
        if self.0.closed {
            AccountStatus::Closed
        } else {
            AccountStatus::Open
        }
    }
    async fn patient_id(&self, ctx: &Context<'_>) -> GqlResult<&str> {
        require_account_detail(actor(ctx)?, "patientId")?;
        Ok(&self.0.patient_id)
    }
    async fn card_no(&self) -> &str {
        &self.0.card_no
    }
    async fn insurance_scheme(&self, ctx: &Context<'_>) -> GqlResult<InsuranceScheme> {
        require_account_detail(actor(ctx)?, "insuranceScheme")?;
        Ok(self.0.insurance_scheme.into())
    }
    async fn balance(&self) -> MoneyScalar {
        self.0.balance.into()
    }
    async fn deposited(&self, ctx: &Context<'_>) -> GqlResult<MoneyScalar> {
        require_account_detail(actor(ctx)?, "deposited")?;
        Ok(self.0.deposited.into())
    }
    async fn deducted(&self, ctx: &Context<'_>) -> GqlResult<MoneyScalar> {
        require_account_detail(actor(ctx)?, "deducted")?;
        Ok(self.0.deducted.into())
    }
    async fn reversed(&self, ctx: &Context<'_>) -> GqlResult<MoneyScalar> {
        require_account_detail(actor(ctx)?, "reversed")?;
        Ok(self.0.reversed.into())
    }
    async fn refunded(&self, ctx: &Context<'_>) -> GqlResult<MoneyScalar> {
        require_account_detail(actor(ctx)?, "refunded")?;
        Ok(self.0.refunded.into())
    }
    /// True when the balance is below zero (inpatient accounts only).
    async fn in_arrears(&self) -> bool {
        self.0.balance.is_negative()
    }
    async fn last_activity_at(&self, ctx: &Context<'_>) -> GqlResult<Option<DateTime<Utc>>> {
        require_account_detail(actor(ctx)?, "lastActivityAt")?;
        Ok(self.0.last_activity_at)
    }
    /// The account stream's revision (number of events).
    async fn revision(&self) -> i64 {
        self.0.revision
    }
    /// The account's events, oldest first, from the event log itself. Finance and audit roles,
    /// and a CASHIER (who prints it for the patient at the window, decision 0021); a DEPARTMENT
    /// may not read what other departments charged.
    #[graphql(complexity = "page_weight(first, DEFAULT_EVENT_PAGE) * child_complexity")]
    async fn statement(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(DEFAULT_EVENT_PAGE)")] first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<EventConnection> {
        let actor = actor(ctx)?;
        if !may_read_statement(actor) {
            return Err(ApiError::Forbidden(
                "a statement is for finance and audit roles and cashiers".to_owned(),
            )
            .into());
        }
        require_account_detail(actor, "statement")?;
        let first = page_size(first, DEFAULT_EVENT_PAGE)?;
        let after = parse_cursor(after.as_deref())?.unwrap_or(0);
        let stream = streams::account(self.0.account_id);
        let mut events = app(ctx)?
            .store
            .read_stream(&stream, u64::try_from(after).unwrap_or(0), first + 1)
            .await?;
        let has_next_page = events.len() > first;
        events.truncate(first);
        let edges: Vec<EventEdge> = events
            .into_iter()
            .map(|e| EventEdge {
                cursor: e.revision.to_string(),
                node: LedgerEvent(e),
            })
            .collect();
        Ok(EventConnection::page(edges, has_next_page, self.0.revision))
    }
}

/// An account and its cursor.
#[derive(SimpleObject)]
pub struct AccountEdge {
    /// The account.
    pub node: Account,
    /// Its cursor.
    pub cursor: String,
}

/// A page of accounts.
#[derive(SimpleObject)]
pub struct AccountConnection {
    /// The accounts.
    pub edges: Vec<AccountEdge>,
    /// Paging.
    pub page_info: PageInfo,
    /// Accounts matching the filter in all pages.
    pub total_count: i64,
}

/// Filters of `accounts`.
#[derive(InputObject, Default)]
pub struct AccountFilter {
    kind: Option<AccountKind>,
    status: Option<AccountStatus>,
    patient_id: Option<String>,
    in_arrears: Option<bool>,
}

/// A deposit or a refund at a window.
pub struct MoneyMovement {
    id: Uuid,
    account_id: AccountId,
    amount: MoneyScalar,
    method: PaymentMethod,
    shift_id: ShiftId,
    receipt_no: String,
    recorded_at: DateTime<Utc>,
}

impl MoneyMovement {
    /// The movement a deposit or a refund wrote.
    fn of(stored: Stored) -> GqlResult<MoneyMovement> {
        match stored.event {
            Event::DepositReceived {
                account_id,
                amount,
                method,
                shift_id,
                receipt_no,
                ..
            }
            | Event::BalanceRefunded {
                account_id,
                amount,
                method,
                shift_id,
                receipt_no,
                ..
            } => Ok(MoneyMovement {
                id: stored.event_id,
                account_id,
                amount: amount.money().into(),
                method: method.into(),
                shift_id,
                receipt_no,
                recorded_at: stored.recorded_at,
            }),
            _ => Err(ApiError::Internal("a money movement that is not one".to_owned()).into()),
        }
    }
}

#[Object]
impl MoneyMovement {
    async fn id(&self) -> Uuid {
        self.id
    }
    async fn account(&self, ctx: &Context<'_>) -> GqlResult<Account> {
        account_by_id(ctx, self.account_id).await
    }
    async fn amount(&self) -> MoneyScalar {
        self.amount
    }
    async fn method(&self) -> PaymentMethod {
        self.method
    }
    async fn shift_id(&self) -> Uuid {
        self.shift_id.as_uuid()
    }
    async fn receipt_no(&self) -> &str {
        &self.receipt_no
    }
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.recorded_at
    }
}

/// A deduction by an executing department.
pub struct Deduction(pub DeductionRow);

impl Deduction {
    /// The deduction a `ChargeDeducted` event recorded, as it was recorded (nothing reversed
    /// yet).
    fn recorded(stored: Stored) -> GqlResult<Deduction> {
        match stored.event {
            Event::ChargeDeducted {
                account_id,
                amount,
                department,
                order_id,
                item_code,
                ..
            } => Ok(Deduction(DeductionRow {
                deduction_id: stored.event_id,
                account_id,
                amount: amount.money(),
                reversed: yika_domain::Money::ZERO,
                department,
                order_id,
                item_code,
                executor_id: stored.actor,
                recorded_at: stored.recorded_at,
            })),
            _ => Err(ApiError::Internal("a deduction that is not one".to_owned()).into()),
        }
    }
}

/// A deduction that must be in the views (a command's own write).
async fn deduction(ctx: &Context<'_>, id: DeductionId) -> GqlResult<Deduction> {
    app(ctx)?
        .read
        .deduction(id.as_uuid())
        .await?
        .map(Deduction)
        .ok_or_else(|| ApiError::NotFound(format!("deduction {id} is not in the views yet")).into())
}

#[Object]
impl Deduction {
    async fn id(&self) -> Uuid {
        self.0.deduction_id
    }
    async fn account(&self, ctx: &Context<'_>) -> GqlResult<Account> {
        account_by_id(ctx, self.0.account_id).await
    }
    async fn amount(&self) -> MoneyScalar {
        self.0.amount.into()
    }
    async fn reversed_amount(&self) -> MoneyScalar {
        self.0.reversed.into()
    }
    async fn department(&self) -> &str {
        &self.0.department
    }
    async fn order_id(&self) -> &str {
        &self.0.order_id
    }
    async fn item_code(&self) -> &str {
        &self.0.item_code
    }
    /// The department staff member who executed the service and deducted (every deduction is
    /// made by an authenticated DEPARTMENT).
    async fn executor_id(&self) -> GqlResult<Uuid> {
        self.0.executor_id.map(|s| s.as_uuid()).ok_or_else(|| {
            ApiError::Internal(format!("deduction {} has no executor", self.0.deduction_id)).into()
        })
    }
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.0.recorded_at
    }
}

/// Account queries.
#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// An account by id or by card number (the open account holding it, else the latest).
    async fn account(
        &self,
        ctx: &Context<'_>,
        id: Option<Uuid>,
        card_no: Option<String>,
    ) -> GqlResult<Option<Account>> {
        actor(ctx)?;
        let read = &app(ctx)?.read;
        let row = match (id, card_no) {
            (Some(id), None) => read.account(AccountId(id)).await?,
            (None, Some(card_no)) => {
                // Looked up as it is stored: full-width folded, in upper case.
                let card_no = yika_domain::text::identity("cardNo", &card_no)
                    .map_err(crate::error::ApiError::from)?;
                read.account_by_card_no(&card_no).await?
            }
            _ => {
                return Err(
                    ApiError::Validation("give exactly one of id and cardNo".to_owned()).into(),
                );
            }
        };
        Ok(row.map(Account))
    }

    /// Accounts in the order they were opened, filtered, in pages of at most 200.
    #[graphql(complexity = "page_weight(first, DEFAULT_PAGE) * child_complexity")]
    async fn accounts(
        &self,
        ctx: &Context<'_>,
        filter: Option<AccountFilter>,
        #[graphql(default_with = "Some(DEFAULT_PAGE)")] first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<AccountConnection> {
        let actor = actor(ctx)?;
        let first = page_size(first, DEFAULT_PAGE)?;
        let after = parse_cursor(after.as_deref())?;
        let filter = filter.unwrap_or_default();
        may_list_accounts(actor, filter.patient_id.is_some())?;
        let view_filter = ViewFilter {
            kind: filter.kind.map(Into::into),
            closed: filter.status.map(|s| s == AccountStatus::Closed),
            patient_id: filter.patient_id,
            in_arrears: filter.in_arrears,
        };
        let page = app(ctx)?.read.accounts(&view_filter, first, after).await?;
        let edges: Vec<AccountEdge> = page
            .rows
            .into_iter()
            .map(|(row, cursor)| AccountEdge {
                node: Account(row),
                cursor,
            })
            .collect();
        let end_cursor = edges.last().map(|e| e.cursor.clone());
        Ok(AccountConnection {
            edges,
            page_info: PageInfo {
                has_next_page: page.has_next_page,
                end_cursor,
            },
            total_count: page.total_count,
        })
    }
}

#[derive(InputObject)]
struct OpenAccountInput {
    kind: AccountKind,
    patient_id: String,
    card_no: String,
    /// SELF_PAY when absent or null.
    #[graphql(default_with = "Some(InsuranceScheme::SelfPay)")]
    insurance_scheme: Option<InsuranceScheme>,
    idempotency_key: String,
}

#[derive(InputObject)]
struct DepositInput {
    account_id: Uuid,
    amount: MoneyScalar,
    method: PaymentMethod,
    shift_id: Uuid,
    idempotency_key: String,
    external_ref: Option<String>,
    /// For a back-entry after an outage (补录): when the money crossed the window, within
    /// `--back-entry-hours` and never in a closed day. Needs `backEntryReason`.
    occurred_at: Option<DateTime<Utc>>,
    /// Why the money is entered late (required with `occurredAt`).
    back_entry_reason: Option<String>,
}

#[derive(InputObject)]
struct DeductInput {
    account_id: Uuid,
    amount: MoneyScalar,
    department: String,
    order_id: String,
    item_code: String,
    item_name: Option<String>,
    /// 1 when absent or null.
    #[graphql(default_with = "Some(DEFAULT_QUANTITY)")]
    quantity: Option<i32>,
}

#[derive(InputObject)]
struct ReverseDeductionInput {
    deduction_id: Uuid,
    amount: MoneyScalar,
    reason: ReversalReason,
    idempotency_key: String,
}

/// `amount` null refunds the whole balance.
#[derive(InputObject)]
struct RefundBalanceInput {
    account_id: Uuid,
    amount: Option<MoneyScalar>,
    method: PaymentMethod,
    shift_id: Uuid,
    idempotency_key: String,
    /// The platform's or bank's reference of the payout, for reconciliation.
    external_ref: Option<String>,
    /// For a back-entry after an outage (补录): when the money crossed the window, within
    /// `--back-entry-hours` and never in a closed day. Needs `backEntryReason`.
    occurred_at: Option<DateTime<Utc>>,
    /// Why the money is entered late (required with `occurredAt`).
    back_entry_reason: Option<String>,
}

#[derive(InputObject)]
struct CloseAccountInput {
    account_id: Uuid,
    idempotency_key: String,
}

/// Account commands.
#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// CASHIER: issues a card or opens an inpatient deposit account.
    async fn open_account(&self, ctx: &Context<'_>, input: OpenAccountInput) -> GqlResult<Account> {
        let actor = acting(ctx)?;
        let id = app(ctx)?
            .open_account(
                actor,
                &input.idempotency_key,
                application::OpenAccount {
                    kind: input.kind.into(),
                    patient_id: input.patient_id,
                    card_no: input.card_no,
                    insurance_scheme: input
                        .insurance_scheme
                        .unwrap_or(InsuranceScheme::SelfPay)
                        .into(),
                },
            )
            .await?;
        account_by_id(ctx, id).await
    }

    /// CASHIER, own open shift: takes a deposit.
    async fn deposit(&self, ctx: &Context<'_>, input: DepositInput) -> GqlResult<MoneyMovement> {
        let actor = acting(ctx)?;
        let back_entry =
            super::reports::back_entry(ctx, input.occurred_at, input.back_entry_reason)?;
        let stored = app(ctx)?
            .deposit(
                actor,
                &input.idempotency_key,
                application::Deposit {
                    account_id: AccountId(input.account_id),
                    amount: input.amount.0,
                    method: input.method.into(),
                    shift_id: ShiftId(input.shift_id),
                    external_ref: input.external_ref,
                    back_entry,
                },
            )
            .await?;
        MoneyMovement::of(stored)
    }

    /// DEPARTMENT, for itself: deducts an executed service; idempotent on orderId.
    async fn deduct(&self, ctx: &Context<'_>, input: DeductInput) -> GqlResult<Deduction> {
        let actor = acting(ctx)?;
        let stored = app(ctx)?
            .deduct(
                actor,
                application::Deduct {
                    account_id: AccountId(input.account_id),
                    amount: input.amount.0,
                    department: input.department,
                    order_id: input.order_id,
                    item_code: input.item_code,
                    item_name: input.item_name,
                    quantity: i64::from(input.quantity.unwrap_or(DEFAULT_QUANTITY)),
                },
            )
            .await?;
        // The answer is the deduction as recorded (a retried order: the first one as recorded).
        Deduction::recorded(stored)
    }

    /// DEPARTMENT that deducted: gives back (part of) a deduction.
    async fn reverse_deduction(
        &self,
        ctx: &Context<'_>,
        input: ReverseDeductionInput,
    ) -> GqlResult<Deduction> {
        let actor = acting(ctx)?;
        let id = app(ctx)?
            .reverse(
                actor,
                &input.idempotency_key,
                application::Reverse {
                    deduction_id: DeductionId(input.deduction_id),
                    amount: input.amount.0,
                    reason: input.reason.into(),
                },
            )
            .await?;
        deduction(ctx, id).await
    }

    /// CASHIER, own open shift: pays out the balance (all of it when amount is null).
    async fn refund_balance(
        &self,
        ctx: &Context<'_>,
        input: RefundBalanceInput,
    ) -> GqlResult<MoneyMovement> {
        let actor = acting(ctx)?;
        let stored = app(ctx)?
            .refund(
                actor,
                &input.idempotency_key,
                application::Refund {
                    account_id: AccountId(input.account_id),
                    amount: input.amount.map(|a| a.0),
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
        MoneyMovement::of(stored)
    }

    /// CASHIER: closes an account at zero balance.
    async fn close_account(
        &self,
        ctx: &Context<'_>,
        input: CloseAccountInput,
    ) -> GqlResult<Account> {
        let actor = acting(ctx)?;
        let id = AccountId(input.account_id);
        app(ctx)?
            .close_account(actor, &input.idempotency_key, id)
            .await?;
        account_by_id(ctx, id).await
    }
}
