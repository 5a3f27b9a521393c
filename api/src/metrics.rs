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

/// The upper bounds (seconds) of the latency histograms' buckets.
const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// A latency histogram: how many observations fell at or under each bucket's bound, their sum
/// and their count.
#[derive(Debug, Default, Clone)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    sum_micros: u64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        for (bound, count) in BUCKETS.iter().zip(self.buckets.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
        self.sum_micros = self
            .sum_micros
            .saturating_add(u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX));
        self.count += 1;
    }

    /// Writes `name` with `labels` ("" or `key="value",`) in the exposition format.
    fn render(&self, out: &mut String, name: &str, labels: &str) {
        for (bound, count) in BUCKETS.iter().zip(self.buckets.iter()) {
            let _ = writeln!(out, "{name}_bucket{{{labels}le=\"{bound}\"}} {count}");
        }
        let _ = writeln!(out, "{name}_bucket{{{labels}le=\"+Inf\"}} {}", self.count);
        let trimmed = labels.trim_end_matches(',');
        let braces = if trimmed.is_empty() {
            String::new()
        } else {
            format!("{{{trimmed}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum_micros as f64 / 1e6);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

/// An operation name as a label value: no backslash, quote or newline to break the line.
fn label_value(operation: &str) -> String {
    operation.replace(['\\', '"', '\n'], "_")
}

/// The process's metrics.
#[derive(Debug, Default)]
pub struct Metrics {
    appends: Mutex<Histogram>,
    append_conflicts: AtomicU64,
    requests: Mutex<BTreeMap<(String, &'static str), u64>>,
    latencies: Mutex<BTreeMap<String, Histogram>>,
    websockets: AtomicU64,
}

/// Counts one open WebSocket while it lives.
#[derive(Debug)]
pub struct OpenSocket(std::sync::Arc<Metrics>);

impl Drop for OpenSocket {
    fn drop(&mut self) {
        self.0.websockets.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Metrics {
    /// Records one append that committed (or found its first result) after `elapsed`.
    pub fn appended(&self, elapsed: Duration) {
        self.appends
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .observe(elapsed);
    }

    /// Counts a WebSocket open until the returned guard is dropped.
    #[must_use]
    pub fn socket_opened(self: &std::sync::Arc<Self>) -> OpenSocket {
        self.websockets.fetch_add(1, Ordering::Relaxed);
        OpenSocket(self.clone())
    }

    /// Records how long a GraphQL request took, by operation (the same bounded set of names as
    /// the request counter).
    pub fn latency(&self, operation: &str, elapsed: Duration) {
        let mut latencies = self
            .latencies
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let name = if latencies.contains_key(operation) || latencies.len() < MAX_OPERATIONS {
            operation
        } else {
            "other"
        };
        latencies
            .entry(name.to_owned())
            .or_default()
            .observe(elapsed);
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
        let _ = writeln!(
            out,
            "# HELP yika_build_info The running build: version and git-free package name."
        );
        let _ = writeln!(out, "# TYPE yika_build_info gauge");
        let _ = writeln!(
            out,
            "yika_build_info{{version=\"{}\",package=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION"),
            env!("CARGO_PKG_NAME")
        );
        let _ = writeln!(
            out,
            "# HELP yika_append_seconds Time from a command's append to its durable commit."
        );
        let _ = writeln!(out, "# TYPE yika_append_seconds histogram");
        self.appends
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .render(&mut out, "yika_append_seconds", "");
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
            let operation = label_value(operation);
            let _ = writeln!(
                out,
                "yika_graphql_requests_total{{operation=\"{operation}\",outcome=\"{outcome}\"}} {count}"
            );
        }
        drop(requests);
        let _ = writeln!(
            out,
            "# HELP yika_graphql_request_seconds Time to answer a GraphQL request, by operation name."
        );
        let _ = writeln!(out, "# TYPE yika_graphql_request_seconds histogram");
        let latencies = self
            .latencies
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (operation, histogram) in latencies.iter() {
            let operation = label_value(operation);
            histogram.render(
                &mut out,
                "yika_graphql_request_seconds",
                &format!("operation=\"{operation}\","),
            );
        }
        drop(latencies);
        let _ = writeln!(
            out,
            "# HELP yika_websockets_open GraphQL WebSocket connections open now."
        );
        let _ = writeln!(out, "# TYPE yika_websockets_open gauge");
        let _ = writeln!(
            out,
            "yika_websockets_open {}",
            self.websockets.load(Ordering::Relaxed)
        );
        out
    }
}
