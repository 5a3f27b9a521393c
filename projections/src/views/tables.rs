//! The view tables' records, column by column as the read migrations create them (both
//! dialects). Money is integer fen, times are RFC 3339 text (`yika_store::time::format_time`),
//! enums their wire names.

use super::rows::record;

record!(
    /// `staff`: staff members, their roles and token hashes.
    StaffRecord = "staff", key: 1 {
        staff_id: String,
        staff_no: String,
        name: String,
        role: String,
        department: Option<String>,
        token_sha256: String,
        registered_at: String,
    }
);

record!(
    /// `staff_tokens`: tokens issued after a registration (rotations), by their hash: the rest
    /// of authentication's index. Whether a token is still valid is the log's word alone.
    StaffTokenRecord = "staff_tokens", key: 1 {
        token_sha256: String,
        staff_id: String,
        issued_at: String,
    }
);

record!(
    /// `accounts`: one row per account with its running sums (the balances view).
    AccountRecord = "accounts", key: 1 {
        account_id: String,
        kind: String,
        status: String,
        patient_id: String,
        card_no: String,
        insurance_scheme: String,
        balance_fen: i64,
        deposited_fen: i64,
        deducted_fen: i64,
        reversed_fen: i64,
        refunded_fen: i64,
        opened_at: String,
        last_activity_at: Option<String>,
        revision: i64,
        opened_position: i64,
    }
);

record!(
    /// `deductions`: one row per deduction with what was reversed of it.
    DeductionRecord = "deductions", key: 1 {
        deduction_id: String,
        account_id: String,
        amount_fen: i64,
        reversed_fen: i64,
        department: String,
        order_id: String,
        item_code: String,
        item_name: Option<String>,
        quantity: i64,
        executor_id: Option<String>,
        recorded_at: String,
        position: Option<i64>,
    }
);

record!(
    /// `shifts`: the shift report's row.
    ShiftRecord = "shifts", key: 1 {
        shift_id: String,
        cashier_id: String,
        window: String,
        status: String,
        opened_at: String,
        closed_at: Option<String>,
        opening_float_fen: i64,
        counted_cash_fen: Option<i64>,
        transaction_count: i64,
        receipts_issued: i64,
        opened_position: i64,
        receipts_voided: i64,
        handed_over_fen: Option<i64>,
        handed_over_to: Option<String>,
        handed_over_at: Option<String>,
        declared_cash_fen: Option<i64>,
        declared_at: Option<String>,
        variance_resolution: Option<String>,
        variance_note: Option<String>,
        closed_position: Option<i64>,
        variance_resolved_position: Option<i64>,
    }
);

record!(
    /// `shift_methods`: a shift's money in, out and counted per payment method.
    ShiftMethodRecord = "shift_methods", key: 2 {
        shift_id: String,
        method: String,
        received_fen: i64,
        paid_out_fen: i64,
        counted_fen: Option<i64>,
        declared_fen: Option<i64>,
    }
);

record!(
    /// `receipts`: every receipt number a shift used, issued or voided.
    ReceiptRecord = "receipts", key: 2 {
        shift_id: String,
        sequence: i64,
        receipt_no: String,
        status: String,
        reason: Option<String>,
    }
);

record!(
    /// `cash_counts`: surprise and routine counts of a drawer.
    CashCountRecord = "cash_counts", key: 1 {
        position: i64,
        shift_id: String,
        counted_by: String,
        surprise: i64,
        counted_fen: i64,
        expected_fen: i64,
        note: Option<String>,
        counted_at: String,
    }
);

record!(
    /// `movements`: one row per money movement, for period reports and department revenue.
    MovementRecord = "movements", key: 2 {
        position: i64,
        kind: String,
        account_id: String,
        amount_fen: i64,
        method: Option<String>,
        shift_id: Option<String>,
        window: Option<String>,
        department: Option<String>,
        recorded_at: String,
        business_at: Option<String>,
        business_position: Option<i64>,
        back_entry: Option<String>,
    }
);

record!(
    /// `days`: each closed business day (日结): where its close is in the log, the position its
    /// signed report is as of, and the report's hash.
    DayRecord = "days", key: 1 {
        date: String,
        position: i64,
        as_of_position: i64,
        report_sha256: String,
        closed_by: String,
        closed_at: String,
    }
);

record!(
    /// `journal`: each event's balanced double-entry postings, one row per leg.
    JournalRecord = "journal", key: 2 {
        position: i64,
        leg: i64,
        ledger_account: String,
        ledger_group: String,
        amount_fen: i64,
        recorded_at: String,
    }
);

record!(
    /// `workload_acts`: acts attributed to the staff member who acted.
    WorkloadActRecord = "workload_acts", key: 1 {
        position: i64,
        staff_id: String,
        business_type: String,
        recorded_at: String,
    }
);

record!(
    /// `coefficient_sets`: difficulty coefficients in force from a date.
    CoefficientSetRecord = "coefficient_sets", key: 1 {
        position: i64,
        effective_from: String,
        base_ratio: String,
        coefficients: String,
    }
);

record!(
    /// `quality_deductions`: quality deductions against a staff member.
    QualityDeductionRecord = "quality_deductions", key: 1 {
        position: i64,
        deduction_id: String,
        staff_id: String,
        points: String,
        reason: String,
        recorded_at: String,
    }
);

record!(
    /// `audit_index`: what the audit trail filters on, and each event's hash.
    AuditRecord = "audit_index", key: 1 {
        position: i64,
        event_type: String,
        account_id: Option<String>,
        shift_id: Option<String>,
        actor_id: Option<String>,
        department: Option<String>,
        recorded_at: String,
        hash: Option<String>,
        business_at: Option<String>,
        back_entry: Option<String>,
    }
);
