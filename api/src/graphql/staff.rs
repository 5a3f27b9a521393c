//! Staff: `me`, `registerStaff`, the token lifecycle (`rotateToken`, `revokeToken`,
//! `deactivateStaff`) and the `Staff` type other capabilities link to.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use uuid::Uuid;
use yika_domain::StaffId;
use yika_projections::StaffRow;

use super::answer::acting;
use super::context::{actor, app};
use super::scalars::{Role, check_instant};
use crate::application::RegisterStaff;
use crate::error::{ApiError, GqlResult};

/// A staff member.
pub struct Staff(pub StaffRow);

#[Object]
impl Staff {
    async fn id(&self) -> Uuid {
        self.0.staff_id.as_uuid()
    }
    async fn staff_no(&self) -> &str {
        &self.0.staff_no
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn role(&self) -> Role {
        self.0.role.into()
    }
    async fn department(&self) -> Option<&str> {
        self.0.department.as_deref()
    }
}

/// A staff member by id, from the staff view.
pub(super) async fn staff_by_id(ctx: &Context<'_>, staff_id: StaffId) -> GqlResult<Option<Staff>> {
    Ok(app(ctx)?.read.staff(staff_id).await?.map(Staff))
}

/// A staff member who must exist (an actor the views recorded).
pub(super) async fn known_staff(
    ctx: &Context<'_>,
    staff_id: StaffId,
    what: &str,
) -> GqlResult<Staff> {
    staff_by_id(ctx, staff_id)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("{what}: unknown staff {staff_id}")).into())
}

/// A new staff member and their token, which is shown this once and stored only as a hash.
#[derive(SimpleObject)]
pub struct StaffToken {
    /// The staff member.
    pub staff: Staff,
    /// The bearer token.
    pub token: String,
    /// When it stops working, if it expires.
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(InputObject)]
struct RotateTokenInput {
    staff_no: String,
    /// The new token stops working at this instant (none: it does not expire).
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(InputObject)]
struct RevokeTokenInput {
    staff_no: String,
}

#[derive(InputObject)]
struct DeactivateStaffInput {
    staff_no: String,
    /// Why (离职, 停职…), kept in the log.
    reason: String,
}

#[derive(InputObject)]
struct RegisterStaffInput {
    staff_no: String,
    name: String,
    role: Role,
    department: Option<String>,
}

/// Staff queries.
#[derive(Default)]
pub struct StaffQuery;

#[Object]
impl StaffQuery {
    /// The authenticated staff member.
    async fn me(&self, ctx: &Context<'_>) -> GqlResult<Staff> {
        let actor = actor(ctx)?;
        staff_by_id(ctx, actor.staff_id)
            .await?
            .ok_or(ApiError::Unauthenticated.into())
    }
}

/// Staff mutations.
#[derive(Default)]
pub struct StaffMutation;

#[Object]
impl StaffMutation {
    /// ADMIN: registers a staff member; the token is shown once.
    async fn register_staff(
        &self,
        ctx: &Context<'_>,
        input: RegisterStaffInput,
    ) -> GqlResult<StaffToken> {
        let actor = acting(ctx)?;
        let (staff_id, token) = app(ctx)?
            .register_staff(
                Some(actor),
                RegisterStaff {
                    staff_no: input.staff_no,
                    name: input.name,
                    role: input.role.into(),
                    department: input.department,
                },
            )
            .await?;
        let staff = known_staff(ctx, staff_id, "registered staff not in the views").await?;
        Ok(StaffToken {
            staff,
            token,
            expires_at: None,
        })
    }

    /// ADMIN: replaces a staff member's token with a new one (shown once), optionally
    /// expiring; the old token is refused on every server within a second.
    async fn rotate_token(
        &self,
        ctx: &Context<'_>,
        input: RotateTokenInput,
    ) -> GqlResult<StaffToken> {
        let actor = acting(ctx)?;
        let expires_at = input
            .expires_at
            .map(|at| check_instant("expiresAt", at))
            .transpose()?;
        let change = app(ctx)?
            .issue_token(Some(actor), &input.staff_no, expires_at)
            .await?;
        let staff = known_staff(ctx, change.staff_id, "staff not in the views").await?;
        Ok(StaffToken {
            staff,
            token: change.token.unwrap_or_default(),
            expires_at,
        })
    }

    /// ADMIN: revokes a staff member's token (until `rotateToken` issues a new one); it is
    /// refused on every server within a second, and its live subscriptions are closed.
    async fn revoke_token(&self, ctx: &Context<'_>, input: RevokeTokenInput) -> GqlResult<Staff> {
        let actor = acting(ctx)?;
        let change = app(ctx)?.revoke_token(Some(actor), &input.staff_no).await?;
        known_staff(ctx, change.staff_id, "staff not in the views").await
    }

    /// ADMIN: deactivates a staff member who left or is suspended: no token of theirs works
    /// again, and none is issued to them.
    async fn deactivate_staff(
        &self,
        ctx: &Context<'_>,
        input: DeactivateStaffInput,
    ) -> GqlResult<Staff> {
        let actor = acting(ctx)?;
        let change = app(ctx)?
            .deactivate_staff(Some(actor), &input.staff_no, &input.reason)
            .await?;
        known_staff(ctx, change.staff_id, "staff not in the views").await
    }
}
