//! `days`: each closed business day (日结): the close's position, the position its signed report
//! is as of, and the report's hash. The report itself stays in the `DayClosed` event.

use yika_domain::Event;

use super::tables::DayRecord;
use super::{Applied, Projector, Rows};
use crate::ProjectionError;

/// The days view.
pub struct Days;

impl Projector for Days {
    fn name(&self) -> &'static str {
        "days"
    }
    fn tables(&self) -> &'static [&'static str] {
        &["days"]
    }
    fn events(&self) -> Option<&'static [&'static str]> {
        Some(&["DayClosed"])
    }
    fn fold(&self, rows: &mut Rows, applied: &Applied<'_>) -> Result<(), ProjectionError> {
        if let Event::DayClosed {
            date,
            report,
            report_sha256,
            closed_by,
            ..
        } = applied.event
        {
            rows.days.push(DayRecord {
                date: date.to_string(),
                position: applied.position,
                as_of_position: i64::try_from(report.as_of_position)
                    .map_err(|_| applied.corrupt("as_of_position out of range"))?,
                report_sha256: report_sha256.clone(),
                closed_by: closed_by.to_string(),
                closed_at: applied.at.clone(),
            });
        }
        Ok(())
    }
}
