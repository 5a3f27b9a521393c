//! `workload_acts`, `coefficient_sets`, `quality_deductions`: acts attributed to the staff
//! member who acted, the difficulty coefficients in force, and quality deductions.

use yika_domain::{AccountKind, Event};

use super::tables::{CoefficientSetRecord, QualityDeductionRecord, WorkloadActRecord};
use super::{Applied, Keys, Projector, Rows, enum_text};
use crate::ProjectionError;

/// The workload view.
pub struct Workload;

impl Projector for Workload {
    fn name(&self) -> &'static str {
        "workload"
    }
    fn tables(&self) -> &'static [&'static str] {
        &["workload_acts", "coefficient_sets", "quality_deductions"]
    }
    fn events(&self) -> Option<&'static [&'static str]> {
        Some(&[
            "AccountOpened",
            "DepositReceived",
            "BalanceRefunded",
            "DischargeSettled",
            "AccountClosed",
            "DifficultyCoefficientsSet",
            "QualityDeductionRecorded",
        ])
    }
    fn needs(&self, applied: &Applied<'_>, keys: &mut Keys) {
        // A closed card is a card return: the kind is on the account's row.
        if let Event::AccountClosed { account_id, .. } = applied.event {
            keys.accounts.insert(account_id.to_string());
        }
    }
    fn fold(&self, rows: &mut Rows, applied: &Applied<'_>) -> Result<(), ProjectionError> {
        match applied.event {
            Event::DifficultyCoefficientsSet {
                effective_from,
                base_ratio,
                coefficients,
                ..
            } => {
                rows.coefficient_sets.push(CoefficientSetRecord {
                    position: applied.position,
                    effective_from: effective_from.format("%Y-%m-%d").to_string(),
                    base_ratio: base_ratio.to_string(),
                    coefficients: serde_json::to_string(coefficients)
                        .expect("coefficients serialize"),
                });
                return Ok(());
            }
            Event::QualityDeductionRecorded {
                staff_id,
                points,
                reason,
                ..
            } => {
                rows.quality_deductions.push(QualityDeductionRecord {
                    position: applied.position,
                    deduction_id: applied.recorded.event_id.to_string(),
                    staff_id: staff_id.to_string(),
                    points: points.to_string(),
                    reason: reason.clone(),
                    recorded_at: applied.at.clone(),
                });
                return Ok(());
            }
            _ => {}
        }
        let kind = match applied.event {
            Event::AccountClosed { account_id, .. } => {
                rows.accounts.get(&account_id.to_string()).and_then(|row| {
                    serde_json::from_value::<AccountKind>(serde_json::Value::String(
                        row.kind.clone(),
                    ))
                    .ok()
                })
            }
            _ => None,
        };
        let (Some(business_type), Some(actor)) = (
            yika_domain::workload::business_type(applied.event, kind),
            applied.metadata.actor_id,
        ) else {
            return Ok(());
        };
        // An act counts when it was done: a back-entry (补录) on the day and hour of the outage
        // it was done in (the column keeps its name; it holds the business time).
        rows.workload_acts.push(WorkloadActRecord {
            position: applied.position,
            staff_id: actor.to_string(),
            business_type: enum_text(&business_type),
            recorded_at: applied.business_at(),
        });
        Ok(())
    }
}
