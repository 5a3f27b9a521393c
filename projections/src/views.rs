//! The views, each a projector behind one trait, registered once in [`VIEWS`]: the order in
//! which the runner applies them, the tables `yika verify` compares, and the events the live
//! subscriptions follow all come from that list. Projectors run inside the runner's
//! transaction, in log order, exactly once per event.

use futures::future::BoxFuture;
use yika_domain::{Event, Metadata, PaymentMethod};
use yika_store::RecordedEvent;
use yika_store::time::format_time;

use crate::ProjectionError;

use crate::views_enum as enum_text;

/// What a projector is given for one event.
pub struct Applied<'a> {
    /// The event as stored.
    pub recorded: &'a RecordedEvent,
    /// The event, decoded.
    pub event: &'a Event,
    /// Its envelope.
    pub metadata: &'a Metadata,
}

/// A view: the tables it owns and how an event changes them.
pub trait Projector: Sync {
    /// Its name, in logs.
    fn name(&self) -> &'static str;
    /// The tables it owns; `yika verify` compares each with a fresh replay.
    fn tables(&self) -> &'static [&'static str];
    /// The event types that change its rows (`None`: every event). Only these are applied to
    /// it, and a live subscription that follows the view listens to them.
    fn events(&self) -> Option<&'static [&'static str]>;
    /// Applies one event to its rows.
    fn apply<'a>(
        &'a self,
        conn: &'a mut sqlx::AnyConnection,
        applied: &'a Applied<'a>,
    ) -> BoxFuture<'a, Result<(), ProjectionError>>;

    /// Whether events of this type change its rows.
    fn listens_to(&self, event_type: &str) -> bool {
        self.events()
            .is_none_or(|types| types.contains(&event_type))
    }
}

/// Declares a projector: a unit struct, its tables, the events it listens to and the function
/// that applies one event.
macro_rules! projector {
    ($(#[$doc:meta])* $name:ident, $label:literal, tables: $tables:expr, events: $events:expr, apply: $apply:ident) => {
        $(#[$doc])*
        pub struct $name;

        impl Projector for $name {
            fn name(&self) -> &'static str {
                $label
            }
            fn tables(&self) -> &'static [&'static str] {
                $tables
            }
            fn events(&self) -> Option<&'static [&'static str]> {
                $events
            }
            fn apply<'a>(
                &'a self,
                conn: &'a mut sqlx::AnyConnection,
                applied: &'a Applied<'a>,
            ) -> BoxFuture<'a, Result<(), ProjectionError>> {
                Box::pin($apply(conn, applied))
            }
        }
    };
}

projector!(
    /// Staff members, their roles and token hashes (the token index of authentication).
    Staff, "staff", tables: &["staff"], events: Some(&["StaffRegistered"]), apply: staff
);
projector!(
    /// One row per account with its running sums.
    Balances, "balances",
    tables: &["accounts"],
    events: Some(&[
        "AccountOpened",
        "DepositReceived",
        "ChargeDeducted",
        "DeductionReversed",
        "BalanceRefunded",
        "DischargeSettled",
        "AccountClosed",
    ]),
    apply: balances
);
projector!(
    /// One row per deduction with what was reversed of it.
    Deductions, "deductions",
    tables: &["deductions"],
    events: Some(&["ChargeDeducted", "DeductionReversed"]),
    apply: deductions
);
projector!(
    /// The shift report: float, money in and out per method, receipts, counts, hand-over.
    Shifts, "shifts",
    tables: &["shifts", "shift_methods", "receipts", "cash_counts"],
    events: Some(&[
        "ShiftOpened",
        "DepositReceived",
        "BalanceRefunded",
        "DischargeSettled",
        "ShiftClosed",
        "ReceiptIssued",
        "ReceiptVoided",
        "CashCounted",
        "CashHandedOver",
    ]),
    apply: shifts
);
projector!(
    /// One row per money movement, for period reports and department revenue.
    Movements, "movements",
    tables: &["movements"],
    events: Some(&[
        "DepositReceived",
        "ChargeDeducted",
        "DeductionReversed",
        "BalanceRefunded",
        "DischargeSettled",
    ]),
    apply: movements
);
projector!(
    /// Each event's balanced double-entry postings, one row per leg.
    Journal, "journal",
    tables: &["journal"],
    events: Some(&[
        "DepositReceived",
        "ChargeDeducted",
        "DeductionReversed",
        "BalanceRefunded",
        "DischargeSettled",
        "ShiftOpened",
        "CashHandedOver",
    ]),
    apply: journal
);
projector!(
    /// Acts attributed to the staff member who acted, coefficient sets, quality deductions.
    /// It reads an account's kind from the balances view, so it is applied after it.
    Workload, "workload",
    tables: &["workload_acts", "coefficient_sets", "quality_deductions"],
    events: Some(&[
        "AccountOpened",
        "DepositReceived",
        "BalanceRefunded",
        "DischargeSettled",
        "AccountClosed",
        "DifficultyCoefficientsSet",
        "QualityDeductionRecorded",
    ]),
    apply: workload
);
projector!(
    /// What the audit trail filters on, and each event's hash (the views' witness of the log).
    AuditIndex, "audit index", tables: &["audit_index"], events: None, apply: audit_index
);

/// Every view, in the order the runner applies them.
pub static VIEWS: [&dyn Projector; 8] = [
    &Staff,
    &Balances,
    &Deductions,
    &Shifts,
    &Movements,
    &Journal,
    &Workload,
    &AuditIndex,
];

/// Tables the runner keeps beside the views: the checkpoint, which a replay must reach too,
/// and so is compared like a view's.
pub const RUNNER_TABLES: [&str; 1] = ["checkpoints"];

/// Every table `yika verify` compares with a fresh replay: the views' and the runner's.
pub fn compared_tables() -> impl Iterator<Item = &'static str> {
    VIEWS
        .iter()
        .flat_map(|view| view.tables().iter().copied())
        .chain(RUNNER_TABLES)
}

/// Applies one event to every view that listens to it, in registry order.
pub async fn apply(
    conn: &mut sqlx::AnyConnection,
    recorded: &RecordedEvent,
    event: &Event,
    metadata: &Metadata,
) -> Result<(), ProjectionError> {
    let applied = Applied {
        recorded,
        event,
        metadata,
    };
    for view in VIEWS {
        if view.listens_to(&recorded.event_type) {
            view.apply(conn, &applied).await?;
        }
    }
    Ok(())
}

/// The audit index: what the audit trail filters on, per event.
async fn audit_index(
    conn: &mut sqlx::AnyConnection,
    applied: &Applied<'_>,
) -> Result<(), ProjectionError> {
    let Applied {
        recorded,
        event,
        metadata,
    } = *applied;
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
    applied: &Applied<'_>,
) -> Result<(), ProjectionError> {
    let Applied {
        recorded,
        event,
        metadata,
    } = *applied;
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
    applied: &Applied<'_>,
) -> Result<(), ProjectionError> {
    let Applied {
        recorded, event, ..
    } = *applied;
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
    applied: &Applied<'_>,
) -> Result<(), ProjectionError> {
    let Applied {
        recorded, event, ..
    } = *applied;
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
    applied: &Applied<'_>,
) -> Result<(), ProjectionError> {
    let Applied {
        recorded, event, ..
    } = *applied;
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
    applied: &Applied<'_>,
) -> Result<(), ProjectionError> {
    let Applied {
        recorded, event, ..
    } = *applied;
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
    applied: &Applied<'_>,
) -> Result<(), ProjectionError> {
    let Applied {
        recorded,
        event,
        metadata,
    } = *applied;
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
    applied: &Applied<'_>,
) -> Result<(), ProjectionError> {
    let Applied {
        recorded, event, ..
    } = *applied;
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
