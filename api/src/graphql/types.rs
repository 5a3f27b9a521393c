//! The contract's output types, resolved from the read store (and, for statements, the log).

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;
use yika_domain::{AccountId, ShiftId, StaffId};
use yika_projections::{AccountRow, CashCountRow, DeductionRow, ShiftRow, StaffRow};
use yika_store::RecordedEvent;

use super::scalars::{
    AccountKind, AccountStatus, InsuranceScheme, MoneyScalar, PaymentMethod, Role, ShiftStatus,
};
use super::{app, page_size, parse_cursor};
use crate::error::{ApiError, GqlResult};

/// A staff member.
pub struct Staff(pub StaffRow);

#[Object]
impl Staff {
    async fn id(&self) -> Uuid {
        self.0.staff_id.as_uuid()
    }
    async fn staff_no(&self) -> &str {
        &self.0.staff_no
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn role(&self) -> Role {
        self.0.role.into()
    }
    async fn department(&self) -> Option<&str> {
        self.0.department.as_deref()
    }
}

pub(super) async fn staff_by_id(ctx: &Context<'_>, staff_id: StaffId) -> GqlResult<Option<Staff>> {
    Ok(app(ctx)?.read.staff(staff_id).await?.map(Staff))
}

/// A new staff member and their token, which is shown this once and stored only as a hash.
#[derive(SimpleObject)]
pub struct StaffToken {
    /// The staff member.
    pub staff: Staff,
    /// The bearer token.
    pub token: String,
}

/// A patient account, from the balances view.
pub struct Account(pub AccountRow);

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
    async fn patient_id(&self) -> &str {
        &self.0.patient_id
    }
    async fn card_no(&self) -> &str {
        &self.0.card_no
    }
    async fn insurance_scheme(&self) -> InsuranceScheme {
        self.0.insurance_scheme.into()
    }
    async fn balance(&self) -> MoneyScalar {
        self.0.balance.into()
    }
    async fn deposited(&self) -> MoneyScalar {
        self.0.deposited.into()
    }
    async fn deducted(&self) -> MoneyScalar {
        self.0.deducted.into()
    }
    async fn reversed(&self) -> MoneyScalar {
        self.0.reversed.into()
    }
    async fn refunded(&self) -> MoneyScalar {
        self.0.refunded.into()
    }
    /// True when the balance is below zero (inpatient accounts only).
    async fn in_arrears(&self) -> bool {
        self.0.balance.is_negative()
    }
    async fn last_activity_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_activity_at
    }
    /// The account stream's revision (number of events).
    async fn revision(&self) -> i64 {
        self.0.revision
    }
    /// The account's events, oldest first, from the event log itself. Finance and audit roles,
    /// and a CASHIER (who prints it for the patient at the window, decision 0021); a DEPARTMENT
    /// may not read what other departments charged.
    #[graphql(
        complexity = "super::page_weight(first, super::DEFAULT_EVENT_PAGE) * child_complexity"
    )]
    async fn statement(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(super::DEFAULT_EVENT_PAGE)")] first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<EventConnection> {
        let actor = super::actor(ctx)?;
        if !(super::reports::is_finance(actor) || actor.role == yika_domain::Role::Cashier) {
            return Err(ApiError::Forbidden(
                "a statement is for finance and audit roles and cashiers".to_owned(),
            )
            .into());
        }
        let first = page_size(first, super::DEFAULT_EVENT_PAGE)?;
        let after = parse_cursor(after.as_deref())?.unwrap_or(0);
        let app = app(ctx)?;
        let stream = yika_domain::ids::streams::account(self.0.account_id);
        let mut events = app
            .store
            .read_stream(&stream, u64::try_from(after).unwrap_or(0), first + 1)
            .await?;
        let has_next_page = events.len() > first;
        events.truncate(first);
        let total_count = self.0.revision;
        let edges: Vec<EventEdge> = events
            .into_iter()
            .map(|e| EventEdge {
                cursor: e.revision.to_string(),
                node: LedgerEvent(e),
            })
            .collect();
        Ok(EventConnection::page(edges, has_next_page, total_count))
    }
}

/// Relay page information.
#[derive(SimpleObject)]
pub struct PageInfo {
    /// More items follow.
    pub has_next_page: bool,
    /// The cursor of the last edge, to pass as `after`.
    pub end_cursor: Option<String>,
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

/// One stored event.
pub struct LedgerEvent(pub RecordedEvent);

#[Object]
impl LedgerEvent {
    async fn id(&self) -> Uuid {
        self.0.event_id
    }
    async fn position(&self) -> i64 {
        i64::try_from(self.0.position).unwrap_or(i64::MAX)
    }
    async fn stream_id(&self) -> &str {
        &self.0.stream_id
    }
    async fn revision(&self) -> i64 {
        i64::try_from(self.0.revision).unwrap_or(i64::MAX)
    }
    #[graphql(name = "type")]
    async fn event_type(&self) -> &str {
        &self.0.event_type
    }
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.0.recorded_at
    }
    /// The staff member who acted.
    async fn actor(&self, ctx: &Context<'_>) -> GqlResult<Option<Staff>> {
        let metadata: yika_domain::Metadata = serde_json::from_str(&self.0.metadata)
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        match metadata.actor_id {
            Some(id) => staff_by_id(ctx, id).await,
            None => Ok(None),
        }
    }
    /// The event as JSON.
    async fn payload(&self) -> &str {
        &self.0.payload
    }
    /// The envelope's metadata as JSON: actor, role, business time, correlation and causation.
    async fn metadata(&self) -> &str {
        &self.0.metadata
    }
    /// The correlation id of the request that wrote it (also in the server's logs and in the
    /// `x-correlation-id` header of the answer).
    async fn correlation_id(&self) -> GqlResult<Uuid> {
        let metadata: yika_domain::Metadata = serde_json::from_str(&self.0.metadata)
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        Ok(metadata.correlation_id)
    }
    /// The hash chain at this event (hex SHA-256).
    async fn hash(&self) -> &str {
        &self.0.hash
    }
}

/// An event and its cursor.
#[derive(SimpleObject)]
pub struct EventEdge {
    /// The event.
    pub node: LedgerEvent,
    /// Its cursor.
    pub cursor: String,
}

/// A page of events.
#[derive(SimpleObject)]
pub struct EventConnection {
    /// The events.
    pub edges: Vec<EventEdge>,
    /// Paging.
    pub page_info: PageInfo,
    /// Events in all pages.
    pub total_count: i64,
}

impl EventConnection {
    /// A page of `edges`; the end cursor is the last edge's.
    pub(super) fn page(edges: Vec<EventEdge>, has_next_page: bool, total_count: i64) -> Self {
        let end_cursor = edges.last().map(|e| e.cursor.clone());
        EventConnection {
            edges,
            page_info: PageInfo {
                has_next_page,
                end_cursor,
            },
            total_count,
        }
    }
}

/// The events at `positions` (ascending) of the log, which an index of the views has pointed
/// at. Positions close together are read in one range (a dense filter reads a page in one or a
/// few reads); each gap of more than [`RANGE_GAP`] starts another read.
pub(super) async fn logged_events(
    app: &crate::app::App,
    positions: &[u64],
) -> GqlResult<Vec<LedgerEvent>> {
    const RANGE_GAP: u64 = 8;
    let mut events = Vec::with_capacity(positions.len());
    let mut rest = positions;
    while let Some(&start) = rest.first() {
        let run = rest
            .windows(2)
            .position(|w| w[1] <= w[0] || w[1] - w[0] > RANGE_GAP)
            .map_or(rest.len(), |i| i + 1);
        let end = rest[run - 1];
        let span = usize::try_from(end - start + 1).unwrap_or(usize::MAX);
        let read = app.store.read_all(start.saturating_sub(1), span).await?;
        for &position in &rest[..run] {
            let event = read
                .iter()
                .find(|e| e.position == position)
                .cloned()
                .ok_or_else(|| {
                    ApiError::Internal(format!(
                        "event {position} is in the index but not in the log"
                    ))
                })?;
            events.push(LedgerEvent(event));
        }
        rest = &rest[run..];
    }
    Ok(events)
}

/// The event at `position` of the log, which an index of the views has pointed at.
pub(super) async fn logged_event(app: &crate::app::App, position: u64) -> GqlResult<LedgerEvent> {
    let mut events = logged_events(app, &[position]).await?;
    Ok(events.remove(0))
}

/// A deposit or a refund at a window.
pub struct MoneyMovement {
    pub id: Uuid,
    pub account_id: AccountId,
    pub amount: MoneyScalar,
    pub method: PaymentMethod,
    pub shift_id: ShiftId,
    pub receipt_no: String,
    pub recorded_at: DateTime<Utc>,
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
        staff_by_id(ctx, self.0.counted_by)
            .await?
            .ok_or_else(|| ApiError::Internal("count by unknown staff".to_owned()).into())
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
        staff_by_id(ctx, self.0.cashier_id)
            .await?
            .ok_or_else(|| ApiError::Internal("shift of an unknown cashier".to_owned()).into())
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
        self.0.status == "OPEN"
            && Utc::now() > super::reports::calendar(ctx).settlement_after(self.0.opened_at)
    }
    /// Why this shift needs a look: NIGHT_SHIFT_ALONE (opened between 20:00 and 06:00 local
    /// with no other cashier's shift overlapping it).
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
    if super::reports::calendar(ctx).is_night(shift.opened_at) {
        let until = shift.closed_at.unwrap_or_else(Utc::now);
        if app(ctx)?.read.overlapping_shifts(shift, until).await? == 0 {
            reasons.push("NIGHT_SHIFT_ALONE".to_owned());
        }
    }
    Ok(reasons)
}
