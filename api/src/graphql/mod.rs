//! The GraphQL schema: the contract's queries and mutations over the application layer.

pub mod live;
pub mod reports;
pub mod scalars;
pub mod types;
pub mod workload;

use async_graphql::{Context, InputObject, MergedObject, Object, Schema};
use uuid::Uuid;
use yika_domain::{AccountId, DeductionId, Event, ShiftId, StaffId};
use yika_projections::read::{AccountFilter as ViewFilter, MAX_PAGE};

use crate::app::{self, Actor, App};
use crate::error::{ApiError, GqlResult};
use scalars::{
    AccountKind, AccountStatus, InsuranceScheme, MoneyScalar, PaymentMethod, ReversalReason, Role,
};
use types::{
    Account, AccountConnection, AccountEdge, CashCount, Deduction, MoneyMovement, PageInfo, Shift,
    Staff, StaffToken,
};

/// The served schema.
pub type YikaSchema = Schema<Query, Mutation, live::Live>;

/// The deepest query accepted.
pub const MAX_DEPTH: usize = 12;
/// The most complex query accepted: fields counted, a page's selection counted once per item
/// it may hold (`first`), so pages nested in pages are refused.
pub const MAX_COMPLEXITY: usize = 10_000;

/// Builds the schema; `app` is `None` only to export the SDL.
#[must_use]
pub fn schema(app: Option<App>, calendar: reports::Calendar) -> YikaSchema {
    let builder = Schema::build(Query::default(), Mutation::default(), live::Live)
        .data(calendar)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY);
    match app {
        Some(app) => builder.data(app).finish(),
        None => builder.finish(),
    }
}

/// The caller, as found from the request's bearer token.
#[derive(Debug, Clone)]
pub enum Caller {
    /// No Authorization header.
    Anonymous,
    /// A token that matches no staff member.
    Invalid,
    /// An authenticated staff member.
    Staff(Actor),
}

pub(crate) fn app<'a>(ctx: &Context<'a>) -> GqlResult<&'a App> {
    ctx.data::<App>()
        .map_err(|_| ApiError::Internal("no application in the schema".to_owned()).into())
}

pub(crate) fn actor<'a>(ctx: &Context<'a>) -> GqlResult<&'a Actor> {
    match ctx.data::<Caller>() {
        Ok(Caller::Staff(actor)) => Ok(actor),
        _ => Err(ApiError::Unauthenticated.into()),
    }
}

/// The page size of accounts and shifts when `first` is absent or null.
pub(crate) const DEFAULT_PAGE: i32 = 50;
/// The page size of auditTrail and statements when `first` is absent or null.
pub(crate) const DEFAULT_EVENT_PAGE: i32 = 100;
/// A deduction's quantity when absent or null.
const DEFAULT_QUANTITY: i32 = 1;

/// The weight of a page's selection in the query's complexity: the items it may hold.
pub(crate) fn page_weight(first: Option<i32>, default: i32) -> usize {
    usize::try_from(first.unwrap_or(default)).map_or(1, |n| n.clamp(1, MAX_PAGE))
}

/// Checks a page size against the limit; an absent or null `first` is the field's default
/// (the contract's `first: Int = N` is nullable, so a client may pass a null variable).
pub(crate) fn page_size(first: Option<i32>, default: i32) -> GqlResult<usize> {
    let first = first.unwrap_or(default);
    let first = usize::try_from(first)
        .map_err(|_| ApiError::Validation("first must not be negative".to_owned()))?;
    if first > MAX_PAGE {
        return Err(ApiError::LimitExceeded(format!("first may be at most {MAX_PAGE}")).into());
    }
    Ok(first)
}

/// Parses an opaque cursor from a previous page.
pub(crate) fn parse_cursor(cursor: Option<&str>) -> GqlResult<Option<i64>> {
    cursor
        .map(|c| {
            c.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| ApiError::Validation(format!("bad cursor {c:?}")).into())
        })
        .transpose()
}

/// Read access to shift reports: the cashier's own, or finance and audit roles.
pub(crate) fn may_read_shift(actor: &Actor, cashier: StaffId) -> bool {
    actor.staff_id == cashier || reports::is_finance(actor)
}

/// Filters of `accounts`.
#[derive(InputObject, Default)]
pub struct AccountFilter {
    kind: Option<AccountKind>,
    status: Option<AccountStatus>,
    patient_id: Option<String>,
    in_arrears: Option<bool>,
}

/// Read side: the core ledger's queries and finance's reports.
#[derive(MergedObject, Default)]
pub struct Query(CoreQuery, reports::ReportQuery, workload::WorkloadQuery);

/// Accounts, staff and single shifts.
#[derive(Default)]
pub struct CoreQuery;

#[Object]
impl CoreQuery {
    /// The authenticated staff member.
    async fn me(&self, ctx: &Context<'_>) -> GqlResult<Staff> {
        let actor = actor(ctx)?;
        types::staff_by_id(ctx, actor.staff_id)
            .await?
            .ok_or(ApiError::Unauthenticated.into())
    }

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
            (None, Some(card_no)) => read.account_by_card_no(&card_no).await?,
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
        actor(ctx)?;
        let first = page_size(first, DEFAULT_PAGE)?;
        let after = parse_cursor(after.as_deref())?;
        let filter = filter.unwrap_or_default();
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

    /// A shift report: the cashier's own, or any for finance and audit roles.
    async fn shift(&self, ctx: &Context<'_>, id: Uuid) -> GqlResult<Option<Shift>> {
        let actor = actor(ctx)?;
        let row = app(ctx)?.read.shift(ShiftId(id)).await?;
        match row {
            Some(row) if !may_read_shift(actor, row.cashier_id) => {
                Err(ApiError::Forbidden("not your shift".to_owned()).into())
            }
            other => Ok(other.map(Shift)),
        }
    }
}

#[derive(InputObject)]
struct RegisterStaffInput {
    staff_no: String,
    name: String,
    role: Role,
    department: Option<String>,
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
}

#[derive(InputObject)]
struct CloseAccountInput {
    account_id: Uuid,
    idempotency_key: String,
}

#[derive(InputObject)]
struct OpenShiftInput {
    window: String,
    opening_float: MoneyScalar,
    idempotency_key: String,
}

#[derive(InputObject)]
struct MethodAmountInput {
    method: PaymentMethod,
    amount: MoneyScalar,
}

/// A blind count per tender: cash counted, the other tenders' totals read off the terminals.
#[derive(InputObject)]
struct CloseShiftInput {
    shift_id: Uuid,
    counted_cash: MoneyScalar,
    counted_other: Option<Vec<MethodAmountInput>>,
}

/// A discharge settlement: the scheme's share is supplied by the insurance centre.
#[derive(InputObject)]
struct SettleDischargeInput {
    account_id: Uuid,
    insurance_scheme: InsuranceScheme,
    insurance_pays: MoneyScalar,
    method: PaymentMethod,
    shift_id: Uuid,
    idempotency_key: String,
}

/// A discharge settlement (出院结算).
struct Settlement {
    id: Uuid,
    account_id: AccountId,
    total_charges: yika_domain::Money,
    insurance_pays: yika_domain::Money,
    deposits_applied: yika_domain::Money,
    patient_pays: yika_domain::Money,
    patient_receives: yika_domain::Money,
    receipt_no: String,
    manual: bool,
}

#[Object]
impl Settlement {
    async fn id(&self) -> Uuid {
        self.id
    }
    async fn account(&self, ctx: &Context<'_>) -> GqlResult<Account> {
        types::account_by_id(ctx, self.account_id).await
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

/// A count of a drawer: by an AUDITOR (surprise) or the shift's CASHIER (routine).
#[derive(InputObject)]
struct CashCountInput {
    shift_id: Uuid,
    counted_cash: MoneyScalar,
    note: Option<String>,
}

/// A CONTROLLER receives a closed shift's cash.
#[derive(InputObject)]
struct HandOverInput {
    shift_id: Uuid,
    amount: MoneyScalar,
}

/// The cashier voids the next receipt number of their open shift (a spoiled form).
#[derive(InputObject)]
struct VoidReceiptInput {
    shift_id: Uuid,
    reason: String,
}

/// The most tenders a blind count lists.
const MAX_COUNTED_OTHER: usize = 16;

fn movement(written: &app::Written) -> GqlResult<MoneyMovement> {
    written
        .events
        .iter()
        .find_map(|(recorded, event)| match event {
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
            } => Some(MoneyMovement {
                id: recorded.event_id,
                account_id: *account_id,
                amount: amount.money().into(),
                method: (*method).into(),
                shift_id: *shift_id,
                receipt_no: receipt_no.clone(),
                recorded_at: recorded.recorded_at,
            }),
            _ => None,
        })
        .ok_or_else(|| {
            ApiError::Internal("no money movement among the written events".to_owned()).into()
        })
}

async fn deduction(ctx: &Context<'_>, id: DeductionId) -> GqlResult<Deduction> {
    app(ctx)?
        .read
        .deduction(id.as_uuid())
        .await?
        .map(Deduction)
        .ok_or_else(|| ApiError::NotFound(format!("deduction {id} is not in the views yet")).into())
}

async fn shift_view(ctx: &Context<'_>, id: ShiftId) -> GqlResult<Shift> {
    app(ctx)?
        .read
        .shift(id)
        .await?
        .map(Shift)
        .ok_or_else(|| ApiError::NotFound(format!("shift {id} is not in the views yet")).into())
}

/// Write side. Every refusal carries `extensions.code` and writes nothing.
#[derive(MergedObject, Default)]
pub struct Mutation(CoreMutation, workload::WorkloadMutation);

/// The ledger's commands.
#[derive(Default)]
pub struct CoreMutation;

#[Object]
impl CoreMutation {
    /// ADMIN: registers a staff member; the token is shown once.
    async fn register_staff(
        &self,
        ctx: &Context<'_>,
        input: RegisterStaffInput,
    ) -> GqlResult<StaffToken> {
        let actor = actor(ctx)?;
        let (written, token) = app(ctx)?
            .register_staff(
                Some(actor),
                app::RegisterStaff {
                    staff_no: input.staff_no,
                    name: input.name,
                    role: input.role.into(),
                    department: input.department,
                },
            )
            .await?;
        let staff_id = written.events.iter().find_map(|(_, e)| match e {
            Event::StaffRegistered { staff_id, .. } => Some(*staff_id),
            _ => None,
        });
        let staff = match staff_id {
            Some(id) => types::staff_by_id(ctx, id).await?,
            None => None,
        };
        let staff = staff
            .ok_or_else(|| ApiError::Internal("registered staff not in the views".to_owned()))?;
        Ok(StaffToken { staff, token })
    }

    /// CASHIER: issues a card or opens an inpatient deposit account.
    async fn open_account(&self, ctx: &Context<'_>, input: OpenAccountInput) -> GqlResult<Account> {
        let actor = actor(ctx)?;
        let id = app(ctx)?
            .open_account(
                actor,
                &input.idempotency_key,
                app::OpenAccount {
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
        types::account_by_id(ctx, id).await
    }

    /// CASHIER, own open shift: takes a deposit.
    async fn deposit(&self, ctx: &Context<'_>, input: DepositInput) -> GqlResult<MoneyMovement> {
        let actor = actor(ctx)?;
        let written = app(ctx)?
            .deposit(
                actor,
                &input.idempotency_key,
                app::Deposit {
                    account_id: AccountId(input.account_id),
                    amount: input.amount.0,
                    method: input.method.into(),
                    shift_id: ShiftId(input.shift_id),
                    external_ref: input.external_ref,
                },
            )
            .await?;
        movement(&written)
    }

    /// DEPARTMENT, for itself: deducts an executed service; idempotent on orderId.
    async fn deduct(&self, ctx: &Context<'_>, input: DeductInput) -> GqlResult<Deduction> {
        let actor = actor(ctx)?;
        let written = app(ctx)?
            .deduct(
                actor,
                app::Deduct {
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
        let id = written
            .events
            .iter()
            .find_map(|(_, e)| match e {
                Event::ChargeDeducted { deduction_id, .. } => Some(*deduction_id),
                _ => None,
            })
            .ok_or_else(|| {
                ApiError::Internal("no deduction among the written events".to_owned())
            })?;
        deduction(ctx, id).await
    }

    /// DEPARTMENT that deducted: gives back (part of) a deduction.
    async fn reverse_deduction(
        &self,
        ctx: &Context<'_>,
        input: ReverseDeductionInput,
    ) -> GqlResult<Deduction> {
        let actor = actor(ctx)?;
        let id = app(ctx)?
            .reverse(
                actor,
                &input.idempotency_key,
                app::Reverse {
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
        let actor = actor(ctx)?;
        let written = app(ctx)?
            .refund(
                actor,
                &input.idempotency_key,
                app::Refund {
                    account_id: AccountId(input.account_id),
                    amount: input.amount.map(|a| a.0),
                    method: input.method.into(),
                    shift_id: ShiftId(input.shift_id),
                },
            )
            .await?;
        movement(&written)
    }

    /// CASHIER: closes an account at zero balance.
    async fn close_account(
        &self,
        ctx: &Context<'_>,
        input: CloseAccountInput,
    ) -> GqlResult<Account> {
        let actor = actor(ctx)?;
        let id = AccountId(input.account_id);
        app(ctx)?
            .close_account(actor, &input.idempotency_key, id)
            .await?;
        types::account_by_id(ctx, id).await
    }

    /// CASHIER: opens a shift with a float; one open shift per cashier.
    async fn open_shift(&self, ctx: &Context<'_>, input: OpenShiftInput) -> GqlResult<Shift> {
        let actor = actor(ctx)?;
        let id = app(ctx)?
            .open_shift(
                actor,
                &input.idempotency_key,
                &input.window,
                input.opening_float.0,
            )
            .await?;
        shift_view(ctx, id).await
    }

    /// CASHIER who owns it: closes the shift with a blind count.
    async fn close_shift(&self, ctx: &Context<'_>, input: CloseShiftInput) -> GqlResult<Shift> {
        let actor = actor(ctx)?;
        let other = input.counted_other.unwrap_or_default();
        if other.len() > MAX_COUNTED_OTHER {
            return Err(ApiError::LimitExceeded(format!(
                "countedOther lists at most {MAX_COUNTED_OTHER} tenders"
            ))
            .into());
        }
        let other = other
            .into_iter()
            .map(|m| (m.method.into(), m.amount.0))
            .collect();
        let id = ShiftId(input.shift_id);
        app(ctx)?
            .close_shift(actor, id, input.counted_cash.0, other)
            .await?;
        shift_view(ctx, id).await
    }

    /// CASHIER, own open shift: settles an inpatient stay at discharge; the account ends at 0.00.
    async fn settle_discharge(
        &self,
        ctx: &Context<'_>,
        input: SettleDischargeInput,
    ) -> GqlResult<Settlement> {
        let actor = actor(ctx)?;
        let written = app(ctx)?
            .settle_discharge(
                actor,
                &input.idempotency_key,
                app::SettleDischarge {
                    account_id: AccountId(input.account_id),
                    insurance_scheme: input.insurance_scheme.into(),
                    insurance_pays: input.insurance_pays.0,
                    method: input.method.into(),
                    shift_id: ShiftId(input.shift_id),
                },
            )
            .await?;
        let settlement = written
            .events
            .iter()
            .find_map(|(recorded, event)| match event {
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
                } => Some(Settlement {
                    id: recorded.event_id,
                    account_id: *account_id,
                    total_charges: *total_charges,
                    insurance_pays: *insurance_pays,
                    deposits_applied: *deposits_applied,
                    patient_pays: *patient_pays,
                    patient_receives: *patient_receives,
                    receipt_no: receipt_no.clone(),
                    manual: *manual,
                }),
                _ => None,
            });
        Ok(settlement.ok_or_else(|| {
            ApiError::Internal("no settlement among the written events".to_owned())
        })?)
    }

    /// AUDITOR (surprise count, 突击盘点) or the shift's CASHIER (routine count): counts the
    /// drawer; the answer carries what it should hold and the variance.
    async fn record_cash_count(
        &self,
        ctx: &Context<'_>,
        input: CashCountInput,
    ) -> GqlResult<CashCount> {
        let actor = actor(ctx)?;
        let id = ShiftId(input.shift_id);
        app(ctx)?
            .record_cash_count(actor, id, input.counted_cash.0, input.note)
            .await?;
        let shift = shift_view(ctx, id).await?;
        let count = shift.0.cash_counts.last().cloned();
        Ok(CashCount(count.ok_or_else(|| {
            ApiError::Internal("count not in the views".to_owned())
        })?))
    }

    /// CONTROLLER: receives a closed shift's cash for finance (上交财务).
    async fn hand_over_shift(&self, ctx: &Context<'_>, input: HandOverInput) -> GqlResult<Shift> {
        let actor = actor(ctx)?;
        let id = ShiftId(input.shift_id);
        app(ctx)?.hand_over(actor, id, input.amount.0).await?;
        shift_view(ctx, id).await
    }

    /// CASHIER who owns it: voids the next receipt number of the open shift, with a reason.
    async fn void_receipt(&self, ctx: &Context<'_>, input: VoidReceiptInput) -> GqlResult<Shift> {
        let actor = actor(ctx)?;
        let id = ShiftId(input.shift_id);
        app(ctx)?.void_receipt(actor, id, &input.reason).await?;
        shift_view(ctx, id).await
    }
}
