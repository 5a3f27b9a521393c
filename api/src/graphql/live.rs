//! Live subscriptions (graphql-transport-ws at /graphql/ws): `balanceChanged`, `shiftUpdated`
//! and `ledgerEvents`.
//!
//! Each subscription follows the projection runner, not the event store: it waits on the read
//! store's applied position and then reads the audit index for the new positions, so whatever
//! it delivers is already in the views (a client that queries on receipt sees the change).
//! Filtering reuses the audit trail's index and its authorization rules.

use std::collections::BTreeSet;

use async_graphql::{Context, Subscription};
use futures::Stream;
use futures::stream::{self, StreamExt};
use tokio::sync::watch;
use uuid::Uuid;
use yika_domain::{AccountId, ShiftId};
use yika_projections::reports::{AuditFilter, AuditRow};
use yika_projections::views::{Balances, Projector as _};

use super::accounts::Account;
use super::audit::{EventFilter, LedgerEvent, audit_filter, logged_event};
use super::context::{actor, app};
use super::shifts::Shift;
use crate::application::App;
use crate::auth::{is_finance, may_read_shift};
use crate::error::{ApiError, GqlError, GqlResult};

/// Audit rows read per query while a subscription catches up.
const FOLLOW_BATCH: usize = 500;

/// What a following stream keeps between items.
struct Follow {
    app: App,
    filter: AuditFilter,
    applied: watch::Receiver<u64>,
    /// The last position looked at.
    last: u64,
}

/// The audit rows matching `filter` that the views apply from now on, in log order, each once,
/// in groups: the rows found by one look at the views (a command's events usually arrive
/// together, so a subscriber gets one message per change rather than one per event).
fn follow(app: App, filter: AuditFilter) -> impl Stream<Item = Result<Vec<AuditRow>, ApiError>> {
    let applied = app.read.applied();
    let last = app.read.position();
    let state = Follow {
        app,
        filter,
        applied,
        last,
    };
    stream::unfold(Some(state), |state| async move {
        let mut state = state?;
        loop {
            let reached = *state.applied.borrow_and_update();
            if reached > state.last {
                match state
                    .app
                    .read
                    .audit_rows_between(&state.filter, state.last, reached, FOLLOW_BATCH)
                    .await
                {
                    Ok(rows) => {
                        state.last = match rows.last() {
                            Some(row) if rows.len() == FOLLOW_BATCH => row.position,
                            _ => reached,
                        };
                        if rows.is_empty() {
                            continue;
                        }
                        return Some((Ok(rows), Some(state)));
                    }
                    Err(error) => return Some((Err(error.into()), None)),
                }
            }
            // The runner stopped (the server is shutting down): end the subscription.
            state.applied.changed().await.ok()?;
        }
    })
}

/// Live subscriptions.
#[derive(Default)]
pub struct Live;

#[Subscription(name = "Subscription")]
impl Live {
    /// The account after each event that changes it, once the views have it.
    async fn balance_changed(
        &self,
        ctx: &Context<'_>,
        account_id: Uuid,
    ) -> Result<impl Stream<Item = GqlResult<Account>> + use<>, GqlError> {
        crate::auth::require_account_history(actor(ctx)?)?;
        let app = app(ctx)?.clone();
        if app.read.account(AccountId(account_id)).await?.is_none() {
            return Err(ApiError::NotFound(format!("account {account_id}")).into());
        }
        let filter = AuditFilter {
            account_id: Some(account_id.to_string()),
            // The events that change an account's row: those the balances view listens to.
            event_types: Balances
                .events()
                .unwrap_or_default()
                .iter()
                .map(|t| (*t).to_owned())
                .collect(),
            ..AuditFilter::default()
        };
        Ok(follow(app.clone(), filter).then(move |rows| {
            let app = app.clone();
            async move {
                rows?;
                app.read
                    .account(AccountId(account_id))
                    .await?
                    .map(Account)
                    .ok_or_else(|| ApiError::NotFound(format!("account {account_id}")).into())
            }
        }))
    }

    /// A shift report after each event recorded in it: one shift (the cashier's own, or any
    /// for finance and audit roles), or, without `shiftId`, every shift the caller may read.
    async fn shift_updated(
        &self,
        ctx: &Context<'_>,
        shift_id: Option<Uuid>,
    ) -> Result<impl Stream<Item = GqlResult<Shift>> + use<>, GqlError> {
        let actor = actor(ctx)?.clone();
        let app = app(ctx)?.clone();
        match shift_id {
            Some(id) => match app.read.shift(ShiftId(id)).await? {
                None => return Err(ApiError::NotFound(format!("shift {id}")).into()),
                Some(row) if !may_read_shift(&actor, row.cashier_id) => {
                    return Err(ApiError::Forbidden("not your shift".to_owned()).into());
                }
                Some(_) => {}
            },
            None if !is_finance(&actor) && actor.role != yika_domain::Role::Cashier => {
                return Err(ApiError::Forbidden(
                    "shift reports are for cashiers and finance".to_owned(),
                )
                .into());
            }
            None => {}
        }
        let filter = AuditFilter {
            shift_id: shift_id.map(|id| id.to_string()),
            ..AuditFilter::default()
        };
        let shifts = follow(app.clone(), filter)
            .then(move |rows| {
                let app = app.clone();
                let actor = actor.clone();
                async move {
                    let rows = match rows {
                        Ok(rows) => rows,
                        Err(error) => return vec![Err(error.into())],
                    };
                    // Each shift once per change, in the order first touched.
                    let mut seen = BTreeSet::new();
                    let mut shifts = Vec::new();
                    for row in rows {
                        let Some(id) = row.shift_id.as_deref().and_then(|s| s.parse::<Uuid>().ok())
                        else {
                            continue;
                        };
                        if !seen.insert(id) {
                            continue;
                        }
                        match app.read.shift(ShiftId(id)).await {
                            Ok(Some(shift)) if may_read_shift(&actor, shift.cashier_id) => {
                                shifts.push(Ok(Shift(shift)));
                            }
                            Ok(_) => {}
                            Err(error) => shifts.push(Err(error.into())),
                        }
                    }
                    shifts
                }
            })
            .flat_map(stream::iter);
        Ok(shifts)
    }

    /// Every new event matching `filter`, in log order, once the views have it: the audit
    /// trail, live (the same roles and filters as `auditTrail`).
    async fn ledger_events(
        &self,
        ctx: &Context<'_>,
        filter: Option<EventFilter>,
    ) -> Result<impl Stream<Item = GqlResult<LedgerEvent>> + use<>, GqlError> {
        let actor = actor(ctx)?;
        let app = app(ctx)?.clone();
        let filter = audit_filter(&app, actor, filter.unwrap_or_default()).await?;
        let positions = follow(app.clone(), filter).flat_map(|rows| {
            stream::iter(match rows {
                Ok(rows) => rows.into_iter().map(|r| Ok(r.position)).collect(),
                Err(error) => vec![Err(error)],
            })
        });
        Ok(positions.then(move |position| {
            let app = app.clone();
            async move { logged_event(&app, position?).await }
        }))
    }
}
