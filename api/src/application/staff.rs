//! Staff: registration with a role (and a department for a DEPARTMENT terminal) and a bearer
//! token that is shown once and stored only as its hash.

use serde::Serialize;
use uuid::Uuid;
use yika_domain::ids::streams;
use yika_domain::text::identity;
use yika_domain::{Actor, Event, Role, Staff, StaffCommand, StaffId};

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

/// What a staff member's token lifecycle command did.
#[derive(Debug, Clone)]
pub struct StaffChange {
    /// Whom it concerned.
    pub staff_id: StaffId,
    /// A new token, shown this once (only for an issue).
    pub token: Option<String>,
}

impl App {
    /// ADMIN (or the command line, `actor` `None`): replaces a staff member's token with a new
    /// one, optionally expiring; the old token stops working at once on every server.
    pub async fn issue_token(
        &self,
        actor: Option<&Actor>,
        staff_no: &str,
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> ApiResult<StaffChange> {
        let token = new_token();
        let command = StaffCommand::IssueToken {
            token_sha256: token_hash(&token),
            expires_at,
            now: self.clock.now(),
        };
        let mut change = self.manage_staff(actor, staff_no, command).await?;
        change.token = Some(token);
        Ok(change)
    }

    /// ADMIN (or the command line): revokes a staff member's token.
    pub async fn revoke_token(
        &self,
        actor: Option<&Actor>,
        staff_no: &str,
    ) -> ApiResult<StaffChange> {
        self.manage_staff(actor, staff_no, StaffCommand::RevokeToken)
            .await
    }

    /// ADMIN (or the command line): deactivates a staff member who left or is suspended.
    pub async fn deactivate_staff(
        &self,
        actor: Option<&Actor>,
        staff_no: &str,
        reason: &str,
    ) -> ApiResult<StaffChange> {
        let command = StaffCommand::Deactivate {
            reason: reason.to_owned(),
        };
        self.manage_staff(actor, staff_no, command).await
    }

    async fn manage_staff(
        &self,
        actor: Option<&Actor>,
        staff_no: &str,
        command: StaffCommand,
    ) -> ApiResult<StaffChange> {
        if let Some(actor) = actor {
            actor.require(Role::Admin)?;
        }
        let staff_no = identity("staffNo", staff_no)?;
        let stream = streams::staff(&staff_no);
        let written = self
            .execute(actor, &stream, None, || async {
                let staff = self.load::<Staff>(&stream).await?;
                if staff.state.actor.is_none() {
                    return Err(yika_domain::DomainError::StaffNoUnknown(staff_no.clone()).into());
                }
                let event = yika_domain::staff::manage(actor, &staff.state, &command)?;
                Ok(vec![Write::new(stream.clone(), staff.revision, [event])])
            })
            .await?;
        let staff_id = written.find(|e| match &e.event {
            Event::TokenIssued { staff_id, .. }
            | Event::TokenRevoked { staff_id }
            | Event::StaffDeactivated { staff_id, .. } => Some(*staff_id),
            _ => None,
        })?;
        Ok(StaffChange {
            staff_id,
            token: None,
        })
    }
}
