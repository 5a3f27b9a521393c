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
    let header = match lang {
        Lang::Zh => ["分类", "项目", "金额", "数量"],
        Lang::En => ["section", "line", "amount", "count"],
    }
    .map(str::to_owned);
    let rows: Vec<Vec<String>> = daily_rows(report, lang)
        .into_iter()
        .map(Vec::from)
        .collect();
    csv_file(&header, &rows)
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
