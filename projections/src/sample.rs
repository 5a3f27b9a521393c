//! A generated ledger: a hospital's working days simulated through the domain's own decisions,
//! so that every event is one the domain accepts, deterministic from a seed. Outpatients get a
//! card with a deposit at a window and are charged by the registration kiosk, the lab, imaging
//! and the pharmacy as they execute (with drug returns), and some return their card; inpatients
//! are admitted with a deposit, charged daily, top up, and are settled at discharge under their
//! scheme; cashiers open shifts with a float, void spoiled receipts, are counted by surprise,
//! close with a blind count (now and then a little short) and hand over to finance; the
//! supervisor sets coefficients and records quality deductions.
//!
//! For benchmarks (`yika bench --scenario replay`) and for tests that need many valid events of
//! every type. [`import`] writes the events into an empty event store as a log (positions,
//! revisions, hashes), the way `yika replay` copies one.

use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone, Timelike, Utc};
use rust_decimal::Decimal;
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
use yika_store::hash::{GENESIS, event_hash};
use yika_store::{EventStore, MAX_IMPORT_BATCH, RecordedEvent, StoreError};

/// One generated event, with the stream it belongs to, who acted and when.
#[derive(Debug, Clone)]
pub struct Generated {
    /// Its id (the id of what it creates, for a staff member, a shift or a deduction).
    pub event_id: Uuid,
    /// Its stream.
    pub stream_id: String,
    /// The event.
    pub event: Event,
    /// Who acted (none for the first registrations).
    pub actor: Option<Actor>,
    /// When.
    pub at: DateTime<Utc>,
}

/// An account as the domain holds it, with its card number's guard.
struct Patient {
    id: AccountId,
    scheme: InsuranceScheme,
    account: Account,
    card: Card,
    /// Deductions that may still be reversed, by the department that made them.
    deductions: Vec<(DeductionId, usize, Money)>,
}

/// A cashier's open shift.
struct Desk {
    shift_id: ShiftId,
    float: Money,
    shift: Shift,
}

/// The simulated hospital.
pub struct Hospital {
    rng: fastrand::Rng,
    clock: DateTime<Utc>,
    cashiers: Vec<(Actor, Cashier, Option<Desk>)>,
    departments: Vec<Actor>,
    auditor: Actor,
    controller: Actor,
    supervisor: Actor,
    cards: Vec<Patient>,
    stays: Vec<Patient>,
    next_card: u64,
    next_order: u64,
    day_acts: u32,
    out: Vec<Generated>,
}

const DEPARTMENTS: [&str; 5] = ["Registration", "Lab", "Imaging", "Pharmacy", "Ward"];
/// Acts at the windows and in the departments per simulated day.
const ACTS_PER_DAY: u32 = 2_000;

fn fen(fen: i64) -> Money {
    Money::from_fen(fen)
}

fn amount(money: Money) -> Amount {
    Amount::new(money).expect("the simulation pays positive sums")
}

impl Hospital {
    /// A hospital whose first day starts on `start` (08:00 local is 00:00 UTC in Shanghai).
    #[must_use]
    pub fn new(seed: u64, start: DateTime<Utc>) -> Hospital {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut out = Vec::new();
        let mut staff =
            |no: String, role: Role, department: Option<String>, rng: &mut fastrand::Rng| {
                let staff_id = StaffId(uuid(rng, start));
                let event = yika_domain::staff::register(
                    None,
                    &Staff::default(),
                    &StaffCommand::Register {
                        staff_id,
                        staff_no: no.clone(),
                        name: format!("Staff {no}"),
                        role,
                        department: department.clone(),
                        token_sha256: format!("{:064x}", rng.u128(..)),
                    },
                )
                .expect("a new staff number registers");
                out.push(Generated {
                    event_id: staff_id.as_uuid(),
                    stream_id: streams::staff(&no),
                    event,
                    actor: None,
                    at: start,
                });
                Actor {
                    staff_id,
                    staff_no: no,
                    role,
                    department,
                }
            };
        let cashiers = (1..=7)
            .map(|n| {
                (
                    staff(format!("C{n:03}"), Role::Cashier, None, &mut rng),
                    Cashier::default(),
                    None,
                )
            })
            .collect();
        let departments = DEPARTMENTS
            .iter()
            .enumerate()
            .map(|(n, d)| {
                staff(
                    format!("D{n:03}"),
                    Role::Department,
                    Some((*d).to_owned()),
                    &mut rng,
                )
            })
            .collect();
        let auditor = staff("A001".to_owned(), Role::Auditor, None, &mut rng);
        let controller = staff("F001".to_owned(), Role::Controller, None, &mut rng);
        let supervisor = staff("S001".to_owned(), Role::Supervisor, None, &mut rng);
        let mut hospital = Hospital {
            rng,
            clock: start,
            cashiers,
            departments,
            auditor,
            controller,
            supervisor,
            cards: Vec::new(),
            stays: Vec::new(),
            next_card: 0,
            next_order: 0,
            day_acts: 0,
            out,
        };
        let today = start.date_naive();
        let set = workload::set_coefficients(
            &hospital.supervisor,
            &Coefficients::default(),
            &CoefficientsCommand::Set {
                effective_from: today,
                today,
                base_ratio: Decimal::new(7, 1),
                coefficients: vec![
                    (BusinessType::CardIssue, Decimal::ONE),
                    (BusinessType::Deposit, Decimal::ONE),
                    (BusinessType::DischargeInsured, Decimal::new(15, 1)),
                    (BusinessType::DischargeOutOfArea, Decimal::new(35, 1)),
                ],
                set_by: hospital.supervisor.staff_id,
            },
        )
        .expect("coefficients from today");
        let supervisor = hospital.supervisor.clone();
        hospital.emit(streams::coefficients(), set, &supervisor);
        hospital
    }

    /// Simulates until at least `events` events exist and hands them over in log order.
    pub fn run(&mut self, events: usize, mut sink: impl FnMut(Generated)) {
        let mut handed = 0;
        while handed < events {
            self.act();
            for generated in self.out.drain(..) {
                handed += 1;
                sink(generated);
            }
        }
    }

    fn emit(&mut self, stream_id: String, event: Event, actor: &Actor) {
        let event_id = match &event {
            Event::ShiftOpened { shift_id, .. } => shift_id.as_uuid(),
            Event::ChargeDeducted { deduction_id, .. } => deduction_id.as_uuid(),
            _ => uuid(&mut self.rng, self.clock),
        };
        self.out.push(Generated {
            event_id,
            stream_id,
            event,
            actor: Some(actor.clone()),
            at: self.clock,
        });
    }

    fn tick(&mut self) {
        self.clock += Duration::milliseconds(self.rng.i64(200..20_000));
    }

    /// One act of the day; the day ends after [`ACTS_PER_DAY`] acts.
    fn act(&mut self) {
        if self.cashiers.iter().all(|(_, _, desk)| desk.is_none()) {
            self.open_day();
            return;
        }
        self.tick();
        self.day_acts += 1;
        if self.day_acts >= ACTS_PER_DAY {
            self.close_day();
            return;
        }
        let roll = self.rng.u32(..1_000);
        match roll {
            0..=119 => self.issue_card(),
            120..=499 => self.charge_card(),
            500..=529 => self.return_drug(),
            530..=579 => self.return_card(),
            580..=609 => self.admit(),
            610..=849 => self.charge_stay(),
            850..=889 => self.top_up(),
            890..=929 => self.discharge(),
            930..=939 => self.void_receipt(),
            940..=944 => self.surprise_count(),
            _ => self.charge_card(),
        }
    }

    fn open_day(&mut self) {
        // The day starts at 08:00 local (00:00 UTC in Shanghai) after the last one.
        let next = self.clock.date_naive() + Duration::days(1);
        let morning = Utc.from_utc_datetime(&next.and_hms_opt(0, 0, 0).expect("midnight"));
        self.clock = self.clock.max(morning);
        for index in 0..self.cashiers.len() {
            let shift_id = ShiftId(uuid(&mut self.rng, self.clock));
            let float = fen(self.rng.i64(0..3) * 50_000);
            let (actor, cashier, _) = &self.cashiers[index];
            let opened = window::open_shift(actor, cashier, shift_id, &format!("W{index}"), float)
                .expect("a cashier with no open shift opens one");
            let actor = actor.clone();
            self.cashiers[index].1.apply(&opened);
            self.cashiers[index].2 = Some(Desk {
                shift_id,
                float,
                shift: Shift::default(),
            });
            self.emit(streams::cashier(actor.staff_id), opened, &actor);
        }
        self.day_acts = 0;
    }

    /// A trainee is registered, their token rotated (expiring), revoked, and they leave: the
    /// token lifecycle, by the command line (no actor), as an administrator does it.
    fn trainee_leaves(&mut self) {
        self.next_card += 1;
        let no = format!("T{:06}", self.next_card);
        let staff_id = StaffId(uuid(&mut self.rng, self.clock));
        let mut staff = Staff::default();
        let push = |hospital: &mut Hospital, staff: &mut Staff, event: Event| {
            staff.apply(&event);
            let event_id = match &event {
                Event::StaffRegistered { staff_id, .. } => staff_id.as_uuid(),
                _ => uuid(&mut hospital.rng, hospital.clock),
            };
            hospital.out.push(Generated {
                event_id,
                stream_id: streams::staff(&no),
                event,
                actor: None,
                at: hospital.clock,
            });
        };
        let token = |rng: &mut fastrand::Rng| format!("{:064x}", rng.u128(..));
        let registered = yika_domain::staff::register(
            None,
            &staff,
            &StaffCommand::Register {
                staff_id,
                staff_no: no.clone(),
                name: format!("Trainee {no}"),
                role: Role::Cashier,
                department: None,
                token_sha256: token(&mut self.rng),
            },
        )
        .expect("a new staff number");
        push(self, &mut staff, registered);
        let issued = yika_domain::staff::manage(
            None,
            &staff,
            &StaffCommand::IssueToken {
                token_sha256: token(&mut self.rng),
                expires_at: Some(self.clock + Duration::days(30)),
                now: self.clock,
            },
        )
        .expect("a registered trainee gets a new token");
        push(self, &mut staff, issued);
        let revoked = yika_domain::staff::manage(None, &staff, &StaffCommand::RevokeToken)
            .expect("the trainee's token is revoked");
        push(self, &mut staff, revoked);
        let left = yika_domain::staff::manage(
            None,
            &staff,
            &StaffCommand::Deactivate {
                reason: "培训结束".to_owned(),
            },
        )
        .expect("the trainee leaves");
        push(self, &mut staff, left);
    }

    fn close_day(&mut self) {
        if self.rng.u8(..3) == 0 {
            self.trainee_leaves();
        }
        for index in 0..self.cashiers.len() {
            let Some(desk) = self.cashiers[index].2.take() else {
                continue;
            };
            let actor = self.cashiers[index].0.clone();
            let drawer = self.drawer(index, &desk);
            let expected = desk.shift.expected_cash(desk.float);
            // Now and then a drawer is a little short (短款).
            let counted = if self.rng.u32(..20) == 0 && expected > fen(100) {
                expected - fen(self.rng.i64(1..100))
            } else {
                expected
            };
            let closed = window::close_shift(&actor, &drawer, counted, &[])
                .expect("the cashier closes their open shift");
            self.cashiers[index].1.apply(&closed);
            self.emit(streams::cashier(actor.staff_id), closed, &actor);
            let drawer = self.drawer(index, &desk);
            let controller = self.controller.clone();
            let handed = window::hand_over(&controller, &drawer, counted)
                .expect("a closed shift is handed over");
            self.emit(streams::shift(desk.shift_id), handed, &controller);
        }
        if self.rng.bool() {
            let index = self.rng.usize(..self.cashiers.len());
            let cashier = self.cashiers[index].0.clone();
            let target = Staff {
                staff_id: Some(cashier.staff_id),
                ..Staff::default()
            };
            let supervisor = self.supervisor.clone();
            let recorded = workload::record_quality_deduction(
                &supervisor,
                &target,
                &RecordQualityDeduction {
                    staff_id: cashier.staff_id,
                    points: Decimal::new(self.rng.i64(1..20), 1),
                    reason: "服务态度".to_owned(),
                    recorded_by: supervisor.staff_id,
                },
            )
            .expect("a registered staff member");
            self.emit(streams::quality(cashier.staff_id), recorded, &supervisor);
        }
        // Evening: past 17:30 local.
        let evening = self
            .clock
            .date_naive()
            .and_hms_opt(10, 0, 0)
            .expect("a time");
        self.clock = self.clock.max(Utc.from_utc_datetime(&evening));
    }

    fn drawer(&self, index: usize, desk: &Desk) -> Drawer {
        let (actor, cashier, _) = &self.cashiers[index];
        Drawer {
            shift_id: desk.shift_id,
            opening: Some(ShiftOpening {
                cashier_id: actor.staff_id,
                opening_float: desk.float,
            }),
            cashier: cashier.clone(),
            shift: desk.shift.clone(),
        }
    }

    /// Money through a random window for `patient`; false when the drawer refuses (not enough
    /// cash for a payout).
    fn pay(&mut self, patient: &mut Patient, method: PaymentMethod, payment: Payment) -> bool {
        let index = self.rng.usize(..self.cashiers.len());
        let desk = self.cashiers[index]
            .2
            .take()
            .expect("shifts are open by day");
        let drawer = self.drawer(index, &desk);
        let actor = self.cashiers[index].0.clone();
        let mut desk = desk;
        let paid = match window::pay(&actor, &drawer, &patient.account, method, &payment) {
            Ok(paid) => paid,
            Err(yika_domain::DomainError::InsufficientCash { .. }) => {
                self.cashiers[index].2 = Some(desk);
                return false;
            }
            Err(other) => panic!("the simulation made a payment the domain refuses: {other}"),
        };
        patient.account.apply(&paid.movement);
        desk.shift.apply(&paid.receipt);
        let shift_id = desk.shift_id;
        self.cashiers[index].2 = Some(desk);
        self.emit(streams::account(patient.id), paid.movement, &actor);
        self.emit(streams::shift(shift_id), paid.receipt, &actor);
        true
    }

    fn method(&mut self) -> PaymentMethod {
        [
            PaymentMethod::Cash,
            PaymentMethod::Cash,
            PaymentMethod::Wechat,
            PaymentMethod::Alipay,
            PaymentMethod::BankCard,
        ][self.rng.usize(..5)]
    }

    fn open(&mut self, kind: AccountKind, scheme: InsuranceScheme) -> Patient {
        self.next_card += 1;
        let prefix = if kind == AccountKind::OutpatientCard {
            "MZ"
        } else {
            "ZY"
        };
        let card_no = format!("{prefix}{:08}", self.next_card);
        let id = AccountId(uuid(&mut self.rng, self.clock));
        let index = self.rng.usize(..self.cashiers.len());
        let actor = self.cashiers[index].0.clone();
        let (opened, assigned) = window::open_account(
            &actor,
            &Card::default(),
            &NewAccount {
                account_id: id,
                kind,
                patient_id: format!("P{:08}", self.next_card),
                card_no: card_no.clone(),
                insurance_scheme: scheme,
            },
        )
        .expect("a new card number");
        let mut patient = Patient {
            id,
            scheme,
            account: Account::default(),
            card: Card::default(),
            deductions: Vec::new(),
        };
        patient.account.apply(&opened);
        patient.card.apply(&assigned);
        self.emit(streams::account(id), opened, &actor);
        self.emit(streams::card(&card_no), assigned, &actor);
        patient
    }

    fn issue_card(&mut self) {
        let mut patient = self.open(AccountKind::OutpatientCard, InsuranceScheme::SelfPay);
        let method = self.method();
        let deposit = fen(self.rng.i64(1..=20) * 10_000);
        let external_ref =
            (method != PaymentMethod::Cash).then(|| format!("TX{:016x}", self.rng.u64(..)));
        self.pay(
            &mut patient,
            method,
            Payment::Deposit {
                amount: amount(deposit),
                external_ref,
            },
        );
        self.cards.push(patient);
    }

    fn deduct(&mut self, patient: &mut Patient, department: usize, price: Money) {
        let department_actor = self.departments[department].clone();
        self.next_order += 1;
        let deduction_id = DeductionId(uuid(&mut self.rng, self.clock));
        let event = execution::deduct(
            &department_actor,
            &patient.account,
            &Executed {
                deduction_id,
                amount: amount(price),
                department: department_actor.department.clone().expect("a department"),
                order_id: format!("O{:010}", self.next_order),
                item_code: format!("ITEM{}", self.rng.u32(..500)),
                item_name: None,
                quantity: i64::from(self.rng.u32(1..4)),
            },
        )
        .expect("the simulation charges within the balance");
        patient.account.apply(&event);
        patient.deductions.push((deduction_id, department, price));
        self.emit(streams::account(patient.id), event, &department_actor);
    }

    fn charge_card(&mut self) {
        if self.cards.is_empty() {
            return self.issue_card();
        }
        let index = self.rng.usize(..self.cards.len());
        let mut patient = self.cards.swap_remove(index);
        let balance = patient.account.balance.fen();
        if balance >= 100 {
            let department = self.rng.usize(..4);
            let price = fen(self.rng.i64(100..=balance.min(50_000)));
            self.deduct(&mut patient, department, price);
        }
        self.cards.push(patient);
    }

    fn return_drug(&mut self) {
        let candidates: Vec<usize> = (0..self.cards.len())
            .filter(|i| !self.cards[*i].deductions.is_empty())
            .collect();
        if candidates.is_empty() {
            return self.charge_card();
        }
        let index = candidates[self.rng.usize(..candidates.len())];
        let mut patient = self.cards.swap_remove(index);
        let (deduction_id, department, price) = patient
            .deductions
            .swap_remove(self.rng.usize(..patient.deductions.len()));
        let department_actor = self.departments[department].clone();
        let back = fen(self.rng.i64(1..=price.fen()));
        let event = execution::reverse(
            &department_actor,
            Some(&patient.account),
            deduction_id,
            amount(back),
            ReversalReason::DrugReturn,
        )
        .expect("a reversal within the deduction");
        patient.account.apply(&event);
        self.emit(streams::account(patient.id), event, &department_actor);
        self.cards.push(patient);
    }

    fn return_card(&mut self) {
        if self.cards.is_empty() {
            return;
        }
        let index = self.rng.usize(..self.cards.len());
        let mut patient = self.cards.swap_remove(index);
        if patient.account.balance.is_positive()
            && !self.pay(
                &mut patient,
                PaymentMethod::Cash,
                Payment::Refund {
                    amount: None,
                    external_ref: None,
                },
            )
        {
            // Not enough cash at that window: paid back to the patient's WeChat instead.
            self.pay(
                &mut patient,
                PaymentMethod::Wechat,
                Payment::Refund {
                    amount: None,
                    external_ref: None,
                },
            );
        }
        let actor = self.cashiers[self.rng.usize(..self.cashiers.len())]
            .0
            .clone();
        let (closed, released) = window::close_account(&actor, &patient.account, &patient.card)
            .expect("an account at 0.00 closes");
        let Event::AccountClosed { card_no, .. } = &closed else {
            unreachable!("closing decides AccountClosed");
        };
        let card_stream = streams::card(card_no);
        self.emit(streams::account(patient.id), closed, &actor);
        self.emit(card_stream, released, &actor);
    }

    fn admit(&mut self) {
        let scheme = [
            InsuranceScheme::EmployeeBasic,
            InsuranceScheme::EmployeeBasic,
            InsuranceScheme::ResidentBasic,
            InsuranceScheme::RuralCooperative,
            InsuranceScheme::OutOfArea,
            InsuranceScheme::SelfPay,
        ][self.rng.usize(..6)];
        let mut patient = self.open(AccountKind::InpatientDeposit, scheme);
        let method = self.method();
        let deposit = fen(self.rng.i64(5..=50) * 100_000);
        self.pay(
            &mut patient,
            method,
            Payment::Deposit {
                amount: amount(deposit),
                external_ref: None,
            },
        );
        self.stays.push(patient);
    }

    fn charge_stay(&mut self) {
        if self.stays.is_empty() {
            return self.admit();
        }
        let index = self.rng.usize(..self.stays.len());
        let mut patient = self.stays.swap_remove(index);
        let department = self.rng.usize(..DEPARTMENTS.len());
        let price = fen(self.rng.i64(1_000..300_000));
        self.deduct(&mut patient, department, price);
        self.stays.push(patient);
    }

    fn top_up(&mut self) {
        if self.stays.is_empty() {
            return self.admit();
        }
        let index = self.rng.usize(..self.stays.len());
        let mut patient = self.stays.swap_remove(index);
        let method = self.method();
        let deposit = fen(self.rng.i64(1..=20) * 100_000);
        self.pay(
            &mut patient,
            method,
            Payment::Deposit {
                amount: amount(deposit),
                external_ref: None,
            },
        );
        self.stays.push(patient);
    }

    fn discharge(&mut self) {
        // Discharges come in the morning (09:00-12:00 local is 01:00-04:00 UTC).
        if self.stays.len() < 20 || !(1..4).contains(&self.clock.hour()) {
            return self.charge_stay();
        }
        let index = self.rng.usize(..self.stays.len());
        let mut patient = self.stays.swap_remove(index);
        let charges = patient.account.total_charges();
        let scheme = patient.scheme;
        let insurance = if scheme == InsuranceScheme::SelfPay {
            Money::ZERO
        } else {
            fen(charges.fen() * i64::from(self.rng.u32(40..80)) / 100)
        };
        let method = self.method();
        let settled = self.pay(
            &mut patient,
            method,
            Payment::SettleDischarge {
                external_ref: None,
                insurance_scheme: scheme,
                insurance_pays: insurance,
            },
        ) || self.pay(
            &mut patient,
            PaymentMethod::BankCard,
            Payment::SettleDischarge {
                external_ref: None,
                insurance_scheme: scheme,
                insurance_pays: insurance,
            },
        );
        if !settled {
            self.stays.push(patient);
        }
    }

    fn void_receipt(&mut self) {
        let index = self.rng.usize(..self.cashiers.len());
        let desk = self.cashiers[index]
            .2
            .take()
            .expect("shifts are open by day");
        let drawer = self.drawer(index, &desk);
        let actor = self.cashiers[index].0.clone();
        let voided = window::void_receipt(&actor, &drawer, "spoiled form")
            .expect("the cashier voids in their open shift");
        let mut desk = desk;
        desk.shift.apply(&voided);
        let shift_id = desk.shift_id;
        self.cashiers[index].2 = Some(desk);
        self.emit(streams::shift(shift_id), voided, &actor);
    }

    fn surprise_count(&mut self) {
        let index = self.rng.usize(..self.cashiers.len());
        let desk = self.cashiers[index]
            .2
            .take()
            .expect("shifts are open by day");
        let drawer = self.drawer(index, &desk);
        let expected = desk.shift.expected_cash(desk.float);
        let auditor = self.auditor.clone();
        let counted = window::count_cash(&auditor, &drawer, expected, None)
            .expect("an auditor counts an open shift");
        let mut desk = desk;
        desk.shift.apply(&counted);
        let shift_id = desk.shift_id;
        self.cashiers[index].2 = Some(desk);
        self.emit(streams::shift(shift_id), counted, &auditor);
    }
}

/// A UUID v7 at `at` with random bits from the simulation's generator.
fn uuid(rng: &mut fastrand::Rng, at: DateTime<Utc>) -> Uuid {
    let millis = u64::try_from(at.timestamp_millis()).unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(
        millis,
        &rng.u128(..).to_le_bytes()[..10]
            .try_into()
            .expect("10 bytes"),
    )
    .into_uuid()
}

/// Writes generated events into an empty event store as its log: dense positions, each
/// stream's revisions, the hash chain and the recorded times, imported in batches. Returns the
/// head position.
pub async fn import(
    store: &dyn EventStore,
    generated: impl IntoIterator<Item = Generated>,
) -> Result<u64, StoreError> {
    let mut position = store.head_position().await?;
    if position != 0 {
        return Err(StoreError::Invalid(
            "a generated ledger goes into an empty store",
        ));
    }
    let mut previous = GENESIS;
    let mut revisions: HashMap<String, u64> = HashMap::new();
    let mut batch = Vec::with_capacity(MAX_IMPORT_BATCH);
    let mut last_at = DateTime::<Utc>::MIN_UTC;
    for g in generated {
        position += 1;
        let revision = revisions.entry(g.stream_id.clone()).or_insert(0);
        *revision += 1;
        let metadata = Metadata {
            actor_id: g.actor.as_ref().map(|a| a.staff_id),
            actor_role: g.actor.as_ref().map(|a| a.role),
            terminal: None,
            correlation_id: g.event_id,
            causation_id: None,
            occurred_at: g.at,
            idempotency: Some(None),
            back_entry: None,
        };
        let at = yika_store::time::as_stored(g.at.max(last_at))?;
        last_at = at;
        let mut recorded = RecordedEvent {
            position,
            event_id: g.event_id,
            stream_id: g.stream_id,
            revision: *revision,
            event_type: g.event.event_type().to_owned(),
            schema_version: Event::SCHEMA_VERSION,
            payload: g.event.encode(),
            metadata: serde_json::to_string(&metadata).expect("metadata serializes"),
            recorded_at: at,
            hash: String::new(),
        };
        previous = event_hash(&previous, &recorded);
        recorded.hash = previous.iter().map(|b| format!("{b:02x}")).collect();
        batch.push(recorded);
        if batch.len() == MAX_IMPORT_BATCH {
            store.import(std::mem::take(&mut batch)).await?;
        }
    }
    if !batch.is_empty() {
        store.import(batch).await?;
    }
    Ok(position)
}
