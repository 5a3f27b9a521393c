//! The API's error: every refusal carries one of the contract's `extensions.code` values.

use yika_domain::{DomainError, MoneyError};
use yika_projections::ProjectionError;
use yika_store::StoreError;

/// A refused or failed request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A business rule refused the command.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// No valid bearer token.
    #[error("a valid bearer token is required")]
    Unauthenticated,
    /// The caller's role or department may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// Bad input that no business rule covers.
    #[error("{0}")]
    Validation(String),
    /// The idempotency key (or order id) was used before with another input.
    #[error("{0} was already used with a different input")]
    IdempotencyMismatch(String),
    /// Concurrent writers kept winning; the caller may retry.
    #[error("the request conflicted with concurrent changes; retry it")]
    Conflict,
    /// A size limit was exceeded.
    #[error("{0}")]
    LimitExceeded(String),
    /// Something broke inside; details are logged, not shown.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// The contract's error code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Domain(error) => domain_code(error),
            ApiError::Unauthenticated => "UNAUTHENTICATED",
            ApiError::Forbidden(_) => "FORBIDDEN",
            ApiError::NotFound(_) => "NOT_FOUND",
            ApiError::Validation(_) => "VALIDATION",
            ApiError::IdempotencyMismatch(_) => "IDEMPOTENCY_MISMATCH",
            ApiError::Conflict => "CONFLICT",
            ApiError::LimitExceeded(_) => "LIMIT_EXCEEDED",
            ApiError::Internal(_) => "INTERNAL",
        }
    }
}

fn domain_code(error: &DomainError) -> &'static str {
    match error {
        DomainError::Money(_)
        | DomainError::InvalidText { .. }
        | DomainError::InvalidQuantity(_)
        | DomainError::InvalidDepartment { .. }
        | DomainError::BalanceNotZero(_)
        | DomainError::ReversalExceedsRemaining { .. } => "VALIDATION",
        DomainError::AccountNotFound
        | DomainError::DeductionNotFound(_)
        | DomainError::ShiftNotFound(_)
        | DomainError::StaffNotFound(_)
        | DomainError::StaffNoUnknown(_) => "NOT_FOUND",
        DomainError::AccountAlreadyExists(_)
        | DomainError::CardAlreadyIssued { .. }
        | DomainError::StaffNoTaken(_)
        | DomainError::ShiftAlreadyOpen(_)
        | DomainError::DeductionAlreadyRecorded(_)
        | DomainError::OrderAlreadyDeducted(_) => "CONFLICT",
        DomainError::AccountClosed(_) => "ACCOUNT_CLOSED",
        DomainError::InsufficientBalance { .. } | DomainError::NothingToRefund(_) => {
            "INSUFFICIENT_BALANCE"
        }
        DomainError::ReversalByOtherDepartment { .. }
        | DomainError::ShiftOfAnotherCashier(_)
        | DomainError::RoleRequired(_)
        | DomainError::ForAnotherDepartment
        | DomainError::CountByOtherRole => "FORBIDDEN",
        DomainError::ShiftNotOpen(_) => "SHIFT_NOT_OPEN",
        DomainError::InsufficientCash { .. } => "INSUFFICIENT_CASH",
        DomainError::AlreadySettled(_) => "ALREADY_SETTLED",
        DomainError::NotInpatient
        | DomainError::InsuranceExceedsCharges { .. }
        | DomainError::SelfPayWithInsurance => "VALIDATION",
        DomainError::ShiftStillOpen(_) => "VALIDATION",
        DomainError::AlreadyHandedOver(_) => "CONFLICT",
        DomainError::TotalTooLarge { .. } => "LIMIT_EXCEEDED",
        DomainError::StaffDeactivated(_) | DomainError::NoTokenToRevoke(_) => "CONFLICT",
        DomainError::ExpiryInThePast => "VALIDATION",
        DomainError::StatementLineNotFound(_) | DomainError::MovementNotFound(_) => "NOT_FOUND",
        DomainError::AlreadyDeclared(_)
        | DomainError::VarianceAlreadyResolved(_)
        | DomainError::LineAlreadyMatched(_)
        | DomainError::MovementAlreadyMatched { .. }
        | DomainError::RemittanceAlreadyRecorded(_) => "CONFLICT",
        DomainError::NoVariance(_)
        | DomainError::NothingToRepay(_)
        | DomainError::LineNotMatched(_)
        | DomainError::MovementDiffers(_)
        | DomainError::CashHasNoStatement
        | DomainError::NothingOwed { .. }
        | DomainError::PeriodOverlaps { .. }
        | DomainError::PeriodReversed => "VALIDATION",
        DomainError::TooManyLines { .. } => "LIMIT_EXCEEDED",
        DomainError::DayInTheFuture(_)
        | DomainError::BackEntryInTheFuture
        | DomainError::BackEntryTooOld { .. } => "VALIDATION",
        DomainError::DayAlreadyClosed(_) | DomainError::DayNotReady { .. } => "CONFLICT",
    }
}

impl From<MoneyError> for ApiError {
    fn from(error: MoneyError) -> Self {
        ApiError::Domain(DomainError::Money(error))
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict { .. } => ApiError::Conflict,
            StoreError::IdempotencyMismatch { key } => ApiError::IdempotencyMismatch(key),
            StoreError::Invalid(reason) => ApiError::LimitExceeded(reason.to_owned()),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<ProjectionError> for ApiError {
    fn from(error: ProjectionError) -> Self {
        ApiError::Internal(error.to_string())
    }
}

impl From<yika_domain::EventDecodeError> for ApiError {
    fn from(error: yika_domain::EventDecodeError) -> Self {
        ApiError::Internal(error.to_string())
    }
}

/// A GraphQL field error that always carries `extensions.code`. It deliberately does not
/// implement `Display`, so async-graphql's blanket conversion (which would drop the code) can
/// never be picked by `?` in a resolver.
#[derive(Clone, Debug)]
pub struct GqlError(async_graphql::Error);

impl<E: Into<ApiError>> From<E> for GqlError {
    fn from(error: E) -> Self {
        let error: ApiError = error.into();
        use async_graphql::ErrorExtensions;
        if let ApiError::Internal(detail) = &error {
            tracing::error!(%detail, "internal error");
        }
        let code = error.code();
        // A day that cannot be closed names the shifts in the way.
        let blocking: Option<Vec<String>> = match &error {
            ApiError::Domain(DomainError::DayNotReady { shifts, .. }) => {
                Some(shifts.iter().map(ToString::to_string).collect())
            }
            _ => None,
        };
        GqlError(
            async_graphql::Error::new(error.to_string()).extend_with(|_, e| {
                e.set("code", code);
                if let Some(blocking) = &blocking {
                    e.set("blockingShifts", blocking.clone());
                }
            }),
        )
    }
}

impl From<GqlError> for async_graphql::Error {
    fn from(error: GqlError) -> Self {
        error.0
    }
}

/// Results of GraphQL resolvers.
pub type GqlResult<T> = Result<T, GqlError>;

/// Results of the application layer.
pub type ApiResult<T> = Result<T, ApiError>;
