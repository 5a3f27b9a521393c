//! A sample ledger made through the domain's own decisions: staff, shifts, cards and inpatient
//! accounts, deposits, deductions, reversals, refunds, settlements, counts, hand-overs,
//! coefficients and quality deductions, round after round. Every event type occurs.

#![allow(dead_code)]

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sha2::Digest as _;
use uuid::Uuid;
use yika_domain::execution::{self, Executed};
use yika_domain::ids::streams;
use yika_domain::window::{self, Drawer, NewAccount, Payment, ShiftOpening};
use yika_domain::workload::{self, RecordQualityDeduction};
use yika_domain::{
    Account, AccountId, AccountKind, Actor, Aggregate, Amount, BusinessType, Card, Cashier,
    Coefficients, CoefficientsCommand, DeductionId, Event, InsuranceScheme, Metadata, Money,
    PaymentMethod, ReversalReason, Role, Shift, ShiftId, Staff, StaffCommand, StaffId,
};
use yika_store::{AppendRequest, EventStore, ExpectedRevision, NewEvent, StreamWrite};

fn money(text: &str) -> Money {
    Money::parse(text).expect("a sum")
}

fn amount(text: &str) -> Amount {
    Amount::new(money(text)).expect("a positive sum")
}

/// Appends `writes` (stream, event) as one append by `actor`.
async fn put(store: &dyn EventStore, actor: Option<&Actor>, writes: Vec<(String, Event)>) {
    let metadata = serde_json::to_string(&Metadata {
        actor_id: actor.map(|a| a.staff_id),
        actor_role: actor.map(|a| a.role),
        terminal: None,
        correlation_id: Uuid::now_v7(),
        causation_id: None,
        occurred_at: chrono::Utc::now(),
        idempotency: Some(None),
        back_entry: None,
    })
    .expect("metadata");
    let request = AppendRequest {
        writes: writes
            .into_iter()
            .map(|(stream_id, event)| StreamWrite {
                stream_id,
                expected: ExpectedRevision::Any,
                events: vec![NewEvent {
                    event_id: Uuid::now_v7(),
                    event_type: event.event_type().to_owned(),
                    schema_version: Event::SCHEMA_VERSION,
                    payload: event.encode(),
                    metadata: metadata.clone(),
                }],
            })
            .collect(),
        idempotency: None,
    };
    store.append(request).await.expect("the sample appends");
}

/// The id of a decided event, for events whose id is what they create.
fn id_of(event: &Event) -> Uuid {
    match event {
        Event::StaffRegistered { staff_id, .. } => staff_id.as_uuid(),
        Event::ShiftOpened { shift_id, .. } => shift_id.as_uuid(),
        _ => Uuid::now_v7(),
    }
}

async fn register(store: &dyn EventStore, no: &str, role: Role, department: Option<&str>) -> Actor {
    let staff_id = StaffId(Uuid::now_v7());
    let event = yika_domain::staff::register(
        None,
        &Staff::default(),
        &StaffCommand::Register {
            staff_id,
            staff_no: no.to_owned(),
            name: format!("Staff {no}"),
            role,
            department: department.map(str::to_owned),
            token_sha256: sha2::Sha256::digest(no.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
        },
    )
    .expect("registered");
    assert_eq!(id_of(&event), staff_id.as_uuid());
    put(store, None, vec![(streams::staff(no), event)]).await;
    Actor {
        staff_id,
        staff_no: no.to_owned(),
        role,
        department: department.map(str::to_owned),
    }
}

/// An open account as the domain holds it, with its card's guard.
struct Patient {
    id: AccountId,
    account: Account,
    card_no: String,
    card: Card,
}

async fn open(
    store: &dyn EventStore,
    cashier: &Actor,
    card_no: &str,
    kind: AccountKind,
    scheme: InsuranceScheme,
) -> Patient {
    let id = AccountId(Uuid::now_v7());
    let (opened, assigned) = window::open_account(
        cashier,
        &Card::default(),
        &NewAccount {
            account_id: id,
            kind,
            patient_id: format!("P-{card_no}"),
            card_no: card_no.to_owned(),
            insurance_scheme: scheme,
        },
    )
    .expect("opened");
    let mut patient = Patient {
        id,
        account: Account::default(),
        card_no: card_no.to_owned(),
        card: Card::default(),
    };
    patient.account.apply(&opened);
    patient.card.apply(&assigned);
    put(
        store,
        Some(cashier),
        vec![
            (streams::account(id), opened),
            (streams::card(card_no), assigned),
        ],
    )
    .await;
    patient
}

/// The drawer of the cashier's current shift.
struct Window {
    cashier_actor: Actor,
    cashier: Cashier,
    shift_id: ShiftId,
    float: Money,
    shift: Shift,
}

impl Window {
    fn drawer(&self) -> Drawer {
        Drawer {
            shift_id: self.shift_id,
            opening: Some(ShiftOpening {
                cashier_id: self.cashier_actor.staff_id,
                opening_float: self.float,
            }),
            cashier: self.cashier.clone(),
            shift: self.shift.clone(),
        }
    }

    async fn pay(
        &mut self,
        store: &dyn EventStore,
        patient: &mut Patient,
        method: PaymentMethod,
        payment: Payment,
    ) {
        let paid = window::pay(
            &self.cashier_actor,
            &self.drawer(),
            &patient.account,
            method,
            &payment,
        )
        .expect("paid");
        patient.account.apply(&paid.movement);
        self.shift.apply(&paid.receipt);
        put(
            store,
            Some(&self.cashier_actor),
            vec![
                (streams::account(patient.id), paid.movement),
                (streams::shift(self.shift_id), paid.receipt),
            ],
        )
        .await;
    }
}

/// Appends `rounds` rounds of a hospital's day to `store`; returns how many events it wrote.
pub async fn sample_ledger(store: &dyn EventStore, rounds: usize) -> u64 {
    let cashier = register(store, "C001", Role::Cashier, None).await;
    let lab = register(store, "L001", Role::Department, Some("Lab")).await;
    let pharmacy = register(store, "R001", Role::Department, Some("Pharmacy")).await;
    let auditor = register(store, "A001", Role::Auditor, None).await;
    let controller = register(store, "F001", Role::Controller, None).await;
    let supervisor = register(store, "S001", Role::Supervisor, None).await;
    let today = NaiveDate::from_ymd_opt(2026, 11, 1).expect("a date");
    let set = workload::set_coefficients(
        &supervisor,
        &Coefficients::default(),
        &CoefficientsCommand::Set {
            effective_from: today,
            today,
            base_ratio: Decimal::new(7, 1),
            coefficients: vec![
                (BusinessType::Deposit, Decimal::ONE),
                (BusinessType::DischargeOutOfArea, Decimal::new(35, 1)),
            ],
            set_by: supervisor.staff_id,
        },
    )
    .expect("set");
    put(
        store,
        Some(&supervisor),
        vec![(streams::coefficients(), set)],
    )
    .await;

    let mut cashier_state = Cashier::default();
    for round in 0..rounds {
        // A shift with a float.
        let shift_id = ShiftId(Uuid::now_v7());
        let float = money(if round % 2 == 0 { "100.00" } else { "0.00" });
        let opened =
            window::open_shift(&cashier, &cashier_state, shift_id, "W1", float).expect("opened");
        cashier_state.apply(&opened);
        put(
            store,
            Some(&cashier),
            vec![(streams::cashier(cashier.staff_id), opened)],
        )
        .await;
        let mut desk = Window {
            cashier_actor: cashier.clone(),
            cashier: cashier_state.clone(),
            shift_id,
            float,
            shift: Shift::default(),
        };

        // An outpatient card and an inpatient stay.
        let mut card = open(
            store,
            &cashier,
            &format!("CARD-{round:04}"),
            AccountKind::OutpatientCard,
            InsuranceScheme::SelfPay,
        )
        .await;
        let scheme = [
            InsuranceScheme::EmployeeBasic,
            InsuranceScheme::OutOfArea,
            InsuranceScheme::SelfPay,
        ][round % 3];
        let mut stay = open(
            store,
            &cashier,
            &format!("ZY-{round:04}"),
            AccountKind::InpatientDeposit,
            scheme,
        )
        .await;
        desk.pay(
            store,
            &mut card,
            PaymentMethod::Cash,
            Payment::Deposit {
                amount: amount("200.00"),
                external_ref: None,
            },
        )
        .await;
        desk.pay(
            store,
            &mut stay,
            PaymentMethod::Wechat,
            Payment::Deposit {
                amount: amount("500.00"),
                external_ref: Some(format!("WX-{round}")),
            },
        )
        .await;
        let voided = window::void_receipt(&cashier, &desk.drawer(), "spoiled form").expect("void");
        desk.shift.apply(&voided);
        put(
            store,
            Some(&cashier),
            vec![(streams::shift(shift_id), voided)],
        )
        .await;

        // The departments execute and deduct; the pharmacy takes a drug back.
        let deduct = |patient: &Patient, by: &Actor, price: &str, order: String| {
            let deduction_id = DeductionId(Uuid::now_v7());
            let event = execution::deduct(
                by,
                &patient.account,
                &Executed {
                    deduction_id,
                    amount: amount(price),
                    department: by.department.clone().expect("a department"),
                    order_id: order,
                    item_code: "ITEM".to_owned(),
                    item_name: Some("An item".to_owned()),
                    quantity: 1,
                },
            )
            .expect("deducted");
            (deduction_id, event)
        };
        let (_, event) = deduct(&card, &lab, "30.00", format!("LAB-{round}"));
        card.account.apply(&event);
        put(store, Some(&lab), vec![(streams::account(card.id), event)]).await;
        let (drug, event) = deduct(&card, &pharmacy, "45.50", format!("RX-{round}"));
        card.account.apply(&event);
        put(
            store,
            Some(&pharmacy),
            vec![(streams::account(card.id), event)],
        )
        .await;
        let (_, event) = deduct(&stay, &lab, "400.00", format!("LAB-ZY-{round}"));
        stay.account.apply(&event);
        put(store, Some(&lab), vec![(streams::account(stay.id), event)]).await;
        let returned = execution::reverse(
            &pharmacy,
            Some(&card.account),
            drug,
            amount("20.00"),
            ReversalReason::DrugReturn,
        )
        .expect("reversed");
        card.account.apply(&returned);
        put(
            store,
            Some(&pharmacy),
            vec![(streams::account(card.id), returned)],
        )
        .await;

        // Part of the card paid back, a surprise count, the stay settled.
        desk.pay(
            store,
            &mut card,
            PaymentMethod::Cash,
            Payment::Refund {
                amount: Some(amount("50.00")),
                external_ref: Some(format!("WX-REF-{round}")),
            },
        )
        .await;
        let expected = desk.shift.expected_cash(float);
        let counted = window::count_cash(&auditor, &desk.drawer(), expected, Some("surprise"))
            .expect("counted");
        desk.shift.apply(&counted);
        put(
            store,
            Some(&auditor),
            vec![(streams::shift(shift_id), counted)],
        )
        .await;
        let insurance = if scheme == InsuranceScheme::SelfPay {
            money("0.00")
        } else {
            money("150.00")
        };
        desk.pay(
            store,
            &mut stay,
            PaymentMethod::Wechat,
            Payment::SettleDischarge {
                insurance_scheme: scheme,
                insurance_pays: insurance,
                external_ref: None,
            },
        )
        .await;

        // The card returned (退卡): the rest paid out, the account closed, the number freed.
        desk.pay(
            store,
            &mut card,
            PaymentMethod::Cash,
            Payment::Refund {
                amount: None,
                external_ref: None,
            },
        )
        .await;
        let (closed, released) =
            window::close_account(&cashier, &card.account, &card.card).expect("closed");
        put(
            store,
            Some(&cashier),
            vec![
                (streams::account(card.id), closed),
                (streams::card(&card.card_no), released),
            ],
        )
        .await;

        // The shift closed with a blind count (a little short on odd rounds), handed over.
        let expected = desk.shift.expected_cash(float);
        let counted_cash = if round % 2 == 1 {
            expected - money("0.50")
        } else {
            expected
        };
        let closed = window::close_shift(
            &cashier,
            &desk.drawer(),
            counted_cash,
            &[(PaymentMethod::Wechat, money("300.00"))],
        )
        .expect("closed");
        cashier_state.apply(&closed);
        desk.cashier = cashier_state.clone();
        put(
            store,
            Some(&cashier),
            vec![(streams::cashier(cashier.staff_id), closed)],
        )
        .await;
        let handed =
            window::hand_over(&controller, &desk.drawer(), counted_cash).expect("handed over");
        put(
            store,
            Some(&controller),
            vec![(streams::shift(shift_id), handed)],
        )
        .await;
        // The cashier's half of the hand-over, and the short drawer's variance written off.
        let declared = window::declare_hand_over(
            &cashier,
            &desk.drawer(),
            counted_cash,
            &[(PaymentMethod::Wechat, money("300.00"))],
        )
        .expect("declared");
        desk.shift.apply(&declared);
        put(
            store,
            Some(&cashier),
            vec![(streams::shift(shift_id), declared)],
        )
        .await;
        if round % 2 == 1 {
            let resolved = window::resolve_variance(
                &controller,
                &desk.drawer(),
                yika_domain::VarianceResolution::WrittenOff,
                "损失核销",
            )
            .expect("resolved");
            put(
                store,
                Some(&controller),
                vec![(streams::shift(shift_id), resolved)],
            )
            .await;
        }

        // A WeChat statement: one line matched to a movement, then unmatched by hand.
        let movement = yika_domain::reconciliation::Movement {
            movement_id: Uuid::now_v7(),
            account_id: card.id,
            method: PaymentMethod::Wechat,
            direction: yika_domain::Direction::In,
            amount: money("1.00"),
            external_ref: Some(format!("WX-S-{round}")),
            at: chrono::Utc::now(),
        };
        let mut reconciliation = yika_domain::reconciliation::Reconciliation::default();
        let imported = yika_domain::reconciliation::import(
            &controller,
            &reconciliation,
            &yika_domain::reconciliation::Statement {
                method: PaymentMethod::Wechat,
                statement_date: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("a day"),
                source: Some("wechat.csv".to_owned()),
                lines: vec![yika_domain::StatementLine {
                    external_ref: format!("WX-S-{round}"),
                    amount: amount("1.00"),
                    direction: yika_domain::Direction::In,
                    occurred_at: chrono::Utc::now(),
                    fee: money("0.01"),
                    note: None,
                }],
            },
            std::slice::from_ref(&movement),
        )
        .expect("imported");
        let stream = yika_domain::reconciliation::stream(PaymentMethod::Wechat);
        for event in imported {
            reconciliation.apply(&event);
            put(store, Some(&controller), vec![(stream.clone(), event)]).await;
        }
        let unmatched = yika_domain::reconciliation::unmatch(
            &controller,
            &reconciliation,
            PaymentMethod::Wechat,
            &format!("WX-S-{round}"),
            "wrong day",
        )
        .expect("unmatched");
        put(store, Some(&controller), vec![(stream, unmatched)]).await;

        // The scheme's remittance for the stay, 10.00 short.
        if insurance.is_positive() {
            let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("a day")
                + chrono::Duration::days(i64::try_from(round).expect("few rounds"));
            let remitted = yika_domain::insurance::record(
                &controller,
                &yika_domain::insurance::Remittances::default(),
                &yika_domain::insurance::Remittance {
                    scheme,
                    amount: amount("140.00"),
                    period_from: day,
                    period_to: day,
                    reference: format!("YB-{round}"),
                },
                insurance,
            )
            .expect("remitted");
            put(
                store,
                Some(&controller),
                vec![(yika_domain::insurance::stream(scheme), remitted)],
            )
            .await;
        }

        // A business day closed (日结), signing a report as of the log's head.
        let date = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).expect("a day")
            + chrono::Duration::days(i64::try_from(round).expect("few rounds"));
        let report = yika_domain::DayReport {
            format: yika_domain::day::REPORT_FORMAT,
            date,
            time_zone: "Asia/Shanghai".to_owned(),
            as_of_position: store.head_position().await.expect("a head"),
            opening_liability: Money::ZERO,
            deposits: money("100.00"),
            deductions: Money::ZERO,
            reversals: Money::ZERO,
            refunds: Money::ZERO,
            settlement_effect: Money::ZERO,
            closing_liability: money("100.00"),
            by_method: vec![(PaymentMethod::Cash, money("100.00"))],
            by_window: vec![],
            cash_variance: Money::ZERO,
            open_variance: Money::ZERO,
            open_variance_shifts: 0,
            sections: vec![],
            cards_issued: 1,
            admissions: 0,
            discharges: 0,
            settlements: vec![],
            by_cashier: vec![],
            variances: vec![],
            receipts: vec![],
            receipt_gaps: vec![],
            back_entries: vec![],
        };
        let sha = yika_projections::reports::report_sha256(&report);
        let closed = yika_domain::day::close(
            &controller,
            &yika_domain::Day::default(),
            date,
            &[],
            report,
            sha,
            Some("日结"),
        )
        .expect("closed");
        put(
            store,
            Some(&controller),
            vec![(yika_domain::day::stream(date), closed)],
        )
        .await;

        // A quality deduction against the cashier.
        let mut cashier_staff = Staff::default();
        cashier_staff.apply(&Event::StaffRegistered {
            staff_id: cashier.staff_id,
            staff_no: cashier.staff_no.clone(),
            name: String::new(),
            role: Role::Cashier,
            department: None,
            token_sha256: String::new(),
        });
        let recorded = workload::record_quality_deduction(
            &supervisor,
            &cashier_staff,
            &RecordQualityDeduction {
                staff_id: cashier.staff_id,
                points: Decimal::new(15, 1),
                reason: "工作质量".to_owned(),
                recorded_by: supervisor.staff_id,
            },
        )
        .expect("recorded");
        put(
            store,
            Some(&supervisor),
            vec![(streams::quality(cashier.staff_id), recorded)],
        )
        .await;

        // A trainee's token is rotated, revoked, and the trainee leaves.
        let no = format!("T{round:03}");
        let trainee = register(store, &no, Role::Cashier, None).await;
        let mut staff = Staff::default();
        staff.apply(&Event::StaffRegistered {
            staff_id: trainee.staff_id,
            staff_no: trainee.staff_no.clone(),
            name: String::new(),
            role: Role::Cashier,
            department: None,
            token_sha256: String::new(),
        });
        let now = chrono::Utc::now();
        for command in [
            StaffCommand::IssueToken {
                token_sha256: format!("{:064x}", round + 1),
                expires_at: Some(now + chrono::Duration::days(1)),
                now,
            },
            StaffCommand::RevokeToken,
            StaffCommand::Deactivate {
                reason: "培训结束".to_owned(),
            },
        ] {
            let event = yika_domain::staff::manage(None, &staff, &command).expect("managed");
            staff.apply(&event);
            put(store, None, vec![(streams::staff(&no), event)]).await;
        }
    }
    store.head_position().await.expect("a head")
}

/// Which of the event types a ledger holds; the match has no wildcard, so a new event type
/// fails to compile here until the sample makes one.
pub fn type_index(event: &Event) -> usize {
    match event {
        Event::StaffRegistered { .. } => 0,
        Event::CardAssigned { .. } => 1,
        Event::CardReleased { .. } => 2,
        Event::AccountOpened { .. } => 3,
        Event::DepositReceived { .. } => 4,
        Event::ChargeDeducted { .. } => 5,
        Event::DeductionReversed { .. } => 6,
        Event::BalanceRefunded { .. } => 7,
        Event::DischargeSettled { .. } => 8,
        Event::AccountClosed { .. } => 9,
        Event::ShiftOpened { .. } => 10,
        Event::ShiftClosed { .. } => 11,
        Event::ReceiptIssued { .. } => 12,
        Event::ReceiptVoided { .. } => 13,
        Event::CashCounted { .. } => 14,
        Event::DifficultyCoefficientsSet { .. } => 15,
        Event::QualityDeductionRecorded { .. } => 16,
        Event::CashHandedOver { .. } => 17,
        Event::TokenIssued { .. } => 18,
        Event::TokenRevoked { .. } => 19,
        Event::StaffDeactivated { .. } => 20,
        Event::HandOverDeclared { .. } => 21,
        Event::VarianceResolved { .. } => 22,
        Event::StatementImported { .. } => 23,
        Event::PaymentsMatched { .. } => 24,
        Event::PaymentUnmatched { .. } => 25,
        Event::InsuranceRemittanceReceived { .. } => 26,
        Event::DayClosed { .. } => 27,
    }
}

/// The number of event types [`type_index`] knows.
pub const EVENT_TYPES: usize = 28;
