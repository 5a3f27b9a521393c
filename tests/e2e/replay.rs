//! Replay equals live: a seeded random stretch of activity, then the views rebuilt from the log
//! alone must equal the live ones, and both must equal a naive model's sums.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::support::*;

const ACCOUNTS_PAGE: &str = "{ accounts(first: 200) { totalCount edges { node { id kind status cardNo balance deposited deducted reversed refunded inArrears revision lastActivityAt } } } }";
const DAILY: &str = "query($date: Date!) { dailyReport(date: $date) { openingLiability deposits deductions reversals refunds settlementEffect closingLiability balances byMethod { method amount } byWindow { window received paidOut transactions } cashVariance } }";
const SETTLE: &str = "mutation($account: UUID!, $scheme: InsuranceScheme!, $pays: Money!, $method: PaymentMethod!, $shift: UUID!, $key: String!) { settleDischarge(input: { accountId: $account, insuranceScheme: $scheme, insurancePays: $pays, method: $method, shiftId: $shift, idempotencyKey: $key }) { patientPays patientReceives account { balance } } }";
const TRIAL: &str = "{ trialBalance { asOfPosition balanced totalDebit totalCredit accounts { ledgerAccount debit credit balance } } }";
const AS_OF: &str =
    "query($account: UUID!, $at: DateTime!) { balanceAsOf(accountId: $account, at: $at) }";
const SHIFT: &str = "query($id: UUID!) { shift(id: $id) { id status openingFloat expectedCash countedCash variance transactionCount receiptsIssued received { method amount } paidOut { method amount } } }";

fn fen(text: &str) -> i64 {
    let (yuan, cents) = text.split_once('.').expect("two places");
    let sign = if yuan.starts_with('-') { -1 } else { 1 };
    yuan.parse::<i64>().unwrap() * 100 + sign * cents.parse::<i64>().unwrap()
}

fn money(fen: i64) -> String {
    format!(
        "{}{}.{:02}",
        if fen < 0 { "-" } else { "" },
        fen.abs() / 100,
        fen.abs() % 100
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn views_rebuilt_from_the_log_equal_the_live_views_after_a_random_day() {
    // Goal: drive a seeded random mix of deposits, deductions, reversals and refunds over HTTP,
    // check the balances against a naive model, then delete the read store and check that the
    // views rebuilt from the log are identical. The seed is printed; YIKA_E2E_SEED replays it.
    let seed = std::env::var("YIKA_E2E_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    eprintln!("replay test seed={seed} (set YIKA_E2E_SEED={seed} to replay)");
    let mut rng = fastrand::Rng::with_seed(seed);
    let (zone, today) = zone_with_local_hour(12);
    let server = Server::start_args(&["--time-zone", &zone]);
    let cast = Cast::register(&server);
    let controller = server.staff_add("F001", "Chen Jing", "CONTROLLER", None);
    // The naive model's flows of the day, in fen: deposits, deductions, reversals, refunds.
    let mut flows = [0_i64; 4];
    let departments = [
        (&cast.lab, "Lab"),
        (&cast.imaging, "Imaging"),
        (&cast.pharmacy, "Pharmacy"),
    ];
    let shift = open_shift(&server, &cast.cashier, "300.00").await;

    let mut balances: HashMap<String, i64> = HashMap::new();
    let mut inpatient: HashMap<String, bool> = HashMap::new();
    let mut accounts = Vec::new();
    for n in 0..6 {
        let kind = if n % 3 == 2 {
            "INPATIENT_DEPOSIT"
        } else {
            "OUTPATIENT_CARD"
        };
        let id = server
            .ok(&cast.cashier.token, OPEN_ACCOUNT, json!({ "kind": kind, "patient": format!("P{n}"), "card": format!("RND-{n}"), "key": format!("o{n}") }))
            .await["openAccount"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        balances.insert(id.clone(), 0);
        inpatient.insert(id.clone(), kind == "INPATIENT_DEPOSIT");
        accounts.push(id);
    }
    // (deduction id, account, department index, remaining fen)
    let mut deductions: Vec<(String, String, usize, i64)> = Vec::new();
    // Inpatient stays: charges net of reversals per account, the settled ones, and how much
    // the settlements lowered the liability (paid back − paid in − insurance).
    let mut charges: HashMap<String, i64> = HashMap::new();
    let mut settled: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut settlement_effect: i64 = 0;
    let mut cash: i64 = 30_000; // the float, in fen
    // (instant, the model's balances then) at three moments of the day, for balanceAsOf.
    let mut snapshots: Vec<(String, HashMap<String, i64>)> = Vec::new();
    for step in 0..80 {
        if step > 0 && step % 20 == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            let instant = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
            snapshots.push((instant, balances.clone()));
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        // The trial balance is balanced after every step; the control accounts follow the model.
        let trial = server.ok(&controller.token, TRIAL, json!({})).await;
        assert_eq!(
            trial["trialBalance"]["balanced"], true,
            "seed={seed} step={step}: {trial}"
        );
        for line in trial["trialBalance"]["accounts"].as_array().unwrap() {
            let balance = fen(line["balance"].as_str().unwrap());
            match line["ledgerAccount"].as_str().unwrap() {
                "patient-prepaid" => assert_eq!(
                    balance,
                    -balances.values().sum::<i64>(),
                    "seed={seed} step={step}"
                ),
                "cash-drawer" => assert_eq!(balance, cash, "seed={seed} step={step}"),
                _ => {}
            }
        }
        let account = accounts[rng.usize(..accounts.len())].clone();
        let balance = balances[&account];
        let context = format!("seed={seed} step={step}");
        if settled.contains(&account) {
            // A settled stay takes nothing more.
            let variables = json!({ "account": account, "amount": "1.00", "method": "CASH", "shift": shift, "key": format!("s{step}") });
            let answer = server
                .gql(Some(&cast.cashier.token), DEPOSIT, variables)
                .await;
            assert_eq!(
                answer["errors"][0]["extensions"]["code"], "ALREADY_SETTLED",
                "{context}: {answer}"
            );
            continue;
        }
        match rng.u8(..5) {
            4 if inpatient[&account] => {
                let c = charges.get(&account).copied().unwrap_or(0);
                let insurance = if c > 0 { rng.i64(0..=c) } else { 0 };
                let (deposits, share) = (balance + c, c - insurance);
                let (pays, receives) = if deposits >= share {
                    (0, deposits - share)
                } else {
                    (share - deposits, 0)
                };
                let variables = json!({ "account": account, "scheme": "RESIDENT_BASIC", "pays": money(insurance), "method": "BANK_CARD", "shift": shift, "key": format!("x{step}") });
                let answer = server.ok(&cast.cashier.token, SETTLE, variables).await;
                assert_eq!(
                    answer["settleDischarge"]["patientPays"],
                    money(pays),
                    "{context}"
                );
                assert_eq!(
                    answer["settleDischarge"]["patientReceives"],
                    money(receives),
                    "{context}"
                );
                assert_eq!(
                    answer["settleDischarge"]["account"]["balance"], "0.00",
                    "{context}"
                );
                *balances.get_mut(&account).unwrap() = 0;
                settled.insert(account.clone());
                settlement_effect += receives - pays - insurance;
            }
            0 => {
                let amount = rng.i64(1..=50_000);
                let method = ["CASH", "BANK_CARD", "WECHAT", "ALIPAY"][rng.usize(..4)];
                let variables = json!({ "account": account, "amount": money(amount), "method": method, "shift": shift, "key": format!("d{step}") });
                server.ok(&cast.cashier.token, DEPOSIT, variables).await;
                *balances.get_mut(&account).unwrap() += amount;
                flows[0] += amount;
                if method == "CASH" {
                    cash += amount;
                }
            }
            1 => {
                let d = rng.usize(..3);
                let amount = rng.i64(1..=30_000);
                let variables = json!({ "account": account, "amount": money(amount), "department": departments[d].1, "order": format!("ord-{step}"), "item": "X" });
                let answer = server
                    .gql(Some(&departments[d].0.token), DEDUCT, variables)
                    .await;
                let allowed = inpatient[&account] || amount <= balance;
                if allowed {
                    assert!(answer.get("errors").is_none(), "{context}: {answer}");
                    let id = answer["data"]["deduct"]["id"].as_str().unwrap().to_owned();
                    deductions.push((id, account.clone(), d, amount));
                    *balances.get_mut(&account).unwrap() -= amount;
                    *charges.entry(account.clone()).or_default() += amount;
                    flows[1] += amount;
                } else {
                    assert_eq!(
                        answer["errors"][0]["extensions"]["code"], "INSUFFICIENT_BALANCE",
                        "{context}"
                    );
                }
            }
            2 if !deductions.is_empty() => {
                let k = rng.usize(..deductions.len());
                let (id, acc, d, remaining) = deductions[k].clone();
                if remaining == 0 || settled.contains(&acc) {
                    continue;
                }
                let amount = rng.i64(1..=remaining);
                let variables = json!({ "deduction": id, "amount": money(amount), "reason": "DRUG_RETURN", "key": format!("r{step}") });
                server.ok(&departments[d].0.token, REVERSE, variables).await;
                deductions[k].3 -= amount;
                *charges.entry(acc.clone()).or_default() -= amount;
                *balances.get_mut(&acc).unwrap() += amount;
                flows[2] += amount;
            }
            _ if balance > 0 => {
                let amount = rng.i64(1..=balance);
                // Cash goes out only while the drawer holds it (INSUFFICIENT_CASH otherwise).
                let method = if rng.bool() { "CASH" } else { "ALIPAY" };
                let variables = json!({ "account": account, "amount": money(amount), "method": method, "shift": shift, "key": format!("f{step}") });
                let answer = server
                    .gql(Some(&cast.cashier.token), REFUND, variables)
                    .await;
                if method == "CASH" && amount > cash {
                    assert_eq!(
                        answer["errors"][0]["extensions"]["code"], "INSUFFICIENT_CASH",
                        "{context}: {answer}"
                    );
                    continue;
                }
                assert!(answer.get("errors").is_none(), "{context}: {answer}");
                *balances.get_mut(&account).unwrap() -= amount;
                if method == "CASH" {
                    cash -= amount;
                }
                flows[3] += amount;
            }
            _ => {}
        }
    }

    // Balances as of three instants of the day equal the model's at those instants.
    assert_eq!(snapshots.len(), 3);
    for (instant, then) in &snapshots {
        for (account, expected) in then {
            let answer = server
                .ok(
                    &controller.token,
                    AS_OF,
                    json!({ "account": account, "at": instant }),
                )
                .await;
            assert_eq!(
                answer["balanceAsOf"],
                money(*expected),
                "seed={seed} at {instant}"
            );
        }
    }

    eprintln!("replay test: {} stays settled", settled.len());
    let live = server.ok(&cast.admin.token, ACCOUNTS_PAGE, json!({})).await;
    let live_shift = server
        .ok(&cast.cashier.token, SHIFT, json!({ "id": shift }))
        .await;
    for edge in live["accounts"]["edges"].as_array().unwrap() {
        let node = &edge["node"];
        let id = node["id"].as_str().unwrap();
        let balance = fen(node["balance"].as_str().unwrap());
        assert_eq!(balance, balances[id], "seed={seed}: balance of {id}");
        let sum = fen(node["deposited"].as_str().unwrap())
            - fen(node["deducted"].as_str().unwrap())
            + fen(node["reversed"].as_str().unwrap())
            - fen(node["refunded"].as_str().unwrap());
        // A settled stay's balance also holds the settlement (and is 0.00).
        if !settled.contains(id) {
            assert_eq!(
                sum, balance,
                "seed={seed}: the balance is the sum of its movements"
            );
        }
        assert_eq!(node["inArrears"], Value::Bool(balance < 0));
    }
    assert_eq!(
        fen(live_shift["shift"]["expectedCash"].as_str().unwrap()),
        cash,
        "seed={seed}: expected cash"
    );

    // The daily balance relation, against the model: opening 0 + flows = closing = Σ balances.
    let daily = server
        .ok(&controller.token, DAILY, json!({ "date": today }))
        .await;
    let report = &daily["dailyReport"];
    let total: i64 = balances.values().sum();
    assert_eq!(report["openingLiability"], "0.00", "seed={seed}");
    assert_eq!(report["deposits"], money(flows[0]), "seed={seed}");
    assert_eq!(report["deductions"], money(flows[1]), "seed={seed}");
    assert_eq!(report["reversals"], money(flows[2]), "seed={seed}");
    assert_eq!(report["refunds"], money(flows[3]), "seed={seed}");
    assert_eq!(
        report["settlementEffect"],
        money(settlement_effect),
        "seed={seed}"
    );
    assert_eq!(report["closingLiability"], money(total), "seed={seed}");
    assert_eq!(
        flows[0] - flows[1] + flows[2] - flows[3] - settlement_effect,
        total,
        "seed={seed}: the model balances"
    );
    assert_eq!(report["balances"], true, "seed={seed}");

    let data = server.stop();
    data.forget_views().await;
    let rebuilt = Server::start_with(data, &["--time-zone", &zone]);
    assert_eq!(
        rebuilt
            .ok(&cast.admin.token, ACCOUNTS_PAGE, json!({}))
            .await,
        live,
        "seed={seed}"
    );
    assert_eq!(
        rebuilt
            .ok(&cast.cashier.token, SHIFT, json!({ "id": shift }))
            .await,
        live_shift,
        "seed={seed}"
    );
    let rebuilt_daily = rebuilt
        .ok(&controller.token, DAILY, json!({ "date": today }))
        .await;
    assert_eq!(rebuilt_daily, daily, "seed={seed}");
}
