//! Closing the books: statements and reconciliation (对账), cash variances (长短款), the
//! two-party hand-over (交接), insurance remittances (医保回款) and receivables, and the
//! settlements and journal listings finance works from.

use std::collections::BTreeMap;

use async_graphql::{Context, InputObject, Object, SimpleObject};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use uuid::Uuid;
use yika_domain::reconciliation::{Imported, Statement};
use yika_domain::{Amount, Event, Money, ShiftId, StatementLine as DomainLine};

use super::answer::acting;
use super::context::{actor, app, calendar};
use super::cost::{DAY_WEIGHT, REPORT_WEIGHT, report_slot};
use super::page::{PageInfo, page_size, page_weight};
use super::scalars::{
    DateScalar, Direction, InsuranceScheme, MatchRule, MoneyScalar, PaymentMethod,
    VarianceResolution, check_instant,
};
use super::shifts::{MethodAmountInput, Shift, shift_view, tenders};
use crate::application::finance::{DayReconciliation, LedgerMovement, SettlementRecord};
use crate::auth::require_finance;
use crate::error::{ApiError, GqlResult};

/// The page size of settlements and journal lines when `first` is absent or null.
const DEFAULT_FINANCE_PAGE: i32 = 100;
/// Settlements read from the log at a time while filling a page.
const SCAN_CHUNK: usize = 200;
/// The most settlements one page reads from the log to fill itself.
const MAX_SCANNED_PER_PAGE: usize = 5_000;

fn signed(direction: yika_domain::Direction, amount: Money) -> Money {
    match direction {
        yika_domain::Direction::In => amount,
        yika_domain::Direction::Out => -amount,
    }
}

// ----- statements and reconciliation -----

/// One line of a bank's or platform's statement.
#[derive(InputObject)]
pub struct StatementLineInput {
    /// The platform's reference (WeChat and Alipay: the merchant order or refund number).
    external_ref: String,
    /// The gross amount, positive.
    amount: MoneyScalar,
    /// IN: the payer paid the hospital; OUT: the hospital paid back.
    direction: Direction,
    /// When the platform recorded it.
    occurred_at: DateTime<Utc>,
    /// The platform's fee (none: 0.00).
    fee: Option<MoneyScalar>,
    /// The statement's note.
    note: Option<String>,
}

/// A statement to import.
#[derive(InputObject)]
pub struct ImportStatementInput {
    /// The method it reconciles (not CASH).
    method: PaymentMethod,
    /// The statement's day.
    statement_date: DateScalar,
    /// Where it came from (a file name).
    source: Option<String>,
    /// Its lines (at most 2,000).
    lines: Vec<StatementLineInput>,
    /// A retried import with the same key and input answers with its first result.
    idempotency_key: String,
}

/// What an import recorded.
pub struct StatementImport {
    imported: usize,
    duplicates: u32,
    matched: usize,
    reconciliation: Reconciliation,
}

#[Object]
impl StatementImport {
    /// Lines stored.
    async fn imported(&self) -> i64 {
        i64::try_from(self.imported).unwrap_or(i64::MAX)
    }
    /// Lines already imported before (or twice in the file), not stored again.
    async fn duplicates(&self) -> i64 {
        i64::from(self.duplicates)
    }
    /// Lines matched automatically.
    async fn matched(&self) -> i64 {
        i64::try_from(self.matched).unwrap_or(i64::MAX)
    }
    /// The method's reconciliation for the statement's day, after the import.
    async fn reconciliation(&self) -> &Reconciliation {
        &self.reconciliation
    }
}

/// A statement line and its match.
pub struct StatementLine<'a>(&'a Imported);

#[Object]
impl StatementLine<'_> {
    async fn external_ref(&self) -> &str {
        &self.0.line.external_ref
    }
    async fn amount(&self) -> MoneyScalar {
        self.0.line.amount.money().into()
    }
    async fn direction(&self) -> Direction {
        self.0.line.direction.into()
    }
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.line.occurred_at
    }
    async fn fee(&self) -> MoneyScalar {
        self.0.line.fee.into()
    }
    async fn note(&self) -> Option<&str> {
        self.0.line.note.as_deref()
    }
    async fn statement_date(&self) -> DateScalar {
        DateScalar(self.0.statement_date)
    }
    /// The id of the ledger movement's event it is matched to.
    async fn matched_to(&self) -> Option<Uuid> {
        self.0.matched.as_ref().map(|m| m.movement_id)
    }
    /// How it was matched.
    async fn rule(&self) -> Option<MatchRule> {
        self.0.matched.as_ref().map(|m| m.rule.into())
    }
}

/// A ledger movement by a non-cash method: a deposit, refund or discharge settlement.
pub struct LedgerItem<'a>(&'a LedgerMovement);

#[Object]
impl LedgerItem<'_> {
    /// Its event's id (what `matchPayment` takes).
    async fn event_id(&self) -> Uuid {
        self.0.movement.movement_id
    }
    async fn position(&self) -> i64 {
        i64::try_from(self.0.position).unwrap_or(i64::MAX)
    }
    /// DEPOSIT, REFUND or SETTLEMENT.
    async fn kind(&self) -> &str {
        self.0.kind
    }
    async fn account_id(&self) -> Uuid {
        self.0.movement.account_id.as_uuid()
    }
    async fn receipt_no(&self) -> &str {
        &self.0.receipt_no
    }
    async fn cashier_id(&self) -> Uuid {
        self.0.cashier_id.as_uuid()
    }
    async fn amount(&self) -> MoneyScalar {
        self.0.movement.amount.into()
    }
    async fn direction(&self) -> Direction {
        self.0.movement.direction.into()
    }
    async fn external_ref(&self) -> Option<&str> {
        self.0.movement.external_ref.as_deref()
    }
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.0.movement.at
    }
}

/// One method's reconciliation for one local day. Totals are net: money in minus money out.
pub struct Reconciliation(DayReconciliation);

impl Reconciliation {
    fn day_lines(&self) -> impl Iterator<Item = &Imported> {
        let date = self.0.date;
        let mut lines: Vec<&Imported> = self
            .0
            .state
            .lines
            .values()
            .filter(move |l| l.statement_date == date)
            .collect();
        lines.sort_by(|a, b| {
            (a.line.occurred_at, &a.line.external_ref)
                .cmp(&(b.line.occurred_at, &b.line.external_ref))
        });
        lines.into_iter()
    }
}

#[Object]
impl Reconciliation {
    async fn date(&self) -> DateScalar {
        DateScalar(self.0.date)
    }
    /// The ledger's movements by the method recorded that day, net.
    async fn ledger_total(&self) -> MoneyScalar {
        self.0
            .ledger
            .iter()
            .map(|m| signed(m.movement.direction, m.movement.amount))
            .sum::<Money>()
            .into()
    }
    /// The statement's lines of that day, net.
    async fn statement_total(&self) -> MoneyScalar {
        self.day_lines()
            .map(|l| signed(l.line.direction, l.line.amount.money()))
            .sum::<Money>()
            .into()
    }
    /// The statement's lines of that day that are matched.
    async fn matched_count(&self) -> i64 {
        i64::try_from(self.day_lines().filter(|l| l.matched.is_some()).count()).unwrap_or(i64::MAX)
    }
    /// Their net total.
    async fn matched_total(&self) -> MoneyScalar {
        self.day_lines()
            .filter(|l| l.matched.is_some())
            .map(|l| signed(l.line.direction, l.line.amount.money()))
            .sum::<Money>()
            .into()
    }
    /// 单边账, in Yika and not on a statement: the day's movements no line is matched to.
    async fn ledger_only(&self) -> Vec<LedgerItem<'_>> {
        self.0
            .ledger
            .iter()
            .filter(|m| !self.0.state.matched.contains_key(&m.movement.movement_id))
            .map(LedgerItem)
            .collect()
    }
    /// On the statement, not in Yika: the day's lines matched to nothing.
    async fn statement_only(&self) -> Vec<StatementLine<'_>> {
        self.day_lines()
            .filter(|l| l.matched.is_none())
            .map(StatementLine)
            .collect()
    }
    /// Every line of the day's statement.
    async fn lines(&self) -> Vec<StatementLine<'_>> {
        self.day_lines().map(StatementLine).collect()
    }
    /// The platform's fees on the day's lines.
    async fn fees(&self) -> MoneyScalar {
        self.day_lines().map(|l| l.line.fee).sum::<Money>().into()
    }
    /// ledgerTotal − statementTotal.
    async fn difference(&self) -> MoneyScalar {
        let ledger: Money = self
            .0
            .ledger
            .iter()
            .map(|m| signed(m.movement.direction, m.movement.amount))
            .sum();
        let statement: Money = self
            .day_lines()
            .map(|l| signed(l.line.direction, l.line.amount.money()))
            .sum();
        (ledger - statement).into()
    }
    /// The balance of `clearing:<METHOD>` now: every movement (of any day) not yet matched.
    async fn clearing_balance(&self) -> MoneyScalar {
        self.0.clearing_balance.into()
    }
}

/// A match made or undone by hand.
#[derive(InputObject)]
pub struct MatchPaymentInput {
    method: PaymentMethod,
    /// The statement line's reference.
    external_ref: String,
    /// The ledger movement's event id (`ledgerOnly.eventId`).
    movement_id: Uuid,
    /// Why (kept with the match).
    reason: String,
}

/// A match undone by hand.
#[derive(InputObject)]
pub struct UnmatchPaymentInput {
    method: PaymentMethod,
    /// The statement line's reference.
    external_ref: String,
    /// Why.
    reason: String,
}

// ----- variances and the two-party hand-over -----

/// How a closed shift's cash variance is resolved.
#[derive(InputObject)]
pub struct ResolveVarianceInput {
    shift_id: Uuid,
    resolution: VarianceResolution,
    note: String,
}

/// What the cashier hands over from a closed shift.
#[derive(InputObject)]
pub struct DeclareHandOverInput {
    shift_id: Uuid,
    /// The cash handed over.
    cash: MoneyScalar,
    /// The other tenders' slips handed over.
    other: Option<Vec<MethodAmountInput>>,
}

// ----- insurance -----

/// A remittance from an insurance scheme.
#[derive(InputObject)]
pub struct RecordInsuranceRemittanceInput {
    scheme: InsuranceScheme,
    amount: MoneyScalar,
    /// The first local day of the settlements it pays for.
    period_from: DateScalar,
    /// The last local day of the settlements it pays for.
    period_to: DateScalar,
    /// The scheme's or bank's reference.
    reference: String,
    idempotency_key: String,
}

/// A remittance as recorded.
#[derive(SimpleObject)]
pub struct InsuranceRemittance {
    scheme: InsuranceScheme,
    reference: String,
    amount: MoneyScalar,
    period_from: DateScalar,
    period_to: DateScalar,
    /// What was still owed for the period before it.
    owed: MoneyScalar,
    /// amount − owed: negative is under-paid (拒付 or not yet paid), positive over-paid.
    difference: MoneyScalar,
}

/// One settlement month of a receivable.
#[derive(SimpleObject)]
pub struct ReceivableMonth {
    /// "2026-11".
    month: String,
    /// What that month's settlements put into the receivable.
    settled: MoneyScalar,
    /// What remittances whose period starts in the month paid.
    remitted: MoneyScalar,
    /// settled − remitted.
    outstanding: MoneyScalar,
}

/// What one scheme owes the hospital.
#[derive(SimpleObject)]
pub struct Receivable {
    scheme: InsuranceScheme,
    /// The balance of `insurance-receivable:<SCHEME>`.
    owed: MoneyScalar,
    /// Every settlement's insurance share.
    settled: MoneyScalar,
    /// Every remittance.
    remitted: MoneyScalar,
    /// By settlement month, oldest first (aging).
    by_month: Vec<ReceivableMonth>,
    remittances: Vec<InsuranceRemittance>,
}

// ----- listings -----

/// Filters of `settlements`.
#[derive(InputObject, Default)]
pub struct SettlementFilter {
    /// Recorded at or after.
    from: Option<DateTime<Utc>>,
    /// Recorded before.
    to: Option<DateTime<Utc>>,
    scheme: Option<InsuranceScheme>,
    /// Only out-of-area settlements made by hand (true), or only the others (false).
    manual: Option<bool>,
}

/// A discharge settlement (出院结算).
#[derive(SimpleObject)]
pub struct SettlementEntry {
    event_id: Uuid,
    position: i64,
    account_id: Uuid,
    patient_id: Option<String>,
    scheme: InsuranceScheme,
    total_charges: MoneyScalar,
    insurance_pays: MoneyScalar,
    deposits_applied: MoneyScalar,
    patient_pays: MoneyScalar,
    patient_receives: MoneyScalar,
    method: PaymentMethod,
    cashier_id: Uuid,
    receipt_no: String,
    manual: bool,
    external_ref: Option<String>,
    recorded_at: DateTime<Utc>,
}

/// A settlement and its cursor.
#[derive(SimpleObject)]
pub struct SettlementEdge {
    node: SettlementEntry,
    cursor: String,
}

/// A page of settlements.
#[derive(SimpleObject)]
pub struct SettlementConnection {
    edges: Vec<SettlementEdge>,
    page_info: PageInfo,
}

/// Filters of `journal`.
#[derive(InputObject, Default)]
pub struct JournalFilter {
    /// A ledger account ("clearing:WECHAT") or a control group ("cash-drawer").
    ledger_account: Option<String>,
    /// Recorded at or after.
    from: Option<DateTime<Utc>>,
    /// Recorded before.
    to: Option<DateTime<Utc>>,
}

/// One posting line.
#[derive(SimpleObject)]
pub struct JournalEntry {
    position: i64,
    leg: i64,
    /// The event's type.
    event_type: String,
    ledger_account: String,
    /// DEBIT or CREDIT.
    side: String,
    /// The amount, positive.
    amount: MoneyScalar,
    recorded_at: DateTime<Utc>,
}

/// A journal line and its cursor.
#[derive(SimpleObject)]
pub struct JournalEdge {
    node: JournalEntry,
    cursor: String,
}

/// A page of journal lines.
#[derive(SimpleObject)]
pub struct JournalConnection {
    edges: Vec<JournalEdge>,
    page_info: PageInfo,
}

fn settlement(record: &SettlementRecord, patient_id: Option<String>) -> Option<SettlementEntry> {
    let Event::DischargeSettled {
        account_id,
        insurance_scheme,
        total_charges,
        insurance_pays,
        deposits_applied,
        patient_pays,
        patient_receives,
        method,
        cashier_id,
        receipt_no,
        manual,
        external_ref,
        ..
    } = &record.event
    else {
        return None;
    };
    Some(SettlementEntry {
        event_id: record.event_id,
        position: i64::try_from(record.position).unwrap_or(i64::MAX),
        account_id: account_id.as_uuid(),
        patient_id,
        scheme: (*insurance_scheme).into(),
        total_charges: (*total_charges).into(),
        insurance_pays: (*insurance_pays).into(),
        deposits_applied: (*deposits_applied).into(),
        patient_pays: (*patient_pays).into(),
        patient_receives: (*patient_receives).into(),
        method: (*method).into(),
        cashier_id: cashier_id.as_uuid(),
        receipt_no: receipt_no.clone(),
        manual: *manual,
        external_ref: external_ref.clone(),
        recorded_at: record.recorded_at,
    })
}

fn parse_pair_cursor(cursor: Option<&str>) -> GqlResult<(i64, i64)> {
    let Some(c) = cursor else { return Ok((0, -1)) };
    let parsed = c
        .split_once('.')
        .and_then(|(p, l)| Some((p.parse::<i64>().ok()?, l.parse::<i64>().ok()?)))
        .filter(|(p, l)| *p >= 0 && *l >= 0);
    parsed.ok_or_else(|| ApiError::Validation(format!("bad cursor {c:?}")).into())
}

/// Finance queries.
#[derive(Default)]
pub struct FinanceQuery;

#[Object]
impl FinanceQuery {
    /// A payment method's reconciliation (对账) with its statements for a local day. Finance
    /// and audit roles.
    #[graphql(complexity = "REPORT_WEIGHT + DAY_WEIGHT + child_complexity")]
    async fn reconciliation(
        &self,
        ctx: &Context<'_>,
        method: PaymentMethod,
        date: DateScalar,
    ) -> GqlResult<Reconciliation> {
        require_finance(actor(ctx)?, "reconciliations")?;
        let _slot = report_slot(ctx).await?;
        let day = calendar(ctx).day(date.0);
        Ok(Reconciliation(
            app(ctx)?.reconciliation(method.into(), date.0, day).await?,
        ))
    }

    /// What each insurance scheme owes, by settlement month, with its remittances. Finance and
    /// audit roles.
    #[graphql(complexity = "REPORT_WEIGHT + child_complexity")]
    async fn receivables(&self, ctx: &Context<'_>) -> GqlResult<Vec<Receivable>> {
        require_finance(actor(ctx)?, "receivables")?;
        let _slot = report_slot(ctx).await?;
        let app = app(ctx)?;
        let cal = calendar(ctx);
        let month = |d: NaiveDate| format!("{:04}-{:02}", d.year(), d.month());
        let mut settled: BTreeMap<yika_domain::InsuranceScheme, BTreeMap<String, Money>> =
            BTreeMap::new();
        // Each settlement's insurance share is a debit to the scheme's receivable (journal).
        for (account, at, amount) in app.read.debits_to("insurance-receivable:").await? {
            let scheme = yika_domain::InsuranceScheme::ALL
                .into_iter()
                .find(|s| account.strip_prefix("insurance-receivable:") == Some(s.as_str()));
            if let Some(scheme) = scheme {
                *settled
                    .entry(scheme)
                    .or_default()
                    .entry(month(cal.date_of(at)))
                    .or_default() += amount;
            }
        }
        let mut receivables = Vec::new();
        for scheme in yika_domain::InsuranceScheme::ALL {
            let remittances = app.remittances(scheme).await?;
            let months = settled.remove(&scheme).unwrap_or_default();
            if months.is_empty() && remittances.received.is_empty() {
                continue;
            }
            let mut by_month: BTreeMap<String, (Money, Money)> = months
                .into_iter()
                .map(|(m, s)| (m, (s, Money::ZERO)))
                .collect();
            for r in &remittances.received {
                by_month.entry(month(r.period_from)).or_default().1 += r.amount;
            }
            let owed = app
                .read
                .ledger_balance(
                    &yika_domain::LedgerAccount::InsuranceReceivable(scheme).to_string(),
                )
                .await?;
            let total_settled: Money = by_month.values().map(|(s, _)| *s).sum();
            let total_remitted: Money = by_month.values().map(|(_, r)| *r).sum();
            receivables.push(Receivable {
                scheme: scheme.into(),
                owed: owed.into(),
                settled: total_settled.into(),
                remitted: total_remitted.into(),
                by_month: by_month
                    .into_iter()
                    .map(|(month, (settled, remitted))| ReceivableMonth {
                        month,
                        settled: settled.into(),
                        remitted: remitted.into(),
                        outstanding: (settled - remitted).into(),
                    })
                    .collect(),
                remittances: remittances
                    .received
                    .iter()
                    .map(|r| InsuranceRemittance {
                        scheme: scheme.into(),
                        reference: r.reference.clone(),
                        amount: r.amount.into(),
                        period_from: DateScalar(r.period_from),
                        period_to: DateScalar(r.period_to),
                        owed: r.owed.into(),
                        difference: (r.amount - r.owed).into(),
                    })
                    .collect(),
            });
        }
        Ok(receivables)
    }

    /// Discharge settlements (出院结算), oldest first. Finance and audit roles.
    #[graphql(
        complexity = "REPORT_WEIGHT + page_weight(first, DEFAULT_FINANCE_PAGE) * child_complexity"
    )]
    async fn settlements(
        &self,
        ctx: &Context<'_>,
        filter: Option<SettlementFilter>,
        #[graphql(default = 100)] first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<SettlementConnection> {
        require_finance(actor(ctx)?, "settlements")?;
        let first = page_size(first, DEFAULT_FINANCE_PAGE)?;
        let after = super::page::parse_cursor(after.as_deref())?.unwrap_or(0);
        let filter = filter.unwrap_or_default();
        let from = filter.from.map(|t| check_instant("from", t)).transpose()?;
        let to = filter.to.map(|t| check_instant("to", t)).transpose()?;
        let _slot = report_slot(ctx).await?;
        let app = app(ctx)?;
        let mut edges = Vec::new();
        let (mut cursor, mut scanned, mut has_next_page) = (after, 0usize, false);
        'pages: loop {
            let records = app.settlements_after(from, to, cursor, SCAN_CHUNK).await?;
            let exhausted = records.len() < SCAN_CHUNK;
            for record in records {
                let position = i64::try_from(record.position).unwrap_or(i64::MAX);
                scanned += 1;
                let Event::DischargeSettled {
                    insurance_scheme,
                    manual,
                    account_id,
                    ..
                } = &record.event
                else {
                    continue;
                };
                let wanted = filter
                    .scheme
                    .is_none_or(|s| yika_domain::InsuranceScheme::from(s) == *insurance_scheme)
                    && filter.manual.is_none_or(|m| m == *manual);
                if wanted {
                    if edges.len() == first {
                        has_next_page = true;
                        break 'pages;
                    }
                    let patient = app.read.account(*account_id).await?.map(|a| a.patient_id);
                    if let Some(node) = settlement(&record, patient) {
                        edges.push(SettlementEdge {
                            node,
                            cursor: position.to_string(),
                        });
                    }
                }
                cursor = position;
                if scanned >= MAX_SCANNED_PER_PAGE {
                    // A sparse filter over a long history: answer what was found, and where to
                    // go on from.
                    has_next_page = true;
                    break 'pages;
                }
            }
            if exhausted {
                break;
            }
        }
        let end_cursor = if has_next_page && edges.len() < first {
            Some(cursor.to_string())
        } else {
            edges.last().map(|e| e.cursor.clone())
        };
        Ok(SettlementConnection {
            edges,
            page_info: PageInfo {
                has_next_page,
                end_cursor,
            },
        })
    }

    /// The journal's posting lines, oldest first: of one ledger account or control group,
    /// recorded in `[from, to)`. Finance and audit roles.
    #[graphql(complexity = "page_weight(first, DEFAULT_FINANCE_PAGE) * child_complexity")]
    async fn journal(
        &self,
        ctx: &Context<'_>,
        filter: Option<JournalFilter>,
        #[graphql(default = 100)] first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<JournalConnection> {
        require_finance(actor(ctx)?, "the journal")?;
        let first = page_size(first, DEFAULT_FINANCE_PAGE)?;
        let after = parse_pair_cursor(after.as_deref())?;
        let filter = filter.unwrap_or_default();
        let from = filter.from.map(|t| check_instant("from", t)).transpose()?;
        let to = filter.to.map(|t| check_instant("to", t)).transpose()?;
        let mut lines = app(ctx)?
            .read
            .journal_lines(filter.ledger_account.as_deref(), (from, to), after, first)
            .await?;
        let has_next_page = lines.len() > first;
        lines.truncate(first);
        let edges: Vec<JournalEdge> = lines
            .into_iter()
            .map(|l| JournalEdge {
                cursor: format!("{}.{}", l.position, l.leg),
                node: JournalEntry {
                    position: i64::try_from(l.position).unwrap_or(i64::MAX),
                    leg: l.leg,
                    event_type: l.event_type,
                    ledger_account: l.ledger_account,
                    side: if l.amount.is_negative() {
                        "CREDIT"
                    } else {
                        "DEBIT"
                    }
                    .to_owned(),
                    amount: if l.amount.is_negative() {
                        -l.amount
                    } else {
                        l.amount
                    }
                    .into(),
                    recorded_at: l.recorded_at,
                },
            })
            .collect();
        let end_cursor = edges.last().map(|e| e.cursor.clone());
        Ok(JournalConnection {
            edges,
            page_info: PageInfo {
                has_next_page,
                end_cursor,
            },
        })
    }
}

/// A method's reconciliation for a local day.
async fn day_of(
    ctx: &Context<'_>,
    method: yika_domain::PaymentMethod,
    date: NaiveDate,
) -> GqlResult<Reconciliation> {
    let day = calendar(ctx).day(date);
    Ok(Reconciliation(
        app(ctx)?.reconciliation(method, date, day).await?,
    ))
}

/// Finance mutations.
#[derive(Default)]
pub struct FinanceMutation;

#[Object]
impl FinanceMutation {
    /// CONTROLLER or ADMIN: imports a bank's or platform's statement (对账单) and matches its
    /// new lines to the ledger's movements. Lines imported before are counted as duplicates.
    async fn import_statement(
        &self,
        ctx: &Context<'_>,
        input: ImportStatementInput,
    ) -> GqlResult<StatementImport> {
        let actor = acting(ctx)?;
        if input.lines.len() > yika_domain::reconciliation::MAX_STATEMENT_LINES {
            return Err(ApiError::LimitExceeded(format!(
                "an import holds at most {} lines",
                yika_domain::reconciliation::MAX_STATEMENT_LINES
            ))
            .into());
        }
        let mut lines = Vec::with_capacity(input.lines.len());
        for line in input.lines {
            lines.push(DomainLine {
                external_ref: line.external_ref,
                amount: Amount::new(line.amount.0)?,
                direction: line.direction.into(),
                occurred_at: check_instant("occurredAt", line.occurred_at)?,
                fee: line.fee.map_or(Money::ZERO, |f| f.0),
                note: line.note,
            });
        }
        let method: yika_domain::PaymentMethod = input.method.into();
        let app = app(ctx)?;
        let written = app
            .import_statement(
                actor,
                Statement {
                    method,
                    statement_date: input.statement_date.0,
                    source: input.source,
                    lines,
                },
                &input.idempotency_key,
            )
            .await?;
        let (mut imported, mut duplicates, mut matched) = (0, 0, 0);
        for stored in &written.events {
            match &stored.event {
                Event::StatementImported {
                    lines,
                    duplicates: d,
                    ..
                } => {
                    imported = lines.len();
                    duplicates = *d;
                }
                Event::PaymentsMatched { matches, .. } => matched = matches.len(),
                _ => {}
            }
        }
        let day = calendar(ctx).day(input.statement_date.0);
        let reconciliation = Reconciliation(
            app.reconciliation(method, input.statement_date.0, day)
                .await?,
        );
        Ok(StatementImport {
            imported,
            duplicates,
            matched,
            reconciliation,
        })
    }

    /// CONTROLLER: matches a statement line to a ledger movement by hand, with a reason;
    /// answers the reconciliation of the line's statement day.
    async fn match_payment(
        &self,
        ctx: &Context<'_>,
        input: MatchPaymentInput,
    ) -> GqlResult<Reconciliation> {
        let actor = acting(ctx)?;
        let method = input.method.into();
        let date = app(ctx)?
            .match_payment(
                actor,
                method,
                &input.external_ref,
                input.movement_id,
                &input.reason,
            )
            .await?;
        day_of(ctx, method, date).await
    }

    /// CONTROLLER: undoes a statement line's match, with a reason; answers the reconciliation
    /// of the line's statement day.
    async fn unmatch_payment(
        &self,
        ctx: &Context<'_>,
        input: UnmatchPaymentInput,
    ) -> GqlResult<Reconciliation> {
        let actor = acting(ctx)?;
        let method = input.method.into();
        let date = app(ctx)?
            .unmatch_payment(actor, method, &input.external_ref, &input.reason)
            .await?;
        day_of(ctx, method, date).await
    }

    /// CONTROLLER: resolves a closed shift's cash variance (长短款).
    async fn resolve_variance(
        &self,
        ctx: &Context<'_>,
        input: ResolveVarianceInput,
    ) -> GqlResult<Shift> {
        let actor = acting(ctx)?;
        let id = ShiftId(input.shift_id);
        app(ctx)?
            .resolve_variance(actor, id, input.resolution.into(), &input.note)
            .await?;
        shift_view(ctx, id).await
    }

    /// CASHIER who owns it: declares what they hand over from the closed shift (交接); the
    /// controller's `handOverShift` is the other half, in either order.
    async fn declare_hand_over(
        &self,
        ctx: &Context<'_>,
        input: DeclareHandOverInput,
    ) -> GqlResult<Shift> {
        let actor = acting(ctx)?;
        let other = tenders("other", input.other)?;
        let id = ShiftId(input.shift_id);
        app(ctx)?
            .declare_hand_over(actor, id, input.cash.0, other)
            .await?;
        shift_view(ctx, id).await
    }

    /// CONTROLLER: records an insurance scheme's remittance (医保回款) for the settlements of
    /// a period; what it leaves owed (or overpays) stays in the receivable.
    async fn record_insurance_remittance(
        &self,
        ctx: &Context<'_>,
        input: RecordInsuranceRemittanceInput,
    ) -> GqlResult<InsuranceRemittance> {
        let actor = acting(ctx)?;
        let scheme: yika_domain::InsuranceScheme = input.scheme.into();
        let cal = calendar(ctx);
        let period = (cal.day(input.period_from.0).0, cal.day(input.period_to.0).1);
        let app = app(ctx)?;
        app.record_remittance(
            actor,
            yika_domain::insurance::Remittance {
                scheme,
                amount: Amount::new(input.amount.0)?,
                period_from: input.period_from.0,
                period_to: input.period_to.0,
                reference: input.reference.clone(),
            },
            period,
            &input.idempotency_key,
        )
        .await?;
        let recorded = app.remittances(scheme).await?;
        let reference = yika_domain::text::fold_width(input.reference.trim());
        let r = recorded
            .received
            .iter()
            .find(|r| r.reference == reference)
            .ok_or_else(|| ApiError::Internal("the remittance is not in the log".to_owned()))?;
        Ok(InsuranceRemittance {
            scheme: input.scheme,
            reference: r.reference.clone(),
            amount: r.amount.into(),
            period_from: DateScalar(r.period_from),
            period_to: DateScalar(r.period_to),
            owed: r.owed.into(),
            difference: (r.amount - r.owed).into(),
        })
    }
}
