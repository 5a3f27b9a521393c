//! Period reports over the movements and shifts views: department revenue and the daily report.
//! Callers turn a hospital-local day into a UTC range; these queries only see UTC instants.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;
use yika_domain::{Money, PaymentMethod};
use yika_store::time::format_time;

use crate::read::{parse_enum, parse_time, parse_uuid};
use crate::{ProjectionError, ReadStore};

/// Revenue as executed by one department over a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartmentRevenueRow {
    /// The executing department.
    pub department: String,
    /// Sum of its deductions.
    pub deducted: Money,
    /// Sum of its reversals.
    pub reversed: Money,
    /// Number of deductions.
    pub count: i64,
}

/// Money received and paid out at one window over a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowTotalRow {
    /// The window.
    pub window: String,
    /// Deposits taken.
    pub received: Money,
    /// Refunds paid out.
    pub paid_out: Money,
    /// Deposits and refunds recorded.
    pub transactions: i64,
}

/// The figures of a daily report (住院结算日报表) of one business day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyFigures {
    /// The last position of the log they include.
    pub position: u64,
    /// Patient prepaid liability at the start of the day.
    pub opening_liability: Money,
    /// Deposits in the day.
    pub deposits: Money,
    /// Deductions in the day.
    pub deductions: Money,
    /// Reversals belonging to the day (of the day's deductions).
    pub reversals: Money,
    /// Refunds paid out in the day.
    pub refunds: Money,
    /// How much discharge settlements lowered the liability: paid back − paid in − insurance.
    pub settlement_effect: Money,
    /// Patient prepaid liability at the end of the day, summed from the movements on its own.
    pub closing_liability: Money,
    /// Net liability movements belonging to later days.
    pub after_end: Money,
    /// The sum of every account's balance in the balances view now (a different projector).
    pub accounts_now: Money,
    /// Net received (deposits − refunds) per method, in [`PaymentMethod::ALL`] order.
    pub by_method: Vec<(PaymentMethod, Money)>,
    /// Per window.
    pub by_window: Vec<WindowTotalRow>,
    /// Sum of counted − expected cash over the shifts closed in the day.
    pub cash_variance: Money,
    /// The part of it not yet resolved (`resolveVariance`), and on how many shifts.
    pub open_variance: (Money, i64),
    /// Outpatient cards and inpatient deposits on their own.
    pub sections: Vec<yika_domain::day::KindSection>,
    /// Cards issued, admissions and discharges.
    pub counts: (i64, i64, i64),
    /// The positions of the day's discharge settlements (read from the log for their split).
    pub settlement_positions: Vec<u64>,
    /// Takings per cashier, window and method.
    pub by_cashier: Vec<yika_domain::day::CashierLine>,
    /// The shifts closed in the day with a cash variance.
    pub variances: Vec<yika_domain::day::VarianceLine>,
    /// Receipt numbers used by the shifts closed in the day.
    pub receipts: Vec<yika_domain::day::ReceiptLine>,
    /// Money back-entered into the day (补录).
    pub back_entries: Vec<yika_domain::day::BackEntryLine>,
    /// The position of the signed day the liabilities were summed from (decision 0033), or
    /// `None` when they were summed from every movement.
    pub summed_from: Option<u64>,
}

impl DailyFigures {
    /// The figures as the report a controller signs: `date` read in `time_zone`, with the
    /// day's settlements by scheme (from the log).
    #[must_use]
    pub fn report(
        &self,
        date: NaiveDate,
        time_zone: &str,
        settlements: Vec<yika_domain::day::SchemeLine>,
    ) -> yika_domain::DayReport {
        yika_domain::DayReport {
            format: yika_domain::day::REPORT_FORMAT,
            date,
            time_zone: time_zone.to_owned(),
            as_of_position: self.position,
            opening_liability: self.opening_liability,
            deposits: self.deposits,
            deductions: self.deductions,
            reversals: self.reversals,
            refunds: self.refunds,
            settlement_effect: self.settlement_effect,
            closing_liability: self.closing_liability,
            by_method: self.by_method.clone(),
            by_window: self
                .by_window
                .iter()
                .map(|w| yika_domain::day::WindowLine {
                    window: w.window.clone(),
                    received: w.received,
                    paid_out: w.paid_out,
                    transactions: w.transactions,
                })
                .collect(),
            cash_variance: self.cash_variance,
            open_variance: self.open_variance.0,
            open_variance_shifts: self.open_variance.1,
            sections: self.sections.clone(),
            cards_issued: self.counts.0,
            admissions: self.counts.1,
            discharges: self.counts.2,
            settlements,
            by_cashier: self.by_cashier.clone(),
            variances: self.variances.clone(),
            receipts: self.receipts.clone(),
            receipt_gaps: receipt_gaps(&self.receipts),
            back_entries: self.back_entries.clone(),
        }
    }
}

/// Gaps in each cashier's receipt series between the shifts of a day: a shift whose first
/// number is not the number after the previous shift's last.
#[must_use]
pub fn receipt_gaps(receipts: &[yika_domain::day::ReceiptLine]) -> Vec<String> {
    let sequence = |no: &str| {
        no.rsplit_once('-')
            .and_then(|(_, n)| n.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let mut by_cashier: std::collections::BTreeMap<&str, Vec<(u64, u64)>> =
        std::collections::BTreeMap::new();
    for r in receipts {
        by_cashier
            .entry(r.cashier.as_str())
            .or_default()
            .push((sequence(&r.first), sequence(&r.last)));
    }
    let mut gaps = Vec::new();
    for (cashier, mut ranges) in by_cashier {
        ranges.sort_unstable();
        for pair in ranges.windows(2) {
            let ((_, last), (first, _)) = (pair[0], pair[1]);
            if first > last + 1 {
                gaps.push(format!("{cashier}: {:08}–{:08}", last + 1, first - 1));
            }
        }
    }
    gaps
}

/// The SHA-256 (hex) of a report's canonical form: what a day's close signs.
#[must_use]
pub fn report_sha256(report: &yika_domain::DayReport) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(report.canonical().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Which business day, and as of which position of the log.
///
/// A movement belongs to the local day of its business time (a reversal's is its deduction's),
/// except that what is recorded after a day's close (日结) with a time on that date belongs to
/// the next day (decision 0028). `start`, `end` and `previous_start` are where the day, the next
/// day and the day before start; the closes are the positions of the `DayClosed` events of the
/// day and of the day before, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusinessDay {
    /// The local date.
    pub date: NaiveDate,
    /// Where the day starts.
    pub start: DateTime<Utc>,
    /// Where the next day starts.
    pub end: DateTime<Utc>,
    /// Where the day before starts.
    pub previous_start: DateTime<Utc>,
}

/// A closed business day as the `days` view holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedDay {
    /// The date.
    pub date: NaiveDate,
    /// The close's position in the log.
    pub position: u64,
    /// The position its signed report is as of.
    pub as_of_position: u64,
    /// The signed report's SHA-256.
    pub report_sha256: String,
    /// Who closed it.
    pub closed_by: String,
    /// When.
    pub closed_at: DateTime<Utc>,
}

/// A signed day to sum a later day's liabilities from (decision 0033): its closing liability per
/// kind of account as of the position its report is as of. A day's opening and closing
/// liabilities are sums over every movement before them; from a checkpoint they are its closing
/// plus the movements recorded after it, and the few recorded before it with a later business
/// time, so a report costs what the days since the last close hold, not the whole ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The position the signed report is as of.
    pub as_of: u64,
    /// Where the signed day ended (the next local day's start, in the report's time zone).
    pub end: DateTime<Utc>,
    /// Its closing liability per kind of account.
    pub closing: Vec<(yika_domain::AccountKind, Money)>,
}

impl Checkpoint {
    fn total(&self) -> i64 {
        self.closing.iter().map(|(_, m)| m.fen()).sum()
    }

    fn of(&self, kind: yika_domain::AccountKind) -> Money {
        self.closing
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, m)| *m)
            .sum()
    }
}

/// The bounds every business-day query binds, in one CTE `b` so that each parameter is used
/// (and typed) exactly once on either backend: the day's start `s`, end `e`, the day before's
/// start `ps`, the day's close `pd` and the day before's `pp` (`i64::MAX` when not closed as of
/// `q`), and the last position `q` included.
const BOUNDS: &str = "WITH b AS (SELECT CAST($1 AS TEXT) AS s, CAST($2 AS TEXT) AS e, \
                      CAST($3 AS TEXT) AS ps, CAST($4 AS BIGINT) AS pd, CAST($5 AS BIGINT) AS pp, \
                      CAST($6 AS BIGINT) AS q) ";

/// A movement of the day: of its date and recorded before its close, or of the day before's
/// date and recorded after that day's close.
const IN_DAY: &str = "m.position <= b.q AND ((m.business_at >= b.s AND m.business_at < b.e \
                      AND m.business_position < b.pd) OR (m.business_at >= b.ps AND \
                      m.business_at < b.s AND m.business_position > b.pp))";
/// A movement of an earlier day.
const BEFORE_DAY: &str = "m.position <= b.q AND (m.business_at < b.ps OR (m.business_at < b.s \
                          AND m.business_position < b.pp))";
/// A movement of the day or an earlier one.
const UP_TO_DAY: &str = "m.position <= b.q AND (m.business_at < b.s OR (m.business_at < b.e \
                         AND m.business_position < b.pd))";
/// A shift closed in the day (by its close's time and position).
const SHIFT_IN_DAY: &str = "s.closed_position <= b.q AND ((s.closed_at >= b.s AND s.closed_at < b.e \
                            AND s.closed_position < b.pd) OR (s.closed_at >= b.ps AND \
                            s.closed_at < b.s AND s.closed_position > b.pp))";

/// An audit-index entry (an event) of the day, by its business time and position.
const AUDIT_IN_DAY: &str = "x.position <= b.q AND ((x.business_at >= b.s AND x.business_at < b.e \
                            AND x.position < b.pd) OR (x.business_at >= b.ps AND \
                            x.business_at < b.s AND x.position > b.pp))";

const NET: &str = "COALESCE(CAST(SUM(CASE WHEN m.kind IN ('DEPOSIT', 'REVERSAL', 'INSURANCE', 'SETTLEMENT_IN') \
                   THEN m.amount_fen ELSE -m.amount_fen END) AS BIGINT), 0)";

fn to_i64(position: u64) -> i64 {
    i64::try_from(position).unwrap_or(i64::MAX)
}

/// The bound values of [`BOUNDS`].
struct Bound {
    s: String,
    e: String,
    ps: String,
    pd: i64,
    pp: i64,
    q: i64,
}

impl Bound {
    /// The movements a liability sum reads: all of them, or from `checkpoint` (when it may
    /// serve this day) those recorded after it and those recorded before it with a business
    /// time after its day. For a movement recorded before the checkpoint, being before the day
    /// (or up to its end) depends on its business time alone: its business position is below
    /// every close that counts here.
    fn movements(&self, checkpoint: Option<&Checkpoint>) -> String {
        match checkpoint {
            None => "movements".to_owned(),
            Some(c) => {
                let a = to_i64(c.as_of);
                format!(
                    "(SELECT * FROM movements WHERE position > {a} AND position <= {q} \
                     UNION ALL SELECT * FROM movements WHERE business_at >= '{end}' AND position <= {a})",
                    q = self.q,
                    end = format_time(c.end),
                )
            }
        }
    }

    /// `checkpoint` if it may serve the day: a day before it, as of a position this report
    /// includes, and before the close of the day and of the day before (if closed).
    fn usable<'c>(
        &self,
        day: &BusinessDay,
        checkpoint: Option<&'c Checkpoint>,
    ) -> Option<&'c Checkpoint> {
        checkpoint.filter(|c| {
            let a = to_i64(c.as_of);
            c.end <= day.start && a <= self.q && a < self.pd && a < self.pp
        })
    }

    fn query<'q>(&self, sql: String) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
        sqlx::query(sqlx::AssertSqlSafe(format!("{BOUNDS}{sql}")))
            .bind(self.s.clone())
            .bind(self.e.clone())
            .bind(self.ps.clone())
            .bind(self.pd)
            .bind(self.pp)
            .bind(self.q)
    }
}

/// The detailed sections of a day, read in the report's snapshot.
struct Details {
    sections: Vec<yika_domain::day::KindSection>,
    counts: (i64, i64, i64),
    settlement_positions: Vec<u64>,
    by_cashier: Vec<yika_domain::day::CashierLine>,
    variances: Vec<yika_domain::day::VarianceLine>,
    receipts: Vec<yika_domain::day::ReceiptLine>,
    back_entries: Vec<yika_domain::day::BackEntryLine>,
}

fn shift_id(text: &str) -> Result<yika_domain::ShiftId, ProjectionError> {
    Ok(yika_domain::ShiftId(parse_uuid(text)?))
}

impl ReadStore {
    /// The day's sections beyond the balance relation: each kind of account, the counts, the
    /// settlements' positions, takings per cashier, variances and receipts.
    async fn details(
        tx: &mut sqlx::AnyConnection,
        b: &Bound,
        variance: &str,
        checkpoint: Option<&Checkpoint>,
    ) -> Result<Details, ProjectionError> {
        use yika_domain::day::{CashierLine, KindSection, ReceiptLine, VarianceLine};
        use yika_domain::{AccountKind, VarianceResolution};
        let amount_if = |predicate: &str, kinds: &str| {
            format!(
                "COALESCE(CAST(SUM(CASE WHEN ({predicate}) AND m.kind IN ({kinds}) THEN m.amount_fen ELSE 0 END) AS BIGINT), 0)"
            )
        };
        let net_if = |predicate: &str| {
            format!(
                "COALESCE(CAST(SUM(CASE WHEN NOT ({predicate}) THEN 0 \
                 WHEN m.kind IN ('DEPOSIT', 'REVERSAL', 'INSURANCE', 'SETTLEMENT_IN') THEN m.amount_fen \
                 ELSE -m.amount_fen END) AS BIGINT), 0)"
            )
        };
        let rows = b
            .query(format!(
                "SELECT a.kind AS kind, {} AS opening, {} AS closing, {} AS deposits, {} AS deductions, \
                 {} AS reversals, {} AS refunds, {} AS paid_back, {} AS paid_in \
                 FROM {} m JOIN accounts a ON a.account_id = m.account_id, b \
                 WHERE m.position <= b.q GROUP BY a.kind",
                net_if(BEFORE_DAY),
                net_if(UP_TO_DAY),
                amount_if(IN_DAY, "'DEPOSIT'"),
                amount_if(IN_DAY, "'DEDUCTION'"),
                amount_if(IN_DAY, "'REVERSAL'"),
                amount_if(IN_DAY, "'REFUND'"),
                amount_if(IN_DAY, "'SETTLEMENT_OUT'"),
                amount_if(IN_DAY, "'SETTLEMENT_IN', 'INSURANCE'"),
                b.movements(checkpoint),
            ))
            .fetch_all(&mut *tx)
            .await?;
        let mut sections = Vec::new();
        for kind in [AccountKind::OutpatientCard, AccountKind::InpatientDeposit] {
            let name = crate::views::enum_text(&kind);
            let mut section = KindSection {
                kind,
                opening_liability: Money::ZERO,
                deposits: Money::ZERO,
                deductions: Money::ZERO,
                reversals: Money::ZERO,
                refunds: Money::ZERO,
                settlement_effect: Money::ZERO,
                closing_liability: Money::ZERO,
            };
            for row in &rows {
                if row.try_get::<String, _>("kind")? != name {
                    continue;
                }
                let fen = |column: &str| -> Result<Money, ProjectionError> {
                    Ok(Money::from_fen(row.try_get::<i64, _>(column)?))
                };
                section.opening_liability = fen("opening")?;
                section.closing_liability = fen("closing")?;
                section.deposits = fen("deposits")?;
                section.deductions = fen("deductions")?;
                section.reversals = fen("reversals")?;
                section.refunds = fen("refunds")?;
                section.settlement_effect = fen("paid_back")? - fen("paid_in")?;
            }
            if let Some(c) = checkpoint {
                section.opening_liability += c.of(kind);
                section.closing_liability += c.of(kind);
            }
            sections.push(section);
        }
        let counts = b
            .query(format!(
                "SELECT \
                 COALESCE(CAST(SUM(CASE WHEN x.event_type = 'AccountOpened' AND a.kind = 'OUTPATIENT_CARD' THEN 1 ELSE 0 END) AS BIGINT), 0) AS cards, \
                 COALESCE(CAST(SUM(CASE WHEN x.event_type = 'AccountOpened' AND a.kind = 'INPATIENT_DEPOSIT' THEN 1 ELSE 0 END) AS BIGINT), 0) AS admissions, \
                 COALESCE(CAST(SUM(CASE WHEN x.event_type = 'DischargeSettled' THEN 1 ELSE 0 END) AS BIGINT), 0) AS discharges \
                 FROM audit_index x LEFT JOIN accounts a ON a.account_id = x.account_id, b \
                 WHERE x.event_type IN ('AccountOpened', 'DischargeSettled') AND {AUDIT_IN_DAY}"
            ))
            .fetch_one(&mut *tx)
            .await?;
        let counts = (
            counts.try_get::<i64, _>("cards")?,
            counts.try_get::<i64, _>("admissions")?,
            counts.try_get::<i64, _>("discharges")?,
        );
        let settlement_positions = b
            .query(format!(
                "SELECT x.position AS position FROM audit_index x, b \
                 WHERE x.event_type = 'DischargeSettled' AND {AUDIT_IN_DAY} ORDER BY x.position"
            ))
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|row| Ok(u64::try_from(row.try_get::<i64, _>("position")?).unwrap_or(0)))
            .collect::<Result<Vec<u64>, ProjectionError>>()?;
        let cashier = "COALESCE(st.staff_no, s.cashier_id)";
        let by_cashier = b
            .query(format!(
                "SELECT {cashier} AS cashier, m.\"window\" AS \"window\", m.method AS method, \
                 CAST(SUM(CASE WHEN m.kind IN ('DEPOSIT', 'SETTLEMENT_IN') THEN m.amount_fen ELSE 0 END) AS BIGINT) AS received, \
                 CAST(SUM(CASE WHEN m.kind IN ('REFUND', 'SETTLEMENT_OUT') THEN m.amount_fen ELSE 0 END) AS BIGINT) AS paid_out, \
                 COUNT(DISTINCT m.position) AS transactions \
                 FROM movements m JOIN shifts s ON s.shift_id = m.shift_id \
                 LEFT JOIN staff st ON st.staff_id = s.cashier_id, b \
                 WHERE m.method IS NOT NULL AND m.\"window\" IS NOT NULL AND {IN_DAY} \
                 GROUP BY {cashier}, m.\"window\", m.method ORDER BY 1, 2, 3"
            ))
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|row| {
                Ok(CashierLine {
                    cashier: row.try_get("cashier")?,
                    window: row.try_get("window")?,
                    method: crate::read::parse_enum(&row.try_get::<String, _>("method")?)?,
                    received: Money::from_fen(row.try_get("received")?),
                    paid_out: Money::from_fen(row.try_get("paid_out")?),
                    transactions: row.try_get("transactions")?,
                })
            })
            .collect::<Result<Vec<_>, ProjectionError>>()?;
        let variances = b
            .query(format!(
                "SELECT s.shift_id AS shift_id, {cashier} AS cashier, s.\"window\" AS \"window\", \
                 {variance} AS v, \
                 CASE WHEN s.variance_resolved_position <= b.q THEN s.variance_resolution END AS resolution, \
                 CASE WHEN s.variance_resolved_position <= b.q THEN s.variance_note END AS note \
                 FROM shifts s LEFT JOIN shift_methods sm ON sm.shift_id = s.shift_id AND sm.method = 'CASH' \
                 LEFT JOIN staff st ON st.staff_id = s.cashier_id, b \
                 WHERE {SHIFT_IN_DAY} AND {variance} <> 0 ORDER BY s.closed_position"
            ))
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|row| {
                let resolution: Option<String> = row.try_get("resolution")?;
                Ok(VarianceLine {
                    shift_id: shift_id(&row.try_get::<String, _>("shift_id")?)?,
                    cashier: row.try_get("cashier")?,
                    window: row.try_get("window")?,
                    variance: Money::from_fen(row.try_get("v")?),
                    resolution: resolution
                        .map(|r| crate::read::parse_enum::<VarianceResolution>(&r))
                        .transpose()?,
                    note: row.try_get("note")?,
                })
            })
            .collect::<Result<Vec<_>, ProjectionError>>()?;
        let receipt_rows = b
            .query(format!(
                "SELECT s.shift_id AS shift_id, {cashier} AS cashier, r.receipt_no AS receipt_no, \
                 r.status AS status FROM shifts s JOIN receipts r ON r.shift_id = s.shift_id \
                 LEFT JOIN staff st ON st.staff_id = s.cashier_id, b \
                 WHERE {SHIFT_IN_DAY} ORDER BY s.closed_position, r.sequence"
            ))
            .fetch_all(&mut *tx)
            .await?;
        let mut receipts: Vec<ReceiptLine> = Vec::new();
        for row in &receipt_rows {
            let shift = shift_id(&row.try_get::<String, _>("shift_id")?)?;
            let no: String = row.try_get("receipt_no")?;
            let voided = row.try_get::<String, _>("status")? == "VOIDED";
            match receipts.last_mut() {
                Some(line) if line.shift_id == shift => {
                    line.last.clone_from(&no);
                    if voided {
                        line.voided += 1;
                        line.voided_numbers.push(no);
                    } else {
                        line.issued += 1;
                    }
                }
                _ => receipts.push(ReceiptLine {
                    shift_id: shift,
                    cashier: row.try_get("cashier")?,
                    first: no.clone(),
                    last: no.clone(),
                    issued: i64::from(!voided),
                    voided: i64::from(voided),
                    voided_numbers: if voided { vec![no] } else { Vec::new() },
                }),
            }
        }
        let back_entries = b
            .query(format!(
                "SELECT m.position AS position, m.kind AS kind, m.amount_fen AS amount, m.method AS method, \
                 {cashier} AS cashier, m.business_at AS business_at, m.recorded_at AS recorded_at, \
                 m.back_entry AS reason \
                 FROM movements m JOIN shifts s ON s.shift_id = m.shift_id \
                 LEFT JOIN staff st ON st.staff_id = s.cashier_id, b \
                 WHERE m.back_entry IS NOT NULL AND m.method IS NOT NULL AND {IN_DAY} \
                 ORDER BY m.position, m.kind"
            ))
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|row| {
                Ok(yika_domain::day::BackEntryLine {
                    position: u64::try_from(row.try_get::<i64, _>("position")?).unwrap_or(0),
                    kind: row.try_get("kind")?,
                    amount: Money::from_fen(row.try_get("amount")?),
                    method: crate::read::parse_enum(&row.try_get::<String, _>("method")?)?,
                    cashier: row.try_get("cashier")?,
                    occurred_at: parse_time(&row.try_get::<String, _>("business_at")?)?,
                    recorded_at: parse_time(&row.try_get::<String, _>("recorded_at")?)?,
                    reason: row.try_get("reason")?,
                })
            })
            .collect::<Result<Vec<_>, ProjectionError>>()?;
        Ok(Details {
            sections,
            counts,
            settlement_positions,
            by_cashier,
            variances,
            receipts,
            back_entries,
        })
    }

    /// Deductions, reversals and counts per executing department recorded in `[from, to)`.
    pub async fn department_revenue(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<DepartmentRevenueRow>, ProjectionError> {
        let rows = sqlx::query(
            "SELECT department, \
             COALESCE(CAST(SUM(CASE kind WHEN 'DEDUCTION' THEN amount_fen ELSE 0 END) AS BIGINT), 0) AS deducted, \
             COALESCE(CAST(SUM(CASE kind WHEN 'REVERSAL' THEN amount_fen ELSE 0 END) AS BIGINT), 0) AS reversed, \
             COALESCE(CAST(SUM(CASE kind WHEN 'DEDUCTION' THEN 1 ELSE 0 END) AS BIGINT), 0) AS count \
             FROM movements WHERE department IS NOT NULL AND recorded_at >= $1 AND recorded_at < $2 \
             GROUP BY department ORDER BY department",
        )
        .bind(format_time(from))
        .bind(format_time(to))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(DepartmentRevenueRow {
                    department: row.try_get("department")?,
                    deducted: Money::from_fen(row.try_get("deducted")?),
                    reversed: Money::from_fen(row.try_get("reversed")?),
                    count: row.try_get("count")?,
                })
            })
            .collect()
    }

    /// The closed days in `[from, to]`, by date.
    pub async fn closed_days(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<ClosedDay>, ProjectionError> {
        let rows = sqlx::query(
            "SELECT date, position, as_of_position, report_sha256, closed_by, closed_at FROM days \
             WHERE date >= $1 AND date <= $2 ORDER BY date",
        )
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let date: String = row.try_get("date")?;
                Ok(ClosedDay {
                    date: date.parse().map_err(|e| {
                        ProjectionError::Corrupt(format!("days.date {date:?}: {e}"))
                    })?,
                    position: u64::try_from(row.try_get::<i64, _>("position")?).unwrap_or(0),
                    as_of_position: u64::try_from(row.try_get::<i64, _>("as_of_position")?)
                        .unwrap_or(0),
                    report_sha256: row.try_get("report_sha256")?,
                    closed_by: row.try_get("closed_by")?,
                    closed_at: parse_time(&row.try_get::<String, _>("closed_at")?)?,
                })
            })
            .collect()
    }

    /// The last day closed before `date`, if any.
    pub async fn closed_before(
        &self,
        date: NaiveDate,
    ) -> Result<Option<ClosedDay>, ProjectionError> {
        let row = sqlx::query("SELECT date FROM days WHERE date < $1 ORDER BY date DESC LIMIT 1")
            .bind(date.to_string())
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let last: String = row.try_get("date")?;
        let last: NaiveDate = last
            .parse()
            .map_err(|e| ProjectionError::Corrupt(format!("days.date {last:?}: {e}")))?;
        Ok(self.closed_days(last, last).await?.into_iter().next())
    }

    /// The bounds of `day` as of `as_of` (`None`: everything the views hold), read in `tx`.
    async fn bound(
        tx: &mut sqlx::AnyConnection,
        day: &BusinessDay,
        as_of: Option<u64>,
    ) -> Result<Bound, ProjectionError> {
        // Everything the views hold is everything up to their checkpoint in this snapshot.
        let q = match as_of {
            Some(position) => to_i64(position),
            None => to_i64(Self::checkpoint_in(tx, crate::runner::PROJECTION).await?),
        };
        let close_of = |date: NaiveDate| {
            sqlx::query_scalar::<_, i64>("SELECT position FROM days WHERE date = $1")
                .bind(date.to_string())
        };
        let pd = close_of(day.date).fetch_optional(&mut *tx).await?;
        let previous = day.date.pred_opt().unwrap_or(day.date);
        let pp = close_of(previous).fetch_optional(&mut *tx).await?;
        let visible = |p: Option<i64>| p.filter(|p| *p <= q).unwrap_or(i64::MAX);
        Ok(Bound {
            s: format_time(day.start),
            e: format_time(day.end),
            ps: format_time(day.previous_start),
            pd: visible(pd),
            pp: visible(pp),
            q,
        })
    }

    /// The shifts that took money in `day` (as everything the views hold).
    pub async fn shifts_with_money(
        &self,
        day: &BusinessDay,
    ) -> Result<Vec<String>, ProjectionError> {
        let mut tx = self.snapshot().await?;
        let bound = Self::bound(&mut tx, day, None).await?;
        let rows = bound
            .query(format!(
                "SELECT DISTINCT m.shift_id AS shift_id FROM movements m, b \
                 WHERE m.shift_id IS NOT NULL AND {IN_DAY} ORDER BY m.shift_id"
            ))
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        rows.iter()
            .map(|row| Ok(row.try_get::<String, _>("shift_id")?))
            .collect()
    }

    /// The positions after `after` (and up to `until`, if given) of events that may move the
    /// figures of `day` or of an earlier day (movements of those days, variance resolutions of
    /// shifts closed in the day), in log order, at most `limit`.
    pub async fn positions_touching(
        &self,
        day: &BusinessDay,
        after: u64,
        limit: u32,
    ) -> Result<Vec<u64>, ProjectionError> {
        let mut tx = self.snapshot().await?;
        let bound = Self::bound(&mut tx, day, None).await?;
        let rows = bound
            .query(format!(
                "SELECT DISTINCT p FROM ( \
                 SELECT m.position AS p FROM movements m, b WHERE m.position > {after} AND {UP_TO_DAY} \
                 UNION SELECT s.variance_resolved_position AS p FROM shifts s, b \
                 WHERE s.variance_resolved_position IS NOT NULL AND {SHIFT_IN_DAY}) t \
                 WHERE p > {after} ORDER BY p LIMIT {limit}",
                after = to_i64(after),
            ))
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        rows.iter()
            .map(|row| Ok(u64::try_from(row.try_get::<i64, _>("p")?).unwrap_or(0)))
            .collect()
    }

    /// The daily report's figures of `day` as of position `as_of` (`None`: everything the views
    /// hold), read in one snapshot.
    ///
    /// With a `checkpoint` (a signed day before this one) the liabilities are summed from it
    /// when it may serve (decision 0033); the figures are the same either way.
    pub async fn daily_figures(
        &self,
        day: &BusinessDay,
        as_of: Option<u64>,
        checkpoint: Option<&Checkpoint>,
    ) -> Result<DailyFigures, ProjectionError> {
        let mut tx = self.snapshot().await?;
        let b = Self::bound(&mut tx, day, as_of).await?;
        let checkpoint = b.usable(day, checkpoint);
        let from = checkpoint.map_or(0, Checkpoint::total);
        let source = b.movements(checkpoint);
        let sum = |predicate: &str| {
            b.query(format!(
                "SELECT {NET} AS total FROM {source} m, b WHERE {predicate}"
            ))
        };
        let opening: i64 = from
            + sum(BEFORE_DAY)
                .fetch_one(&mut *tx)
                .await?
                .try_get::<i64, _>("total")?;
        let closing: i64 = from
            + sum(UP_TO_DAY)
                .fetch_one(&mut *tx)
                .await?
                .try_get::<i64, _>("total")?;
        let all: i64 = from
            + sum("m.position <= b.q")
                .fetch_one(&mut *tx)
                .await?
                .try_get::<i64, _>("total")?;
        let accounts_now: i64 = sqlx::query_scalar(
            "SELECT COALESCE(CAST(SUM(balance_fen) AS BIGINT), 0) FROM accounts",
        )
        .fetch_one(&mut *tx)
        .await?;
        let flows = b
            .query(format!(
                "SELECT m.kind AS kind, CAST(SUM(m.amount_fen) AS BIGINT) AS total \
                 FROM movements m, b WHERE {IN_DAY} GROUP BY m.kind"
            ))
            .fetch_all(&mut *tx)
            .await?;
        let flow = |kind: &str| -> Result<Money, ProjectionError> {
            for row in &flows {
                if row.try_get::<String, _>("kind")? == kind {
                    return Ok(Money::from_fen(row.try_get("total")?));
                }
            }
            Ok(Money::ZERO)
        };
        let methods = b
            .query(format!(
                "SELECT m.method AS method, CAST(SUM(CASE WHEN m.kind IN ('DEPOSIT', 'SETTLEMENT_IN') \
                 THEN m.amount_fen ELSE -m.amount_fen END) AS BIGINT) AS net \
                 FROM movements m, b WHERE m.method IS NOT NULL AND {IN_DAY} GROUP BY m.method"
            ))
            .fetch_all(&mut *tx)
            .await?;
        let mut by_method = Vec::new();
        for method in PaymentMethod::ALL {
            for row in &methods {
                if row.try_get::<String, _>("method")? == method.as_str() {
                    by_method.push((method, Money::from_fen(row.try_get("net")?)));
                }
            }
        }
        let windows = b
            .query(format!(
                "SELECT m.\"window\" AS \"window\", \
                 CAST(SUM(CASE WHEN m.kind IN ('DEPOSIT', 'SETTLEMENT_IN') THEN m.amount_fen ELSE 0 END) AS BIGINT) AS received, \
                 CAST(SUM(CASE WHEN m.kind IN ('REFUND', 'SETTLEMENT_OUT') THEN m.amount_fen ELSE 0 END) AS BIGINT) AS paid_out, \
                 COUNT(DISTINCT m.position) AS transactions \
                 FROM movements m, b WHERE m.\"window\" IS NOT NULL AND {IN_DAY} \
                 GROUP BY m.\"window\" ORDER BY m.\"window\""
            ))
            .fetch_all(&mut *tx)
            .await?;
        let by_window = windows
            .iter()
            .map(|row| {
                Ok(WindowTotalRow {
                    window: row.try_get("window")?,
                    received: Money::from_fen(row.try_get("received")?),
                    paid_out: Money::from_fen(row.try_get("paid_out")?),
                    transactions: row.try_get("transactions")?,
                })
            })
            .collect::<Result<Vec<_>, ProjectionError>>()?;
        // Each shift's variance: counted − (float + cash in − cash out).
        let variance: &str = "s.counted_cash_fen - s.opening_float_fen - COALESCE(sm.received_fen, 0) \
                        + COALESCE(sm.paid_out_fen, 0)";
        let shifts = format!(
            "FROM shifts s LEFT JOIN shift_methods sm ON sm.shift_id = s.shift_id AND sm.method = 'CASH', b \
             WHERE {SHIFT_IN_DAY}"
        );
        let cash_variance: i64 = b
            .query(format!(
                "SELECT COALESCE(CAST(SUM({variance}) AS BIGINT), 0) AS total {shifts}"
            ))
            .fetch_one(&mut *tx)
            .await?
            .try_get("total")?;
        let open = b
            .query(format!(
                "SELECT COALESCE(CAST(SUM(v) AS BIGINT), 0) AS total, COUNT(*) AS shifts FROM ( \
                 SELECT {variance} AS v {shifts} AND (s.variance_resolution IS NULL \
                 OR s.variance_resolved_position > b.q)) d WHERE v <> 0"
            ))
            .fetch_one(&mut *tx)
            .await?;
        let open_variance = (
            Money::from_fen(open.try_get::<i64, _>("total")?),
            open.try_get::<i64, _>("shifts")?,
        );
        let details = Self::details(&mut tx, &b, variance, checkpoint).await?;
        tx.commit().await?;
        Ok(DailyFigures {
            position: u64::try_from(b.q).unwrap_or(0),
            sections: details.sections,
            counts: details.counts,
            settlement_positions: details.settlement_positions,
            by_cashier: details.by_cashier,
            variances: details.variances,
            receipts: details.receipts,
            back_entries: details.back_entries,
            summed_from: checkpoint.map(|c| c.as_of),
            opening_liability: Money::from_fen(opening),
            deposits: flow("DEPOSIT")?,
            deductions: flow("DEDUCTION")?,
            reversals: flow("REVERSAL")?,
            refunds: flow("REFUND")?,
            settlement_effect: flow("SETTLEMENT_OUT")?
                - flow("SETTLEMENT_IN")?
                - flow("INSURANCE")?,
            closing_liability: Money::from_fen(closing),
            after_end: Money::from_fen(all - closing),
            accounts_now: Money::from_fen(accounts_now),
            by_method,
            by_window,
            cash_variance: Money::from_fen(cash_variance),
            open_variance,
        })
    }
}

impl ReadStore {
    /// The receipt numbers a shift used, in order, each with whether it was voided.
    pub async fn shift_receipts(
        &self,
        shift: yika_domain::ShiftId,
    ) -> Result<Vec<(String, bool)>, ProjectionError> {
        let rows = sqlx::query(
            "SELECT receipt_no, status FROM receipts WHERE shift_id = $1 ORDER BY sequence",
        )
        .bind(shift.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get::<String, _>("receipt_no")?,
                    row.try_get::<String, _>("status")? == "VOIDED",
                ))
            })
            .collect()
    }
}

/// One line of the trial balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerLine {
    /// The ledger account (or the control account of a subledger).
    pub ledger_account: String,
    /// Sum of debits.
    pub debit: Money,
    /// Sum of credits.
    pub credit: Money,
}

impl ReadStore {
    /// Debits and credits per ledger account (subledgers rolled up into their control
    /// accounts) over the journal up to and including `position`.
    pub async fn trial_balance(&self, position: u64) -> Result<Vec<LedgerLine>, ProjectionError> {
        let rows = sqlx::query(
            "SELECT ledger_group, COALESCE(CAST(SUM(CASE WHEN amount_fen > 0 THEN amount_fen ELSE 0 END) AS BIGINT), 0) AS debit, \
             COALESCE(CAST(SUM(CASE WHEN amount_fen < 0 THEN -amount_fen ELSE 0 END) AS BIGINT), 0) AS credit \
             FROM journal WHERE position <= $1 GROUP BY ledger_group ORDER BY ledger_group",
        )
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(LedgerLine {
                    ledger_account: row.try_get("ledger_group")?,
                    debit: Money::from_fen(row.try_get("debit")?),
                    credit: Money::from_fen(row.try_get("credit")?),
                })
            })
            .collect()
    }

    /// A patient account's balance as it stood at `at`, from the journal (a liability: credits
    /// minus debits on `patient-prepaid:<account>`).
    pub async fn balance_as_of(
        &self,
        account_id: yika_domain::AccountId,
        at: DateTime<Utc>,
    ) -> Result<Money, ProjectionError> {
        let fen: i64 = sqlx::query_scalar(
            "SELECT COALESCE(-CAST(SUM(amount_fen) AS BIGINT), 0) FROM journal WHERE ledger_account = $1 AND recorded_at <= $2",
        )
        .bind(yika_domain::LedgerAccount::PatientPrepaid(account_id).to_string())
        .bind(format_time(at))
        .fetch_one(self.pool())
        .await?;
        Ok(Money::from_fen(fen))
    }
}

/// A counted act as stored: who, what, when (UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActRow {
    /// The staff member.
    pub staff_id: yika_domain::StaffId,
    /// What.
    pub business_type: yika_domain::BusinessType,
    /// When.
    pub recorded_at: DateTime<Utc>,
}

/// The most acts one workload query reads.
pub const MAX_WORKLOAD_ACTS: i64 = 2_000_000;

fn decimal(text: &str) -> Result<rust_decimal::Decimal, ProjectionError> {
    text.parse()
        .map_err(|e| ProjectionError::Corrupt(format!("{text:?}: {e}")))
}

impl ReadStore {
    /// Counted acts recorded in `[from, to)`.
    pub async fn workload_acts(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<ActRow>, ProjectionError> {
        let rows = sqlx::query(
            "SELECT staff_id, business_type, recorded_at FROM workload_acts WHERE recorded_at >= $1 AND recorded_at < $2 \
             ORDER BY position LIMIT $3",
        )
        .bind(format_time(from))
        .bind(format_time(to))
        .bind(MAX_WORKLOAD_ACTS)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ActRow {
                    staff_id: yika_domain::StaffId(parse_uuid(
                        &row.try_get::<String, _>("staff_id")?,
                    )?),
                    business_type: parse_enum(&row.try_get::<String, _>("business_type")?)?,
                    recorded_at: parse_time(&row.try_get::<String, _>("recorded_at")?)?,
                })
            })
            .collect()
    }

    /// The coefficient schedule: every set recorded, those superseded by a later set left out
    /// ([`yika_domain::workload::schedule`]), oldest effective date first.
    pub async fn coefficient_sets(
        &self,
    ) -> Result<Vec<yika_domain::workload::CoefficientSet>, ProjectionError> {
        let rows = sqlx::query("SELECT effective_from, base_ratio, coefficients FROM coefficient_sets ORDER BY position")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| {
                let from: String = row.try_get("effective_from")?;
                Ok(yika_domain::workload::CoefficientSet {
                    effective_from: chrono::NaiveDate::parse_from_str(&from, "%Y-%m-%d")
                        .map_err(|e| ProjectionError::Corrupt(e.to_string()))?,
                    base_ratio: decimal(&row.try_get::<String, _>("base_ratio")?)?,
                    coefficients: serde_json::from_str(&row.try_get::<String, _>("coefficients")?)
                        .map_err(|e| ProjectionError::Corrupt(e.to_string()))?,
                })
            })
            .collect::<Result<Vec<_>, ProjectionError>>()
            .map(yika_domain::workload::schedule)
    }

    /// Quality deduction points per staff member recorded in `[from, to)`.
    pub async fn quality_deductions(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(yika_domain::StaffId, rust_decimal::Decimal)>, ProjectionError> {
        let rows = sqlx::query("SELECT staff_id, points FROM quality_deductions WHERE recorded_at >= $1 AND recorded_at < $2 ORDER BY position")
            .bind(format_time(from))
            .bind(format_time(to))
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    yika_domain::StaffId(parse_uuid(&row.try_get::<String, _>("staff_id")?)?),
                    decimal(&row.try_get::<String, _>("points")?)?,
                ))
            })
            .collect()
    }
}

/// Filters of the audit trail.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Events of this account.
    pub account_id: Option<String>,
    /// Events recorded in this shift.
    pub shift_id: Option<String>,
    /// Events by this staff member.
    pub actor_id: Option<String>,
    /// Events of this department.
    pub department: Option<String>,
    /// Events of these types.
    pub event_types: Vec<String>,
    /// Recorded at or after.
    pub from: Option<DateTime<Utc>>,
    /// Recorded before.
    pub to: Option<DateTime<Utc>>,
}

impl ReadStore {
    /// Positions of the events matching `filter`, after `after`, in log order (at most
    /// `first + 1`, to tell whether more follow), and how many match in all.
    pub async fn audit_positions(
        &self,
        filter: &AuditFilter,
        first: usize,
        after: u64,
    ) -> Result<(Vec<u64>, i64), ProjectionError> {
        let mut count = crate::sql::Sql::new("SELECT COUNT(*) FROM audit_index");
        push_audit_filter(&mut count, filter);
        let total: i64 = count.build_query_scalar().fetch_one(self.pool()).await?;
        let mut query = crate::sql::Sql::new("SELECT position FROM audit_index");
        push_audit_filter(&mut query, filter);
        query
            .push(" AND position > ")
            .push_bind(i64::try_from(after).unwrap_or(i64::MAX));
        query
            .push(" ORDER BY position LIMIT ")
            .push_bind(i64::try_from(first + 1).unwrap_or(i64::MAX));
        let positions: Vec<i64> = query.build_query_scalar().fetch_all(self.pool()).await?;
        Ok((
            positions
                .into_iter()
                .map(|p| u64::try_from(p).unwrap_or(0))
                .collect(),
            total,
        ))
    }
}

/// An audit index row: an event's position and what it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    /// The event's position.
    pub position: u64,
    /// The account it concerns.
    pub account_id: Option<String>,
    /// The shift it was recorded in.
    pub shift_id: Option<String>,
}

impl ReadStore {
    /// The audit rows matching `filter` with positions in `(after, until]`, in log order, at
    /// most `max`: what live subscriptions deliver once the views have reached `until`.
    pub async fn audit_rows_between(
        &self,
        filter: &AuditFilter,
        after: u64,
        until: u64,
        max: usize,
    ) -> Result<Vec<AuditRow>, ProjectionError> {
        let mut query =
            crate::sql::Sql::new("SELECT position, account_id, shift_id FROM audit_index");
        push_audit_filter(&mut query, filter);
        query
            .push(" AND position > ")
            .push_bind(i64::try_from(after).unwrap_or(i64::MAX))
            .push(" AND position <= ")
            .push_bind(i64::try_from(until).unwrap_or(i64::MAX))
            .push(" ORDER BY position LIMIT ")
            .push_bind(i64::try_from(max).unwrap_or(i64::MAX));
        let rows = query.build().fetch_all(self.pool()).await?;
        rows.iter()
            .map(|row| {
                Ok(AuditRow {
                    position: u64::try_from(row.try_get::<i64, _>("position")?).unwrap_or(0),
                    account_id: row.try_get("account_id")?,
                    shift_id: row.try_get("shift_id")?,
                })
            })
            .collect()
    }
}

/// Appends ` WHERE …` for `filter` (always a WHERE, so callers may add ` AND …`).
fn push_audit_filter(query: &mut crate::sql::Sql, filter: &AuditFilter) {
    query.push(" WHERE 1 = 1");
    if let Some(v) = &filter.account_id {
        query.push(" AND account_id = ").push_bind(v.clone());
    }
    if let Some(v) = &filter.shift_id {
        query.push(" AND shift_id = ").push_bind(v.clone());
    }
    if let Some(v) = &filter.actor_id {
        query.push(" AND actor_id = ").push_bind(v.clone());
    }
    if let Some(v) = &filter.department {
        query.push(" AND department = ").push_bind(v.clone());
    }
    if !filter.event_types.is_empty() {
        query.push(" AND event_type IN ");
        query.push_bind_list(filter.event_types.iter().cloned());
    }
    if let Some(from) = filter.from {
        query
            .push(" AND recorded_at >= ")
            .push_bind(format_time(from));
    }
    if let Some(to) = filter.to {
        query.push(" AND recorded_at < ").push_bind(format_time(to));
    }
}

/// One posting line of the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalLine {
    /// The event's position.
    pub position: u64,
    /// The leg within the event.
    pub leg: i64,
    /// The event's type.
    pub event_type: String,
    /// The ledger account.
    pub ledger_account: String,
    /// Debit (positive) or credit (negative).
    pub amount: Money,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
}

impl ReadStore {
    /// A ledger account's balance (debits − credits) over everything the views hold.
    pub async fn ledger_balance(&self, ledger_account: &str) -> Result<Money, ProjectionError> {
        let fen: i64 = sqlx::query_scalar(
            "SELECT COALESCE(CAST(SUM(amount_fen) AS BIGINT), 0) FROM journal WHERE ledger_account = $1",
        )
        .bind(ledger_account.to_owned())
        .fetch_one(self.pool())
        .await?;
        Ok(Money::from_fen(fen))
    }

    /// The debits (positive postings) to every ledger account whose name starts with
    /// `prefix` (e.g. each settlement's insurance share), oldest first.
    pub async fn debits_to(
        &self,
        prefix: &str,
    ) -> Result<Vec<(String, DateTime<Utc>, Money)>, ProjectionError> {
        let rows = sqlx::query(
            "SELECT ledger_account, recorded_at, amount_fen FROM journal \
             WHERE ledger_account >= $1 AND ledger_account < $2 AND amount_fen > 0 ORDER BY position",
        )
        .bind(prefix.to_owned())
        .bind(format!("{prefix}\u{10FFFF}"))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("ledger_account")?,
                    parse_time(&row.try_get::<String, _>("recorded_at")?)?,
                    Money::from_fen(row.try_get("amount_fen")?),
                ))
            })
            .collect()
    }

    /// Journal lines after the cursor `(position, leg)`, oldest first, at most `first + 1`;
    /// of one ledger account (or its control group) when given, recorded in `[from, to)`.
    pub async fn journal_lines(
        &self,
        ledger_account: Option<&str>,
        (from, to): (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
        after: (i64, i64),
        first: usize,
    ) -> Result<Vec<JournalLine>, ProjectionError> {
        let mut query = crate::sql::Sql::new(
            "SELECT j.position, j.leg, a.event_type, j.ledger_account, j.amount_fen, j.recorded_at \
             FROM journal j JOIN audit_index a ON a.position = j.position WHERE (j.position > ",
        );
        query
            .push_bind(after.0)
            .push(" OR (j.position = ")
            .push_bind(after.0)
            .push(" AND j.leg > ")
            .push_bind(after.1)
            .push("))");
        if let Some(account) = ledger_account {
            query
                .push(" AND (j.ledger_account = ")
                .push_bind(account.to_owned())
                .push(" OR j.ledger_group = ")
                .push_bind(account.to_owned())
                .push(")");
        }
        if let Some(from) = from {
            query
                .push(" AND j.recorded_at >= ")
                .push_bind(format_time(from));
        }
        if let Some(to) = to {
            query
                .push(" AND j.recorded_at < ")
                .push_bind(format_time(to));
        }
        query
            .push(" ORDER BY j.position, j.leg LIMIT ")
            .push_bind(i64::try_from(first + 1).unwrap_or(i64::MAX));
        let rows = query.build().fetch_all(self.pool()).await?;
        rows.iter()
            .map(|row| {
                Ok(JournalLine {
                    position: u64::try_from(row.try_get::<i64, _>("position")?).unwrap_or(0),
                    leg: row.try_get("leg")?,
                    event_type: row.try_get("event_type")?,
                    ledger_account: row.try_get("ledger_account")?,
                    amount: Money::from_fen(row.try_get("amount_fen")?),
                    recorded_at: parse_time(&row.try_get::<String, _>("recorded_at")?)?,
                })
            })
            .collect()
    }
}
