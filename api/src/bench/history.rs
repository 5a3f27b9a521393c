//! `yika bench --scenario history --events N`: does a command's cost grow with its account's
//! history? One card gets N earlier deductions (written as a log through the domain's own
//! decisions), another is new; the application (the same layer a GraphQL mutation calls, with
//! the views followed and waited for) then deducts from each, one command at a time.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;
use yika_domain::execution::{self, Executed};
use yika_domain::ids::streams;
use yika_domain::window::{self, Drawer, NewAccount, Payment, ShiftOpening};
use yika_domain::{
    Account, AccountId, AccountKind, Actor, Aggregate, Amount, Card, Cashier, DeductionId, Event,
    InsuranceScheme, Money, PaymentMethod, Role, Shift, ShiftId, Staff, StaffCommand, StaffId,
};
use yika_projections::sample::{Generated, import};

use super::{Latencies, Settings, bench_dir, ms};
use crate::anyhow_like::Result;
use crate::application::Deduct;
use crate::{Locations, application, open_stores};

/// Commands measured on each account.
const COMMANDS: usize = 300;

pub async fn run(locations: &Locations, settings: &Settings) -> Result<()> {
    if settings.events == 0 || settings.events > 2_000_000 {
        return Err(
            "--events (the long account's history) must be between 1 and 2000000".to_owned(),
        );
    }
    let dir = bench_dir(locations)?;
    let result = measure(settings.events, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

struct Log {
    out: Vec<Generated>,
    at: DateTime<Utc>,
}

impl Log {
    fn push(&mut self, stream_id: String, event: Event, actor: Option<&Actor>) {
        let event_id = match &event {
            Event::StaffRegistered { staff_id, .. } => staff_id.as_uuid(),
            Event::ShiftOpened { shift_id, .. } => shift_id.as_uuid(),
            Event::ChargeDeducted { deduction_id, .. } => deduction_id.as_uuid(),
            _ => Uuid::now_v7(),
        };
        self.at += Duration::milliseconds(1);
        self.out.push(Generated {
            event_id,
            stream_id,
            event,
            actor: actor.cloned(),
            at: self.at,
        });
    }

    fn staff(&mut self, no: &str, role: Role, department: Option<&str>) -> Actor {
        let staff_id = StaffId(Uuid::now_v7());
        let event = yika_domain::staff::register(
            None,
            &Staff::default(),
            &StaffCommand::Register {
                staff_id,
                staff_no: no.to_owned(),
                name: format!("Bench {no}"),
                role,
                department: department.map(str::to_owned),
                token_sha256: format!("{:064x}", staff_id.as_uuid().as_u128()),
            },
        )
        .expect("registers");
        self.push(streams::staff(no), event, None);
        Actor {
            staff_id,
            staff_no: no.to_owned(),
            role,
            department: department.map(str::to_owned),
        }
    }
}

/// A card opened at the window with a deposit of `deposit`; the account as the domain holds it.
fn card(
    log: &mut Log,
    cashier: &Actor,
    drawer: &mut Drawer,
    card_no: &str,
    deposit: Money,
) -> (AccountId, Account) {
    let id = AccountId(Uuid::now_v7());
    let (opened, assigned) = window::open_account(
        cashier,
        &Card::default(),
        &NewAccount {
            account_id: id,
            kind: AccountKind::OutpatientCard,
            patient_id: card_no.to_owned(),
            card_no: card_no.to_owned(),
            insurance_scheme: InsuranceScheme::SelfPay,
        },
    )
    .expect("opens");
    let mut account = Account::default();
    account.apply(&opened);
    log.push(streams::account(id), opened, Some(cashier));
    log.push(streams::card(card_no), assigned, Some(cashier));
    let paid = window::pay(
        cashier,
        drawer,
        &account,
        PaymentMethod::BankCard,
        &Payment::Deposit {
            amount: Amount::new(deposit).expect("a deposit"),
            external_ref: None,
        },
    )
    .expect("paid");
    account.apply(&paid.movement);
    drawer.shift.apply(&paid.receipt);
    log.push(streams::account(id), paid.movement, Some(cashier));
    log.push(streams::shift(drawer.shift_id), paid.receipt, Some(cashier));
    (id, account)
}

/// The bench's ledger: a cashier's shift, a department, a card `LONG` with `history` deductions
/// of a cent and a card `NEW` with none, each opened with `deposit`. Its events, the
/// department, and the two cards.
fn ledger(history: usize, deposit: Money) -> (Vec<Generated>, Actor, AccountId, AccountId) {
    let mut log = Log {
        out: Vec::with_capacity(history + 32),
        at: Utc::now() - Duration::days(1),
    };
    let cashier = log.staff("C001", Role::Cashier, None);
    let lab = log.staff("L001", Role::Department, Some("Lab"));
    let shift_id = ShiftId(Uuid::now_v7());
    let mut cashier_state = Cashier::default();
    let opened =
        window::open_shift(&cashier, &cashier_state, shift_id, "W1", Money::ZERO).expect("opens");
    cashier_state.apply(&opened);
    log.push(streams::cashier(cashier.staff_id), opened, Some(&cashier));
    let mut drawer = Drawer {
        shift_id,
        opening: Some(ShiftOpening {
            cashier_id: cashier.staff_id,
            opening_float: Money::ZERO,
        }),
        cashier: cashier_state,
        shift: Shift::default(),
    };
    let (long_id, mut long) = card(&mut log, &cashier, &mut drawer, "LONG", deposit);
    let (new_id, _) = card(&mut log, &cashier, &mut drawer, "NEW", deposit);
    let cent = Amount::new(Money::from_fen(1)).expect("a cent");
    for n in 0..history {
        let deducted = execution::deduct(
            &lab,
            &long,
            &Executed {
                deduction_id: DeductionId(Uuid::now_v7()),
                amount: cent,
                department: "Lab".to_owned(),
                order_id: format!("H{n}"),
                item_code: "LAB".to_owned(),
                item_name: None,
                quantity: 1,
            },
        )
        .expect("within the balance");
        long.apply(&deducted);
        log.push(streams::account(long_id), deducted, Some(&lab));
    }
    (log.out, lab, long_id, new_id)
}

async fn measure(history: usize, dir: &std::path::Path) -> Result<()> {
    let (events, lab, long_id, new_id) = ledger(history, Money::from_fen(Amount::MAX_FEN));
    let data = dir.join("data");
    std::fs::create_dir_all(&data).map_err(|e| e.to_string())?;
    let stores = open_stores(&Locations::data_dir(&data)).await?;
    import(stores.events.as_ref(), events)
        .await
        .map_err(|e| e.to_string())?;
    let (app, runner) = application(&stores);
    runner.catch_up().await.map_err(|e| e.to_string())?;
    let following = tokio::spawn(runner.run());
    println!(
        "yika bench: history, one card with {history} earlier deductions, one new; {COMMANDS} deductions on each, one at a time, views waited for"
    );
    let mut order = 0;
    let mut report = Vec::new();
    for (label, account) in [("new card", new_id), ("long card", long_id)] {
        report.push(run_commands(&app, &lab, account, &mut order, label).await?);
    }
    following.abort();
    let _ = following.await;
    // The long card's first command read its whole stream and kept a snapshot (off its path):
    // wait for it, then start again, as a server restarts.
    let stream = streams::account(long_id);
    let mut kept = None;
    for _ in 0..200 {
        kept = stores
            .events
            .read_snapshot(&stream)
            .await
            .map_err(|e| e.to_string())?;
        if kept.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    stores.close().await;
    let stores = open_stores(&Locations::data_dir(&data)).await?;
    let (app, runner) = application(&stores);
    runner.catch_up().await.map_err(|e| e.to_string())?;
    let following = tokio::spawn(runner.run());
    let label = match &kept {
        Some(snapshot) => format!(
            "long card after a restart (snapshot kept at revision {})",
            snapshot.revision
        ),
        None => "long card after a restart (no snapshot kept)".to_owned(),
    };
    report.push(run_commands(&app, &lab, long_id, &mut order, &label).await?);
    for line in report {
        println!("{line}");
    }
    following.abort();
    let _ = following.await;
    stores.close().await;
    Ok(())
}

/// One deduction of a cent through the application, timed.
async fn deduct(
    app: &crate::application::App,
    lab: &Actor,
    account: AccountId,
    order_id: String,
) -> Result<std::time::Duration> {
    let started = Instant::now();
    app.deduct(
        lab,
        Deduct {
            account_id: account,
            amount: Money::from_fen(1),
            department: "Lab".to_owned(),
            order_id,
            item_code: "LAB".to_owned(),
            item_name: None,
            quantity: 1,
        },
    )
    .await
    .map_err(|e| e.to_string())?;
    Ok(started.elapsed())
}

/// The first command on `account`, then [`COMMANDS`] more: the report's line.
async fn run_commands(
    app: &crate::application::App,
    lab: &Actor,
    account: AccountId,
    order: &mut usize,
    label: &str,
) -> Result<String> {
    let mut next = || {
        *order += 1;
        format!("M{order}")
    };
    let first = deduct(app, lab, account, next()).await?;
    let mut latencies = Latencies::default();
    for _ in 0..COMMANDS {
        latencies.push(deduct(app, lab, account, next()).await?);
    }
    Ok(format!(
        "{label}: first {:.2}ms, then mean {:.2}ms p50 {:.2}ms p99 {:.2}ms",
        ms(first),
        ms(latencies.mean()),
        ms(latencies.quantile(0.5)),
        ms(latencies.quantile(0.99))
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A card with `history` deductions, imported into fresh stores under `dir`.
    async fn long_card(dir: &std::path::Path, history: usize) -> (AccountId, Locations) {
        let (events, _, id, _) = ledger(history, Money::from_fen(1_000_000));
        let locations = Locations::data_dir(dir);
        let stores = open_stores(&locations).await.expect("stores");
        import(stores.events.as_ref(), events)
            .await
            .expect("imported");
        stores.close().await;
        (id, locations)
    }

    async fn snapshot_kept(
        store: &dyn yika_store::EventStore,
        stream: &str,
    ) -> Option<yika_store::Snapshot> {
        for _ in 0..200 {
            if let Some(kept) = store.read_snapshot(stream).await.expect("read") {
                return Some(kept);
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        None
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_long_stream_s_first_load_after_a_start_reads_its_snapshot_and_what_follows() {
        // Goal: loading a stream of more than SNAPSHOT_EVERY events keeps a snapshot of it (equal
        // to the log's state); a process started later decides on that snapshot and the
        // events after it; a snapshot that does not match the log at its revision (another
        // hash) or is of another kind is not used.
        let dir = tempfile::tempdir().expect("a temp dir");
        let history = usize::try_from(crate::application::cache::SNAPSHOT_EVERY).expect("fits") + 5;
        let (id, locations) = long_card(dir.path(), history).await;
        let stream = streams::account(id);
        let whole = history as u64 + 2;

        let stores = open_stores(&locations).await.expect("stores");
        let (app, _) = application(&stores);
        let loaded = app.load::<Account>(&stream).await.expect("loaded");
        assert_eq!(loaded.revision, whole);
        let kept = snapshot_kept(stores.events.as_ref(), &stream)
            .await
            .expect("a snapshot was kept");
        assert_eq!(
            crate::verify::snapshots(&app).await.expect("verified"),
            Vec::<String>::new(),
            "a true snapshot passes verify"
        );
        assert_eq!(kept.revision, whole);
        assert_eq!(Some(kept.kind.as_str()), Account::SNAPSHOT);
        assert_eq!(
            Account::restore(&kept.state).expect("restores"),
            *loaded.state
        );
        stores.close().await;

        // A later start: the snapshot, doctored so that using it shows, plus one more event.
        let stores = open_stores(&locations).await.expect("stores");
        let mut doctored = Account::restore(&kept.state).expect("restores");
        doctored.deposited = Money::from_fen(42);
        stores
            .events
            .write_snapshot(yika_store::Snapshot {
                state: doctored.snapshot().expect("a snapshot"),
                ..kept.clone()
            })
            .await
            .expect("kept");
        let (app, _) = application(&stores);
        let loaded = app.load::<Account>(&stream).await.expect("loaded");
        assert_eq!(loaded.revision, whole);
        assert_eq!(
            loaded.state.deposited,
            Money::from_fen(42),
            "the snapshot was used"
        );
        let found = crate::verify::snapshots(&app).await.expect("verified");
        assert_eq!(
            found.len(),
            1,
            "verify names the doctored snapshot: {found:?}"
        );
        assert!(found[0].contains(&stream), "{found:?}");
        stores.close().await;

        for (what, mismatched) in [
            (
                "another hash",
                yika_store::Snapshot {
                    state: doctored.snapshot().expect("a snapshot"),
                    hash: "0".repeat(64),
                    ..kept.clone()
                },
            ),
            (
                "another kind",
                yika_store::Snapshot {
                    state: doctored.snapshot().expect("a snapshot"),
                    kind: "account/0@0.0.0".to_owned(),
                    ..kept.clone()
                },
            ),
        ] {
            let stores = open_stores(&locations).await.expect("stores");
            stores
                .events
                .write_snapshot(mismatched)
                .await
                .expect("kept");
            let (app, _) = application(&stores);
            let loaded = app.load::<Account>(&stream).await.expect("loaded");
            assert_eq!(loaded.revision, whole, "{what}");
            assert_eq!(
                loaded.state.deposited,
                Money::from_fen(1_000_000),
                "{what}: the stream was read whole instead"
            );
            stores.close().await;
        }
    }
}
