//! The projectors: one function per view, each turning one event into row changes. They run
//! inside the runner's transaction, in log order, exactly once per event.

use yika_domain::{Event, Metadata, PaymentMethod};
use yika_store::RecordedEvent;
use yika_store::sqlite::format_time;

use crate::ProjectionError;

use crate::views_enum as enum_text;

/// Applies one event to every view.
pub async fn apply(
    conn: &mut sqlx::AnyConnection,
    recorded: &RecordedEvent,
    event: &Event,
    metadata: &Metadata,
) -> Result<(), ProjectionError> {
    staff(conn, recorded, event).await?;
    balances(conn, recorded, event).await?;
    deductions(conn, recorded, event, metadata).await?;
    shifts(conn, recorded, event).await?;
    movements(conn, recorded, event).await?;
    journal(conn, recorded, event).await?;
    workload(conn, recorded, event, metadata).await?;
    audit_index(conn, recorded, event, metadata).await?;
    Ok(())
}

/// The audit index: what the audit trail filters on, per event.
async fn audit_index(
    conn: &mut sqlx::AnyConnection,
    recorded: &RecordedEvent,
    event: &Event,
    metadata: &Metadata,
) -> Result<(), ProjectionError> {
    let department = match event {
        Event::ChargeDeducted { department, .. } | Event::DeductionReversed { department, .. } => {
            Some(department.as_str())
        }
        Event::StaffRegistered { department, .. } => department.as_deref(),
        _ => None,
    };
    sqlx::query(
        "INSERT INTO audit_index (position, event_type, account_id, shift_id, actor_id, department, recorded_at, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(i64::try_from(recorded.position).expect("position fits"))
    .bind(&recorded.event_type)
    .bind(event.account_id().map(|a| a.to_string()))
    .bind(event.shift_id().map(|s| s.to_string()))
    .bind(metadata.actor_id.map(|a| a.to_string()))
    .bind(department)
    .bind(format_time(recorded.recorded_at))
    .bind(&recorded.hash)
    .execute(conn)
    .await?;
    Ok(())
}

/// The workload view: acts attributed to the staff member who acted, coefficient sets and
/// quality deductions.
async fn workload(
    conn: &mut sqlx::AnyConnection,
    recorded: &RecordedEvent,
    event: &Event,
    metadata: &Metadata,
) -> Result<(), ProjectionError> {
    let position = i64::try_from(recorded.position).expect("position fits");
    let at = format_time(recorded.recorded_at);
    match event {
        Event::DifficultyCoefficientsSet {
            effective_from,
            base_ratio,
            coefficients,
            ..
        } => {
            sqlx::query("INSERT INTO coefficient_sets (position, effective_from, base_ratio, coefficients) VALUES ($1, $2, $3, $4)")
                .bind(position)
                .bind(effective_from.format("%Y-%m-%d").to_string())
                .bind(base_ratio.to_string())
                .bind(serde_json::to_string(coefficients).expect("coefficients serialize"))
                .execute(conn)
                .await?;
            return Ok(());
        }
        Event::QualityDeductionRecorded {
            staff_id,
            points,
            reason,
            ..
        } => {
            sqlx::query(
                "INSERT INTO quality_deductions (position, deduction_id, staff_id, points, reason, recorded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(position)
            .bind(recorded.event_id.to_string())
            .bind(staff_id.to_string())
            .bind(points.to_string())
            .bind(reason)
            .bind(&at)
            .execute(conn)
            .await?;
            return Ok(());
        }
        _ => {}
    }
    let kind = match event.account_id() {
        Some(account) if matches!(event, Event::AccountClosed { .. }) => {
            let kind: Option<String> =
                sqlx::query_scalar("SELECT kind FROM accounts WHERE account_id = $1")
                    .bind(account.to_string())
                    .fetch_optional(&mut *conn)
                    .await?;
            kind.and_then(|k| serde_json::from_value(serde_json::Value::String(k)).ok())
        }
        _ => None,
    };
    let (Some(business_type), Some(actor)) = (
        yika_domain::workload::business_type(event, kind),
        metadata.actor_id,
    ) else {
        return Ok(());
    };
    sqlx::query("INSERT INTO workload_acts (position, staff_id, business_type, recorded_at) VALUES ($1, $2, $3, $4)")
        .bind(position)
        .bind(actor.to_string())
        .bind(enum_text(&business_type))
        .bind(&at)
        .execute(conn)
        .await?;
    Ok(())
}

/// The journal: each event's balanced postings, one row per leg.
async fn journal(
    conn: &mut sqlx::AnyConnection,
    recorded: &RecordedEvent,
    event: &Event,
) -> Result<(), ProjectionError> {
    let legs = yika_domain::postings(event);
    let sum: i64 = legs.iter().map(|p| p.amount.fen()).sum();
    if sum != 0 {
        return Err(ProjectionError::Corrupt(format!(
            "unbalanced postings at {}",
            recorded.position
        )));
    }
    for (leg, posting) in legs.iter().enumerate() {
        let account = posting.account.to_string();
        let group = ledger_group(&posting.account);
        sqlx::query(
            "INSERT INTO journal (position, leg, ledger_account, ledger_group, amount_fen, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(i64::try_from(recorded.position).expect("position fits"))
        .bind(i64::try_from(leg).expect("few legs"))
        .bind(&account)
        .bind(group.unwrap_or(&account))
        .bind(posting.amount.fen())
        .bind(format_time(recorded.recorded_at))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The control account a subledger rolls up into, for the trial balance.
fn ledger_group(account: &yika_domain::LedgerAccount) -> Option<&'static str> {
    match account {
        yika_domain::LedgerAccount::PatientPrepaid(_) => Some("patient-prepaid"),
        yika_domain::LedgerAccount::CashDrawer(_) => Some("cash-drawer"),
        _ => None,
    }
}

/// The movements view: one row per money movement, for period reports.
/// One movements row: (kind, amount in fen, method, shift, department).
type MovementRow<'a> = (
    &'a str,
    i64,
    Option<PaymentMethod>,
    Option<String>,
    Option<&'a str>,
);

async fn movements(
    conn: &mut sqlx::AnyConnection,
    recorded: &RecordedEvent,
    event: &Event,
) -> Result<(), ProjectionError> {
    // (kind, amount, method, shift, department) rows of this event.
    let mut rows: Vec<MovementRow<'_>> = Vec::new();
    let account_id = match event {
        Event::DepositReceived {
            account_id,
            amount,
            method,
            shift_id,
            ..
        } => {
            rows.push((
                "DEPOSIT",
                amount.money().fen(),
                Some(*method),
                Some(shift_id.to_string()),
                None,
            ));
            account_id
        }
        Event::BalanceRefunded {
            account_id,
            amount,
            method,
            shift_id,
            ..
        } => {
            rows.push((
                "REFUND",
                amount.money().fen(),
                Some(*method),
                Some(shift_id.to_string()),
                None,
            ));
            account_id
        }
        Event::ChargeDeducted {
            account_id,
            amount,
            department,
            ..
        } => {
            rows.push((
                "DEDUCTION",
                amount.money().fen(),
                None,
                None,
                Some(department.as_str()),
            ));
            account_id
        }
        Event::DeductionReversed {
            account_id,
            amount,
            department,
            ..
        } => {
            rows.push((
                "REVERSAL",
                amount.money().fen(),
                None,
                None,
                Some(department.as_str()),
            ));
            account_id
        }
        Event::DischargeSettled {
            account_id,
            insurance_pays,
            patient_pays,
            patient_receives,
            method,
            shift_id,
            ..
        } => {
            let shift = Some(shift_id.to_string());
            rows.push(("INSURANCE", insurance_pays.fen(), None, None, None));
            rows.push((
                "SETTLEMENT_IN",
                patient_pays.fen(),
                Some(*method),
                shift.clone(),
                None,
            ));
            rows.push((
                "SETTLEMENT_OUT",
                patient_receives.fen(),
                Some(*method),
                shift,
                None,
            ));
            account_id
        }
        _ => return Ok(()),
    };
    for (kind, amount_fen, method, shift_id, department) in rows.into_iter().filter(|r| r.1 > 0) {
        sqlx::query(
            "INSERT INTO movements (position, kind, account_id, amount_fen, method, shift_id, \"window\", department, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, (SELECT \"window\" FROM shifts WHERE shift_id = $7), $8, $9)",
        )
        .bind(i64::try_from(recorded.position).expect("position fits"))
        .bind(kind)
        .bind(account_id.to_string())
        .bind(amount_fen)
        .bind(method.map(PaymentMethod::as_str))
        .bind(&shift_id)
        .bind(&shift_id)
        .bind(department)
        .bind(format_time(recorded.recorded_at))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn staff(
    conn: &mut sqlx::AnyConnection,
    recorded: &RecordedEvent,
    event: &Event,
) -> Result<(), ProjectionError> {
    if let Event::StaffRegistered {
        staff_id,
        staff_no,
        name,
        role,
        department,
        token_sha256,
    } = event
    {
        sqlx::query(
            "INSERT INTO staff (staff_id, staff_no, name, role, department, token_sha256, registered_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(staff_id.to_string())
        .bind(staff_no)
        .bind(name)
        .bind(enum_text(role))
        .bind(department)
        .bind(token_sha256)
        .bind(format_time(recorded.recorded_at))
        .execute(conn)
        .await?;
    }
    Ok(())
}

/// The balances view: one row per account with its running sums.
async fn balances(
    conn: &mut sqlx::AnyConnection,
    recorded: &RecordedEvent,
    event: &Event,
) -> Result<(), ProjectionError> {
    let at = format_time(recorded.recorded_at);
    let revision = i64::try_from(recorded.revision).expect("revision fits");
    // (deposited, deducted, reversed, refunded) deltas in fen.
    let (account_id, deltas) = match event {
        Event::AccountOpened {
            account_id,
            kind,
            patient_id,
            card_no,
            insurance_scheme,
        } => {
            sqlx::query(
                "INSERT INTO accounts (account_id, kind, status, patient_id, card_no, insurance_scheme, \
                 balance_fen, deposited_fen, deducted_fen, reversed_fen, refunded_fen, opened_at, \
                 last_activity_at, revision, opened_position) \
                 VALUES ($1, $2, 'OPEN', $3, $4, $5, 0, 0, 0, 0, 0, $6, $7, $8, $9)",
            )
            .bind(account_id.to_string())
            .bind(enum_text(kind))
            .bind(patient_id)
            .bind(card_no)
            .bind(enum_text(insurance_scheme))
            .bind(&at)
            .bind(&at)
            .bind(revision)
            .bind(i64::try_from(recorded.position).expect("position fits"))
            .execute(conn)
            .await?;
            return Ok(());
        }
        Event::DischargeSettled {
            account_id,
            insurance_pays,
            patient_pays,
            patient_receives,
            ..
        } => {
            let effect = (*insurance_pays + *patient_pays - *patient_receives).fen();
            sqlx::query("UPDATE accounts SET balance_fen = balance_fen + $1, last_activity_at = $2, revision = $3 WHERE account_id = $4")
                .bind(effect)
                .bind(&at)
                .bind(revision)
                .bind(account_id.to_string())
                .execute(conn)
                .await?;
            return Ok(());
        }
        Event::AccountClosed { account_id, .. } => {
            sqlx::query("UPDATE accounts SET status = 'CLOSED', last_activity_at = $1, revision = $2 WHERE account_id = $3")
                .bind(&at)
                .bind(revision)
                .bind(account_id.to_string())
                .execute(conn)
                .await?;
            return Ok(());
        }
        Event::DepositReceived {
            account_id, amount, ..
        } => (account_id, [amount.money().fen(), 0, 0, 0]),
        Event::ChargeDeducted {
            account_id, amount, ..
        } => (account_id, [0, amount.money().fen(), 0, 0]),
        Event::DeductionReversed {
            account_id, amount, ..
        } => (account_id, [0, 0, amount.money().fen(), 0]),
        Event::BalanceRefunded {
            account_id, amount, ..
        } => (account_id, [0, 0, 0, amount.money().fen()]),
        _ => return Ok(()),
    };
    let [deposited, deducted, reversed, refunded] = deltas;
    let updated = sqlx::query(
        "UPDATE accounts SET deposited_fen = deposited_fen + $1, deducted_fen = deducted_fen + $2, \
         reversed_fen = reversed_fen + $3, refunded_fen = refunded_fen + $4, \
         balance_fen = balance_fen + $5 - $6 + $7 - $8, last_activity_at = $9, revision = $10 WHERE account_id = $11",
    )
    .bind(deposited)
    .bind(deducted)
    .bind(reversed)
    .bind(refunded)
    .bind(deposited)
    .bind(deducted)
    .bind(reversed)
    .bind(refunded)
    .bind(&at)
    .bind(revision)
    .bind(account_id.to_string())
    .execute(conn)
    .await?;
    if updated.rows_affected() != 1 {
        return Err(ProjectionError::Corrupt(format!(
            "{} at {} for unknown account",
            recorded.event_type, recorded.position
        )));
    }
    Ok(())
}

async fn deductions(
    conn: &mut sqlx::AnyConnection,
    recorded: &RecordedEvent,
    event: &Event,
    metadata: &Metadata,
) -> Result<(), ProjectionError> {
    match event {
        Event::ChargeDeducted {
            account_id,
            deduction_id,
            amount,
            department,
            order_id,
            item_code,
            item_name,
            quantity,
        } => {
            sqlx::query(
                "INSERT INTO deductions (deduction_id, account_id, amount_fen, reversed_fen, department, order_id, \
                 item_code, item_name, quantity, executor_id, recorded_at) VALUES ($1, $2, $3, 0, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(deduction_id.to_string())
            .bind(account_id.to_string())
            .bind(amount.money().fen())
            .bind(department)
            .bind(order_id)
            .bind(item_code)
            .bind(item_name)
            .bind(i64::from(*quantity))
            .bind(metadata.actor_id.map(|a| a.to_string()))
            .bind(format_time(recorded.recorded_at))
            .execute(conn)
            .await?;
        }
        Event::DeductionReversed {
            deduction_id,
            amount,
            ..
        } => {
            sqlx::query(
                "UPDATE deductions SET reversed_fen = reversed_fen + $1 WHERE deduction_id = $2",
            )
            .bind(amount.money().fen())
            .bind(deduction_id.to_string())
            .execute(conn)
            .await?;
        }
        _ => {}
    }
    Ok(())
}

async fn shift_method(
    conn: &mut sqlx::AnyConnection,
    shift_id: String,
    method: PaymentMethod,
    received: i64,
    paid_out: i64,
) -> Result<(), ProjectionError> {
    sqlx::query(
        "INSERT INTO shift_methods (shift_id, method, received_fen, paid_out_fen) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (shift_id, method) DO UPDATE SET received_fen = shift_methods.received_fen + excluded.received_fen, \
         paid_out_fen = shift_methods.paid_out_fen + excluded.paid_out_fen",
    )
    .bind(&shift_id)
    .bind(method.as_str())
    .bind(received)
    .bind(paid_out)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE shifts SET transaction_count = transaction_count + 1 WHERE shift_id = $1")
        .bind(&shift_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The shift report: float, money in and out per method, counted cash at close.
async fn shifts(
    conn: &mut sqlx::AnyConnection,
    recorded: &RecordedEvent,
    event: &Event,
) -> Result<(), ProjectionError> {
    let at = format_time(recorded.recorded_at);
    match event {
        Event::ShiftOpened {
            shift_id,
            cashier_id,
            window,
            opening_float,
        } => {
            sqlx::query(
                "INSERT INTO shifts (shift_id, cashier_id, \"window\", status, opened_at, opening_float_fen, \
                 transaction_count, receipts_issued, opened_position) VALUES ($1, $2, $3, 'OPEN', $4, $5, 0, 0, $6)",
            )
            .bind(shift_id.to_string())
            .bind(cashier_id.to_string())
            .bind(window)
            .bind(&at)
            .bind(opening_float.fen())
            .bind(i64::try_from(recorded.position).expect("position fits"))
            .execute(conn)
            .await?;
        }
        Event::DepositReceived {
            shift_id,
            method,
            amount,
            ..
        } => {
            shift_method(conn, shift_id.to_string(), *method, amount.money().fen(), 0).await?;
        }
        Event::DischargeSettled {
            shift_id,
            method,
            patient_pays,
            patient_receives,
            ..
        } => {
            shift_method(
                conn,
                shift_id.to_string(),
                *method,
                patient_pays.fen(),
                patient_receives.fen(),
            )
            .await?;
        }
        Event::BalanceRefunded {
            shift_id,
            method,
            amount,
            ..
        } => {
            shift_method(conn, shift_id.to_string(), *method, 0, amount.money().fen()).await?;
        }
        Event::ShiftClosed {
            shift_id,
            counted_cash,
            counted_other,
            ..
        } => {
            sqlx::query("UPDATE shifts SET status = 'CLOSED', closed_at = $1, counted_cash_fen = $2 WHERE shift_id = $3")
                .bind(&at)
                .bind(counted_cash.fen())
                .bind(shift_id.to_string())
                .execute(&mut *conn)
                .await?;
            for (method, counted) in counted_other {
                sqlx::query(
                    "INSERT INTO shift_methods (shift_id, method, received_fen, paid_out_fen, counted_fen) \
                     VALUES ($1, $2, 0, 0, $3) ON CONFLICT (shift_id, method) DO UPDATE SET counted_fen = excluded.counted_fen",
                )
                .bind(shift_id.to_string())
                .bind(method.as_str())
                .bind(counted.fen())
                .execute(&mut *conn)
                .await?;
            }
        }
        Event::ReceiptIssued {
            shift_id,
            receipt_no,
            sequence,
            ..
        } => {
            receipt(conn, &shift_id.to_string(), *sequence, receipt_no, None).await?;
            sqlx::query(
                "UPDATE shifts SET receipts_issued = receipts_issued + 1 WHERE shift_id = $1",
            )
            .bind(shift_id.to_string())
            .execute(conn)
            .await?;
        }
        Event::ReceiptVoided {
            shift_id,
            receipt_no,
            sequence,
            reason,
            ..
        } => {
            receipt(
                conn,
                &shift_id.to_string(),
                *sequence,
                receipt_no,
                Some(reason),
            )
            .await?;
            sqlx::query(
                "UPDATE shifts SET receipts_voided = receipts_voided + 1 WHERE shift_id = $1",
            )
            .bind(shift_id.to_string())
            .execute(conn)
            .await?;
        }
        Event::CashCounted {
            shift_id,
            counted_by,
            surprise,
            counted_cash,
            expected_cash,
            note,
            ..
        } => {
            sqlx::query(
                "INSERT INTO cash_counts (position, shift_id, counted_by, surprise, counted_fen, expected_fen, note, counted_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(i64::try_from(recorded.position).expect("position fits"))
            .bind(shift_id.to_string())
            .bind(counted_by.to_string())
            .bind(i64::from(*surprise))
            .bind(counted_cash.fen())
            .bind(expected_cash.fen())
            .bind(note)
            .bind(&at)
            .execute(conn)
            .await?;
        }
        Event::CashHandedOver {
            shift_id,
            received_by,
            amount,
            ..
        } => {
            sqlx::query(
                "UPDATE shifts SET status = 'HANDED_OVER', handed_over_fen = $1, handed_over_to = $2, handed_over_at = $3 \
                 WHERE shift_id = $4",
            )
            .bind(amount.fen())
            .bind(received_by.to_string())
            .bind(&at)
            .bind(shift_id.to_string())
            .execute(conn)
            .await?;
        }
        _ => {}
    }
    Ok(())
}

async fn receipt(
    conn: &mut sqlx::AnyConnection,
    shift_id: &str,
    sequence: u64,
    receipt_no: &str,
    voided_for: Option<&str>,
) -> Result<(), ProjectionError> {
    sqlx::query("INSERT INTO receipts (shift_id, sequence, receipt_no, status, reason) VALUES ($1, $2, $3, $4, $5)")
        .bind(shift_id)
        .bind(i64::try_from(sequence).expect("sequence fits"))
        .bind(receipt_no)
        .bind(if voided_for.is_some() { "VOIDED" } else { "ISSUED" })
        .bind(voided_for)
        .execute(conn)
        .await?;
    Ok(())
}
