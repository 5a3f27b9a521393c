//! Documents people print and files they open in a spreadsheet: the daily report (住院结算日报表)
//! as a print-ready HTML page (A4, Chinese labels with the English term, the hospital's name, the
//! signature block) and as CSV (UTF-8 with a byte-order mark so that Excel on a Chinese-locale
//! Windows reads it as UTF-8, Chinese headers or `--lang en`, amounts as plain decimals, and
//! every row a data row: a report's totals are lines of their own section, never a row mixed
//! into a table of items).
//!
//! The page is self-contained: inline CSS, no script, no image, no font or stylesheet fetched
//! from anywhere, so it prints the same offline.

use yika_domain::day::DayReport;
use yika_domain::{AccountKind, InsuranceScheme, Money, PaymentMethod, VarianceResolution};

/// The language of a CSV file's headers and labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    /// Chinese (the default: what finance's spreadsheets use).
    #[default]
    Zh,
    /// English.
    En,
}

impl Lang {
    /// `zh` or `en`.
    pub fn parse(text: &str) -> Result<Lang, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "cn" => Ok(Lang::Zh),
            "en" => Ok(Lang::En),
            other => Err(format!("lang must be zh or en, not {other:?}")),
        }
    }

    fn pick(self, zh: &str, en: &str) -> String {
        match self {
            Lang::Zh => zh.to_owned(),
            Lang::En => en.to_owned(),
        }
    }
}

/// The UTF-8 byte-order mark Excel needs to read a CSV file as UTF-8.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A CSV file: the byte-order mark, then the header and the rows (CRLF line ends, quoted where
/// needed by the `csv` crate).
#[must_use]
pub fn csv_file(header: &[String], rows: &[Vec<String>]) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(BOM.to_vec());
    writer.write_record(header).expect("writing to memory");
    for row in rows {
        writer.write_record(row).expect("writing to memory");
    }
    writer.into_inner().expect("writing to memory")
}

/// A method's name, Chinese and English.
#[must_use]
pub fn method_name(method: PaymentMethod) -> (&'static str, &'static str) {
    match method {
        PaymentMethod::Cash => ("现金", "Cash"),
        PaymentMethod::BankCard => ("银行卡", "Bank card"),
        PaymentMethod::Wechat => ("微信", "WeChat Pay"),
        PaymentMethod::Alipay => ("支付宝", "Alipay"),
        PaymentMethod::InsuranceAccount => ("医保个人账户", "Insurance personal account"),
        PaymentMethod::Transfer => ("转账", "Transfer"),
    }
}

/// A scheme's name, Chinese and English.
#[must_use]
pub fn scheme_name(scheme: InsuranceScheme) -> (&'static str, &'static str) {
    match scheme {
        InsuranceScheme::SelfPay => ("自费", "Self-pay"),
        InsuranceScheme::EmployeeBasic => ("城镇职工医保", "Employee basic insurance"),
        InsuranceScheme::ResidentBasic => ("城镇居民医保", "Resident basic insurance"),
        InsuranceScheme::RuralCooperative => ("新农合", "Rural cooperative"),
        InsuranceScheme::OutOfArea => ("外埠", "Out of area"),
    }
}

fn kind_name(kind: AccountKind) -> (&'static str, &'static str) {
    match kind {
        AccountKind::OutpatientCard => ("门诊一卡通", "Outpatient cards"),
        AccountKind::InpatientDeposit => ("住院预交金", "Inpatient deposits"),
    }
}

fn resolution_name(resolution: Option<VarianceResolution>) -> (&'static str, &'static str) {
    match resolution {
        None => ("未处理", "Open"),
        Some(VarianceResolution::CashierRepays) => ("收费员赔补", "Cashier repays"),
        Some(VarianceResolution::WrittenOff) => ("核销", "Written off"),
        Some(VarianceResolution::Found) => ("已查明", "Found"),
    }
}

/// The balance relation's lines, in order: (key, Chinese, English, amount).
fn relation(
    opening: Money,
    deposits: Money,
    deductions: Money,
    reversals: Money,
    refunds: Money,
    settlement_effect: Money,
    closing: Money,
) -> [(&'static str, &'static str, &'static str, Money); 7] {
    [
        ("openingLiability", "期初余额", "Opening liability", opening),
        ("deposits", "预交/充值", "Deposits", deposits),
        ("deductions", "执行扣费", "Deductions", deductions),
        ("reversals", "冲销(退药/退费)", "Reversals", reversals),
        ("refunds", "退款", "Refunds", refunds),
        (
            "settlementEffect",
            "出院结算冲减",
            "Settlement effect",
            settlement_effect,
        ),
        ("closingLiability", "期末余额", "Closing liability", closing),
    ]
}

/// One data row of the daily report's CSV: section, line, amount (a plain decimal, or empty),
/// count (or empty).
type Row = [String; 4];

/// The daily report as rows: every figure a row of its own section.
#[must_use]
pub fn daily_rows(report: &DayReport, lang: Lang) -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    let money = |m: Money| m.to_string();
    let mut push = |section: String, line: String, amount: Option<Money>, count: Option<i64>| {
        rows.push([
            section,
            line,
            amount.map(money).unwrap_or_default(),
            count.map(|c| c.to_string()).unwrap_or_default(),
        ]);
    };
    let summary = lang.pick("余额关系", "Balance relation");
    for (_, zh, en, amount) in relation(
        report.opening_liability,
        report.deposits,
        report.deductions,
        report.reversals,
        report.refunds,
        report.settlement_effect,
        report.closing_liability,
    ) {
        push(summary.clone(), lang.pick(zh, en), Some(amount), None);
    }
    for s in &report.sections {
        let (zh, en) = kind_name(s.kind);
        let section = lang.pick(zh, en);
        for (_, zh, en, amount) in relation(
            s.opening_liability,
            s.deposits,
            s.deductions,
            s.reversals,
            s.refunds,
            s.settlement_effect,
            s.closing_liability,
        ) {
            push(section.clone(), lang.pick(zh, en), Some(amount), None);
        }
    }
    let counts = lang.pick("人次", "Counts");
    for (zh, en, n) in [
        ("发卡", "Cards issued", report.cards_issued),
        ("入院", "Admissions", report.admissions),
        ("出院结算", "Discharges", report.discharges),
    ] {
        push(counts.clone(), lang.pick(zh, en), None, Some(n));
    }
    let methods = lang.pick("按支付方式(净收)", "Net received by method");
    for (method, amount) in &report.by_method {
        let (zh, en) = method_name(*method);
        push(methods.clone(), lang.pick(zh, en), Some(*amount), None);
    }
    let windows = lang.pick("按窗口", "By window");
    for w in &report.by_window {
        push(
            windows.clone(),
            format!("{} {}", w.window, lang.pick("收款", "received")),
            Some(w.received),
            Some(w.transactions),
        );
        push(
            windows.clone(),
            format!("{} {}", w.window, lang.pick("付款", "paid out")),
            Some(w.paid_out),
            None,
        );
    }
    let cashiers = lang.pick("按收费员", "By cashier");
    for c in &report.by_cashier {
        let (zh, en) = method_name(c.method);
        let what = format!("{} {} {}", c.cashier, c.window, lang.pick(zh, en));
        push(
            cashiers.clone(),
            format!("{what} {}", lang.pick("收款", "received")),
            Some(c.received),
            Some(c.transactions),
        );
        push(
            cashiers.clone(),
            format!("{what} {}", lang.pick("付款", "paid out")),
            Some(c.paid_out),
            None,
        );
    }
    let schemes = lang.pick("出院结算(按医保类别)", "Settlements by scheme");
    for s in &report.settlements {
        let (zh, en) = scheme_name(s.scheme);
        let scheme = lang.pick(zh, en);
        for (zh, en, amount, count) in [
            ("费用总额", "total charges", s.total_charges, Some(s.count)),
            ("医保支付", "insurance pays", s.insurance_pays, None),
            ("病人补交", "patient pays", s.patient_pays, None),
            ("病人退款", "patient receives", s.patient_receives, None),
        ] {
            push(
                schemes.clone(),
                format!("{scheme} {}", lang.pick(zh, en)),
                Some(amount),
                count,
            );
        }
    }
    let variances = lang.pick("长短款", "Cash over and short");
    push(
        variances.clone(),
        lang.pick("合计", "Total variance"),
        Some(report.cash_variance),
        None,
    );
    push(
        variances.clone(),
        lang.pick("未处理", "Open"),
        Some(report.open_variance),
        Some(report.open_variance_shifts),
    );
    for v in &report.variances {
        let (zh, en) = resolution_name(v.resolution);
        push(
            variances.clone(),
            format!("{} {} {}", v.cashier, v.window, lang.pick(zh, en)),
            Some(v.variance),
            None,
        );
    }
    let receipts = lang.pick("票据", "Receipts");
    for r in &report.receipts {
        push(
            receipts.clone(),
            format!(
                "{} {}–{} {}",
                r.cashier,
                r.first,
                r.last,
                lang.pick("开具", "issued")
            ),
            None,
            Some(r.issued),
        );
        push(
            receipts.clone(),
            format!(
                "{} {} {}",
                r.cashier,
                lang.pick("作废", "voided"),
                r.voided_numbers.join(" ")
            ),
            None,
            Some(r.voided),
        );
    }
    for gap in &report.receipt_gaps {
        push(
            receipts.clone(),
            format!("{} {gap}", lang.pick("断号", "gap")),
            None,
            None,
        );
    }
    let back = lang.pick("补录", "Back-entries");
    for e in &report.back_entries {
        push(
            back.clone(),
            format!(
                "{} {} {} {}",
                e.cashier,
                e.kind,
                e.occurred_at.to_rfc3339(),
                e.reason
            ),
            Some(e.amount),
            None,
        );
    }
    rows
}

/// The daily report as a CSV file.
#[must_use]
pub fn daily_csv(report: &DayReport, lang: Lang) -> Vec<u8> {
    rows_csv(&daily_rows(report, lang), lang)
}

/// Text made safe for HTML.
#[must_use]
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Who signed a day, for the signature block.
#[derive(Clone, Debug)]
pub struct Signature {
    /// The controller's name and staff number.
    pub closed_by: String,
    /// When the close was recorded (local time, as text).
    pub closed_at: String,
    /// The signed report's SHA-256.
    pub report_sha256: String,
    /// The controller's note.
    pub note: Option<String>,
}

const STYLE: &str = "@page { size: A4; margin: 14mm 12mm; }
body { font-family: 'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', 'SimSun', sans-serif; font-size: 10pt; color: #000; margin: 0; }
h1 { font-size: 15pt; text-align: center; margin: 0 0 2mm; }
h1 small, th small, td small, h2 small { font-weight: normal; color: #444; font-size: 8pt; }
h2 { font-size: 11pt; margin: 5mm 0 1.5mm; border-bottom: 1px solid #000; }
p.meta { text-align: center; margin: 0 0 3mm; }
table { border-collapse: collapse; width: 100%; page-break-inside: auto; }
tr { page-break-inside: avoid; }
th, td { border: 1px solid #555; padding: 1mm 2mm; vertical-align: top; }
th { background: #eee; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.banner { border: 2px solid #000; padding: 2mm; text-align: center; font-weight: bold; margin: 2mm 0; }
.signature td { height: 12mm; }
code { font-size: 7.5pt; word-break: break-all; }";

fn th(zh: &str, en: &str) -> String {
    format!("<th>{zh} <small>{en}</small></th>")
}

fn num(key: &str, amount: Money) -> String {
    format!(
        "<td class=\"num\" data-line=\"{}\">{amount}</td>",
        escape(key)
    )
}

/// The daily report as a print-ready page.
#[must_use]
pub fn daily_html(
    hospital: &str,
    report: &DayReport,
    signed_version: bool,
    balances: bool,
    signature: Option<&Signature>,
) -> String {
    let mut h = String::with_capacity(16_384);
    let version = if signed_version {
        "已签版 <small>as signed</small>"
    } else {
        "当前版 <small>current, with corrections</small>"
    };
    h.push_str(&format!(
        "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <title>{} 住院结算日报表 {}</title><style>{STYLE}</style></head><body>\n",
        escape(hospital),
        report.date
    ));
    h.push_str(&format!(
        "<h1>{}<br>住院结算日报表 <small>Daily settlement report</small></h1>\n\
         <p class=\"meta\">日期 <small>Date</small> <b id=\"date\">{}</b> · {version} · \
         截至日志位置 <small>as of log position</small> {} · 时区 <small>time zone</small> {}</p>\n",
        escape(hospital),
        report.date,
        report.as_of_position,
        escape(&report.time_zone),
    ));
    if !balances {
        h.push_str(
            "<div class=\"banner\">余额关系不平 · The balance relation does not hold</div>\n",
        );
    }
    if !signed_version && signature.is_some() {
        h.push_str(
            "<div class=\"banner\">本表为当前版，含日结后的更正 · Current version: it includes corrections recorded after the close</div>\n",
        );
    }
    // The balance relation, whole and per kind of account.
    h.push_str("<h2>余额关系 <small>Balance relation</small></h2>\n<table id=\"relation\"><tr>");
    h.push_str(&th("项目", "Line"));
    h.push_str(&th("合计", "Total"));
    for s in &report.sections {
        let (zh, en) = kind_name(s.kind);
        h.push_str(&th(zh, en));
    }
    h.push_str("</tr>\n");
    let whole = relation(
        report.opening_liability,
        report.deposits,
        report.deductions,
        report.reversals,
        report.refunds,
        report.settlement_effect,
        report.closing_liability,
    );
    let parts: Vec<_> = report
        .sections
        .iter()
        .map(|s| {
            relation(
                s.opening_liability,
                s.deposits,
                s.deductions,
                s.reversals,
                s.refunds,
                s.settlement_effect,
                s.closing_liability,
            )
        })
        .collect();
    for (i, (key, zh, en, amount)) in whole.iter().enumerate() {
        h.push_str(&format!(
            "<tr><td>{zh} <small>{en}</small></td>{}",
            num(key, *amount)
        ));
        for (part, section) in parts.iter().zip(&report.sections) {
            let kind = match section.kind {
                AccountKind::OutpatientCard => "outpatient",
                AccountKind::InpatientDeposit => "inpatient",
            };
            h.push_str(&num(&format!("{kind}.{key}"), part[i].3));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
    // Counts.
    h.push_str("<h2>人次 <small>Counts</small></h2>\n<table id=\"counts\"><tr>");
    h.push_str(&th("发卡", "Cards issued"));
    h.push_str(&th("入院", "Admissions"));
    h.push_str(&th("出院结算", "Discharges"));
    h.push_str(&format!(
        "</tr>\n<tr><td class=\"num\" data-line=\"cardsIssued\">{}</td><td class=\"num\" data-line=\"admissions\">{}</td><td class=\"num\" data-line=\"discharges\">{}</td></tr></table>\n",
        report.cards_issued, report.admissions, report.discharges
    ));
    // By method and window.
    h.push_str(
        "<h2>按支付方式 <small>Net received by method</small></h2>\n<table id=\"methods\"><tr>",
    );
    h.push_str(&th("支付方式", "Method"));
    h.push_str(&th("净收", "Net"));
    h.push_str("</tr>\n");
    for (method, amount) in &report.by_method {
        let (zh, en) = method_name(*method);
        h.push_str(&format!(
            "<tr><td>{zh} <small>{en}</small></td>{}</tr>\n",
            num(&format!("byMethod.{}", method.as_str()), *amount)
        ));
    }
    h.push_str("</table>\n<h2>按收费员 <small>By cashier, window and method</small></h2>\n<table id=\"cashiers\"><tr>");
    for (zh, en) in [
        ("收费员", "Cashier"),
        ("窗口", "Window"),
        ("支付方式", "Method"),
        ("收款", "Received"),
        ("付款", "Paid out"),
        ("笔数", "Transactions"),
    ] {
        h.push_str(&th(zh, en));
    }
    h.push_str("</tr>\n");
    for c in &report.by_cashier {
        let (zh, en) = method_name(c.method);
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{zh} <small>{en}</small></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
            escape(&c.cashier),
            escape(&c.window),
            c.received,
            c.paid_out,
            c.transactions
        ));
    }
    h.push_str("</table>\n");
    // Settlements by scheme.
    h.push_str("<h2>出院结算 <small>Discharge settlements by scheme</small></h2>\n<table id=\"settlements\"><tr>");
    for (zh, en) in [
        ("医保类别", "Scheme"),
        ("人次", "Count"),
        ("费用总额", "Charges"),
        ("医保支付", "Insurance pays"),
        ("病人补交", "Patient pays"),
        ("病人退款", "Patient receives"),
    ] {
        h.push_str(&th(zh, en));
    }
    h.push_str("</tr>\n");
    for s in &report.settlements {
        let (zh, en) = scheme_name(s.scheme);
        h.push_str(&format!(
            "<tr><td>{zh} <small>{en}</small></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
            s.count, s.total_charges, s.insurance_pays, s.patient_pays, s.patient_receives
        ));
    }
    h.push_str("</table>\n");
    // Variances.
    h.push_str(&format!(
        "<h2>长短款 <small>Cash over and short</small></h2>\n<p>合计 <small>total</small> <b data-line=\"cashVariance\">{}</b> · 未处理 <small>open</small> <b data-line=\"openVariance\">{}</b> ({} 班 <small>shifts</small>)</p>\n<table id=\"variances\"><tr>",
        report.cash_variance, report.open_variance, report.open_variance_shifts
    ));
    for (zh, en) in [
        ("收费员", "Cashier"),
        ("窗口", "Window"),
        ("长短款", "Variance"),
        ("处理", "Resolution"),
        ("说明", "Note"),
    ] {
        h.push_str(&th(zh, en));
    }
    h.push_str("</tr>\n");
    for v in &report.variances {
        let (zh, en) = resolution_name(v.resolution);
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{zh} <small>{en}</small></td><td>{}</td></tr>\n",
            escape(&v.cashier),
            escape(&v.window),
            v.variance,
            escape(v.note.as_deref().unwrap_or(""))
        ));
    }
    h.push_str("</table>\n");
    // Receipts.
    h.push_str("<h2>票据 <small>Receipts</small></h2>\n<table id=\"receipts\"><tr>");
    for (zh, en) in [
        ("收费员", "Cashier"),
        ("起号", "First"),
        ("止号", "Last"),
        ("开具", "Issued"),
        ("作废", "Voided"),
        ("作废号码", "Voided numbers"),
    ] {
        h.push_str(&th(zh, en));
    }
    h.push_str("</tr>\n");
    for r in &report.receipts {
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
            escape(&r.cashier),
            escape(&r.first),
            escape(&r.last),
            r.issued,
            r.voided,
            escape(&r.voided_numbers.join(" "))
        ));
    }
    h.push_str("</table>\n");
    if !report.receipt_gaps.is_empty() {
        h.push_str(&format!(
            "<p>断号 <small>gaps</small>: {}</p>\n",
            escape(&report.receipt_gaps.join("; "))
        ));
    }
    if !report.back_entries.is_empty() {
        h.push_str("<h2>补录 <small>Back-entries after an outage</small></h2>\n<table id=\"back-entries\"><tr>");
        for (zh, en) in [
            ("收费员", "Cashier"),
            ("类别", "Kind"),
            ("金额", "Amount"),
            ("发生时间", "Occurred"),
            ("录入时间", "Recorded"),
            ("原因", "Reason"),
        ] {
            h.push_str(&th(zh, en));
        }
        h.push_str("</tr>\n");
        for e in &report.back_entries {
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                escape(&e.cashier),
                escape(&e.kind),
                e.amount,
                e.occurred_at.to_rfc3339(),
                e.recorded_at.to_rfc3339(),
                escape(&e.reason)
            ));
        }
        h.push_str("</table>\n");
    }
    // The signature block.
    h.push_str("<h2>签章 <small>Signature</small></h2>\n");
    match signature {
        Some(s) => h.push_str(&format!(
            "<p id=\"signature\">日结人 <small>closed by</small> {} · 时间 <small>at</small> {}{}<br>\
             报表摘要 <small>report SHA-256</small> <code id=\"sha\">{}</code></p>\n",
            escape(&s.closed_by),
            escape(&s.closed_at),
            s.note
                .as_deref()
                .map(|n| format!(" · 备注 <small>note</small> {}", escape(n)))
                .unwrap_or_default(),
            escape(&s.report_sha256)
        )),
        None => h.push_str(
            "<p id=\"signature\">未日结 <small>not closed: this report is not signed</small></p>\n",
        ),
    }
    h.push_str("<table class=\"signature\"><tr>");
    h.push_str(&th("制表", "Prepared by"));
    h.push_str(&th("审核", "Checked by"));
    h.push_str(&th("财务负责人", "Head of finance"));
    h.push_str("</tr><tr><td></td><td></td><td></td></tr></table>\n</body></html>\n");
    h
}

/// A document's rows as CSV: section, line, amount, count.
#[must_use]
pub fn rows_csv(rows: &[Row], lang: Lang) -> Vec<u8> {
    let rows: Vec<Vec<String>> = rows.iter().cloned().map(Vec::from).collect();
    csv_file(&rows_header(lang), &rows)
}

/// The header of a document's rows: section, line, amount, count.
#[must_use]
pub fn rows_header(lang: Lang) -> Vec<String> {
    match lang {
        Lang::Zh => ["分类", "项目", "金额", "数量"],
        Lang::En => ["section", "line", "amount", "count"],
    }
    .map(str::to_owned)
    .to_vec()
}

fn row(section: &str, line: String, amount: Option<Money>, count: Option<i64>) -> Row {
    [
        section.to_owned(),
        line,
        amount.map(|m| m.to_string()).unwrap_or_default(),
        count.map(|c| c.to_string()).unwrap_or_default(),
    ]
}

/// A page around `body`: the hospital's name, the document's title, a line of facts.
fn page(hospital: &str, (zh, en): (&str, &str), meta: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{} {zh}</title>\
         <style>{STYLE}</style></head><body>\n<h1>{}<br>{zh} <small>{en}</small></h1>\n\
         <p class=\"meta\">{meta}</p>\n{body}</body></html>\n",
        escape(hospital),
        escape(hospital)
    )
}

/// A table of (label, cell) pairs: each label Chinese with its English term, each amount a
/// `data-line` cell.
fn facts(id: &str, lines: &[(&str, &str, &str, String)]) -> String {
    let mut h = format!("<table id=\"{id}\">");
    for (key, zh, en, value) in lines {
        h.push_str(&format!(
            "<tr><td>{zh} <small>{en}</small></td><td class=\"num\" data-line=\"{key}\">{}</td></tr>\n",
            escape(value)
        ));
    }
    h.push_str("</table>\n");
    h
}

fn signature_lines(roles: &[(&str, &str)]) -> String {
    let mut h = String::from("<table class=\"signature\"><tr>");
    for (zh, en) in roles {
        h.push_str(&th(zh, en));
    }
    h.push_str("</tr><tr>");
    for _ in roles {
        h.push_str("<td></td>");
    }
    h.push_str("</tr></table>\n");
    h
}

/// One method of a shift: the method, received, paid out, counted and declared.
pub type MethodLine = (PaymentMethod, Money, Money, Option<Money>, Option<Money>);

/// A shift as its hand-over sheet (交班表) shows it.
#[derive(Clone, Debug)]
pub struct ShiftSheet {
    /// The shift's id.
    pub shift_id: String,
    /// The cashier ("name (staff no)").
    pub cashier: String,
    /// The window.
    pub window: String,
    /// Opened and closed, local time.
    pub opened_at: String,
    /// Closed, local time.
    pub closed_at: Option<String>,
    /// OPEN, CLOSED or HANDED_OVER.
    pub status: String,
    /// The float (备用金).
    pub opening_float: Money,
    /// Per method: received, paid out, counted, declared.
    pub methods: Vec<MethodLine>,
    /// Cash the drawer should hold.
    pub expected_cash: Money,
    /// Cash counted at the close.
    pub counted_cash: Option<Money>,
    /// Counted − expected.
    pub variance: Option<Money>,
    /// How the variance was resolved.
    pub variance_resolution: Option<String>,
    /// Cash the cashier declared handing over.
    pub declared_cash: Option<Money>,
    /// Cash the controller received.
    pub handed_over: Option<Money>,
    /// The controller ("name (staff no)") and when.
    pub received_by: Option<String>,
    /// Receipts issued and voided.
    pub receipts: (i64, i64),
    /// The first receipt number the shift used.
    pub first_receipt: Option<String>,
    /// The last receipt number the shift used.
    pub last_receipt: Option<String>,
    /// The voided numbers.
    pub voided_numbers: Vec<String>,
    /// Gaps in the shift's numbers.
    pub gaps: Vec<String>,
}

/// The hand-over sheet's rows.
#[must_use]
pub fn shift_rows(sheet: &ShiftSheet, lang: Lang) -> Vec<Row> {
    let mut rows = Vec::new();
    let cash = lang.pick("现金", "Cash");
    rows.push(row(
        &cash,
        lang.pick("备用金", "Opening float"),
        Some(sheet.opening_float),
        None,
    ));
    rows.push(row(
        &cash,
        lang.pick("应有现金", "Expected cash"),
        Some(sheet.expected_cash),
        None,
    ));
    for (zh, en, amount) in [
        ("实点现金", "Counted cash", sheet.counted_cash),
        ("长短款", "Variance", sheet.variance),
        ("交款申报", "Declared", sheet.declared_cash),
        ("财务实收", "Received by finance", sheet.handed_over),
    ] {
        if let Some(amount) = amount {
            rows.push(row(&cash, lang.pick(zh, en), Some(amount), None));
        }
    }
    let methods = lang.pick("按支付方式", "By method");
    for (method, received, paid_out, counted, declared) in &sheet.methods {
        let (zh, en) = method_name(*method);
        let name = lang.pick(zh, en);
        rows.push(row(
            &methods,
            format!("{name} {}", lang.pick("收款", "received")),
            Some(*received),
            None,
        ));
        rows.push(row(
            &methods,
            format!("{name} {}", lang.pick("付款", "paid out")),
            Some(*paid_out),
            None,
        ));
        if let Some(counted) = counted {
            rows.push(row(
                &methods,
                format!("{name} {}", lang.pick("实点", "counted")),
                Some(*counted),
                None,
            ));
        }
        if let Some(declared) = declared {
            rows.push(row(
                &methods,
                format!("{name} {}", lang.pick("申报", "declared")),
                Some(*declared),
                None,
            ));
        }
    }
    let receipts = lang.pick("票据", "Receipts");
    if let (Some(first), Some(last)) = (&sheet.first_receipt, &sheet.last_receipt) {
        rows.push(row(
            &receipts,
            format!("{} {first}–{last}", lang.pick("起止号", "Numbers used")),
            None,
            None,
        ));
    }
    rows.push(row(
        &receipts,
        lang.pick("开具", "Issued"),
        None,
        Some(sheet.receipts.0),
    ));
    rows.push(row(
        &receipts,
        format!(
            "{} {}",
            lang.pick("作废", "Voided"),
            sheet.voided_numbers.join(" ")
        ),
        None,
        Some(sheet.receipts.1),
    ));
    for gap in &sheet.gaps {
        rows.push(row(
            &receipts,
            format!("{} {gap}", lang.pick("断号", "gap")),
            None,
            None,
        ));
    }
    rows
}

/// The shift hand-over sheet (交班表) as a print-ready page.
#[must_use]
pub fn shift_html(hospital: &str, sheet: &ShiftSheet) -> String {
    let meta = format!(
        "收费员 <small>Cashier</small> {} · 窗口 <small>Window</small> {} · 开班 <small>opened</small> {} · 结账 <small>closed</small> {} · 状态 <small>status</small> {}",
        escape(&sheet.cashier),
        escape(&sheet.window),
        escape(&sheet.opened_at),
        escape(sheet.closed_at.as_deref().unwrap_or("—")),
        escape(&sheet.status)
    );
    let money = |m: Option<Money>| m.map_or_else(|| "—".to_owned(), |m| m.to_string());
    let mut body = String::from("<h2>现金 <small>Cash</small></h2>\n");
    body.push_str(&facts(
        "cash",
        &[
            (
                "openingFloat",
                "备用金",
                "Opening float",
                sheet.opening_float.to_string(),
            ),
            (
                "expectedCash",
                "应有现金",
                "Expected cash",
                sheet.expected_cash.to_string(),
            ),
            (
                "countedCash",
                "实点现金",
                "Counted cash",
                money(sheet.counted_cash),
            ),
            (
                "variance",
                "长短款",
                "Variance (counted − expected)",
                money(sheet.variance),
            ),
            (
                "varianceResolution",
                "长短款处理",
                "Resolution",
                sheet
                    .variance_resolution
                    .clone()
                    .unwrap_or_else(|| "—".to_owned()),
            ),
            (
                "declaredCash",
                "交款申报",
                "Declared by the cashier",
                money(sheet.declared_cash),
            ),
            (
                "handedOver",
                "财务实收",
                "Received by finance",
                money(sheet.handed_over),
            ),
            (
                "receivedBy",
                "接收人",
                "Received by",
                sheet.received_by.clone().unwrap_or_else(|| "—".to_owned()),
            ),
        ],
    ));
    body.push_str("<h2>按支付方式 <small>By method</small></h2>\n<table id=\"methods\"><tr>");
    for (zh, en) in [
        ("支付方式", "Method"),
        ("收款", "Received"),
        ("付款", "Paid out"),
        ("实点", "Counted"),
        ("申报", "Declared"),
    ] {
        body.push_str(&th(zh, en));
    }
    body.push_str("</tr>\n");
    for (method, received, paid_out, counted, declared) in &sheet.methods {
        let (zh, en) = method_name(*method);
        body.push_str(&format!(
            "<tr><td>{zh} <small>{en}</small></td>{}{}<td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
            num(&format!("received.{}", method.as_str()), *received),
            num(&format!("paidOut.{}", method.as_str()), *paid_out),
            money(*counted),
            money(*declared)
        ));
    }
    body.push_str("</table>\n");
    body.push_str(&format!(
        "<h2>票据 <small>Receipts</small></h2>\n<p>起止号 <small>numbers used</small> <b id=\"receiptRange\">{}</b> · 开具 <small>issued</small> <b data-line=\"receiptsIssued\">{}</b> · 作废 <small>voided</small> <b data-line=\"receiptsVoided\">{}</b> {}{}</p>\n",
        match (&sheet.first_receipt, &sheet.last_receipt) {
            (Some(first), Some(last)) => format!("{}–{}", escape(first), escape(last)),
            _ => "—".to_owned(),
        },
        sheet.receipts.0,
        sheet.receipts.1,
        escape(&sheet.voided_numbers.join(" ")),
        if sheet.gaps.is_empty() {
            String::new()
        } else {
            format!(" · 断号 <small>gaps</small> {}", escape(&sheet.gaps.join("; ")))
        }
    ));
    body.push_str(&signature_lines(&[
        ("交班人", "Cashier"),
        ("接班/财务", "Received by"),
    ]));
    page(hospital, ("交班表", "Shift hand-over sheet"), &meta, &body)
}

/// A discharge settlement as its sheet (结算单) shows it.
#[derive(Clone, Debug)]
pub struct SettlementSheet {
    /// The settlement's event id.
    pub id: String,
    /// The patient.
    pub patient_id: String,
    /// The card or admission number.
    pub card_no: String,
    /// The scheme.
    pub scheme: InsuranceScheme,
    /// The stay's charges.
    pub total_charges: Money,
    /// The scheme's share.
    pub insurance_pays: Money,
    /// The deposits applied.
    pub deposits_applied: Money,
    /// Paid in by the patient (补).
    pub patient_pays: Money,
    /// Paid back to the patient (退).
    pub patient_receives: Money,
    /// The method.
    pub method: PaymentMethod,
    /// The receipt number.
    pub receipt_no: String,
    /// The cashier.
    pub cashier: String,
    /// When, local time.
    pub at: String,
    /// Settled by hand (外埠).
    pub manual: bool,
}

fn settlement_lines(s: &SettlementSheet) -> [(&'static str, &'static str, &'static str, Money); 5] {
    [
        ("totalCharges", "费用总额", "Total charges", s.total_charges),
        (
            "insurancePays",
            "医保支付",
            "Insurance pays",
            s.insurance_pays,
        ),
        (
            "depositsApplied",
            "预交金冲抵",
            "Deposits applied",
            s.deposits_applied,
        ),
        ("patientPays", "病人补交", "Patient pays", s.patient_pays),
        (
            "patientReceives",
            "病人退款",
            "Patient receives",
            s.patient_receives,
        ),
    ]
}

/// The settlement sheet's rows.
#[must_use]
pub fn settlement_rows(sheet: &SettlementSheet, lang: Lang) -> Vec<Row> {
    let section = lang.pick("出院结算", "Discharge settlement");
    settlement_lines(sheet)
        .into_iter()
        .map(|(_, zh, en, amount)| row(&section, lang.pick(zh, en), Some(amount), None))
        .collect()
}

/// The discharge settlement sheet (结算单) as a print-ready page.
#[must_use]
pub fn settlement_html(hospital: &str, sheet: &SettlementSheet) -> String {
    let (scheme_zh, scheme_en) = scheme_name(sheet.scheme);
    let (method_zh, method_en) = method_name(sheet.method);
    let meta = format!(
        "病人 <small>Patient</small> {} · 卡号 <small>Card</small> {} · 医保类别 <small>Scheme</small> {scheme_zh} <small>{scheme_en}</small>{} · 票据号 <small>Receipt</small> {}",
        escape(&sheet.patient_id),
        escape(&sheet.card_no),
        if sheet.manual {
            " · 手工结算 <small>settled by hand</small>"
        } else {
            ""
        },
        escape(&sheet.receipt_no)
    );
    let lines: Vec<(&str, &str, &str, String)> = settlement_lines(sheet)
        .into_iter()
        .map(|(k, zh, en, m)| (k, zh, en, m.to_string()))
        .collect();
    let mut body = String::from("<h2>结算 <small>Settlement</small></h2>\n");
    body.push_str(&facts("settlement", &lines));
    body.push_str(&format!(
        "<p>支付方式 <small>Method</small> {method_zh} <small>{method_en}</small> · 收费员 <small>Cashier</small> {} · 时间 <small>at</small> {}</p>\n",
        escape(&sheet.cashier),
        escape(&sheet.at)
    ));
    body.push_str(&signature_lines(&[
        ("收费员", "Cashier"),
        ("病人/家属", "Patient or family"),
    ]));
    page(
        hospital,
        ("出院结算单", "Discharge settlement sheet"),
        &meta,
        &body,
    )
}

/// One deduction of a patient's fee list (费用清单).
#[derive(Clone, Debug)]
pub struct FeeLine {
    /// When it was executed, local time.
    pub at: String,
    /// The executing department.
    pub department: String,
    /// The item's code.
    pub item_code: String,
    /// The item's name.
    pub item_name: Option<String>,
    /// How many.
    pub quantity: u32,
    /// The amount deducted.
    pub amount: Money,
    /// What was reversed of it (退药, 退费).
    pub reversed: Money,
}

/// The patient's fee list (费用清单) of one account.
#[derive(Clone, Debug)]
pub struct FeeList {
    /// The patient.
    pub patient_id: String,
    /// The card or admission number.
    pub card_no: String,
    /// The kind of account.
    pub kind: AccountKind,
    /// Each deduction, in order.
    pub lines: Vec<FeeLine>,
    /// The balance now.
    pub balance: Money,
}

impl FeeList {
    fn totals(&self) -> (Money, Money) {
        self.lines
            .iter()
            .fold((Money::ZERO, Money::ZERO), |(a, r), l| {
                (a + l.amount, r + l.reversed)
            })
    }
}

/// The fee list as a CSV file: a row per deduction, then the totals in their own section.
#[must_use]
pub fn fee_list_csv(list: &FeeList, lang: Lang) -> Vec<u8> {
    let header: Vec<String> = match lang {
        Lang::Zh => vec![
            "执行时间",
            "执行科室",
            "项目编码",
            "项目名称",
            "数量",
            "金额",
            "已冲销",
            "净额",
        ],
        Lang::En => vec![
            "executed_at",
            "department",
            "item_code",
            "item_name",
            "quantity",
            "amount",
            "reversed",
            "net",
        ],
    }
    .into_iter()
    .map(str::to_owned)
    .collect();
    let rows: Vec<Vec<String>> = list
        .lines
        .iter()
        .map(|l| {
            vec![
                l.at.clone(),
                l.department.clone(),
                l.item_code.clone(),
                l.item_name.clone().unwrap_or_default(),
                l.quantity.to_string(),
                l.amount.to_string(),
                l.reversed.to_string(),
                (l.amount - l.reversed).to_string(),
            ]
        })
        .collect();
    let mut bytes = csv_file(&header, &rows);
    let (charged, reversed) = list.totals();
    let totals = vec![
        vec![lang.pick("费用合计", "charged"), charged.to_string()],
        vec![lang.pick("冲销合计", "reversed"), reversed.to_string()],
        vec![lang.pick("净费用", "net"), (charged - reversed).to_string()],
        vec![lang.pick("当前余额", "balance"), list.balance.to_string()],
    ];
    bytes.extend_from_slice(b"\r\n");
    bytes.extend_from_slice(
        &csv_file(
            &[lang.pick("项目", "figure"), lang.pick("金额", "amount")],
            &totals,
        )[BOM.len()..],
    );
    bytes
}

/// The patient's fee list (费用清单) as a print-ready page.
#[must_use]
pub fn fee_list_html(hospital: &str, list: &FeeList) -> String {
    let (kind_zh, kind_en) = kind_name(list.kind);
    let meta = format!(
        "病人 <small>Patient</small> {} · 卡号 <small>Card</small> {} · {kind_zh} <small>{kind_en}</small>",
        escape(&list.patient_id),
        escape(&list.card_no)
    );
    let mut body =
        String::from("<h2>费用明细 <small>Charges</small></h2>\n<table id=\"fees\"><tr>");
    for (zh, en) in [
        ("执行时间", "Executed"),
        ("执行科室", "Department"),
        ("项目", "Item"),
        ("数量", "Qty"),
        ("金额", "Amount"),
        ("已冲销", "Reversed"),
        ("净额", "Net"),
    ] {
        body.push_str(&th(zh, en));
    }
    body.push_str("</tr>\n");
    for l in &list.lines {
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{} {}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
            escape(&l.at),
            escape(&l.department),
            escape(&l.item_code),
            escape(l.item_name.as_deref().unwrap_or("")),
            l.quantity,
            l.amount,
            l.reversed,
            l.amount - l.reversed
        ));
    }
    body.push_str("</table>\n");
    let (charged, reversed) = list.totals();
    body.push_str("<h2>合计 <small>Totals</small></h2>\n");
    body.push_str(&facts(
        "totals",
        &[
            ("charged", "费用合计", "Charged", charged.to_string()),
            ("reversed", "冲销合计", "Reversed", reversed.to_string()),
            (
                "net",
                "净费用",
                "Net charges",
                (charged - reversed).to_string(),
            ),
            (
                "balance",
                "当前余额",
                "Balance now",
                list.balance.to_string(),
            ),
        ],
    ));
    page(hospital, ("费用清单", "Patient fee list"), &meta, &body)
}
