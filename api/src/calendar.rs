//! The hospital's calendar: a report's day is a local calendar day, shifts settle at a prescribed
//! local time (结账), and night runs from 20:00 to 06:00 local. The time zone and the settlement
//! time are configuration (`yika serve --time-zone --settlement-time`).

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The hospital's calendar.
#[derive(Debug, Clone, Copy)]
pub struct Calendar {
    /// The hospital's time zone (default Asia/Shanghai).
    pub time_zone: Tz,
    /// The prescribed daily settlement time (结账), default 17:30 local.
    pub settlement_time: NaiveTime,
    /// How long after its close a shift may wait for its hand-over before it is flagged
    /// overdue (default 24 hours).
    pub hand_over_within: Duration,
    /// How far back a back-entry (补录) may go (default 72 hours).
    pub back_entry_within: Duration,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar {
            time_zone: chrono_tz::Asia::Shanghai,
            settlement_time: NaiveTime::from_hms_opt(17, 30, 0).expect("a time"),
            hand_over_within: Duration::hours(24),
            back_entry_within: Duration::hours(72),
        }
    }
}

/// Night starts at 20:00 and ends at 06:00, local time: a shift opened then is a night shift.
const NIGHT_STARTS: u32 = 20;
const NIGHT_ENDS: u32 = 6;

impl Calendar {
    /// The UTC instants where a local day starts and where the next one starts.
    #[must_use]
    pub fn day(&self, date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
        let start = |d: NaiveDate| {
            let midnight = d.and_hms_opt(0, 0, 0).expect("midnight");
            self.time_zone
                .from_local_datetime(&midnight)
                .earliest()
                .unwrap_or_else(|| {
                    Utc.from_utc_datetime(&midnight)
                        .with_timezone(&self.time_zone)
                })
                .with_timezone(&Utc)
        };
        // The last day chrono can name has no successor: its day ends where it starts (the API
        // refuses such dates long before; this keeps the calendar total).
        (start(date), start(date.succ_opt().unwrap_or(date)))
    }

    /// A local day as the reports read it: its bounds and the day before's start.
    #[must_use]
    pub fn business_day(&self, date: NaiveDate) -> yika_projections::reports::BusinessDay {
        let (start, end) = self.day(date);
        let (previous_start, _) = self.day(date.pred_opt().unwrap_or(date));
        yika_projections::reports::BusinessDay {
            date,
            start,
            end,
            previous_start,
        }
    }

    /// The hospital's business date now.
    #[must_use]
    pub fn today(&self) -> NaiveDate {
        self.date_of(Utc::now())
    }

    /// The local date of an instant.
    #[must_use]
    pub fn date_of(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.time_zone).date_naive()
    }

    /// The first settlement time after `opened_at`.
    #[must_use]
    pub fn settlement_after(&self, opened_at: DateTime<Utc>) -> DateTime<Utc> {
        let local = opened_at.with_timezone(&self.time_zone);
        let mut day = local.date_naive();
        loop {
            let at = day.and_time(self.settlement_time);
            if let Some(at) = self.time_zone.from_local_datetime(&at).earliest()
                && at > local
            {
                return at.with_timezone(&Utc);
            }
            day += Duration::days(1);
        }
    }

    /// True when the local hour of `at` is at night.
    #[must_use]
    pub fn is_night(&self, at: DateTime<Utc>) -> bool {
        use chrono::Timelike;
        let hour = at.with_timezone(&self.time_zone).hour();
        !(NIGHT_ENDS..NIGHT_STARTS).contains(&hour)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_local_day_in_shanghai_starts_at_16_00_utc_the_day_before() {
        // Goal: the report's day is the hospital's calendar day, not UTC's.
        let (start, end) = Calendar::default().day(NaiveDate::from_ymd_opt(2026, 11, 22).unwrap());
        assert_eq!(start, utc("2026-11-21T16:00:00Z"));
        assert_eq!(end, utc("2026-11-22T16:00:00Z"));
    }

    #[test]
    fn a_shift_is_overdue_after_the_first_settlement_time_after_it_opened() {
        // Goal: 17:30 local settles a shift opened that morning; an evening shift settles the
        // next day at 17:30.
        let calendar = Calendar::default();
        assert_eq!(
            calendar.settlement_after(utc("2026-11-22T00:30:00Z")),
            utc("2026-11-22T09:30:00Z")
        );
        assert_eq!(
            calendar.settlement_after(utc("2026-11-22T10:00:00Z")),
            utc("2026-11-23T09:30:00Z")
        );
    }

    #[test]
    fn night_runs_from_20_00_to_06_00_local() {
        // Goal: the night boundary is in local time.
        let calendar = Calendar::default();
        assert!(calendar.is_night(utc("2026-11-22T12:00:00Z"))); // 20:00 local
        assert!(calendar.is_night(utc("2026-11-22T21:59:00Z"))); // 05:59 local
        assert!(!calendar.is_night(utc("2026-11-22T22:00:00Z"))); // 06:00 local
        assert!(!calendar.is_night(utc("2026-11-22T11:59:00Z"))); // 19:59 local
    }
}
