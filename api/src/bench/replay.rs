//! `yika bench --scenario replay --events N`: a hospital ledger of N events generated through the
//! domain's decisions (`yika_projections::sample`) into a fresh SQLite event store, then every
//! view rebuilt from zero into a fresh read store (SQLite in the benchmark's folder, or the
//! empty PostgreSQL database named by `--read-store`), then the same log folded in memory (the
//! replay `yika verify` compares with). On SQLite the views are also rebuilt a second time the
//! way `yika replay --into` builds them, their secondary indexes made once at the end.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use yika_projections::memory::InMemory;
use yika_projections::sample::{Hospital, import};
use yika_projections::{ProjectionRunner, ReadStore};
use yika_store::{EventStore, MAX_READ_BATCH, SqliteEventStore};

use super::{Settings, bench_dir};
use crate::Locations;
use crate::anyhow_like::Result;

/// The most events a replay benchmark generates.
const MAX_EVENTS: usize = 20_000_000;

pub async fn run(locations: &Locations, settings: &Settings) -> Result<()> {
    let events = settings.events;
    if events == 0 || events > MAX_EVENTS {
        return Err(format!("--events must be between 1 and {MAX_EVENTS}"));
    }
    let dir = bench_dir(locations)?;
    let result = measure(locations, settings, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn measure(locations: &Locations, settings: &Settings, dir: &std::path::Path) -> Result<()> {
    let store: Arc<dyn EventStore> = Arc::new(
        SqliteEventStore::open(&dir.join("events.db"))
            .await
            .map_err(|e| e.to_string())?,
    );
    let start: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-01-05T00:00:00Z")
        .expect("a time")
        .with_timezone(&Utc);
    let started = Instant::now();
    let mut generated = Vec::with_capacity(settings.events + 64);
    Hospital::new(settings.seed, start).run(settings.events, |g| generated.push(g));
    let head = import(store.as_ref(), generated)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "yika bench: replay, a generated ledger of {head} events (seed {}), written in {:.1}s",
        settings.seed,
        started.elapsed().as_secs_f64()
    );

    let read = match &locations.read_store {
        Some(url) => {
            let read = ReadStore::connect(url).await.map_err(|e| e.to_string())?;
            if read.position() != 0 {
                read.close().await;
                return Err(
                    "the benchmark rebuilds the views from zero: point --read-store at an empty database"
                        .to_owned(),
                );
            }
            read
        }
        None => ReadStore::open(&dir.join("read.db"))
            .await
            .map_err(|e| e.to_string())?,
    };
    let started = Instant::now();
    let applied = ProjectionRunner::new(store.clone(), read.clone())
        .catch_up()
        .await
        .map_err(|e| e.to_string());
    let elapsed = started.elapsed();
    read.close().await;
    let applied = applied?;
    println!(
        "rebuild into {}: {applied} events in {:.2}s = {:.0} events/s",
        match &locations.read_store {
            Some(url) => crate::redact(url),
            None => "a SQLite read store".to_owned(),
        },
        elapsed.as_secs_f64(),
        applied as f64 / elapsed.as_secs_f64()
    );

    if locations.read_store.is_none() {
        rebuild_as_replay_does(store.clone(), dir).await?;
    }

    let started = Instant::now();
    let memory = InMemory::replay(store.as_ref(), head)
        .await
        .map_err(|e| e.to_string())?;
    let elapsed = started.elapsed();
    let digests = memory.digests();
    println!(
        "fold in memory (read, decode, fold, hash): {} events in {:.2}s = {:.0} events/s ({} rows held, {} audit rows hashed)",
        memory.position,
        elapsed.as_secs_f64(),
        memory.position as f64 / elapsed.as_secs_f64(),
        memory.held_rows(),
        digests.get("audit_index").map_or(0, |d| d.rows)
    );
    read_and_decode(store.as_ref()).await?;
    store.close().await;
    Ok(())
}

/// The floor under every replay on this machine: the log read from the first event to the last
/// (one reader, as the runner and the fold read it) and each batch decoded as they decode it,
/// nothing folded or written. A rebuild or a fold cannot go faster than its reader does on the core it has.
async fn read_and_decode(store: &dyn EventStore) -> Result<()> {
    let started = Instant::now();
    let (mut after, mut reading, mut read) = (0_u64, Duration::ZERO, 0_u64);
    loop {
        let asked = Instant::now();
        let events = store
            .read_all(after, MAX_READ_BATCH)
            .await
            .map_err(|e| e.to_string())?;
        reading += asked.elapsed();
        let Some(last) = events.last().map(|e| e.position) else {
            break;
        };
        read += events.len() as u64;
        yika_projections::runner::decode(after, events).map_err(|e| e.to_string())?;
        after = last;
    }
    let elapsed = started.elapsed();
    println!(
        "the log alone, on one core (the floor under every replay): {read} events read in {:.2}s \
         = {:.0} events/s; read and decoded in {:.2}s = {:.0} events/s",
        reading.as_secs_f64(),
        read as f64 / reading.as_secs_f64(),
        elapsed.as_secs_f64(),
        read as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}

/// The views rebuilt from zero into another fresh SQLite read store the way `yika replay --into`
/// builds them: secondary indexes dropped first and made once at the end (their making timed).
async fn rebuild_as_replay_does(store: Arc<dyn EventStore>, dir: &std::path::Path) -> Result<()> {
    let read = ReadStore::open(&dir.join("read-replay.db"))
        .await
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let built = async {
        let indexes = read.drop_secondary_indexes().await?;
        let applied = ProjectionRunner::new(store, read.clone())
            .catch_up()
            .await?;
        let projected = started.elapsed();
        read.create_indexes(&indexes).await?;
        Ok::<_, yika_projections::ProjectionError>((applied, projected))
    }
    .await
    .map_err(|e| e.to_string());
    let elapsed = started.elapsed();
    read.close().await;
    let (applied, projected) = built?;
    println!(
        "rebuild from zero as `yika replay --into` builds the views (indexes made at the end): \
         {applied} events in {:.2}s = {:.0} events/s ({:.2}s of it making the indexes)",
        elapsed.as_secs_f64(),
        applied as f64 / elapsed.as_secs_f64(),
        (elapsed - projected).as_secs_f64()
    );
    Ok(())
}
