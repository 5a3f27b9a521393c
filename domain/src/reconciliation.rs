//! Reconciliation (对账) of one non-cash payment method with the statements of its bank or
//! platform (stream `reconciliation-<METHOD>`): the lines imported, and which ledger movement
//! each is matched to, one to one. A match moves the movement's money from `clearing:<METHOD>`
//! to the bank, so that the clearing account holds exactly what is not yet matched.
//!
//! The ledger's movements (deposits, refunds and discharge settlements by the method) live on
//! the accounts' streams; the application reads the ones a decision needs from the log by their
//! event ids and passes them in as [`Movement`]s.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use uuid::Uuid;

use crate::actor::Actor;
use crate::aggregate::Aggregate;
use crate::ids::AccountId;
use crate::money::Money;
use crate::text::{MAX_ID_CHARS, MAX_NAME_CHARS, bounded, identifier};
use crate::{
    Direction, DomainError, Event, MatchRule, PaymentMatch, PaymentMethod, Role, StatementLine,
};

/// The most lines one statement import holds.
pub const MAX_STATEMENT_LINES: usize = 2_000;

/// How far apart in time a statement line and a ledger movement without a reference may be to
/// match by amount and direction.
pub const MATCH_WINDOW: Duration = Duration::hours(24);

/// The stream of a method's reconciliation.
#[must_use]
pub fn stream(method: PaymentMethod) -> String {
    format!("reconciliation-{}", method.as_str())
}

/// A statement line as imported, and its match if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    /// The line.
    pub line: StatementLine,
    /// The statement's day.
    pub statement_date: NaiveDate,
    /// Its match, while matched.
    pub matched: Option<PaymentMatch>,
}

/// One method's statements and matches.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Reconciliation {
    /// The lines imported, by reference.
    pub lines: HashMap<String, Imported>,
    /// The statement line each matched movement is matched to.
    pub matched: HashMap<Uuid, String>,
}

/// A ledger movement of money by a non-cash method, as the log recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Movement {
    /// The id of its event.
    pub movement_id: Uuid,
    /// The account.
    pub account_id: AccountId,
    /// The method.
    pub method: PaymentMethod,
    /// In (deposit, settlement paid in) or out (refund, settlement paid back).
    pub direction: Direction,
    /// The amount that crossed the window.
    pub amount: Money,
    /// The reference the cashier recorded, if any.
    pub external_ref: Option<String>,
    /// When it was recorded.
    pub at: DateTime<Utc>,
}

impl Movement {
    /// The money `event` moved across a window by a non-cash method, if it did.
    #[must_use]
    pub fn of(movement_id: Uuid, event: &Event, at: DateTime<Utc>) -> Option<Movement> {
        let (account_id, method, direction, amount, external_ref) = match event {
            Event::DepositReceived {
                account_id,
                amount,
                method,
                external_ref,
                ..
            } => (
                account_id,
                method,
                Direction::In,
                amount.money(),
                external_ref,
            ),
            Event::BalanceRefunded {
                account_id,
                amount,
                method,
                external_ref,
                ..
            } => (
                account_id,
                method,
                Direction::Out,
                amount.money(),
                external_ref,
            ),
            Event::DischargeSettled {
                account_id,
                method,
                patient_pays,
                external_ref,
                ..
            } if patient_pays.is_positive() => (
                account_id,
                method,
                Direction::In,
                *patient_pays,
                external_ref,
            ),
            Event::DischargeSettled {
                account_id,
                method,
                patient_receives,
                external_ref,
                ..
            } if patient_receives.is_positive() => (
                account_id,
                method,
                Direction::Out,
                *patient_receives,
                external_ref,
            ),
            _ => return None,
        };
        (*method != PaymentMethod::Cash).then(|| Movement {
            movement_id,
            account_id: *account_id,
            method: *method,
            direction,
            amount,
            external_ref: external_ref.clone(),
            at,
        })
    }
}

impl Aggregate for Reconciliation {
    type Command = ();

    fn apply(&mut self, event: &Event) {
        match event {
            Event::StatementImported {
                statement_date,
                lines,
                ..
            } => {
                for line in lines {
                    self.lines.insert(
                        line.external_ref.clone(),
                        Imported {
                            line: line.clone(),
                            statement_date: *statement_date,
                            matched: None,
                        },
                    );
                }
            }
            Event::PaymentsMatched { matches, .. } => {
                for m in matches {
                    self.matched.insert(m.movement_id, m.external_ref.clone());
                    if let Some(imported) = self.lines.get_mut(&m.external_ref) {
                        imported.matched = Some(m.clone());
                    }
                }
            }
            Event::PaymentUnmatched { unmatched, .. } => {
                self.matched.remove(&unmatched.movement_id);
                if let Some(imported) = self.lines.get_mut(&unmatched.external_ref) {
                    imported.matched = None;
                }
            }
            _ => {}
        }
    }

    fn decide(&self, (): &()) -> Result<Vec<Event>, DomainError> {
        Ok(Vec::new())
    }
}

/// A statement to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The method it reconciles.
    pub method: PaymentMethod,
    /// Its day.
    pub statement_date: NaiveDate,
    /// Where it came from (a file name), if said.
    pub source: Option<String>,
    /// Its lines, as given.
    pub lines: Vec<StatementLine>,
}

fn finance_role(actor: &Actor) -> Result<(), DomainError> {
    match actor.role {
        Role::Controller | Role::Admin => Ok(()),
        _ => Err(DomainError::RoleRequired(Role::Controller)),
    }
}

fn non_cash(method: PaymentMethod) -> Result<(), DomainError> {
    if method == PaymentMethod::Cash {
        Err(DomainError::CashHasNoStatement)
    } else {
        Ok(())
    }
}

fn checked_line(line: &StatementLine) -> Result<StatementLine, DomainError> {
    let external_ref = identifier("externalRef", &line.external_ref, MAX_ID_CHARS)?;
    let fee = line.fee.non_negative()?;
    if fee > line.amount.money() {
        return Err(DomainError::InvalidText {
            field: "fee",
            reason: "must not exceed the line's amount",
        });
    }
    let note = match &line.note {
        Some(n) if !n.trim().is_empty() => Some(bounded("note", n, MAX_NAME_CHARS)?),
        _ => None,
    };
    Ok(StatementLine {
        external_ref,
        fee,
        note,
        ..line.clone()
    })
}

/// A CONTROLLER (or ADMIN) imports a statement: the lines not imported before are recorded
/// (the others counted as duplicates), and each new line is matched, one to one, to an
/// unmatched movement among `candidates`: first by the same reference, direction and amount,
/// else, for movements recorded without a reference, by the same direction and amount within
/// [`MATCH_WINDOW`], the closest in time.
pub fn import(
    actor: &Actor,
    reconciliation: &Reconciliation,
    statement: &Statement,
    candidates: &[Movement],
) -> Result<Vec<Event>, DomainError> {
    finance_role(actor)?;
    non_cash(statement.method)?;
    if statement.lines.len() > MAX_STATEMENT_LINES {
        return Err(DomainError::TooManyLines {
            max: MAX_STATEMENT_LINES,
            given: statement.lines.len(),
        });
    }
    let source = match &statement.source {
        Some(s) if !s.trim().is_empty() => Some(bounded("source", s, MAX_NAME_CHARS)?),
        _ => None,
    };
    let mut lines: Vec<StatementLine> = Vec::with_capacity(statement.lines.len());
    let mut duplicates = 0u32;
    for given in &statement.lines {
        let line = checked_line(given)?;
        if reconciliation.lines.contains_key(&line.external_ref)
            || lines.iter().any(|l| l.external_ref == line.external_ref)
        {
            duplicates += 1;
        } else {
            lines.push(line);
        }
    }
    let mut taken: std::collections::HashSet<Uuid> = std::collections::HashSet::new();
    let open: Vec<&Movement> = candidates
        .iter()
        .filter(|m| {
            m.method == statement.method && !reconciliation.matched.contains_key(&m.movement_id)
        })
        .collect();
    let mut matches = Vec::new();
    for line in &lines {
        let fits = |m: &&&Movement| {
            !taken.contains(&m.movement_id)
                && m.direction == line.direction
                && m.amount == line.amount.money()
        };
        let by_reference = open
            .iter()
            .filter(fits)
            .find(|m| m.external_ref.as_deref() == Some(line.external_ref.as_str()));
        let found = match by_reference {
            Some(m) => Some((*m, MatchRule::Reference)),
            None => open
                .iter()
                .filter(fits)
                .filter(|m| m.external_ref.is_none())
                .filter(|m| (m.at - line.occurred_at).abs() <= MATCH_WINDOW)
                .min_by_key(|m| ((m.at - line.occurred_at).abs(), m.movement_id))
                .map(|m| (*m, MatchRule::AmountAndTime)),
        };
        if let Some((movement, rule)) = found {
            taken.insert(movement.movement_id);
            matches.push(matched(line, movement, rule));
        }
    }
    let mut events = vec![Event::StatementImported {
        method: statement.method,
        statement_date: statement.statement_date,
        source,
        lines,
        duplicates,
        imported_by: actor.staff_id,
    }];
    if !matches.is_empty() {
        events.push(Event::PaymentsMatched {
            method: statement.method,
            matches,
            reason: None,
        });
    }
    Ok(events)
}

fn matched(line: &StatementLine, movement: &Movement, rule: MatchRule) -> PaymentMatch {
    PaymentMatch {
        external_ref: line.external_ref.clone(),
        movement_id: movement.movement_id,
        account_id: movement.account_id,
        direction: line.direction,
        amount: line.amount.money(),
        fee: line.fee,
        rule,
    }
}

/// A CONTROLLER matches a statement line to a ledger movement by hand, with the reason: both
/// unmatched, the same method, direction and amount.
pub fn match_by_hand(
    actor: &Actor,
    reconciliation: &Reconciliation,
    method: PaymentMethod,
    external_ref: &str,
    movement: &Movement,
    reason: &str,
) -> Result<Event, DomainError> {
    actor.require(Role::Controller)?;
    non_cash(method)?;
    let reason = bounded("reason", reason, MAX_NAME_CHARS)?;
    let imported = line(reconciliation, external_ref)?;
    if imported.matched.is_some() {
        return Err(DomainError::LineAlreadyMatched(
            imported.line.external_ref.clone(),
        ));
    }
    if let Some(line) = reconciliation.matched.get(&movement.movement_id) {
        return Err(DomainError::MovementAlreadyMatched {
            movement: movement.movement_id,
            line: line.clone(),
        });
    }
    if movement.method != method {
        return Err(DomainError::MovementNotFound(movement.movement_id));
    }
    if movement.direction != imported.line.direction {
        return Err(DomainError::MovementDiffers("the direction differs"));
    }
    if movement.amount != imported.line.amount.money() {
        return Err(DomainError::MovementDiffers("the amount differs"));
    }
    Ok(Event::PaymentsMatched {
        method,
        matches: vec![matched(&imported.line, movement, MatchRule::ByHand)],
        reason: Some(reason),
    })
}

/// A CONTROLLER undoes a statement line's match, with the reason.
pub fn unmatch(
    actor: &Actor,
    reconciliation: &Reconciliation,
    method: PaymentMethod,
    external_ref: &str,
    reason: &str,
) -> Result<Event, DomainError> {
    actor.require(Role::Controller)?;
    non_cash(method)?;
    let reason = bounded("reason", reason, MAX_NAME_CHARS)?;
    let imported = line(reconciliation, external_ref)?;
    let unmatched = imported
        .matched
        .clone()
        .ok_or_else(|| DomainError::LineNotMatched(imported.line.external_ref.clone()))?;
    Ok(Event::PaymentUnmatched {
        method,
        unmatched,
        reason,
    })
}

fn line<'r>(
    reconciliation: &'r Reconciliation,
    external_ref: &str,
) -> Result<&'r Imported, DomainError> {
    let key = crate::text::fold_width(external_ref.trim());
    reconciliation
        .lines
        .get(&key)
        .ok_or(DomainError::StatementLineNotFound(key))
}
