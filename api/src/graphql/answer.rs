//! A mutation's answer: what the caller may read of it is checked before the command runs, and
//! what goes wrong after the command was recorded is told apart from a refusal.
//!
//! - [`acting`] is how a mutation resolver finds its caller: it refuses, before anything is
//!   written, a selection the caller may not read (a department selecting an account's
//!   statement) or that breaks a limit (`statement(first: 1000)`).
//! - [`MutationFields`] tells the application which mutation field is running, so that the
//!   HTTP layer can give every error that arose after that field's command was recorded the code
//!   `ANSWER_INCOMPLETE`, with what was written, instead of a code that reads as a refusal.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::{Context, SelectionField, ServerResult, Value};

use super::context::actor;
use super::page::{DEFAULT_EVENT_PAGE, page_size};
use crate::application::MUTATION_FIELD;
use crate::auth::{Actor, HIDDEN_FROM_DEPARTMENTS, may_read_statement, require_account_detail};
use crate::error::{ApiError, GqlResult};

/// The caller of a mutation, once the answer it selected is one it may read.
pub(crate) fn acting<'a>(ctx: &Context<'a>) -> GqlResult<&'a Actor> {
    let actor = actor(ctx)?;
    for field in ctx.field().selection_set() {
        readable(actor, field)?;
    }
    Ok(actor)
}

/// Checks one selected field of an answer, and the fields under it.
fn readable(actor: &Actor, field: SelectionField<'_>) -> GqlResult<()> {
    if field.name() == "statement" {
        if !may_read_statement(actor) {
            return Err(ApiError::Forbidden(
                "a statement is for finance and audit roles and cashiers".to_owned(),
            )
            .into());
        }
        let first = field
            .arguments()
            .map_err(|e| ApiError::Validation(e.message))?
            .into_iter()
            .find(|(name, _)| name.as_str() == "first")
            .and_then(|(_, value)| match value {
                Value::Number(n) => n.as_i64(),
                _ => None,
            })
            .map(|n| i32::try_from(n).unwrap_or(i32::MAX));
        page_size(first.or(Some(DEFAULT_EVENT_PAGE)), DEFAULT_EVENT_PAGE)?;
    }
    if field.name() == "account" {
        for child in field.selection_set() {
            if HIDDEN_FROM_DEPARTMENTS.contains(&child.name()) {
                require_account_detail(actor, child.name())?;
            }
        }
    }
    for child in field.selection_set() {
        readable(actor, child)?;
    }
    Ok(())
}

/// Tells the application which mutation field is being resolved.
pub struct MutationFields;

impl ExtensionFactory for MutationFields {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(MutationFields)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for MutationFields {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if info.parent_type == "Mutation" {
            let key = info.alias.unwrap_or(info.name).to_owned();
            MUTATION_FIELD.scope(key, next.run(ctx, info)).await
        } else {
            next.run(ctx, info).await
        }
    }
}
