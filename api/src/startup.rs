//! Starting Yika: where a ledger's stores are (a data directory, or server URLs), opening them,
//! and [`Application::build`], which opens the stores, brings the views up to date, binds the
//! listener and returns a server ready to run: `yika serve` runs one, and a test can start one
//! in-process on port 0.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use yika_projections::{ProjectionRunner, ReadStore};
use yika_store::{EventStore, PostgresEventStore, SqliteEventStore};

use crate::anyhow_like::Result;
use crate::application::App;
use crate::calendar::Calendar;
use crate::{graphql, http};

/// The event store file inside a data directory.
pub const EVENTS_FILE: &str = "events.db";
/// The read store file inside a data directory.
pub const READ_FILE: &str = "read.db";
/// The file that marks a data directory made by `yika replay`: the ledger as it stood, which
/// nothing may append to.
pub const REPLAY_MARKER: &str = "REPLAY";

/// Refuses to write to a data directory made by `yika replay` (its log must stay the source's
/// prefix, or it proves nothing about the past).
pub fn refuse_writes_to_a_replay(locations: &Locations) -> Result<()> {
    let marker = locations.data.join(REPLAY_MARKER);
    if locations.event_store.is_none() && marker.exists() {
        let what = std::fs::read_to_string(&marker).unwrap_or_default();
        return Err(format!(
            "{} holds a replay ({}): it is read-only; serve it with --read-only",
            locations.data.display(),
            what.trim()
        ));
    }
    Ok(())
}

/// Where a ledger's stores are: a data directory (the embedded default: `events.db` and
/// `read.db` in it), or server URLs for either store.
#[derive(Clone, Debug)]
pub struct Locations {
    /// The data directory, for whichever store has no URL.
    pub data: PathBuf,
    /// `postgres://…`, `kurrentdb://…`/`esdb://…` (events only), or `sqlite://PATH`.
    pub event_store: Option<String>,
    /// `postgres://…` or `sqlite://PATH`.
    pub read_store: Option<String>,
}

/// The data directory when none is given (`yika --data`).
pub const DEFAULT_DATA: &str = "yika-data";

impl Locations {
    /// Both stores in the data directory `data`.
    #[must_use]
    pub fn data_dir(data: &Path) -> Locations {
        Locations {
            data: data.to_owned(),
            event_store: None,
            read_store: None,
        }
    }

    /// Refuses a location that holds no ledger: only `serve` and `staff add` create one, so a
    /// mistyped `--data` or `sqlite://` path is an error for every other subcommand, not an
    /// empty ledger that verifies.
    pub fn require_ledger(&self) -> Result<()> {
        let file = match &self.event_store {
            None => self.data.join(EVENTS_FILE),
            Some(url) => match url.strip_prefix("sqlite://") {
                Some(path) => PathBuf::from(path),
                None => return Ok(()),
            },
        };
        if file.is_file() {
            Ok(())
        } else {
            Err(format!(
                "no ledger at {}: {} does not exist (check --data or --event-store; \
                 `yika serve` and `yika staff add` create a ledger)",
                self.describe(),
                file.display()
            ))
        }
    }

    /// True when opening these locations creates a new ledger (no events file yet).
    #[must_use]
    pub fn is_new(&self) -> bool {
        self.event_store.is_none() && !self.data.join(EVENTS_FILE).is_file()
    }

    /// The `--data` (or store URL) arguments another `yika` command needs to reach the same
    /// ledger, for banners: empty for the default `./yika-data`.
    #[must_use]
    pub fn data_flag(&self) -> String {
        match (&self.event_store, &self.read_store) {
            (None, None) if self.data == Path::new(DEFAULT_DATA) => String::new(),
            (None, None) => format!(" --data {}", self.data.display()),
            _ => " --event-store … --read-store …".to_owned(),
        }
    }

    /// A short description for logs and banners (no passwords).
    #[must_use]
    pub fn describe(&self) -> String {
        match (&self.event_store, &self.read_store) {
            (None, None) => format!("data in {}", self.data.display()),
            (events, read) => format!(
                "events in {}, views in {}",
                events
                    .as_deref()
                    .map_or_else(|| self.data.join(EVENTS_FILE).display().to_string(), redact),
                read.as_deref()
                    .map_or_else(|| self.data.join(READ_FILE).display().to_string(), redact),
            ),
        }
    }
}

/// A store URL without its user, password or query parameters (which may hold a password),
/// for logs and banners.
#[must_use]
pub fn redact(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, _)) => (base, "?…"),
        None => (url, ""),
    };
    match (base.find("://"), base.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://…@{}{query}", &base[..scheme], &base[at + 1..])
        }
        _ => format!("{base}{query}"),
    }
}

/// The stores, opened.
pub struct Stores {
    /// The event store.
    pub events: Arc<dyn EventStore>,
    /// The read store.
    pub read: ReadStore,
}

impl Stores {
    /// Closes both stores (appends already queued are answered first).
    pub async fn close(&self) {
        self.events.close().await;
        self.read.close().await;
    }
}

/// Opens an event store by URL.
pub async fn open_event_store(url: &str) -> Result<Arc<dyn EventStore>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = PostgresEventStore::connect(url)
            .await
            .map_err(|e| format!("event store: {e}"))?;
        return Ok(Arc::new(store));
    }
    if let Some(path) = url.strip_prefix("sqlite://") {
        let store = SqliteEventStore::open(Path::new(path))
            .await
            .map_err(|e| format!("event store: {e}"))?;
        return Ok(Arc::new(store));
    }
    if KURRENT_SCHEMES.iter().any(|scheme| url.starts_with(scheme)) {
        return open_kurrent(url).await;
    }
    Err(format!(
        "--event-store must be postgres://…, kurrentdb://…, esdb://… or sqlite://PATH, got {url:?}"
    ))
}

/// The URL schemes of a KurrentDB/EventStoreDB cluster.
const KURRENT_SCHEMES: [&str; 6] = [
    "esdb://",
    "esdb+discover://",
    "kurrentdb://",
    "kurrentdb+discover://",
    "kurrent://",
    "kurrent+discover://",
];

/// Connects to a KurrentDB/EventStoreDB cluster (yika-store's default `kurrentdb` feature).
async fn open_kurrent(url: &str) -> Result<Arc<dyn EventStore>> {
    let store = yika_store::KurrentEventStore::connect(url)
        .await
        .map_err(|e| format!("event store {}: {e}", redact(url)))?;
    Ok(Arc::new(store))
}

/// Opens (creating) the stores.
pub async fn open_stores(locations: &Locations) -> Result<Stores> {
    let data = &locations.data;
    if locations.event_store.is_none() || locations.read_store.is_none() {
        std::fs::create_dir_all(data)
            .map_err(|e| format!("cannot create data directory {}: {e}", data.display()))?;
    }
    let events: Arc<dyn EventStore> = match &locations.event_store {
        Some(url) => open_event_store(url).await?,
        None => Arc::new(
            SqliteEventStore::open(&data.join(EVENTS_FILE))
                .await
                .map_err(|e| format!("event store: {e}"))?,
        ),
    };
    let read = match &locations.read_store {
        Some(url) => ReadStore::connect(url).await,
        None => ReadStore::open(&data.join(READ_FILE)).await,
    };
    let read = match read {
        Ok(read) => read,
        Err(error) => {
            events.close().await;
            return Err(format!("read store: {error}"));
        }
    };
    Ok(Stores { events, read })
}

/// The application over opened stores, with its projection runner (not yet running).
#[must_use]
pub fn application(stores: &Stores) -> (App, ProjectionRunner) {
    let runner = ProjectionRunner::new(stores.events.clone(), stores.read.clone());
    (App::new(stores.events.clone(), stores.read.clone()), runner)
}

/// What `yika serve` is asked to serve.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The ledger's stores.
    pub locations: Locations,
    /// The address to listen on (port 0: a free port).
    pub listen: SocketAddr,
    /// The hospital's calendar.
    pub calendar: Calendar,
    /// The hospital's name, printed on its documents (`--hospital-name`).
    pub hospital: String,
    /// Refuse every command (an as-of replay served to auditors).
    pub read_only: bool,
    /// What a client may hold of the server: connections and their timeouts.
    pub connections: crate::listener::ConnectionLimits,
    /// The longest a query may run (mutations are never cut off).
    pub query_timeout: std::time::Duration,
    /// Origins whose pages may call the API from a browser (CORS; none by default).
    pub cors_origins: Vec<String>,
}

impl Settings {
    /// Serving `locations` on `listen` with the default calendar and limits.
    #[must_use]
    pub fn new(locations: Locations, listen: SocketAddr) -> Settings {
        Settings {
            locations,
            listen,
            calendar: Calendar::default(),
            hospital: http::DEFAULT_HOSPITAL.to_owned(),
            read_only: false,
            connections: crate::listener::ConnectionLimits::default(),
            query_timeout: crate::graphql::cost::QUERY_TIMEOUT,
            cors_origins: Vec::new(),
        }
    }
}

/// The projection runner following the log on a thread of its own, with a runtime of its own:
/// under load the request handlers fill the main runtime's queues, and the runner, which every
/// mutation waits for, must not queue behind them at each of its statements.
pub(crate) struct Following {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Following {
    pub(crate) fn start(runner: ProjectionRunner) -> Result<Following> {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("a runtime for the views: {e}"))?;
        let thread = std::thread::Builder::new()
            .name("yika-views".to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    tokio::select! {
                        () = runner.run() => {}
                        _ = stopped => {}
                    }
                });
            })
            .map_err(|e| format!("a thread for the views: {e}"))?;
        Ok(Following {
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    pub(crate) async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

/// A server built and listening, not yet serving.
pub struct Application {
    listener: tokio::net::TcpListener,
    address: SocketAddr,
    router: axum::Router,
    stores: Stores,
    projections: Following,
    connections: crate::listener::ConnectionLimits,
}

impl Application {
    /// Opens the stores, checks that the views were built from this log, starts following it
    /// (the views catch up in the background) and binds the listener.
    pub async fn build(settings: &Settings) -> Result<Application> {
        if !settings.read_only {
            refuse_writes_to_a_replay(&settings.locations)?;
        }
        let stores = open_stores(&settings.locations).await?;
        let (app, runner) = application(&stores);
        let app = if settings.read_only {
            app.read_only()
        } else {
            app
        };
        // The views must have been built from this log; they catch up with it in the
        // background while the server already answers (`/readyz` says how far they are).
        if let Err(error) = runner.check_witness().await {
            stores.close().await;
            return Err(format!("initial projection: {error}"));
        }
        let listener = match tokio::net::TcpListener::bind(settings.listen).await {
            Ok(listener) => listener,
            Err(error) => {
                stores.close().await;
                return Err(format!("cannot listen on {}: {error}", settings.listen));
            }
        };
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        let projections = Following::start(runner)?;
        let schema = graphql::schema(Some(app.clone()), settings.calendar);
        let mut state = http::HttpState::new(schema, app.clone());
        state.introspection = crate::graphql::introspection_schema(Some(app), settings.calendar);
        state.query_timeout = settings.query_timeout;
        state.calendar = settings.calendar;
        state.hospital.clone_from(&settings.hospital);
        let router = http::with_cors(http::router(state), &settings.cors_origins)?.layer(
            axum::middleware::from_fn({
                let timeout = settings.connections.body_timeout;
                move |request, next| crate::listener::body_deadline(timeout, request, next)
            }),
        );
        Ok(Application {
            listener,
            address,
            router,
            stores,
            projections,
            connections: settings.connections.fitted_to_open_files(),
        })
    }

    /// The address it listens on.
    #[must_use]
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Serves until `shutdown` completes, then stops following the log and closes the stores
    /// (appends already queued are answered first).
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<()> {
        let served = crate::listener::serve(self.listener, self.router, self.connections, shutdown)
            .await
            .map_err(|e| format!("server: {e}"));
        // Stop following the log before the stores close under it.
        self.projections.stop().await;
        self.stores.close().await;
        served
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redact_drops_credentials_and_query_parameters() {
        // Goal: no user, password or query parameter (which may carry a password) reaches a log line.
        assert_eq!(
            redact("postgres://yika:s3cret@db.internal:5432/yika"),
            "postgres://…@db.internal:5432/yika"
        );
        assert_eq!(
            redact("postgres://db.internal/yika?user=yika&password=s3cret"),
            "postgres://db.internal/yika?…"
        );
        assert_eq!(
            redact("kurrentdb://admin:changeit@n1:2113,n2:2113?tls=true"),
            "kurrentdb://…@n1:2113,n2:2113?…"
        );
        assert_eq!(
            redact("sqlite:///var/lib/yika/events.db"),
            "sqlite:///var/lib/yika/events.db"
        );
    }
}
