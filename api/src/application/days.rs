//! The day's close (日结): signing a business day's report, reading it as signed or as
//! corrected since, and the events that corrected it.
//!
//! The figures come from the read store as of a position of the log (the views' checkpoint
//! when the close is decided); the report as signed lives in the `DayClosed` event, which
//! `dailyReport(version: SIGNED)` and `yika verify` read from the log.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use yika_domain::day::SchemeLine;
use yika_domain::day::{self, Day, DayReport};
use yika_domain::{Actor, Event, InsuranceScheme, Metadata, Money, Role, ShiftId, StaffId};
use yika_projections::ReadStore;
use yika_projections::reports::{BusinessDay, Checkpoint, ClosedDay, DailyFigures, report_sha256};

use super::{App, READ_YOUR_WRITES, Write, claim};
use crate::error::{ApiError, ApiResult};

/// The most corrections one request lists.
pub const MAX_CORRECTIONS: u32 = 50;

/// A day's report as signed: the `DayClosed` event's content.
#[derive(Debug, Clone)]
pub struct Signed {
    /// The report.
    pub report: DayReport,
    /// Its SHA-256 as signed.
    pub report_sha256: String,
    /// The close's note.
    pub note: Option<String>,
    /// Who closed the day.
    pub closed_by: StaffId,
    /// The close's position.
    pub position: u64,
    /// When the close was recorded.
    pub closed_at: DateTime<Utc>,
}

/// A back-entry (补录) as asked: the business time and reason the cashier gave, the business
/// day it falls on, and how far back entries may go (`yika serve --back-entry-hours`).
#[derive(Debug, Clone, Serialize)]
pub struct BackEntryRequest {
    /// When the money crossed the window.
    pub occurred_at: DateTime<Utc>,
    /// Why it is entered late.
    pub reason: String,
    /// The business day of `occurred_at`.
    #[serde(skip)]
    pub date: NaiveDate,
    /// The configured limit.
    #[serde(skip)]
    pub window: chrono::Duration,
}

/// A day's report in the version asked for.
#[derive(Debug, Clone)]
pub struct Versioned {
    /// The report.
    pub report: DayReport,
    /// Whether it balances (for the current version, the closing carried to now equals the sum
    /// of the balances view too).
    pub balances: bool,
    /// The day's close, if the day was closed.
    pub signed: Option<Signed>,
    /// For the current version of a closed day: whether a line moved since it was signed.
    pub changed: Option<bool>,
}

/// One day of a month, as the log stands now.
#[derive(Debug, Clone)]
pub struct MonthDay {
    /// The day's current report.
    pub report: DayReport,
    /// Whether it balances.
    pub balances: bool,
    /// The day's close, if any.
    pub closed: Option<ClosedDay>,
    /// For a closed day: whether a line moved since it was signed.
    pub changed: Option<bool>,
}

/// An event recorded after a day's close that moved its figures.
#[derive(Debug, Clone)]
pub struct Correction {
    /// Its position.
    pub position: u64,
    /// Its type.
    pub event_type: String,
    /// Who recorded it.
    pub actor_id: Option<StaffId>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// Each report line it moved, and by how much.
    pub moved: Vec<(String, Money)>,
}

impl App {
    /// The report of `day` as of `as_of` (`None`: everything the views hold).
    pub async fn day_report(
        &self,
        day: &BusinessDay,
        time_zone: &str,
        as_of: Option<u64>,
    ) -> ApiResult<(DayReport, DailyFigures)> {
        day_report(self.store.as_ref(), &self.read, day, time_zone, as_of, true).await
    }

    /// The report of `day` as signed (`signed_version`; NOT_FOUND for a day not closed) or as
    /// the log stands now (read in `time_zone` unless the day was signed in another).
    pub async fn versioned_report(
        &self,
        day: &BusinessDay,
        time_zone: &str,
        signed_version: bool,
    ) -> ApiResult<Versioned> {
        let signed = self.signed(day.date).await?;
        if signed_version {
            let s = signed.ok_or_else(|| {
                ApiError::NotFound(format!(
                    "{} is not closed: there is no signed report (ask for CURRENT)",
                    day.date
                ))
            })?;
            return Ok(Versioned {
                report: s.report.clone(),
                balances: s.report.balances(),
                signed: Some(s),
                changed: None,
            });
        }
        let tz = signed
            .as_ref()
            .map_or_else(|| time_zone.to_owned(), |s| s.report.time_zone.clone());
        let (report, f) = self.day_report(day, &tz, None).await?;
        let carried = f.closing_liability + f.after_end == f.accounts_now;
        let changed = signed
            .as_ref()
            .map(|s| !report.moved_since(&s.report).is_empty());
        Ok(Versioned {
            balances: report.balances() && carried,
            report,
            signed,
            changed,
        })
    }

    /// Each day of the month starting `first` up to `today`, as the log stands now, with which
    /// are signed (月报).
    pub async fn month(
        &self,
        calendar: &crate::calendar::Calendar,
        first: NaiveDate,
        today: NaiveDate,
    ) -> ApiResult<Vec<MonthDay>> {
        use chrono::Datelike as _;
        let closed = self
            .read
            .closed_days(first, first + chrono::Duration::days(31))
            .await?;
        let mut days = Vec::new();
        let mut date = first;
        while date.month() == first.month() && date <= today {
            let (report, f) = self
                .day_report(
                    &calendar.business_day(date),
                    calendar.time_zone.name(),
                    None,
                )
                .await?;
            let close = closed.iter().find(|c| c.date == date).cloned();
            let changed = match &close {
                None => None,
                Some(c) => Some(
                    !signed_at(self.store.as_ref(), c)
                        .await?
                        .report
                        .moved_since(&report)
                        .is_empty(),
                ),
            };
            days.push(MonthDay {
                balances: report.balances() && f.closing_liability + f.after_end == f.accounts_now,
                report,
                closed: close,
                changed,
            });
            date += chrono::Duration::days(1);
        }
        Ok(days)
    }

    /// The close of `date`, if the day was closed: read from the log.
    pub async fn signed(&self, date: NaiveDate) -> ApiResult<Option<Signed>> {
        let Some(closed) = self.read.closed_days(date, date).await?.pop() else {
            return Ok(None);
        };
        signed_at(self.store.as_ref(), &closed).await.map(Some)
    }

    /// CONTROLLER: closes `day` (日结), signing its report as of the views' position now.
    pub async fn close_day(
        &self,
        actor: &Actor,
        day: &BusinessDay,
        (time_zone, today): (&str, NaiveDate),
        note: Option<String>,
        idempotency_key: &str,
    ) -> ApiResult<()> {
        actor.require(Role::Controller)?;
        #[derive(Serialize)]
        struct Input<'a> {
            date: NaiveDate,
            note: Option<&'a str>,
        }
        let claim = claim(
            "closeDay",
            idempotency_key,
            &Input {
                date: day.date,
                note: note.as_deref(),
            },
        )?;
        // The report includes everything recorded before the close was asked for.
        let head = self.store.head_position().await?;
        if !self.read.wait_for(head, READ_YOUR_WRITES).await {
            return Err(ApiError::Conflict);
        }
        let (report, _) = self.day_report(day, time_zone, None).await?;
        let sha = report_sha256(&report);
        let mut shifts = Vec::new();
        for id in self.read.shifts_with_money(day).await? {
            let id: uuid::Uuid = id
                .parse()
                .map_err(|e| ApiError::Internal(format!("a shift id in the views: {e}")))?;
            shifts.push(ShiftId(id));
        }
        let stream = day::stream(day.date);
        self.execute(Some(actor), &stream, Some(claim), || async {
            let loaded = self.load::<Day>(&stream).await?;
            let mut drawers = Vec::with_capacity(shifts.len());
            for shift in &shifts {
                drawers.push(self.drawer(*shift).await?.drawer);
            }
            let event = day::close(
                actor,
                &loaded.state,
                today,
                &drawers,
                report.clone(),
                sha.clone(),
                note.as_deref(),
            )?;
            Ok(vec![Write::new(stream.clone(), loaded.revision, [event])])
        })
        .await?;
        Ok(())
    }

    /// The events after the close of `day` (signed as `signed`) that moved its figures, in log
    /// order, after position `after` (a page's cursor), at most `first`.
    pub async fn day_corrections(
        &self,
        day: &BusinessDay,
        signed: &Signed,
        after: Option<u64>,
        first: u32,
    ) -> ApiResult<Vec<Correction>> {
        let first = first.min(MAX_CORRECTIONS);
        let start = after.unwrap_or(0).max(signed.report.as_of_position);
        let tz = signed.report.time_zone.clone();
        let mut before = if start == signed.report.as_of_position {
            signed.report.clone()
        } else {
            self.day_report(day, &tz, Some(start)).await?.0
        };
        let mut corrections = Vec::new();
        let mut cursor = start;
        // Positions that touch the day but move none of its lines (a deposit of an earlier day
        // recorded before the close's position, say) are skipped; a page ends after `first`
        // corrections or when the candidates run out.
        'pages: loop {
            let positions = self
                .read
                .positions_touching(day, cursor, MAX_CORRECTIONS)
                .await?;
            if positions.is_empty() {
                break;
            }
            for position in positions {
                cursor = position;
                let (now, _) = self.day_report(day, &tz, Some(position)).await?;
                let moved = now.moved_since(&before);
                before = now;
                if moved.is_empty() {
                    continue;
                }
                let recorded = yika_store::read_at(self.store.as_ref(), position)
                    .await?
                    .ok_or_else(|| {
                        ApiError::Internal(format!("position {position} is not in the log"))
                    })?;
                let metadata: Metadata = serde_json::from_str(&recorded.metadata)
                    .map_err(|e| ApiError::Internal(format!("metadata at {position}: {e}")))?;
                corrections.push(Correction {
                    position,
                    event_type: recorded.event_type,
                    actor_id: metadata.actor_id,
                    recorded_at: recorded.recorded_at,
                    moved,
                });
                if corrections.len() >= first as usize {
                    break 'pages;
                }
            }
        }
        Ok(corrections)
    }
}

/// The close recorded at `closed.position`, read from the log.
pub async fn signed_at(
    store: &dyn yika_store::EventStore,
    closed: &ClosedDay,
) -> ApiResult<Signed> {
    let recorded = yika_store::read_at(store, closed.position)
        .await?
        .ok_or_else(|| {
            ApiError::Internal(format!("the close of {} is not in the log", closed.date))
        })?;
    match Event::decode(
        &recorded.event_type,
        recorded.schema_version,
        &recorded.payload,
    )? {
        Event::DayClosed {
            report,
            report_sha256,
            note,
            closed_by,
            ..
        } => Ok(Signed {
            report: *report,
            report_sha256,
            note,
            closed_by,
            position: recorded.position,
            closed_at: recorded.recorded_at,
        }),
        other => Err(ApiError::Internal(format!(
            "position {} holds {}, not the close of {}",
            closed.position,
            other.event_type(),
            closed.date
        ))),
    }
}

/// The last day signed before `day`, in `time_zone`, to sum the day's liabilities from
/// (decision 0033); `None` when there is none or it was signed in another time zone.
async fn checkpoint(
    store: &dyn yika_store::EventStore,
    read: &ReadStore,
    day: &BusinessDay,
    time_zone: &str,
) -> ApiResult<Option<Checkpoint>> {
    let Some(closed) = read.closed_before(day.date).await? else {
        return Ok(None);
    };
    let Ok(zone) = time_zone.parse::<chrono_tz::Tz>() else {
        return Ok(None);
    };
    let signed = signed_at(store, &closed).await?;
    let report = &signed.report;
    let closing: Vec<_> = report
        .sections
        .iter()
        .map(|s| (s.kind, s.closing_liability))
        .collect();
    if report.time_zone != time_zone
        || closing.iter().map(|(_, m)| *m).sum::<Money>() != report.closing_liability
    {
        return Ok(None);
    }
    let calendar = crate::calendar::Calendar {
        time_zone: zone,
        ..crate::calendar::Calendar::default()
    };
    Ok(Some(Checkpoint {
        as_of: report.as_of_position,
        end: calendar.day(closed.date).1,
        closing,
    }))
}

/// The report of `day` read in `time_zone` as of `as_of` (`None`: everything `read` holds): the
/// figures from the views, the settlements' split by scheme from the log. With `from_signed`
/// the liabilities are summed from the last day signed before it (the same figures, without
/// reading every movement since the ledger began); `yika verify` reads them from the
/// movements alone.
pub async fn day_report(
    store: &dyn yika_store::EventStore,
    read: &ReadStore,
    day: &BusinessDay,
    time_zone: &str,
    as_of: Option<u64>,
    from_signed: bool,
) -> ApiResult<(DayReport, DailyFigures)> {
    let checkpoint = if from_signed {
        checkpoint(store, read, day, time_zone).await?
    } else {
        None
    };
    let figures = read.daily_figures(day, as_of, checkpoint.as_ref()).await?;
    let mut by_scheme: std::collections::BTreeMap<InsuranceScheme, SchemeLine> =
        std::collections::BTreeMap::new();
    for position in &figures.settlement_positions {
        let recorded = yika_store::read_at(store, *position)
            .await?
            .ok_or_else(|| {
                ApiError::Internal(format!("the settlement at {position} is not in the log"))
            })?;
        if let Event::DischargeSettled {
            insurance_scheme,
            total_charges,
            insurance_pays,
            patient_pays,
            patient_receives,
            ..
        } = Event::decode(
            &recorded.event_type,
            recorded.schema_version,
            &recorded.payload,
        )? {
            let line = by_scheme.entry(insurance_scheme).or_insert(SchemeLine {
                scheme: insurance_scheme,
                count: 0,
                total_charges: Money::ZERO,
                insurance_pays: Money::ZERO,
                patient_pays: Money::ZERO,
                patient_receives: Money::ZERO,
            });
            line.count += 1;
            line.total_charges += total_charges;
            line.insurance_pays += insurance_pays;
            line.patient_pays += patient_pays;
            line.patient_receives += patient_receives;
        } else {
            return Err(ApiError::Internal(format!(
                "position {position} is not a settlement"
            )));
        }
    }
    let settlements = by_scheme.into_values().collect();
    Ok((figures.report(day.date, time_zone, settlements), figures))
}
