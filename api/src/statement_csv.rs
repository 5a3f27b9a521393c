//! Reading a payment provider's statement (对账单) from CSV for `yika reconcile import`.
//!
//! Finance downloads the day's statement from the bank, from WeChat Pay (微信支付商户平台,
//! 交易账单) or from Alipay (支付宝商家, 业务明细) and hands the file's bytes to [`parse`]. The
//! layout is recognised from the header row; the text may be UTF-8 (with or without a byte-order
//! mark) or GBK. The outcome is all-or-nothing: either every detail row is read into a
//! [`ParsedLine`], or the caller gets the list of [`RowError`]s (each with its 1-based physical
//! line in the file) and imports nothing.
//!
//! # Layouts
//!
//! * [`Layout::Generic`], documented by Yika: the header is exactly
//!   `externalRef,amount,direction,occurredAt,fee` with an optional trailing `note` column
//!   (names case-sensitive, surrounding whitespace ignored). `direction` is `IN` or `OUT`;
//!   `amount` is a positive decimal with at most 2 places; `occurredAt` is RFC 3339
//!   (`2026-12-01T09:30:00+08:00`) or `YYYY-MM-DD HH:MM:SS` in the hospital's zone; `fee` is
//!   empty or a non-negative decimal with at most 2 places. Values with commas must be quoted.
//! * [`Layout::Wechat`], the WeChat Pay transaction statement (交易账单, ALL / SUCCESS / REFUND):
//!   lines before the header (a title) are tolerated, every value's leading backtick is
//!   removed, the summary (`总交易单数,…` and its line of values) ends the rows. `交易状态`
//!   `SUCCESS` is money in: `商户订单号`, amount `应结订单金额` (or `订单金额` when that is
//!   missing, empty or 0.00; `总金额` in the early format). `REFUND` is money out: `商户退款单号`
//!   (or `商户订单号`), amount `退款金额` (or `申请退款金额`). Other states (REVOKED, CLOSED, …)
//!   are skipped. Time `交易时间`; fee `手续费`; note `商品名称`.
//! * [`Layout::Alipay`], the Alipay merchant statement (业务明细, usually GBK): `#` comment lines
//!   before and after the rows are skipped and values are trimmed of their space/tab padding.
//!   `业务类型` `交易` is money in with `商户订单号`; `退款` is money out with
//!   `退款批次号/请求号` (or `商户订单号`). Amount: the absolute value of `订单金额（元）`
//!   (negative on refunds). Time `完成时间` (or `创建时间`); fee `服务费（元）`; note `商品名称`
//!   (or `备注`). Other business types are skipped.
//!
//! # Fees on the platform layouts
//!
//! [`ParsedLine::fee`] is never negative. WeChat shows the fee charged on a payment as a positive
//! `手续费` and the fee handed back on a refund as a negative one; Alipay shows `服务费（元）`
//! negative when charged. Both are read as their absolute value: the line's direction says which
//! way the fee went (charged with money in, returned with money out). WeChat prints fees with 5
//! decimals (`1.20000`); trailing zeros are dropped, and a fee with real sub-fen digits (only in
//! very old bills, `0.00020`) is rounded half away from zero to the fen, which the line's note
//! records.
//!
//! Money is read with [`yika_domain::Money`] (a decimal); no floating point is involved.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use rust_decimal::{Decimal, RoundingStrategy};
use yika_domain::{Amount, Direction, Money, MoneyError};

/// The layouts read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Yika's own documented layout (`externalRef,amount,direction,occurredAt,fee[,note]`),
    /// used for bank-card statements and anything converted by hand.
    Generic,
    /// WeChat Pay merchant platform transaction statement (微信支付 交易账单).
    Wechat,
    /// Alipay merchant statement (支付宝 业务明细).
    Alipay,
}

/// One statement line as read from the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedLine {
    /// The 1-based physical line of the row in the (decoded) file.
    pub line: usize,
    /// The reference that matches the ledger's payment: the merchant order number for money
    /// in, the merchant refund number (or the order number) for money out.
    pub external_ref: String,
    /// The amount: positive, at most 2 decimal places.
    pub amount: Money,
    /// `In`: the payer paid the hospital; `Out`: the hospital paid back (a refund).
    pub direction: Direction,
    /// When the provider recorded the payment or refund.
    pub occurred_at: DateTime<Utc>,
    /// The provider's fee for this line, never negative (`None` when the file gives none).
    pub fee: Option<Money>,
    /// Free text: the note column, the product name, and anything worth knowing about how the
    /// row was read (a fallback column, a rounded fee).
    pub note: Option<String>,
}

/// Why a row (or the whole file, at line 0) cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The 1-based physical line in the file; 0 when the problem is the file as a whole.
    pub line: usize,
    /// What is wrong, in English, naming the column (without the `line N:` prefix, which
    /// [`fmt::Display`] adds).
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(&self.reason)
        } else {
            write!(f, "line {}: {}", self.line, self.reason)
        }
    }
}

impl std::error::Error for RowError {}

/// The most lines one file may hold (more is a RowError at line 0 with a clear reason).
///
/// Counted are the detail rows after the header (including rows of a state that is skipped,
/// such as a WeChat `REVOKED` row); blank lines, comments and summaries are not counted.
pub const MAX_LINES: usize = 2_000;

/// At most this many row errors are reported; reading stops checking rows after that.
const MAX_ERRORS: usize = 100;

/// The header must appear within this many physical lines.
const MAX_PREAMBLE_LINES: usize = 50;

/// The generic layout's required columns, in order.
const GENERIC_COLUMNS: [&str; 5] = ["externalRef", "amount", "direction", "occurredAt", "fee"];
/// The generic layout's optional trailing column.
const GENERIC_NOTE: &str = "note";

/// The first cell of the WeChat summary header, which ends the detail rows.
const WECHAT_SUMMARY: &str = "总交易单数";

/// Detects the layout from the header row, decodes UTF-8 (with or without BOM) or GBK
/// (anything not valid UTF-8 is decoded as GBK via encoding_rs::GBK), skips preamble/comment/summary
/// lines of the platform layouts, and reads every detail row. Times without a zone are local
/// times in `time_zone` (the hospital's, Asia/Shanghai by default).
pub fn parse(bytes: &[u8], time_zone: Tz) -> Result<(Layout, Vec<ParsedLine>), Vec<RowError>> {
    let text = decode(bytes).map_err(|error| vec![error])?;
    let lines: Vec<&str> = text
        .split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .collect();
    let header = find_header(&lines).map_err(|error| vec![error])?;

    let mut parsed = Vec::new();
    let mut errors: Vec<RowError> = Vec::new();
    let mut rows = 0_usize;
    let mut index = header.index + 1;
    while index < lines.len() {
        let start = index;
        let line_no = start + 1;
        let raw = lines.get(start).copied().unwrap_or_default();
        index += 1;
        if raw.trim().is_empty() {
            continue;
        }
        if header.layout == Layout::Alipay && raw.trim_start().starts_with('#') {
            continue;
        }
        // Only the generic layout quotes values, so only there may a quoted value span lines.
        let mut record = raw.to_owned();
        if header.layout == Layout::Generic {
            while record.matches('"').count() % 2 == 1 {
                match lines.get(index) {
                    Some(next) => {
                        record.push('\n');
                        record.push_str(next);
                        index += 1;
                    }
                    None => break,
                }
            }
        }
        let cells = if record.matches('"').count() % 2 == 1 {
            Err("a quoted value opened on this line is never closed".to_owned())
        } else {
            split_record(&record)
        };
        if let Ok(cells) = &cells {
            let first = cells.first().map(|cell| platform_value(cell));
            if header.layout == Layout::Wechat && first == Some(WECHAT_SUMMARY) {
                // The summary header and its line of totals end the statement.
                break;
            }
            if cells.iter().all(|cell| platform_value(cell).is_empty()) {
                continue;
            }
        }
        rows += 1;
        if rows > MAX_LINES {
            return Err(vec![RowError {
                line: 0,
                reason: format!(
                    "the file holds more than {MAX_LINES} statement rows; split it into files of \
                     at most {MAX_LINES} rows"
                ),
            }]);
        }
        if errors.len() >= MAX_ERRORS {
            // Keep counting rows (for the size limit) but check no more of them.
            continue;
        }
        let cells = match cells {
            Ok(cells) => cells,
            Err(reason) => {
                errors.push(RowError {
                    line: line_no,
                    reason,
                });
                continue;
            }
        };
        let outcome = match header.layout {
            Layout::Generic => generic_line(&header.columns, line_no, &cells, time_zone).map(Some),
            Layout::Wechat => wechat_line(&header.columns, line_no, &cells, time_zone),
            Layout::Alipay => alipay_line(&header.columns, line_no, &cells, time_zone),
        };
        match outcome {
            Ok(Some(line)) => parsed.push(line),
            Ok(None) => {}
            Err(reasons) => {
                for reason in reasons {
                    if errors.len() >= MAX_ERRORS {
                        break;
                    }
                    errors.push(RowError {
                        line: line_no,
                        reason,
                    });
                }
            }
        }
    }
    if errors.is_empty() {
        Ok((header.layout, parsed))
    } else {
        Err(errors)
    }
}

/// UTF-8 (a leading byte-order mark is dropped), else GBK.
fn decode(bytes: &[u8]) -> Result<String, RowError> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(body) {
        return Ok(text.to_owned());
    }
    let (text, had_errors) = encoding_rs::GBK.decode_without_bom_handling(body);
    if had_errors {
        return Err(RowError {
            line: 0,
            reason: "the file is neither UTF-8 nor GBK text; save the statement as CSV (UTF-8 or \
                     GBK) and import it again"
                .to_owned(),
        });
    }
    Ok(text.into_owned())
}

/// The header row found, its layout and its columns.
struct Header {
    layout: Layout,
    /// 0-based index into the physical lines.
    index: usize,
    columns: Columns,
}

/// The header's column names, looked up by name (never by position, except for the generic
/// layout whose order is fixed).
struct Columns {
    index: HashMap<String, usize>,
    count: usize,
}

impl Columns {
    fn new(names: &[String]) -> Columns {
        let mut index = HashMap::new();
        for (position, name) in names.iter().enumerate() {
            index.entry(column_key(name)).or_insert(position);
        }
        Columns {
            index,
            count: names.len(),
        }
    }

    fn has(&self, name: &str) -> bool {
        self.index.contains_key(&column_key(name))
    }

    /// The cleaned value of a platform row's cell under `name`, if the header has that column.
    fn value<'a>(&self, cells: &'a [String], name: &str) -> Option<&'a str> {
        let position = self.index.get(&column_key(name))?;
        Some(cells.get(*position).map_or("", |cell| platform_value(cell)))
    }

    /// The cleaned value, empty when the column is missing.
    fn text<'a>(&self, cells: &'a [String], name: &str) -> &'a str {
        self.value(cells, name).unwrap_or_default()
    }
}

/// A header name as compared: trimmed, without a BOM or backtick, full-width parentheses made
/// half-width (some exports write `订单金额(元)`).
fn column_key(name: &str) -> String {
    platform_value(name.trim_start_matches('\u{feff}'))
        .replace('（', "(")
        .replace('）', ")")
}

/// A platform value: trimmed of spaces and tabs, without the leading backtick WeChat adds.
fn platform_value(cell: &str) -> &str {
    let trimmed = cell.trim();
    trimmed.strip_prefix('`').unwrap_or(trimmed).trim()
}

fn find_header(lines: &[&str]) -> Result<Header, RowError> {
    let mut first_seen: Option<(usize, &str)> = None;
    for (index, raw) in lines.iter().enumerate().take(MAX_PREAMBLE_LINES) {
        let trimmed = raw.trim().trim_start_matches('\u{feff}');
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let Ok(cells) = split_record(raw) else {
            continue;
        };
        if first_seen.is_none() {
            first_seen = Some((index, raw));
            // The generic header must be the first line of the file (blank lines aside).
            if let Some(names) = generic_header(&cells) {
                return Ok(Header {
                    layout: Layout::Generic,
                    index,
                    columns: Columns::new(&names),
                });
            }
        }
        let columns = Columns::new(&cells);
        if is_wechat_header(&columns) {
            return Ok(Header {
                layout: Layout::Wechat,
                index,
                columns,
            });
        }
        if is_alipay_header(&columns) {
            return Ok(Header {
                layout: Layout::Alipay,
                index,
                columns,
            });
        }
    }
    let expected = format!(
        "expected the generic header \"{}\" (optionally followed by \",{GENERIC_NOTE}\"), or a \
         WeChat Pay 交易账单 or Alipay 业务明细 statement",
        GENERIC_COLUMNS.join(",")
    );
    Err(match first_seen {
        Some((index, raw)) => RowError {
            line: index + 1,
            reason: format!(
                "unrecognised header row {:?}: {expected}",
                shorten(raw.trim(), 120)
            ),
        },
        None => RowError {
            line: 1,
            reason: format!("the file has no header row: {expected}"),
        },
    })
}

/// The generic header's columns (trailing empty cells, as a spreadsheet may add, dropped), or
/// `None` when `cells` is not the generic header.
fn generic_header(cells: &[String]) -> Option<Vec<String>> {
    let mut names: Vec<&str> = cells.iter().map(|cell| cell.trim()).collect();
    while names.last().is_some_and(|name| name.is_empty()) {
        names.pop();
    }
    let required = names.len() >= GENERIC_COLUMNS.len()
        && names
            .iter()
            .zip(GENERIC_COLUMNS)
            .all(|(name, want)| *name == want);
    let tail_ok = match names.get(GENERIC_COLUMNS.len()..) {
        Some([]) => true,
        Some([note]) => *note == GENERIC_NOTE,
        _ => false,
    };
    (required && tail_ok).then(|| names.into_iter().map(str::to_owned).collect())
}

fn is_wechat_header(columns: &Columns) -> bool {
    ["交易时间", "交易状态", "商户订单号", "微信订单号"]
        .iter()
        .all(|name| columns.has(name))
        && ["应结订单金额", "订单金额", "总金额"]
            .iter()
            .any(|name| columns.has(name))
}

fn is_alipay_header(columns: &Columns) -> bool {
    ["支付宝交易号", "商户订单号", "业务类型", "订单金额（元）"]
        .iter()
        .all(|name| columns.has(name))
        && ["完成时间", "创建时间"]
            .iter()
            .any(|name| columns.has(name))
}

/// The cells of one CSV record (which may span lines inside quotes).
fn split_record(text: &str) -> Result<Vec<String>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => Ok(record.iter().map(str::to_owned).collect()),
        Ok(false) => Ok(Vec::new()),
        Err(error) => Err(format!("the row cannot be read as CSV: {error}")),
    }
}

/// A row may not be narrower than the header; it may be wider only by empty cells (a trailing
/// comma), since a stray comma would shift every later value.
fn check_width(cells: &[String], expected: usize) -> Result<(), String> {
    if cells.len() < expected {
        return Err(format!(
            "the row has {} columns, the header has {expected}",
            cells.len()
        ));
    }
    if cells
        .iter()
        .skip(expected)
        .any(|cell| !platform_value(cell).is_empty())
    {
        return Err(format!(
            "the row has {} columns, the header has {expected} (quote a value that contains a \
             comma)",
            cells.len()
        ));
    }
    Ok(())
}

fn generic_line(
    columns: &Columns,
    line: usize,
    cells: &[String],
    time_zone: Tz,
) -> Result<ParsedLine, Vec<String>> {
    check_width(cells, columns.count).map_err(|reason| vec![reason])?;
    let cell = |position: usize| cells.get(position).map_or("", |value| value.trim());
    let mut errors = Vec::new();

    let external_ref = cell(0);
    if external_ref.is_empty() {
        errors.push("externalRef is empty".to_owned());
    }
    let amount = keep(
        Money::parse(cell(1))
            .and_then(Amount::new)
            .map(Amount::money)
            .map_err(|error| money_reason("amount", cell(1), &error)),
        &mut errors,
    );
    let direction = match cell(2) {
        "IN" => Some(Direction::In),
        "OUT" => Some(Direction::Out),
        other => {
            errors.push(format!("direction {other:?} must be IN or OUT"));
            None
        }
    };
    let occurred_at = keep(
        parse_time("occurredAt", cell(3), time_zone, true),
        &mut errors,
    );
    let fee = match cell(4) {
        "" => Some(None),
        raw => keep(
            Money::parse(raw)
                .and_then(|fee| {
                    if fee.is_negative() {
                        Err(MoneyError::Negative(fee))
                    } else {
                        Ok(Some(fee))
                    }
                })
                .map_err(|error| money_reason("fee", raw, &error)),
            &mut errors,
        ),
    };
    let note = Some(cell(5))
        .filter(|note| !note.is_empty())
        .map(str::to_owned);

    match (amount, direction, occurred_at, fee) {
        (Some(amount), Some(direction), Some(occurred_at), Some(fee)) if errors.is_empty() => {
            Ok(ParsedLine {
                line,
                external_ref: external_ref.to_owned(),
                amount,
                direction,
                occurred_at,
                fee,
                note,
            })
        }
        _ => Err(errors),
    }
}

/// Which columns of a platform row give which field, most preferred column first.
struct Mapping {
    direction: Direction,
    refs: &'static [&'static str],
    amounts: &'static [&'static str],
    times: &'static [&'static str],
    fee: &'static str,
    notes: &'static [&'static str],
}

fn wechat_line(
    columns: &Columns,
    line: usize,
    cells: &[String],
    time_zone: Tz,
) -> Result<Option<ParsedLine>, Vec<String>> {
    check_width(cells, columns.count).map_err(|reason| vec![reason])?;
    let (direction, refs, amounts): (_, &'static [&'static str], &'static [&'static str]) =
        match columns.text(cells, "交易状态") {
            "SUCCESS" => (
                Direction::In,
                &["商户订单号"],
                &["应结订单金额", "订单金额", "总金额"],
            ),
            "REFUND" => (
                Direction::Out,
                &["商户退款单号", "商户订单号"],
                &["退款金额", "申请退款金额"],
            ),
            // REVOKED, CLOSED, NOTPAY, …: no money moved.
            _ => return Ok(None),
        };
    let mapping = Mapping {
        direction,
        refs,
        amounts,
        times: &["交易时间"],
        fee: "手续费",
        notes: &["商品名称"],
    };
    platform_line(columns, line, cells, time_zone, &mapping).map(Some)
}

fn alipay_line(
    columns: &Columns,
    line: usize,
    cells: &[String],
    time_zone: Tz,
) -> Result<Option<ParsedLine>, Vec<String>> {
    check_width(cells, columns.count).map_err(|reason| vec![reason])?;
    let (direction, refs): (_, &'static [&'static str]) = match columns.text(cells, "业务类型")
    {
        "交易" => (Direction::In, &["商户订单号"]),
        "退款" => (Direction::Out, &["退款批次号/请求号", "商户订单号"]),
        // Other business types (分账, 充值, …) are not payments by a patient.
        _ => return Ok(None),
    };
    let mapping = Mapping {
        direction,
        refs,
        amounts: &["订单金额（元）"],
        times: &["完成时间", "创建时间"],
        fee: "服务费（元）",
        notes: &["商品名称", "备注"],
    };
    platform_line(columns, line, cells, time_zone, &mapping).map(Some)
}

/// Reads a WeChat or Alipay detail row by `mapping`, reporting every field's problem.
fn platform_line(
    columns: &Columns,
    line: usize,
    cells: &[String],
    time_zone: Tz,
    mapping: &Mapping,
) -> Result<ParsedLine, Vec<String>> {
    let mut errors = Vec::new();
    let mut notes = Vec::new();

    let external_ref = keep(
        platform_ref(columns, cells, mapping.refs, &mut notes),
        &mut errors,
    );
    let amount = keep(
        platform_amount(
            columns,
            cells,
            mapping.amounts,
            mapping.direction,
            &mut notes,
        ),
        &mut errors,
    );
    let (time_column, time) = mapping
        .times
        .iter()
        .map(|name| (*name, columns.text(cells, name)))
        .find(|(_, value)| !value.is_empty())
        .unwrap_or((mapping.times.first().copied().unwrap_or("time"), ""));
    let label = format!("{time_column} (time)");
    let occurred_at = keep(parse_time(&label, time, time_zone, false), &mut errors);
    let fee = keep(
        platform_fee(columns, cells, mapping.fee, &mut notes),
        &mut errors,
    );
    let product = mapping
        .notes
        .iter()
        .map(|name| columns.text(cells, name))
        .find(|value| !value.is_empty())
        .unwrap_or_default();

    match (external_ref, amount, occurred_at, fee) {
        (Some(external_ref), Some(amount), Some(occurred_at), Some(fee)) if errors.is_empty() => {
            let note = std::iter::once(product.to_owned())
                .chain(notes)
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join("; ");
            Ok(ParsedLine {
                line,
                external_ref: external_ref.to_owned(),
                amount,
                direction: mapping.direction,
                occurred_at,
                fee,
                note: Some(note).filter(|note| !note.is_empty()),
            })
        }
        _ => Err(errors),
    }
}

/// The value, or `None` with the reason added to `errors`.
fn keep<T>(result: Result<T, String>, errors: &mut Vec<String>) -> Option<T> {
    result.map_err(|reason| errors.push(reason)).ok()
}

/// The external reference of a platform row: the first of `candidates` that is not empty (nor
/// the `0` WeChat writes in the refund-number columns of rows that are not refunds). A fallback
/// is recorded in `notes`.
fn platform_ref<'a>(
    columns: &Columns,
    cells: &'a [String],
    candidates: &[&str],
    notes: &mut Vec<String>,
) -> Result<&'a str, String> {
    let mut passed_over: Vec<&str> = Vec::new();
    for name in candidates {
        let value = columns.text(cells, name);
        if value.is_empty() || value == "0" {
            passed_over.push(name);
            continue;
        }
        if !passed_over.is_empty() {
            notes.push(format!(
                "externalRef taken from {name} ({} is empty)",
                passed_over.join(", ")
            ));
        }
        return Ok(value);
    }
    Err(format!("{} is empty", candidates.join(" and ")))
}

/// The amount of a platform row: the first of `candidates` (columns, most preferred first) that
/// is present and not empty or zero. The sign is dropped (Alipay prints refunds negative), but
/// money in must be positive in the file. A fallback is recorded in `notes`.
fn platform_amount(
    columns: &Columns,
    cells: &[String],
    candidates: &[&str],
    direction: Direction,
    notes: &mut Vec<String>,
) -> Result<Money, String> {
    let mut passed_over: Vec<String> = Vec::new();
    for name in candidates {
        let Some(raw) = columns.value(cells, name) else {
            continue;
        };
        if raw.is_empty() {
            passed_over.push(format!("{name} is empty"));
            continue;
        }
        let label = format!("amount ({name})");
        let value = platform_decimal(raw).map_err(|error| money_reason(&label, raw, &error))?;
        if value.is_zero() {
            passed_over.push(format!("{name} is 0.00"));
            continue;
        }
        if direction == Direction::In && value.is_sign_negative() {
            return Err(format!("{label} {raw:?} must be greater than 0"));
        }
        let amount = Money::from_decimal(value.abs())
            .and_then(Amount::new)
            .map(Amount::money)
            .map_err(|error| money_reason(&label, raw, &error))?;
        if !passed_over.is_empty() {
            notes.push(format!(
                "amount taken from {name} ({})",
                passed_over.join(", ")
            ));
        }
        return Ok(amount);
    }
    Err(if passed_over.is_empty() {
        format!("no amount column ({}) in the header", candidates.join(", "))
    } else {
        format!("amount: {}", passed_over.join(", "))
    })
}

/// The fee of a platform row as its absolute value (see the module documentation), rounded to
/// the fen if the file has sub-fen digits. `Ok(None)` when the column is missing or empty.
fn platform_fee(
    columns: &Columns,
    cells: &[String],
    name: &str,
    notes: &mut Vec<String>,
) -> Result<Option<Money>, String> {
    let raw = match columns.value(cells, name) {
        None | Some("") => return Ok(None),
        Some(raw) => raw,
    };
    let label = format!("fee ({name})");
    let value = parse_plain_decimal(raw).map_err(|error| money_reason(&label, raw, &error))?;
    let mut fee = value.abs().normalize();
    if fee.scale() > 2 {
        fee = fee.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        notes.push(format!("{name} {raw} rounded to the fen"));
    }
    Money::from_decimal(fee)
        .map(Some)
        .map_err(|error| money_reason(&label, raw, &error))
}

/// A decimal as the platforms write it: plain digits with an optional sign and point; trailing
/// zeros beyond the fen are allowed (`1.20000`), real sub-fen digits are not.
fn platform_decimal(raw: &str) -> Result<Decimal, MoneyError> {
    let value = parse_plain_decimal(raw)?.normalize();
    if value.scale() > 2 {
        return Err(MoneyError::TooManyPlaces(raw.to_owned()));
    }
    Ok(value)
}

/// Digits, at most one point and a leading sign: no exponents, separators or currency signs.
fn parse_plain_decimal(raw: &str) -> Result<Decimal, MoneyError> {
    let plain = !raw.is_empty()
        && raw
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || c == '.' || (i == 0 && (c == '-' || c == '+')))
        && raw.chars().any(|c| c.is_ascii_digit());
    if !plain {
        return Err(MoneyError::NotADecimal(raw.to_owned()));
    }
    Decimal::from_str(raw).map_err(|_| MoneyError::NotADecimal(raw.to_owned()))
}

fn money_reason(label: &str, raw: &str, error: &MoneyError) -> String {
    match error {
        MoneyError::NotADecimal(_) => format!("{label} {raw:?} is not a decimal number"),
        MoneyError::TooManyPlaces(_) => {
            format!("{label} {raw:?} has more than 2 decimal places")
        }
        MoneyError::NotPositive(_) => format!("{label} {raw:?} must be greater than 0"),
        MoneyError::Negative(_) => format!("{label} {raw:?} must not be negative"),
        other => format!("{label} {raw:?} is out of range: {other}"),
    }
}

/// RFC 3339 (only where `rfc3339` allows it), else `YYYY-MM-DD HH:MM:SS` local to `time_zone`.
fn parse_time(
    label: &str,
    raw: &str,
    time_zone: Tz,
    rfc3339: bool,
) -> Result<DateTime<Utc>, String> {
    if raw.is_empty() {
        return Err(format!("{label} is empty"));
    }
    if rfc3339 && let Ok(time) = DateTime::parse_from_rfc3339(raw) {
        return Ok(time.with_timezone(&Utc));
    }
    // Some WeChat bills put two spaces between the date and the time.
    let spaced = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let expected = if rfc3339 {
        "RFC 3339 (2026-12-01T09:30:00+08:00) or YYYY-MM-DD HH:MM:SS"
    } else {
        "YYYY-MM-DD HH:MM:SS"
    };
    let naive = NaiveDateTime::parse_from_str(&spaced, "%Y-%m-%d %H:%M:%S")
        .map_err(|_| format!("{label} {raw:?} is not a time: expected {expected}"))?;
    match time_zone.from_local_datetime(&naive) {
        LocalResult::Single(time) => Ok(time.with_timezone(&Utc)),
        LocalResult::Ambiguous(_, _) => Err(format!(
            "{label} {raw:?} is ambiguous in {} (the clocks were turned back); give the offset",
            time_zone.name()
        )),
        LocalResult::None => Err(format!(
            "{label} {raw:?} does not exist in {} (the clocks were turned forward)",
            time_zone.name()
        )),
    }
}

fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(max_chars).collect();
        short.push('…');
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Asia::Shanghai;

    fn money(text: &str) -> Money {
        Money::parse(text).expect("test money")
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("test time")
            .with_timezone(&Utc)
    }

    fn reasons(errors: &[RowError]) -> Vec<(usize, String)> {
        errors
            .iter()
            .map(|error| (error.line, error.reason.clone()))
            .collect()
    }

    const WECHAT_HEADER: &str = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注";

    const ALIPAY_HEADER: &str = "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注";

    #[test]
    fn generic_rows_are_read_with_direction_fee_note_and_both_time_forms() {
        // Given a generic statement with a note column, a blank line and a quoted note.
        let text = "externalRef,amount,direction,occurredAt,fee,note\n\
                    CARD-1,500.00,IN,2026-12-01 09:30:00,2.50,\"POS 01, ward 3\"\n\
                    \n\
                    CARD-2, 80 ,OUT,2026-12-01T10:00:00+08:00,,\n";
        // When it is parsed in Shanghai time.
        let (layout, lines) = parse(text.as_bytes(), Shanghai).expect("valid statement");
        // Then both rows come back with their physical line numbers.
        assert_eq!(layout, Layout::Generic);
        assert_eq!(
            lines,
            vec![
                ParsedLine {
                    line: 2,
                    external_ref: "CARD-1".into(),
                    amount: money("500.00"),
                    direction: Direction::In,
                    occurred_at: utc("2026-12-01T01:30:00Z"),
                    fee: Some(money("2.50")),
                    note: Some("POS 01, ward 3".into()),
                },
                ParsedLine {
                    line: 4,
                    external_ref: "CARD-2".into(),
                    amount: money("80.00"),
                    direction: Direction::Out,
                    occurred_at: utc("2026-12-01T02:00:00Z"),
                    fee: None,
                    note: None,
                },
            ]
        );
        // And a local time follows the zone given, an explicit offset does not.
        let (_, in_utc) = parse(text.as_bytes(), chrono_tz::UTC).expect("valid statement");
        assert_eq!(in_utc[0].occurred_at, utc("2026-12-01T09:30:00Z"));
        assert_eq!(in_utc[1].occurred_at, utc("2026-12-01T02:00:00Z"));
    }

    #[test]
    fn generic_without_note_column_is_accepted() {
        let text =
            "externalRef , amount,direction,occurredAt,fee\r\nR-1,1.5,IN,2026-12-01 00:00:00,0\r\n";
        let (layout, lines) = parse(text.as_bytes(), Shanghai).expect("valid statement");
        assert_eq!(layout, Layout::Generic);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].amount, money("1.50"));
        assert_eq!(lines[0].fee, Some(Money::ZERO));
        assert_eq!(lines[0].occurred_at, utc("2026-11-30T16:00:00Z"));

        // And a spreadsheet's trailing empty columns are ignored.
        let text = "externalRef,amount,direction,occurredAt,fee,note,,\nR-2,2.00,OUT,2026-12-01 00:00:00,,,,\nR-3,3.00,IN,2026-12-01 00:00:00,,x\n";
        let (_, lines) = parse(text.as_bytes(), Shanghai).expect("valid statement");
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].note.as_deref(), Some("x"));
    }

    #[test]
    fn generic_bad_rows_are_all_reported_and_nothing_is_returned() {
        // Given one good row among rows that each break one rule.
        let text = "externalRef,amount,direction,occurredAt,fee,note\n\
                    ,10.00,IN,2026-12-01 09:00:00,,\n\
                    R-3,12.345,IN,2026-12-01 09:00:00,,\n\
                    R-4,0,IN,2026-12-01 09:00:00,,\n\
                    R-5,10.00,SIDEWAYS,2026-12-01 09:00:00,,\n\
                    R-6,10.00,IN,yesterday,,\n\
                    R-7,10.00,OUT,2026-12-01 09:00:00,-0.10,\n\
                    R-8,10.00,IN\n\
                    R-9,10.00,IN,2026-12-01 09:00:00,0.10,fine\n\
                    R-10,abc,in,2026-13-01 09:00:00,1.234,\n\
                    R-11,10.00,IN,2026-12-01 09:00:00,,note,extra\n";
        // When it is parsed.
        let errors = parse(text.as_bytes(), Shanghai).expect_err("bad rows");
        // Then every problem is reported with its line, naming the column.
        assert_eq!(
            reasons(&errors),
            vec![
                (2, "externalRef is empty".to_owned()),
                (
                    3,
                    "amount \"12.345\" has more than 2 decimal places".to_owned()
                ),
                (4, "amount \"0\" must be greater than 0".to_owned()),
                (5, "direction \"SIDEWAYS\" must be IN or OUT".to_owned()),
                (
                    6,
                    "occurredAt \"yesterday\" is not a time: expected RFC 3339 \
                     (2026-12-01T09:30:00+08:00) or YYYY-MM-DD HH:MM:SS"
                        .to_owned()
                ),
                (7, "fee \"-0.10\" must not be negative".to_owned()),
                (8, "the row has 3 columns, the header has 6".to_owned()),
                (10, "amount \"abc\" is not a decimal number".to_owned()),
                (10, "direction \"in\" must be IN or OUT".to_owned()),
                (
                    10,
                    "occurredAt \"2026-13-01 09:00:00\" is not a time: expected RFC 3339 \
                     (2026-12-01T09:30:00+08:00) or YYYY-MM-DD HH:MM:SS"
                        .to_owned()
                ),
                (
                    10,
                    "fee \"1.234\" has more than 2 decimal places".to_owned()
                ),
                (
                    11,
                    "the row has 7 columns, the header has 6 (quote a value that contains a \
                     comma)"
                        .to_owned()
                ),
            ]
        );
        assert_eq!(
            errors[1].to_string(),
            "line 3: amount \"12.345\" has more than 2 decimal places"
        );
    }

    #[test]
    fn errors_stop_at_one_hundred() {
        let mut text = String::from("externalRef,amount,direction,occurredAt,fee\n");
        for i in 0..150 {
            text.push_str(&format!("R-{i},-1,IN,2026-12-01 09:00:00,\n"));
        }
        let errors = parse(text.as_bytes(), Shanghai).expect_err("bad rows");
        assert_eq!(errors.len(), 100);
        assert_eq!(errors[99].line, 101);
    }

    #[test]
    fn wechat_statement_with_title_backticks_and_summary() {
        // Given a WeChat ALL bill with a title line, SUCCESS, REFUND and REVOKED rows and the
        // two summary lines.
        let text = format!(
            "微信支付交易账单明细\r\n{WECHAT_HEADER}\r\n\
             `2026-12-01 09:10:00,`wx8888888888888888,`1900000109,`0,`,`4200000001,`WX-DEP-1,`oUser1,`JSAPI,`SUCCESS,`OTHERS,`CNY,`200.00,`0.00,`0,`0,`0.00,`0.00,`,`,`住院预交金,`,`1.20000,`0.60%,`200.00,`0.00,`\r\n\
             `2026-12-01  09:40:00,`wx8888888888888888,`1900000109,`0,`,`4200000002,`WX-DEP-2,`oUser2,`NATIVE,`SUCCESS,`OTHERS,`CNY,`0.00,`150.00,`0,`0,`0.00,`0.00,`,`,`,`,`0.05940,`0.60%,`150.00,`0.00,`\r\n\
             `2026-12-01 10:00:00,`wx8888888888888888,`1900000109,`0,`,`4200000003,`WX-DEP-3,`oUser3,`MICROPAY,`REVOKED,`OTHERS,`CNY,`10.00,`0.00,`0,`0,`0.00,`0.00,`,`,`撤销,`,`0.06000,`0.60%,`10.00,`0.00,`\r\n\
             `2026-12-01 11:00:00,`wx8888888888888888,`1900000109,`0,`,`4200000001,`WX-DEP-1,`oUser1,`JSAPI,`REFUND,`OTHERS,`CNY,`0.00,`0.00,`50300000001,`WX-REF-1,`50.00,`0.00,`ORIGINAL,`SUCCESS,`住院预交金,`,`-0.30000,`0.60%,`0.00,`50.00,`\r\n\
             总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n\
             `4,`210.00,`50.00,`0.00,`0.96000,`360.00,`50.00\r\n"
        );
        // When it is parsed.
        let (layout, lines) = parse(text.as_bytes(), Shanghai).expect("valid statement");
        // Then the REVOKED row and the summary are skipped and the rest is mapped.
        assert_eq!(layout, Layout::Wechat);
        assert_eq!(
            lines,
            vec![
                ParsedLine {
                    line: 3,
                    external_ref: "WX-DEP-1".into(),
                    amount: money("200.00"),
                    direction: Direction::In,
                    occurred_at: utc("2026-12-01T01:10:00Z"),
                    fee: Some(money("1.20")),
                    note: Some("住院预交金".into()),
                },
                ParsedLine {
                    line: 4,
                    external_ref: "WX-DEP-2".into(),
                    amount: money("150.00"),
                    direction: Direction::In,
                    occurred_at: utc("2026-12-01T01:40:00Z"),
                    fee: Some(money("0.06")),
                    note: Some(
                        "amount taken from 订单金额 (应结订单金额 is 0.00); 手续费 0.05940 \
                         rounded to the fen"
                            .into()
                    ),
                },
                ParsedLine {
                    line: 6,
                    external_ref: "WX-REF-1".into(),
                    amount: money("50.00"),
                    direction: Direction::Out,
                    occurred_at: utc("2026-12-01T03:00:00Z"),
                    fee: Some(money("0.30")),
                    note: Some("住院预交金".into()),
                },
            ]
        );
    }

    #[test]
    fn wechat_bad_rows_name_the_wechat_columns() {
        let text = format!(
            "{WECHAT_HEADER}\n\
             `2026-12-01 09:10:00,`wx1,`1900000109,`0,`,`4200000001,`,`o1,`JSAPI,`SUCCESS,`OTHERS,`CNY,`2.001,`0.00,`0,`0,`0.00,`0.00,`,`,`,`,`0.00000,`0.60%,`2.00,`0.00,`\n\
             `2026-12-01 09:10,`wx1,`1900000109,`0,`,`4200000002,`WX-2,`o1,`JSAPI,`REFUND,`OTHERS,`CNY,`0.00,`0.00,`0,`0,`0.00,`0.00,`,`,`,`,`x,`0.60%,`0.00,`0.00,`\n\
             `2026-12-01 09:10:00,`wx1,`1900000109\n"
        );
        let errors = parse(text.as_bytes(), Shanghai).expect_err("bad rows");
        assert_eq!(
            reasons(&errors),
            vec![
                (2, "商户订单号 is empty".to_owned()),
                (
                    2,
                    "amount (应结订单金额) \"2.001\" has more than 2 decimal places".to_owned()
                ),
                (
                    3,
                    "amount: 退款金额 is 0.00, 申请退款金额 is 0.00".to_owned()
                ),
                (
                    3,
                    "交易时间 (time) \"2026-12-01 09:10\" is not a time: expected YYYY-MM-DD \
                     HH:MM:SS"
                        .to_owned()
                ),
                (3, "fee (手续费) \"x\" is not a decimal number".to_owned()),
                (4, "the row has 3 columns, the header has 27".to_owned()),
            ]
        );
    }

    #[test]
    fn alipay_gbk_statement_with_comments_padding_and_refunds() {
        // Given an Alipay 业务明细 in GBK with its # preamble and trailer, tab-padded values, a
        // payment, a refund with a refund request number, a refund without one and a row of
        // another business type.
        let text = format!(
            "#支付宝业务明细查询\r\n\
             #账号：[20880000000000000156]\r\n\
             #起始日期：[2026年12月01日 00:00:00]   终止日期：[2026年12月02日 00:00:00]\r\n\
             #-----------------------------------------业务明细列表----------------------------------------\r\n\
             {ALIPAY_HEADER}\r\n\
             2026120122001400000001\t,ALI-DEP-1\t,交易\t,住院预交金,2026-12-01 09:19:52,2026-12-01 09:20:00,\t,\t,\t,\t,*明(138****0001)\t,300.00,300.00,0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,\t,-1.80,0.00,\r\n\
             2026120122001400000001\t,ALI-DEP-1\t,退款\t,住院预交金,2026-12-01 09:19:52,2026-12-01 15:00:00,\t,\t,\t,\t,*明(138****0001)\t,-100.00,-100.00,0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,ALI-REF-1\t,0.60,0.00,退住院预交金\r\n\
             2026120122001400000002\t,ALI-DEP-2\t,退款\t,,2026-12-01 10:00:00,,\t,\t,\t,\t,*红(139****0002)\t,-20.00,-20.00,0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,\t,0.00,0.00,  部分退款  \r\n\
             2026120122001400000003\t,ALI-X-3\t,分账\t,,2026-12-01 10:00:00,2026-12-01 10:00:00,\t,\t,\t,\t,\t,1.00,1.00,0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,\t,0.00,0.00,\r\n\
             #-----------------------------------------业务明细列表结束------------------------------------\r\n\
             #交易合计：1笔，商家实收共300.00元，商家优惠共0.00元\r\n\
             #退款合计：2笔，商家实收退款共-120.00元，商家优惠退款共0.00元\r\n\
             #导出时间：[2026年12月02日 09:15:31]\r\n"
        );
        let (bytes, _, unmappable) = encoding_rs::GBK.encode(&text);
        assert!(!unmappable);
        assert!(
            std::str::from_utf8(&bytes).is_err(),
            "the test bytes are GBK"
        );
        // When it is parsed.
        let (layout, lines) = parse(&bytes, Shanghai).expect("valid statement");
        // Then the comments and the other business type are skipped.
        assert_eq!(layout, Layout::Alipay);
        assert_eq!(
            lines,
            vec![
                ParsedLine {
                    line: 6,
                    external_ref: "ALI-DEP-1".into(),
                    amount: money("300.00"),
                    direction: Direction::In,
                    occurred_at: utc("2026-12-01T01:20:00Z"),
                    fee: Some(money("1.80")),
                    note: Some("住院预交金".into()),
                },
                ParsedLine {
                    line: 7,
                    external_ref: "ALI-REF-1".into(),
                    amount: money("100.00"),
                    direction: Direction::Out,
                    occurred_at: utc("2026-12-01T07:00:00Z"),
                    fee: Some(money("0.60")),
                    note: Some("住院预交金".into()),
                },
                ParsedLine {
                    line: 8,
                    external_ref: "ALI-DEP-2".into(),
                    amount: money("20.00"),
                    direction: Direction::Out,
                    occurred_at: utc("2026-12-01T02:00:00Z"),
                    fee: Some(Money::ZERO),
                    note: Some(
                        "部分退款; externalRef taken from 商户订单号 (退款批次号/请求号 is empty)"
                            .into()
                    ),
                },
            ]
        );
    }

    #[test]
    fn alipay_payment_with_a_negative_amount_is_an_error() {
        let text = format!(
            "{ALIPAY_HEADER}\n\
             2026120122001400000001\t,ALI-DEP-1\t,交易\t,x,2026-12-01 09:19:52,2026-12-01 09:20:00,\t,\t,\t,\t,\t,-3.00,-3.00,0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,\t,0.00,0.00,\n"
        );
        let errors = parse(text.as_bytes(), Shanghai).expect_err("bad row");
        assert_eq!(
            reasons(&errors),
            vec![(
                2,
                "amount (订单金额（元）) \"-3.00\" must be greater than 0".to_owned()
            )]
        );
    }

    #[test]
    fn utf8_bom_is_dropped() {
        // Given a generic statement saved by a spreadsheet with a UTF-8 byte-order mark.
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(
            "externalRef,amount,direction,occurredAt,fee,note\nCARD-1,5.00,IN,2026-12-01 09:00:00,,挂号\n"
                .as_bytes(),
        );
        // When it is parsed.
        let (layout, lines) = parse(&bytes, Shanghai).expect("valid statement");
        // Then the header is recognised and the mark is not part of any value.
        assert_eq!(layout, Layout::Generic);
        assert_eq!(lines[0].external_ref, "CARD-1");
        assert_eq!(lines[0].note.as_deref(), Some("挂号"));

        // And the mark does not show in what an error quotes either.
        let errors = parse(b"\xEF\xBB\xBFref,amt\n", Shanghai).expect_err("unknown header");
        assert!(
            errors[0].reason.contains("row \"ref,amt\":"),
            "{}",
            errors[0].reason
        );
    }

    #[test]
    fn gbk_generic_statement_is_decoded() {
        let text = "externalRef,amount,direction,occurredAt,fee,note\nCARD-1,5.00,IN,2026-12-01 09:00:00,,住院押金\n";
        let (bytes, _, _) = encoding_rs::GBK.encode(text);
        let (_, lines) = parse(&bytes, Shanghai).expect("valid statement");
        assert_eq!(lines[0].note.as_deref(), Some("住院押金"));
    }

    #[test]
    fn unknown_header_is_one_error_naming_the_generic_header() {
        // Given a file whose header is none of the known layouts.
        let text = "ref,amt,dir,time\nA,1.00,IN,2026-12-01 09:00:00\n";
        // When it is parsed.
        let errors = parse(text.as_bytes(), Shanghai).expect_err("unknown layout");
        // Then there is exactly one error, at the header, naming the expected header.
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 1);
        assert!(
            errors[0]
                .reason
                .contains("\"externalRef,amount,direction,occurredAt,fee\""),
            "{}",
            errors[0].reason
        );
        assert!(errors[0].reason.contains("\"ref,amt,dir,time\""));

        // And a generic header in the wrong case is not accepted either.
        let errors = parse(b"externalref,amount,direction,occurredat,fee\n", Shanghai)
            .expect_err("case-sensitive header");
        assert_eq!(errors.len(), 1);

        // And an empty file says so.
        let errors = parse(b"\n\n", Shanghai).expect_err("empty file");
        assert_eq!(errors.len(), 1);
        assert!(errors[0].reason.starts_with("the file has no header row"));
    }

    #[test]
    fn more_than_max_lines_is_refused_as_a_whole() {
        // Given a statement with one row more than allowed.
        let mut text = String::from("externalRef,amount,direction,occurredAt,fee\n");
        for i in 0..=MAX_LINES {
            text.push_str(&format!("R-{i},1.00,IN,2026-12-01 09:00:00,\n"));
        }
        // When it is parsed.
        let errors = parse(text.as_bytes(), Shanghai).expect_err("too many rows");
        // Then one error at line 0 says why.
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 0);
        assert!(
            errors[0].reason.contains("more than 2000"),
            "{}",
            errors[0].reason
        );

        // And exactly MAX_LINES rows are fine.
        let exact: String = text
            .lines()
            .take(MAX_LINES + 1)
            .map(|l| format!("{l}\n"))
            .collect();
        let (_, lines) = parse(exact.as_bytes(), Shanghai).expect("at the limit");
        assert_eq!(lines.len(), MAX_LINES);
    }

    #[test]
    fn undecodable_bytes_are_one_error() {
        let errors = parse(b"externalRef\xFF\xFF,amount\n", Shanghai).expect_err("not text");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 0);
    }

    #[test]
    fn a_quoted_note_may_span_lines_and_line_numbers_stay_physical() {
        let text = "externalRef,amount,direction,occurredAt,fee,note\n\
                    R-1,1.00,IN,2026-12-01 09:00:00,,\"two\nlines\"\n\
                    R-2,x,IN,2026-12-01 09:00:00,,\n";
        let errors = parse(text.as_bytes(), Shanghai).expect_err("bad row");
        assert_eq!(
            reasons(&errors),
            vec![(4, "amount \"x\" is not a decimal number".to_owned())]
        );
    }
}
