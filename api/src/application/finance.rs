//! Closing the books: statements imported and matched (对账), matches by hand, insurance
//! remittances (医保回款), and the finance views built on demand from the log: a method's
//! reconciliation for a day, the schemes' receivables, and the settlements listing.
//!
//! The ledger's movements and settlements live on the accounts' streams. The audit index (a
//! view) finds the positions of the events of a type in a period; every fact a decision or a
//! figure rests on is then read from the log itself (decision 0027).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;
use yika_domain::insurance::{self, Remittance, Remittances};
use yika_domain::reconciliation::{self, MATCH_WINDOW, Movement, Reconciliation, Statement};
use yika_domain::{Actor, DomainError, Event, InsuranceScheme, Money, PaymentMethod, Role};
use yika_projections::reports::AuditFilter;

use super::{App, READ_YOUR_WRITES, Write, claim};
use crate::error::{ApiError, ApiResult};

/// The most events of one kind a finance view reads from the log for one question.
pub const MAX_SCANNED: usize = 50_000;

/// A money movement as the log recorded it, with what a reconciliation shows of it.
#[derive(Debug, Clone)]
pub struct LedgerMovement {
    /// The movement.
    pub movement: Movement,
    /// Its position in the log.
    pub position: u64,
    /// DEPOSIT, REFUND or SETTLEMENT.
    pub kind: &'static str,
    /// The receipt it was issued under.
    pub receipt_no: String,
    /// The cashier.
    pub cashier_id: yika_domain::StaffId,
}

/// A discharge settlement as the log recorded it.
#[derive(Debug, Clone)]
pub struct SettlementRecord {
    /// Its event's id.
    pub event_id: Uuid,
    /// Its position.
    pub position: u64,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// The event.
    pub event: Event,
}

/// One method's reconciliation for one day.
#[derive(Debug, Clone)]
pub struct DayReconciliation {
    /// The ledger's movements by the method recorded that day.
    pub ledger: Vec<LedgerMovement>,
    /// The method's statements and matches, all of them (shared with the loaded aggregate).
    pub state: std::sync::Arc<Reconciliation>,
    /// The day asked for.
    pub date: NaiveDate,
    /// The clearing account's balance now.
    pub clearing_balance: Money,
}

impl App {
    /// The positions of the events of `types` recorded in `[from, to)`, in log order.
    async fn positions(
        &self,
        types: &[&str],
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> ApiResult<Vec<u64>> {
        let filter = AuditFilter {
            event_types: types.iter().map(|t| (*t).to_owned()).collect(),
            from,
            to,
            ..AuditFilter::default()
        };
        let (positions, total) = self.read.audit_positions(&filter, MAX_SCANNED, 0).await?;
        if total > i64::try_from(MAX_SCANNED).unwrap_or(i64::MAX) {
            return Err(ApiError::LimitExceeded(format!(
                "more than {MAX_SCANNED} events in the period: ask for a shorter one"
            )));
        }
        Ok(positions)
    }

    /// The event at `position`, decoded, with its id and recorded time.
    async fn event_at(&self, position: u64) -> ApiResult<(Uuid, DateTime<Utc>, Event)> {
        let recorded = yika_store::read_at(&*self.store, position)
            .await?
            .ok_or_else(|| ApiError::Internal(format!("the log holds no event {position}")))?;
        let event = Event::decode(
            &recorded.event_type,
            recorded.schema_version,
            &recorded.payload,
        )?;
        Ok((recorded.event_id, recorded.recorded_at, event))
    }

    /// The deposits, refunds and settlements by `method` recorded in `[from, to)`.
    pub async fn movements_between(
        &self,
        method: PaymentMethod,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> ApiResult<Vec<LedgerMovement>> {
        let types = ["DepositReceived", "BalanceRefunded", "DischargeSettled"];
        let mut movements = Vec::new();
        for position in self.positions(&types, Some(from), Some(to)).await? {
            let (id, at, event) = self.event_at(position).await?;
            let Some(movement) = Movement::of(id, &event, at).filter(|m| m.method == method) else {
                continue;
            };
            let (kind, receipt_no, cashier_id) = match &event {
                Event::DepositReceived {
                    receipt_no,
                    cashier_id,
                    ..
                } => ("DEPOSIT", receipt_no, cashier_id),
                Event::BalanceRefunded {
                    receipt_no,
                    cashier_id,
                    ..
                } => ("REFUND", receipt_no, cashier_id),
                Event::DischargeSettled {
                    receipt_no,
                    cashier_id,
                    ..
                } => ("SETTLEMENT", receipt_no, cashier_id),
                _ => continue,
            };
            movements.push(LedgerMovement {
                movement,
                position,
                kind,
                receipt_no: receipt_no.clone(),
                cashier_id: *cashier_id,
            });
        }
        Ok(movements)
    }

    /// CONTROLLER or ADMIN: imports a statement and matches its new lines automatically.
    pub async fn import_statement(
        &self,
        actor: &Actor,
        statement: Statement,
        idempotency_key: &str,
    ) -> ApiResult<super::Written> {
        if !matches!(actor.role, Role::Controller | Role::Admin) {
            return Err(DomainError::RoleRequired(Role::Controller).into());
        }
        #[derive(Serialize)]
        struct Input<'a> {
            method: PaymentMethod,
            date: NaiveDate,
            source: &'a Option<String>,
            lines: &'a [yika_domain::StatementLine],
        }
        let claim = claim(
            "importStatement",
            idempotency_key,
            &Input {
                method: statement.method,
                date: statement.statement_date,
                source: &statement.source,
                lines: &statement.lines,
            },
        )?;
        // The candidates are found through the views: let them hold everything written so far.
        let head = self.store.head_position().await?;
        self.read.wait_for(head, READ_YOUR_WRITES).await;
        let candidates = match (
            statement.lines.iter().map(|l| l.occurred_at).min(),
            statement.lines.iter().map(|l| l.occurred_at).max(),
        ) {
            (Some(first), Some(last)) if statement.method != PaymentMethod::Cash => self
                .movements_between(statement.method, first - MATCH_WINDOW, last + MATCH_WINDOW)
                .await?
                .into_iter()
                .map(|m| m.movement)
                .collect(),
            _ => Vec::new(),
        };
        let stream = reconciliation::stream(statement.method);
        self.execute(Some(actor), &stream, Some(claim), || async {
            let loaded = self.load::<Reconciliation>(&stream).await?;
            let events = reconciliation::import(actor, &loaded.state, &statement, &candidates)?;
            Ok(vec![Write::new(stream.clone(), loaded.revision, events)])
        })
        .await
    }

    /// The movement with this id, if it moved money by a non-cash method.
    async fn movement(&self, movement_id: Uuid) -> ApiResult<Movement> {
        let found = self.store.find_event(movement_id).await?;
        let movement = match found {
            Some(r) => {
                let event = Event::decode(&r.event_type, r.schema_version, &r.payload)?;
                Movement::of(r.event_id, &event, r.recorded_at)
            }
            None => None,
        };
        movement.ok_or_else(|| DomainError::MovementNotFound(movement_id).into())
    }

    /// The statement day of a method's line, as the log has it now.
    async fn statement_date(
        &self,
        method: PaymentMethod,
        external_ref: &str,
    ) -> ApiResult<NaiveDate> {
        let state = self
            .load::<Reconciliation>(&reconciliation::stream(method))
            .await?
            .state;
        let key = yika_domain::text::fold_width(external_ref.trim());
        state
            .lines
            .get(&key)
            .map(|l| l.statement_date)
            .ok_or_else(|| DomainError::StatementLineNotFound(key).into())
    }

    /// CONTROLLER: matches a statement line to a movement by hand, with a reason; answers the
    /// line's statement day.
    pub async fn match_payment(
        &self,
        actor: &Actor,
        method: PaymentMethod,
        external_ref: &str,
        movement_id: Uuid,
        reason: &str,
    ) -> ApiResult<NaiveDate> {
        actor.require(Role::Controller)?;
        let movement = self.movement(movement_id).await?;
        let stream = reconciliation::stream(method);
        self.execute(Some(actor), &stream, None, || async {
            let loaded = self.load::<Reconciliation>(&stream).await?;
            let event = reconciliation::match_by_hand(
                actor,
                &loaded.state,
                method,
                external_ref,
                &movement,
                reason,
            )?;
            Ok(vec![Write::new(stream.clone(), loaded.revision, [event])])
        })
        .await?;
        self.statement_date(method, external_ref).await
    }

    /// CONTROLLER: undoes a statement line's match, with a reason; answers the line's
    /// statement day.
    pub async fn unmatch_payment(
        &self,
        actor: &Actor,
        method: PaymentMethod,
        external_ref: &str,
        reason: &str,
    ) -> ApiResult<NaiveDate> {
        actor.require(Role::Controller)?;
        let stream = reconciliation::stream(method);
        self.execute(Some(actor), &stream, None, || async {
            let loaded = self.load::<Reconciliation>(&stream).await?;
            let event =
                reconciliation::unmatch(actor, &loaded.state, method, external_ref, reason)?;
            Ok(vec![Write::new(stream.clone(), loaded.revision, [event])])
        })
        .await?;
        self.statement_date(method, external_ref).await
    }

    /// A method's reconciliation for the local day `[from, to)`.
    pub async fn reconciliation(
        &self,
        method: PaymentMethod,
        date: NaiveDate,
        (from, to): (DateTime<Utc>, DateTime<Utc>),
    ) -> ApiResult<DayReconciliation> {
        if method == PaymentMethod::Cash {
            return Err(DomainError::CashHasNoStatement.into());
        }
        let ledger = self.movements_between(method, from, to).await?;
        let state = self
            .load::<Reconciliation>(&reconciliation::stream(method))
            .await?
            .state;
        let clearing_balance = self
            .read
            .ledger_balance(&yika_domain::LedgerAccount::Clearing(method).to_string())
            .await?;
        Ok(DayReconciliation {
            ledger,
            state,
            date,
            clearing_balance,
        })
    }

    /// The discharge settlements recorded in `[from, to)`, oldest first.
    pub async fn settlements_between(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> ApiResult<Vec<SettlementRecord>> {
        let positions = self.positions(&["DischargeSettled"], from, to).await?;
        self.settlements_at(positions).await
    }

    /// The settlements at these positions, read from the log.
    async fn settlements_at(&self, positions: Vec<u64>) -> ApiResult<Vec<SettlementRecord>> {
        let mut settlements = Vec::with_capacity(positions.len());
        for position in positions {
            let (event_id, recorded_at, event) = self.event_at(position).await?;
            settlements.push(SettlementRecord {
                event_id,
                position,
                recorded_at,
                event,
            });
        }
        Ok(settlements)
    }

    /// Up to `max` discharge settlements recorded in `[from, to)` after position `after`,
    /// oldest first.
    pub async fn settlements_after(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        after: i64,
        max: usize,
    ) -> ApiResult<Vec<SettlementRecord>> {
        let filter = AuditFilter {
            event_types: vec!["DischargeSettled".to_owned()],
            from,
            to,
            ..AuditFilter::default()
        };
        let (positions, _) = self
            .read
            .audit_positions(
                &filter,
                max.saturating_sub(1),
                u64::try_from(after).unwrap_or(0),
            )
            .await?;
        let mut settlements = Vec::with_capacity(positions.len());
        for position in positions {
            let (event_id, recorded_at, event) = self.event_at(position).await?;
            settlements.push(SettlementRecord {
                event_id,
                position,
                recorded_at,
                event,
            });
        }
        Ok(settlements)
    }

    /// What the settlements of `scheme` recorded in `[from, to)` put into its receivable.
    async fn settled_for(
        &self,
        scheme: InsuranceScheme,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> ApiResult<Money> {
        Ok(self
            .settlements_between(Some(from), Some(to))
            .await?
            .iter()
            .filter_map(|s| match &s.event {
                Event::DischargeSettled {
                    insurance_scheme,
                    insurance_pays,
                    ..
                } if *insurance_scheme == scheme => Some(*insurance_pays),
                _ => None,
            })
            .sum())
    }

    /// A scheme's remittances as recorded.
    pub async fn remittances(
        &self,
        scheme: InsuranceScheme,
    ) -> ApiResult<std::sync::Arc<Remittances>> {
        Ok(self
            .load::<Remittances>(&insurance::stream(scheme))
            .await?
            .state)
    }

    /// CONTROLLER: records an insurance remittance for the settlements of a period, whose
    /// local days run over `[from, to)`.
    pub async fn record_remittance(
        &self,
        actor: &Actor,
        remittance: Remittance,
        (from, to): (DateTime<Utc>, DateTime<Utc>),
        idempotency_key: &str,
    ) -> ApiResult<()> {
        actor.require(Role::Controller)?;
        #[derive(Serialize)]
        struct Input<'a> {
            scheme: InsuranceScheme,
            amount: Money,
            from: NaiveDate,
            to: NaiveDate,
            reference: &'a str,
        }
        let claim = claim(
            "recordInsuranceRemittance",
            idempotency_key,
            &Input {
                scheme: remittance.scheme,
                amount: remittance.amount.money(),
                from: remittance.period_from,
                to: remittance.period_to,
                reference: &remittance.reference,
            },
        )?;
        let head = self.store.head_position().await?;
        self.read.wait_for(head, READ_YOUR_WRITES).await;
        let settled = if to > from {
            self.settled_for(remittance.scheme, from, to).await?
        } else {
            Money::ZERO
        };
        let stream = insurance::stream(remittance.scheme);
        self.execute(Some(actor), &stream, Some(claim), || async {
            let loaded = self.load::<Remittances>(&stream).await?;
            let event = insurance::record(actor, &loaded.state, &remittance, settled)?;
            Ok(vec![Write::new(stream.clone(), loaded.revision, [event])])
        })
        .await?;
        Ok(())
    }
}
