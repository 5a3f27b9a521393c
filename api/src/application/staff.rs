//! Staff: registration with a role (and a department for a DEPARTMENT terminal) and a bearer
//! token that is shown once and stored only as its hash.

use serde::Serialize;
use uuid::Uuid;
use yika_domain::ids::streams;
use yika_domain::text::identity;
use yika_domain::{Actor, Role, Staff, StaffCommand, StaffId};

use super::{App, Write};
use crate::auth::{new_token, token_hash};
use crate::error::ApiResult;

/// Input of `registerStaff`.
#[derive(Debug, Clone, Serialize)]
pub struct RegisterStaff {
    pub staff_no: String,
    pub name: String,
    pub role: Role,
    pub department: Option<String>,
}

impl App {
    /// Registers a staff member; answers their id and their token (shown once). `actor` is
    /// `None` only for the command line, which is how the first ADMIN is made. A staff
    /// member's id is the id of the event that registered them, so a command naming a staff id
    /// finds the staff stream in the log (decision 0002).
    pub async fn register_staff(
        &self,
        actor: Option<&Actor>,
        input: RegisterStaff,
    ) -> ApiResult<(StaffId, String)> {
        if let Some(actor) = actor {
            actor.require(Role::Admin)?;
        }
        let staff_no = identity("staffNo", &input.staff_no)?;
        let stream = streams::staff(&staff_no);
        let token = new_token();
        let hash = token_hash(&token);
        let written = self
            .execute(actor, &stream, None, || async {
                let staff = self.load::<Staff>(&stream).await?;
                let event_id = Uuid::now_v7();
                let registered = yika_domain::staff::register(
                    actor,
                    &staff.state,
                    &StaffCommand::Register {
                        staff_id: StaffId(event_id),
                        staff_no: staff_no.clone(),
                        name: input.name.clone(),
                        role: input.role,
                        department: input.department.clone(),
                        token_sha256: hash.clone(),
                    },
                )?;
                Ok(vec![Write::with_id(
                    stream.clone(),
                    staff.revision,
                    event_id,
                    registered,
                )])
            })
            .await?;
        let staff_id = StaffId(written.take("StaffRegistered")?.event_id);
        Ok((staff_id, token))
    }
}
