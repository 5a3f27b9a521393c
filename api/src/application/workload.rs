//! The performance workload (绩效考核): difficulty coefficients and quality deductions set by a
//! SUPERVISOR, and the workload table of a period computed from the views.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use yika_domain::ids::streams;
use yika_domain::workload::{Act, WorkloadTable, workload_table};
use yika_domain::{
    Actor, BusinessType, Coefficients, CoefficientsCommand, RecordQualityDeduction, Role, Staff,
    StaffId,
};

use super::{App, Stored, Write};
use crate::calendar::Calendar;
use crate::error::{ApiError, ApiResult};

/// The longest period a workload table covers.
const MAX_DAYS: i64 = 366;

impl App {
    /// SUPERVISOR: sets difficulty coefficients in force from a business date on (never in the
    /// past). `today` is the hospital's local date now. Answers the recorded set.
    pub async fn set_coefficients(
        &self,
        actor: &Actor,
        effective_from: NaiveDate,
        today: NaiveDate,
        base_ratio: Decimal,
        coefficients: Vec<(BusinessType, Decimal)>,
    ) -> ApiResult<Stored> {
        actor.require(Role::Supervisor)?;
        let stream = streams::coefficients();
        let written = self
            .execute(Some(actor), &stream, None, || async {
                let current = self.load::<Coefficients>(&stream).await?;
                let set = yika_domain::workload::set_coefficients(
                    actor,
                    &current.state,
                    &CoefficientsCommand::Set {
                        effective_from,
                        today,
                        base_ratio,
                        coefficients: coefficients.clone(),
                        set_by: actor.staff_id,
                    },
                )?;
                Ok(vec![Write::new(stream.clone(), current.revision, [set])])
            })
            .await?;
        written.take("DifficultyCoefficientsSet")
    }

    /// SUPERVISOR: records a quality deduction against a registered staff member.
    pub async fn record_quality_deduction(
        &self,
        actor: &Actor,
        staff_id: StaffId,
        points: Decimal,
        reason: &str,
    ) -> ApiResult<Stored> {
        actor.require(Role::Supervisor)?;
        let stream = streams::quality(staff_id);
        let written = self
            .execute(Some(actor), &stream, None, || async {
                // The staff member's id is their registration's event id: its stream says
                // whether they exist.
                let target = match self
                    .event_by_id(staff_id.as_uuid(), "StaffRegistered")
                    .await?
                {
                    Some((staff_stream, _)) => self.load::<Staff>(&staff_stream).await?.state,
                    None => std::sync::Arc::default(),
                };
                let quality = self.load::<yika_domain::Quality>(&stream).await?;
                let recorded = yika_domain::workload::record_quality_deduction(
                    actor,
                    &target,
                    &RecordQualityDeduction {
                        staff_id,
                        points,
                        reason: reason.to_owned(),
                        recorded_by: actor.staff_id,
                    },
                )?;
                Ok(vec![Write::new(
                    stream.clone(),
                    quality.revision,
                    [recorded],
                )])
            })
            .await?;
        written.take("QualityDeductionRecorded")
    }

    /// The workload table of the local dates `[from, to]` from the views (the staff's acts, the
    /// coefficient sets, the quality deductions), and each act's business type and time (for
    /// the hour-of-day profile).
    pub async fn workload_table(
        &self,
        calendar: Calendar,
        from: NaiveDate,
        to: NaiveDate,
    ) -> ApiResult<(WorkloadTable, Vec<(BusinessType, DateTime<Utc>)>)> {
        if to < from {
            return Err(ApiError::Validation(
                "to must not be before from".to_owned(),
            ));
        }
        if (to - from).num_days() >= MAX_DAYS {
            return Err(ApiError::LimitExceeded(format!(
                "a workload table covers at most {MAX_DAYS} days"
            )));
        }
        let (start, _) = calendar.day(from);
        let (_, end) = calendar.day(to);
        let rows = self.read.workload_acts(start, end).await?;
        let sets = self.read.coefficient_sets().await?;
        let quality = self.read.quality_deductions(start, end).await?;
        let acts: Vec<Act> = rows
            .iter()
            .map(|r| Act {
                staff: r.staff_id,
                date: calendar.date_of(r.recorded_at),
                business_type: r.business_type,
            })
            .collect();
        let times = rows
            .iter()
            .map(|r| (r.business_type, r.recorded_at))
            .collect();
        Ok((workload_table(&acts, &sets, &quality, to), times))
    }

    /// One staff member's own acts over the local dates `[from, to]`: each act's business type
    /// and time (their workload per day and per hour, 员工查询自己的工作量).
    pub async fn own_acts(
        &self,
        calendar: Calendar,
        staff: StaffId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> ApiResult<Vec<(BusinessType, DateTime<Utc>)>> {
        if to < from {
            return Err(ApiError::Validation(
                "to must not be before from".to_owned(),
            ));
        }
        if (to - from).num_days() >= MAX_DAYS {
            return Err(ApiError::LimitExceeded(format!(
                "a workload table covers at most {MAX_DAYS} days"
            )));
        }
        let (start, _) = calendar.day(from);
        let (_, end) = calendar.day(to);
        Ok(self
            .read
            .workload_acts(start, end)
            .await?
            .into_iter()
            .filter(|r| r.staff_id == staff)
            .map(|r| (r.business_type, r.recorded_at))
            .collect())
    }
}
