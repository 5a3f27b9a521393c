//! `audit_index`: what the audit trail filters on, per event, and each event's hash as the
//! views applied it (the views' witness of the log, decision 0022).

use yika_domain::Event;

use super::tables::AuditRecord;
use super::{Applied, Projector, Rows};
use crate::ProjectionError;

/// The audit index.
pub struct AuditIndex;

impl Projector for AuditIndex {
    fn name(&self) -> &'static str {
        "audit index"
    }
    fn tables(&self) -> &'static [&'static str] {
        &["audit_index"]
    }
    fn events(&self) -> Option<&'static [&'static str]> {
        None
    }
    fn fold(&self, rows: &mut Rows, applied: &Applied<'_>) -> Result<(), ProjectionError> {
        let event = applied.event;
        let department = match event {
            Event::ChargeDeducted { department, .. }
            | Event::DeductionReversed { department, .. } => Some(department.clone()),
            Event::StaffRegistered { department, .. } => department.clone(),
            _ => None,
        };
        rows.audit_index.push(AuditRecord {
            position: applied.position,
            event_type: applied.recorded.event_type.clone(),
            account_id: event.account_id().map(|a| a.to_string()),
            shift_id: event.shift_id().map(|s| s.to_string()),
            actor_id: applied.metadata.actor_id.map(|a| a.to_string()),
            department,
            recorded_at: applied.at.clone(),
            hash: Some(applied.recorded.hash.clone()),
            business_at: Some(applied.business_at()),
            back_entry: applied.metadata.back_entry.clone(),
        });
        Ok(())
    }
}
