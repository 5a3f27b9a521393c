//! Given/when/then for the day's close (日结): who may close a day, when, once, and only when
//! every shift that took money that day is closed and handed over by both parties.

mod common;

use chrono::NaiveDate;
use common::*;
use uuid::Uuid;
use yika_domain::day::{self, Day};
use yika_domain::window::{Drawer, ShiftOpening};
use yika_domain::{Actor, Aggregate, Cashier, DomainError, Event, Role, Shift, ShiftId, StaffId};

const CONTROLLER: StaffId = StaffId(Uuid::from_u128(0xc7_0001));

fn actor(role: Role) -> Actor {
    Actor {
        staff_id: CONTROLLER,
        staff_no: "F001".to_owned(),
        role,
        department: (role == Role::Department).then(|| LAB.to_owned()),
    }
}

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

/// SHIFT as its streams stand after `cashier` and `shift` events.
fn drawer(shift_id: ShiftId, cashier: &[Event], shift: &[Event]) -> Drawer {
    Drawer {
        shift_id,
        opening: cashier
            .iter()
            .filter_map(ShiftOpening::of)
            .find(|(id, _)| *id == shift_id)
            .map(|(_, opening)| opening),
        cashier: Cashier::from_events(cashier),
        shift: Shift::from_events(shift),
    }
}

fn opened(shift_id: ShiftId) -> Event {
    Event::ShiftOpened {
        shift_id,
        cashier_id: CASHIER,
        window: "W1".to_owned(),
        opening_float: money("100.00"),
    }
}

fn closed(shift_id: ShiftId) -> Event {
    Event::ShiftClosed {
        shift_id,
        cashier_id: CASHIER,
        counted_cash: money("500.00"),
        counted_other: vec![],
        receipts_used: 0,
        expected_cash: Some(money("500.00")),
    }
}

fn received(shift_id: ShiftId, two_party: bool) -> Event {
    Event::CashHandedOver {
        shift_id,
        cashier_id: CASHIER,
        received_by: CONTROLLER,
        amount: money("500.00"),
        two_party,
    }
}

fn declared(shift_id: ShiftId) -> Event {
    Event::HandOverDeclared {
        shift_id,
        cashier_id: CASHIER,
        cash: money("500.00"),
        other: vec![],
    }
}

/// A shift closed and handed over by both parties.
fn done(shift_id: ShiftId) -> Drawer {
    drawer(
        shift_id,
        &[opened(shift_id), closed(shift_id)],
        &[received(shift_id, true), declared(shift_id)],
    )
}

fn close(
    who: &Actor,
    given: &[Event],
    today: &str,
    shifts: &[Drawer],
) -> Result<Event, DomainError> {
    day::close(
        who,
        &Day::from_events(given),
        date(today),
        shifts,
        day_report("2026-12-01", 40),
        "ab".repeat(32),
        Some("  signed after the evening hand-over  "),
    )
}

#[test]
fn a_controller_closes_a_day_whose_shifts_are_all_handed_over() {
    // Given two shifts that took money on 2026-12-01, both closed and handed over (one by the
    // two-party hand-over, one received before it existed, which completes alone).
    let legacy = drawer(
        OTHER_SHIFT,
        &[opened(OTHER_SHIFT), closed(OTHER_SHIFT)],
        &[received(OTHER_SHIFT, false)],
    );
    // When the controller closes the day the next morning
    let event = close(
        &actor(Role::Controller),
        &[],
        "2026-12-02",
        &[done(SHIFT), legacy],
    )
    .expect("closed");
    // Then the close carries the report as signed, its hash, the trimmed note and the signer.
    assert_eq!(
        event,
        Event::DayClosed {
            date: date("2026-12-01"),
            report: Box::new(day_report("2026-12-01", 40)),
            report_sha256: "ab".repeat(32),
            note: Some("signed after the evening hand-over".to_owned()),
            closed_by: CONTROLLER,
        }
    );
    // And the same day may be closed on its own date (the evening close, 日结): what is recorded
    // after it belongs to the next day.
    assert!(close(&actor(Role::Controller), &[], "2026-12-01", &[done(SHIFT)]).is_ok());
}

#[test]
fn a_day_is_closed_once_and_never_before_it_begins() {
    let given = [close(&actor(Role::Controller), &[], "2026-12-02", &[]).unwrap()];
    // Given a closed day, when it is closed again, then it is refused: corrections are events.
    assert_eq!(
        close(&actor(Role::Controller), &given, "2026-12-02", &[]),
        Err(DomainError::DayAlreadyClosed(date("2026-12-01")))
    );
    // Given nothing, when a day that has not begun is closed, then it is refused.
    assert_eq!(
        close(&actor(Role::Controller), &[], "2026-11-30", &[]),
        Err(DomainError::DayInTheFuture(date("2026-12-01")))
    );
}

#[test]
fn only_a_controller_closes_a_day() {
    for role in Role::ALL.into_iter().filter(|r| *r != Role::Controller) {
        assert_eq!(
            close(&actor(role), &[], "2026-12-02", &[done(SHIFT)]),
            Err(DomainError::RoleRequired(Role::Controller)),
            "{role}"
        );
    }
}

#[test]
fn a_shift_still_open_or_not_handed_over_by_both_parties_blocks_the_close_and_is_named() {
    let still_open = drawer(SHIFT, &[opened(SHIFT)], &[]);
    let only_received = drawer(
        OTHER_SHIFT,
        &[opened(OTHER_SHIFT), closed(OTHER_SHIFT)],
        &[received(OTHER_SHIFT, true)],
    );
    let third = ShiftId(Uuid::from_u128(0x5f7_0003));
    let only_declared = drawer(third, &[opened(third), closed(third)], &[declared(third)]);
    let fourth = ShiftId(Uuid::from_u128(0x5f7_0004));
    let closed_only = drawer(fourth, &[opened(fourth), closed(fourth)], &[]);
    // Given shifts that took money that day in each unfinished state, and one finished
    let fifth = ShiftId(Uuid::from_u128(0x5f7_0005));
    let shifts = [
        still_open,
        only_received,
        only_declared,
        closed_only,
        done(fifth),
    ];
    // When the day is closed, then it is refused naming exactly the unfinished ones.
    let mut blocking = vec![SHIFT, OTHER_SHIFT, third, fourth];
    blocking.sort();
    assert_eq!(
        close(&actor(Role::Controller), &[], "2026-12-02", &shifts),
        Err(DomainError::DayNotReady {
            date: date("2026-12-01"),
            shifts: blocking,
        })
    );
}

#[test]
fn a_report_names_the_lines_that_moved_between_two_versions() {
    // Given the signed report and the same day after a 20.00 reversal of one of its deductions
    let signed = day_report("2026-12-01", 40);
    let mut current = signed.clone();
    current.reversals = money("40.00");
    current.closing_liability = money("790.00");
    current.as_of_position = 45;
    // Then both balance, and exactly the two lines moved, by +20.00 each.
    assert!(signed.balances() && current.balances());
    assert_eq!(
        current.moved_since(&signed),
        vec![
            ("closingLiability".to_owned(), money("20.00")),
            ("reversals".to_owned(), money("20.00")),
        ]
    );
    assert!(signed.moved_since(&signed).is_empty());
    // And a report whose lines do not add up does not balance.
    current.deposits = money("999.99");
    assert!(!current.balances());
    // And the canonical form is stable: the same report, the same text.
    assert_eq!(signed.canonical(), day_report("2026-12-01", 40).canonical());
    assert_ne!(signed.canonical(), current.canonical());
}

#[test]
fn a_report_balances_only_when_each_kind_of_account_balances_and_they_add_up_to_the_whole() {
    use yika_domain::AccountKind;
    use yika_domain::day::KindSection;
    let section =
        |kind, opening: &str, deposits: &str, deductions: &str, closing: &str| KindSection {
            kind,
            opening_liability: money(opening),
            deposits: money(deposits),
            deductions: money(deductions),
            reversals: money("0.00"),
            refunds: money("0.00"),
            settlement_effect: money("0.00"),
            closing_liability: money(closing),
        };
    // Given a report of 50.00 opening, 1,000.00 deposited, 300.00 deducted, 20.00 reversed
    let mut report = day_report("2026-12-01", 40);
    // When its cards and deposits are split 30.00 + 20.00 opening, 600.00 + 400.00 deposited,
    // 100.00 + 200.00 deducted (the reversal on the inpatient side)
    let mut inpatient = section(
        AccountKind::InpatientDeposit,
        "20.00",
        "400.00",
        "200.00",
        "240.00",
    );
    inpatient.reversals = money("20.00");
    report.sections = vec![
        section(
            AccountKind::OutpatientCard,
            "30.00",
            "600.00",
            "100.00",
            "530.00",
        ),
        inpatient.clone(),
    ];
    // Then it balances.
    assert!(report.balances());
    // But a section off by a cent does not, nor sections that do not add up to the whole.
    let mut off = report.clone();
    off.sections[1].closing_liability = money("240.01");
    assert!(!off.balances());
    let mut apart = report.clone();
    apart.sections[0] = section(
        AccountKind::OutpatientCard,
        "30.00",
        "500.00",
        "100.00",
        "430.00",
    );
    assert!(!apart.balances());
}

fn instant(text: &str) -> chrono::DateTime<chrono::Utc> {
    text.parse().unwrap()
}

#[test]
fn a_back_entry_needs_a_reason_lies_in_the_window_and_never_in_a_closed_day() {
    let now = instant("2026-12-03T10:00:00Z");
    let window = chrono::Duration::hours(72);
    let outage = instant("2026-12-01T03:15:00Z");
    // Given a day not closed, when money that crossed the window during an outage is entered
    // with its real time and a reason, then it is taken with the reason trimmed.
    let entry = day::back_entry(
        &Day::default(),
        date("2026-12-01"),
        outage,
        " 停电补录 ",
        now,
        window,
    )
    .expect("taken");
    assert_eq!(entry.occurred_at, outage);
    assert_eq!(entry.reason, "停电补录");
    // Without a reason it is refused.
    assert!(matches!(
        day::back_entry(
            &Day::default(),
            date("2026-12-01"),
            outage,
            "  ",
            now,
            window
        ),
        Err(DomainError::InvalidText {
            field: "backEntryReason",
            ..
        })
    ));
    // In the future, or further back than the window, it is refused.
    assert_eq!(
        day::back_entry(
            &Day::default(),
            date("2026-12-03"),
            instant("2026-12-03T10:00:01Z"),
            "r",
            now,
            window
        ),
        Err(DomainError::BackEntryInTheFuture)
    );
    assert_eq!(
        day::back_entry(
            &Day::default(),
            date("2026-11-30"),
            instant("2026-11-30T09:59:59Z"),
            "r",
            now,
            window
        ),
        Err(DomainError::BackEntryTooOld { hours: 72 })
    );
    // Exactly at the window's edge it is taken.
    assert!(
        day::back_entry(
            &Day::default(),
            date("2026-11-30"),
            instant("2026-11-30T10:00:00Z"),
            "r",
            now,
            window
        )
        .is_ok()
    );
    // Given the day closed, it is refused: the signed report stands.
    let closed = [close(&actor(Role::Controller), &[], "2026-12-02", &[]).unwrap()];
    assert_eq!(
        day::back_entry(
            &Day::from_events(&closed),
            date("2026-12-01"),
            outage,
            "r",
            now,
            window
        ),
        Err(DomainError::DayAlreadyClosed(date("2026-12-01")))
    );
}
