//! Every event the domain accepts at the bounds of what the ledger keeps is read back and applied
//! to every view (issue 13, item 1): seeded random ledgers of deposits of the largest amount, up
//! to the largest running total, with deductions, reversals, payouts, cash counts (a sum written
//! into an event), a close and a hand-over, are decided by the domain (refusals skipped), written
//! as a log, read back (decoded) and projected by the runner into SQLite, and folded in memory;
//! the views never stall and both folds agree, and the views hold the domain's own totals.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;
use yika_domain::execution::{self, Executed};
use yika_domain::ids::streams;
use yika_domain::window::{self, Drawer, NewAccount, Payment, ShiftOpening};
use yika_domain::{
    Account, AccountId, AccountKind, Actor, Aggregate, Amount, Card, Cashier, DeductionId,
    DomainError, Event, InsuranceScheme, Money, PaymentMethod, ReversalReason, Role, Shift,
    ShiftId, Staff, StaffCommand, StaffId,
};
use yika_projections::memory::InMemory;
use yika_projections::sample::{Generated, import};
use yika_projections::views::compared_tables;
use yika_projections::{ProjectionRunner, ReadStore};
use yika_store::{EventStore, SqliteEventStore};

struct Log {
    rng: fastrand::Rng,
    at: DateTime<Utc>,
    events: Vec<Generated>,
}

impl Log {
    fn id(&mut self) -> Uuid {
        Uuid::from_u128(self.rng.u128(..))
    }

    fn emit(&mut self, stream_id: String, event: Event, actor: Option<&Actor>) {
        self.at += Duration::milliseconds(self.rng.i64(1..5_000));
        let event_id = match &event {
            Event::ShiftOpened { shift_id, .. } => shift_id.as_uuid(),
            Event::ChargeDeducted { deduction_id, .. } => deduction_id.as_uuid(),
            Event::StaffRegistered { staff_id, .. } => staff_id.as_uuid(),
            _ => self.id(),
        };
        self.events.push(Generated {
            event_id,
            stream_id,
            event,
            actor: actor.cloned(),
            at: self.at,
        });
    }

    fn staff(&mut self, no: &str, role: Role, department: Option<&str>) -> Actor {
        let staff_id = StaffId(self.id());
        let event = yika_domain::staff::register(
            None,
            &Staff::default(),
            &StaffCommand::Register {
                staff_id,
                staff_no: no.to_owned(),
                name: format!("Staff {no}"),
                role,
                department: department.map(str::to_owned),
                token_sha256: format!("{:064x}", self.rng.u128(..)),
            },
        )
        .expect("a new staff number");
        self.emit(streams::staff(no), event, None);
        Actor {
            staff_id,
            staff_no: no.to_owned(),
            role,
            department: department.map(str::to_owned),
        }
    }
}

/// An account, as the domain holds it, with the deductions that may still be reversed.
type Patient = (AccountId, Account, Vec<(DeductionId, Money)>);

/// An amount near the largest one, or a small one now and then.
fn large(rng: &mut fastrand::Rng) -> Amount {
    let fen = match rng.u8(..10) {
        0 => rng.i64(1..10_000),
        1..=3 => rng.i64(Amount::MAX_FEN / 2..=Amount::MAX_FEN),
        _ => Amount::MAX_FEN,
    };
    Amount::new(Money::from_fen(fen)).expect("a positive amount")
}

/// A refusal the bounds may cause; anything else is a bug in this test.
fn at_a_bound(error: &DomainError) -> bool {
    matches!(
        error,
        DomainError::TotalTooLarge { .. }
            | DomainError::InsufficientBalance { .. }
            | DomainError::InsufficientCash { .. }
    )
}

/// A seeded ledger pushed to the bounds, decided by the domain.
fn ledger_at_the_bounds(seed: u64, decisions: usize) -> (Vec<Generated>, Vec<(AccountId, Money)>) {
    let mut log = Log {
        rng: fastrand::Rng::with_seed(seed),
        at: DateTime::parse_from_rfc3339("2026-11-02T00:00:00Z")
            .expect("a time")
            .with_timezone(&Utc),
        events: Vec::new(),
    };
    let cashier_actor = log.staff("C001", Role::Cashier, None);
    let lab = log.staff("D001", Role::Department, Some("Lab"));
    let auditor = log.staff("A001", Role::Auditor, None);
    let controller = log.staff("F001", Role::Controller, None);

    let mut cashier = Cashier::default();
    let shift_id = ShiftId(log.id());
    let float = Money::from_fen(Amount::MAX_FEN);
    let opened =
        window::open_shift(&cashier_actor, &cashier, shift_id, "W1", float).expect("a shift opens");
    cashier.apply(&opened);
    log.emit(
        streams::cashier(cashier_actor.staff_id),
        opened,
        Some(&cashier_actor),
    );
    let mut shift = Shift::default();

    let mut accounts: Vec<Patient> = Vec::new();
    for n in 0..2 {
        let id = AccountId(log.id());
        let (opened, assigned) = window::open_account(
            &cashier_actor,
            &Card::default(),
            &NewAccount {
                account_id: id,
                kind: AccountKind::InpatientDeposit,
                patient_id: format!("P{n}"),
                card_no: format!("ZY{n:08}"),
                insurance_scheme: InsuranceScheme::SelfPay,
            },
        )
        .expect("a new card");
        let mut account = Account::default();
        account.apply(&opened);
        log.emit(streams::account(id), opened, Some(&cashier_actor));
        log.emit(
            streams::card(&format!("ZY{n:08}")),
            assigned,
            Some(&cashier_actor),
        );
        accounts.push((id, account, Vec::new()));
    }
    let drawer = |cashier: &Cashier, shift: &Shift| Drawer {
        shift_id,
        opening: Some(ShiftOpening {
            cashier_id: cashier_actor.staff_id,
            opening_float: float,
        }),
        cashier: cashier.clone(),
        shift: shift.clone(),
    };

    let mut refused_at_bounds = 0;
    let mut next_order = 0;
    for _ in 0..decisions {
        let which = log.rng.usize(..accounts.len());
        let roll = log.rng.u8(..100);
        let (id, account, deductions) = &mut accounts[which];
        let id = *id;
        let outcome: Result<(), DomainError> = match roll {
            // Deposits, mostly of the largest amount: the running totals reach their bound.
            0..=69 => {
                let method = if log.rng.u8(..4) > 0 {
                    PaymentMethod::Cash
                } else {
                    PaymentMethod::Wechat
                };
                let payment = Payment::Deposit {
                    amount: large(&mut log.rng),
                    external_ref: None,
                };
                window::pay(
                    &cashier_actor,
                    &drawer(&cashier, &shift),
                    account,
                    method,
                    &payment,
                )
                .map(|paid| {
                    account.apply(&paid.movement);
                    shift.apply(&paid.receipt);
                    log.emit(streams::account(id), paid.movement, Some(&cashier_actor));
                    log.emit(streams::shift(shift_id), paid.receipt, Some(&cashier_actor));
                })
            }
            70..=84 => {
                next_order += 1;
                let deduction_id = DeductionId(log.id());
                let amount = large(&mut log.rng);
                execution::deduct(
                    &lab,
                    account,
                    &Executed {
                        deduction_id,
                        amount,
                        department: "Lab".to_owned(),
                        order_id: format!("O{next_order}"),
                        item_code: "LAB".to_owned(),
                        item_name: None,
                        quantity: 1,
                    },
                )
                .map(|event| {
                    account.apply(&event);
                    deductions.push((deduction_id, amount.money()));
                    log.emit(streams::account(id), event, Some(&lab));
                })
            }
            85..=89 if !deductions.is_empty() => {
                let (deduction_id, price) = deductions.swap_remove(0);
                execution::reverse(
                    &lab,
                    Some(account),
                    deduction_id,
                    Amount::new(price).expect("positive"),
                    ReversalReason::ChargeError,
                )
                .map(|event| {
                    account.apply(&event);
                    log.emit(streams::account(id), event, Some(&lab));
                })
            }
            90..=94 => {
                let method = if log.rng.bool() {
                    PaymentMethod::Cash
                } else {
                    PaymentMethod::Alipay
                };
                let payment = Payment::Refund {
                    external_ref: None,
                    amount: Some(large(&mut log.rng)),
                };
                window::pay(
                    &cashier_actor,
                    &drawer(&cashier, &shift),
                    account,
                    method,
                    &payment,
                )
                .map(|paid| {
                    account.apply(&paid.movement);
                    shift.apply(&paid.receipt);
                    log.emit(streams::account(id), paid.movement, Some(&cashier_actor));
                    log.emit(streams::shift(shift_id), paid.receipt, Some(&cashier_actor));
                })
            }
            // A surprise count of the whole drawer: its expected cash is written into the event.
            _ => {
                let expected = shift.expected_cash(float);
                window::count_cash(&auditor, &drawer(&cashier, &shift), expected, None).map(
                    |event| {
                        shift.apply(&event);
                        log.emit(streams::shift(shift_id), event, Some(&auditor));
                    },
                )
            }
        };
        match outcome {
            Ok(()) => {}
            Err(error) if at_a_bound(&error) => {
                if matches!(error, DomainError::TotalTooLarge { .. }) {
                    refused_at_bounds += 1;
                }
            }
            Err(error) => panic!("seed {seed}: an unexpected refusal: {error}"),
        }
    }
    assert!(
        refused_at_bounds > 0,
        "seed {seed}: the ledger reached the largest total ({refused_at_bounds} refusals)"
    );
    // The day ends: a blind count of everything, then the hand-over of all of it.
    let expected = shift.expected_cash(float);
    let closed = window::close_shift(&cashier_actor, &drawer(&cashier, &shift), expected, &[])
        .expect("the shift closes at the largest sums");
    cashier.apply(&closed);
    shift.apply(&closed);
    log.emit(
        streams::cashier(cashier_actor.staff_id),
        closed,
        Some(&cashier_actor),
    );
    let handed =
        window::hand_over(&controller, &drawer(&cashier, &shift), expected).expect("handed over");
    log.emit(streams::shift(shift_id), handed, Some(&controller));
    let balances = accounts
        .iter()
        .map(|(id, account, _)| (*id, account.balance))
        .collect();
    (log.events, balances)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepted_events_at_the_bounds_decode_and_apply_to_every_view() {
    for seed in [1_u64, 7, 2026] {
        let dir = tempfile::tempdir().expect("a directory");
        let store: Arc<dyn EventStore> = Arc::new(
            SqliteEventStore::open(&dir.path().join("events.db"))
                .await
                .expect("an event store"),
        );
        let (events, balances) = ledger_at_the_bounds(seed, 3_500);
        let head = import(store.as_ref(), events).await.expect("imported");

        // Decoded and folded in memory.
        let memory = InMemory::replay(store.as_ref(), head)
            .await
            .unwrap_or_else(|e| panic!("seed {seed}: the fold failed: {e}"));
        assert_eq!(memory.position, head);

        // Decoded and projected by the runner into SQLite.
        let read = ReadStore::open(&dir.path().join("read.db"))
            .await
            .expect("a read store");
        ProjectionRunner::new(store.clone(), read.clone())
            .catch_up()
            .await
            .unwrap_or_else(|e| panic!("seed {seed}: the views stalled: {e}"));
        assert_eq!(read.position(), head, "seed {seed}: every event applied");
        assert!(read.stalled().is_none());

        let digests = memory.digests();
        let mut conn = read.pool().acquire().await.expect("a connection");
        for table in compared_tables() {
            let written = yika_projections::verify::digest(&mut conn, table)
                .await
                .expect("a digest");
            assert_eq!(
                Some(&written),
                digests.get(table),
                "seed {seed}: {table} written differs from folded in memory"
            );
        }
        drop(conn);
        for (id, balance) in balances {
            let row = read
                .account(id)
                .await
                .expect("a read")
                .expect("the account is in the views");
            assert_eq!(
                row.balance, balance,
                "seed {seed}: the views hold the domain's balance"
            );
        }
    }
}
