//! `yika bench`: what a user waits on, measured on this machine.
//!
//! - `--scenario appends` (the default): durable appends on the event store alone.
//! - `--scenario deductions`: the whole path of a department's deduction (HTTP, GraphQL, auth,
//!   the command, the durable append, the views updated before the answer) against a real
//!   `yika serve` started for the run, beside the rate at which plain SQLite commits single rows
//!   durably on the same disk in the same run.
//! - `--scenario point`: `account(id)` over HTTP, same setup.
//! - With `--rate N` (deductions, point): N requests a second in all, an open loop.
//! - `--scenario replay`: a generated hospital ledger rebuilt from zero into a read store, and
//!   folded in memory.
//! - `--scenario history`: a command's cost on an account with a long history against a new one.
//!
//! Every scenario works in a folder of its own under the data directory, removed afterwards; the
//! data directory's own files are never touched.

mod appends;
mod deductions;
mod history;
mod http;
mod replay;

use std::path::PathBuf;
use std::time::Duration;

pub use appends::{BenchResult, measure};

use crate::Locations;
use crate::anyhow_like::Result;

/// What to measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// Durable appends on the event store.
    Appends,
    /// Deductions over HTTP through a running server, views updated before each answer.
    Deductions,
    /// Point queries (`account(id)`) over HTTP through a running server.
    Point,
    /// Rebuilding every view from a generated ledger, and folding it in memory.
    Replay,
    /// A deduction on an account with a long history against one on a new account.
    History,
}

/// The benchmark's settings.
#[derive(Clone, Debug)]
pub struct Settings {
    /// What to measure.
    pub scenario: Scenario,
    /// Concurrent writers (appends).
    pub writers: Vec<usize>,
    /// Events: appended per run (appends), generated (replay), of history (history).
    pub events: usize,
    /// Concurrent HTTP connections (deductions).
    pub connections: usize,
    /// Cards deducted from (deductions).
    pub cards: usize,
    /// Seconds of measured load (deductions).
    pub seconds: u64,
    /// The generated ledger's seed (replay).
    pub seed: u64,
    /// Requests a second in all (deductions, point); none: as fast as answers come.
    pub rate: Option<u64>,
}

/// Runs the chosen scenario and prints its figures.
pub async fn run(locations: &Locations, settings: &Settings) -> Result<()> {
    match settings.scenario {
        Scenario::Appends => appends::run(locations, &settings.writers, settings.events).await,
        Scenario::Deductions | Scenario::Point => deductions::run(locations, settings).await,
        Scenario::Replay => replay::run(locations, settings).await,
        Scenario::History => history::run(locations, settings).await,
    }
}

/// A new folder for one benchmark under the data directory.
fn bench_dir(locations: &Locations) -> Result<PathBuf> {
    let dir = locations
        .data
        .join(format!("bench-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

/// Latencies, for percentiles.
#[derive(Debug, Default)]
pub struct Latencies(Vec<Duration>);

impl Latencies {
    /// Adds one.
    pub fn push(&mut self, latency: Duration) {
        self.0.push(latency);
    }

    /// Adds many.
    pub fn extend(&mut self, latencies: impl IntoIterator<Item = Duration>) {
        self.0.extend(latencies);
    }

    /// How many.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The `q` quantile (0.5 = median), nearest rank; zero when empty.
    #[must_use]
    pub fn quantile(&mut self, q: f64) -> Duration {
        if self.0.is_empty() {
            return Duration::ZERO;
        }
        self.0.sort_unstable();
        let rank = ((self.0.len() as f64 - 1.0) * q).round() as usize;
        self.0[rank.min(self.0.len() - 1)]
    }

    /// The mean; zero when empty.
    #[must_use]
    pub fn mean(&self) -> Duration {
        if self.0.is_empty() {
            return Duration::ZERO;
        }
        self.0.iter().sum::<Duration>() / u32::try_from(self.0.len()).unwrap_or(u32::MAX)
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}
