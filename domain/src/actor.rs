//! Who acts: the authenticated staff member a command is decided for. Every rule that depends
//! on who asks (a role, a department, one's own shift) is decided here in the domain, with the
//! actor passed into the decision like any other input.

use crate::ids::StaffId;
use crate::{DomainError, Role};

/// The staff member acting on a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Their id (the id of their `StaffRegistered` event).
    pub staff_id: StaffId,
    /// Their staff number (工号): the prefix of a cashier's receipt series.
    pub staff_no: String,
    /// Their one role.
    pub role: Role,
    /// Their department (DEPARTMENT role only).
    pub department: Option<String>,
}

impl Actor {
    /// Refuses unless the actor has `role`.
    pub fn require(&self, role: Role) -> Result<(), DomainError> {
        if self.role == role {
            Ok(())
        } else {
            Err(DomainError::RoleRequired(role))
        }
    }

    /// Refuses unless the actor is a DEPARTMENT acting for its own department ("whoever
    /// executes, deducts": a department charges only for what it executed itself).
    pub fn require_department(&self, department: &str) -> Result<(), DomainError> {
        self.require(Role::Department)?;
        let department = crate::text::fold_width(department);
        if self.department.as_deref() == Some(department.trim()) {
            Ok(())
        } else {
            Err(DomainError::ForAnotherDepartment)
        }
    }
}
