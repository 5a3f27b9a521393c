//! `yika bench --scenario deductions`: the whole path a department terminal waits on. A real
//! `yika serve` is started on a fresh data directory in the benchmark's folder; a cashier opens a
//! shift, issues `--cards` cards and deposits on each; then `--connections` connections, each a
//! department terminal, deduct 1.00 at a time from random cards for `--seconds` (after two
//! seconds of warm-up), each waiting for its answer (the deduction as the views hold it: the
//! answer comes only once the views include it). Beside it, in the same run and on the same
//! disk, plain SQLite commits single rows durably (WAL, `synchronous=FULL`) one after another:
//! the rate group commit is measured against.
//!
//! `--scenario point` runs the same setup, then reads `account(id)` of random cards.
//!
//! With `--rate`, either scenario sends that many requests a second in all (an open loop, each
//! connection's sends spread over its interval, as a hospital's terminals and screens send
//! them): what a terminal waits at a given load, rather than the most the machine answers. A
//! latency is timed from its request's send; a connection whose answer comes late sends its next
//! request at once.

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sqlx::Connection as _;
use tokio::io::AsyncBufReadExt as _;
use yika_domain::Role;

use super::http::Connection;
use super::{Latencies, Settings, bench_dir, ms};
use crate::anyhow_like::Result;
use crate::application::RegisterStaff;
use crate::{Locations, application, open_stores};

/// The most requests a second `--rate` asks for.
const MAX_RATE: u64 = 1_000_000;

const OPEN_SHIFT: &str = "mutation($k: String!) { openShift(input: { window: \"W1\", openingFloat: \"0.00\", idempotencyKey: $k }) { id } }";
const OPEN_ACCOUNT: &str = "mutation($card: String!) { openAccount(input: { kind: OUTPATIENT_CARD, patientId: $card, cardNo: $card, idempotencyKey: $card }) { id } }";
const DEPOSIT: &str = "mutation($account: UUID!, $shift: UUID!, $k: String!) { deposit(input: { accountId: $account, amount: \"1000000.00\", method: BANK_CARD, shiftId: $shift, idempotencyKey: $k }) { id } }";
const DEDUCT: &str = "mutation($input: DeductInput!) { deduct(input: $input) { id amount } }";
const ACCOUNT: &str = "query($id: UUID!) { account(id: $id) { id balance revision } }";

pub async fn run(locations: &Locations, settings: &Settings) -> Result<()> {
    if settings.connections == 0 || settings.connections > 1_024 {
        return Err("--connections must be between 1 and 1024".to_owned());
    }
    if settings.cards == 0 || settings.cards > 100_000 {
        return Err("--cards must be between 1 and 100000".to_owned());
    }
    if settings.seconds == 0 || settings.seconds > 3_600 {
        return Err("--seconds must be between 1 and 3600".to_owned());
    }
    if settings
        .rate
        .is_some_and(|rate| rate == 0 || rate > MAX_RATE)
    {
        return Err(format!("--rate must be between 1 and {MAX_RATE}"));
    }
    let dir = bench_dir(locations)?;
    let result = measure(settings, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// Registers a cashier and a department terminal on the data directory; their tokens.
async fn staff(data: &std::path::Path) -> Result<(String, String)> {
    let stores = open_stores(&Locations::data_dir(data)).await?;
    let (app, _runner) = application(&stores);
    let app = app.offline();
    let register = |no: &str, role: Role, department: Option<&str>| RegisterStaff {
        staff_no: no.to_owned(),
        name: format!("Bench {no}"),
        role,
        department: department.map(str::to_owned),
    };
    let cashier = app
        .register_staff(None, register("C001", Role::Cashier, None))
        .await;
    let lab = app
        .register_staff(None, register("L001", Role::Department, Some("Lab")))
        .await;
    stores.close().await;
    let (_, cashier) = cashier.map_err(|e| e.to_string())?;
    let (_, lab) = lab.map_err(|e| e.to_string())?;
    Ok((cashier, lab))
}

/// Starts `yika serve` on `data` at a free port; the child and its address. The server is this
/// binary, or the one `YIKA_BENCH_SERVER` names (to compare two builds on one machine, A/B).
async fn serve(data: &std::path::Path) -> Result<(tokio::process::Child, String)> {
    let exe = match std::env::var_os("YIKA_BENCH_SERVER") {
        Some(path) => std::path::PathBuf::from(path),
        None => std::env::current_exe().map_err(|e| e.to_string())?,
    };
    let mut child = tokio::process::Command::new(exe)
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .env(
            "RUST_LOG",
            std::env::var("YIKA_BENCH_SERVER_LOG").unwrap_or_else(|_| "warn".to_owned()),
        )
        .env_remove("YIKA_EVENT_STORE")
        .env_remove("YIKA_READ_STORE")
        .env_remove("YIKA_LISTEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start yika serve: {e}"))?;
    let stdout = child.stdout.take().expect("piped");
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .map_err(|_| "yika serve did not start within 30 s".to_owned())?
        .map_err(|e| e.to_string())?
        .ok_or("yika serve ended before it listened")?;
    let address = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .ok_or_else(|| format!("unexpected banner: {line}"))?
        .to_owned();
    Ok((child, address))
}

/// Plain SQLite committing one row per transaction, durably, for `seconds`: rows per second.
async fn single_row_commits(path: &std::path::Path, seconds: u64) -> Result<f64> {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full);
    let mut conn = sqlx::SqliteConnection::connect_with(&options)
        .await
        .map_err(|e| e.to_string())?;
    sqlx::query("CREATE TABLE rows (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
        .execute(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    let payload = "x".repeat(700);
    let started = Instant::now();
    let mut rows = 0u64;
    while started.elapsed() < Duration::from_secs(seconds) {
        sqlx::query("INSERT INTO rows (payload) VALUES (?)")
            .bind(&payload)
            .execute(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
        rows += 1;
    }
    let rate = rows as f64 / started.elapsed().as_secs_f64();
    let _ = conn.close().await;
    Ok(rate)
}

async fn measure(settings: &Settings, dir: &std::path::Path) -> Result<()> {
    let data = dir.join("data");
    let (cashier, lab) = staff(&data).await?;
    let (mut server, address) = serve(&data).await?;
    println!(
        "yika bench: {}, {} connections, {} cards, {} s, against yika serve at {address}",
        match (settings.scenario == super::Scenario::Point, settings.rate) {
            (true, Some(rate)) => format!("account(id) queries at {rate}/s"),
            (true, None) => "account(id) queries".to_owned(),
            (false, Some(rate)) => format!("deductions at {rate}/s"),
            (false, None) => "deductions".to_owned(),
        },
        settings.connections,
        settings.cards,
        settings.seconds
    );

    // The window: a shift, the cards and a deposit on each.
    let mut window = Connection::open(&address).await?;
    let shift = window
        .data(&cashier, OPEN_SHIFT, &json!({ "k": "bench-shift" }))
        .await?["openShift"]["id"]
        .as_str()
        .ok_or("no shift id")?
        .to_owned();
    let mut cards = Vec::with_capacity(settings.cards);
    for n in 0..settings.cards {
        let card = format!("BENCH{n:06}");
        let account = window
            .data(&cashier, OPEN_ACCOUNT, &json!({ "card": card }))
            .await?["openAccount"]["id"]
            .as_str()
            .ok_or("no account id")?
            .to_owned();
        window
            .data(
                &cashier,
                DEPOSIT,
                &json!({ "account": account, "shift": shift, "k": format!("bench-deposit-{n}") }),
            )
            .await?;
        cards.push(account);
    }
    let single = if settings.scenario == super::Scenario::Point {
        0.0
    } else {
        single_row_commits(&dir.join("single-row.db"), 3).await?
    };

    let cards = Arc::new(cards);
    let point = settings.scenario == super::Scenario::Point;
    let (token, query) = if point {
        (cashier.clone(), ACCOUNT)
    } else {
        (lab.clone(), DEDUCT)
    };
    // An open loop at `--rate` requests a second in all, or each connection sending its next
    // request as soon as the last is answered.
    let interval = settings
        .rate
        .map(|rate| Duration::from_secs_f64(settings.connections as f64 / rate as f64));
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    let first_error = Arc::new(std::sync::Mutex::new(None::<String>));
    let mut tasks = Vec::with_capacity(settings.connections);
    let connections = settings.connections;
    for terminal in 0..settings.connections {
        let (address, token, cards) = (address.clone(), token.clone(), cards.clone());
        let (measuring, stop, errors, first_error) = (
            measuring.clone(),
            stop.clone(),
            errors.clone(),
            first_error.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut connection = Connection::open(&address).await?;
            let mut latencies = Latencies::default();
            let mut seed = 0x9E37_79B9_7F4A_7C15_u64 ^ (terminal as u64 + 1);
            let mut n = 0u64;
            // Connections spread their sends over the interval instead of sending together.
            let mut next = tokio::time::Instant::now()
                + interval.map_or(Duration::ZERO, |i| {
                    i.mul_f64(terminal as f64 / connections as f64)
                });
            while !stop.load(Ordering::Relaxed) {
                if let Some(interval) = interval {
                    next += interval;
                    tokio::time::sleep_until(next).await;
                }
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let card = &cards[(seed % cards.len() as u64) as usize];
                n += 1;
                let variables = if point {
                    json!({ "id": card })
                } else {
                    json!({ "input": {
                        "accountId": card, "amount": "1.00", "department": "Lab",
                        "orderId": format!("B{terminal}-{n}"), "itemCode": "LAB-CBC"
                    }})
                };
                let started = Instant::now();
                let answer: Value = connection.post(&token, query, &variables).await?;
                let latency = started.elapsed();
                if answer.get("errors").is_some() {
                    errors.fetch_add(1, Ordering::Relaxed);
                    let mut first = first_error.lock().expect("not poisoned");
                    first.get_or_insert_with(|| answer["errors"].to_string());
                } else if measuring.load(Ordering::Relaxed) {
                    latencies.push(latency);
                }
            }
            Ok::<_, String>(latencies)
        }));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    measuring.store(true, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(settings.seconds)).await;
    measuring.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Latencies::default();
    for task in tasks {
        latencies.extend(task.await.map_err(|e| e.to_string())??.0);
    }
    let _ = server.start_kill();
    let _ = server.wait().await;
    let rate = latencies.len() as f64 / elapsed.as_secs_f64();
    println!(
        "{}: {} in {:.1}s = {rate:.0}/s  p50={:.2}ms  p99={:.2}ms  errors={}",
        if point {
            "account(id) queries"
        } else {
            "deductions"
        },
        latencies.len(),
        elapsed.as_secs_f64(),
        ms(latencies.quantile(0.50)),
        ms(latencies.quantile(0.99)),
        errors.load(Ordering::Relaxed)
    );
    if !point {
        println!(
            "plain SQLite, one durable commit per row, same disk: {single:.0} rows/s; deductions/s ÷ that = {:.2}",
            rate / single
        );
    }
    if let Some(error) = first_error.lock().expect("not poisoned").take() {
        println!("first error: {error}");
    }
    Ok(())
}
