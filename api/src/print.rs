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

/// Documents built at once across the server (each reads the read store and the log); others
/// wait their turn. GraphQL's reports have slots of their own.
static DOCUMENT_SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

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
    let _slot = slot().await?;
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
    let (csv, lang) = format_and_lang(query.format.as_deref(), query.lang.as_deref())?;
    let calendar = state.calendar;
    let day = calendar.business_day(date);
    let versioned = state
        .app
        .versioned_report(&day, calendar.time_zone.name(), signed_version)
        .await?;
    if csv {
        let version = if signed_version { "signed" } else { "current" };
        return Ok(csv_response(
            documents::daily_csv(&versioned.report, lang),
            &format!("daily-report-{date}-{version}"),
        ));
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
    Ok(html(documents::daily_html(
        &state.hospital,
        &versioned.report,
        signed_version,
        versioned.balances,
        signature.as_ref(),
    )))
}

/// The query of the other printable documents: the thing's id, the format and the language.
#[derive(Debug, Deserialize)]
pub struct DocumentQuery {
    id: String,
    format: Option<String>,
    lang: Option<String>,
}

/// Waits for one of the server's document slots.
async fn slot() -> Result<tokio::sync::SemaphorePermit<'static>, ApiError> {
    DOCUMENT_SLOTS
        .acquire()
        .await
        .map_err(|_| ApiError::Internal("the document slots are closed".to_owned()))
}

/// Whether CSV was asked for (`format=html|csv`), and in which language (`lang=zh|en`).
fn format_and_lang(format: Option<&str>, lang: Option<&str>) -> Result<(bool, Lang), ApiError> {
    let csv = match format.map(str::to_ascii_lowercase).as_deref() {
        None | Some("html") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(ApiError::Validation(format!(
                "format must be html or csv, not {other:?}"
            )));
        }
    };
    let lang = lang
        .map(Lang::parse)
        .transpose()
        .map_err(ApiError::Validation)?
        .unwrap_or_default();
    Ok((csv, lang))
}

/// Whether CSV was asked for, and in which language.
fn format_of(query: &DocumentQuery) -> Result<(bool, Lang), ApiError> {
    format_and_lang(query.format.as_deref(), query.lang.as_deref())
}

fn id_of(query: &DocumentQuery) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::parse_str(query.id.trim())
        .map_err(|_| ApiError::Validation(format!("id must be a UUID, not {:?}", query.id)))
}

async fn staff_actor(
    state: &HttpState,
    headers: &HeaderMap,
) -> Result<yika_domain::Actor, ApiError> {
    match crate::http::caller(&state.app, headers).await {
        Caller::Staff(actor) => Ok(actor),
        Caller::Anonymous | Caller::Invalid => Err(ApiError::Unauthenticated),
    }
}

fn html(page: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'",
            ),
        ],
        page,
    )
        .into_response()
}

fn csv_response(bytes: Vec<u8>, name: &str) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}.csv\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

async fn who(state: &HttpState, staff: yika_domain::StaffId) -> Result<String, ApiError> {
    Ok(state.app.read.staff(staff).await?.map_or_else(
        || staff.to_string(),
        |s| format!("{} ({})", s.name, s.staff_no),
    ))
}

fn local(state: &HttpState, at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&state.calendar.time_zone)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// `GET /print/shift?id=`: the shift hand-over sheet (交班表). Finance and audit roles, and the
/// shift's own cashier (as `shift`).
pub async fn shift_sheet(
    State(state): State<HttpState>,
    headers: HeaderMap,
    Query(query): Query<DocumentQuery>,
) -> Response {
    let result = async {
        let actor = staff_actor(&state, &headers).await?;
        let (csv, lang) = format_of(&query)?;
        let id = yika_domain::ShiftId(id_of(&query)?);
        let _slot = slot().await?;
        let row = state
            .app
            .read
            .shift(id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("shift {id} does not exist")))?;
        if !crate::auth::may_read_shift(&actor, row.cashier_id) {
            return Err(ApiError::Forbidden("not your shift".to_owned()));
        }
        let received_by = match (row.handed_over_to, row.handed_over_at) {
            (Some(to), Some(at)) => Some(format!(
                "{} · {}",
                who(&state, to).await?,
                local(&state, at)
            )),
            _ => None,
        };
        let receipts = state.app.read.shift_receipts(id).await?;
        let sheet = documents::ShiftSheet {
            shift_id: id.to_string(),
            cashier: who(&state, row.cashier_id).await?,
            window: row.window.clone(),
            opened_at: local(&state, row.opened_at),
            closed_at: row.closed_at.map(|at| local(&state, at)),
            status: row.status.clone(),
            opening_float: row.opening_float,
            methods: row
                .methods
                .iter()
                .map(|m| (m.method, m.received, m.paid_out, m.counted, m.declared))
                .collect(),
            expected_cash: row.expected_cash(),
            counted_cash: row.counted_cash,
            variance: row.variance(),
            variance_resolution: row.variance_resolution.clone(),
            declared_cash: row.declared_cash,
            handed_over: row.handed_over,
            received_by,
            receipts: (row.receipts_issued, row.receipts_voided),
            first_receipt: receipts.first().map(|(no, _)| no.clone()),
            last_receipt: receipts.last().map(|(no, _)| no.clone()),
            voided_numbers: receipts
                .iter()
                .filter(|(_, voided)| *voided)
                .map(|(no, _)| no.clone())
                .collect(),
            gaps: row.receipt_gaps.clone(),
        };
        Ok(if csv {
            csv_response(
                documents::rows_csv(&documents::shift_rows(&sheet, lang), lang),
                &format!("shift-{id}"),
            )
        } else {
            html(documents::shift_html(&state.hospital, &sheet))
        })
    }
    .await;
    result.unwrap_or_else(|error| refuse(&error))
}

/// `GET /print/settlement?id=`: the discharge settlement sheet (结算单) of a settlement (its
/// event's id). Finance and audit roles and cashiers, who print it for the patient.
pub async fn settlement_sheet(
    State(state): State<HttpState>,
    headers: HeaderMap,
    Query(query): Query<DocumentQuery>,
) -> Response {
    let result = async {
        let actor = staff_actor(&state, &headers).await?;
        if !crate::auth::may_read_statement(&actor) {
            return Err(ApiError::Forbidden(
                "a settlement sheet is for finance and audit roles and cashiers".to_owned(),
            ));
        }
        let (csv, lang) = format_of(&query)?;
        let id = id_of(&query)?;
        let _slot = slot().await?;
        let not_found = || ApiError::NotFound(format!("settlement {id} does not exist"));
        let recorded = state
            .app
            .store
            .find_event(id)
            .await?
            .ok_or_else(not_found)?;
        let event = yika_domain::Event::decode(
            &recorded.event_type,
            recorded.schema_version,
            &recorded.payload,
        )?;
        let yika_domain::Event::DischargeSettled {
            account_id,
            insurance_scheme,
            total_charges,
            insurance_pays,
            deposits_applied,
            patient_pays,
            patient_receives,
            method,
            cashier_id,
            receipt_no,
            manual,
            ..
        } = event
        else {
            return Err(not_found());
        };
        let account = state
            .app
            .read
            .account(account_id)
            .await?
            .ok_or_else(not_found)?;
        let sheet = documents::SettlementSheet {
            id: id.to_string(),
            patient_id: account.patient_id.clone(),
            card_no: account.card_no.clone(),
            scheme: insurance_scheme,
            total_charges,
            insurance_pays,
            deposits_applied,
            patient_pays,
            patient_receives,
            method,
            receipt_no,
            cashier: who(&state, cashier_id).await?,
            at: local(&state, recorded.recorded_at),
            manual,
        };
        Ok(if csv {
            csv_response(
                documents::rows_csv(&documents::settlement_rows(&sheet, lang), lang),
                &format!("settlement-{id}"),
            )
        } else {
            html(documents::settlement_html(&state.hospital, &sheet))
        })
    }
    .await;
    result.unwrap_or_else(|error| refuse(&error))
}

/// The most events of one account a fee list reads.
const MAX_FEE_EVENTS: usize = 50_000;

/// `GET /print/fee-list?id=`: the patient fee list (费用清单) of an account: each deduction with
/// its item, department, quantity, amount and what was reversed of it. Finance and audit roles
/// and cashiers (as `Account.statement`).
pub async fn fee_list(
    State(state): State<HttpState>,
    headers: HeaderMap,
    Query(query): Query<DocumentQuery>,
) -> Response {
    let result = async {
        let actor = staff_actor(&state, &headers).await?;
        if !crate::auth::may_read_statement(&actor) {
            return Err(ApiError::Forbidden(
                "a fee list is for finance and audit roles and cashiers".to_owned(),
            ));
        }
        crate::auth::require_account_detail(&actor, "statement")?;
        let (csv, lang) = format_of(&query)?;
        let id = yika_domain::AccountId(id_of(&query)?);
        let _slot = slot().await?;
        let account = state
            .app
            .read
            .account(id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("account {id} does not exist")))?;
        let events = yika_store::read_whole_stream(
            state.app.store.as_ref(),
            &yika_domain::ids::streams::account(id),
        )
        .await?;
        if events.len() > MAX_FEE_EVENTS {
            return Err(ApiError::LimitExceeded(format!(
                "a fee list reads at most {MAX_FEE_EVENTS} events of an account"
            )));
        }
        let mut lines: Vec<(yika_domain::DeductionId, documents::FeeLine)> = Vec::new();
        for recorded in &events {
            match yika_domain::Event::decode(
                &recorded.event_type,
                recorded.schema_version,
                &recorded.payload,
            )? {
                yika_domain::Event::ChargeDeducted {
                    deduction_id,
                    amount,
                    department,
                    item_code,
                    item_name,
                    quantity,
                    ..
                } => lines.push((
                    deduction_id,
                    documents::FeeLine {
                        at: local(&state, recorded.recorded_at),
                        department,
                        item_code,
                        item_name,
                        quantity,
                        amount: amount.money(),
                        reversed: yika_domain::Money::ZERO,
                    },
                )),
                yika_domain::Event::DeductionReversed {
                    deduction_id,
                    amount,
                    ..
                } => {
                    if let Some((_, line)) = lines.iter_mut().find(|(d, _)| *d == deduction_id) {
                        line.reversed += amount.money();
                    }
                }
                _ => {}
            }
        }
        let list = documents::FeeList {
            patient_id: account.patient_id.clone(),
            card_no: account.card_no.clone(),
            kind: account.kind,
            lines: lines.into_iter().map(|(_, line)| line).collect(),
            balance: account.balance,
        };
        Ok(if csv {
            csv_response(
                documents::fee_list_csv(&list, lang),
                &format!("fee-list-{id}"),
            )
        } else {
            html(documents::fee_list_html(&state.hospital, &list))
        })
    }
    .await;
    result.unwrap_or_else(|error| refuse(&error))
}
