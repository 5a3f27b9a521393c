//! Finance's reports: the daily report (住院结算日报表), the trial balance, an account's balance
//! as of an instant, and department revenue as executed, on the hospital's local calendar.

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::context::{actor, app, calendar};
use super::cost::{DAY_WEIGHT, REPORT_WEIGHT, report_slot, span_weight};
use super::scalars::{DateScalar, MoneyScalar, PaymentMethod, check_instant};
use super::shifts::MethodAmount;
use crate::auth::require_finance;
use crate::error::{ApiError, GqlResult};

/// The longest period a report covers.
const MAX_REPORT_DAYS: i64 = 366;

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
    /// The part of it not yet resolved with `resolveVariance` (长短款 still open).
    open_variance: MoneyScalar,
    /// The shifts closed that day whose variance is still open.
    open_variance_shifts: i64,
    /// Which version this is: as signed at the day's close, or as the log stands now.
    version: ReportVersion,
    /// The last position of the log the figures include.
    as_of_position: i64,
    /// The day's close (日结), if the day was closed: who signed which report, when.
    signature: Option<DaySignature>,
    /// For the current version of a closed day: whether any line moved since it was signed
    /// (`dayCorrections` lists the events that moved it). Null for a day not closed.
    changed_since_signed: Option<bool>,
    /// Outpatient cards (门诊一卡通) and inpatient deposits (住院预交金), each with its own
    /// opening and closing liability; they add up to the lines above.
    sections: Vec<AccountSection>,
    /// Cards issued (发卡) that day.
    cards_issued: i64,
    /// Inpatient deposit accounts opened (入院) that day.
    admissions: i64,
    /// Discharge settlements (出院结算) that day.
    discharges: i64,
    /// The day's settlements by insurance scheme.
    settlements_by_scheme: Vec<SchemeSettlements>,
    /// Takings per cashier, window and method.
    by_cashier: Vec<CashierTotal>,
    /// The shifts closed that day with a cash variance (长短款), and their resolutions.
    variances: Vec<ShiftVariance>,
    /// The receipt numbers each shift closed that day used, issued and voided.
    receipts: Vec<ShiftReceipts>,
    /// Gaps in a cashier's receipt series between that day's shifts.
    receipt_gaps: Vec<String>,
    /// Money back-entered into the day after an outage (补录), each flagged with its reason.
    back_entries: Vec<BackEnteredMovement>,
}

/// Money back-entered after an outage (补录).
#[derive(SimpleObject)]
pub struct BackEnteredMovement {
    /// Its position in the log.
    position: i64,
    /// DEPOSIT, REFUND, SETTLEMENT_IN or SETTLEMENT_OUT.
    kind: String,
    amount: MoneyScalar,
    method: PaymentMethod,
    /// The cashier's staff number.
    cashier: String,
    /// When the money crossed the window (the business time).
    occurred_at: DateTime<Utc>,
    /// When it was recorded.
    recorded_at: DateTime<Utc>,
    reason: String,
}

/// One kind of account's part of the daily report.
#[derive(SimpleObject)]
pub struct AccountSection {
    kind: super::scalars::AccountKind,
    opening_liability: MoneyScalar,
    deposits: MoneyScalar,
    deductions: MoneyScalar,
    reversals: MoneyScalar,
    refunds: MoneyScalar,
    settlement_effect: MoneyScalar,
    closing_liability: MoneyScalar,
}

/// A day's discharge settlements under one insurance scheme.
#[derive(SimpleObject)]
pub struct SchemeSettlements {
    scheme: super::scalars::InsuranceScheme,
    count: i64,
    total_charges: MoneyScalar,
    insurance_pays: MoneyScalar,
    patient_pays: MoneyScalar,
    patient_receives: MoneyScalar,
}

/// A cashier's takings at one window by one method.
#[derive(SimpleObject)]
pub struct CashierTotal {
    /// The cashier's staff number.
    cashier: String,
    window: String,
    method: PaymentMethod,
    received: MoneyScalar,
    paid_out: MoneyScalar,
    transactions: i64,
}

/// A shift's cash variance and its resolution, as of the report.
#[derive(SimpleObject)]
pub struct ShiftVariance {
    shift_id: Uuid,
    /// The cashier's staff number.
    cashier: String,
    window: String,
    /// Counted − expected: negative is short (短款), positive over (长款).
    variance: MoneyScalar,
    resolution: Option<super::scalars::VarianceResolution>,
    note: Option<String>,
}

/// The receipt numbers one shift used.
#[derive(SimpleObject)]
pub struct ShiftReceipts {
    shift_id: Uuid,
    /// The cashier's staff number (their series).
    cashier: String,
    first: String,
    last: String,
    issued: i64,
    voided: i64,
    voided_numbers: Vec<String>,
}

/// Which version of a day's report.
#[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ReportVersion {
    /// As signed at the day's close (日结): the figures the controller signed, from the log.
    Signed,
    /// As the log stands now: the signed figures with every later correction of that day.
    Current,
}

/// A day's close: the report as signed.
#[derive(SimpleObject)]
pub struct DaySignature {
    /// Who closed the day.
    closed_by: Option<super::staff::Staff>,
    /// When the close was recorded.
    closed_at: DateTime<Utc>,
    /// The close's position in the log.
    position: i64,
    /// The position the signed report is as of.
    as_of_position: i64,
    /// The SHA-256 of the signed report's canonical form (`yika verify` recomputes it).
    report_sha256: String,
    /// The hospital time zone the day was read in.
    time_zone: String,
    /// The controller's note.
    note: Option<String>,
}

/// One day of a monthly report.
#[derive(SimpleObject)]
pub struct MonthDay {
    date: DateScalar,
    /// Whether the day was closed (日结) and its report signed.
    signed: bool,
    /// The signed report's SHA-256, for a signed day.
    report_sha256: Option<String>,
    /// For a signed day: whether its figures moved since it was signed.
    changed_since_signed: Option<bool>,
    opening_liability: MoneyScalar,
    deposits: MoneyScalar,
    deductions: MoneyScalar,
    reversals: MoneyScalar,
    refunds: MoneyScalar,
    settlement_effect: MoneyScalar,
    closing_liability: MoneyScalar,
    balances: bool,
}

/// The monthly report (月报): the days of a month summed, as the log stands now, with which
/// days are signed.
#[derive(SimpleObject)]
pub struct MonthlyReport {
    /// The month, `YYYY-MM`.
    month: String,
    /// Liability at the start of the month's first day.
    opening_liability: MoneyScalar,
    deposits: MoneyScalar,
    deductions: MoneyScalar,
    reversals: MoneyScalar,
    refunds: MoneyScalar,
    settlement_effect: MoneyScalar,
    /// Liability at the end of the month's last day reported.
    closing_liability: MoneyScalar,
    /// True only when every day balances and the month's relation holds to the cent.
    balances: bool,
    cards_issued: i64,
    admissions: i64,
    discharges: i64,
    /// Days signed (closed) out of the days reported.
    signed_days: i64,
    /// Each day of the month up to today.
    days: Vec<MonthDay>,
}

/// A report line an event moved, and by how much.
#[derive(SimpleObject)]
pub struct ReportLineChange {
    /// The line: openingLiability, deposits, deductions, reversals, refunds, settlementEffect,
    /// closingLiability, cashVariance, openVariance, byMethod.<METHOD>,
    /// byWindow.<window>.received or byWindow.<window>.paidOut.
    line: String,
    /// How much it moved (negative: down).
    amount: MoneyScalar,
}

/// An event recorded after a day's close that changed the day's figures.
#[derive(SimpleObject)]
pub struct DayCorrection {
    /// Its position in the log.
    position: i64,
    /// Its type.
    event_type: String,
    /// Who recorded it.
    actor: Option<super::staff::Staff>,
    /// When it was recorded.
    recorded_at: DateTime<Utc>,
    /// Each line of the report it moved.
    moved: Vec<ReportLineChange>,
}

/// The report of a day in a version (the day's close read from the log for SIGNED).
pub(super) async fn daily_report_of(
    ctx: &Context<'_>,
    date: DateScalar,
    version: ReportVersion,
) -> GqlResult<DailyReport> {
    let cal = calendar(ctx);
    let app = app(ctx)?;
    let day = cal.business_day(date.0);
    let versioned = {
        let _slot = report_slot(ctx).await?;
        app.versioned_report(&day, cal.time_zone.name(), version == ReportVersion::Signed)
            .await?
    };
    let signature = match &versioned.signed {
        None => None,
        Some(s) => Some(DaySignature {
            closed_by: super::staff::staff_by_id(ctx, s.closed_by).await?,
            closed_at: s.closed_at,
            position: i64::try_from(s.position).unwrap_or(i64::MAX),
            as_of_position: i64::try_from(s.report.as_of_position).unwrap_or(i64::MAX),
            report_sha256: s.report_sha256.clone(),
            time_zone: s.report.time_zone.clone(),
            note: s.note.clone(),
        }),
    };
    let (report, balances, changed) = (versioned.report, versioned.balances, versioned.changed);
    Ok(DailyReport {
        date,
        opening_liability: report.opening_liability.into(),
        deposits: report.deposits.into(),
        deductions: report.deductions.into(),
        reversals: report.reversals.into(),
        refunds: report.refunds.into(),
        settlement_effect: report.settlement_effect.into(),
        closing_liability: report.closing_liability.into(),
        balances,
        by_method: report
            .by_method
            .iter()
            .map(|(method, amount)| MethodAmount {
                method: PaymentMethod::from(*method),
                amount: (*amount).into(),
            })
            .collect(),
        by_window: report
            .by_window
            .iter()
            .map(|w| WindowTotal {
                window: w.window.clone(),
                received: w.received.into(),
                paid_out: w.paid_out.into(),
                transactions: w.transactions,
            })
            .collect(),
        cash_variance: report.cash_variance.into(),
        open_variance: report.open_variance.into(),
        open_variance_shifts: report.open_variance_shifts,
        version,
        as_of_position: i64::try_from(report.as_of_position).unwrap_or(i64::MAX),
        signature,
        changed_since_signed: changed,
        sections: report
            .sections
            .iter()
            .map(|s| AccountSection {
                kind: s.kind.into(),
                opening_liability: s.opening_liability.into(),
                deposits: s.deposits.into(),
                deductions: s.deductions.into(),
                reversals: s.reversals.into(),
                refunds: s.refunds.into(),
                settlement_effect: s.settlement_effect.into(),
                closing_liability: s.closing_liability.into(),
            })
            .collect(),
        cards_issued: report.cards_issued,
        admissions: report.admissions,
        discharges: report.discharges,
        settlements_by_scheme: report
            .settlements
            .iter()
            .map(|s| SchemeSettlements {
                scheme: s.scheme.into(),
                count: s.count,
                total_charges: s.total_charges.into(),
                insurance_pays: s.insurance_pays.into(),
                patient_pays: s.patient_pays.into(),
                patient_receives: s.patient_receives.into(),
            })
            .collect(),
        by_cashier: report
            .by_cashier
            .iter()
            .map(|c| CashierTotal {
                cashier: c.cashier.clone(),
                window: c.window.clone(),
                method: c.method.into(),
                received: c.received.into(),
                paid_out: c.paid_out.into(),
                transactions: c.transactions,
            })
            .collect(),
        variances: report
            .variances
            .iter()
            .map(|v| ShiftVariance {
                shift_id: v.shift_id.0,
                cashier: v.cashier.clone(),
                window: v.window.clone(),
                variance: v.variance.into(),
                resolution: v.resolution.map(Into::into),
                note: v.note.clone(),
            })
            .collect(),
        receipts: report
            .receipts
            .iter()
            .map(|r| ShiftReceipts {
                shift_id: r.shift_id.0,
                cashier: r.cashier.clone(),
                first: r.first.clone(),
                last: r.last.clone(),
                issued: r.issued,
                voided: r.voided,
                voided_numbers: r.voided_numbers.clone(),
            })
            .collect(),
        receipt_gaps: report.receipt_gaps.clone(),
        back_entries: report
            .back_entries
            .iter()
            .map(|e| BackEnteredMovement {
                position: i64::try_from(e.position).unwrap_or(i64::MAX),
                kind: e.kind.clone(),
                amount: e.amount.into(),
                method: e.method.into(),
                cashier: e.cashier.clone(),
                occurred_at: e.occurred_at,
                recorded_at: e.recorded_at,
                reason: e.reason.clone(),
            })
            .collect(),
    })
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

/// Report queries.
#[derive(Default)]
pub struct ReportQuery;

#[Object]
impl ReportQuery {
    /// The daily report of a business day, across all windows: as the log stands now
    /// (CURRENT, the default) or as signed at the day's close (SIGNED). A movement belongs to
    /// the local day of its business time (a reversal to its deduction's day); what is recorded
    /// after a day's close with a time on that date belongs to the next day.
    #[graphql(complexity = "REPORT_WEIGHT + DAY_WEIGHT + child_complexity")]
    async fn daily_report(
        &self,
        ctx: &Context<'_>,
        date: DateScalar,
        #[graphql(default_with = "Some(ReportVersion::Current)")] version: Option<ReportVersion>,
    ) -> GqlResult<DailyReport> {
        require_finance(actor(ctx)?, "reports")?;
        daily_report_of(ctx, date, version.unwrap_or(ReportVersion::Current)).await
    }

    /// The events recorded after a day's close (日结) that changed its figures, in log order,
    /// each with the lines it moved: SIGNED plus every correction is CURRENT. `after` is the
    /// position of the last correction of the previous page; a day not closed has none.
    /// Finance and audit roles.
    #[graphql(complexity = "REPORT_WEIGHT + DAY_WEIGHT * 10 + child_complexity")]
    async fn day_corrections(
        &self,
        ctx: &Context<'_>,
        date: DateScalar,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<i32>,
    ) -> GqlResult<Vec<DayCorrection>> {
        require_finance(actor(ctx)?, "reports")?;
        let max = crate::application::days::MAX_CORRECTIONS;
        let first = match u32::try_from(first.unwrap_or(20)) {
            Ok(n) if (1..=max).contains(&n) => n,
            _ => {
                return Err(
                    ApiError::LimitExceeded(format!("first must be between 1 and {max}")).into(),
                );
            }
        };
        let after = match after {
            None => None,
            Some(p) => Some(
                u64::try_from(p)
                    .map_err(|_| ApiError::Validation("after must not be negative".to_owned()))?,
            ),
        };
        let app = app(ctx)?;
        // A day not closed has nothing signed to correct.
        let Some(signed) = app.signed(date.0).await? else {
            return Ok(Vec::new());
        };
        let day = calendar(ctx).business_day(date.0);
        let corrections = {
            let _slot = report_slot(ctx).await?;
            app.day_corrections(&day, &signed, after, first).await?
        };
        let mut out = Vec::with_capacity(corrections.len());
        for c in corrections {
            let actor = match c.actor_id {
                Some(id) => super::staff::staff_by_id(ctx, id).await?,
                None => None,
            };
            out.push(DayCorrection {
                position: i64::try_from(c.position).unwrap_or(i64::MAX),
                event_type: c.event_type,
                actor,
                recorded_at: c.recorded_at,
                moved: c
                    .moved
                    .into_iter()
                    .map(|(line, amount)| ReportLineChange {
                        line,
                        amount: amount.into(),
                    })
                    .collect(),
            });
        }
        Ok(out)
    }

    /// The monthly report (月报) of `month` (`YYYY-MM`): each day up to today as the log stands
    /// now, summed, with which days are signed. Finance and audit roles.
    #[graphql(complexity = "REPORT_WEIGHT + DAY_WEIGHT * 31 + child_complexity")]
    async fn monthly_report(&self, ctx: &Context<'_>, month: String) -> GqlResult<MonthlyReport> {
        require_finance(actor(ctx)?, "reports")?;
        let first = chrono::NaiveDate::parse_from_str(&format!("{}-01", month.trim()), "%Y-%m-%d")
            .ok()
            .filter(|d| (2000..=2099).contains(&chrono::Datelike::year(d)))
            .ok_or_else(|| {
                ApiError::Validation(format!(
                    "month must be YYYY-MM between 2000 and 2099, not {month:?}"
                ))
            })?;
        let cal = calendar(ctx);
        let month_days = {
            let _slot = report_slot(ctx).await?;
            app(ctx)?.month(&cal, first, cal.today()).await?
        };
        let mut days = Vec::new();
        let mut totals = [yika_domain::Money::ZERO; 5];
        let (mut opening, mut closing) = (None, yika_domain::Money::ZERO);
        let mut counts = (0, 0, 0);
        let mut all_balance = true;
        for day in month_days {
            let report = day.report;
            all_balance &= day.balances;
            opening.get_or_insert(report.opening_liability);
            closing = report.closing_liability;
            for (total, line) in totals.iter_mut().zip([
                report.deposits,
                report.deductions,
                report.reversals,
                report.refunds,
                report.settlement_effect,
            ]) {
                *total += line;
            }
            counts.0 += report.cards_issued;
            counts.1 += report.admissions;
            counts.2 += report.discharges;
            days.push(MonthDay {
                date: DateScalar(report.date),
                signed: day.closed.is_some(),
                report_sha256: day.closed.map(|c| c.report_sha256),
                changed_since_signed: day.changed,
                opening_liability: report.opening_liability.into(),
                deposits: report.deposits.into(),
                deductions: report.deductions.into(),
                reversals: report.reversals.into(),
                refunds: report.refunds.into(),
                settlement_effect: report.settlement_effect.into(),
                closing_liability: report.closing_liability.into(),
                balances: day.balances,
            });
        }
        let opening = opening.unwrap_or(yika_domain::Money::ZERO);
        let [deposits, deductions, reversals, refunds, settlement_effect] = totals;
        let relation =
            opening + deposits - deductions + reversals - refunds - settlement_effect == closing;
        Ok(MonthlyReport {
            month: first.format("%Y-%m").to_string(),
            opening_liability: opening.into(),
            deposits: deposits.into(),
            deductions: deductions.into(),
            reversals: reversals.into(),
            refunds: refunds.into(),
            settlement_effect: settlement_effect.into(),
            closing_liability: closing.into(),
            balances: all_balance && relation,
            cards_issued: counts.0,
            admissions: counts.1,
            discharges: counts.2,
            signed_days: i64::try_from(days.iter().filter(|d| d.signed).count()).unwrap_or(0),
            days,
        })
    }

    /// The trial balance up to and including `asOfPosition` (default: everything the views
    /// hold). Finance and audit roles.
    #[graphql(complexity = "REPORT_WEIGHT + child_complexity")]
    async fn trial_balance(
        &self,
        ctx: &Context<'_>,
        as_of_position: Option<i32>,
    ) -> GqlResult<TrialBalance> {
        require_finance(actor(ctx)?, "reports")?;
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
        let lines = {
            let _slot = report_slot(ctx).await?;
            read.trial_balance(position).await?
        };
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
    #[graphql(complexity = "REPORT_WEIGHT / 5 + child_complexity")]
    async fn balance_as_of(
        &self,
        ctx: &Context<'_>,
        account_id: Uuid,
        at: DateTime<Utc>,
    ) -> GqlResult<MoneyScalar> {
        crate::auth::require_account_history(actor(ctx)?)?;
        let at = check_instant("at", at)?;
        let read = &app(ctx)?.read;
        let id = yika_domain::AccountId(account_id);
        if read.account(id).await?.is_none() {
            return Err(ApiError::NotFound(format!("account {id} does not exist")).into());
        }
        let _slot = report_slot(ctx).await?;
        Ok(read.balance_as_of(id, at).await?.into())
    }

    /// Deductions, reversals, net and count per executing department recorded in [from, to).
    #[graphql(complexity = "span_weight(&from, &to) + child_complexity")]
    async fn department_revenue(
        &self,
        ctx: &Context<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> GqlResult<Vec<DepartmentRevenue>> {
        require_finance(actor(ctx)?, "reports")?;
        let (from, to) = (check_instant("from", from)?, check_instant("to", to)?);
        if to <= from {
            return Err(ApiError::Validation("to must be after from".to_owned()).into());
        }
        if to - from > Duration::days(MAX_REPORT_DAYS) {
            return Err(ApiError::LimitExceeded(format!(
                "a report covers at most {MAX_REPORT_DAYS} days"
            ))
            .into());
        }
        let rows = {
            let _slot = report_slot(ctx).await?;
            app(ctx)?.read.department_revenue(from, to).await?
        };
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

/// What closing a day takes.
#[derive(async_graphql::InputObject)]
pub struct CloseDayInput {
    /// The business day.
    date: DateScalar,
    /// The controller's note, if any.
    note: Option<String>,
    /// Retries with the same key return the first close.
    idempotency_key: String,
}

/// The day's close.
#[derive(Default)]
pub struct DayMutation;

#[Object]
impl DayMutation {
    /// CONTROLLER: closes a business day (日结) and signs its report: allowed once every shift
    /// that took money that day is closed and handed over (otherwise CONFLICT, with the blocking
    /// shifts in `extensions.blockingShifts`); once per day (CONFLICT again). Answers the report
    /// as signed. What is recorded afterwards with a time on that date belongs to the next day;
    /// a later reversal of the day's deductions shows in `dayCorrections`.
    #[graphql(complexity = "REPORT_WEIGHT + DAY_WEIGHT + child_complexity")]
    async fn close_day(&self, ctx: &Context<'_>, input: CloseDayInput) -> GqlResult<DailyReport> {
        let actor = super::answer::acting(ctx)?;
        let cal = calendar(ctx);
        let day = cal.business_day(input.date.0);
        app(ctx)?
            .close_day(
                actor,
                &day,
                (cal.time_zone.name(), cal.today()),
                input.note,
                &input.idempotency_key,
            )
            .await?;
        daily_report_of(ctx, input.date, ReportVersion::Signed).await
    }
}

/// The back-entry (补录) asked for with `occurredAt` and `backEntryReason` (both or neither),
/// on the hospital's calendar.
pub(super) fn back_entry(
    ctx: &Context<'_>,
    occurred_at: Option<DateTime<Utc>>,
    reason: Option<String>,
) -> GqlResult<Option<crate::application::days::BackEntryRequest>> {
    match (occurred_at, reason) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(ApiError::Validation(
            "a back-entry (occurredAt) needs a backEntryReason".to_owned(),
        )
        .into()),
        (None, Some(_)) => Err(ApiError::Validation(
            "backEntryReason goes with occurredAt, the time the money crossed the window"
                .to_owned(),
        )
        .into()),
        (Some(at), Some(reason)) => {
            let at = check_instant("occurredAt", at)?;
            let cal = calendar(ctx);
            Ok(Some(crate::application::days::BackEntryRequest {
                occurred_at: at,
                reason,
                date: cal.date_of(at),
                window: cal.back_entry_within,
            }))
        }
    }
}
