//! The performance workload over HTTP and as CSV: five cashiers with known acts today, weighted
//! by coefficients set by a supervisor, checked against a hand computation.

use serde_json::{Value, json};

use crate::support::*;

const SET: &str = "mutation($from: Date!, $coefficients: [CoefficientInput!]!) { setDifficultyCoefficients(input: { effectiveFrom: $from, coefficients: $coefficients }) { businessType coefficient effectiveFrom } }";
const WORKLOAD: &str = "query($from: Date!, $to: Date!) { workload(from: $from, to: $to) { average baseRatio base rows { staff { staffNo } counts { businessType count } weighted reachesBase excess qualityDeductions } } }";
const BY_HOUR: &str = "query($from: Date!, $to: Date!) { workloadByHour(from: $from, to: $to) { hour transactions byType { businessType count } } }";
const QUALITY: &str = "mutation($staff: UUID!) { recordQualityDeduction(input: { staffId: $staff, points: 3, reason: \"服务态度: complaint\" }) { points reason staff { staffNo } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_cashiers_weighted_by_hand() {
    // Goal: coefficients CARD_ISSUE 1, DEPOSIT 1.5, BALANCE_REFUND 2, ADMISSION 2.5,
    // DISCHARGE_OUT_OF_AREA 4 (CARD_RETURN unlisted: 1). By hand:
    //   C001: 2 cards + 4 deposits = 2 + 6 = 8
    //   C002: 1 card + 2 deposits + 1 refund = 1 + 3 + 2 = 6 (and 3 quality points)
    //   C003: 1 card + 1 deposit = 2.5
    //   C004: 1 admission + 1 deposit + 1 out-of-area discharge = 2.5 + 1.5 + 4 = 8
    //   C005: 1 card + 1 card return = 2
    // average = 26.5 / 5 = 5.3; base = 0.7 × 5.3 = 3.71; excess 4.29, 2.29, 0, 4.29, 0.
    let (zone, today) = zone_with_local_hour(12);
    let server = Server::start_args(&["--time-zone", &zone]);
    let supervisor = server.staff_add("S001", "Zhou Min", "SUPERVISOR", None);
    let cashiers: Vec<StaffMember> = (1..=5)
        .map(|n| server.staff_add(&format!("C00{n}"), &format!("Cashier {n}"), "CASHIER", None))
        .collect();

    let coefficients = json!([
        { "businessType": "CARD_ISSUE", "coefficient": 1 },
        { "businessType": "DEPOSIT", "coefficient": 1.5 },
        { "businessType": "BALANCE_REFUND", "coefficient": 2 },
        { "businessType": "ADMISSION", "coefficient": 2.5 },
        { "businessType": "DISCHARGE_OUT_OF_AREA", "coefficient": 4 }
    ]);
    assert_eq!(
        server
            .refused(
                Some(&cashiers[0].token),
                SET,
                json!({ "from": today, "coefficients": coefficients })
            )
            .await,
        "FORBIDDEN"
    );
    let yesterday = json!({ "from": "2000-01-01", "coefficients": coefficients });
    assert_eq!(
        server
            .refused(Some(&supervisor.token), SET, yesterday)
            .await,
        "VALIDATION"
    );
    let set = server
        .ok(
            &supervisor.token,
            SET,
            json!({ "from": today, "coefficients": coefficients }),
        )
        .await;
    assert_eq!(
        set["setDifficultyCoefficients"].as_array().unwrap().len(),
        5
    );

    let mut shifts = Vec::new();
    for cashier in &cashiers {
        shifts.push(open_shift(&server, cashier, "100.00").await);
    }
    let cash = |account: &str, shift: &str, amount: &str| json!({ "account": account, "amount": amount, "method": "CASH", "shift": shift, "key": uuid() });
    // C001
    let a1 = open_card(&server, &cashiers[0], "W-1").await;
    open_card(&server, &cashiers[0], "W-2").await;
    for _ in 0..4 {
        server
            .ok(&cashiers[0].token, DEPOSIT, cash(&a1, &shifts[0], "10.00"))
            .await;
    }
    // C002
    let a3 = open_card(&server, &cashiers[1], "W-3").await;
    for _ in 0..2 {
        server
            .ok(&cashiers[1].token, DEPOSIT, cash(&a3, &shifts[1], "10.00"))
            .await;
    }
    server
        .ok(&cashiers[1].token, REFUND, cash(&a3, &shifts[1], "5.00"))
        .await;
    // C003
    let a4 = open_card(&server, &cashiers[2], "W-4").await;
    server
        .ok(&cashiers[2].token, DEPOSIT, cash(&a4, &shifts[2], "10.00"))
        .await;
    // C004: an out-of-area inpatient, admitted, topped up and settled by hand.
    let stay = server
        .ok(
            &cashiers[3].token,
            OPEN_ACCOUNT,
            json!({ "kind": "INPATIENT_DEPOSIT", "patient": "P-W", "card": "W-5", "key": "w5" }),
        )
        .await["openAccount"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    server
        .ok(
            &cashiers[3].token,
            DEPOSIT,
            cash(&stay, &shifts[3], "100.00"),
        )
        .await;
    let settle = "mutation($account: UUID!, $shift: UUID!) { settleDischarge(input: { accountId: $account, insuranceScheme: OUT_OF_AREA, insurancePays: \"0.00\", method: BANK_CARD, shiftId: $shift, idempotencyKey: \"w-settle\" }) { manual } }";
    let settled = server
        .ok(
            &cashiers[3].token,
            settle,
            json!({ "account": stay, "shift": shifts[3] }),
        )
        .await;
    assert_eq!(settled["settleDischarge"]["manual"], true);
    // C005: a card issued and returned.
    let a6 = open_card(&server, &cashiers[4], "W-6").await;
    server
        .ok(
            &cashiers[4].token,
            CLOSE_ACCOUNT,
            json!({ "account": a6, "key": "w6" }),
        )
        .await;

    let quality = server
        .ok(
            &supervisor.token,
            QUALITY,
            json!({ "staff": cashiers[1].id }),
        )
        .await;
    assert_eq!(
        quality["recordQualityDeduction"],
        json!({ "points": 3.0, "reason": "服务态度: complaint", "staff": { "staffNo": "C002" } })
    );
    // Nobody registered under this id: refused, nothing written.
    let before = server.event_count().await;
    assert_eq!(
        server
            .refused(
                Some(&supervisor.token),
                QUALITY,
                json!({ "staff": "0192f3a4-5b6c-7d8e-9fa0-b1c2d3e4f506" }),
            )
            .await,
        "NOT_FOUND"
    );
    assert_eq!(server.event_count().await, before);

    let range = json!({ "from": today, "to": today });
    let table = server.ok(&supervisor.token, WORKLOAD, range.clone()).await;
    let report = &table["workload"];
    assert_eq!(
        (
            report["average"].as_f64(),
            report["baseRatio"].as_f64(),
            report["base"].as_f64()
        ),
        (Some(5.3), Some(0.7), Some(3.71))
    );
    let row = |no: &str| -> Value {
        report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["staff"]["staffNo"] == no)
            .cloned()
            .unwrap_or_else(|| panic!("no row for {no}"))
    };
    let expected = [
        ("C001", 8.0, true, 4.29, 0.0),
        ("C002", 6.0, true, 2.29, 3.0),
        ("C003", 2.5, false, 0.0, 0.0),
        ("C004", 8.0, true, 4.29, 0.0),
        ("C005", 2.0, false, 0.0, 0.0),
    ];
    for (no, weighted, reaches, excess, points) in expected {
        let r = row(no);
        assert_eq!(r["weighted"].as_f64(), Some(weighted), "{no}");
        assert_eq!(r["reachesBase"], reaches, "{no}");
        assert_eq!(r["excess"].as_f64(), Some(excess), "{no}");
        assert_eq!(r["qualityDeductions"].as_f64(), Some(points), "{no}");
    }
    assert_eq!(
        row("C004")["counts"],
        json!([{ "businessType": "DEPOSIT", "count": 1 }, { "businessType": "ADMISSION", "count": 1 }, { "businessType": "DISCHARGE_OUT_OF_AREA", "count": 1 }])
    );

    // Hour buckets: 24 of them, summing to the 17 acts.
    let hours = server.ok(&supervisor.token, BY_HOUR, range.clone()).await;
    let buckets = hours["workloadByHour"].as_array().unwrap();
    assert_eq!(buckets.len(), 24);
    assert_eq!(
        buckets
            .iter()
            .map(|b| b["transactions"].as_i64().unwrap())
            .sum::<i64>(),
        17
    );

    // A later coefficient change (from tomorrow) leaves today's table as it was.
    let tomorrow = civil_tomorrow(&today);
    let later = json!({ "from": tomorrow, "coefficients": [{ "businessType": "DEPOSIT", "coefficient": 9 }] });
    server.ok(&supervisor.token, SET, later).await;
    assert_eq!(
        server.ok(&supervisor.token, WORKLOAD, range.clone()).await,
        table
    );

    // Wrong roles are refused.
    assert_eq!(
        server
            .refused(Some(&cashiers[0].token), WORKLOAD, range.clone())
            .await,
        "FORBIDDEN"
    );
    // But each cashier sees their own workload per day and per hour, and only their own: C002
    // sees their card, two deposits and a refund, all today, in the hours summing to four.
    let mine = server
        .ok(&cashiers[1].token, "query($from: Date!, $to: Date!) { myWorkload(from: $from, to: $to) { staff { staffNo } transactions byType { businessType count } days { date transactions } hours { hour transactions } } }", range.clone())
        .await["myWorkload"]
        .clone();
    assert_eq!(mine["staff"]["staffNo"], "C002");
    assert_eq!(mine["transactions"], 4);
    assert_eq!(
        mine["byType"],
        json!([{ "businessType": "CARD_ISSUE", "count": 1 }, { "businessType": "DEPOSIT", "count": 2 }, { "businessType": "BALANCE_REFUND", "count": 1 }])
    );
    assert_eq!(mine["days"], json!([{ "date": today, "transactions": 4 }]));
    let hours = mine["hours"].as_array().unwrap();
    assert_eq!(hours.len(), 24);
    assert_eq!(
        hours
            .iter()
            .map(|h| h["transactions"].as_i64().unwrap())
            .sum::<i64>(),
        4
    );
    // The supervisor, who did nothing today, sees nothing of anyone else's.
    let theirs = server
        .ok(&supervisor.token, "query($from: Date!, $to: Date!) { myWorkload(from: $from, to: $to) { transactions days { date } } }", range.clone())
        .await["myWorkload"]
        .clone();
    assert_eq!(theirs, json!({ "transactions": 0, "days": [] }));
    assert_eq!(
        server
            .refused(
                Some(&cashiers[0].token),
                QUALITY,
                json!({ "staff": cashiers[1].id })
            )
            .await,
        "FORBIDDEN"
    );

    // Finance's spreadsheet: the month as CSV, exact decimals.
    let month = &today[..7];
    let output = server
        .data
        .yika(&[
            "report",
            "workload",
            "--month",
            month,
            "--csv",
            "--time-zone",
            &zone,
        ])
        .output()
        .expect("yika report runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // As Excel on a Chinese-locale Windows reads it: a UTF-8 byte-order mark, Chinese headers,
    // plain decimals, and the month's figures in a section of their own after a blank line.
    let bytes = output.stdout;
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "no byte-order mark");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let (table, totals) = text.split_once("\r\n\r\n").expect("two sections");
    let mut reader = csv::Reader::from_reader(table.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "工号",
            "姓名",
            "发卡",
            "预存预交",
            "入院",
            "出院自费",
            "出院医保",
            "出院外埠",
            "退款",
            "退卡",
            "加权工作量",
            "达到基础量",
            "超额",
            "质量扣分"
        ]
    );
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(rows.len(), 5, "{text}");
    assert!(
        rows.contains(
            &[
                "C002",
                "Cashier 2",
                "1",
                "2",
                "0",
                "0",
                "0",
                "0",
                "1",
                "0",
                "6",
                "是",
                "2.29",
                "3"
            ]
            .map(str::to_owned)
            .to_vec()
        ),
        "{text}"
    );
    let mut reader = csv::Reader::from_reader(totals.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["项目", "值"]
    );
    let figures: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(figures[0], ["平均工作量", "5.3"]);
    assert_eq!(figures[1], ["基础工作量", "3.71"]);
    // In English on request.
    let output = server
        .data
        .yika(&[
            "report",
            "workload",
            "--month",
            month,
            "--csv",
            "--lang",
            "en",
            "--time-zone",
            &zone,
        ])
        .output()
        .expect("yika report runs");
    let text = String::from_utf8(output.stdout[3..].to_vec()).unwrap();
    assert!(
        text.starts_with("staff_no,name,CARD_ISSUE,DEPOSIT,"),
        "{text}"
    );
    assert!(
        text.contains("C002,Cashier 2,1,2,0,0,0,0,1,0,6,true,2.29,3\r\n"),
        "{text}"
    );
    assert!(
        text.contains("figure,value\r\naverage,5.3\r\nbase,3.71\r\n"),
        "{text}"
    );
}

/// The day after a YYYY-MM-DD date.
fn civil_tomorrow(date: &str) -> String {
    let parsed = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
    (parsed + chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string()
}
