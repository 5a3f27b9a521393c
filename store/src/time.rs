//! The log's one time format: how a recorded time is stored, hashed and read back by every
//! backend (RFC 3339 in UTC, microseconds, `Z`). It lives here, beside the hash chain that
//! covers it, so that no backend imports another's.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::StoreError;

/// Where a store reads the time it stamps on a commit: the system's clock, or (only for
/// `yika demo`'s simulated hospital, decision 0032) a simulated one that the simulation moves
/// forward. The log's rule that recorded times never go backwards holds either way.
#[derive(Clone)]
pub struct Clock(Option<std::sync::Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>>);

impl Clock {
    /// The system's clock.
    #[must_use]
    pub fn system() -> Clock {
        Clock(None)
    }

    /// A clock that reads `now`.
    #[must_use]
    pub fn simulated(now: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Clock {
        Clock(Some(std::sync::Arc::new(now)))
    }

    /// The time now, by this clock.
    #[must_use]
    pub fn now(&self) -> DateTime<Utc> {
        self.0.as_ref().map_or_else(Utc::now, |now| now())
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Clock(simulated)"
        } else {
            "Clock(system)"
        })
    }
}

/// Formats a time the way it is stored and hashed: RFC 3339, microseconds, `Z`.
#[must_use]
pub fn format_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Reads a stored time back.
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("recorded_at {text:?}: {e}")))
}

/// `time` as it reads back once stored: cut to whole microseconds.
pub fn as_stored(time: DateTime<Utc>) -> Result<DateTime<Utc>, StoreError> {
    parse_time(&format_time(time))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_time_reads_back_to_the_microsecond() {
        // Goal: what is hashed is what is read back: RFC 3339, microseconds, UTC with `Z`.
        let time = DateTime::parse_from_rfc3339("2026-11-22T08:30:01.123456789+08:00")
            .expect("a time")
            .with_timezone(&Utc);
        assert_eq!(format_time(time), "2026-11-22T00:30:01.123456Z");
        let stored = as_stored(time).expect("reads back");
        assert_eq!(format_time(stored), "2026-11-22T00:30:01.123456Z");
        assert!(stored < time && time - stored < chrono::Duration::microseconds(1));
        assert!(parse_time("yesterday").is_err());
    }
}
