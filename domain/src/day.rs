//! The day's close (日结) (stream `day-<YYYY-MM-DD>`): a CONTROLLER signs the daily report of a
//! business day once every shift that took money that day is closed and handed over. The event
//! keeps the report as signed and the SHA-256 of its canonical form; nothing reopens a day (later
//! corrections are events of their own, shown against the signed figures).
//!
//! The figures and their hash come from the application (the read store's report as of a
//! position of the log); which shifts took money that day, too. The rules on them live here.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::aggregate::Aggregate;
use crate::ids::{ShiftId, StaffId};
use crate::money::Money;
use crate::window::Drawer;
use crate::{AccountKind, DomainError, Event, InsuranceScheme, PaymentMethod, Role};

/// The version of [`DayReport`]'s canonical form. A report that gains lines gets a new format;
/// a signed day is always recomputed in the format it was signed in.
pub const REPORT_FORMAT: u32 = 1;

/// The stream of one business day.
#[must_use]
pub fn stream(date: NaiveDate) -> String {
    format!("day-{date}")
}

/// One window's line of the daily report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowLine {
    /// The window.
    pub window: String,
    /// Deposits and settlement payments taken.
    pub received: Money,
    /// Refunds and settlement paybacks paid out.
    pub paid_out: Money,
    /// Movements recorded there.
    pub transactions: i64,
}

/// One kind of account's section of the daily report: outpatient cards (门诊一卡通) or inpatient
/// deposits (住院预交金), each with its own opening and closing liability.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindSection {
    /// The kind of account.
    pub kind: AccountKind,
    /// Liability at the start of the day.
    pub opening_liability: Money,
    /// Deposits.
    pub deposits: Money,
    /// Deductions.
    pub deductions: Money,
    /// Reversals.
    pub reversals: Money,
    /// Refunds.
    pub refunds: Money,
    /// What settlements lowered the liability by.
    pub settlement_effect: Money,
    /// Liability at the end of the day.
    pub closing_liability: Money,
}

/// The day's discharge settlements (出院结算) under one insurance scheme.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemeLine {
    /// The scheme.
    pub scheme: InsuranceScheme,
    /// Settlements.
    pub count: i64,
    /// The stays' charges.
    pub total_charges: Money,
    /// The scheme's share.
    pub insurance_pays: Money,
    /// Paid in by patients (补).
    pub patient_pays: Money,
    /// Paid back to patients (退).
    pub patient_receives: Money,
}

/// A cashier's takings at one window by one method.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashierLine {
    /// The cashier's staff number.
    pub cashier: String,
    /// The window.
    pub window: String,
    /// The method.
    pub method: PaymentMethod,
    /// Received (deposits, settlements paid in).
    pub received: Money,
    /// Paid out (refunds, settlements paid back).
    pub paid_out: Money,
    /// Movements.
    pub transactions: i64,
}

/// A shift closed that day with a cash variance (长短款), and its resolution as of the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VarianceLine {
    /// The shift.
    pub shift_id: ShiftId,
    /// The cashier's staff number.
    pub cashier: String,
    /// The window.
    pub window: String,
    /// Counted − expected (negative: short).
    pub variance: Money,
    /// How it was resolved, if it was.
    pub resolution: Option<crate::VarianceResolution>,
    /// The controller's note on the resolution.
    pub note: Option<String>,
}

/// The receipt numbers a shift closed that day used (发票/收据).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptLine {
    /// The shift.
    pub shift_id: ShiftId,
    /// The cashier's staff number (their series).
    pub cashier: String,
    /// The first number used.
    pub first: String,
    /// The last number used.
    pub last: String,
    /// Receipts issued.
    pub issued: i64,
    /// Numbers voided.
    pub voided: i64,
    /// The voided numbers.
    pub voided_numbers: Vec<String>,
}

/// Money back-entered into the day after an outage (补录), flagged in the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackEntryLine {
    /// Its position in the log.
    pub position: u64,
    /// DEPOSIT, REFUND, SETTLEMENT_IN or SETTLEMENT_OUT.
    pub kind: String,
    /// The amount.
    pub amount: Money,
    /// The method.
    pub method: PaymentMethod,
    /// The cashier's staff number.
    pub cashier: String,
    /// When it happened at the window.
    pub occurred_at: DateTime<Utc>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// Why it was entered late.
    pub reason: String,
}

/// The daily report (住院结算日报表) of one business day as of a position of the log: what a
/// controller signs. Its canonical form is its JSON, fields in this order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayReport {
    /// [`REPORT_FORMAT`] when signed.
    pub format: u32,
    /// The business day.
    pub date: NaiveDate,
    /// The hospital's time zone the day was read in (IANA name).
    pub time_zone: String,
    /// The last position of the log the figures include.
    pub as_of_position: u64,
    /// Patient prepaid liability at the start of the day.
    pub opening_liability: Money,
    /// Deposits.
    pub deposits: Money,
    /// Deductions.
    pub deductions: Money,
    /// Reversals.
    pub reversals: Money,
    /// Refunds paid out.
    pub refunds: Money,
    /// How much discharge settlements lowered the liability: paid back − paid in − insurance.
    pub settlement_effect: Money,
    /// Patient prepaid liability at the end of the day.
    pub closing_liability: Money,
    /// Net received (in − out) per method, in [`PaymentMethod::ALL`] order, methods with
    /// movements only.
    pub by_method: Vec<(PaymentMethod, Money)>,
    /// Per window, by window.
    pub by_window: Vec<WindowLine>,
    /// Counted − expected cash over the shifts closed that day.
    pub cash_variance: Money,
    /// The part of it not resolved.
    pub open_variance: Money,
    /// The shifts whose variance is open.
    pub open_variance_shifts: i64,
    /// Outpatient cards and inpatient deposits, each on its own.
    pub sections: Vec<KindSection>,
    /// Cards issued (发卡).
    pub cards_issued: i64,
    /// Inpatient accounts opened (入院).
    pub admissions: i64,
    /// Discharge settlements (出院).
    pub discharges: i64,
    /// Settlements by insurance scheme.
    pub settlements: Vec<SchemeLine>,
    /// Takings per cashier, window and method.
    pub by_cashier: Vec<CashierLine>,
    /// The shifts closed that day with a cash variance.
    pub variances: Vec<VarianceLine>,
    /// Receipt numbers used by the shifts closed that day.
    pub receipts: Vec<ReceiptLine>,
    /// Gaps in a cashier's series between the day's shifts ("C001: 00000005–00000007").
    pub receipt_gaps: Vec<String>,
    /// Money back-entered into the day after an outage (补录).
    pub back_entries: Vec<BackEntryLine>,
}

impl DayReport {
    /// The canonical form that is hashed and signed.
    #[must_use]
    pub fn canonical(&self) -> String {
        serde_json::to_string(self).expect("a report always serializes")
    }

    /// Whether opening + deposits − deductions + reversals − refunds − settlement effect =
    /// closing, to the cent, for the whole and for each kind of account, and the kinds add up
    /// to the whole.
    #[must_use]
    pub fn balances(&self) -> bool {
        let relation = |o: Money, d: Money, x: Money, r: Money, f: Money, s: Money, c: Money| {
            o + d - x + r - f - s == c
        };
        let whole = relation(
            self.opening_liability,
            self.deposits,
            self.deductions,
            self.reversals,
            self.refunds,
            self.settlement_effect,
            self.closing_liability,
        );
        // Each section holds on its own, and the sections add up to the whole.
        let sections = self.sections.iter().all(|s| {
            relation(
                s.opening_liability,
                s.deposits,
                s.deductions,
                s.reversals,
                s.refunds,
                s.settlement_effect,
                s.closing_liability,
            )
        });
        let sum = |f: fn(&KindSection) -> Money| self.sections.iter().map(f).sum::<Money>();
        let add_up = self.sections.is_empty()
            || (sum(|s| s.opening_liability) == self.opening_liability
                && sum(|s| s.closing_liability) == self.closing_liability
                && sum(|s| s.deposits) == self.deposits
                && sum(|s| s.deductions) == self.deductions);
        whole && sections && add_up
    }

    /// Every line of the report by a stable name ("deposits", "byMethod.CASH",
    /// "byWindow.W1.received"), for comparing two versions of a day.
    #[must_use]
    pub fn lines(&self) -> Vec<(String, Money)> {
        let mut lines = vec![
            ("openingLiability".to_owned(), self.opening_liability),
            ("deposits".to_owned(), self.deposits),
            ("deductions".to_owned(), self.deductions),
            ("reversals".to_owned(), self.reversals),
            ("refunds".to_owned(), self.refunds),
            ("settlementEffect".to_owned(), self.settlement_effect),
            ("closingLiability".to_owned(), self.closing_liability),
            ("cashVariance".to_owned(), self.cash_variance),
            ("openVariance".to_owned(), self.open_variance),
        ];
        for (method, amount) in &self.by_method {
            lines.push((format!("byMethod.{}", method.as_str()), *amount));
        }
        for w in &self.by_window {
            lines.push((format!("byWindow.{}.received", w.window), w.received));
            lines.push((format!("byWindow.{}.paidOut", w.window), w.paid_out));
        }
        for section in &self.sections {
            let kind = match section.kind {
                AccountKind::OutpatientCard => "outpatient",
                AccountKind::InpatientDeposit => "inpatient",
            };
            for (line, amount) in [
                ("openingLiability", section.opening_liability),
                ("deposits", section.deposits),
                ("deductions", section.deductions),
                ("reversals", section.reversals),
                ("refunds", section.refunds),
                ("settlementEffect", section.settlement_effect),
                ("closingLiability", section.closing_liability),
            ] {
                lines.push((format!("{kind}.{line}"), amount));
            }
        }
        for s in &self.settlements {
            let scheme = s.scheme.as_str();
            lines.push((
                format!("settlements.{scheme}.totalCharges"),
                s.total_charges,
            ));
            lines.push((
                format!("settlements.{scheme}.insurancePays"),
                s.insurance_pays,
            ));
            lines.push((format!("settlements.{scheme}.patientPays"), s.patient_pays));
            lines.push((
                format!("settlements.{scheme}.patientReceives"),
                s.patient_receives,
            ));
        }
        lines
    }

    /// The lines that differ from `before` and by how much (`self − before`), lines absent
    /// from one side counting as zero there.
    #[must_use]
    pub fn moved_since(&self, before: &DayReport) -> Vec<(String, Money)> {
        let old: std::collections::BTreeMap<String, Money> = before.lines().into_iter().collect();
        let new: std::collections::BTreeMap<String, Money> = self.lines().into_iter().collect();
        let mut names: Vec<&String> = old.keys().chain(new.keys()).collect();
        names.sort();
        names.dedup();
        names
            .into_iter()
            .filter_map(|name| {
                let delta = new.get(name).copied().unwrap_or(Money::ZERO)
                    - old.get(name).copied().unwrap_or(Money::ZERO);
                (!delta.is_zero()).then(|| (name.clone(), delta))
            })
            .collect()
    }
}

/// A business day's close, as the log knows it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Day {
    /// Who closed it, when it was closed.
    pub closed_by: Option<StaffId>,
}

impl Day {
    /// Whether the day was closed.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.closed_by.is_some()
    }
}

impl Aggregate for Day {
    type Command = ();

    fn apply(&mut self, event: &Event) {
        if let Event::DayClosed { closed_by, .. } = event {
            self.closed_by = Some(*closed_by);
        }
    }

    fn decide(&self, (): &()) -> Result<Vec<Event>, DomainError> {
        Ok(Vec::new())
    }
}

/// The longest note on a close.
pub const MAX_NOTE_CHARS: usize = 500;

/// A CONTROLLER closes a business day (日结), signing `report` (hashed as `report_sha256`).
///
/// - `today` is the hospital's business date now: a day in the future cannot be closed.
/// - A day is closed once; nothing reopens it.
/// - `shifts` are the drawers of every shift that took money that day, as loaded from the log:
///   each must be closed and handed over (both halves of the hand-over), otherwise the close is
///   refused and the blocking shifts are named.
pub fn close(
    actor: &Actor,
    day: &Day,
    today: NaiveDate,
    shifts: &[Drawer],
    report: DayReport,
    report_sha256: String,
    note: Option<&str>,
) -> Result<Event, DomainError> {
    actor.require(Role::Controller)?;
    let date = report.date;
    if date > today {
        return Err(DomainError::DayInTheFuture(date));
    }
    if day.is_closed() {
        return Err(DomainError::DayAlreadyClosed(date));
    }
    let mut blocking: Vec<ShiftId> = shifts
        .iter()
        .filter(|drawer| !drawer.is_handed_over())
        .map(|drawer| drawer.shift_id)
        .collect();
    blocking.sort();
    blocking.dedup();
    if !blocking.is_empty() {
        return Err(DomainError::DayNotReady {
            date,
            shifts: blocking,
        });
    }
    let note = match note.map(str::trim).filter(|n| !n.is_empty()) {
        Some(note) => Some(crate::text::bounded("note", note, MAX_NOTE_CHARS)?),
        None => None,
    };
    Ok(Event::DayClosed {
        date,
        report: Box::new(report),
        report_sha256,
        note,
        closed_by: actor.staff_id,
    })
}

/// The longest reason for a back-entry.
pub const MAX_REASON_CHARS: usize = 200;

/// A movement recorded after an outage with its real business time (补录): when it happened,
/// and why it is entered late.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackEntry {
    /// When it happened at the window.
    pub occurred_at: DateTime<Utc>,
    /// Why it is entered late (required).
    pub reason: String,
}

/// A cashier back-enters money that crossed the window during an outage (补录): its business
/// time `occurred_at` falls on business day `date` (whose close, if any, is `day`).
///
/// - A reason is required.
/// - It lies in the past, at most `window` back from `now` (the configured limit).
/// - It never goes into a day already closed: that day's signed report stands, and what
///   happened then is a correction to record otherwise.
pub fn back_entry(
    day: &Day,
    date: NaiveDate,
    occurred_at: DateTime<Utc>,
    reason: &str,
    now: DateTime<Utc>,
    window: Duration,
) -> Result<BackEntry, DomainError> {
    let reason = crate::text::bounded("backEntryReason", reason, MAX_REASON_CHARS)?;
    if occurred_at > now {
        return Err(DomainError::BackEntryInTheFuture);
    }
    if now - occurred_at > window {
        return Err(DomainError::BackEntryTooOld {
            hours: window.num_hours(),
        });
    }
    if day.is_closed() {
        return Err(DomainError::DayAlreadyClosed(date));
    }
    Ok(BackEntry {
        occurred_at,
        reason,
    })
}
