//! The HTTP listener: our own accept loop over hyper, so that no client can hold the server's
//! sockets. Each connection must send a request's headers within the header timeout (which is
//! also how long a kept-alive connection may sit idle between requests); a request's body must
//! arrive within the body timeout; the server holds at most `max_connections` connections, at
//! most `max_per_client` from one address (more are closed at once, and the accept loop waits for
//! a free slot rather than failing); an `accept` error (too many open files) is logged and
//! retried, never fatal. On shutdown the listener stops accepting, asks every connection to
//! finish its request in flight, and waits up to [`DRAIN`] for them.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

/// How long shutdown waits for the requests in flight.
pub const DRAIN: Duration = Duration::from_secs(10);

/// The listener's limits (`yika serve --max-connections …`).
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    /// Connections served at once.
    pub max_connections: usize,
    /// Connections from one client address at once.
    pub max_per_client: usize,
    /// Time to send a request's headers, and the longest a kept-alive connection may idle.
    pub header_timeout: Duration,
    /// Time to send a request's body.
    pub body_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_connections: 1_024,
            max_per_client: 256,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
        }
    }
}

impl ConnectionLimits {
    /// These limits, with `max_connections` lowered to fit the process's open-file limit (a
    /// socket is a file; the stores need files too), with a warning when it is lowered.
    #[must_use]
    pub fn fitted_to_open_files(mut self) -> ConnectionLimits {
        if let Some(files) = open_file_limit() {
            let room = files.saturating_sub(RESERVED_FILES).max(16);
            if room < self.max_connections {
                tracing::warn!(
                    open_files = files,
                    max_connections = room,
                    "the open-file limit (ulimit -n) is low: serving fewer connections at once"
                );
                self.max_connections = room;
            }
        }
        self.max_per_client = self.max_per_client.min(self.max_connections);
        self
    }
}

/// Files kept for the stores, the log and WebSockets beside the HTTP connections.
const RESERVED_FILES: usize = 64;

/// The soft open-file limit, read from /proc (Linux); `None` elsewhere.
fn open_file_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Connections per client address.
#[derive(Default)]
struct PerClient(Mutex<HashMap<IpAddr, usize>>);

impl PerClient {
    fn enter(&self, ip: IpAddr, max: usize) -> bool {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let count = map.entry(ip).or_insert(0);
        if *count >= max {
            return false;
        }
        *count += 1;
        true
    }

    fn leave(&self, ip: IpAddr) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = map.get_mut(&ip) {
            *count -= 1;
            if *count == 0 {
                map.remove(&ip);
            }
        }
    }
}

/// Bounds the time a request's body may take to arrive (middleware): the body is read here,
/// within the limit, before any handler (and so any command) runs.
pub async fn body_deadline(timeout: Duration, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let read = axum::body::to_bytes(body, crate::http::MAX_BODY_BYTES);
    match tokio::time::timeout(timeout, read).await {
        Ok(Ok(bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Ok(Err(_)) => (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the request body is over {} bytes or broken",
                crate::http::MAX_BODY_BYTES
            ),
        )
            .into_response(),
        Err(_) => (
            StatusCode::REQUEST_TIMEOUT,
            "the request body did not arrive in time",
        )
            .into_response(),
    }
}

/// Serves `router` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let per_client = Arc::new(PerClient::default());
    let (stop, stopping) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        // Wait for a free slot before accepting: the kernel's backlog holds the rest.
        let slot = tokio::select! {
            () = &mut shutdown => break,
            slot = slots.clone().acquire_owned() => slot.expect("the slots stay open"),
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of files or a connection reset before accept: wait, then go on.
                    tracing::warn!(%error, "accept failed; retrying");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        if !per_client.enter(peer.ip(), limits.max_per_client) {
            tracing::debug!(%peer, "too many connections from one client; closed");
            drop(stream);
            continue;
        }
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let per_client = per_client.clone();
        let mut stopping = stopping.clone();
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                .max_buf_size(64 * 1024);
            let connection = builder
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            tokio::pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                _ = async { stopping.wait_for(|stop| *stop).await.map(|_| ()) } => {
                    connection.as_mut().graceful_shutdown();
                    connection.as_mut().await
                }
            };
            if let Err(error) = result {
                trace_connection_error(peer, &error);
            }
            per_client.leave(peer.ip());
            drop(slot);
        });
    }
    drop(listener);
    let _ = stop.send(true);
    // Wait for the connections to finish (each holds a slot until it ends).
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(DRAIN, slots.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the drain time; closing");
    }
    Ok(())
}

fn trace_connection_error(peer: SocketAddr, error: &hyper::Error) {
    if error.is_timeout() {
        tracing::debug!(%peer, "connection closed: headers not sent in time (or idle)");
    } else {
        tracing::debug!(%peer, %error, "connection ended with an error");
    }
}
