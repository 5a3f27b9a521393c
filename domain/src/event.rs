//! The events: immutable facts in the past tense, with stable type names and schema versions.
//!
//! The type name stored with an event is the variant name below and must never change (history
//! would lose its meaning). A change of a payload's shape gets a new schema version and an
//! upcaster in [`Event::decode`]; today every event is at version 1.

use crate::ids::{AccountId, DeductionId, ShiftId, StaffId};
use crate::money::{Amount, Money};
use serde::{Deserialize, Serialize};

/// The role of a staff member; one token, one role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    /// 收费员: works a window in a shift; deposits, refunds, settlements.
    Cashier,
    /// 执行科室: deducts the services it executes, reverses its own deductions.
    Department,
    /// 财务: reports, hand-over receipt.
    Controller,
    /// 稽核: surprise counts, replay and verification.
    Auditor,
    /// Window supervisor: coefficients and quality deductions.
    Supervisor,
    /// Registers staff.
    Admin,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 6] = [
        Role::Cashier,
        Role::Department,
        Role::Controller,
        Role::Auditor,
        Role::Supervisor,
        Role::Admin,
    ];

    /// The stable wire name ("CASHIER").
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Cashier => "CASHIER",
            Role::Department => "DEPARTMENT",
            Role::Controller => "CONTROLLER",
            Role::Auditor => "AUDITOR",
            Role::Supervisor => "SUPERVISOR",
            Role::Admin => "ADMIN",
        }
    }

    /// Finance and audit roles: they read every report and every shift.
    #[must_use]
    pub fn is_finance(self) -> bool {
        matches!(
            self,
            Role::Controller | Role::Auditor | Role::Supervisor | Role::Admin
        )
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Outpatient one-card or inpatient deposit account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccountKind {
    /// 一卡通: may never go below zero.
    OutpatientCard,
    /// 住院预交金: may run into arrears until discharge settlement.
    InpatientDeposit,
}

/// How money came in or went out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentMethod {
    /// Cash in the drawer.
    Cash,
    /// Bank card terminal.
    BankCard,
    /// WeChat Pay.
    Wechat,
    /// Alipay.
    Alipay,
    /// The patient's medical-insurance personal account.
    InsuranceAccount,
    /// Bank transfer.
    Transfer,
}

impl PaymentMethod {
    /// Every method, in a stable order (reports list them this way).
    pub const ALL: [PaymentMethod; 6] = [
        PaymentMethod::Cash,
        PaymentMethod::BankCard,
        PaymentMethod::Wechat,
        PaymentMethod::Alipay,
        PaymentMethod::InsuranceAccount,
        PaymentMethod::Transfer,
    ];

    /// The stable wire name ("BANK_CARD").
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Cash => "CASH",
            PaymentMethod::BankCard => "BANK_CARD",
            PaymentMethod::Wechat => "WECHAT",
            PaymentMethod::Alipay => "ALIPAY",
            PaymentMethod::InsuranceAccount => "INSURANCE_ACCOUNT",
            PaymentMethod::Transfer => "TRANSFER",
        }
    }
}

/// The insurance scheme an account is settled under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InsuranceScheme {
    /// 自费
    SelfPay,
    /// 城镇职工基本医疗保险
    EmployeeBasic,
    /// 城镇居民基本医疗保险
    ResidentBasic,
    /// 新农合
    RuralCooperative,
    /// 外埠 contract patients, settled by hand.
    OutOfArea,
}

impl InsuranceScheme {
    /// Every scheme, in a stable order.
    pub const ALL: [InsuranceScheme; 5] = [
        InsuranceScheme::SelfPay,
        InsuranceScheme::EmployeeBasic,
        InsuranceScheme::ResidentBasic,
        InsuranceScheme::RuralCooperative,
        InsuranceScheme::OutOfArea,
    ];

    /// The stable wire name ("EMPLOYEE_BASIC").
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            InsuranceScheme::SelfPay => "SELF_PAY",
            InsuranceScheme::EmployeeBasic => "EMPLOYEE_BASIC",
            InsuranceScheme::ResidentBasic => "RESIDENT_BASIC",
            InsuranceScheme::RuralCooperative => "RURAL_COOPERATIVE",
            InsuranceScheme::OutOfArea => "OUT_OF_AREA",
        }
    }
}

/// Why a deduction is reversed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReversalReason {
    /// 退药
    DrugReturn,
    /// 退费: the exam was cancelled.
    ExamCancelled,
    /// The charge was wrong.
    ChargeError,
}

/// Every fact Yika records. The serde tag is the stable type name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum Event {
    /// A staff member was registered with one role; only the SHA-256 of the token is kept.
    StaffRegistered {
        staff_id: StaffId,
        staff_no: String,
        name: String,
        role: Role,
        department: Option<String>,
        token_sha256: String,
    },
    /// A staff member's bearer token was replaced (rotated, or issued again after a revocation):
    /// only the new one is valid, until `expires_at` if set.
    TokenIssued {
        staff_id: StaffId,
        token_sha256: String,
        #[serde(default)]
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// A staff member's bearer token was revoked: no token of theirs is valid until one is
    /// issued again.
    TokenRevoked { staff_id: StaffId },
    /// A staff member left or was suspended: no token of theirs is valid, and none is issued.
    StaffDeactivated { staff_id: StaffId, reason: String },
    /// A card number was handed to an account (guards uniqueness of live card numbers).
    CardAssigned {
        card_no: String,
        account_id: AccountId,
    },
    /// A card number was released when its account closed; it may be issued again.
    CardReleased {
        card_no: String,
        account_id: AccountId,
    },
    /// A card was issued or an inpatient deposit account opened.
    AccountOpened {
        account_id: AccountId,
        kind: AccountKind,
        patient_id: String,
        card_no: String,
        insurance_scheme: InsuranceScheme,
    },
    /// 预存/预交金: money paid in at a cashier window.
    DepositReceived {
        account_id: AccountId,
        amount: Amount,
        method: PaymentMethod,
        shift_id: ShiftId,
        cashier_id: StaffId,
        receipt_no: String,
        external_ref: Option<String>,
    },
    /// The executing department deducted the price of a service it performed.
    ChargeDeducted {
        account_id: AccountId,
        deduction_id: DeductionId,
        amount: Amount,
        department: String,
        order_id: String,
        item_code: String,
        item_name: Option<String>,
        quantity: u32,
    },
    /// A drug return, cancelled exam or charge error gave (part of) a deduction back.
    DeductionReversed {
        account_id: AccountId,
        deduction_id: DeductionId,
        amount: Amount,
        department: String,
        reason: ReversalReason,
    },
    /// 退款/退卡: the balance (or part of it) was paid out to the patient at a window.
    BalanceRefunded {
        account_id: AccountId,
        amount: Amount,
        method: PaymentMethod,
        shift_id: ShiftId,
        cashier_id: StaffId,
        receipt_no: String,
        /// The payment platform's or bank's reference of the payout, for reconciliation.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        external_ref: Option<String>,
    },
    /// 出院结算: the stay's charges were split between the insurance scheme and the patient, the
    /// deposits applied, and the difference paid in (补) or out (退) at a window. The account
    /// is at exactly 0.00 afterwards and takes no more deposits or deductions.
    DischargeSettled {
        account_id: AccountId,
        insurance_scheme: InsuranceScheme,
        /// Deductions net of reversals.
        total_charges: Money,
        insurance_pays: Money,
        deposits_applied: Money,
        patient_pays: Money,
        patient_receives: Money,
        method: PaymentMethod,
        shift_id: ShiftId,
        cashier_id: StaffId,
        receipt_no: String,
        /// Out-of-area (外埠) contract patients are settled by hand.
        manual: bool,
        /// The payment platform's or bank's reference of what crossed the window.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        external_ref: Option<String>,
    },
    /// The account was closed at zero balance; it takes nothing more.
    AccountClosed {
        account_id: AccountId,
        card_no: String,
    },
    /// A cashier opened a shift at a window with a petty-cash float (备用金).
    ShiftOpened {
        shift_id: ShiftId,
        cashier_id: StaffId,
        window: String,
        opening_float: Money,
    },
    /// A cashier closed a shift with a blind count of each tender.
    ShiftClosed {
        shift_id: ShiftId,
        cashier_id: StaffId,
        counted_cash: Money,
        counted_other: Vec<(PaymentMethod, Money)>,
        /// Receipt numbers the shift used (issued and voided): the cashier's series goes on
        /// from there in the next shift.
        #[serde(default)]
        receipts_used: u64,
        /// The cash the drawer should have held at the close (float + cash in − cash out). The
        /// difference from the count (长短款) is posted to `cash-over-short:<shift>`. Absent on
        /// shifts closed before variances were posted: those post none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expected_cash: Option<Money>,
    },
    /// A receipt from the cashier's numbered series was issued for money in or out of a shift.
    ReceiptIssued {
        shift_id: ShiftId,
        cashier_id: StaffId,
        receipt_no: String,
        sequence: u64,
        account_id: AccountId,
        direction: Direction,
        method: PaymentMethod,
        amount: Money,
    },
    /// A receipt number was voided (a spoiled form), with the reason; the number is used up.
    ReceiptVoided {
        shift_id: ShiftId,
        cashier_id: StaffId,
        receipt_no: String,
        sequence: u64,
        reason: String,
    },
    /// The drawer was counted: a surprise count (突击盘点) by an auditor or a routine count by the
    /// cashier, with the cash the drawer should have held at that moment.
    CashCounted {
        shift_id: ShiftId,
        cashier_id: StaffId,
        counted_by: StaffId,
        surprise: bool,
        counted_cash: Money,
        expected_cash: Money,
        /// The counter's note, if any.
        #[serde(default)]
        note: Option<String>,
    },
    /// A supervisor set the difficulty coefficients (难度系数) in force from a business date.
    DifficultyCoefficientsSet {
        effective_from: chrono::NaiveDate,
        /// Decimals are carried as text ("0.7"): no float ever touches a coefficient.
        base_ratio: rust_decimal::Decimal,
        coefficients: Vec<(crate::workload::BusinessType, rust_decimal::Decimal)>,
        set_by: StaffId,
    },
    /// A supervisor recorded a quality deduction against a staff member.
    QualityDeductionRecorded {
        staff_id: StaffId,
        points: rust_decimal::Decimal,
        reason: String,
        recorded_by: StaffId,
    },
    /// A closed shift's cash was handed over to finance (上交财务) and received by a controller:
    /// the controller's own count of what they received.
    CashHandedOver {
        shift_id: ShiftId,
        cashier_id: StaffId,
        received_by: StaffId,
        amount: Money,
        /// Recorded since the hand-over takes two parties: the shift is handed over once the
        /// cashier's declaration is recorded too. `false` on earlier receipts, which completed
        /// the hand-over alone.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        two_party: bool,
    },
    /// The cashier declared what they hand over from a closed shift: the cash and each other
    /// tender's slips (交接: the cashier's half of the two-party hand-over).
    HandOverDeclared {
        shift_id: ShiftId,
        cashier_id: StaffId,
        cash: Money,
        other: Vec<(PaymentMethod, Money)>,
    },
    /// A closed shift's cash variance (长短款) was resolved by a controller; the variance is
    /// the count minus what the drawer should have held (negative: short).
    VarianceResolved {
        shift_id: ShiftId,
        cashier_id: StaffId,
        variance: Money,
        resolution: VarianceResolution,
        note: String,
        resolved_by: StaffId,
    },
    /// A bank's or payment platform's statement (对账单) for one method and day was imported:
    /// the lines not imported before (a line already imported for the method under the same
    /// reference is counted in `duplicates`, not stored twice).
    StatementImported {
        method: PaymentMethod,
        statement_date: chrono::NaiveDate,
        source: Option<String>,
        lines: Vec<StatementLine>,
        duplicates: u32,
        imported_by: StaffId,
    },
    /// Statement lines were matched one to one with the ledger's movements of the same method:
    /// the money moves from `clearing:<METHOD>` to the bank, a line's fee to the fee expense.
    PaymentsMatched {
        method: PaymentMethod,
        matches: Vec<PaymentMatch>,
        /// Why, for a match made by hand.
        reason: Option<String>,
    },
    /// A match was undone by hand, with the reason: its postings are reversed.
    PaymentUnmatched {
        method: PaymentMethod,
        unmatched: PaymentMatch,
        reason: String,
    },
    /// A CONTROLLER closed a business day (日结): the daily report as signed, as of a position of
    /// the log, and the SHA-256 of its canonical form. A day is closed once.
    DayClosed {
        date: chrono::NaiveDate,
        report: Box<crate::day::DayReport>,
        report_sha256: String,
        note: Option<String>,
        closed_by: StaffId,
    },
    /// An insurance scheme paid the hospital (医保回款) for the settlements of a period: the
    /// receivable is cleared into the bank; `owed` is what was still owed for the period before,
    /// so that an under- or over-payment (拒付) stays visible.
    InsuranceRemittanceReceived {
        scheme: InsuranceScheme,
        amount: Amount,
        period_from: chrono::NaiveDate,
        period_to: chrono::NaiveDate,
        reference: String,
        owed: Money,
        recorded_by: StaffId,
    },
}

/// How a shift's cash variance was resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VarianceResolution {
    /// The cashier made good a shortage (paid it in to finance).
    CashierRepays,
    /// The difference was written off (a shortage as a loss, a surplus as income, 长款归公).
    WrittenOff,
    /// The difference was found: the missing cash turned up (paid in to finance), or the
    /// surplus's owner was found and paid back.
    Found,
}

/// One line of an imported statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementLine {
    /// The platform's or bank's reference (for WeChat and Alipay, the merchant order or refund
    /// number; the ledger's movements carry the same in `external_ref`).
    pub external_ref: String,
    /// The gross amount.
    pub amount: Amount,
    /// In: the payer paid the hospital; out: the hospital paid back.
    pub direction: Direction,
    /// When the platform recorded it.
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    /// The platform's fee (0.00 when none).
    pub fee: Money,
    /// The statement's note, if any.
    pub note: Option<String>,
}

/// How a statement line was matched to a ledger movement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MatchRule {
    /// The same external reference.
    Reference,
    /// The same amount and direction, close in time.
    AmountAndTime,
    /// By a controller's hand.
    ByHand,
}

/// A statement line matched to a ledger movement (deposit, refund or settlement).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentMatch {
    /// The statement line's reference.
    pub external_ref: String,
    /// The id of the ledger movement's event.
    pub movement_id: uuid::Uuid,
    /// The movement's account.
    pub account_id: AccountId,
    /// Which way the money went.
    pub direction: Direction,
    /// The amount (the line's and the movement's, equal).
    pub amount: Money,
    /// The line's fee.
    pub fee: Money,
    /// How it was matched.
    pub rule: MatchRule,
}

/// Which way money crossed the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Direction {
    /// Received from the patient (deposit, settlement paid in).
    In,
    /// Paid out to the patient (refund, settlement paid back).
    Out,
}

/// A stored event that cannot be turned back into an [`Event`].
#[derive(Debug, thiserror::Error)]
#[error("cannot decode event {event_type} v{schema_version}: {reason}")]
pub struct EventDecodeError {
    /// The stored type name.
    pub event_type: String,
    /// The stored schema version.
    pub schema_version: u16,
    /// What went wrong.
    pub reason: String,
}

impl Event {
    /// The schema version written with every new event.
    pub const SCHEMA_VERSION: u16 = 1;

    /// The stable type name stored with the event.
    #[must_use]
    pub fn event_type(&self) -> &'static str {
        match self {
            Event::StaffRegistered { .. } => "StaffRegistered",
            Event::TokenIssued { .. } => "TokenIssued",
            Event::TokenRevoked { .. } => "TokenRevoked",
            Event::StaffDeactivated { .. } => "StaffDeactivated",
            Event::CardAssigned { .. } => "CardAssigned",
            Event::CardReleased { .. } => "CardReleased",
            Event::AccountOpened { .. } => "AccountOpened",
            Event::DepositReceived { .. } => "DepositReceived",
            Event::ChargeDeducted { .. } => "ChargeDeducted",
            Event::DeductionReversed { .. } => "DeductionReversed",
            Event::BalanceRefunded { .. } => "BalanceRefunded",
            Event::DischargeSettled { .. } => "DischargeSettled",
            Event::AccountClosed { .. } => "AccountClosed",
            Event::ShiftOpened { .. } => "ShiftOpened",
            Event::ShiftClosed { .. } => "ShiftClosed",
            Event::ReceiptIssued { .. } => "ReceiptIssued",
            Event::ReceiptVoided { .. } => "ReceiptVoided",
            Event::CashCounted { .. } => "CashCounted",
            Event::CashHandedOver { .. } => "CashHandedOver",
            Event::HandOverDeclared { .. } => "HandOverDeclared",
            Event::VarianceResolved { .. } => "VarianceResolved",
            Event::StatementImported { .. } => "StatementImported",
            Event::PaymentsMatched { .. } => "PaymentsMatched",
            Event::PaymentUnmatched { .. } => "PaymentUnmatched",
            Event::InsuranceRemittanceReceived { .. } => "InsuranceRemittanceReceived",
            Event::DayClosed { .. } => "DayClosed",
            Event::DifficultyCoefficientsSet { .. } => "DifficultyCoefficientsSet",
            Event::QualityDeductionRecorded { .. } => "QualityDeductionRecorded",
        }
    }

    /// The payload as JSON text, without the type name (which is stored beside it).
    #[must_use]
    pub fn encode(&self) -> String {
        let mut value = serde_json::to_value(self).expect("events always serialize");
        let data = value
            .get_mut("data")
            .map(serde_json::Value::take)
            .expect("adjacently tagged events have a data field");
        serde_json::to_string(&data).expect("JSON values always serialize")
    }

    /// Turns a stored type name, schema version and payload back into an event.
    pub fn decode(
        event_type: &str,
        schema_version: u16,
        payload: &str,
    ) -> Result<Event, EventDecodeError> {
        let fail = |reason: String| EventDecodeError {
            event_type: event_type.to_owned(),
            schema_version,
            reason,
        };
        if schema_version != Event::SCHEMA_VERSION {
            return Err(fail("unknown schema version".to_owned()));
        }
        // The payload must be one JSON value by itself; it is then read in place inside the
        // tagged form, type first (serde reads the data straight into the variant, with no
        // intermediate tree: decoding is on the path of every replay).
        serde_json::from_str::<serde::de::IgnoredAny>(payload).map_err(|e| fail(e.to_string()))?;
        let type_name = serde_json::to_string(event_type).map_err(|e| fail(e.to_string()))?;
        let tagged = format!("{{\"type\":{type_name},\"data\":{payload}}}");
        serde_json::from_str(&tagged).map_err(|e| fail(e.to_string()))
    }

    /// The account this event concerns, if any.
    #[must_use]
    pub fn account_id(&self) -> Option<AccountId> {
        match self {
            Event::AccountOpened { account_id, .. }
            | Event::DepositReceived { account_id, .. }
            | Event::ChargeDeducted { account_id, .. }
            | Event::DeductionReversed { account_id, .. }
            | Event::BalanceRefunded { account_id, .. }
            | Event::DischargeSettled { account_id, .. }
            | Event::AccountClosed { account_id, .. }
            | Event::CardAssigned { account_id, .. }
            | Event::CardReleased { account_id, .. }
            | Event::ReceiptIssued { account_id, .. } => Some(*account_id),
            Event::StaffRegistered { .. }
            | Event::TokenIssued { .. }
            | Event::TokenRevoked { .. }
            | Event::StaffDeactivated { .. }
            | Event::ShiftOpened { .. }
            | Event::ShiftClosed { .. }
            | Event::ReceiptVoided { .. }
            | Event::CashCounted { .. }
            | Event::CashHandedOver { .. }
            | Event::HandOverDeclared { .. }
            | Event::VarianceResolved { .. }
            | Event::StatementImported { .. }
            | Event::PaymentsMatched { .. }
            | Event::PaymentUnmatched { .. }
            | Event::InsuranceRemittanceReceived { .. }
            | Event::DayClosed { .. }
            | Event::DifficultyCoefficientsSet { .. }
            | Event::QualityDeductionRecorded { .. } => None,
        }
    }

    /// The shift this event was recorded in, if any.
    #[must_use]
    pub fn shift_id(&self) -> Option<ShiftId> {
        match self {
            Event::DepositReceived { shift_id, .. }
            | Event::BalanceRefunded { shift_id, .. }
            | Event::DischargeSettled { shift_id, .. }
            | Event::ShiftOpened { shift_id, .. }
            | Event::ShiftClosed { shift_id, .. }
            | Event::ReceiptIssued { shift_id, .. }
            | Event::ReceiptVoided { shift_id, .. }
            | Event::CashCounted { shift_id, .. }
            | Event::CashHandedOver { shift_id, .. }
            | Event::HandOverDeclared { shift_id, .. }
            | Event::VarianceResolved { shift_id, .. } => Some(*shift_id),
            _ => None,
        }
    }
}

/// An idempotency claim as the hash chain keeps it: the (namespaced) key and the fingerprint of
/// the command's input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimNote {
    /// The key, e.g. "deposit:K1".
    pub key: String,
    /// The digest of the command's input.
    pub fingerprint: String,
}

/// A field that is present (even as `null`) reads as `Some`; an absent one, by `default`, as
/// `None`.
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// The envelope metadata stored beside every event's payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// The staff member who acted (none for system events).
    pub actor_id: Option<StaffId>,
    /// Their role when they acted.
    pub actor_role: Option<Role>,
    /// The window or terminal they acted at, when known.
    pub terminal: Option<String>,
    /// Ties together every event caused by one request.
    pub correlation_id: uuid::Uuid,
    /// The event or request that caused this one.
    pub causation_id: Option<uuid::Uuid>,
    /// When it happened in the business (the clock of the acting terminal, as the server saw it).
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    /// The idempotency claim of the command that wrote this event, copied here so that the hash
    /// chain covers it (the store's claim columns are not hashed): `None` for events written
    /// before this copy existed, `Some(None)` for a command without a key, `Some(Some(claim))`
    /// on every event of a keyed command's append.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub idempotency: Option<Option<ClaimNote>>,
    /// Set on a back-entry (补录): why the money is recorded after the fact. `occurred_at` is
    /// then the business time the cashier gave (when it happened at the window during an
    /// outage), not the server's; the recorded time stays the log's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub back_entry: Option<String>,
}
