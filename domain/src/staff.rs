//! Staff registration: a staff number is registered once, with one role.

use crate::aggregate::Aggregate;
use crate::ids::StaffId;
use crate::text::{MAX_NAME_CHARS, bounded, identifier, identity};
use crate::{DomainError, Event, Role};

/// A staff number's registration.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Staff {
    /// The staff member registered under this number, if any.
    pub staff_id: Option<StaffId>,
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
}

impl Aggregate for Staff {
    type Command = StaffCommand;

    fn apply(&mut self, event: &Event) {
        if let Event::StaffRegistered { staff_id, .. } = event {
            self.staff_id = Some(*staff_id);
        }
    }

    fn decide(&self, command: &StaffCommand) -> Result<Vec<Event>, DomainError> {
        let StaffCommand::Register {
            staff_id,
            staff_no,
            name,
            role,
            department,
            token_sha256,
        } = command;
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

/// Registers a staff member: an ADMIN's act, or the command line's when `actor` is `None`
/// (which is how the first ADMIN is made).
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
