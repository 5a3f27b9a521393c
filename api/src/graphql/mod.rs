//! The GraphQL schema: one module per capability (its types beside its resolvers), merged into
//! the contract's `Query`, `Mutation` and `Subscription`.
//!
//! Modules depend on each other in one direction only: `staff` ← `audit` ← `accounts` ←
//! `settlement`, `staff` ← `shifts` ← `reports`, and `live` and `workload` on top; `context`,
//! `page` and `scalars` are shared by all.

pub mod accounts;
mod answer;
pub mod audit;
mod context;
pub mod cost;
pub mod finance;
pub mod live;
pub mod page;
pub mod reports;
pub mod scalars;
pub mod settlement;
pub mod shifts;
pub mod staff;
pub mod workload;

use async_graphql::{MergedObject, Schema};

use crate::application::App;
use crate::calendar::Calendar;

pub use crate::auth::Caller;

/// The served schema.
pub type YikaSchema = Schema<Query, Mutation, live::Live>;

/// The deepest query accepted.
pub const MAX_DEPTH: usize = 12;
/// The most complex query accepted: fields counted, a page's selection counted once per item
/// it may hold (`first`), so pages nested in pages are refused.
pub const MAX_COMPLEXITY: usize = 10_000;

/// How deep a query made only of introspection fields (`__schema`, `__type`, `__typename`)
/// may go: GraphiQL's and graphql-js's standard introspection query is 15 levels deep (types
/// wrapped in `ofType` seven times), deeper than any query of the ledger needs.
pub const INTROSPECTION_DEPTH: usize = 20;

/// Builds the schema; `app` is `None` only to export the SDL.
#[must_use]
pub fn schema(app: Option<App>, calendar: Calendar) -> YikaSchema {
    build(app, calendar, MAX_DEPTH)
}

/// The same schema with room for the standard introspection query: the HTTP layer runs a
/// document on it only when every field it selects at the top is an introspection field.
#[must_use]
pub fn introspection_schema(app: Option<App>, calendar: Calendar) -> YikaSchema {
    build(app, calendar, INTROSPECTION_DEPTH)
}

/// Whether the operation to run selects nothing but introspection fields at its top.
#[must_use]
pub fn introspection_only(
    document: &async_graphql::parser::types::ExecutableDocument,
    operation_name: Option<&str>,
) -> bool {
    use async_graphql::parser::types::{OperationType, Selection};
    let operation = document
        .operations
        .iter()
        .find(|(name, _)| operation_name.is_none() || name.map(|n| n.as_str()) == operation_name);
    operation.is_some_and(|(_, op)| {
        op.node.ty == OperationType::Query
            && !op.node.selection_set.node.items.is_empty()
            && op
                .node
                .selection_set
                .node
                .items
                .iter()
                .all(|item| match &item.node {
                    Selection::Field(field) => {
                        matches!(
                            field.node.name.node.as_str(),
                            "__schema" | "__type" | "__typename"
                        )
                    }
                    _ => false,
                })
    })
}

fn build(app: Option<App>, calendar: Calendar, depth: usize) -> YikaSchema {
    let builder = Schema::build(Query::default(), Mutation::default(), live::Live)
        .data(calendar)
        .limit_depth(depth)
        .limit_complexity(MAX_COMPLEXITY)
        .data(cost::ReportSlots::default())
        .extension(answer::MutationFields)
        .extension(cost::ExpensiveRequests::default());
    match app {
        Some(app) => builder.data(app).finish(),
        None => builder.finish(),
    }
}

/// Read side: the core ledger's queries and finance's reports.
#[derive(MergedObject, Default)]
pub struct Query(
    staff::StaffQuery,
    accounts::AccountQuery,
    shifts::ShiftQuery,
    reports::ReportQuery,
    finance::FinanceQuery,
    audit::AuditQuery,
    workload::WorkloadQuery,
);

/// Write side. Every refusal carries `extensions.code` and writes nothing.
#[derive(MergedObject, Default)]
pub struct Mutation(
    staff::StaffMutation,
    accounts::AccountMutation,
    shifts::ShiftMutation,
    settlement::SettlementMutation,
    finance::FinanceMutation,
    reports::DayMutation,
    workload::WorkloadMutation,
);
