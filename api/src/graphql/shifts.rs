//! Shifts and receipts: shift reports (`shift`, `shifts`) and the cashier's, the auditor's and
//! the controller's commands on a shift.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;
use yika_domain::{Role, ShiftId, StaffId};
use yika_projections::{CashCountRow, ShiftRow};

use super::answer::acting;
use super::context::{actor, app, calendar};
use super::page::{DEFAULT_PAGE, PageInfo, page_size, page_weight, parse_cursor};
use super::scalars::{DateScalar, MoneyScalar, PaymentMethod, ShiftStatus, VarianceResolution};
use super::staff::{Staff, known_staff, staff_by_id};
use crate::auth::{is_finance, may_read_shift};
use crate::error::{ApiError, GqlResult};

/// The most tenders a blind count lists.
const MAX_COUNTED_OTHER: usize = 16;

/// An amount per payment method.
#[derive(SimpleObject)]
pub struct MethodAmount {
    /// Method.
    pub method: PaymentMethod,
    /// Amount.
    pub amount: MoneyScalar,
}

/// A count of a drawer: variance = counted − expected (negative is short 短款, positive over 长款).
pub struct CashCount(pub CashCountRow);

#[Object]
impl CashCount {
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    async fn counted_cash(&self) -> MoneyScalar {
        self.0.counted.into()
    }
    /// What the drawer should have held at that moment.
    async fn expected_cash(&self) -> MoneyScalar {
        self.0.expected.into()
    }
    /// counted − expected.
    async fn variance(&self) -> MoneyScalar {
        (self.0.counted - self.0.expected).into()
    }
    async fn counted_by(&self, ctx: &Context<'_>) -> GqlResult<Staff> {
        known_staff(ctx, self.0.counted_by, "count").await
    }
    /// A surprise count (突击盘点) by an auditor; false for the cashier's routine count.
    async fn surprise(&self) -> bool {
        self.0.surprise
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
}

/// A cashier's shift report.
pub struct Shift(pub ShiftRow);

#[Object]
impl Shift {
    async fn id(&self) -> Uuid {
        self.0.shift_id.as_uuid()
    }
    async fn cashier(&self, ctx: &Context<'_>) -> GqlResult<Staff> {
        known_staff(ctx, self.0.cashier_id, "shift").await
    }
    async fn window(&self) -> &str {
        &self.0.window
    }
    async fn status(&self) -> ShiftStatus {
        match self.0.status.as_str() {
            "OPEN" => ShiftStatus::Open,
            "HANDED_OVER" => ShiftStatus::HandedOver,
            _ => ShiftStatus::Closed,
        }
    }
    async fn opened_at(&self) -> DateTime<Utc> {
        self.0.opened_at
    }
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.0.closed_at
    }
    async fn opening_float(&self) -> MoneyScalar {
        self.0.opening_float.into()
    }
    /// Money received, per method.
    async fn received(&self) -> Vec<MethodAmount> {
        self.0
            .methods
            .iter()
            .filter(|m| !m.received.is_zero())
            .map(|m| MethodAmount {
                method: m.method.into(),
                amount: m.received.into(),
            })
            .collect()
    }
    /// Money paid out, per method.
    async fn paid_out(&self) -> Vec<MethodAmount> {
        self.0
            .methods
            .iter()
            .filter(|m| !m.paid_out.is_zero())
            .map(|m| MethodAmount {
                method: m.method.into(),
                amount: m.paid_out.into(),
            })
            .collect()
    }
    /// The other tenders' totals read off the terminals at close (blind count).
    async fn counted_other(&self) -> Vec<MethodAmount> {
        self.0
            .methods
            .iter()
            .filter_map(|m| {
                m.counted.map(|counted| MethodAmount {
                    method: m.method.into(),
                    amount: counted.into(),
                })
            })
            .collect()
    }
    /// Float + cash received − cash paid out.
    async fn expected_cash(&self) -> MoneyScalar {
        self.0.expected_cash().into()
    }
    /// Cash counted at close (blind count).
    async fn counted_cash(&self) -> Option<MoneyScalar> {
        self.0.counted_cash.map(Into::into)
    }
    /// counted − expected at close.
    async fn variance(&self) -> Option<MoneyScalar> {
        self.0.variance().map(Into::into)
    }
    /// Cash handed over to finance (上交财务).
    async fn handed_over(&self) -> Option<MoneyScalar> {
        self.0.handed_over.map(Into::into)
    }
    /// What finance received minus what the drawer was counted at when it closed (negative:
    /// less was handed over than counted; flagged HANDOVER_DIFFERS_FROM_COUNT unless 0.00).
    async fn hand_over_variance(&self) -> Option<MoneyScalar> {
        match (self.0.handed_over, self.0.counted_cash) {
            (Some(handed), Some(counted)) => Some((handed - counted).into()),
            _ => None,
        }
    }
    /// The cash the cashier declared they hand over (交接, the cashier's half).
    async fn declared_cash(&self) -> Option<MoneyScalar> {
        self.0.declared_cash.map(Into::into)
    }
    /// The other tenders the cashier declared they hand over.
    async fn declared_other(&self) -> Vec<MethodAmount> {
        self.0
            .methods
            .iter()
            .filter_map(|m| {
                m.declared.map(|declared| MethodAmount {
                    method: m.method.into(),
                    amount: declared.into(),
                })
            })
            .collect()
    }
    /// Declared cash minus the cash counted at close.
    async fn declared_variance(&self) -> Option<MoneyScalar> {
        match (self.0.declared_cash, self.0.counted_cash) {
            (Some(declared), Some(counted)) => Some((declared - counted).into()),
            _ => None,
        }
    }
    /// What finance received minus what the cashier declared.
    async fn received_variance(&self) -> Option<MoneyScalar> {
        match (self.0.handed_over, self.0.declared_cash) {
            (Some(received), Some(declared)) => Some((received - declared).into()),
            _ => None,
        }
    }
    /// How the cash variance was resolved (null while it is open, or when there is none).
    async fn variance_resolution(&self) -> Option<VarianceResolution> {
        match self.0.variance_resolution.as_deref() {
            Some("CASHIER_REPAYS") => Some(VarianceResolution::CashierRepays),
            Some("WRITTEN_OFF") => Some(VarianceResolution::WrittenOff),
            Some("FOUND") => Some(VarianceResolution::Found),
            _ => None,
        }
    }
    /// The controller's note on the variance's resolution.
    async fn variance_note(&self) -> Option<&str> {
        self.0.variance_note.as_deref()
    }
    /// True when the shift closed more than the configured hours ago (`--hand-over-hours`,
    /// default 24) and is not yet handed over by both parties.
    async fn hand_over_overdue(&self, ctx: &Context<'_>) -> bool {
        let within = calendar(ctx).hand_over_within;
        self.0.status == "CLOSED"
            && self
                .0
                .closed_at
                .is_some_and(|closed| Utc::now() - closed > within)
    }
    /// The controller who received the hand-over.
    async fn handed_over_to(&self, ctx: &Context<'_>) -> GqlResult<Option<Staff>> {
        match self.0.handed_over_to {
            Some(id) => staff_by_id(ctx, id).await,
            None => Ok(None),
        }
    }
    async fn transaction_count(&self) -> i64 {
        self.0.transaction_count
    }
    async fn receipts_issued(&self) -> i64 {
        self.0.receipts_issued
    }
    async fn receipts_voided(&self) -> i64 {
        self.0.receipts_voided
    }
    /// Receipt numbers missing between the first and last number the shift used: findings.
    async fn receipt_gaps(&self) -> &[String] {
        &self.0.receipt_gaps
    }
    /// Still open past the first settlement time (结账, default 17:30 local) after it opened.
    async fn overdue(&self, ctx: &Context<'_>) -> bool {
        self.0.status == "OPEN" && Utc::now() > calendar(ctx).settlement_after(self.0.opened_at)
    }
    /// Why this shift needs a look: NIGHT_SHIFT_ALONE (opened between 20:00 and 06:00 local
    /// with no other cashier's shift overlapping it), HANDOVER_DIFFERS_FROM_COUNT (finance
    /// received another amount than the drawer was counted at when it closed).
    async fn review_reasons(&self, ctx: &Context<'_>) -> GqlResult<Vec<String>> {
        review_reasons(ctx, &self.0).await
    }
    /// True when there is any review reason.
    async fn flagged_for_review(&self, ctx: &Context<'_>) -> GqlResult<bool> {
        Ok(!review_reasons(ctx, &self.0).await?.is_empty())
    }
    /// Surprise and routine counts, oldest first.
    async fn cash_counts(&self) -> Vec<CashCount> {
        self.0.cash_counts.iter().cloned().map(CashCount).collect()
    }
}

async fn review_reasons(ctx: &Context<'_>, shift: &ShiftRow) -> GqlResult<Vec<String>> {
    let mut reasons = Vec::new();
    if calendar(ctx).is_night(shift.opened_at) {
        let until = shift.closed_at.unwrap_or_else(Utc::now);
        if app(ctx)?.read.overlapping_shifts(shift, until).await? == 0 {
            reasons.push("NIGHT_SHIFT_ALONE".to_owned());
        }
    }
    if let (Some(handed), Some(counted)) = (shift.handed_over, shift.counted_cash)
        && handed != counted
    {
        reasons.push("HANDOVER_DIFFERS_FROM_COUNT".to_owned());
    }
    Ok(reasons)
}

/// A shift that must be in the views (a command's own write).
pub(crate) async fn shift_view(ctx: &Context<'_>, id: ShiftId) -> GqlResult<Shift> {
    app(ctx)?
        .read
        .shift(id)
        .await?
        .map(Shift)
        .ok_or_else(|| ApiError::NotFound(format!("shift {id} is not in the views yet")).into())
}

/// Filters of `shifts`.
#[derive(InputObject, Default)]
pub struct ShiftFilter {
    cashier_id: Option<Uuid>,
    window: Option<String>,
    /// Shifts opened on this local day.
    date: Option<DateScalar>,
    status: Option<ShiftStatus>,
}

/// A shift and its cursor.
#[derive(SimpleObject)]
pub struct ShiftEdge {
    /// The shift.
    pub node: Shift,
    /// Its cursor.
    pub cursor: String,
}

/// A page of shifts.
#[derive(SimpleObject)]
pub struct ShiftConnection {
    /// The shifts.
    pub edges: Vec<ShiftEdge>,
    /// Paging.
    pub page_info: PageInfo,
    /// Shifts matching the filter in all pages.
    pub total_count: i64,
}

/// Shift queries.
#[derive(Default)]
pub struct ShiftQuery;

#[Object]
impl ShiftQuery {
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

    /// Shift reports, in the order they were opened. A cashier sees only their own shifts.
    #[graphql(complexity = "page_weight(first, DEFAULT_PAGE) * child_complexity")]
    async fn shifts(
        &self,
        ctx: &Context<'_>,
        filter: Option<ShiftFilter>,
        #[graphql(default_with = "Some(DEFAULT_PAGE)")] first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<ShiftConnection> {
        let actor = actor(ctx)?;
        let first = page_size(first, DEFAULT_PAGE)?;
        let after = parse_cursor(after.as_deref())?;
        let filter = filter.unwrap_or_default();
        let cashier_id = match (is_finance(actor), actor.role) {
            (true, _) => filter.cashier_id.map(StaffId),
            (false, Role::Cashier) => {
                if filter
                    .cashier_id
                    .is_some_and(|c| c != actor.staff_id.as_uuid())
                {
                    return Err(ApiError::Forbidden(
                        "a cashier sees only their own shifts".to_owned(),
                    )
                    .into());
                }
                Some(actor.staff_id)
            }
            (false, _) => {
                return Err(ApiError::Forbidden(
                    "shift reports are for cashiers and finance".to_owned(),
                )
                .into());
            }
        };
        let status = match filter.status {
            None => None,
            Some(ShiftStatus::Open) => Some("OPEN".to_owned()),
            Some(ShiftStatus::Closed) => Some("CLOSED".to_owned()),
            Some(ShiftStatus::HandedOver) => Some("HANDED_OVER".to_owned()),
        };
        let view_filter = yika_projections::ShiftFilter {
            cashier_id,
            window: filter.window,
            status,
            opened_between: filter.date.map(|d| calendar(ctx).day(d.0)),
        };
        let page = app(ctx)?.read.shifts(&view_filter, first, after).await?;
        let edges: Vec<ShiftEdge> = page
            .rows
            .into_iter()
            .map(|(row, cursor)| ShiftEdge {
                node: Shift(row),
                cursor,
            })
            .collect();
        let end_cursor = edges.last().map(|e| e.cursor.clone());
        Ok(ShiftConnection {
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
struct OpenShiftInput {
    window: String,
    opening_float: MoneyScalar,
    idempotency_key: String,
}

#[derive(InputObject)]
pub(crate) struct MethodAmountInput {
    pub(crate) method: PaymentMethod,
    pub(crate) amount: MoneyScalar,
}

/// A blind count per tender: cash counted, the other tenders' totals read off the terminals.
#[derive(InputObject)]
struct CloseShiftInput {
    shift_id: Uuid,
    counted_cash: MoneyScalar,
    counted_other: Option<Vec<MethodAmountInput>>,
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

/// Shift commands.
#[derive(Default)]
pub struct ShiftMutation;

#[Object]
impl ShiftMutation {
    /// CASHIER: opens a shift with a float; one open shift per cashier.
    async fn open_shift(&self, ctx: &Context<'_>, input: OpenShiftInput) -> GqlResult<Shift> {
        let actor = acting(ctx)?;
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
        let actor = acting(ctx)?;
        let other = tenders("countedOther", input.counted_other)?;
        let id = ShiftId(input.shift_id);
        app(ctx)?
            .close_shift(actor, id, input.counted_cash.0, other)
            .await?;
        shift_view(ctx, id).await
    }

    /// AUDITOR (surprise count, 突击盘点) or the shift's CASHIER (routine count): counts the
    /// drawer; the answer carries what it should hold and the variance.
    async fn record_cash_count(
        &self,
        ctx: &Context<'_>,
        input: CashCountInput,
    ) -> GqlResult<CashCount> {
        let actor = acting(ctx)?;
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
        let actor = acting(ctx)?;
        let id = ShiftId(input.shift_id);
        app(ctx)?.hand_over(actor, id, input.amount.0).await?;
        shift_view(ctx, id).await
    }

    /// CASHIER who owns it: voids the next receipt number of the open shift, with a reason.
    async fn void_receipt(&self, ctx: &Context<'_>, input: VoidReceiptInput) -> GqlResult<Shift> {
        let actor = acting(ctx)?;
        let id = ShiftId(input.shift_id);
        app(ctx)?.void_receipt(actor, id, &input.reason).await?;
        shift_view(ctx, id).await
    }
}

/// A list of tenders as the domain takes it, at most [`MAX_COUNTED_OTHER`] of them.
pub(crate) fn tenders(
    field: &str,
    listed: Option<Vec<MethodAmountInput>>,
) -> GqlResult<Vec<(yika_domain::PaymentMethod, yika_domain::Money)>> {
    let listed = listed.unwrap_or_default();
    if listed.len() > MAX_COUNTED_OTHER {
        return Err(ApiError::LimitExceeded(format!(
            "{field} lists at most {MAX_COUNTED_OTHER} tenders"
        ))
        .into());
    }
    Ok(listed
        .into_iter()
        .map(|m| (m.method.into(), m.amount.0))
        .collect())
}
