//! HTTP: the GraphQL-over-HTTP endpoint (POST and GET /graphql), subscriptions over WebSocket
//! (/graphql/ws), GraphiQL from the binary (/ and /graphiql), health, metrics and limits. Every
//! request gets a correlation id (the client's `x-correlation-id` when it is a UUID, else a
//! fresh one): it is in the request's log lines, in the answer's header, and in the metadata of
//! every event the request writes.
//!
//! The GraphQL-over-HTTP spec is followed by hand rather than through async-graphql-axum so
//! that the media type of each answer follows the client's Accept header: a client that
//! accepts only `application/json` gets `application/json` (and 200 for request errors), one
//! that accepts `application/graphql-response+json` gets that (and 4xx for request errors).

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::Router;
use axum::body::Bytes;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};
use tokio::sync::Semaphore;
use tracing::Instrument as _;
use uuid::Uuid;

use crate::application::{App, CORRELATION_ID, Recorder, WRITTEN};
use crate::auth::Caller;
use crate::documents::escape;
use crate::graphql::YikaSchema;

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The most WebSocket connections served at once; more are answered 503.
pub const MAX_LIVE_CONNECTIONS: usize = 1_024;
/// The largest WebSocket message accepted from a client.
pub const MAX_WS_MESSAGE_BYTES: usize = 64 * 1024;
/// How long a WebSocket may stay open without an accepted connection_init.
pub const WS_INIT_TIMEOUT: Duration = Duration::from_secs(10);

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";
/// The header carrying a request's correlation id, both ways.
pub const CORRELATION_HEADER: HeaderName = HeaderName::from_static("x-correlation-id");

/// What the handlers share.
#[derive(Clone)]
pub struct HttpState {
    /// The schema, with the application inside.
    pub schema: YikaSchema,
    /// The same schema with room for the standard introspection query (GraphiQL, codegen).
    pub introspection: YikaSchema,
    /// The application, for authentication.
    pub app: App,
    /// Free WebSocket connection slots.
    pub live_slots: Arc<Semaphore>,
    /// The longest a query may run (mutations are never cut off).
    pub query_timeout: Duration,
    /// The hospital's calendar (the printable documents' days).
    pub calendar: crate::calendar::Calendar,
    /// The hospital's name, printed on its documents.
    pub hospital: String,
    /// Staff's GraphQL documents, parsed once.
    pub documents: Arc<Documents>,
}

/// The most parsed GraphQL documents kept ([`Documents`]).
pub const MAX_PARSED_DOCUMENTS: usize = 256;
/// The longest document text that is kept parsed.
pub const MAX_PARSED_DOCUMENT_BYTES: usize = 8 * 1024;

/// GraphQL documents staff send, by their text, parsed once. Terminals and dashboards send the
/// same few documents over and over with other variables; parsing one took about 6% of the
/// server's CPU on the deduction path (docs/performance.md). Bounded: at most
/// [`MAX_PARSED_DOCUMENTS`] documents of at most [`MAX_PARSED_DOCUMENT_BYTES`] each, emptied
/// when full; only staff's documents go in, so strangers cannot fill it. Depth, directive and
/// validation checks still run on every request.
#[derive(Debug, Default)]
pub struct Documents {
    parsed: std::sync::Mutex<
        std::collections::HashMap<String, async_graphql::parser::types::ExecutableDocument>,
    >,
}

impl Documents {
    /// Gives `request` its parsed document from the cache, or parses it and keeps it.
    fn prepare(&self, request: &mut async_graphql::Request) {
        if request.query.len() > MAX_PARSED_DOCUMENT_BYTES {
            return;
        }
        let kept = self
            .parsed
            .lock()
            .ok()
            .and_then(|parsed| parsed.get(&request.query).cloned());
        if let Some(document) = kept {
            request.set_parsed_query(document);
            return;
        }
        let Ok(document) = request.parsed_query().cloned() else {
            return;
        };
        if let Ok(mut parsed) = self.parsed.lock() {
            if parsed.len() >= MAX_PARSED_DOCUMENTS {
                parsed.clear();
            }
            parsed.insert(request.query.clone(), document);
        }
    }
}

impl HttpState {
    /// The handlers' state over a schema and its application.
    #[must_use]
    pub fn new(schema: YikaSchema, app: App) -> HttpState {
        HttpState {
            introspection: crate::graphql::introspection_schema(
                Some(app.clone()),
                crate::calendar::Calendar::default(),
            ),
            schema,
            app,
            live_slots: Arc::new(Semaphore::new(MAX_LIVE_CONNECTIONS)),
            query_timeout: crate::graphql::cost::QUERY_TIMEOUT,
            calendar: crate::calendar::Calendar::default(),
            hospital: DEFAULT_HOSPITAL.to_owned(),
            documents: Arc::default(),
        }
    }
}

/// The hospital's name on its documents when none is configured.
pub const DEFAULT_HOSPITAL: &str = "医院 Hospital";

/// The router: `/graphql` (POST, GET), `/graphql/ws`, GraphiQL at `/` and `/graphiql`, the
/// dashboard at `/dashboard`, the printable documents under `/print/`, `/healthz`, `/readyz`,
/// `/metrics`.
pub fn router(state: HttpState) -> Router {
    Router::new()
        .route("/graphql", get(get_graphql).post(post_graphql))
        .route("/graphql/ws", get(graphql_ws))
        .route("/", get(graphiql_page))
        .route("/graphiql", get(graphiql_page))
        .route("/graphiql/assets/{file}", get(graphiql_asset))
        .route("/dashboard", get(dashboard_page))
        .route("/dashboard/assets/{file}", get(dashboard_asset))
        .route("/print/daily-report", get(crate::print::daily_report))
        .route("/print/shift", get(crate::print::shift_sheet))
        .route("/print/settlement", get(crate::print::settlement_sheet))
        .route("/print/fee-list", get(crate::print::fee_list))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(correlate))
        .with_state(state)
}

/// Lets pages from `origins` (exact origins, "https://dash.hospital.local") call the API from a
/// browser: GET and POST with `Authorization` and `Content-Type`, preflights answered. No origin
/// is allowed unless configured (`yika serve --cors-origin`); credentials (cookies) are never
/// needed: the bearer token travels in a header.
pub fn with_cors(router: Router, origins: &[String]) -> Result<Router, String> {
    use tower_http::cors::{AllowOrigin, CorsLayer};
    if origins.is_empty() {
        return Ok(router);
    }
    let mut allowed = Vec::with_capacity(origins.len());
    for origin in origins {
        let origin = origin.trim().trim_end_matches('/');
        let valid = (origin.starts_with("http://") || origin.starts_with("https://"))
            && !origin["https://".len().min(origin.len())..].contains('/');
        if !valid {
            return Err(format!(
                "--cors-origin must be an origin like https://dashboard.hospital.local, not {origin:?}"
            ));
        }
        allowed.push(
            HeaderValue::from_str(origin).map_err(|e| format!("--cors-origin {origin:?}: {e}"))?,
        );
    }
    Ok(router.layer(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(allowed))
            .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::ACCEPT,
                CORRELATION_HEADER.clone(),
            ])
            .expose_headers([CORRELATION_HEADER.clone()])
            .max_age(Duration::from_secs(600)),
    ))
}

/// Gives the request a correlation id (the client's, if it sent a UUID), runs it inside a log
/// span carrying the id, logs one line for it, and returns the id in the answer's header.
async fn correlate(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(&CORRELATION_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| Uuid::parse_str(v.trim()).ok())
        .unwrap_or_else(Uuid::now_v7);
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let span = tracing::info_span!(
        "request",
        correlation_id = %id,
        %method,
        %path,
        operation = tracing::field::Empty,
        outcome = tracing::field::Empty
    );
    let started = Instant::now();
    let mut response = CORRELATION_ID
        .scope(id, next.run(request))
        .instrument(span.clone())
        .await;
    let status = response.status().as_u16();
    // One line per request (the GraphQL operation and its outcome are on the span).
    span.in_scope(|| {
        let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        if path.starts_with("/graphql") {
            tracing::info!(status, duration_ms, "graphql");
        } else if path != "/healthz" && path != "/readyz" && path != "/metrics" {
            tracing::info!(status, duration_ms, "served");
        }
    });
    if let Ok(value) = HeaderValue::from_str(&id.to_string()) {
        response.headers_mut().insert(CORRELATION_HEADER, value);
    }
    response
}

/// GraphiQL's page, from the binary.
async fn graphiql_page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        GRAPHIQL_HTML,
    )
        .into_response()
}

const GRAPHIQL_HTML: &str = include_str!("../assets/graphiql/index.html");

/// GraphiQL's assets, compiled into the binary: (name, media type, bytes).
const GRAPHIQL_ASSETS: [(&str, &str, &[u8]); 4] = [
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/graphiql/graphiql.min.css"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/react-dom.production.min.js"),
    ),
];

async fn graphiql_asset(Path(file): Path<String>) -> Response {
    asset(
        &GRAPHIQL_ASSETS,
        &file,
        &[(header::CACHE_CONTROL, "public, max-age=86400")],
    )
}

/// The file of `assets` named `file` with its media type and `headers`; 404 for another name.
fn asset(
    assets: &[(&str, &'static str, &'static [u8])],
    file: &str,
    headers: &[(header::HeaderName, &'static str)],
) -> Response {
    let Some((_, media, bytes)) = assets.iter().find(|(name, _, _)| *name == file) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let mut response = (*bytes).into_response();
    let map = response.headers_mut();
    map.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(media),
    );
    for (name, value) in headers {
        map.insert(name.clone(), header::HeaderValue::from_static(value));
    }
    response
}

/// The dashboard's policy: its own scripts and styles only (no inline script), and requests to
/// this server alone (`'self'` covers the same host's `ws:` in Chromium and Firefox).
const DASHBOARD_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// The dashboard (decision 0031), from the binary, with the hospital's time zone (its business
/// day) and name; the page reads everything else from the GraphQL API with the user's token.
async fn dashboard_page(State(state): State<HttpState>) -> Response {
    let page = DASHBOARD_HTML
        .replace("{{TIME_ZONE}}", &escape(state.calendar.time_zone.name()))
        .replace("{{HOSPITAL}}", &escape(&state.hospital));
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::CONTENT_SECURITY_POLICY, DASHBOARD_CSP),
        ],
        page,
    )
        .into_response()
}

const DASHBOARD_HTML: &str = include_str!("../assets/dashboard/index.html");

/// The dashboard's assets, compiled into the binary: (name, media type, bytes).
const DASHBOARD_ASSETS: [(&str, &str, &[u8]); 5] = [
    (
        "dashboard.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/dashboard/dashboard.js"),
    ),
    (
        "dashboard.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/dashboard/dashboard.css"),
    ),
    (
        "chart.umd.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/dashboard/chart.umd.min.js"),
    ),
    (
        "graphql-ws.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/dashboard/graphql-ws.min.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../assets/dashboard/favicon.svg"),
    ),
];

async fn dashboard_asset(Path(file): Path<String>) -> Response {
    asset(
        &DASHBOARD_ASSETS,
        &file,
        &[
            (header::CACHE_CONTROL, "no-cache"),
            (header::CONTENT_SECURITY_POLICY, DASHBOARD_CSP),
        ],
    )
}

/// Subscriptions: graphql-transport-ws (and the legacy subscriptions-transport-ws). The token
/// comes in the connection_init payload (`{"Authorization": "Bearer …"}`, as GraphiQL sends
/// its headers, or `{"token": "…"}`); without a valid one the connection is closed (with 1002,
/// async-graphql's code for a refused connection_init), and without an accepted one within
/// [`WS_INIT_TIMEOUT`] it is dropped.
async fn graphql_ws(
    State(state): State<HttpState>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let Ok(slot) = state.live_slots.clone().try_acquire_owned() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "too many live connections; try again later",
        )
            .into_response();
    };
    let HttpState { schema, app, .. } = state;
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(MAX_WS_MESSAGE_BYTES)
        .on_upgrade(move |socket| async move {
            let _open = app.metrics.socket_opened();
            // The token the connection was initialized with, once it was accepted.
            let accepted: Arc<std::sync::Mutex<Option<String>>> = Arc::default();
            let slot_for_init = accepted.clone();
            let init_app = app.clone();
            let serve = GraphQLWebSocket::new(socket, schema, protocol)
                .on_connection_init(move |payload| async move {
                    let (data, token) = connection_init(init_app, payload).await?;
                    *slot_for_init.lock().unwrap_or_else(|p| p.into_inner()) = Some(token);
                    Ok(data)
                })
                .serve();
            tokio::pin!(serve);
            // A connection that has not authenticated in time gives its slot back; one whose
            // token is revoked, replaced, expired or whose holder was deactivated is closed
            // within a second (its token is checked again as often as a request's would be).
            let watchdog = async {
                let started = Instant::now();
                loop {
                    tokio::time::sleep(crate::auth::RECHECK).await;
                    let token = accepted.lock().unwrap_or_else(|p| p.into_inner()).clone();
                    let Some(token) = token else {
                        if started.elapsed() >= WS_INIT_TIMEOUT {
                            return;
                        }
                        continue;
                    };
                    if !matches!(app.authenticate(Some(&token)).await, Caller::Staff(_)) {
                        tracing::info!("closing a live connection: its token is no longer valid");
                        return;
                    }
                }
            };
            tokio::select! {
                () = &mut serve => {}
                () = watchdog => {}
            }
            drop(slot);
        })
        .into_response()
}

async fn connection_init(
    app: App,
    payload: Value,
) -> async_graphql::Result<(async_graphql::Data, String)> {
    let token = ["Authorization", "authorization"]
        .iter()
        .find_map(|key| payload.get(*key).and_then(Value::as_str))
        .map(|v| v.strip_prefix("Bearer ").unwrap_or(v))
        .or_else(|| payload.get("token").and_then(Value::as_str));
    match app.authenticate(token).await {
        Caller::Staff(actor) => {
            let mut data = async_graphql::Data::default();
            data.insert(Caller::Staff(actor));
            Ok((data, token.unwrap_or_default().to_owned()))
        }
        _ => Err(async_graphql::Error::new(
            "UNAUTHENTICATED: send a valid token in the connection_init payload",
        )),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Media {
    GraphqlResponse,
    Json,
}

impl Media {
    fn content_type(self) -> &'static str {
        match self {
            Media::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Media::Json => "application/json; charset=utf-8",
        }
    }
}

/// Picks the answer's media type from the Accept header; `None` means 406.
fn negotiate(headers: &HeaderMap) -> Option<Media> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(Media::Json);
    };
    let types: Vec<String> = accept
        .split(',')
        .map(|t| {
            t.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .collect();
    if types.iter().any(|t| t == GRAPHQL_RESPONSE) {
        Some(Media::GraphqlResponse)
    } else if types
        .iter()
        .any(|t| t == JSON || t == "application/*" || t == "*/*")
    {
        Some(Media::Json)
    } else {
        None
    }
}

fn request_error(media: Media, status: StatusCode, message: &str) -> Response {
    let body =
        json!({ "errors": [{ "message": message, "extensions": { "code": "VALIDATION" } }] });
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(media.content_type()),
        )],
        body.to_string(),
    )
        .into_response()
}

/// Resolves the bearer token to a staff member.
pub(crate) async fn caller(app: &App, headers: &HeaderMap) -> Caller {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Caller::Anonymous;
    };
    let token = value.to_str().ok().and_then(|v| v.strip_prefix("Bearer "));
    if token.is_none() {
        return Caller::Invalid;
    }
    app.authenticate(token).await
}

/// Reads the GraphQL parameters from a JSON object (POST body or GET query string).
fn parameters(params: &Map<String, Value>) -> Result<async_graphql::Request, &'static str> {
    let query = match params.get("query") {
        Some(Value::String(query)) => query.clone(),
        _ => return Err("the query parameter must be a string"),
    };
    let mut request = async_graphql::Request::new(query);
    match params.get("operationName") {
        None | Some(Value::Null) => {}
        Some(Value::String(name)) => request = request.operation_name(name.clone()),
        Some(_) => return Err("operationName must be a string"),
    }
    match params.get("variables") {
        None | Some(Value::Null) => {}
        Some(variables @ Value::Object(_)) => {
            request = request.variables(async_graphql::Variables::from_json(variables.clone()));
        }
        Some(_) => return Err("variables must be an object"),
    }
    match params.get("extensions") {
        None | Some(Value::Null) | Some(Value::Object(_)) => {}
        Some(_) => return Err("extensions must be an object"),
    }
    Ok(request)
}

/// Ready when the views have caught up with the log (a load balancer sends traffic then); not
/// while they catch up (with the progress) or while they are stalled (with the reason).
async fn readyz(State(state): State<HttpState>) -> Response {
    let views = state.app.read.position();
    if let Some(why) = state.app.read.stalled() {
        return (StatusCode::SERVICE_UNAVAILABLE, format!("stalled: {why}")).into_response();
    }
    match state.app.store.head_position().await {
        Ok(head) if views >= head => (StatusCode::OK, "ready").into_response(),
        Ok(head) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("catching up: views at {views} of {head}"),
        )
            .into_response(),
        Err(error) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("event store: {error}"),
        )
            .into_response(),
    }
}

/// Prometheus text exposition.
async fn metrics(State(state): State<HttpState>) -> Response {
    let app = &state.app;
    let head = app.store.head_position().await.unwrap_or(0);
    let projected = app.read.position();
    let lag_seconds = if head > projected {
        match app.store.read_all(projected, 1).await {
            Ok(events) => events.first().map_or(0.0, |e| {
                (chrono::Utc::now() - e.recorded_at)
                    .as_seconds_f64()
                    .max(0.0)
            }),
            Err(_) => 0.0,
        }
    } else {
        0.0
    };
    let body = app
        .metrics
        .render(head, projected, lag_seconds, app.read.stalled().is_some());
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        )],
        body,
    )
        .into_response()
}

async fn execute(
    state: &HttpState,
    headers: &HeaderMap,
    request: async_graphql::Request,
    media: Media,
) -> Response {
    let started = Instant::now();
    let caller = caller(&state.app, headers).await;
    let mut request = request;
    if matches!(caller, Caller::Staff(_)) {
        state.documents.prepare(&mut request);
    }
    // Only staff name the operations counted in /metrics (a bounded set of names): anyone else's
    // requests are counted together, so strangers cannot fill the set with names of their own.
    // The document is parsed once: the request keeps it for execution.
    let operation = if !matches!(caller, Caller::Staff(_)) {
        "unauthenticated".to_owned()
    } else {
        match request.operation_name.clone() {
            Some(name) => name,
            None => request
                .parsed_query()
                .ok()
                .and_then(|document| {
                    document
                        .operations
                        .iter()
                        .find_map(|(name, _)| name.map(|n| n.to_string()))
                })
                .unwrap_or_else(|| "anonymous".to_owned()),
        }
    };
    // A query is cancelled when it runs too long; a mutation never is (its command must not
    // be cut off between the append and the answer).
    let name = request.operation_name.clone();
    let is_query = request.parsed_query().is_ok_and(|document| {
        document
            .operations
            .iter()
            .find(|(n, _)| name.is_none() || n.map(|n| n.as_str()) == name.as_deref())
            .is_some_and(|(_, op)| op.node.ty == async_graphql::parser::types::OperationType::Query)
    });
    // The standard introspection query is deeper than any query of the ledger: a document
    // that selects only introspection fields runs on the schema that has room for it.
    let schema = if request
        .parsed_query()
        .is_ok_and(|document| crate::graphql::introspection_only(document, name.as_deref()))
    {
        &state.introspection
    } else {
        &state.schema
    };
    let recorder = Recorder::default();
    let run = WRITTEN.scope(recorder.clone(), schema.execute(request.data(caller)));
    let response = if is_query {
        match tokio::time::timeout(state.query_timeout, run).await {
            Ok(response) => response,
            Err(_) => {
                let mut error = async_graphql::ServerError::new(
                    format!(
                        "the query ran longer than {} ms and was cancelled; ask for less \
                         (a shorter period, a smaller page)",
                        state.query_timeout.as_millis()
                    ),
                    None,
                );
                let mut extensions = async_graphql::ErrorExtensionValues::default();
                extensions.set("code", "LIMIT_EXCEEDED");
                error.extensions = Some(extensions);
                async_graphql::Response::from_errors(vec![error])
            }
        }
    } else {
        run.await
    };
    let outcome = if response.errors.is_empty() {
        "ok"
    } else {
        "error"
    };
    state.app.metrics.request(&operation, outcome);
    state.app.metrics.latency(&operation, started.elapsed());
    let span = tracing::Span::current();
    span.record("operation", operation.as_str());
    span.record("outcome", outcome);
    let mut body = serde_json::to_value(&response)
        .unwrap_or_else(|_| json!({ "errors": [{ "message": "internal error" }] }));
    // A request error (unparsable, invalid) never reached execution: no data entry at all.
    let request_error = !response.errors.is_empty()
        && response.data == async_graphql::Value::Null
        && response.errors.iter().all(|e| e.path.is_empty());
    if let Some(object) = body.as_object_mut() {
        if request_error {
            object.remove("data");
        }
        // A recorded command whose answer was read from views that are behind: say so.
        let behind = recorder.behind_views();
        if !behind.is_empty() {
            let errors = object.entry("errors").or_insert_with(|| json!([]));
            if let Value::Array(errors) = errors {
                for (field, why) in behind {
                    errors.push(json!({
                        "message": format!("the answer was read from views that do not include this write yet: {why}"),
                        "path": [field],
                        "extensions": { "code": "VIEWS_BEHIND" },
                    }));
                }
            }
        }
        if let Some(Value::Array(errors)) = object.get_mut("errors") {
            for error in errors.iter_mut() {
                answer_incomplete(error, &recorder);
            }
            for error in errors {
                let message = error["message"].as_str().unwrap_or_default().to_owned();
                // Errors from parsing and validating the document (bad Money, missing field)
                // carry no code of ours: they are validation errors.
                let extensions = error
                    .as_object_mut()
                    .map(|e| e.entry("extensions").or_insert_with(|| json!({})));
                if let Some(Value::Object(extensions)) = extensions {
                    // The document's depth and weight are limits, not malformed input.
                    let limit = message.contains("Query is too complex")
                        || message.contains("Query is nested too deep");
                    extensions.entry("code").or_insert_with(|| {
                        json!(if limit {
                            "LIMIT_EXCEEDED"
                        } else {
                            "VALIDATION"
                        })
                    });
                }
            }
        }
    }
    let status = if request_error && media == Media::GraphqlResponse {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(media.content_type()),
        )],
        body.to_string(),
    )
        .into_response()
}

/// An error in the answer of a mutation field whose command was recorded is not a refusal: its
/// code becomes `ANSWER_INCOMPLETE` (the original one stays as `cause`), and `written` lists
/// what the command wrote, so a client never takes a recorded command for a refused one.
fn answer_incomplete(error: &mut Value, recorder: &Recorder) {
    let Some(field) = error
        .get("path")
        .and_then(|path| path.get(0))
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return;
    };
    let written = recorder.written_by(&field);
    if written.is_empty() {
        return;
    }
    let Some(error) = error.as_object_mut() else {
        return;
    };
    if let Some(Value::String(message)) = error.get_mut("message") {
        *message = format!("the command was recorded, but its answer is incomplete: {message}");
    }
    let extensions = error
        .entry("extensions")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .expect("extensions are an object");
    let cause = extensions
        .remove("code")
        .unwrap_or_else(|| json!("INTERNAL"));
    extensions.insert("code".to_owned(), json!("ANSWER_INCOMPLETE"));
    extensions.insert("cause".to_owned(), cause);
    extensions.insert("written".to_owned(), Value::Array(written));
}

async fn post_graphql(State(state): State<HttpState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(media) = negotiate(&headers) else {
        return (
            StatusCode::NOT_ACCEPTABLE,
            "accept application/graphql-response+json or application/json",
        )
            .into_response();
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut parts = content_type.split(';');
    let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let charset_ok = parts.all(|p| {
        let p = p.trim().to_ascii_lowercase();
        !p.starts_with("charset=") || p == "charset=utf-8"
    });
    if essence != JSON || !charset_ok {
        return (StatusCode::UNSUPPORTED_MEDIA_TYPE, "send application/json").into_response();
    }
    let params = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(params)) => params,
        Ok(_) => {
            return request_error(
                media,
                StatusCode::BAD_REQUEST,
                "the body must be a JSON object",
            );
        }
        Err(_) => {
            return request_error(media, StatusCode::BAD_REQUEST, "the body is not valid JSON");
        }
    };
    match parameters(&params) {
        Ok(request) => execute(&state, &headers, request, media).await,
        Err(message) => request_error(media, StatusCode::BAD_REQUEST, message),
    }
}

async fn get_graphql(
    State(state): State<HttpState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(media) = negotiate(&headers) else {
        return (
            StatusCode::NOT_ACCEPTABLE,
            "accept application/graphql-response+json or application/json",
        )
            .into_response();
    };
    let pairs: Vec<(String, String)> = serde_urlencoded_pairs(query.as_deref().unwrap_or(""));
    let mut params = Map::new();
    for (key, value) in pairs {
        let value = match key.as_str() {
            "variables" | "extensions" => match serde_json::from_str::<Value>(&value) {
                Ok(v) => v,
                Err(_) => {
                    return request_error(media, StatusCode::BAD_REQUEST, "variables must be JSON");
                }
            },
            _ => Value::String(value),
        };
        params.insert(key, value);
    }
    let request = match parameters(&params) {
        Ok(request) => request,
        Err(message) => return request_error(media, StatusCode::BAD_REQUEST, message),
    };
    // Mutations only over POST (GET must be safe).
    if let Ok(document) = async_graphql::parser::parse_query(&request.query) {
        let is_mutation = document.operations.iter().any(|(name, op)| {
            let selected = match (&request.operation_name, name) {
                (Some(wanted), Some(name)) => wanted.as_str() == name.as_str(),
                (None, _) => true,
                (Some(_), None) => false,
            };
            selected && op.node.ty == async_graphql::parser::types::OperationType::Mutation
        });
        if is_mutation {
            return (
                StatusCode::METHOD_NOT_ALLOWED,
                [(header::ALLOW, "POST")],
                "mutations must use POST",
            )
                .into_response();
        }
    }
    execute(&state, &headers, request, media).await
}

/// Decodes `a=1&b=x%20y` into pairs.
fn serde_urlencoded_pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(documents: &Documents) -> usize {
        documents.parsed.lock().expect("the lock").len()
    }

    #[test]
    fn a_document_is_parsed_once_and_the_cache_stays_bounded() {
        // Goal: the same text is served from the cache (the same operations), other variables
        // and all; text too long or unparsable is never kept; a full cache starts over.
        let documents = Documents::default();
        let text = "query($id: UUID!) { account(id: $id) { id balance } }";
        let mut first = async_graphql::Request::new(text);
        documents.prepare(&mut first);
        assert_eq!(kept(&documents), 1);
        let mut second = async_graphql::Request::new(text).variables(
            async_graphql::Variables::from_json(serde_json::json!({ "id": Uuid::nil() })),
        );
        documents.prepare(&mut second);
        assert_eq!(kept(&documents), 1);
        let operations = |request: &mut async_graphql::Request| {
            format!("{:?}", request.parsed_query().expect("parsed").operations)
        };
        assert_eq!(operations(&mut first), operations(&mut second));

        let mut broken = async_graphql::Request::new("query { account(");
        documents.prepare(&mut broken);
        let long = format!(
            "query {{ {} }}",
            "me { id } ".repeat(MAX_PARSED_DOCUMENT_BYTES)
        );
        documents.prepare(&mut async_graphql::Request::new(long));
        assert_eq!(kept(&documents), 1);

        for n in 0..MAX_PARSED_DOCUMENTS {
            documents.prepare(&mut async_graphql::Request::new(format!(
                "query q{n} {{ me {{ id }} }}"
            )));
        }
        // 1 + 255 filled it; the next one found it full, emptied it and was kept alone.
        assert_eq!(kept(&documents), 1);
    }
}
