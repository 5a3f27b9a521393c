//! Crashes and the bank workload: an acknowledged write survives `kill -9`, a retry with the
//! same key never doubles one, and money is conserved under concurrent deposits, deductions,
//! reversals and refunds.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::*;

/// The event types of a deposit's receipt and of the four money movements on a card.
const RECEIPT: &str = "ReceiptIssued";
const DEPOSITED: &str = "DepositReceived";
const DEDUCTED: &str = "ChargeDeducted";
const REVERSED: &str = "DeductionReversed";
const REFUNDED: &str = "BalanceRefunded";

const COUNT_EVENTS: &str = "query($types: [String!]) { auditTrail(filter: { eventTypes: $types }, first: 1) { totalCount } }";
const TRIAL_BALANCE: &str = "{ trialBalance { balanced totalDebit totalCredit } }";
const VERIFY: &str = "{ verifyLedger { eventsChecked chainIntact firstBrokenPosition viewsMatchReplay mismatches } }";
const SHIFT: &str = "query($id: UUID!) { shift(id: $id) { expectedCash } }";

/// The seed of the tests' choices: `YIKA_E2E_SEED` replays a run's choices (the interleaving
/// of the requests and the moment of each kill are the machine's).
fn seed(test: &str) -> u64 {
    let seed = std::env::var("YIKA_E2E_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    eprintln!("{test}: seed {seed} (YIKA_E2E_SEED={seed} replays its choices)");
    seed
}

/// A generator of its own for each worker of each round.
fn rng(seed: u64, stream: u64) -> fastrand::Rng {
    fastrand::Rng::with_seed(seed ^ (stream + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// Cents as a money string.
fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.abs() / 100, cents.abs() % 100)
}

/// A money string (`"12.30"`, `"-0.50"`) as cents.
fn cents(value: &Value) -> i64 {
    let text = value.as_str().unwrap_or_else(|| panic!("money: {value}"));
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (units, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    let fraction = format!("{fraction:0<2}");
    let amount =
        units.parse::<i64>().expect("units") * 100 + fraction[..2].parse::<i64>().expect("fen");
    if negative { -amount } else { amount }
}

/// What a client learned of one command.
#[derive(Clone, Debug)]
enum Outcome {
    /// HTTP 200 with data and no errors: the mutation's answer.
    Acked(Value),
    /// Refused with this code: nothing was written.
    Refused(String),
    /// Unknown: no answer at all (`answered` false: a connection refused, cut or timed out),
    /// or an answer that leaves it open (ANSWER_INCOMPLETE, CONFLICT). Ask again with the same
    /// key. `sent`: the request may have reached the server (anything but a refused
    /// connection).
    Unknown {
        answered: bool,
        sent: bool,
        why: String,
    },
}

/// A client of its own with a timeout, so that a killed server never hangs a request.
#[derive(Clone)]
struct Client {
    http: reqwest::Client,
}

impl Client {
    fn new() -> Client {
        Client {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("an HTTP client"),
        }
    }

    /// Sends a mutation and says what came of it; `field` is the mutation's name.
    async fn send(
        &self,
        url: &str,
        token: &str,
        query: &str,
        variables: Value,
        field: &str,
    ) -> Outcome {
        let request = self
            .http
            .post(url)
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }));
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => {
                return Outcome::Unknown {
                    answered: false,
                    sent: !error.is_connect(),
                    why: format!("no answer: {error}"),
                };
            }
        };
        let status = response.status();
        let answer: Value = match response.json().await {
            Ok(answer) => answer,
            Err(error) => {
                return Outcome::Unknown {
                    answered: false,
                    sent: true,
                    why: format!("HTTP {status} without a whole answer: {error}"),
                };
            }
        };
        assert!(status.is_success(), "HTTP {status}: {answer}");
        match answer["errors"][0]["extensions"]["code"].as_str() {
            None => {
                assert!(
                    answer.get("errors").is_none() && answer["data"][field].is_object(),
                    "neither data nor a refusal with a code: {answer}"
                );
                Outcome::Acked(answer["data"][field].clone())
            }
            Some("ANSWER_INCOMPLETE" | "CONFLICT") => Outcome::Unknown {
                answered: true,
                sent: true,
                why: answer.to_string(),
            },
            Some(code) => Outcome::Refused(code.to_owned()),
        }
    }
}

/// What the workers of a test need: the cards, the cashier's shift, and the tokens.
struct Desk {
    cards: Vec<String>,
    shift: String,
    cashier: String,
    /// (department, its terminal's token)
    departments: Vec<(&'static str, String)>,
}

impl Desk {
    async fn open(server: &Server, cast: &Cast, cards: usize, initial: i64) -> Desk {
        let shift = open_shift(server, &cast.cashier, "0.00").await;
        let mut ids = Vec::new();
        for n in 0..cards {
            let card = open_card(server, &cast.cashier, &format!("CARD-{n:03}")).await;
            deposit(server, &cast.cashier, &card, &shift, &money(initial)).await;
            ids.push(card);
        }
        Desk {
            cards: ids,
            shift,
            cashier: cast.cashier.token.clone(),
            departments: vec![
                ("Lab", cast.lab.token.clone()),
                ("Imaging", cast.imaging.token.clone()),
                ("Pharmacy", cast.pharmacy.token.clone()),
            ],
        }
    }
}

/// A money command on a card, with its key chosen before the first try.
#[derive(Clone, Debug)]
enum Op {
    /// A deposit at the cashier's window.
    Deposit {
        card: usize,
        cents: i64,
        method: &'static str,
        key: String,
    },
    /// A department's deduction; the order id is its key.
    Deduct {
        card: usize,
        cents: i64,
        department: usize,
        order: String,
    },
    /// A department's reversal of (part of) one of its deductions.
    Reverse {
        card: usize,
        cents: i64,
        department: usize,
        deduction: String,
        key: String,
    },
    /// A refund of part of a card's balance, paid by WeChat (no drawer limit).
    Refund {
        card: usize,
        cents: i64,
        key: String,
    },
}

impl Op {
    async fn send(&self, client: &Client, url: &str, desk: &Desk) -> Outcome {
        match self {
            Op::Deposit {
                card,
                cents,
                method,
                key,
            } => {
                let variables = json!({ "account": desk.cards[*card], "amount": money(*cents),
                    "method": method, "shift": desk.shift, "key": key });
                client
                    .send(url, &desk.cashier, DEPOSIT, variables, "deposit")
                    .await
            }
            Op::Deduct {
                card,
                cents,
                department,
                order,
            } => {
                let (name, token) = &desk.departments[*department];
                let variables = json!({ "account": desk.cards[*card], "amount": money(*cents),
                    "department": name, "order": order, "item": "CRASH" });
                client.send(url, token, DEDUCT, variables, "deduct").await
            }
            Op::Reverse {
                cents,
                department,
                deduction,
                key,
                ..
            } => {
                let (_, token) = &desk.departments[*department];
                let variables = json!({ "deduction": deduction, "amount": money(*cents),
                    "reason": "DRUG_RETURN", "key": key });
                client
                    .send(url, token, REVERSE, variables, "reverseDeduction")
                    .await
            }
            Op::Refund { card, cents, key } => {
                let variables = json!({ "account": desk.cards[*card], "amount": money(*cents),
                    "method": "WECHAT", "shift": desk.shift, "key": key });
                client
                    .send(url, &desk.cashier, REFUND, variables, "refundBalance")
                    .await
            }
        }
    }

    /// The refusals this command may meet in these workloads: a card without enough money.
    fn may_be_refused_with(&self, code: &str) -> bool {
        matches!(self, Op::Deduct { .. } | Op::Refund { .. }) && code == "INSUFFICIENT_BALANCE"
    }

    fn card(&self) -> usize {
        match self {
            Op::Deposit { card, .. }
            | Op::Deduct { card, .. }
            | Op::Reverse { card, .. }
            | Op::Refund { card, .. } => *card,
        }
    }

    /// Checks an acknowledged answer against the command: its amount, and a card never below
    /// zero.
    fn check_answer(&self, answer: &Value) {
        match self {
            Op::Deposit { cents: amount, .. }
            | Op::Deduct { cents: amount, .. }
            | Op::Refund { cents: amount, .. } => {
                assert_eq!(cents(&answer["amount"]), *amount, "{self:?}: {answer}");
            }
            Op::Reverse { deduction, .. } => {
                assert_eq!(answer["id"], json!(deduction), "{self:?}: {answer}");
            }
        }
        assert!(
            cents(&answer["account"]["balance"]) >= 0,
            "{self:?} left the card below zero: {answer}"
        );
    }
}

/// Sends a command until it has a definite answer (acknowledged, or refused with a code it may
/// meet) on a running server: the same key every time.
async fn until_answered(client: &Client, url: &str, desk: &Desk, op: &Op) -> Outcome {
    let mut last = String::new();
    for attempt in 0..100 {
        match op.send(client, url, desk).await {
            Outcome::Acked(answer) => {
                op.check_answer(&answer);
                return Outcome::Acked(answer);
            }
            Outcome::Refused(code) => {
                assert!(op.may_be_refused_with(&code), "{op:?} refused: {code}");
                return Outcome::Refused(code);
            }
            Outcome::Unknown { why, .. } => last = why,
        }
        tokio::time::sleep(Duration::from_millis(10 * (attempt + 1).min(10))).await;
    }
    panic!("{op:?} never got an answer from a running server; last: {last}");
}

/// Sends every acknowledged command again with its key, `parallel` at a time: each answers
/// with its first result (the same id and amount).
async fn retry_acknowledged(
    client: &Client,
    url: &str,
    desk: &Arc<Desk>,
    acked: &Arc<Vec<(Op, Value)>>,
    parallel: usize,
) {
    let mut retries = Vec::new();
    for lane in 0..parallel {
        let (client, url, desk, acked) =
            (client.clone(), url.to_owned(), desk.clone(), acked.clone());
        retries.push(tokio::spawn(async move {
            for (op, answer) in acked.iter().skip(lane).step_by(parallel) {
                let again = until_answered(&client, &url, &desk, op).await;
                let Outcome::Acked(again) = again else {
                    panic!("{op:?} was acknowledged, now {again:?}");
                };
                assert_eq!(id_of(&again), id_of(answer), "{op:?}");
                assert_eq!(again["amount"], answer["amount"], "{op:?}");
            }
        }));
    }
    for retry in retries {
        retry.await.expect("retries");
    }
}

/// How many events of `event_type` the log holds, by the audit trail.
async fn events_of(server: &Server, auditor: &StaffMember, event_type: &str) -> i64 {
    let data = server
        .ok(
            &auditor.token,
            COUNT_EVENTS,
            json!({ "types": [event_type] }),
        )
        .await;
    data["auditTrail"]["totalCount"].as_i64().expect("a count")
}

/// How many deposits and deductions the log holds.
async fn money_moves(server: &Server, auditor: &StaffMember) -> i64 {
    events_of(server, auditor, DEPOSITED).await + events_of(server, auditor, DEDUCTED).await
}

/// The money on each card as the client saw it acknowledged, in cents.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Sums {
    deposited: i64,
    deducted: i64,
    reversed: i64,
    refunded: i64,
}

impl Sums {
    fn add(&mut self, op: &Op) {
        match op {
            Op::Deposit { cents, .. } => self.deposited += cents,
            Op::Deduct { cents, .. } => self.deducted += cents,
            Op::Reverse { cents, .. } => self.reversed += cents,
            Op::Refund { cents, .. } => self.refunded += cents,
        }
    }

    fn balance(&self) -> i64 {
        self.deposited - self.deducted + self.reversed - self.refunded
    }
}

/// Checks every card's view against the acknowledged commands (plus the opening deposit):
/// each part of the balance, the balance, and never below zero. Answers the sum of the
/// balances.
async fn check_cards(
    server: &Server,
    cast: &Cast,
    desk: &Desk,
    acked: &[(Op, Value)],
    initial: i64,
) -> i64 {
    let mut expected = vec![
        Sums {
            deposited: initial,
            ..Sums::default()
        };
        desk.cards.len()
    ];
    for (op, _) in acked {
        expected[op.card()].add(op);
    }
    let mut total = 0;
    for (n, card) in desk.cards.iter().enumerate() {
        let data = server
            .ok(&cast.cashier.token, ACCOUNT, json!({ "id": card }))
            .await;
        let account = &data["account"];
        let seen = Sums {
            deposited: cents(&account["deposited"]),
            deducted: cents(&account["deducted"]),
            reversed: cents(&account["reversed"]),
            refunded: cents(&account["refunded"]),
        };
        assert_eq!(seen, expected[n], "card {n}: {account}");
        let balance = cents(&account["balance"]);
        assert_eq!(balance, seen.balance(), "card {n}: {account}");
        assert!(balance >= 0, "card {n} is below zero: {account}");
        total += balance;
    }
    total
}

/// The trial balance is balanced, and the hash chain and every view verify against a replay,
/// over GraphQL and with `yika verify`.
async fn check_books(server: &Server, auditor: &StaffMember) {
    let trial = server.ok(&auditor.token, TRIAL_BALANCE, json!({})).await;
    let trial = &trial["trialBalance"];
    assert_eq!(trial["balanced"], true, "{trial}");
    assert_eq!(trial["totalDebit"], trial["totalCredit"], "{trial}");
    let verified = server.ok(&auditor.token, VERIFY, json!({})).await;
    let verified = &verified["verifyLedger"];
    assert_eq!(verified["chainIntact"], true, "{verified}");
    assert_eq!(verified["viewsMatchReplay"], true, "{verified}");
    assert_eq!(verified["mismatches"], json!([]), "{verified}");
    let cli = server.data.yika(&["verify"]).output().expect("verify runs");
    assert!(
        cli.status.success(),
        "yika verify: {}{}",
        String::from_utf8_lossy(&cli.stdout),
        String::from_utf8_lossy(&cli.stderr)
    );
}

/// The id an acknowledged answer names: the deposit's, refund's or deduction's.
fn id_of(answer: &Value) -> String {
    answer["id"].as_str().expect("an id").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_kill_9_and_nothing_is_doubled() {
    // Goal: twelve times, twelve workers send deposits (each with its own idempotency key) and
    // deductions (each with its own order id) on twenty cards until the server is killed with
    // SIGKILL at a random moment. Restarted on the same ledger, every acknowledged command
    // retried gives its first answer and writes nothing, and every command left without an
    // answer is retried with its key until it has one. Then the views hold exactly the
    // acknowledged commands: each card's balance and parts, one event per command (nothing
    // lost, nothing doubled), no card below zero, a balanced trial balance, a drawer holding
    // every deposit, and a ledger that verifies.
    const ROUNDS: u64 = 12;
    const WORKERS: u64 = 12;
    const CARDS: usize = 20;
    const INITIAL: i64 = 5000; // cents
    let seed = seed("kill -9");
    let mut server = Server::start();
    let cast = Cast::register(&server);
    let auditor = server.staff_add("AU01", "Auditor", "AUDITOR", None);
    let desk = Arc::new(Desk::open(&server, &cast, CARDS, INITIAL).await);
    let client = Client::new();
    let mut acked: Vec<(Op, Value)> = Vec::new();
    let mut refused = 0;

    for round in 0..ROUNDS {
        // The workers run until the server is gone.
        let mut workers = Vec::new();
        for worker in 0..WORKERS {
            let (client, desk, url) = (client.clone(), desk.clone(), server.url.clone());
            let mut rng = rng(seed, round * WORKERS + worker);
            workers.push(tokio::spawn(async move {
                let mut log: Vec<(Op, Outcome)> = Vec::new();
                for n in 0.. {
                    let card = rng.usize(..desk.cards.len());
                    let op = if rng.u32(..100) < 40 {
                        Op::Deposit {
                            card,
                            cents: rng.i64(100..=4000),
                            method: "CASH",
                            key: format!("crash-dep-{round}-{worker}-{n}"),
                        }
                    } else {
                        Op::Deduct {
                            card,
                            cents: rng.i64(100..=3000),
                            department: rng.usize(..desk.departments.len()),
                            order: format!("crash-ord-{round}-{worker}-{n}"),
                        }
                    };
                    let outcome = op.send(&client, &url, &desk).await;
                    let gone = matches!(
                        outcome,
                        Outcome::Unknown {
                            answered: false,
                            ..
                        }
                    );
                    log.push((op, outcome));
                    if gone {
                        break;
                    }
                }
                log
            }));
        }
        let mut delay = rng(seed, 1_000 + round);
        tokio::time::sleep(Duration::from_millis(delay.u64(100..=600))).await;
        let ledger = server.stop();
        let mut log = Vec::new();
        for worker in workers {
            log.extend(worker.await.expect("a worker"));
        }
        server = Server::start_in(ledger);

        // Every acknowledged command, retried with its key, answers as it did and writes
        // nothing: its write survived the kill once, and only once.
        let before = server.event_count().await;
        let mut this_round = Vec::new();
        let mut unknown = Vec::new();
        let mut refused_now = 0;
        for (op, outcome) in log {
            match outcome {
                Outcome::Acked(answer) => {
                    op.check_answer(&answer);
                    this_round.push((op, answer));
                }
                Outcome::Refused(code) => {
                    assert!(op.may_be_refused_with(&code), "{op:?} refused: {code}");
                    refused_now += 1;
                }
                Outcome::Unknown { sent, .. } => unknown.push((op, sent)),
            }
        }
        let acked_now = this_round.len();
        let this_round = Arc::new(this_round);
        retry_acknowledged(&client, &server.url, &desk, &this_round, WORKERS as usize).await;
        assert_eq!(
            server.event_count().await,
            before,
            "retrying acknowledged commands wrote something"
        );
        acked.extend(this_round.iter().cloned());

        // Every command left without an answer is asked again until it has one. Those the
        // log already held (their answer was lost to the kill) answer as recorded; the others
        // are decided now.
        let in_flight = unknown.iter().filter(|(_, sent)| *sent).count();
        let unknown_now = unknown.len();
        let moves_before = money_moves(&server, &auditor).await;
        let mut answers = Vec::new();
        for (op, _) in unknown {
            let (client, desk, url) = (client.clone(), desk.clone(), server.url.clone());
            answers.push(tokio::spawn(async move {
                let outcome = until_answered(&client, &url, &desk, &op).await;
                (op, outcome)
            }));
        }
        let (mut written, mut not_written) = (0, 0);
        for answer in answers {
            match answer.await.expect("an answer") {
                (op, Outcome::Acked(answer)) => {
                    written += 1;
                    acked.push((op, answer));
                }
                _ => not_written += 1,
            }
        }
        let recorded_before = written - (money_moves(&server, &auditor).await - moves_before);
        refused += refused_now + not_written;
        eprintln!(
            "round {round}: killed after {acked_now} acknowledged, {refused_now} refused, \
             {unknown_now} unknown ({in_flight} in flight; {recorded_before} of them recorded \
             before the kill, {} recorded by the retry, {not_written} refused)",
            written - recorded_before
        );
    }

    // Nothing lost, nothing doubled.
    let total = check_cards(&server, &cast, &desk, &acked, INITIAL).await;
    let deposits: Vec<&Value> = acked
        .iter()
        .filter(|(op, _)| matches!(op, Op::Deposit { .. }))
        .map(|(_, answer)| answer)
        .collect();
    let deductions = acked.len() - deposits.len();
    let ids: HashSet<String> = acked.iter().map(|(_, answer)| id_of(answer)).collect();
    assert_eq!(ids.len(), acked.len(), "two commands answered with one id");
    let cards = CARDS as i64;
    assert_eq!(
        events_of(&server, &auditor, DEPOSITED).await,
        cards + deposits.len() as i64
    );
    assert_eq!(
        events_of(&server, &auditor, RECEIPT).await,
        cards + deposits.len() as i64
    );
    assert_eq!(
        events_of(&server, &auditor, DEDUCTED).await,
        deductions as i64
    );
    let deposited: i64 = deposits.iter().map(|answer| cents(&answer["amount"])).sum();
    let drawer = server
        .ok(&cast.cashier.token, SHIFT, json!({ "id": desk.shift }))
        .await;
    assert_eq!(
        cents(&drawer["shift"]["expectedCash"]),
        cards * INITIAL + deposited,
        "the drawer holds every cash deposit once"
    );
    let charged: i64 = acked
        .iter()
        .filter(|(op, _)| matches!(op, Op::Deduct { .. }))
        .map(|(_, answer)| cents(&answer["amount"]))
        .sum();
    assert_eq!(total, cards * INITIAL + deposited - charged);
    check_books(&server, &auditor).await;
    eprintln!(
        "kill -9: {} deposits and {deductions} deductions acknowledged, {refused} refused, \
         over {ROUNDS} kills",
        deposits.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bank_workload_conserves_money() {
    // Goal: Jepsen's bank workload. Eight workers send 250 commands each over thirty cards:
    // deposits (cash or WeChat), deductions (a fifth of them sent twice at once with the same
    // order id), reversals of part of their own earlier deductions, and WeChat refunds. Every
    // answer leaves its card at or above zero; afterwards each card's deposited, deducted,
    // reversed and refunded are exactly what was acknowledged and its balance is
    // deposited − deducted + reversed − refunded, never negative; the cards together hold
    // the money that came in minus what went out; each command wrote one event, and retrying
    // every acknowledged command with its key answers the same and writes nothing; the
    // drawer, the trial balance and the ledger's verification agree.
    const WORKERS: u64 = 8;
    const OPS: usize = 250;
    const CARDS: usize = 30;
    const INITIAL: i64 = 10000; // cents
    let seed = seed("bank");
    let server = Server::start();
    let cast = Cast::register(&server);
    let auditor = server.staff_add("AU01", "Auditor", "AUDITOR", None);
    let desk = Arc::new(Desk::open(&server, &cast, CARDS, INITIAL).await);
    let client = Client::new();
    let started = std::time::Instant::now();

    let mut workers = Vec::new();
    for worker in 0..WORKERS {
        let (client, desk, url) = (client.clone(), desk.clone(), server.url.clone());
        let mut rng = rng(seed, worker);
        let department = worker as usize % desk.departments.len();
        workers.push(tokio::spawn(async move {
            let mut acked: Vec<(Op, Value)> = Vec::new();
            let mut refused = 0;
            // This worker's deductions: (card, id, cents left to reverse). Only this worker
            // reverses them, so it knows what is left of each.
            let mut own: Vec<(usize, String, i64)> = Vec::new();
            for n in 0..OPS {
                let card = rng.usize(..desk.cards.len());
                let mut choice = rng.u32(..100);
                if (60..80).contains(&choice) && own.iter().all(|(_, _, left)| *left == 0) {
                    choice = 30;
                }
                let op = match choice {
                    0..25 => Op::Deposit {
                        card,
                        cents: rng.i64(100..=8000),
                        method: if rng.bool() { "CASH" } else { "WECHAT" },
                        key: format!("bank-dep-{worker}-{n}"),
                    },
                    25..60 => Op::Deduct {
                        card,
                        cents: rng.i64(100..=6000),
                        department,
                        order: format!("bank-ord-{worker}-{n}"),
                    },
                    60..80 => {
                        let open: Vec<usize> = (0..own.len()).filter(|i| own[*i].2 > 0).collect();
                        let (card, deduction, left) = &own[open[rng.usize(..open.len())]];
                        Op::Reverse {
                            card: *card,
                            cents: rng.i64(1..=*left),
                            department,
                            deduction: deduction.clone(),
                            key: format!("bank-rev-{worker}-{n}"),
                        }
                    }
                    _ => Op::Refund {
                        card,
                        cents: rng.i64(100..=4000),
                        key: format!("bank-ref-{worker}-{n}"),
                    },
                };
                let twice = matches!(op, Op::Deduct { .. }) && rng.u32(..5) == 0;
                let outcome = if twice {
                    // The same deduction sent twice at once: one write, one deduction.
                    let (first, second) = tokio::join!(
                        until_answered(&client, &url, &desk, &op),
                        until_answered(&client, &url, &desk, &op)
                    );
                    match (first, second) {
                        (Outcome::Acked(a), Outcome::Acked(b)) => {
                            assert_eq!(id_of(&a), id_of(&b), "{op:?} applied twice");
                            Outcome::Acked(a)
                        }
                        // A deposit elsewhere may land between the two: the later one may
                        // pass where the first was refused.
                        (Outcome::Acked(a), refusal) | (refusal, Outcome::Acked(a)) => {
                            eprintln!("{op:?}: acknowledged once and {refusal:?}");
                            Outcome::Acked(a)
                        }
                        (refusal, _) => refusal,
                    }
                } else {
                    until_answered(&client, &url, &desk, &op).await
                };
                match outcome {
                    Outcome::Acked(answer) => {
                        match &op {
                            Op::Deduct { cents, .. } => own.push((card, id_of(&answer), *cents)),
                            Op::Reverse {
                                cents, deduction, ..
                            } => {
                                let entry = own
                                    .iter_mut()
                                    .find(|(_, id, _)| id == deduction)
                                    .expect("its own deduction");
                                entry.2 -= cents;
                                let deducted = cents_of_deduction(&answer);
                                assert_eq!(
                                    cents_of_reversed(&answer),
                                    deducted - entry.2,
                                    "{op:?}: {answer}"
                                );
                            }
                            _ => {}
                        }
                        acked.push((op, answer));
                    }
                    Outcome::Refused(_) => refused += 1,
                    Outcome::Unknown { .. } => unreachable!("until_answered answers"),
                }
            }
            (acked, refused)
        }));
    }
    let mut acked: Vec<(Op, Value)> = Vec::new();
    let mut refused = 0;
    for worker in workers {
        let (theirs, refusals) = worker.await.expect("a worker");
        acked.extend(theirs);
        refused += refusals;
    }
    let elapsed = started.elapsed();

    // Each card holds exactly what was acknowledged; together, what came in minus what went
    // out.
    let total = check_cards(&server, &cast, &desk, &acked, INITIAL).await;
    let mut sums = Sums {
        deposited: CARDS as i64 * INITIAL,
        ..Sums::default()
    };
    let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
    let mut cash = CARDS as i64 * INITIAL;
    for (op, _) in &acked {
        sums.add(op);
        let event_type = match op {
            Op::Deposit { method, cents, .. } => {
                if *method == "CASH" {
                    cash += cents;
                }
                DEPOSITED
            }
            Op::Deduct { .. } => DEDUCTED,
            Op::Reverse { .. } => REVERSED,
            Op::Refund { .. } => REFUNDED,
        };
        *counts.entry(event_type).or_default() += 1;
    }
    assert_eq!(total, sums.balance(), "money came from nowhere or vanished");
    *counts.entry(DEPOSITED).or_default() += CARDS as i64;
    for (event_type, count) in &counts {
        assert_eq!(
            events_of(&server, &auditor, event_type).await,
            *count,
            "{event_type} events"
        );
    }
    let drawer = server
        .ok(&cast.cashier.token, SHIFT, json!({ "id": desk.shift }))
        .await;
    assert_eq!(cents(&drawer["shift"]["expectedCash"]), cash);

    // Each key applies once: every acknowledged command, retried, answers the same and writes
    // nothing.
    let before = server.event_count().await;
    let acked = Arc::new(acked);
    retry_acknowledged(&client, &server.url, &desk, &acked, WORKERS as usize).await;
    assert_eq!(
        server.event_count().await,
        before,
        "a retried command wrote again"
    );
    check_books(&server, &auditor).await;
    eprintln!(
        "bank: {} acknowledged ({counts:?} with the opening deposits), {refused} refused, in {elapsed:?}",
        acked.len()
    );
}

/// A deduction answer's amount, in cents.
fn cents_of_deduction(answer: &Value) -> i64 {
    cents(&answer["amount"])
}

/// What a deduction answer says was reversed of it, in cents.
fn cents_of_reversed(answer: &Value) -> i64 {
    cents(&answer["reversedAmount"])
}
