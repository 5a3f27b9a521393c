//! `yika reconcile import`: reads a statement file finance downloaded (generic CSV, WeChat Pay
//! 交易账单 or Alipay 业务明细), checks every row, and sends the lines to a running server's
//! `importStatement` as the controller whose token it is given. A file with a bad row sends
//! nothing.

use std::path::Path;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::statement_csv::{self, Layout};

const IMPORT: &str = "mutation($input: ImportStatementInput!) { importStatement(input: $input) { \
    imported duplicates matched reconciliation { ledgerTotal statementTotal matchedCount \
    difference fees ledgerOnly { eventId receiptNo amount direction } \
    statementOnly { externalRef amount direction } } } }";

/// The largest statement file read (2,000 rows of a platform's layout fit in well under this).
const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// What `yika reconcile import` was asked.
pub struct ImportRequest<'a> {
    /// WECHAT, ALIPAY, BANK_CARD, …
    pub method: &'a str,
    /// The statement's day, YYYY-MM-DD.
    pub date: chrono::NaiveDate,
    /// The file.
    pub file: &'a Path,
    /// The server's GraphQL endpoint (http://host:port/graphql).
    pub server: &'a str,
    /// A CONTROLLER's (or ADMIN's) bearer token.
    pub token: &'a str,
    /// The hospital's time zone, for times written without one.
    pub time_zone: chrono_tz::Tz,
}

/// Reads, checks and sends the statement; prints what the server recorded.
pub async fn import(request: &ImportRequest<'_>) -> Result<(), String> {
    let reconciled = yika_domain::PaymentMethod::ALL
        .into_iter()
        .filter(|m| *m != yika_domain::PaymentMethod::Cash)
        .map(yika_domain::PaymentMethod::as_str)
        .collect::<Vec<_>>();
    if !reconciled.contains(&request.method) {
        return Err(format!(
            "--method {:?}: a statement reconciles one of {} (cash is counted at the window, not reconciled); nothing was imported",
            request.method,
            reconciled.join(", ")
        ));
    }
    let size = std::fs::metadata(request.file)
        .map_err(|e| format!("cannot read {}: {e}", request.file.display()))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(format!(
            "{} holds {size} bytes; a statement file holds at most {MAX_FILE_BYTES} (2,000 rows); nothing was imported",
            request.file.display()
        ));
    }
    let bytes = std::fs::read(request.file)
        .map_err(|e| format!("cannot read {}: {e}", request.file.display()))?;
    let (layout, lines) = statement_csv::parse(&bytes, request.time_zone).map_err(|errors| {
        let mut text = format!(
            "{} bad row(s) in {}; nothing was imported:",
            errors.len(),
            request.file.display()
        );
        for error in &errors {
            text.push_str(&format!("\n  {error}"));
        }
        text
    })?;
    let layout = match layout {
        Layout::Generic => "the generic",
        Layout::Wechat => "the WeChat Pay",
        Layout::Alipay => "the Alipay",
    };
    eprintln!(
        "read {} line(s) of {layout} statement {}",
        lines.len(),
        request.file.display()
    );
    let source = request
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    let lines: Vec<Value> = lines
        .iter()
        .map(|l| {
            json!({
                "externalRef": l.external_ref,
                "amount": l.amount.to_string(),
                "direction": match l.direction { yika_domain::Direction::In => "IN", yika_domain::Direction::Out => "OUT" },
                "occurredAt": l.occurred_at.to_rfc3339(),
                "fee": l.fee.map(|f| f.to_string()),
                // The ledger keeps a note of at most 128 characters; a long product name is cut.
                "note": l.note.as_deref().map(|n| {
                    // Tabs and other control or invisible characters from a spreadsheet's
                    // padding are not kept in a note.
                    let n: String = n
                        .chars()
                        .filter(|c| !yika_domain::text::invisible(*c))
                        .map(|c| if c.is_control() { ' ' } else { c })
                        .collect();
                    let max = yika_domain::text::MAX_NAME_CHARS;
                    if n.chars().count() > max {
                        n.chars().take(max - 1).chain(['…']).collect::<String>()
                    } else {
                        n.to_owned()
                    }
                }),
            })
        })
        .collect();
    // The same file for the same method and day is the same import: retrying it is safe.
    let key = hex::encode(&Sha256::digest(&bytes)[..16]);
    // A request body holds at most 64 KiB (the server's limit): the lines go in parts, each an
    // import of its own under the file's key and its part number. The ledger counts a line
    // sent twice as a duplicate, so a part retried after a failure is harmless.
    let parts = parts(&lines, PART_BYTES);
    let count = parts.len();
    let mut totals = (0_i64, 0_i64, 0_i64);
    let mut last = Value::Null;
    for (n, part) in parts.into_iter().enumerate() {
        let body = json!({
            "query": IMPORT,
            "variables": { "input": {
                "method": request.method,
                "statementDate": request.date.to_string(),
                "source": source,
                "lines": part,
                "idempotencyKey": format!("file-{key}-{n}"),
            }},
        });
        let answer = post(request.server, request.token, &body).await?;
        if let Some(errors) = answer.get("errors").and_then(Value::as_array) {
            let text: Vec<String> = errors
                .iter()
                .map(|e| {
                    format!(
                        "{} ({})",
                        e["message"].as_str().unwrap_or("error"),
                        e["extensions"]["code"].as_str().unwrap_or("?")
                    )
                })
                .collect();
            let done = if n == 0 {
                "nothing was imported".to_owned()
            } else {
                format!(
                    "parts 1..{n} of {count} were imported; run the same command again to send the rest"
                )
            };
            return Err(format!(
                "the server refused the import: {}; {done}",
                text.join("; ")
            ));
        }
        let imported = &answer["data"]["importStatement"];
        totals.0 += imported["imported"].as_i64().unwrap_or(0);
        totals.1 += imported["duplicates"].as_i64().unwrap_or(0);
        totals.2 += imported["matched"].as_i64().unwrap_or(0);
        last = imported["reconciliation"].clone();
    }
    let summary = json!({
        "imported": totals.0,
        "duplicates": totals.1,
        "matched": totals.2,
        "requests": count,
        "reconciliation": last,
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&summary).map_err(|e| e.to_string())?
    );
    Ok(())
}

/// The most bytes of lines one request carries (the rest of the body is well under 8 KiB).
const PART_BYTES: usize = 56 * 1024;

/// The lines in consecutive parts of at most `max_bytes` of JSON each (at least one line, and
/// one empty part for an empty statement).
fn parts(lines: &[Value], max_bytes: usize) -> Vec<Vec<Value>> {
    let mut parts: Vec<Vec<Value>> = vec![Vec::new()];
    let mut size = 0;
    for line in lines {
        let bytes = line.to_string().len() + 1;
        let current = parts.last_mut().expect("a part");
        if !current.is_empty() && size + bytes > max_bytes {
            parts.push(Vec::new());
            size = 0;
        }
        parts.last_mut().expect("a part").push(line.clone());
        size += bytes;
    }
    parts
}

/// POSTs a GraphQL request over HTTP/1.1 and parses the JSON answer.
async fn post(server: &str, token: &str, body: &Value) -> Result<Value, String> {
    let uri: hyper::Uri = server
        .parse()
        .map_err(|e| format!("--server {server:?}: {e}"))?;
    if uri.scheme_str() != Some("http") {
        return Err(format!(
            "--server {server:?}: only http:// is spoken (put TLS in front of a server, not here)"
        ));
    }
    let host = uri.host().ok_or("--server needs a host")?.to_owned();
    let port = uri.port_u16().unwrap_or(80);
    let stream = tokio::net::TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| format!("cannot reach {server}: {e}"))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let request = hyper::Request::post(uri.clone())
        .header(hyper::header::HOST, format!("{host}:{port}"))
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header(hyper::header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Full::new(Bytes::from(body.to_string())))
        .map_err(|e| e.to_string())?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("{server}: {e}"))?;
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    serde_json::from_slice(&bytes).map_err(|_| {
        format!(
            "{server} answered {status}: {}",
            String::from_utf8_lossy(&bytes)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_sent_in_parts_that_fit_the_request_limit_in_order() {
        let lines: Vec<Value> = (0..1000)
            .map(|n| json!({ "externalRef": format!("REF-{n:06}"), "amount": "1.00" }))
            .collect();
        let parts = parts(&lines, 4096);
        assert!(parts.len() > 1);
        for part in &parts {
            assert!(!part.is_empty());
            let bytes: usize = part.iter().map(|l| l.to_string().len() + 1).sum();
            assert!(bytes <= 4096, "{bytes}");
        }
        let flat: Vec<Value> = parts.into_iter().flatten().collect();
        assert_eq!(flat, lines);
        assert_eq!(super::parts(&[], 4096), vec![Vec::<Value>::new()]);
    }
}
