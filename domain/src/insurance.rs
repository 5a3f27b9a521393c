//! Insurance remittances (医保回款) of one scheme (stream `insurance-<SCHEME>`): what the scheme
//! paid for the settlements of a period. A remittance clears `insurance-receivable:<SCHEME>`
//! into the bank; what it leaves owed for the period (under-paid, 拒付) or overpays stays
//! visible in the receivable.
//!
//! What the settlements of a period put into the receivable lives on the accounts' streams;
//! the application sums it from the log's `DischargeSettled` events and passes it in.

use std::collections::HashSet;

use chrono::NaiveDate;

use crate::actor::Actor;
use crate::aggregate::Aggregate;
use crate::money::{Amount, Money};
use crate::text::{MAX_ID_CHARS, identifier};
use crate::{DomainError, Event, InsuranceScheme, Role};

/// The stream of a scheme's remittances.
#[must_use]
pub fn stream(scheme: InsuranceScheme) -> String {
    format!("insurance-{}", scheme.as_str())
}

/// A scheme's remittances so far.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Remittances {
    /// The references recorded.
    pub references: HashSet<String>,
    /// Each remittance's period and amount.
    pub periods: Vec<(NaiveDate, NaiveDate, Money)>,
    /// Each remittance as recorded: reference, period, amount, and what was owed before it.
    pub received: Vec<Received>,
}

/// A remittance as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The reference.
    pub reference: String,
    /// The first settlement day it paid for.
    pub period_from: NaiveDate,
    /// The last settlement day it paid for.
    pub period_to: NaiveDate,
    /// What it paid.
    pub amount: Money,
    /// What was owed for the period before it.
    pub owed: Money,
}

impl Aggregate for Remittances {
    type Command = ();

    fn apply(&mut self, event: &Event) {
        if let Event::InsuranceRemittanceReceived {
            amount,
            period_from,
            period_to,
            reference,
            owed,
            ..
        } = event
        {
            self.references.insert(reference.clone());
            self.periods
                .push((*period_from, *period_to, amount.money()));
            self.received.push(Received {
                reference: reference.clone(),
                period_from: *period_from,
                period_to: *period_to,
                amount: amount.money(),
                owed: *owed,
            });
        }
    }

    fn decide(&self, (): &()) -> Result<Vec<Event>, DomainError> {
        Ok(Vec::new())
    }
}

/// A remittance as a controller records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remittance {
    /// The scheme that paid.
    pub scheme: InsuranceScheme,
    /// What it paid.
    pub amount: Amount,
    /// The first settlement day it pays for.
    pub period_from: NaiveDate,
    /// The last settlement day it pays for.
    pub period_to: NaiveDate,
    /// The scheme's or bank's reference of the payment.
    pub reference: String,
}

impl Remittances {
    /// What the scheme already remitted for exactly this period.
    #[must_use]
    pub fn remitted_for(&self, from: NaiveDate, to: NaiveDate) -> Money {
        self.periods
            .iter()
            .filter(|(f, t, _)| *f == from && *t == to)
            .map(|(_, _, amount)| *amount)
            .sum()
    }
}

/// A CONTROLLER records a remittance: `settled` is what the period's settlements put into the
/// scheme's receivable. A period is either one an earlier remittance paid for (an instalment)
/// or disjoint from all of them; something must still be owed for it.
pub fn record(
    actor: &Actor,
    remittances: &Remittances,
    remittance: &Remittance,
    settled: Money,
) -> Result<Event, DomainError> {
    actor.require(Role::Controller)?;
    let Remittance {
        scheme,
        amount,
        period_from: from,
        period_to: to,
        ..
    } = *remittance;
    if to < from {
        return Err(DomainError::PeriodReversed);
    }
    let reference = identifier("reference", &remittance.reference, MAX_ID_CHARS)?;
    if remittances.references.contains(&reference) {
        return Err(DomainError::RemittanceAlreadyRecorded(reference));
    }
    let overlaps = remittances
        .periods
        .iter()
        .any(|(f, t, _)| !(*f == from && *t == to) && *f <= to && from <= *t);
    if overlaps {
        return Err(DomainError::PeriodOverlaps { from, to });
    }
    let owed = settled - remittances.remitted_for(from, to);
    if !owed.is_positive() {
        return Err(DomainError::NothingOwed {
            scheme: scheme.as_str(),
            from,
            to,
        });
    }
    Ok(Event::InsuranceRemittanceReceived {
        scheme,
        amount,
        period_from: from,
        period_to: to,
        reference,
        owed,
        recorded_by: actor.staff_id,
    })
}
