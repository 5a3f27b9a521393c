//! Finance's reports: shift lists, the daily report and department revenue, with the hospital's
//! local calendar (its time zone and settlement time are configuration).

use async_graphql::{
    Context, InputObject, InputValueError, InputValueResult, Object, Scalar, ScalarType,
    SimpleObject, Value,
};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use uuid::Uuid;
use yika_domain::{Role as DomainRole, StaffId};
use yika_projections::read::MAX_PAGE;

use super::scalars::{MoneyScalar, PaymentMethod, ShiftStatus};
use super::types::{MethodAmount, PageInfo, Shift};
use super::{actor, app, page_size, parse_cursor};
use crate::app::{Actor, App};
use crate::error::{ApiError, GqlResult};

/// The hospital's calendar: a report's day is a local calendar day.
#[derive(Debug, Clone, Copy)]
pub struct Calendar {
    /// The hospital's time zone (default Asia/Shanghai).
    pub time_zone: Tz,
    /// The prescribed daily settlement time (结账), default 17:30 local.
    pub settlement_time: NaiveTime,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar {
            time_zone: chrono_tz::Asia::Shanghai,
            settlement_time: NaiveTime::from_hms_opt(17, 30, 0).expect("a time"),
        }
    }
}

/// Night starts at 20:00 and ends at 06:00, local time: a shift opened then is a night shift.
const NIGHT_STARTS: u32 = 20;
const NIGHT_ENDS: u32 = 6;

impl Calendar {
    /// The UTC instants where a local day starts and where the next one starts.
    #[must_use]
    pub fn day(&self, date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
        let start = |d: NaiveDate| {
            let midnight = d.and_hms_opt(0, 0, 0).expect("midnight");
            self.time_zone
                .from_local_datetime(&midnight)
                .earliest()
                .unwrap_or_else(|| {
                    Utc.from_utc_datetime(&midnight)
                        .with_timezone(&self.time_zone)
                })
                .with_timezone(&Utc)
        };
        (start(date), start(date + Duration::days(1)))
    }

    /// The first settlement time after `opened_at`.
    #[must_use]
    pub fn settlement_after(&self, opened_at: DateTime<Utc>) -> DateTime<Utc> {
        let local = opened_at.with_timezone(&self.time_zone);
        let mut day = local.date_naive();
        loop {
            let at = day.and_time(self.settlement_time);
            if let Some(at) = self.time_zone.from_local_datetime(&at).earliest()
                && at > local
            {
                return at.with_timezone(&Utc);
            }
            day += Duration::days(1);
        }
    }

    /// True when the local hour of `at` is at night.
    #[must_use]
    pub fn is_night(&self, at: DateTime<Utc>) -> bool {
        use chrono::Timelike;
        let hour = at.with_timezone(&self.time_zone).hour();
        !(NIGHT_ENDS..NIGHT_STARTS).contains(&hour)
    }
}

/// `Date`: a calendar day, "2026-11-22".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateScalar(pub NaiveDate);

#[Scalar(name = "Date")]
impl ScalarType for DateScalar {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(DateScalar)
                .map_err(|_| {
                    InputValueError::custom(format!("a Date is YYYY-MM-DD, got {text:?}"))
                }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

pub(super) fn calendar<'a>(ctx: &Context<'a>) -> Calendar {
    ctx.data::<Calendar>().copied().unwrap_or_default()
}

/// Finance and audit roles read every report.
pub(super) fn is_finance(actor: &Actor) -> bool {
    matches!(
        actor.role,
        DomainRole::Controller | DomainRole::Auditor | DomainRole::Supervisor | DomainRole::Admin
    )
}

fn require_finance(actor: &Actor) -> GqlResult<()> {
    if is_finance(actor) {
        Ok(())
    } else {
        Err(ApiError::Forbidden("reports are for finance and audit roles".to_owned()).into())
    }
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

/// Totals of one window.
#[derive(SimpleObject)]
pub struct WindowTotal {
    window: String,
    received: MoneyScalar,
    paid_out: MoneyScalar,
    transactions: i64,
}

/// The daily report (住院结算日报表) of one local day.
#[derive(SimpleObject)]
pub struct DailyReport {
    date: DateScalar,
    /// Patient prepaid liability at the start of the day.
    opening_liability: MoneyScalar,
    deposits: MoneyScalar,
    deductions: MoneyScalar,
    reversals: MoneyScalar,
    refunds: MoneyScalar,
    /// How much discharge settlements lowered the liability: paid back − paid in − insurance.
    settlement_effect: MoneyScalar,
    /// Patient prepaid liability at the end of the day.
    closing_liability: MoneyScalar,
    /// True only when opening + deposits − deductions + reversals − refunds − settlement effect
    /// = closing to the cent, and the closing liability carried forward to now equals the sum
    /// of the balances view.
    balances: bool,
    /// Net received (deposits − refunds) per payment method.
    by_method: Vec<MethodAmount>,
    by_window: Vec<WindowTotal>,
    /// Counted − expected cash over the shifts closed that day (negative is short).
    cash_variance: MoneyScalar,
}

/// Revenue as executed by one department.
#[derive(SimpleObject)]
pub struct DepartmentRevenue {
    department: String,
    deducted: MoneyScalar,
    reversed: MoneyScalar,
    net: MoneyScalar,
    count: i64,
}

/// The balance of one ledger account: balance = debit − credit.
#[derive(SimpleObject)]
pub struct LedgerBalance {
    ledger_account: String,
    debit: MoneyScalar,
    credit: MoneyScalar,
    balance: MoneyScalar,
}

/// The trial balance: every event's postings summed per ledger account up to a position.
/// Patient accounts and cash drawers roll up into their control accounts `patient-prepaid` and
/// `cash-drawer` (their detail: `balanceAsOf` and the shift reports).
#[derive(SimpleObject)]
pub struct TrialBalance {
    as_of_position: i64,
    accounts: Vec<LedgerBalance>,
    total_debit: MoneyScalar,
    total_credit: MoneyScalar,
    /// True only when total debits equal total credits.
    balanced: bool,
}

/// The result of `verifyLedger`.
#[derive(SimpleObject)]
pub struct Verification {
    events_checked: i64,
    /// The hash chain recomputes over the whole log.
    chain_intact: bool,
    /// The first position whose stored hash or position does not follow (edited or removed).
    first_broken_position: Option<i64>,
    /// Every view equals a fresh replay of the log up to the views' position.
    views_match_replay: bool,
    mismatches: Vec<String>,
}

/// The audit-index filter for `filter`, if `actor` may read those events: finance and audit
/// roles any, a cashier only one of their own shifts (`shiftId`). Shared by `auditTrail` and
/// the `ledgerEvents` subscription.
pub(super) async fn audit_filter(
    app: &App,
    actor: &Actor,
    filter: EventFilter,
) -> GqlResult<yika_projections::reports::AuditFilter> {
    if !is_finance(actor) {
        let own = match (actor.role, filter.shift_id) {
            (DomainRole::Cashier, Some(shift)) => app
                .read
                .shift(yika_domain::ShiftId(shift))
                .await?
                .is_some_and(|s| s.cashier_id == actor.staff_id),
            _ => false,
        };
        if !own {
            return Err(ApiError::Forbidden(
                "the audit trail is for finance and audit; a cashier reads only its own shifts"
                    .to_owned(),
            )
            .into());
        }
    }
    let event_types = filter.event_types.unwrap_or_default();
    if event_types.len() > MAX_EVENT_TYPES {
        return Err(
            ApiError::LimitExceeded(format!("at most {MAX_EVENT_TYPES} event types")).into(),
        );
    }
    Ok(yika_projections::reports::AuditFilter {
        account_id: filter.account_id.map(|u| u.to_string()),
        shift_id: filter.shift_id.map(|u| u.to_string()),
        actor_id: filter.actor_id.map(|u| u.to_string()),
        department: filter.department,
        event_types,
        from: filter.from,
        to: filter.to,
    })
}

/// Filters of the audit trail.
#[derive(InputObject, Default)]
pub struct EventFilter {
    account_id: Option<Uuid>,
    shift_id: Option<Uuid>,
    actor_id: Option<Uuid>,
    department: Option<String>,
    event_types: Option<Vec<String>>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
}

/// The most event types one filter lists.
const MAX_EVENT_TYPES: usize = 32;

/// The longest period a report covers.
const MAX_REPORT_DAYS: i64 = 366;

/// Report queries, merged into `Query`.
#[derive(Default)]
pub struct ReportQuery;

#[Object]
impl ReportQuery {
    /// Shift reports, in the order they were opened. A cashier sees only their own shifts.
    #[graphql(complexity = "super::page_weight(first, super::DEFAULT_PAGE) * child_complexity")]
    async fn shifts(
        &self,
        ctx: &Context<'_>,
        filter: Option<ShiftFilter>,
        #[graphql(default_with = "Some(super::DEFAULT_PAGE)")] first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<ShiftConnection> {
        let actor = actor(ctx)?;
        let first = page_size(first, super::DEFAULT_PAGE)?;
        debug_assert!(first <= MAX_PAGE);
        let after = parse_cursor(after.as_deref())?;
        let filter = filter.unwrap_or_default();
        let cashier_id = match (is_finance(actor), actor.role) {
            (true, _) => filter.cashier_id.map(StaffId),
            (false, DomainRole::Cashier) => {
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

    /// The daily report of a local calendar day, across all windows.
    async fn daily_report(&self, ctx: &Context<'_>, date: DateScalar) -> GqlResult<DailyReport> {
        require_finance(actor(ctx)?)?;
        let (start, end) = calendar(ctx).day(date.0);
        let f = app(ctx)?.read.daily_figures(start, end).await?;
        let settlement_effect = f.settlement_effect;
        let relation = f.opening_liability + f.deposits - f.deductions + f.reversals
            - f.refunds
            - settlement_effect
            == f.closing_liability;
        let carried = f.closing_liability + f.after_end == f.accounts_now;
        Ok(DailyReport {
            date,
            opening_liability: f.opening_liability.into(),
            deposits: f.deposits.into(),
            deductions: f.deductions.into(),
            reversals: f.reversals.into(),
            refunds: f.refunds.into(),
            settlement_effect: settlement_effect.into(),
            closing_liability: f.closing_liability.into(),
            balances: relation && carried,
            by_method: f
                .by_method
                .into_iter()
                .map(|(method, amount)| MethodAmount {
                    method: PaymentMethod::from(method),
                    amount: amount.into(),
                })
                .collect(),
            by_window: f
                .by_window
                .into_iter()
                .map(|w| WindowTotal {
                    window: w.window,
                    received: w.received.into(),
                    paid_out: w.paid_out.into(),
                    transactions: w.transactions,
                })
                .collect(),
            cash_variance: f.cash_variance.into(),
        })
    }

    /// The trial balance up to and including `asOfPosition` (default: everything the views
    /// hold). Finance and audit roles.
    async fn trial_balance(
        &self,
        ctx: &Context<'_>,
        as_of_position: Option<i64>,
    ) -> GqlResult<TrialBalance> {
        require_finance(actor(ctx)?)?;
        let read = &app(ctx)?.read;
        let held = read.position();
        let position = match as_of_position {
            None => held,
            Some(p) if p < 0 => {
                return Err(
                    ApiError::Validation("asOfPosition must not be negative".to_owned()).into(),
                );
            }
            Some(p) => u64::try_from(p).unwrap_or(0).min(held),
        };
        let lines = read.trial_balance(position).await?;
        let total_debit: yika_domain::Money = lines.iter().map(|l| l.debit).sum();
        let total_credit: yika_domain::Money = lines.iter().map(|l| l.credit).sum();
        Ok(TrialBalance {
            as_of_position: i64::try_from(position).unwrap_or(i64::MAX),
            accounts: lines
                .into_iter()
                .map(|l| LedgerBalance {
                    ledger_account: l.ledger_account,
                    debit: l.debit.into(),
                    credit: l.credit.into(),
                    balance: (l.debit - l.credit).into(),
                })
                .collect(),
            total_debit: total_debit.into(),
            total_credit: total_credit.into(),
            balanced: total_debit == total_credit,
        })
    }

    /// An account's balance as it stood at an instant, from the journal.
    async fn balance_as_of(
        &self,
        ctx: &Context<'_>,
        account_id: Uuid,
        at: DateTime<Utc>,
    ) -> GqlResult<MoneyScalar> {
        actor(ctx)?;
        let read = &app(ctx)?.read;
        let id = yika_domain::AccountId(account_id);
        if read.account(id).await?.is_none() {
            return Err(ApiError::NotFound(format!("account {id} does not exist")).into());
        }
        Ok(read.balance_as_of(id, at).await?.into())
    }

    /// Every event with its actor, time, type, stream, position, hash and payload, in log order,
    /// filtered; cursors are positions, so pages walk every event once while new ones arrive.
    /// Finance and audit roles; a cashier only for one of their own shifts (`shiftId`).
    #[graphql(
        complexity = "super::page_weight(first, super::DEFAULT_EVENT_PAGE) * child_complexity"
    )]
    async fn audit_trail(
        &self,
        ctx: &Context<'_>,
        filter: Option<EventFilter>,
        #[graphql(default_with = "Some(super::DEFAULT_EVENT_PAGE)")] first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<super::types::EventConnection> {
        use super::types::{EventConnection, EventEdge};
        let actor = actor(ctx)?;
        let first = super::page_size(first, super::DEFAULT_EVENT_PAGE)?;
        let after = u64::try_from(super::parse_cursor(after.as_deref())?.unwrap_or(0)).unwrap_or(0);
        let app = app(ctx)?;
        let view_filter = audit_filter(app, actor, filter.unwrap_or_default()).await?;
        let (mut positions, total_count) =
            app.read.audit_positions(&view_filter, first, after).await?;
        let has_next_page = positions.len() > first;
        positions.truncate(first);
        let edges = super::types::logged_events(app, &positions)
            .await?
            .into_iter()
            .zip(&positions)
            .map(|(node, position)| EventEdge {
                cursor: position.to_string(),
                node,
            })
            .collect();
        Ok(EventConnection::page(edges, has_next_page, total_count))
    }

    /// One event by id (finance and audit roles).
    async fn event(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> GqlResult<Option<super::types::LedgerEvent>> {
        require_finance(actor(ctx)?)?;
        Ok(app(ctx)?
            .store
            .find_event(id)
            .await?
            .map(super::types::LedgerEvent))
    }

    /// Recomputes the hash chain over the whole log and compares every view with a fresh
    /// replay (AUDITOR, CONTROLLER, SUPERVISOR, ADMIN). Expensive: it reads the whole log, so
    /// one runs at a time in a server (LIMIT_EXCEEDED while another is running).
    async fn verify_ledger(&self, ctx: &Context<'_>) -> GqlResult<Verification> {
        static VERIFYING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);
        require_finance(actor(ctx)?)?;
        let Ok(_running) = VERIFYING.try_acquire() else {
            return Err(ApiError::LimitExceeded(
                "a verification is already running on this server; try again when it ends"
                    .to_owned(),
            )
            .into());
        };
        let verdict = crate::verify::verify(app(ctx)?).await?;
        Ok(Verification {
            events_checked: i64::try_from(verdict.events_checked).unwrap_or(i64::MAX),
            chain_intact: verdict.chain_intact,
            first_broken_position: verdict
                .first_broken_position
                .map(|p| i64::try_from(p).unwrap_or(i64::MAX)),
            views_match_replay: verdict.mismatches.is_empty(),
            mismatches: verdict.mismatches,
        })
    }

    /// Deductions, reversals, net and count per executing department recorded in [from, to).
    async fn department_revenue(
        &self,
        ctx: &Context<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> GqlResult<Vec<DepartmentRevenue>> {
        require_finance(actor(ctx)?)?;
        if to <= from {
            return Err(ApiError::Validation("to must be after from".to_owned()).into());
        }
        if to - from > Duration::days(MAX_REPORT_DAYS) {
            return Err(ApiError::LimitExceeded(format!(
                "a report covers at most {MAX_REPORT_DAYS} days"
            ))
            .into());
        }
        let rows = app(ctx)?.read.department_revenue(from, to).await?;
        Ok(rows
            .into_iter()
            .map(|r| DepartmentRevenue {
                department: r.department,
                deducted: r.deducted.into(),
                reversed: r.reversed.into(),
                net: (r.deducted - r.reversed).into(),
                count: r.count,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_local_day_in_shanghai_starts_at_16_00_utc_the_day_before() {
        // Goal: the report's day is the hospital's calendar day, not UTC's.
        let (start, end) = Calendar::default().day(NaiveDate::from_ymd_opt(2026, 11, 22).unwrap());
        assert_eq!(start, utc("2026-11-21T16:00:00Z"));
        assert_eq!(end, utc("2026-11-22T16:00:00Z"));
    }

    #[test]
    fn a_shift_is_overdue_after_the_first_settlement_time_after_it_opened() {
        // Goal: 17:30 local settles a shift opened that morning; an evening shift settles the
        // next day at 17:30.
        let calendar = Calendar::default();
        assert_eq!(
            calendar.settlement_after(utc("2026-11-22T00:30:00Z")),
            utc("2026-11-22T09:30:00Z")
        );
        assert_eq!(
            calendar.settlement_after(utc("2026-11-22T10:00:00Z")),
            utc("2026-11-23T09:30:00Z")
        );
    }

    #[test]
    fn night_runs_from_20_00_to_06_00_local() {
        // Goal: the night boundary is in local time.
        let calendar = Calendar::default();
        assert!(calendar.is_night(utc("2026-11-22T12:00:00Z"))); // 20:00 local
        assert!(calendar.is_night(utc("2026-11-22T21:59:00Z"))); // 05:59 local
        assert!(!calendar.is_night(utc("2026-11-22T22:00:00Z"))); // 06:00 local
        assert!(!calendar.is_night(utc("2026-11-22T11:59:00Z"))); // 19:59 local
    }
}
