//! The audit trail: the log's events with their envelopes and hashes, filtered through the
//! views' audit index, one event by id, and the verification of the whole ledger.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;
use yika_domain::{Role, ShiftId};
use yika_projections::reports::AuditFilter;
use yika_store::RecordedEvent;

use super::context::{actor, app};
use super::cost::VERIFY_WEIGHT;
use super::page::{DEFAULT_EVENT_PAGE, PageInfo, page_size, page_weight, parse_cursor};
use super::scalars::check_instant;
use super::staff::{Staff, staff_by_id};
use crate::application::App;
use crate::auth::{Actor, is_finance, require_finance};
use crate::error::{ApiError, GqlResult};

/// The most event types one filter lists.
const MAX_EVENT_TYPES: usize = 32;

/// One stored event.
pub struct LedgerEvent(pub RecordedEvent);

impl LedgerEvent {
    fn metadata(&self) -> GqlResult<yika_domain::Metadata> {
        Ok(
            serde_json::from_str(&self.0.metadata)
                .map_err(|e| ApiError::Internal(e.to_string()))?,
        )
    }
}

#[Object]
impl LedgerEvent {
    async fn id(&self) -> Uuid {
        self.0.event_id
    }
    async fn position(&self) -> i64 {
        i64::try_from(self.0.position).unwrap_or(i64::MAX)
    }
    async fn stream_id(&self) -> &str {
        &self.0.stream_id
    }
    async fn revision(&self) -> i64 {
        i64::try_from(self.0.revision).unwrap_or(i64::MAX)
    }
    #[graphql(name = "type")]
    async fn event_type(&self) -> &str {
        &self.0.event_type
    }
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.0.recorded_at
    }
    /// When it happened in the business: the time a back-entry (补录) gave, otherwise about
    /// `recordedAt`.
    async fn occurred_at(&self) -> GqlResult<DateTime<Utc>> {
        Ok(self.metadata()?.occurred_at)
    }
    /// For a back-entry after an outage (补录): why it was entered late; null otherwise.
    async fn back_entry_reason(&self) -> GqlResult<Option<String>> {
        Ok(self.metadata()?.back_entry)
    }
    /// The staff member who acted.
    async fn actor(&self, ctx: &Context<'_>) -> GqlResult<Option<Staff>> {
        match self.metadata()?.actor_id {
            Some(id) => staff_by_id(ctx, id).await,
            None => Ok(None),
        }
    }
    /// The event as JSON.
    async fn payload(&self) -> &str {
        &self.0.payload
    }
    /// The envelope's metadata as JSON: actor, role, business time, correlation and causation.
    #[graphql(name = "metadata")]
    async fn metadata_json(&self) -> &str {
        &self.0.metadata
    }
    /// The correlation id of the request that wrote it (also in the server's logs and in the
    /// `x-correlation-id` header of the answer).
    async fn correlation_id(&self) -> GqlResult<Uuid> {
        Ok(self.metadata()?.correlation_id)
    }
    /// The hash chain at this event (hex SHA-256).
    async fn hash(&self) -> &str {
        &self.0.hash
    }
}

/// An event and its cursor.
#[derive(SimpleObject)]
pub struct EventEdge {
    /// The event.
    pub node: LedgerEvent,
    /// Its cursor.
    pub cursor: String,
}

/// A page of events.
#[derive(SimpleObject)]
pub struct EventConnection {
    /// The events.
    pub edges: Vec<EventEdge>,
    /// Paging.
    pub page_info: PageInfo,
    /// Events in all pages.
    pub total_count: i64,
}

impl EventConnection {
    /// A page of `edges`; the end cursor is the last edge's.
    pub(super) fn page(edges: Vec<EventEdge>, has_next_page: bool, total_count: i64) -> Self {
        let end_cursor = edges.last().map(|e| e.cursor.clone());
        EventConnection {
            edges,
            page_info: PageInfo {
                has_next_page,
                end_cursor,
            },
            total_count,
        }
    }
}

/// The events at `positions` (ascending) of the log, which an index of the views has pointed
/// at. Positions close together are read in one range (a dense filter reads a page in one or a
/// few reads); each gap of more than `RANGE_GAP` starts another read.
pub(super) async fn logged_events(app: &App, positions: &[u64]) -> GqlResult<Vec<LedgerEvent>> {
    const RANGE_GAP: u64 = 8;
    let mut events = Vec::with_capacity(positions.len());
    let mut rest = positions;
    while let Some(&start) = rest.first() {
        let run = rest
            .windows(2)
            .position(|w| w[1] <= w[0] || w[1] - w[0] > RANGE_GAP)
            .map_or(rest.len(), |i| i + 1);
        let end = rest[run - 1];
        let span = usize::try_from(end - start + 1).unwrap_or(usize::MAX);
        let read = app.store.read_all(start.saturating_sub(1), span).await?;
        for &position in &rest[..run] {
            let event = read
                .iter()
                .find(|e| e.position == position)
                .cloned()
                .ok_or_else(|| {
                    ApiError::Internal(format!(
                        "event {position} is in the index but not in the log"
                    ))
                })?;
            events.push(LedgerEvent(event));
        }
        rest = &rest[run..];
    }
    Ok(events)
}

/// The event at `position` of the log, which an index of the views has pointed at.
pub(super) async fn logged_event(app: &App, position: u64) -> GqlResult<LedgerEvent> {
    let mut events = logged_events(app, &[position]).await?;
    Ok(events.remove(0))
}

/// Filters of the audit trail.
#[derive(InputObject, Default)]
pub struct EventFilter {
    account_id: Option<Uuid>,
    shift_id: Option<Uuid>,
    actor_id: Option<Uuid>,
    department: Option<String>,
    event_types: Option<Vec<String>>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
}

/// The audit-index filter for `filter`, if `actor` may read those events: finance and audit
/// roles any, a cashier only one of their own shifts (`shiftId`). Shared by `auditTrail` and
/// the `ledgerEvents` subscription.
pub(super) async fn audit_filter(
    app: &App,
    actor: &Actor,
    filter: EventFilter,
) -> GqlResult<AuditFilter> {
    if !is_finance(actor) {
        let own = match (actor.role, filter.shift_id) {
            (Role::Cashier, Some(shift)) => app
                .read
                .shift(ShiftId(shift))
                .await?
                .is_some_and(|s| s.cashier_id == actor.staff_id),
            _ => false,
        };
        if !own {
            return Err(ApiError::Forbidden(
                "the audit trail is for finance and audit; a cashier reads only its own shifts"
                    .to_owned(),
            )
            .into());
        }
    }
    let event_types = filter.event_types.unwrap_or_default();
    if event_types.len() > MAX_EVENT_TYPES {
        return Err(
            ApiError::LimitExceeded(format!("at most {MAX_EVENT_TYPES} event types")).into(),
        );
    }
    Ok(AuditFilter {
        account_id: filter.account_id.map(|u| u.to_string()),
        shift_id: filter.shift_id.map(|u| u.to_string()),
        actor_id: filter.actor_id.map(|u| u.to_string()),
        department: filter.department,
        event_types,
        from: filter
            .from
            .map(|at| check_instant("from", at))
            .transpose()?,
        to: filter.to.map(|at| check_instant("to", at)).transpose()?,
    })
}

/// The result of `verifyLedger`.
#[derive(SimpleObject)]
pub struct Verification {
    events_checked: i64,
    /// The hash chain recomputes over the whole log.
    chain_intact: bool,
    /// The first position whose stored hash or position does not follow (edited or removed).
    first_broken_position: Option<i64>,
    /// Every view equals a fresh replay of the log up to the views' position.
    views_match_replay: bool,
    mismatches: Vec<String>,
}

/// Audit queries.
#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Every event with its actor, time, type, stream, position, hash and payload, in log order,
    /// filtered; cursors are positions, so pages walk every event once while new ones arrive.
    /// Finance and audit roles; a cashier only for one of their own shifts (`shiftId`).
    #[graphql(complexity = "page_weight(first, DEFAULT_EVENT_PAGE) * child_complexity")]
    async fn audit_trail(
        &self,
        ctx: &Context<'_>,
        filter: Option<EventFilter>,
        #[graphql(default_with = "Some(DEFAULT_EVENT_PAGE)")] first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<EventConnection> {
        let actor = actor(ctx)?;
        let first = page_size(first, DEFAULT_EVENT_PAGE)?;
        let after = u64::try_from(parse_cursor(after.as_deref())?.unwrap_or(0)).unwrap_or(0);
        let app = app(ctx)?;
        let view_filter = audit_filter(app, actor, filter.unwrap_or_default()).await?;
        let (mut positions, total_count) =
            app.read.audit_positions(&view_filter, first, after).await?;
        let has_next_page = positions.len() > first;
        positions.truncate(first);
        let edges = logged_events(app, &positions)
            .await?
            .into_iter()
            .zip(&positions)
            .map(|(node, position)| EventEdge {
                cursor: position.to_string(),
                node,
            })
            .collect();
        Ok(EventConnection::page(edges, has_next_page, total_count))
    }

    /// One event by id (finance and audit roles).
    async fn event(&self, ctx: &Context<'_>, id: Uuid) -> GqlResult<Option<LedgerEvent>> {
        require_finance(actor(ctx)?, "reports")?;
        Ok(app(ctx)?.store.find_event(id).await?.map(LedgerEvent))
    }

    /// Recomputes the hash chain over the whole log and compares every view with a fresh
    /// replay (AUDITOR, CONTROLLER, SUPERVISOR, ADMIN). Expensive: it reads the whole log, so
    /// one runs at a time in a server (LIMIT_EXCEEDED while another is running).
    #[graphql(complexity = "VERIFY_WEIGHT + child_complexity")]
    async fn verify_ledger(&self, ctx: &Context<'_>) -> GqlResult<Verification> {
        static VERIFYING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);
        require_finance(actor(ctx)?, "reports")?;
        let Ok(_running) = VERIFYING.try_acquire() else {
            return Err(ApiError::LimitExceeded(
                "a verification is already running on this server; try again when it ends"
                    .to_owned(),
            )
            .into());
        };
        let verdict = crate::verify::verify(app(ctx)?).await?;
        Ok(Verification {
            events_checked: i64::try_from(verdict.events_checked).unwrap_or(i64::MAX),
            chain_intact: verdict.chain_intact,
            first_broken_position: verdict
                .first_broken_position
                .map(|p| i64::try_from(p).unwrap_or(i64::MAX)),
            views_match_replay: verdict.mismatches.is_empty(),
            mismatches: verdict.mismatches,
        })
    }
}
