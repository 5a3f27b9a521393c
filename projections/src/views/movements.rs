//! `movements`: one row per money movement (deposits, deductions, reversals, refunds, and a
//! settlement's three ways), for period reports and department revenue.

use yika_domain::{Event, PaymentMethod, ShiftId};

use super::tables::MovementRecord;
use super::{Applied, Keys, Projector, Rows};
use crate::ProjectionError;

/// The movements view.
pub struct Movements;

impl Projector for Movements {
    fn name(&self) -> &'static str {
        "movements"
    }
    fn tables(&self) -> &'static [&'static str] {
        &["movements"]
    }
    fn events(&self) -> Option<&'static [&'static str]> {
        Some(&[
            "DepositReceived",
            "ChargeDeducted",
            "DeductionReversed",
            "BalanceRefunded",
            "DischargeSettled",
        ])
    }
    fn needs(&self, applied: &Applied<'_>, keys: &mut Keys) {
        // A movement at a window records the window, from the shift's row.
        if let Some(shift) = applied.event.shift_id() {
            keys.shifts.insert(shift.to_string());
        }
        // A reversal belongs to its deduction's business day.
        if let Event::DeductionReversed { deduction_id, .. } = applied.event {
            keys.deductions.insert(deduction_id.to_string());
        }
    }
    fn fold(&self, rows: &mut Rows, applied: &Applied<'_>) -> Result<(), ProjectionError> {
        // (kind, amount, method, shift, department) of this event's rows.
        type Line<'e> = (
            &'static str,
            i64,
            Option<PaymentMethod>,
            Option<&'e ShiftId>,
            Option<&'e str>,
        );
        let (account_id, lines): (_, Vec<Line<'_>>) = match applied.event {
            Event::DepositReceived {
                account_id,
                amount,
                method,
                shift_id,
                ..
            } => (
                account_id,
                vec![(
                    "DEPOSIT",
                    amount.money().fen(),
                    Some(*method),
                    Some(shift_id),
                    None,
                )],
            ),
            Event::BalanceRefunded {
                account_id,
                amount,
                method,
                shift_id,
                ..
            } => (
                account_id,
                vec![(
                    "REFUND",
                    amount.money().fen(),
                    Some(*method),
                    Some(shift_id),
                    None,
                )],
            ),
            Event::ChargeDeducted {
                account_id,
                amount,
                department,
                ..
            } => (
                account_id,
                vec![(
                    "DEDUCTION",
                    amount.money().fen(),
                    None,
                    None,
                    Some(department.as_str()),
                )],
            ),
            Event::DeductionReversed {
                account_id,
                amount,
                department,
                ..
            } => (
                account_id,
                vec![(
                    "REVERSAL",
                    amount.money().fen(),
                    None,
                    None,
                    Some(department.as_str()),
                )],
            ),
            Event::DischargeSettled {
                account_id,
                insurance_pays,
                patient_pays,
                patient_receives,
                method,
                shift_id,
                ..
            } => (
                account_id,
                vec![
                    ("INSURANCE", insurance_pays.fen(), None, None, None),
                    (
                        "SETTLEMENT_IN",
                        patient_pays.fen(),
                        Some(*method),
                        Some(shift_id),
                        None,
                    ),
                    (
                        "SETTLEMENT_OUT",
                        patient_receives.fen(),
                        Some(*method),
                        Some(shift_id),
                        None,
                    ),
                ],
            ),
            _ => return Ok(()),
        };
        // When and where in the log the movement's business happened: a reversal's is its
        // deduction's (a drug returned the next morning belongs to the day it was dispensed).
        let (business_at, business_position) = match applied.event {
            Event::DeductionReversed { deduction_id, .. } => {
                let deduction = rows
                    .deductions
                    .get(&deduction_id.to_string())
                    .ok_or_else(|| applied.corrupt("unknown deduction"))?;
                (
                    deduction.recorded_at.clone(),
                    deduction.position.unwrap_or(applied.position),
                )
            }
            _ => (applied.business_at(), applied.position),
        };
        for (kind, amount_fen, method, shift, department) in lines {
            if amount_fen <= 0 {
                continue;
            }
            let shift_id = shift.map(ToString::to_string);
            let window = shift_id
                .as_deref()
                .and_then(|s| rows.shifts.get(s))
                .map(|s| s.window.clone());
            rows.movements.push(MovementRecord {
                position: applied.position,
                kind: kind.to_owned(),
                account_id: account_id.to_string(),
                amount_fen,
                method: method.map(|m| m.as_str().to_owned()),
                shift_id,
                window,
                department: department.map(str::to_owned),
                recorded_at: applied.at.clone(),
                business_at: Some(business_at.clone()),
                business_position: Some(business_position),
                back_entry: applied.metadata.back_entry.clone(),
            });
        }
        Ok(())
    }
}
