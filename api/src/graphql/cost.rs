//! What one request may cost, so that no request (and no caller) can stall everyone else.
//!
//! - Every field counts in a document's complexity, aliases and repeated fields each time they
//!   appear; a page counts its selection once per item it may hold; a report counts
//!   [`REPORT_WEIGHT`] and, over a period, [`DAY_WEIGHT`] for each day it covers; the whole
//!   document may weigh at most [`super::MAX_COMPLEXITY`].
//! - A request weighing [`EXPENSIVE`] or more is expensive: one token may run at most
//!   [`EXPENSIVE_PER_CALLER`] of them at once (more are refused with LIMIT_EXCEEDED at once).
//! - A report reads the read store under one of [`REPORT_SLOTS`] server-wide slots, fewer than
//!   the read pool's connections, so reports queue among themselves and never take the
//!   connections that cheap reads and the answers of commands need.
//! - A query (never a mutation, whose command must not be cut off half-way) that runs longer
//!   than [`QUERY_TIMEOUT`] is cancelled with LIMIT_EXCEEDED (in the HTTP layer).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::{Context, ErrorExtensionValues, ServerError, ValidationResult};
use chrono::{DateTime, Utc};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, SemaphorePermit};

use super::scalars::DateScalar;
use crate::auth::Caller;
use crate::error::{ApiError, GqlResult};

/// What a report weighs in a document's complexity, besides its period and its selection.
pub const REPORT_WEIGHT: usize = 500;
/// What each day of a report's period weighs.
pub const DAY_WEIGHT: usize = 20;
/// What a replay of the whole log (`verifyLedger`) weighs: one per document at most.
pub const VERIFY_WEIGHT: usize = 6_000;
/// A document weighing this much or more is expensive.
pub const EXPENSIVE: usize = 500;
/// The expensive requests one token may run at once.
pub const EXPENSIVE_PER_CALLER: usize = 2;
/// The reports the server reads at once (the read pool holds 8 connections).
pub const REPORT_SLOTS: usize = 3;
/// The longest a query may run.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(30);

/// A report over the local dates [from, to].
pub(crate) fn period_weight(from: &DateScalar, to: &DateScalar) -> usize {
    let days = (to.0 - from.0).num_days().clamp(0, 10_000) + 1;
    REPORT_WEIGHT + DAY_WEIGHT * usize::try_from(days).unwrap_or(1)
}

/// A report over the instants [from, to).
pub(crate) fn span_weight(from: &DateTime<Utc>, to: &DateTime<Utc>) -> usize {
    let days = (*to - *from).num_days().clamp(0, 10_000) + 1;
    REPORT_WEIGHT + DAY_WEIGHT * usize::try_from(days).unwrap_or(1)
}

/// The server's report slots (schema data).
#[derive(Clone)]
pub struct ReportSlots(Arc<Semaphore>);

impl Default for ReportSlots {
    fn default() -> Self {
        ReportSlots(Arc::new(Semaphore::new(REPORT_SLOTS)))
    }
}

/// Waits for one of the server's report slots; the report holds it while it reads.
pub(crate) async fn report_slot<'a>(ctx: &Context<'a>) -> GqlResult<Option<SemaphorePermit<'a>>> {
    match ctx.data_opt::<ReportSlots>() {
        Some(slots) => Ok(Some(slots.0.acquire().await.map_err(|_| {
            ApiError::Internal("the report slots are closed".to_owned())
        })?)),
        None => Ok(None),
    }
}

/// Counts each token's expensive requests in flight.
#[derive(Default, Clone)]
pub struct ExpensiveRequests {
    per_caller: Arc<Mutex<HashMap<uuid::Uuid, Arc<Semaphore>>>>,
}

impl ExpensiveRequests {
    fn admit(&self, staff: uuid::Uuid) -> Option<OwnedSemaphorePermit> {
        let slots = {
            let mut map = self.per_caller.lock().unwrap_or_else(|p| p.into_inner());
            map.entry(staff)
                .or_insert_with(|| Arc::new(Semaphore::new(EXPENSIVE_PER_CALLER)))
                .clone()
        };
        slots.try_acquire_owned().ok()
    }
}

impl ExtensionFactory for ExpensiveRequests {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Admission {
            requests: self.clone(),
            held: Mutex::new(None),
        })
    }
}

/// One request's admission: holds its caller's slot while the request runs.
struct Admission {
    requests: ExpensiveRequests,
    held: Mutex<Option<OwnedSemaphorePermit>>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for Admission {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        if result.complexity < EXPENSIVE {
            return Ok(result);
        }
        let Some(Caller::Staff(actor)) = ctx.data_opt::<Caller>() else {
            return Ok(result);
        };
        match self.requests.admit(actor.staff_id.0) {
            Some(permit) => {
                *self.held.lock().unwrap_or_else(|p| p.into_inner()) = Some(permit);
                Ok(result)
            }
            None => {
                let mut error = ServerError::new(
                    format!(
                        "this token already runs {EXPENSIVE_PER_CALLER} expensive requests \
                         (reports, long pages); wait for one to finish"
                    ),
                    None,
                );
                let mut extensions = ErrorExtensionValues::default();
                extensions.set("code", "LIMIT_EXCEEDED");
                error.extensions = Some(extensions);
                Err(vec![error])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_token_runs_at_most_two_expensive_requests_at_once() {
        // Goal: a third expensive request of one token is refused while two run; another token
        // is not held up by it; a finished request gives its slot back.
        let requests = ExpensiveRequests::default();
        let (one, other) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
        let first = requests.admit(one).expect("the first");
        let _second = requests.admit(one).expect("the second");
        assert!(
            requests.admit(one).is_none(),
            "the third waits for none: refused"
        );
        assert!(
            requests.admit(other).is_some(),
            "another token is not held up"
        );
        drop(first);
        assert!(requests.admit(one).is_some(), "a slot came back");
    }

    #[test]
    fn a_reports_weight_grows_with_its_period() {
        // Goal: a year weighs more than a day, and a year's table fits in one document once.
        let day = |s: &str| DateScalar(s.parse().expect("a day"));
        let one_day = period_weight(&day("2026-11-22"), &day("2026-11-22"));
        let year = period_weight(&day("2026-01-01"), &day("2026-12-31"));
        assert_eq!(one_day, REPORT_WEIGHT + DAY_WEIGHT);
        assert!(
            year > one_day
                && year <= super::super::MAX_COMPLEXITY
                && 2 * year > super::super::MAX_COMPLEXITY
        );
        assert!(one_day >= EXPENSIVE, "every report is expensive");
    }
}
