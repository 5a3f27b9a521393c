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
    /// The daily report of a local calendar day, across all windows.
    #[graphql(complexity = "REPORT_WEIGHT + DAY_WEIGHT + child_complexity")]
    async fn daily_report(&self, ctx: &Context<'_>, date: DateScalar) -> GqlResult<DailyReport> {
        require_finance(actor(ctx)?, "reports")?;
        let (start, end) = calendar(ctx).day(date.0);
        let _slot = report_slot(ctx).await?;
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
            open_variance: f.open_variance.0.into(),
            open_variance_shifts: f.open_variance.1,
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
