//! `yika bench --scenario appends`: durable appends per second and commit latency on the event
//! store: a fresh SQLite file per run by default, or the PostgreSQL database named by
//! `--event-store` (which must be empty when the benchmark starts: it is filled with benchmark
//! events).
//!
//! Each writer appends one event per request to its own stream with an exact expected revision
//! (as a command does), so every append is checked, hashed, grouped and fsynced for real.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use yika_store::{
    AppendRequest, EventStore, ExpectedRevision, NewEvent, SqliteEventStore, StreamWrite,
};

use super::{Latencies, bench_dir};
use crate::Locations;
use crate::anyhow_like::Result;

/// One run's figures.
#[derive(Debug, Clone)]
pub struct BenchResult {
    /// Concurrent writers.
    pub writers: usize,
    /// Events appended.
    pub events: usize,
    /// Wall time.
    pub elapsed: Duration,
    /// Median commit latency.
    pub p50: Duration,
    /// 99th percentile commit latency.
    pub p99: Duration,
}

impl BenchResult {
    /// Events per second.
    #[must_use]
    pub fn rate(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64()
    }
}

/// A writer's events: the payload and metadata of a real `DepositReceived` (about 700 bytes),
/// built once per writer so that the benchmark measures the store, not JSON building; each event
/// still gets its own id and receipt number.
struct EventTemplate {
    payload_head: String,
    metadata: String,
    writer: usize,
}

impl EventTemplate {
    fn new(writer: usize) -> EventTemplate {
        let payload = serde_json::json!({
            "account_id": uuid::Uuid::now_v7(), "amount": "100.00", "method": "CASH",
            "shift_id": uuid::Uuid::now_v7(), "cashier_id": uuid::Uuid::now_v7(), "external_ref": null
        })
        .to_string();
        let metadata = serde_json::json!({
            "actor_id": uuid::Uuid::now_v7(), "actor_role": "CASHIER", "terminal": null,
            "correlation_id": uuid::Uuid::now_v7(), "causation_id": null, "occurred_at": "2026-11-22T08:00:00Z"
        })
        .to_string();
        let payload_head = payload.trim_end_matches('}').to_owned();
        EventTemplate {
            payload_head,
            metadata,
            writer,
        }
    }

    fn event(&self, n: usize) -> NewEvent {
        NewEvent {
            event_id: uuid::Uuid::now_v7(),
            event_type: "DepositReceived".to_owned(),
            schema_version: 1,
            payload: format!(
                "{},\"receipt_no\":\"R{:04}{n:010}\"}}",
                self.payload_head, self.writer
            ),
            metadata: self.metadata.clone(),
        }
    }
}

/// Appends `events` events with `writers` concurrent writers into `store` (each run on streams
/// of its own).
pub async fn measure(
    store: Arc<dyn EventStore>,
    writers: usize,
    events: usize,
) -> Result<BenchResult> {
    let run = uuid::Uuid::now_v7().simple().to_string();
    let remaining = Arc::new(AtomicUsize::new(events));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(writers);
    for writer in 0..writers {
        let store = store.clone();
        let remaining = remaining.clone();
        let run = run.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut revision = 0u64;
            let stream = format!("bench-{run}-{writer}");
            let template = EventTemplate::new(writer);
            while remaining
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |r| r.checked_sub(1))
                .is_ok()
            {
                let request = AppendRequest {
                    writes: vec![StreamWrite {
                        stream_id: stream.clone(),
                        expected: ExpectedRevision::at(revision),
                        events: vec![template.event(latencies.len())],
                    }],
                    idempotency: None,
                };
                let t = Instant::now();
                store.append(request).await.map_err(|e| e.to_string())?;
                latencies.push(t.elapsed());
                revision += 1;
            }
            Ok::<_, String>(latencies)
        }));
    }
    let mut latencies = Latencies::default();
    for task in tasks {
        latencies.extend(task.await.map_err(|e| e.to_string())??);
    }
    let elapsed = started.elapsed();
    Ok(BenchResult {
        writers,
        events: latencies.len(),
        elapsed,
        p50: latencies.quantile(0.50),
        p99: latencies.quantile(0.99),
    })
}

/// Runs the benchmark for each writer count and prints one line per run: on SQLite, each run
/// in a fresh file in a folder under the data directory (removed afterwards; the data
/// directory's own files are never touched); on PostgreSQL, in the `--event-store` database,
/// which must be empty at the start.
pub async fn run(locations: &Locations, writers: &[usize], events: usize) -> Result<()> {
    if events == 0 || events > 10_000_000 {
        return Err("--events must be between 1 and 10000000".to_owned());
    }
    if writers.iter().any(|w| *w == 0 || *w > 4_096) {
        return Err("--writers must be between 1 and 4096".to_owned());
    }
    if let Some(url) = &locations.event_store {
        let store = crate::open_event_store(url).await?;
        let head = store.head_position().await.map_err(|e| e.to_string());
        if head != Ok(0) {
            store.close().await;
            return Err(format!(
                "the benchmark fills its event store with test events: point --event-store at an empty database ({})",
                head.map_or_else(|e| e, |h| format!("this one holds {h} events"))
            ));
        }
        println!(
            "yika bench: event store {}, {events} events per run",
            crate::redact(url)
        );
        for &w in writers {
            match measure(store.clone(), w, events).await {
                Ok(result) => print_result(&result),
                Err(error) => {
                    store.close().await;
                    return Err(error);
                }
            }
        }
        store.close().await;
        return Ok(());
    }
    let dir = bench_dir(locations)?;
    println!(
        "yika bench: SQLite event store, WAL, synchronous=FULL, {events} events per run, in {}",
        dir.display()
    );
    for &w in writers {
        let result = async {
            let store: Arc<dyn EventStore> = Arc::new(
                SqliteEventStore::open(&dir.join(format!("bench-{w}.db")))
                    .await
                    .map_err(|e| e.to_string())?,
            );
            let result = measure(store.clone(), w, events).await;
            store.close().await;
            result
        }
        .await;
        match result {
            Ok(result) => print_result(&result),
            Err(error) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(error);
            }
        }
    }
    std::fs::remove_dir_all(&dir).map_err(|e| format!("cannot remove {}: {e}", dir.display()))?;
    Ok(())
}

fn print_result(result: &BenchResult) {
    println!(
        "writers={:>4}  events={}  elapsed={:.2}s  rate={:.0} events/s  p50={:.2}ms  p99={:.2}ms",
        result.writers,
        result.events,
        result.elapsed.as_secs_f64(),
        result.rate(),
        result.p50.as_secs_f64() * 1e3,
        result.p99.as_secs_f64() * 1e3
    );
}
