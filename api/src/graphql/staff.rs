//! Staff: `me`, `registerStaff` and the `Staff` type other capabilities link to.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use uuid::Uuid;
use yika_domain::StaffId;
use yika_projections::StaffRow;

use super::answer::acting;
use super::context::{actor, app};
use super::scalars::Role;
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
        Ok(StaffToken { staff, token })
    }
}
