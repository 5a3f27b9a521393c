//! What a resolver finds in the request's context: the application, the caller and the
//! hospital's calendar.

use async_graphql::Context;

use crate::application::App;
use crate::auth::{Actor, Caller};
use crate::calendar::Calendar;
use crate::error::{ApiError, GqlResult};

/// The application the schema serves.
pub(crate) fn app<'a>(ctx: &Context<'a>) -> GqlResult<&'a App> {
    ctx.data::<App>()
        .map_err(|_| ApiError::Internal("no application in the schema".to_owned()).into())
}

/// The authenticated staff member, or UNAUTHENTICATED.
pub(crate) fn actor<'a>(ctx: &Context<'a>) -> GqlResult<&'a Actor> {
    match ctx.data::<Caller>() {
        Ok(caller) => Ok(caller.actor()?),
        Err(_) => Err(ApiError::Unauthenticated.into()),
    }
}

/// The hospital's calendar.
pub(crate) fn calendar(ctx: &Context<'_>) -> Calendar {
    ctx.data::<Calendar>().copied().unwrap_or_default()
}
