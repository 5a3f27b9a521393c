//! Performance workload: business types, difficulty coefficients in force by date, quality
//! deductions, and the workload table checked against hand computations.

mod common;

use chrono::NaiveDate;
use common::*;
use rust_decimal::Decimal;
use std::str::FromStr;
use yika_domain::testing::given;
use yika_domain::workload::{
    Act, CoefficientSet, business_type, record_quality_deduction, set_coefficients, workload_table,
};
use yika_domain::{
    AccountKind, Actor, Aggregate, BusinessType as B, Coefficients, CoefficientsCommand,
    DomainError, Event, InsuranceScheme, Quality, RecordQualityDeduction, Role, Staff, StaffId,
};

fn d(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn day(n: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, n).unwrap()
}

fn staff(n: u128) -> StaffId {
    StaffId(uuid::Uuid::from_u128(0x5_0000 + n))
}

fn set(from: NaiveDate, ratio: &str, coefficients: &[(B, &str)]) -> CoefficientSet {
    CoefficientSet {
        effective_from: from,
        base_ratio: d(ratio),
        coefficients: coefficients.iter().map(|(t, c)| (*t, d(c))).collect(),
    }
}

fn command(
    from: NaiveDate,
    today: NaiveDate,
    ratio: &str,
    coefficients: &[(B, &str)],
) -> CoefficientsCommand {
    CoefficientsCommand::Set {
        effective_from: from,
        today,
        base_ratio: d(ratio),
        coefficients: coefficients.iter().map(|(t, c)| (*t, d(c))).collect(),
        set_by: staff(99),
    }
}

#[test]
fn it_derives_business_types_from_events() {
    // Goal: what a supervisor counts, from what the ledger records.
    assert_eq!(business_type(&outpatient(), None), Some(B::CardIssue));
    assert_eq!(business_type(&inpatient(), None), Some(B::Admission));
    assert_eq!(business_type(&deposited("1.00"), None), Some(B::Deposit));
    assert_eq!(
        business_type(&refunded("1.00"), None),
        Some(B::BalanceRefund)
    );
    assert_eq!(
        business_type(&closed(), Some(AccountKind::OutpatientCard)),
        Some(B::CardReturn)
    );
    assert_eq!(
        business_type(&closed(), Some(AccountKind::InpatientDeposit)),
        None
    );
    assert_eq!(
        business_type(&deducted(D1, "1.00", LAB), None),
        None,
        "departments' deductions are not window work"
    );
    let settled = |scheme| Event::DischargeSettled {
        external_ref: None,
        account_id: ACCOUNT,
        insurance_scheme: scheme,
        total_charges: money("1.00"),
        insurance_pays: money("0.00"),
        deposits_applied: money("1.00"),
        patient_pays: money("0.00"),
        patient_receives: money("0.00"),
        method: yika_domain::PaymentMethod::Cash,
        shift_id: SHIFT,
        cashier_id: CASHIER,
        receipt_no: "C001-00000001".to_owned(),
        manual: false,
    };
    assert_eq!(
        business_type(&settled(InsuranceScheme::SelfPay), None),
        Some(B::DischargeSelfPay)
    );
    assert_eq!(
        business_type(&settled(InsuranceScheme::ResidentBasic), None),
        Some(B::DischargeInsured)
    );
    assert_eq!(
        business_type(&settled(InsuranceScheme::OutOfArea), None),
        Some(B::DischargeOutOfArea)
    );
}

#[test]
fn it_sets_coefficients_from_today_on_but_never_for_the_past() {
    // Goal: coefficients take effect from a date not before today and not before a set already
    // in force, so recomputing a past month gives what it gave then.
    let valid = command(
        day(16),
        day(15),
        "0.7",
        &[(B::DischargeOutOfArea, "3.5"), (B::Deposit, "1")],
    );
    let events = given::<Coefficients>([]).when(valid).then_events();
    assert_eq!(
        events,
        [Event::DifficultyCoefficientsSet {
            effective_from: day(16),
            base_ratio: d("0.7"),
            coefficients: vec![(B::Deposit, d("1")), (B::DischargeOutOfArea, d("3.5"))],
            set_by: staff(99),
        }],
        "the coefficients are stored sorted by business type"
    );
    given::<Coefficients>([])
        .when(command(day(14), day(15), "0.7", &[(B::Deposit, "1")]))
        .then_err(DomainError::InvalidText {
            field: "effectiveFrom",
            reason: "must not be in the past (a past month is never rewritten)",
        });
    // A set that has not yet taken effect is superseded by setting again (issue 14): the day-16
    // set is not in force on day 15, so a set from day 15 is taken, and the schedule drops it.
    given::<Coefficients>(events)
        .when(command(day(15), day(15), "0.8", &[(B::Deposit, "1")]))
        .then_events();
}

#[test]
fn a_typo_in_the_future_neither_locks_the_coefficients_nor_outlives_a_correction() {
    // Goal: the reported lock: effectiveFrom 9999-12-31 was accepted and every later set was
    // refused for ever. A set more than a year ahead is refused; a mistaken future set is
    // superseded by a later-recorded set from the same or an earlier date, and the schedule
    // keeps what was not superseded.
    let far = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap();
    given::<Coefficients>([])
        .when(command(far, day(15), "0.7", &[(B::Deposit, "1")]))
        .then_err(DomainError::InvalidText {
            field: "effectiveFrom",
            reason: "must be at most a year ahead",
        });
    let year_ahead = day(15) + chrono::Duration::days(366);
    given::<Coefficients>([])
        .when(command(year_ahead, day(15), "0.7", &[(B::Deposit, "1")]))
        .then_events();

    let typo = NaiveDate::from_ymd_opt(2027, 11, 1).unwrap();
    let recorded = vec![
        set(day(1), "0.7", &[(B::Deposit, "1")]),
        set(typo, "0.9", &[(B::Deposit, "9")]),
        set(day(20), "0.75", &[(B::Deposit, "2")]),
    ];
    let schedule = yika_domain::workload::schedule(recorded);
    assert_eq!(
        schedule
            .iter()
            .map(|s| s.effective_from)
            .collect::<Vec<_>>(),
        [day(1), day(20)],
        "the set from day 20 supersedes the mistaken one from a year later"
    );
    // A later future set is kept when an earlier date is set after it only if it starts before.
    let schedule = yika_domain::workload::schedule(vec![
        set(day(1), "0.7", &[]),
        set(day(10), "0.7", &[]),
        set(day(20), "0.8", &[]),
        set(day(5), "0.75", &[]),
    ]);
    assert_eq!(
        schedule
            .iter()
            .map(|s| (s.effective_from, s.base_ratio))
            .collect::<Vec<_>>(),
        [(day(1), d("0.7")), (day(5), d("0.75"))],
        "a set supersedes every earlier-recorded set from its date on"
    );
}

#[test]
fn it_refuses_nonsense_coefficients_and_ratios() {
    // Goal: coefficients are above 0 and at most 100, each type once; the ratio in (0, 1]; each
    // refusal names the field at fault.
    let ratio_error = DomainError::InvalidText {
        field: "baseRatio",
        reason: "must be above 0 and at most 1, with at most 4 places",
    };
    let coefficient_error = DomainError::InvalidText {
        field: "coefficient",
        reason: "must be above 0 and at most 100, with at most 4 places",
    };
    let list_error = DomainError::InvalidText {
        field: "coefficients",
        reason: "must list each business type at most once",
    };
    for (ratio, coefficients, error) in [
        ("0", vec![(B::Deposit, "1")], &ratio_error),
        ("1.01", vec![(B::Deposit, "1")], &ratio_error),
        ("0.7", vec![(B::Deposit, "0")], &coefficient_error),
        ("0.7", vec![(B::Deposit, "100.01")], &coefficient_error),
        (
            "0.7",
            vec![(B::Deposit, "1"), (B::Deposit, "2")],
            &list_error,
        ),
        ("0.7", vec![], &list_error),
    ] {
        given::<Coefficients>([])
            .when(command(day(1), day(1), ratio, &coefficients))
            .then_err(error.clone());
    }
}

#[test]
fn it_records_quality_deductions_within_bounds() {
    // Goal: points above 0 and at most 100 with a reason.
    let record = |points: &str, reason: &str| RecordQualityDeduction {
        staff_id: staff(1),
        points: d(points),
        reason: reason.to_owned(),
        recorded_by: staff(99),
    };
    given::<Quality>([])
        .when(record("2.5", "服务态度 complaint"))
        .then([Event::QualityDeductionRecorded {
            staff_id: staff(1),
            points: d("2.5"),
            reason: "服务态度 complaint".to_owned(),
            recorded_by: staff(99),
        }]);
    for points in ["0", "100.01", "1.005"] {
        given::<Quality>([])
            .when(record(points, "x"))
            .then_err(DomainError::InvalidText {
                field: "points",
                reason: "must be above 0 and at most 100, with at most 2 places",
            });
    }
    given::<Quality>([])
        .when(record("1", " "))
        .then_err(DomainError::InvalidText {
            field: "reason",
            reason: "must not be empty",
        });
}

#[test]
fn it_computes_the_table_by_hand() {
    // Goal: three cashiers, coefficients Deposit 1, DischargeInsured 2, OutOfArea 3.5:
    //   A: 10 deposits + 2 insured discharges = 10 + 4 = 14
    //   B: 4 deposits + 1 out-of-area = 4 + 3.5 = 7.5
    //   C: 1 deposit = 1
    // average = 22.5 / 3 = 7.5; base = 0.7 × 7.5 = 5.25; A and B reach it with excess 8.75 and
    // 2.25; C does not. D only has a quality deduction and is not in the average.
    let sets = [set(
        day(1),
        "0.7",
        &[
            (B::Deposit, "1"),
            (B::DischargeInsured, "2"),
            (B::DischargeOutOfArea, "3.5"),
        ],
    )];
    let mut acts = Vec::new();
    let act = |s, t| Act {
        staff: staff(s),
        date: day(10),
        business_type: t,
    };
    acts.extend((0..10).map(|_| act(1, B::Deposit)));
    acts.extend((0..2).map(|_| act(1, B::DischargeInsured)));
    acts.extend((0..4).map(|_| act(2, B::Deposit)));
    acts.push(act(2, B::DischargeOutOfArea));
    acts.push(act(3, B::Deposit));
    let table = workload_table(
        &acts,
        &sets,
        &[(staff(3), d("2")), (staff(4), d("1.5"))],
        day(30),
    );
    assert_eq!(
        (table.average, table.base_ratio, table.base),
        (d("7.5"), d("0.7"), d("5.25"))
    );
    let line = |n| table.lines.iter().find(|l| l.staff == staff(n)).unwrap();
    assert_eq!(
        (line(1).weighted, line(1).reaches_base, line(1).excess),
        (d("14"), true, d("8.75"))
    );
    assert_eq!(
        (line(2).weighted, line(2).reaches_base, line(2).excess),
        (d("7.5"), true, d("2.25"))
    );
    assert_eq!(
        (
            line(3).weighted,
            line(3).reaches_base,
            line(3).excess,
            line(3).quality_deductions
        ),
        (d("1"), false, d("0"), d("2"))
    );
    assert_eq!(
        (
            line(4).weighted,
            line(4).reaches_base,
            line(4).quality_deductions
        ),
        (d("0"), false, d("1.5"))
    );
    assert_eq!(line(1).counts[&B::Deposit], 10);
}

#[test]
fn a_coefficient_change_mid_month_weights_acts_before_and_after_differently() {
    // Goal: an out-of-area discharge on the 10th weighs 3, on the 20th (after a change on the
    // 16th) 4; a month recomputed after a later change is unchanged.
    let before = set(day(1), "0.7", &[(B::DischargeOutOfArea, "3")]);
    let after = set(day(16), "0.7", &[(B::DischargeOutOfArea, "4")]);
    let acts = [
        Act {
            staff: staff(1),
            date: day(10),
            business_type: B::DischargeOutOfArea,
        },
        Act {
            staff: staff(1),
            date: day(20),
            business_type: B::DischargeOutOfArea,
        },
    ];
    let november = workload_table(&acts, &[before.clone(), after.clone()], &[], day(30));
    assert_eq!(november.lines[0].weighted, d("7"));
    let later = set(
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        "0.6",
        &[(B::DischargeOutOfArea, "9")],
    );
    let recomputed = workload_table(&acts, &[before, after, later], &[], day(30));
    assert_eq!(
        recomputed, november,
        "a later change never rewrites November"
    );
}

// ----- who sets coefficients and records quality deductions -----

const SUPERVISOR: StaffId = StaffId(uuid::Uuid::from_u128(0x5_0099));

fn actor(staff_id: StaffId, role: Role) -> Actor {
    Actor {
        staff_id,
        staff_no: "S-1".to_owned(),
        role,
        department: (role == Role::Department).then(|| LAB.to_owned()),
    }
}

fn supervisor() -> Actor {
    actor(SUPERVISOR, Role::Supervisor)
}

/// One staff member of every role but SUPERVISOR.
fn everyone_but_a_supervisor() -> Vec<Actor> {
    Role::ALL
        .into_iter()
        .zip(1_u128..)
        .filter(|(role, _)| *role != Role::Supervisor)
        .map(|(role, n)| actor(StaffId(uuid::Uuid::from_u128(0x0e_0000 + n)), role))
        .collect()
}

/// The staff stream of `staff_id`, registered as a cashier.
fn registered(staff_id: StaffId) -> Staff {
    Staff::from_events(&[Event::StaffRegistered {
        staff_id,
        staff_no: "C001".to_owned(),
        name: "王芳".to_owned(),
        role: Role::Cashier,
        department: None,
        token_sha256: chars('a', 64),
    }])
}

fn quality_deduction(against: StaffId) -> RecordQualityDeduction {
    RecordQualityDeduction {
        staff_id: against,
        points: d("2"),
        reason: "complaint".to_owned(),
        recorded_by: SUPERVISOR,
    }
}

#[test]
fn a_supervisor_sets_the_coefficients() {
    // Goal: a SUPERVISOR's set is decided like any other: the event of the set.
    assert_eq!(
        set_coefficients(
            &supervisor(),
            &Coefficients::default(),
            &command(day(16), day(15), "0.7", &[(B::Deposit, "1")])
        ),
        Ok(Event::DifficultyCoefficientsSet {
            effective_from: day(16),
            base_ratio: d("0.7"),
            coefficients: vec![(B::Deposit, d("1"))],
            set_by: staff(99),
        })
    );
}

#[test]
fn only_a_supervisor_sets_the_coefficients() {
    // Goal: every other role is RoleRequired(SUPERVISOR).
    for actor in everyone_but_a_supervisor() {
        assert_eq!(
            set_coefficients(
                &actor,
                &Coefficients::default(),
                &command(day(16), day(15), "0.7", &[(B::Deposit, "1")])
            ),
            Err(DomainError::RoleRequired(Role::Supervisor)),
            "{:?} set coefficients",
            actor.role
        );
    }
}

#[test]
fn a_supervisor_records_a_quality_deduction_against_a_registered_staff_member() {
    // Goal: the deduction is recorded against the staff member registered under its id.
    assert_eq!(
        record_quality_deduction(
            &supervisor(),
            &registered(staff(1)),
            &quality_deduction(staff(1))
        ),
        Ok(Event::QualityDeductionRecorded {
            staff_id: staff(1),
            points: d("2"),
            reason: "complaint".to_owned(),
            recorded_by: SUPERVISOR,
        })
    );
}

#[test]
fn only_a_supervisor_records_a_quality_deduction() {
    // Goal: every other role is RoleRequired(SUPERVISOR).
    for actor in everyone_but_a_supervisor() {
        assert_eq!(
            record_quality_deduction(&actor, &registered(staff(1)), &quality_deduction(staff(1))),
            Err(DomainError::RoleRequired(Role::Supervisor)),
            "{:?} recorded a quality deduction",
            actor.role
        );
    }
}

#[test]
fn a_quality_deduction_against_an_unregistered_staff_id_is_staff_not_found() {
    // Goal: a staff id that no one was registered under, or a staff stream of someone else, is
    // StaffNotFound naming the id.
    for target in [Staff::default(), registered(staff(2))] {
        assert_eq!(
            record_quality_deduction(&supervisor(), &target, &quality_deduction(staff(1))),
            Err(DomainError::StaffNotFound(staff(1)))
        );
    }
}
