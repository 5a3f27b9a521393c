//! Performance workload (绩效考核): business types derived from events, difficulty coefficients
//! with an effective date, and quality deductions. The weighting itself is a pure function over
//! acts and the coefficient sets in force, so any past month can be recomputed as it was.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::aggregate::Aggregate;
use crate::ids::StaffId;
use crate::text::{MAX_NAME_CHARS, bounded};
use crate::{AccountKind, DomainError, Event, InsuranceScheme};

/// What a staff member did, as a supervisor counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BusinessType {
    /// An outpatient card issued.
    CardIssue,
    /// A deposit taken (outpatient or inpatient top-up).
    Deposit,
    /// An inpatient admitted (deposit account opened).
    Admission,
    /// A self-pay discharge settlement.
    DischargeSelfPay,
    /// An insured discharge settlement.
    DischargeInsured,
    /// An out-of-area (外埠) discharge settled by hand: 3–4 times the work.
    DischargeOutOfArea,
    /// A balance paid back.
    BalanceRefund,
    /// A card returned (closed).
    CardReturn,
}

impl BusinessType {
    /// Every type, in a stable order.
    pub const ALL: [BusinessType; 8] = [
        BusinessType::CardIssue,
        BusinessType::Deposit,
        BusinessType::Admission,
        BusinessType::DischargeSelfPay,
        BusinessType::DischargeInsured,
        BusinessType::DischargeOutOfArea,
        BusinessType::BalanceRefund,
        BusinessType::CardReturn,
    ];
}

/// The business type an event counts as, if any; `kind` is the account's kind (card returns
/// are outpatient closures).
#[must_use]
pub fn business_type(event: &Event, kind: Option<AccountKind>) -> Option<BusinessType> {
    match event {
        Event::AccountOpened {
            kind: AccountKind::OutpatientCard,
            ..
        } => Some(BusinessType::CardIssue),
        Event::AccountOpened {
            kind: AccountKind::InpatientDeposit,
            ..
        } => Some(BusinessType::Admission),
        Event::DepositReceived { .. } => Some(BusinessType::Deposit),
        Event::BalanceRefunded { .. } => Some(BusinessType::BalanceRefund),
        Event::DischargeSettled {
            insurance_scheme, ..
        } => Some(match insurance_scheme {
            InsuranceScheme::SelfPay => BusinessType::DischargeSelfPay,
            InsuranceScheme::OutOfArea => BusinessType::DischargeOutOfArea,
            _ => BusinessType::DischargeInsured,
        }),
        Event::AccountClosed { .. } if kind == Some(AccountKind::OutpatientCard) => {
            Some(BusinessType::CardReturn)
        }
        _ => None,
    }
}

/// The default base ratio: the base workload is 70% of the average.
#[must_use]
pub fn default_base_ratio() -> Decimal {
    Decimal::new(7, 1)
}

/// The coefficient sets in force over time (stream `coefficients`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Coefficients {
    /// The latest effective date set so far.
    pub latest: Option<NaiveDate>,
}

/// Commands on the coefficients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoefficientsCommand {
    /// Set coefficients from a date on. `today` is the business date of the request: a set may
    /// not take effect in the past, so a past month is never rewritten.
    Set {
        effective_from: NaiveDate,
        today: NaiveDate,
        base_ratio: Decimal,
        coefficients: Vec<(BusinessType, Decimal)>,
        set_by: StaffId,
    },
}

fn invalid(field: &'static str, reason: &'static str) -> DomainError {
    DomainError::InvalidText { field, reason }
}

impl Aggregate for Coefficients {
    type Command = CoefficientsCommand;

    fn apply(&mut self, event: &Event) {
        if let Event::DifficultyCoefficientsSet { effective_from, .. } = event {
            self.latest = Some(
                self.latest
                    .map_or(*effective_from, |l| l.max(*effective_from)),
            );
        }
    }

    fn decide(&self, command: &CoefficientsCommand) -> Result<Vec<Event>, DomainError> {
        let CoefficientsCommand::Set {
            effective_from,
            today,
            base_ratio,
            coefficients,
            set_by,
        } = command;
        if effective_from < today {
            return Err(invalid(
                "effectiveFrom",
                "must not be in the past (a past month is never rewritten)",
            ));
        }
        // At most a year ahead: a typo (9999-12-31) cannot schedule a set for ever. A set that
        // has not yet taken effect is superseded by a later one from the same or an earlier
        // date (see `schedule`), so a mistaken future set is corrected by setting again.
        if *effective_from > *today + chrono::Duration::days(MAX_DAYS_AHEAD) {
            return Err(invalid("effectiveFrom", "must be at most a year ahead"));
        }
        if *base_ratio <= Decimal::ZERO || *base_ratio > Decimal::ONE || base_ratio.scale() > 4 {
            return Err(invalid(
                "baseRatio",
                "must be above 0 and at most 1, with at most 4 places",
            ));
        }
        if coefficients.is_empty() || coefficients.len() > BusinessType::ALL.len() {
            return Err(invalid(
                "coefficients",
                "must list each business type at most once",
            ));
        }
        let mut seen = Vec::new();
        for (business_type, coefficient) in coefficients {
            if seen.contains(business_type) {
                return Err(invalid(
                    "coefficients",
                    "must list each business type at most once",
                ));
            }
            seen.push(*business_type);
            if *coefficient <= Decimal::ZERO
                || *coefficient > Decimal::from(100)
                || coefficient.scale() > 4
            {
                return Err(invalid(
                    "coefficient",
                    "must be above 0 and at most 100, with at most 4 places",
                ));
            }
        }
        let mut coefficients = coefficients.clone();
        coefficients.sort();
        Ok(vec![Event::DifficultyCoefficientsSet {
            effective_from: *effective_from,
            base_ratio: *base_ratio,
            coefficients,
            set_by: *set_by,
        }])
    }
}

/// Quality deductions of one staff member (stream `quality-<staff>`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Quality;

/// Record a quality deduction against a staff member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordQualityDeduction {
    /// Against whom.
    pub staff_id: StaffId,
    /// Points, above 0 and at most 100, at most 2 places.
    pub points: Decimal,
    /// Why (仪容仪表, 劳动纪律, 服务态度, 工作质量, a complaint…).
    pub reason: String,
    /// The supervisor.
    pub recorded_by: StaffId,
}

impl Aggregate for Quality {
    type Command = RecordQualityDeduction;

    fn apply(&mut self, _event: &Event) {}

    fn decide(&self, command: &RecordQualityDeduction) -> Result<Vec<Event>, DomainError> {
        if command.points <= Decimal::ZERO
            || command.points > Decimal::from(100)
            || command.points.scale() > 2
        {
            return Err(invalid(
                "points",
                "must be above 0 and at most 100, with at most 2 places",
            ));
        }
        let reason = bounded("reason", &command.reason, MAX_NAME_CHARS)?;
        Ok(vec![Event::QualityDeductionRecorded {
            staff_id: command.staff_id,
            points: command.points,
            reason,
            recorded_by: command.recorded_by,
        }])
    }
}

/// A coefficient set as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoefficientSet {
    /// From which business date.
    pub effective_from: NaiveDate,
    /// Base ratio.
    pub base_ratio: Decimal,
    /// Coefficients; a type not listed weighs 1.
    pub coefficients: Vec<(BusinessType, Decimal)>,
}

/// How far ahead a coefficient set may be scheduled.
pub const MAX_DAYS_AHEAD: i64 = 366;

/// The schedule of coefficient sets from the sets in the order they were recorded: each set
/// supersedes every earlier-recorded set from its own date or later (one that had not yet taken
/// effect when it was recorded, since no set may take effect in the past). Sorted by date.
#[must_use]
pub fn schedule(recorded: Vec<CoefficientSet>) -> Vec<CoefficientSet> {
    let mut kept: Vec<CoefficientSet> = Vec::with_capacity(recorded.len());
    for set in recorded {
        kept.retain(|k| k.effective_from < set.effective_from);
        kept.push(set);
    }
    kept.sort_by_key(|s| s.effective_from);
    kept
}

/// The set in force on `date`: the latest with `effective_from <= date` (a [`schedule`]).
#[must_use]
pub fn in_force(sets: &[CoefficientSet], date: NaiveDate) -> Option<&CoefficientSet> {
    sets.iter()
        .filter(|s| s.effective_from <= date)
        .max_by_key(|s| s.effective_from)
}

/// The weight of one act on `date`: its type's coefficient in force then, else 1.
#[must_use]
pub fn weight(sets: &[CoefficientSet], date: NaiveDate, business_type: BusinessType) -> Decimal {
    in_force(sets, date)
        .and_then(|s| {
            s.coefficients
                .iter()
                .find(|(t, _)| *t == business_type)
                .map(|(_, c)| *c)
        })
        .unwrap_or(Decimal::ONE)
}

/// One counted act: who, on which business (local) date, what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Act {
    /// The staff member who acted.
    pub staff: StaffId,
    /// The business date (the hospital's local date).
    pub date: NaiveDate,
    /// What it was.
    pub business_type: BusinessType,
}

/// One staff member's line of the workload table (工作量统计表).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadLine {
    /// Who.
    pub staff: StaffId,
    /// Acts per business type.
    pub counts: std::collections::BTreeMap<BusinessType, u64>,
    /// Σ coefficient in force on each act's date.
    pub weighted: Decimal,
    /// Whether the weighted workload reaches the base.
    pub reaches_base: bool,
    /// What lies above the base (the second distribution), or 0.
    pub excess: Decimal,
    /// Quality deduction points in the period.
    pub quality_deductions: Decimal,
}

/// The workload table of a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadTable {
    /// The average weighted workload over the staff who worked in the period.
    pub average: Decimal,
    /// The base ratio in force at the end of the period.
    pub base_ratio: Decimal,
    /// ratio × average.
    pub base: Decimal,
    /// One line per staff member who acted or was deducted, by staff id.
    pub lines: Vec<WorkloadLine>,
}

/// Places kept in averages and bases (weights themselves are exact).
pub const WORKLOAD_PLACES: u32 = 4;

/// Computes the workload table: each act weighted by the coefficients in force on its date, the
/// average over the staff who acted, the base as the ratio in force at `period_end` times the
/// average, and each line's excess above the base.
#[must_use]
pub fn workload_table(
    acts: &[Act],
    sets: &[CoefficientSet],
    quality: &[(StaffId, Decimal)],
    period_end: NaiveDate,
) -> WorkloadTable {
    use std::collections::BTreeMap;
    let mut lines: BTreeMap<StaffId, WorkloadLine> = BTreeMap::new();
    let line = |staff: StaffId| WorkloadLine {
        staff,
        counts: BTreeMap::new(),
        weighted: Decimal::ZERO,
        reaches_base: false,
        excess: Decimal::ZERO,
        quality_deductions: Decimal::ZERO,
    };
    for act in acts {
        let entry = lines.entry(act.staff).or_insert_with(|| line(act.staff));
        *entry.counts.entry(act.business_type).or_insert(0) += 1;
        entry.weighted += weight(sets, act.date, act.business_type);
    }
    let workers: Vec<Decimal> = lines
        .values()
        .filter(|l| !l.counts.is_empty())
        .map(|l| l.weighted)
        .collect();
    for (staff, points) in quality {
        lines
            .entry(*staff)
            .or_insert_with(|| line(*staff))
            .quality_deductions += *points;
    }
    let average = if workers.is_empty() {
        Decimal::ZERO
    } else {
        (workers.iter().copied().sum::<Decimal>() / Decimal::from(workers.len()))
            .round_dp(WORKLOAD_PLACES)
    };
    let base_ratio = in_force(sets, period_end).map_or_else(default_base_ratio, |s| s.base_ratio);
    let base = (base_ratio * average).round_dp(WORKLOAD_PLACES);
    let lines = lines
        .into_values()
        .map(|mut l| {
            l.reaches_base = !l.counts.is_empty() && l.weighted >= base;
            l.excess = (l.weighted - base).max(Decimal::ZERO);
            l
        })
        .collect();
    WorkloadTable {
        average,
        base_ratio,
        base,
        lines,
    }
}

/// A SUPERVISOR sets the difficulty coefficients in force from a date on.
pub fn set_coefficients(
    actor: &crate::Actor,
    coefficients: &Coefficients,
    command: &CoefficientsCommand,
) -> Result<Event, DomainError> {
    actor.require(crate::Role::Supervisor)?;
    Ok(crate::aggregate::single(coefficients.decide(command)?))
}

/// A SUPERVISOR records a quality deduction against a registered staff member; `target` is the
/// staff stream the deduction's staff id was registered on (default when no such id exists).
pub fn record_quality_deduction(
    actor: &crate::Actor,
    target: &crate::Staff,
    command: &RecordQualityDeduction,
) -> Result<Event, DomainError> {
    actor.require(crate::Role::Supervisor)?;
    if target.staff_id != Some(command.staff_id) {
        return Err(DomainError::StaffNotFound(command.staff_id));
    }
    Ok(crate::aggregate::single(Quality.decide(command)?))
}
