//! `shifts`, `shift_methods`, `receipts`, `cash_counts`: the shift report: float, money in and
//! out per method, receipts issued and voided, counts, the blind count at close, the hand-over.

use yika_domain::{Event, PaymentMethod};

use super::rows::shift_method_key;
use super::tables::{CashCountRecord, ReceiptRecord, ShiftMethodRecord, ShiftRecord};
use super::{Applied, Keys, Projector, Rows};
use crate::ProjectionError;

/// The shift report view.
pub struct Shifts;

impl Projector for Shifts {
    fn name(&self) -> &'static str {
        "shifts"
    }
    fn tables(&self) -> &'static [&'static str] {
        &["shifts", "shift_methods", "receipts", "cash_counts"]
    }
    fn events(&self) -> Option<&'static [&'static str]> {
        Some(&[
            "ShiftOpened",
            "DepositReceived",
            "BalanceRefunded",
            "DischargeSettled",
            "ShiftClosed",
            "ReceiptIssued",
            "ReceiptVoided",
            "CashCounted",
            "CashHandedOver",
            "HandOverDeclared",
            "VarianceResolved",
        ])
    }
    fn needs(&self, applied: &Applied<'_>, keys: &mut Keys) {
        if !matches!(applied.event, Event::ShiftOpened { .. })
            && let Some(shift) = applied.event.shift_id()
        {
            keys.shifts.insert(shift.to_string());
        }
    }
    fn fold(&self, rows: &mut Rows, applied: &Applied<'_>) -> Result<(), ProjectionError> {
        let at = &applied.at;
        match applied.event {
            Event::ShiftOpened {
                shift_id,
                cashier_id,
                window,
                opening_float,
            } => rows.shifts.insert(
                shift_id.to_string(),
                ShiftRecord {
                    shift_id: shift_id.to_string(),
                    cashier_id: cashier_id.to_string(),
                    window: window.clone(),
                    status: "OPEN".to_owned(),
                    opened_at: at.clone(),
                    closed_at: None,
                    opening_float_fen: opening_float.fen(),
                    counted_cash_fen: None,
                    transaction_count: 0,
                    receipts_issued: 0,
                    opened_position: applied.position,
                    receipts_voided: 0,
                    handed_over_fen: None,
                    handed_over_to: None,
                    handed_over_at: None,
                    declared_cash_fen: None,
                    declared_at: None,
                    variance_resolution: None,
                    variance_note: None,
                    closed_position: None,
                    variance_resolved_position: None,
                },
            ),
            Event::DepositReceived {
                shift_id,
                method,
                amount,
                ..
            } => money(
                rows,
                applied,
                &shift_id.to_string(),
                *method,
                amount.money().fen(),
                0,
            )?,
            Event::DischargeSettled {
                shift_id,
                method,
                patient_pays,
                patient_receives,
                ..
            } => money(
                rows,
                applied,
                &shift_id.to_string(),
                *method,
                patient_pays.fen(),
                patient_receives.fen(),
            )?,
            Event::BalanceRefunded {
                shift_id,
                method,
                amount,
                ..
            } => money(
                rows,
                applied,
                &shift_id.to_string(),
                *method,
                0,
                amount.money().fen(),
            )?,
            Event::ShiftClosed {
                shift_id,
                counted_cash,
                counted_other,
                ..
            } => {
                let shift = shift_id.to_string();
                let row = shift_row(rows, applied, &shift)?;
                "CLOSED".clone_into(&mut row.status);
                row.closed_at = Some(at.clone());
                row.closed_position = Some(applied.position);
                row.counted_cash_fen = Some(counted_cash.fen());
                for (method, counted) in counted_other {
                    method_row(rows, &shift, *method).counted_fen = Some(counted.fen());
                }
            }
            Event::ReceiptIssued {
                shift_id,
                receipt_no,
                sequence,
                ..
            } => {
                let shift = shift_id.to_string();
                shift_row(rows, applied, &shift)?.receipts_issued += 1;
                rows.receipts
                    .push(receipt(shift, *sequence, receipt_no, None));
            }
            Event::ReceiptVoided {
                shift_id,
                receipt_no,
                sequence,
                reason,
                ..
            } => {
                let shift = shift_id.to_string();
                shift_row(rows, applied, &shift)?.receipts_voided += 1;
                rows.receipts
                    .push(receipt(shift, *sequence, receipt_no, Some(reason)));
            }
            Event::CashCounted {
                shift_id,
                counted_by,
                surprise,
                counted_cash,
                expected_cash,
                note,
                ..
            } => rows.cash_counts.push(CashCountRecord {
                position: applied.position,
                shift_id: shift_id.to_string(),
                counted_by: counted_by.to_string(),
                surprise: i64::from(*surprise),
                counted_fen: counted_cash.fen(),
                expected_fen: expected_cash.fen(),
                note: note.clone(),
                counted_at: at.clone(),
            }),
            Event::CashHandedOver {
                shift_id,
                received_by,
                amount,
                two_party,
                ..
            } => {
                let row = shift_row(rows, applied, &shift_id.to_string())?;
                row.handed_over_fen = Some(amount.fen());
                row.handed_over_to = Some(received_by.to_string());
                row.handed_over_at = Some(at.clone());
                if *two_party {
                    handed_over_once_both(row);
                } else {
                    // A receipt from before the two-party hand-over completed it alone.
                    "HANDED_OVER".clone_into(&mut row.status);
                }
            }
            Event::HandOverDeclared {
                shift_id,
                cash,
                other,
                ..
            } => {
                let shift = shift_id.to_string();
                let row = shift_row(rows, applied, &shift)?;
                row.declared_cash_fen = Some(cash.fen());
                row.declared_at = Some(at.clone());
                handed_over_once_both(row);
                for (method, declared) in other {
                    method_row(rows, &shift, *method).declared_fen = Some(declared.fen());
                }
            }
            Event::VarianceResolved {
                shift_id,
                resolution,
                note,
                ..
            } => {
                let row = shift_row(rows, applied, &shift_id.to_string())?;
                row.variance_resolution = Some(super::enum_text(resolution));
                row.variance_note = Some(note.clone());
                row.variance_resolved_position = Some(applied.position);
            }
            _ => {}
        }
        Ok(())
    }
}

fn shift_row<'r>(
    rows: &'r mut Rows,
    applied: &Applied<'_>,
    shift: &str,
) -> Result<&'r mut ShiftRecord, ProjectionError> {
    rows.shifts
        .get_mut(shift)
        .ok_or_else(|| applied.corrupt("unknown shift"))
}

/// A shift's row for `method`, created at zero when the shift has none yet.
fn method_row<'r>(
    rows: &'r mut Rows,
    shift: &str,
    method: PaymentMethod,
) -> &'r mut ShiftMethodRecord {
    let key = shift_method_key(shift, method.as_str());
    if rows.shift_methods.get(&key).is_none() {
        rows.shift_methods.insert(
            key.clone(),
            ShiftMethodRecord {
                shift_id: shift.to_owned(),
                method: method.as_str().to_owned(),
                received_fen: 0,
                paid_out_fen: 0,
                counted_fen: None,
                declared_fen: None,
            },
        );
    }
    rows.shift_methods.get_mut(&key).expect("just made")
}

/// Money in and out of a shift by `method`: one more transaction.
fn money(
    rows: &mut Rows,
    applied: &Applied<'_>,
    shift: &str,
    method: PaymentMethod,
    received: i64,
    paid_out: i64,
) -> Result<(), ProjectionError> {
    shift_row(rows, applied, shift)?.transaction_count += 1;
    let row = method_row(rows, shift, method);
    row.received_fen += received;
    row.paid_out_fen += paid_out;
    Ok(())
}

fn receipt(
    shift_id: String,
    sequence: u64,
    receipt_no: &str,
    voided_for: Option<&str>,
) -> ReceiptRecord {
    ReceiptRecord {
        shift_id,
        sequence: i64::try_from(sequence).expect("sequences fit in i64"),
        receipt_no: receipt_no.to_owned(),
        status: if voided_for.is_some() {
            "VOIDED"
        } else {
            "ISSUED"
        }
        .to_owned(),
        reason: voided_for.map(str::to_owned),
    }
}

/// A closed shift is handed over once both halves are recorded: the cashier's declaration and
/// the controller's receipt (in either order).
fn handed_over_once_both(row: &mut ShiftRecord) {
    if row.handed_over_fen.is_some() && row.declared_cash_fen.is_some() {
        "HANDED_OVER".clone_into(&mut row.status);
    }
}
