//! The printable documents over HTTP: `GET /print/daily-report?date=YYYY-MM-DD` with
//! `version=signed|current` (default current), `format=html|csv` (default html) and
//! `lang=zh|en` (CSV headers; default zh). Behind the same bearer token and roles as the
//! GraphQL data it shows (finance and audit roles, as `dailyReport`).

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::auth::Caller;
use crate::documents::{self, Lang, Signature};
use crate::error::ApiError;
use crate::http::HttpState;

/// The query of `/print/daily-report`.
#[derive(Debug, Deserialize)]
pub struct DailyQuery {
    date: String,
    version: Option<String>,
    format: Option<String>,
    lang: Option<String>,
}

fn refuse(error: &ApiError) -> Response {
    let status = match error.code() {
        "UNAUTHENTICATED" => StatusCode::UNAUTHORIZED,
        "FORBIDDEN" => StatusCode::FORBIDDEN,
        "NOT_FOUND" => StatusCode::NOT_FOUND,
        "VALIDATION" => StatusCode::BAD_REQUEST,
        "LIMIT_EXCEEDED" => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if let ApiError::Internal(detail) = error {
        tracing::error!(%detail, "internal error");
    }
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{}: {error}\n", error.code()),
    )
        .into_response()
}

/// `GET /print/daily-report`: the daily report (住院结算日报表) as a print-ready page or a CSV
/// file.
pub async fn daily_report(
    State(state): State<HttpState>,
    headers: HeaderMap,
    Query(query): Query<DailyQuery>,
) -> Response {
    match daily(&state, &headers, &query).await {
        Ok(response) => response,
        Err(error) => refuse(&error),
    }
}

async fn daily(
    state: &HttpState,
    headers: &HeaderMap,
    query: &DailyQuery,
) -> Result<Response, ApiError> {
    let actor = match crate::http::caller(&state.app, headers).await {
        Caller::Staff(actor) => actor,
        Caller::Anonymous | Caller::Invalid => return Err(ApiError::Unauthenticated),
    };
    crate::auth::require_finance(&actor, "reports")?;
    let date = chrono::NaiveDate::parse_from_str(query.date.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| (2000..=2099).contains(&chrono::Datelike::year(d)))
        .ok_or_else(|| {
            ApiError::Validation(format!(
                "date must be YYYY-MM-DD between 2000 and 2099, not {:?}",
                query.date
            ))
        })?;
    let signed_version = match query
        .version
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("current") => false,
        Some("signed") => true,
        Some(other) => {
            return Err(ApiError::Validation(format!(
                "version must be signed or current, not {other:?}"
            )));
        }
    };
    let csv = match query
        .format
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("html") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(ApiError::Validation(format!(
                "format must be html or csv, not {other:?}"
            )));
        }
    };
    let lang = query
        .lang
        .as_deref()
        .map(Lang::parse)
        .transpose()
        .map_err(ApiError::Validation)?
        .unwrap_or_default();
    let calendar = state.calendar;
    let day = calendar.business_day(date);
    let versioned = state
        .app
        .versioned_report(&day, calendar.time_zone.name(), signed_version)
        .await?;
    if csv {
        let mut response = documents::daily_csv(&versioned.report, lang).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        );
        let name = format!(
            "attachment; filename=\"daily-report-{date}-{}.csv\"",
            if signed_version { "signed" } else { "current" }
        );
        if let Ok(value) = HeaderValue::from_str(&name) {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }
        return Ok(response);
    }
    let signature = match &versioned.signed {
        None => None,
        Some(s) => {
            let who = state.app.read.staff(s.closed_by).await?;
            Some(Signature {
                closed_by: who.map_or_else(
                    || s.closed_by.to_string(),
                    |w| format!("{} ({})", w.name, w.staff_no),
                ),
                closed_at: s
                    .closed_at
                    .with_timezone(&calendar.time_zone)
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string(),
                report_sha256: s.report_sha256.clone(),
                note: s.note.clone(),
            })
        }
    };
    let page = documents::daily_html(
        &state.hospital,
        &versioned.report,
        signed_version,
        versioned.balances,
        signature.as_ref(),
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            // The page fetches nothing: say so to the browser too.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'",
            ),
        ],
        page,
    )
        .into_response())
}
