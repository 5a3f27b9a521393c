//! `yika bench --scenario history --events N`: does a command's cost grow with its account's
//! history? One card gets N earlier deductions (written as a log through the domain's own
//! decisions), another is new; the application (the same layer a GraphQL mutation calls, with
//! the views followed and waited for) then deducts from each, one command at a time.

use std::sync::Arc;
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

async fn measure(history: usize, dir: &std::path::Path) -> Result<()> {
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
    let big = Money::from_fen(Amount::MAX_FEN);
    let (long_id, mut long) = card(&mut log, &cashier, &mut drawer, "LONG", big);
    let (new_id, _) = card(&mut log, &cashier, &mut drawer, "NEW", big);
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
    let data = dir.join("data");
    std::fs::create_dir_all(&data).map_err(|e| e.to_string())?;
    let stores = open_stores(&Locations::data_dir(&data)).await?;
    import(stores.events.as_ref(), std::mem::take(&mut log.out))
        .await
        .map_err(|e| e.to_string())?;
    let (app, runner) = application(&stores);
    runner.catch_up().await.map_err(|e| e.to_string())?;
    let following = tokio::spawn(runner.run());
    let app = Arc::new(app);
    println!(
        "yika bench: history, one card with {history} earlier deductions, one new; {COMMANDS} deductions on each, one at a time, views waited for"
    );
    let mut order = 0;
    let mut deduct = |account: AccountId| {
        order += 1;
        let (app, lab) = (app.clone(), lab.clone());
        let order_id = format!("M{order}");
        async move {
            let started = Instant::now();
            app.deduct(
                &lab,
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
            Ok::<_, String>(started.elapsed())
        }
    };
    let mut report = Vec::new();
    for (label, account) in [("new card", new_id), ("long card", long_id)] {
        let first = deduct(account).await?;
        let mut latencies = Latencies::default();
        for _ in 0..COMMANDS {
            latencies.push(deduct(account).await?);
        }
        report.push(format!(
            "{label}: first {:.2}ms, then mean {:.2}ms p50 {:.2}ms p99 {:.2}ms",
            ms(first),
            ms(latencies.mean()),
            ms(latencies.quantile(0.5)),
            ms(latencies.quantile(0.99))
        ));
    }
    for line in report {
        println!("{line}");
    }
    following.abort();
    let _ = following.await;
    stores.close().await;
    Ok(())
}
