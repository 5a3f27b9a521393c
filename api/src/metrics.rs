//! Prometheus metrics (text exposition format) and readiness.
//!
//! Counters are plain atomics: appends and their latency (measured around the event store's
//! append, so it includes the group commit's fsync), GraphQL requests by operation and outcome.
//! Projection lag is computed when scraped.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The most distinct operation names tracked; others are counted as "other".
const MAX_OPERATIONS: usize = 256;

/// The process's metrics.
#[derive(Debug, Default)]
pub struct Metrics {
    appends: AtomicU64,
    append_micros: AtomicU64,
    append_conflicts: AtomicU64,
    requests: Mutex<BTreeMap<(String, &'static str), u64>>,
}

impl Metrics {
    /// Records one append that committed (or found its first result) after `elapsed`.
    pub fn appended(&self, elapsed: Duration) {
        self.appends.fetch_add(1, Ordering::Relaxed);
        self.append_micros.fetch_add(
            u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// Records an append that lost a race and will be retried.
    pub fn conflicted(&self) {
        self.append_conflicts.fetch_add(1, Ordering::Relaxed);
    }

    /// Records a GraphQL request by operation name and outcome ("ok" or "error").
    pub fn request(&self, operation: &str, outcome: &'static str) {
        let mut requests = self
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let known = requests.contains_key(&(operation.to_owned(), outcome));
        let name = if known || requests.len() < MAX_OPERATIONS {
            operation
        } else {
            "other"
        };
        *requests.entry((name.to_owned(), outcome)).or_insert(0) += 1;
    }

    /// The text exposition, with the projection's position and the log's head.
    #[must_use]
    pub fn render(&self, head: u64, projected: u64, lag_seconds: f64, stalled: bool) -> String {
        let mut out = String::new();
        let appends = self.appends.load(Ordering::Relaxed);
        let micros = self.append_micros.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "# HELP yika_append_seconds Time from a command's append to its durable commit."
        );
        let _ = writeln!(out, "# TYPE yika_append_seconds summary");
        let _ = writeln!(out, "yika_append_seconds_sum {}", micros as f64 / 1e6);
        let _ = writeln!(out, "yika_append_seconds_count {appends}");
        let _ = writeln!(
            out,
            "# HELP yika_append_conflicts_total Appends that lost a race and were retried."
        );
        let _ = writeln!(out, "# TYPE yika_append_conflicts_total counter");
        let _ = writeln!(
            out,
            "yika_append_conflicts_total {}",
            self.append_conflicts.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP yika_log_head_position The position of the last committed event."
        );
        let _ = writeln!(out, "# TYPE yika_log_head_position gauge");
        let _ = writeln!(out, "yika_log_head_position {head}");
        let _ = writeln!(
            out,
            "# HELP yika_projection_position The position the views have reached."
        );
        let _ = writeln!(out, "# TYPE yika_projection_position gauge");
        let _ = writeln!(out, "yika_projection_position {projected}");
        let _ = writeln!(
            out,
            "# HELP yika_projection_lag_events Events committed but not yet in the views."
        );
        let _ = writeln!(out, "# TYPE yika_projection_lag_events gauge");
        let _ = writeln!(
            out,
            "yika_projection_lag_events {}",
            head.saturating_sub(projected)
        );
        let _ = writeln!(
            out,
            "# HELP yika_projection_lag_seconds Age of the oldest event not yet in the views (0 when caught up)."
        );
        let _ = writeln!(out, "# TYPE yika_projection_lag_seconds gauge");
        let _ = writeln!(out, "yika_projection_lag_seconds {lag_seconds}");
        let _ = writeln!(
            out,
            "# HELP yika_views_stalled 1 while the views cannot apply the log (see /readyz and the log for why)."
        );
        let _ = writeln!(out, "# TYPE yika_views_stalled gauge");
        let _ = writeln!(out, "yika_views_stalled {}", u8::from(stalled));
        let _ = writeln!(
            out,
            "# HELP yika_graphql_requests_total GraphQL requests by operation name and outcome."
        );
        let _ = writeln!(out, "# TYPE yika_graphql_requests_total counter");
        let requests = self
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for ((operation, outcome), count) in requests.iter() {
            let operation = operation.replace(['\\', '"', '\n'], "_");
            let _ = writeln!(
                out,
                "yika_graphql_requests_total{{operation=\"{operation}\",outcome=\"{outcome}\"}} {count}"
            );
        }
        out
    }
}
