//! `deductions`: one row per deduction with what was reversed of it.

use yika_domain::Event;

use super::tables::DeductionRecord;
use super::{Applied, Keys, Projector, Rows};
use crate::ProjectionError;

/// The deductions view.
pub struct Deductions;

impl Projector for Deductions {
    fn name(&self) -> &'static str {
        "deductions"
    }
    fn tables(&self) -> &'static [&'static str] {
        &["deductions"]
    }
    fn events(&self) -> Option<&'static [&'static str]> {
        Some(&["ChargeDeducted", "DeductionReversed"])
    }
    fn needs(&self, applied: &Applied<'_>, keys: &mut Keys) {
        if let Event::DeductionReversed { deduction_id, .. } = applied.event {
            keys.deductions.insert(deduction_id.to_string());
        }
    }
    fn fold(&self, rows: &mut Rows, applied: &Applied<'_>) -> Result<(), ProjectionError> {
        match applied.event {
            Event::ChargeDeducted {
                account_id,
                deduction_id,
                amount,
                department,
                order_id,
                item_code,
                item_name,
                quantity,
            } => rows.deductions.insert(
                deduction_id.to_string(),
                DeductionRecord {
                    deduction_id: deduction_id.to_string(),
                    account_id: account_id.to_string(),
                    amount_fen: amount.money().fen(),
                    reversed_fen: 0,
                    department: department.clone(),
                    order_id: order_id.clone(),
                    item_code: item_code.clone(),
                    item_name: item_name.clone(),
                    quantity: i64::from(*quantity),
                    executor_id: applied.metadata.actor_id.map(|a| a.to_string()),
                    recorded_at: applied.at.clone(),
                    position: Some(applied.position),
                },
            ),
            Event::DeductionReversed {
                deduction_id,
                amount,
                ..
            } => {
                let row = rows
                    .deductions
                    .get_mut(&deduction_id.to_string())
                    .ok_or_else(|| applied.corrupt("unknown deduction"))?;
                row.reversed_fen += amount.money().fen();
            }
            _ => {}
        }
        Ok(())
    }
}
