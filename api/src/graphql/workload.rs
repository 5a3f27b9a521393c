//! The performance workload (绩效考核): coefficients, quality deductions, the workload table per
//! period and the hour-of-day profile.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use chrono::{DateTime, Timelike, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::str::FromStr;
use uuid::Uuid;
use yika_domain::{Event, Role as DomainRole, StaffId};

use super::answer::acting;
use super::context::{actor, app, calendar};
use super::cost::{period_weight, report_slot};
use super::scalars::DateScalar;
use super::staff::{Staff, known_staff};
use crate::auth::{Actor, require_any};
use crate::error::{ApiError, ApiResult, GqlResult};

/// What a staff member did, as a supervisor counts it.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum BusinessType {
    CardIssue,
    Deposit,
    Admission,
    DischargeSelfPay,
    DischargeInsured,
    DischargeOutOfArea,
    BalanceRefund,
    CardReturn,
}

impl From<BusinessType> for yika_domain::BusinessType {
    fn from(value: BusinessType) -> Self {
        use yika_domain::BusinessType as B;
        match value {
            BusinessType::CardIssue => B::CardIssue,
            BusinessType::Deposit => B::Deposit,
            BusinessType::Admission => B::Admission,
            BusinessType::DischargeSelfPay => B::DischargeSelfPay,
            BusinessType::DischargeInsured => B::DischargeInsured,
            BusinessType::DischargeOutOfArea => B::DischargeOutOfArea,
            BusinessType::BalanceRefund => B::BalanceRefund,
            BusinessType::CardReturn => B::CardReturn,
        }
    }
}

impl From<yika_domain::BusinessType> for BusinessType {
    fn from(value: yika_domain::BusinessType) -> Self {
        use yika_domain::BusinessType as B;
        match value {
            B::CardIssue => BusinessType::CardIssue,
            B::Deposit => BusinessType::Deposit,
            B::Admission => BusinessType::Admission,
            B::DischargeSelfPay => BusinessType::DischargeSelfPay,
            B::DischargeInsured => BusinessType::DischargeInsured,
            B::DischargeOutOfArea => BusinessType::DischargeOutOfArea,
            B::BalanceRefund => BusinessType::BalanceRefund,
            B::CardReturn => BusinessType::CardReturn,
        }
    }
}

/// The share of the average that every staff member gets as a base, when not given.
const DEFAULT_BASE_RATIO: f64 = 0.7;

/// A Float from the API as an exact decimal: its shortest round-trip text ("0.7", not
/// 0.69999…), at most `places` places.
pub fn exact(value: f64, field: &str, places: u32) -> ApiResult<Decimal> {
    if !value.is_finite() {
        return Err(ApiError::Validation(format!(
            "{field} must be a finite number"
        )));
    }
    let decimal = Decimal::from_str(&format!("{value}"))
        .map_err(|_| ApiError::Validation(format!("{field} is out of range")))?;
    if decimal.scale() > places {
        return Err(ApiError::Validation(format!(
            "{field} has more than {places} decimal places"
        )));
    }
    Ok(decimal)
}

fn float(value: Decimal) -> f64 {
    value.to_f64().unwrap_or(f64::NAN)
}

/// A coefficient in force from a date.
#[derive(SimpleObject)]
pub struct Coefficient {
    business_type: BusinessType,
    coefficient: f64,
    effective_from: DateScalar,
}

#[derive(InputObject)]
struct CoefficientInput {
    business_type: BusinessType,
    coefficient: f64,
}

/// Coefficients from a date on; types not listed weigh 1.
#[derive(InputObject)]
struct CoefficientsInput {
    effective_from: DateScalar,
    coefficients: Vec<CoefficientInput>,
    /// 0.7 when absent or null.
    #[graphql(default_with = "Some(DEFAULT_BASE_RATIO)")]
    base_ratio: Option<f64>,
}

#[derive(InputObject)]
struct QualityDeductionInput {
    staff_id: Uuid,
    points: f64,
    reason: String,
}

/// A quality deduction recorded against a staff member.
pub struct QualityDeduction {
    id: Uuid,
    staff_id: StaffId,
    points: Decimal,
    reason: String,
    recorded_at: DateTime<Utc>,
}

#[Object]
impl QualityDeduction {
    async fn id(&self) -> Uuid {
        self.id
    }
    async fn staff(&self, ctx: &Context<'_>) -> GqlResult<Staff> {
        known_staff(ctx, self.staff_id, "quality deduction").await
    }
    async fn points(&self) -> f64 {
        float(self.points)
    }
    async fn reason(&self) -> &str {
        &self.reason
    }
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.recorded_at
    }
}

/// A count per business type.
#[derive(SimpleObject)]
pub struct BusinessCount {
    business_type: BusinessType,
    count: i64,
}

/// One staff member's line of the workload table.
#[derive(SimpleObject)]
pub struct WorkloadRow {
    staff: Staff,
    counts: Vec<BusinessCount>,
    /// Σ coefficient in force on each act's date (exact; shown as Float).
    weighted: f64,
    reaches_base: bool,
    /// Above the base: what enters the second distribution.
    excess: f64,
    quality_deductions: f64,
}

/// The workload table (工作量统计表) of a period.
#[derive(SimpleObject)]
pub struct WorkloadReport {
    from: DateScalar,
    to: DateScalar,
    /// Over the staff who worked in the period.
    average: f64,
    base_ratio: f64,
    /// base_ratio × average.
    base: f64,
    rows: Vec<WorkloadRow>,
}

/// Transactions in one local hour of the day.
#[derive(SimpleObject)]
pub struct HourBucket {
    hour: i32,
    transactions: i64,
    by_type: Vec<BusinessCount>,
}

/// One local day of a staff member's own workload.
#[derive(SimpleObject)]
pub struct WorkloadDay {
    date: DateScalar,
    transactions: i64,
    by_type: Vec<BusinessCount>,
}

/// A staff member's own workload over a period: per local day and per local hour of the day.
#[derive(SimpleObject)]
pub struct MyWorkload {
    staff: Staff,
    from: DateScalar,
    to: DateScalar,
    /// Everything they did in the period.
    transactions: i64,
    by_type: Vec<BusinessCount>,
    /// Each day they did something.
    days: Vec<WorkloadDay>,
    /// All 24 local hours of the day, summed over the period.
    hours: Vec<HourBucket>,
}

/// The 24 hour buckets of `times` in the hospital's time zone.
fn hour_buckets(
    calendar: &crate::calendar::Calendar,
    times: &[(yika_domain::BusinessType, chrono::DateTime<Utc>)],
) -> Vec<HourBucket> {
    let mut hours: Vec<std::collections::BTreeMap<yika_domain::BusinessType, u64>> =
        vec![Default::default(); 24];
    for (business_type, at) in times {
        let hour = at.with_timezone(&calendar.time_zone).hour() as usize;
        *hours[hour].entry(*business_type).or_insert(0) += 1;
    }
    hours
        .into_iter()
        .enumerate()
        .map(|(hour, by_type)| HourBucket {
            hour: i32::try_from(hour).expect("24 hours"),
            transactions: i64::try_from(by_type.values().sum::<u64>()).unwrap_or(i64::MAX),
            by_type: counts(by_type),
        })
        .collect()
}

fn require_reader(actor: &Actor) -> ApiResult<()> {
    require_any(
        actor,
        &[
            DomainRole::Supervisor,
            DomainRole::Controller,
            DomainRole::Auditor,
            DomainRole::Admin,
        ],
        "workload figures are for supervisors, finance and audit",
    )
}

fn counts(map: impl IntoIterator<Item = (yika_domain::BusinessType, u64)>) -> Vec<BusinessCount> {
    map.into_iter()
        .map(|(t, c)| BusinessCount {
            business_type: t.into(),
            count: i64::try_from(c).unwrap_or(i64::MAX),
        })
        .collect()
}

/// Workload queries, merged into `Query`.
#[derive(Default)]
pub struct WorkloadQuery;

#[Object]
impl WorkloadQuery {
    /// The workload table of the local dates [from, to] (a month: from the 1st to the last day).
    #[graphql(complexity = "period_weight(&from, &to) + child_complexity")]
    async fn workload(
        &self,
        ctx: &Context<'_>,
        from: DateScalar,
        to: DateScalar,
    ) -> GqlResult<WorkloadReport> {
        require_reader(actor(ctx)?)?;
        let (table, _) = {
            let _slot = report_slot(ctx).await?;
            app(ctx)?
                .workload_table(calendar(ctx), from.0, to.0)
                .await?
        };
        let mut rows = Vec::with_capacity(table.lines.len());
        for line in table.lines {
            let staff = known_staff(ctx, line.staff, "workload").await?;
            rows.push(WorkloadRow {
                staff,
                counts: counts(line.counts),
                weighted: float(line.weighted),
                reaches_base: line.reaches_base,
                excess: float(line.excess),
                quality_deductions: float(line.quality_deductions),
            });
        }
        Ok(WorkloadReport {
            from,
            to,
            average: float(table.average),
            base_ratio: float(table.base_ratio),
            base: float(table.base),
            rows,
        })
    }

    /// Transactions per local hour of the day over [from, to]: the profile for flexible
    /// scheduling (the 9:00–12:00 discharge peak).
    #[graphql(complexity = "period_weight(&from, &to) + child_complexity")]
    async fn workload_by_hour(
        &self,
        ctx: &Context<'_>,
        from: DateScalar,
        to: DateScalar,
    ) -> GqlResult<Vec<HourBucket>> {
        require_reader(actor(ctx)?)?;
        let calendar = calendar(ctx);
        let (_, times) = {
            let _slot = report_slot(ctx).await?;
            app(ctx)?.workload_table(calendar, from.0, to.0).await?
        };
        Ok(hour_buckets(&calendar, &times))
    }

    /// The caller's own workload (员工查询自己的工作量), whatever their role: what they did per
    /// local day and per local hour of the day over [from, to], by business type. Never anyone
    /// else's: there is no argument naming a staff member.
    #[graphql(complexity = "period_weight(&from, &to) + child_complexity")]
    async fn my_workload(
        &self,
        ctx: &Context<'_>,
        from: DateScalar,
        to: DateScalar,
    ) -> GqlResult<MyWorkload> {
        let me = actor(ctx)?;
        let calendar = calendar(ctx);
        let times = {
            let _slot = report_slot(ctx).await?;
            app(ctx)?
                .own_acts(calendar, me.staff_id, from.0, to.0)
                .await?
        };
        let mut days: std::collections::BTreeMap<
            chrono::NaiveDate,
            std::collections::BTreeMap<yika_domain::BusinessType, u64>,
        > = std::collections::BTreeMap::new();
        let mut all: std::collections::BTreeMap<yika_domain::BusinessType, u64> =
            std::collections::BTreeMap::new();
        for (business_type, at) in &times {
            *days
                .entry(calendar.date_of(*at))
                .or_default()
                .entry(*business_type)
                .or_insert(0) += 1;
            *all.entry(*business_type).or_insert(0) += 1;
        }
        let staff = known_staff(ctx, me.staff_id, "workload").await?;
        Ok(MyWorkload {
            staff,
            from,
            to,
            transactions: i64::try_from(times.len()).unwrap_or(i64::MAX),
            by_type: counts(all),
            days: days
                .into_iter()
                .map(|(date, by_type)| WorkloadDay {
                    date: DateScalar(date),
                    transactions: i64::try_from(by_type.values().sum::<u64>()).unwrap_or(i64::MAX),
                    by_type: counts(by_type),
                })
                .collect(),
            hours: hour_buckets(&calendar, &times),
        })
    }
}

/// Workload mutations, merged into `Mutation`.
#[derive(Default)]
pub struct WorkloadMutation;

#[Object]
impl WorkloadMutation {
    /// SUPERVISOR: sets difficulty coefficients (and the base ratio, default 0.7) in force from
    /// a date on; never for a past date, so a past month is never rewritten.
    async fn set_difficulty_coefficients(
        &self,
        ctx: &Context<'_>,
        input: CoefficientsInput,
    ) -> GqlResult<Vec<Coefficient>> {
        let actor = acting(ctx)?;
        let calendar = calendar(ctx);
        let today = Utc::now().with_timezone(&calendar.time_zone).date_naive();
        if input.coefficients.len() > 16 {
            return Err(ApiError::LimitExceeded(
                "at most one coefficient per business type".to_owned(),
            )
            .into());
        }
        let mut coefficients = Vec::with_capacity(input.coefficients.len());
        for c in &input.coefficients {
            coefficients.push((
                c.business_type.into(),
                exact(c.coefficient, "coefficient", 4)?,
            ));
        }
        let base_ratio = exact(
            input.base_ratio.unwrap_or(DEFAULT_BASE_RATIO),
            "baseRatio",
            4,
        )?;
        let set = app(ctx)?
            .set_coefficients(
                actor,
                input.effective_from.0,
                today,
                base_ratio,
                coefficients,
            )
            .await?;
        let Event::DifficultyCoefficientsSet {
            effective_from: from,
            coefficients,
            ..
        } = set.event
        else {
            return Err(ApiError::Internal("a coefficient set that is not one".to_owned()).into());
        };
        Ok(coefficients
            .into_iter()
            .map(|(t, c)| Coefficient {
                business_type: t.into(),
                coefficient: float(c),
                effective_from: DateScalar(from),
            })
            .collect())
    }

    /// SUPERVISOR: records a quality deduction (仪容仪表, 劳动纪律, 服务态度, 工作质量, a
    /// complaint…) against a staff member.
    async fn record_quality_deduction(
        &self,
        ctx: &Context<'_>,
        input: QualityDeductionInput,
    ) -> GqlResult<QualityDeduction> {
        let actor = acting(ctx)?;
        let points = exact(input.points, "points", 2)?;
        let staff_id = StaffId(input.staff_id);
        let recorded = app(ctx)?
            .record_quality_deduction(actor, staff_id, points, &input.reason)
            .await?;
        match recorded.event {
            Event::QualityDeductionRecorded { points, reason, .. } => Ok(QualityDeduction {
                id: recorded.event_id,
                staff_id,
                points,
                reason,
                recorded_at: recorded.recorded_at,
            }),
            _ => Err(ApiError::Internal("a quality deduction that is not one".to_owned()).into()),
        }
    }
}
