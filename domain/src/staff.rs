//! Staff: a staff number is registered once, with one role and a bearer token (kept only as its
//! SHA-256); the token is replaced (rotated, optionally expiring), revoked, and a staff member who
//! leaves is deactivated, each as an event on the staff number's stream. Whether a token is valid
//! is decided here, from those events and the time the caller passes in.

use crate::aggregate::Aggregate;
use crate::ids::StaffId;
use crate::text::{MAX_NAME_CHARS, bounded, identifier, identity};
use crate::{DomainError, Event, Role};

/// A staff number's registration and its token.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Staff {
    /// The staff member registered under this number, if any.
    pub staff_id: Option<StaffId>,
    /// Who they are, as registered.
    pub actor: Option<crate::Actor>,
    /// The SHA-256 of their one valid token, if any (none after a revocation).
    pub token_sha256: Option<String>,
    /// When that token stops being valid, if it expires.
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Deactivated: no token is valid or issued.
    pub deactivated: bool,
}

impl Staff {
    /// The staff member a token with this hash authenticates at `now`: the registered member,
    /// while active, if it is their current token and it has not expired.
    #[must_use]
    pub fn authenticates(
        &self,
        token_sha256: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Option<crate::Actor> {
        if self.deactivated || self.token_sha256.as_deref() != Some(token_sha256) {
            return None;
        }
        if self.expires_at.is_some_and(|at| now >= at) {
            return None;
        }
        self.actor.clone()
    }
}

/// Commands on a staff number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffCommand {
    /// Register a staff member. `token_sha256` is the hex SHA-256 of the bearer token.
    Register {
        staff_id: StaffId,
        staff_no: String,
        name: String,
        role: Role,
        department: Option<String>,
        token_sha256: String,
    },
    /// Replace the token (rotate it, or issue one after a revocation), optionally expiring.
    IssueToken {
        token_sha256: String,
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
        /// The time of the request, for checking the expiry.
        now: chrono::DateTime<chrono::Utc>,
    },
    /// Revoke the current token.
    RevokeToken,
    /// Deactivate the staff member (they left, or are suspended).
    Deactivate { reason: String },
}

impl Aggregate for Staff {
    type Command = StaffCommand;

    fn apply(&mut self, event: &Event) {
        match event {
            Event::StaffRegistered {
                staff_id,
                staff_no,
                role,
                department,
                token_sha256,
                ..
            } => {
                self.staff_id = Some(*staff_id);
                self.actor = Some(crate::Actor {
                    staff_id: *staff_id,
                    staff_no: staff_no.clone(),
                    role: *role,
                    department: department.clone(),
                });
                self.token_sha256 = Some(token_sha256.clone());
            }
            Event::TokenIssued {
                token_sha256,
                expires_at,
                ..
            } => {
                self.token_sha256 = Some(token_sha256.clone());
                self.expires_at = *expires_at;
            }
            Event::TokenRevoked { .. } => {
                self.token_sha256 = None;
                self.expires_at = None;
            }
            Event::StaffDeactivated { .. } => {
                self.deactivated = true;
                self.token_sha256 = None;
                self.expires_at = None;
            }
            _ => {}
        }
    }

    fn decide(&self, command: &StaffCommand) -> Result<Vec<Event>, DomainError> {
        let (token_sha256, expires_at, now) = match command {
            StaffCommand::Register { .. } => return self.register(command),
            StaffCommand::IssueToken {
                token_sha256,
                expires_at,
                now,
            } => (token_sha256, expires_at, now),
            StaffCommand::RevokeToken => {
                let (staff_id, staff_no) = self.registered()?;
                if self.token_sha256.is_none() {
                    return Err(DomainError::NoTokenToRevoke(staff_no));
                }
                return Ok(vec![Event::TokenRevoked { staff_id }]);
            }
            StaffCommand::Deactivate { reason } => {
                let (staff_id, _) = self.registered()?;
                let reason = bounded("reason", reason, MAX_NAME_CHARS)?;
                return Ok(vec![Event::StaffDeactivated { staff_id, reason }]);
            }
        };
        let (staff_id, _) = self.registered()?;
        if expires_at.is_some_and(|at| at <= *now) {
            return Err(DomainError::ExpiryInThePast);
        }
        assert_eq!(token_sha256.len(), 64, "token hash is hex SHA-256");
        Ok(vec![Event::TokenIssued {
            staff_id,
            token_sha256: token_sha256.clone(),
            expires_at: *expires_at,
        }])
    }
}

impl Staff {
    /// The registered, active staff member's id and number, else why not.
    fn registered(&self) -> Result<(StaffId, String), DomainError> {
        let Some(actor) = &self.actor else {
            return Err(DomainError::StaffNoUnknown(String::new()));
        };
        if self.deactivated {
            return Err(DomainError::StaffDeactivated(actor.staff_no.clone()));
        }
        Ok((actor.staff_id, actor.staff_no.clone()))
    }

    fn register(&self, command: &StaffCommand) -> Result<Vec<Event>, DomainError> {
        let StaffCommand::Register {
            staff_id,
            staff_no,
            name,
            role,
            department,
            token_sha256,
        } = command
        else {
            unreachable!("register is called with a Register command");
        };
        let staff_no = identity("staffNo", staff_no)?;
        let name = bounded("name", name, MAX_NAME_CHARS)?;
        let department = match (role, department) {
            (Role::Department, Some(d)) => Some(identifier("department", d, MAX_NAME_CHARS)?),
            (Role::Department, None) => {
                return Err(DomainError::InvalidDepartment {
                    role: "DEPARTMENT",
                    reason: "requires a department",
                });
            }
            (_, Some(d)) if !d.trim().is_empty() => {
                return Err(DomainError::InvalidDepartment {
                    role: "non-DEPARTMENT",
                    reason: "takes no department",
                });
            }
            (_, _) => None,
        };
        if self.staff_id.is_some() {
            return Err(DomainError::StaffNoTaken(staff_no));
        }
        assert_eq!(token_sha256.len(), 64, "token hash is hex SHA-256");
        Ok(vec![Event::StaffRegistered {
            staff_id: *staff_id,
            staff_no,
            name,
            role: *role,
            department,
            token_sha256: token_sha256.clone(),
        }])
    }
}

/// Registers a staff member (or manages one, [`manage`]): an ADMIN's act, or the command
/// line's when `actor` is `None` (which is how the first ADMIN is made).
pub fn register(
    actor: Option<&crate::Actor>,
    staff: &Staff,
    command: &StaffCommand,
) -> Result<Event, DomainError> {
    if let Some(actor) = actor {
        actor.require(Role::Admin)?;
    }
    Ok(crate::aggregate::single(staff.decide(command)?))
}

/// Issues, revokes a token or deactivates a staff member: an ADMIN's act, or the command line's
/// when `actor` is `None` (whoever holds the data directory or the database). The same rule
/// as registration.
pub fn manage(
    actor: Option<&crate::Actor>,
    staff: &Staff,
    command: &StaffCommand,
) -> Result<Event, DomainError> {
    register(actor, staff, command)
}
