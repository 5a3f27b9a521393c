//! `staff`, `staff_tokens`: staff members, their roles and token hashes (the token index of
//! authentication; revocations and deactivations are read from the log, not from here).

use yika_domain::Event;

use super::tables::{StaffRecord, StaffTokenRecord};
use super::{Applied, Projector, Rows, enum_text};
use crate::ProjectionError;

/// The staff view.
pub struct Staff;

impl Projector for Staff {
    fn name(&self) -> &'static str {
        "staff"
    }
    fn tables(&self) -> &'static [&'static str] {
        &["staff", "staff_tokens"]
    }
    fn events(&self) -> Option<&'static [&'static str]> {
        Some(&["StaffRegistered", "TokenIssued"])
    }
    fn fold(&self, rows: &mut Rows, applied: &Applied<'_>) -> Result<(), ProjectionError> {
        if let Event::StaffRegistered {
            staff_id,
            staff_no,
            name,
            role,
            department,
            token_sha256,
        } = applied.event
        {
            rows.staff.push(StaffRecord {
                staff_id: staff_id.to_string(),
                staff_no: staff_no.clone(),
                name: name.clone(),
                role: enum_text(role),
                department: department.clone(),
                token_sha256: token_sha256.clone(),
                registered_at: applied.at.clone(),
            });
        }
        if let Event::TokenIssued {
            staff_id,
            token_sha256,
            ..
        } = applied.event
        {
            rows.staff_tokens.push(StaffTokenRecord {
                token_sha256: token_sha256.clone(),
                staff_id: staff_id.to_string(),
                issued_at: applied.at.clone(),
            });
        }
        Ok(())
    }
}
