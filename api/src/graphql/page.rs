//! Relay-style paging shared by every list: page sizes, their limits and defaults, opaque
//! cursors, and a page's weight in a query's complexity.

use async_graphql::SimpleObject;
use yika_projections::read::MAX_PAGE;

use crate::error::{ApiError, GqlResult};

/// The page size of accounts and shifts when `first` is absent or null.
pub(crate) const DEFAULT_PAGE: i32 = 50;
/// The page size of auditTrail and statements when `first` is absent or null.
pub(crate) const DEFAULT_EVENT_PAGE: i32 = 100;

/// Relay page information.
#[derive(SimpleObject)]
pub struct PageInfo {
    /// More items follow.
    pub has_next_page: bool,
    /// The cursor of the last edge, to pass as `after`.
    pub end_cursor: Option<String>,
}

/// The weight of a page's selection in the query's complexity: the items it may hold.
pub(crate) fn page_weight(first: Option<i32>, default: i32) -> usize {
    usize::try_from(first.unwrap_or(default)).map_or(1, |n| n.clamp(1, MAX_PAGE))
}

/// Checks a page size against the limit; an absent or null `first` is the field's default
/// (the contract's `first: Int = N` is nullable, so a client may pass a null variable).
pub(crate) fn page_size(first: Option<i32>, default: i32) -> GqlResult<usize> {
    let first = first.unwrap_or(default);
    let first = usize::try_from(first)
        .map_err(|_| ApiError::Validation("first must not be negative".to_owned()))?;
    if first > MAX_PAGE {
        return Err(ApiError::LimitExceeded(format!("first may be at most {MAX_PAGE}")).into());
    }
    Ok(first)
}

/// Parses an opaque cursor from a previous page.
pub(crate) fn parse_cursor(cursor: Option<&str>) -> GqlResult<Option<i64>> {
    cursor
        .map(|c| {
            c.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| ApiError::Validation(format!("bad cursor {c:?}")).into())
        })
        .transpose()
}
