//! The end-to-end harness: starts the real `yika` binary on a free port with a temporary data
//! directory and talks GraphQL over HTTP to it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

/// The `yika` binary Cargo built for these tests.
pub const YIKA: &str = env!("CARGO_BIN_EXE_yika");

/// A ledger's stores: a temporary data directory, and, when the tests run on PostgreSQL
/// (`YIKA_E2E_BACKEND=postgres` with `YIKA_TEST_POSTGRES_URL`), a fresh database of its own
/// holding both the events and the views (dropped with the ledger).
pub struct Ledger {
    /// The data directory (always made: replays and benchmarks go there).
    pub data: tempfile::TempDir,
    postgres: Option<PgDatabase>,
}

impl Ledger {
    /// A fresh ledger on the backend the tests run on.
    pub fn new() -> Ledger {
        Ledger {
            data: tempfile::tempdir().expect("a temporary directory"),
            postgres: on_postgres().then(PgDatabase::create),
        }
    }

    /// A fresh ledger on PostgreSQL whatever the tests run on, or `None` (saying the test was
    /// skipped) without `YIKA_TEST_POSTGRES_URL`, which `YIKA_REQUIRE_POSTGRES=1` forbids.
    pub fn postgres(test: &str) -> Option<Ledger> {
        if std::env::var("YIKA_TEST_POSTGRES_URL").map_or(true, |u| u.is_empty()) {
            assert!(
                std::env::var("YIKA_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "YIKA_REQUIRE_POSTGRES=1 but YIKA_TEST_POSTGRES_URL is not set"
            );
            eprintln!("SKIPPED {test}: set YIKA_TEST_POSTGRES_URL to run it on PostgreSQL");
            return None;
        }
        Some(Ledger {
            data: tempfile::tempdir().expect("a temporary directory"),
            postgres: Some(PgDatabase::create()),
        })
    }

    /// A ledger in an existing SQLite data directory (a replay's, for instance).
    pub fn sqlite_dir(data: tempfile::TempDir) -> Ledger {
        Ledger {
            data,
            postgres: None,
        }
    }

    /// The same PostgreSQL ledger for a second server (another API replica), with a data
    /// directory of its own; the database stays owned by `self`.
    pub fn replica(&self) -> Ledger {
        let db = self
            .postgres
            .as_ref()
            .expect("replicas share a PostgreSQL ledger");
        Ledger {
            data: tempfile::tempdir().expect("a temporary directory"),
            postgres: Some(PgDatabase {
                admin_url: db.admin_url.clone(),
                name: db.name.clone(),
                url: db.url.clone(),
                owned: false,
            }),
        }
    }

    /// The PostgreSQL database's URL, when the ledger is there.
    pub fn postgres_url(&self) -> Option<String> {
        self.postgres.as_ref().map(|db| db.url.clone())
    }

    /// The data directory.
    pub fn path(&self) -> &Path {
        self.data.path()
    }

    /// The arguments that point a `yika` command at this ledger.
    pub fn args(&self) -> Vec<String> {
        let mut args = vec!["--data".to_owned(), self.data.path().display().to_string()];
        if let Some(db) = &self.postgres {
            args.extend([
                "--event-store".to_owned(),
                db.url.clone(),
                "--read-store".to_owned(),
                db.url.clone(),
            ]);
        }
        args
    }

    /// A `yika` command on this ledger (`yika SUBCOMMAND … --data DIR [--event-store …]`).
    pub fn yika(&self, subcommand: &[&str]) -> Command {
        let mut command = Command::new(YIKA);
        command
            .args(self.args())
            .args(subcommand)
            .env("RUST_LOG", "warn");
        command
    }

    /// Forgets every view (the server must be stopped): the next start rebuilds them from the
    /// log alone. SQLite: deletes read.db; PostgreSQL: empties the view tables.
    pub async fn forget_views(&self) {
        match &self.postgres {
            None => {
                for file in ["read.db", "read.db-wal", "read.db-shm"] {
                    let _ = std::fs::remove_file(self.data.path().join(file));
                }
            }
            Some(db) => {
                use sqlx::Connection as _;
                let mut conn = sqlx::PgConnection::connect(&db.url).await.expect("connect");
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' \
                     AND tablename NOT IN ('events', 'log_head') AND tablename NOT LIKE '\\_yika%'",
                )
                .fetch_all(&mut conn)
                .await
                .expect("the view tables");
                for table in tables {
                    let sql = if table == "checkpoints" {
                        "UPDATE checkpoints SET position = 0".to_owned()
                    } else {
                        format!("DELETE FROM {table}")
                    };
                    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                        .execute(&mut conn)
                        .await
                        .expect("emptied");
                }
            }
        }
    }
}

/// Whether the end-to-end tests run on PostgreSQL (`YIKA_E2E_BACKEND=postgres`).
pub fn on_postgres() -> bool {
    std::env::var("YIKA_E2E_BACKEND").as_deref() == Ok("postgres")
}

/// A database of its own on the PostgreSQL test server.
pub struct PgDatabase {
    admin_url: String,
    name: String,
    /// Its URL.
    pub url: String,
    /// Whether dropping this drops the database (a replica's handle does not).
    owned: bool,
}

impl PgDatabase {
    /// Creates one (on a helper thread: callers may be inside a runtime).
    pub fn create() -> PgDatabase {
        let admin_url = std::env::var("YIKA_TEST_POSTGRES_URL")
            .expect("YIKA_E2E_BACKEND=postgres needs YIKA_TEST_POSTGRES_URL");
        let name = format!("yika_e2e_{}", uuid());
        let (server, _) = admin_url
            .rsplit_once('/')
            .expect("YIKA_TEST_POSTGRES_URL names a database");
        let url = format!("{server}/{name}");
        let sql = format!("CREATE DATABASE {name}");
        run_on_postgres(&admin_url, sql);
        PgDatabase {
            admin_url,
            name,
            url,
            owned: true,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if !self.owned {
            return;
        }
        run_on_postgres(
            &self.admin_url,
            format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

fn run_on_postgres(url: &str, sql: String) {
    let url = url.to_owned();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            use sqlx::Connection as _;
            let mut conn = sqlx::PgConnection::connect(&url)
                .await
                .expect("the PostgreSQL test server answers");
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut conn)
                .await
                .expect("the statement runs");
        });
    })
    .join()
    .expect("the helper thread");
}

/// A running server on a ledger; killed on drop.
pub struct Server {
    child: Child,
    /// The GraphQL endpoint.
    pub url: String,
    /// The ledger it serves.
    pub data: Ledger,
    client: reqwest::Client,
}

/// A registered staff member.
#[derive(Clone, Debug)]
pub struct StaffMember {
    pub id: String,
    pub token: String,
}

impl Server {
    /// Starts `yika serve --listen 127.0.0.1:0` on a fresh ledger.
    pub fn start() -> Server {
        Server::start_in(Ledger::new())
    }

    /// Starts a server on an existing ledger.
    pub fn start_in(data: Ledger) -> Server {
        Server::start_with(data, &[])
    }

    /// Starts a server on a fresh ledger with extra `yika serve` arguments.
    pub fn start_args(args: &[&str]) -> Server {
        Server::start_with(Ledger::new(), args)
    }

    pub fn start_with(data: Ledger, args: &[&str]) -> Server {
        Server::spawn(data, args, "warn", Stdio::inherit())
    }

    /// Starts a server on a fresh ledger that logs at `info` into `log`.
    pub fn start_logging(log: &Path, args: &[&str]) -> Server {
        let file = std::fs::File::create(log).expect("a log file");
        Server::spawn(Ledger::new(), args, "info", Stdio::from(file))
    }

    fn spawn(data: Ledger, args: &[&str], level: &str, stderr: Stdio) -> Server {
        let server = Server::spawn_unready(data, args, level, stderr);
        server.wait_ready();
        server
    }

    /// Waits until `/readyz` answers 200: the views have caught up with the log (the server
    /// listens while they do).
    pub fn wait_ready(&self) {
        let started = std::time::Instant::now();
        loop {
            let (status, body) = self.get_blocking("/readyz");
            if status == 200 {
                return;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(60),
                "the server never got ready: {status} {body}"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// The server's base URL (`http://127.0.0.1:PORT`).
    pub fn base(&self) -> &str {
        self.url.trim_end_matches("/graphql")
    }

    /// A GET of `path` without an async runtime: (status, body).
    pub fn get_blocking(&self, path: &str) -> (u16, String) {
        use std::io::{Read as _, Write as _};
        let address = self.base().trim_start_matches("http://").to_owned();
        let Ok(mut stream) = std::net::TcpStream::connect(&address) else {
            return (0, String::new());
        };
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
        if stream.write_all(request.as_bytes()).is_err() {
            return (0, String::new());
        }
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        let status = answer
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = answer.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
        (status, body)
    }

    /// Starts a server without waiting for its views.
    pub fn spawn_unready(data: Ledger, args: &[&str], level: &str, stderr: Stdio) -> Server {
        let mut child = Command::new(YIKA)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(data.args())
            .args(args)
            .env("RUST_LOG", level)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("the yika binary starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("yika prints its address");
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_owned();
        Server {
            child,
            url,
            data,
            client: reqwest::Client::new(),
        }
    }

    /// Stops the server and hands back its ledger.
    pub fn stop(mut self) -> Ledger {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let placeholder = Ledger {
            data: tempfile::tempdir().expect("placeholder"),
            postgres: None,
        };
        std::mem::replace(&mut self.data, placeholder)
    }

    /// Registers staff with `yika staff add --json` beside the running server.
    pub fn staff_add(
        &self,
        staff_no: &str,
        name: &str,
        role: &str,
        department: Option<&str>,
    ) -> StaffMember {
        staff_add_to(&self.data, staff_no, name, role, department)
    }

    /// POSTs a GraphQL request and returns the whole JSON answer.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = self
            .client
            .post(&self.url)
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the server answers");
        assert!(response.status().is_success(), "HTTP {}", response.status());
        response.json().await.expect("a JSON answer")
    }

    /// Runs a GraphQL request that must succeed; returns `data`.
    pub async fn ok(&self, token: &str, query: &str, variables: Value) -> Value {
        let answer = self.gql(Some(token), query, variables).await;
        assert!(
            answer.get("errors").is_none(),
            "unexpected errors: {answer}"
        );
        answer["data"].clone()
    }

    /// Runs a GraphQL request that must be refused; returns the first error's code.
    pub async fn refused(&self, token: Option<&str>, query: &str, variables: Value) -> String {
        let answer = self.gql(token, query, variables).await;
        let code = answer["errors"][0]["extensions"]["code"].as_str();
        code.unwrap_or_else(|| panic!("expected a refusal with a code, got {answer}"))
            .to_owned()
    }

    /// How many events the log holds (read straight from the SQLite file or the database).
    pub async fn event_count(&self) -> i64 {
        match &self.data.postgres {
            None => event_count(self.data.path()).await,
            Some(db) => {
                use sqlx::Connection as _;
                let mut conn = sqlx::PgConnection::connect(&db.url).await.expect("connect");
                sqlx::query_scalar("SELECT COUNT(*) FROM events")
                    .fetch_one(&mut conn)
                    .await
                    .expect("count")
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Registers staff with the CLI on a ledger.
pub fn staff_add_to(
    ledger: &Ledger,
    staff_no: &str,
    name: &str,
    role: &str,
    department: Option<&str>,
) -> StaffMember {
    let mut command = ledger.yika(&[
        "staff",
        "add",
        "--json",
        "--staff-no",
        staff_no,
        "--name",
        name,
        "--role",
        role,
    ]);
    if let Some(department) = department {
        command.args(["--department", department]);
    }
    let output = command.output().expect("yika staff add runs");
    assert!(
        output.status.success(),
        "staff add failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line: Value = serde_json::from_slice(&output.stdout).expect("one JSON line");
    StaffMember {
        id: line["staffId"].as_str().expect("staffId").to_owned(),
        token: line["token"].as_str().expect("token").to_owned(),
    }
}

/// A SQLite file of a data directory, opened read-only.
pub async fn read_only(file: &Path) -> sqlx::SqliteConnection {
    use sqlx::ConnectOptions;
    sqlx::sqlite::SqliteConnectOptions::new()
        .filename(file)
        .read_only(true)
        .connect()
        .await
        .expect("the file opens read-only")
}

/// Counts the events in a data directory's log.
pub async fn event_count(data: &Path) -> i64 {
    let mut conn = read_only(&data.join("events.db")).await;
    sqlx::query_scalar("SELECT COUNT(*) FROM events")
        .fetch_one(&mut conn)
        .await
        .expect("count")
}

/// The usual cast of a test: an admin, a cashier and three departments.
pub struct Cast {
    pub admin: StaffMember,
    pub cashier: StaffMember,
    pub lab: StaffMember,
    pub imaging: StaffMember,
    pub pharmacy: StaffMember,
}

impl Cast {
    pub fn register(server: &Server) -> Cast {
        Cast {
            admin: server.staff_add("A001", "Admin", "ADMIN", None),
            cashier: server.staff_add("C001", "Wang Fang", "CASHIER", None),
            lab: server.staff_add("D-LAB", "Lab terminal", "DEPARTMENT", Some("Lab")),
            imaging: server.staff_add("D-IMG", "Imaging terminal", "DEPARTMENT", Some("Imaging")),
            pharmacy: server.staff_add(
                "D-PHA",
                "Pharmacy terminal",
                "DEPARTMENT",
                Some("Pharmacy"),
            ),
        }
    }
}

pub const OPEN_SHIFT: &str = "mutation($window: String!, $float: Money!, $key: String!) {
  openShift(input: { window: $window, openingFloat: $float, idempotencyKey: $key }) { id status openingFloat expectedCash }
}";
pub const OPEN_ACCOUNT: &str = "mutation($kind: AccountKind!, $patient: String!, $card: String!, $key: String!) {
  openAccount(input: { kind: $kind, patientId: $patient, cardNo: $card, idempotencyKey: $key }) { id status balance revision }
}";
pub const DEPOSIT: &str = "mutation($account: UUID!, $amount: Money!, $method: PaymentMethod!, $shift: UUID!, $key: String!) {
  deposit(input: { accountId: $account, amount: $amount, method: $method, shiftId: $shift, idempotencyKey: $key }) {
    id amount method receiptNo account { balance deposited }
  }
}";
pub const DEDUCT: &str = "mutation($account: UUID!, $amount: Money!, $department: String!, $order: String!, $item: String!) {
  deduct(input: { accountId: $account, amount: $amount, department: $department, orderId: $order, itemCode: $item }) {
    id amount reversedAmount department orderId account { balance }
  }
}";
pub const REVERSE: &str = "mutation($deduction: UUID!, $amount: Money!, $reason: ReversalReason!, $key: String!) {
  reverseDeduction(input: { deductionId: $deduction, amount: $amount, reason: $reason, idempotencyKey: $key }) {
    id amount reversedAmount account { balance }
  }
}";
pub const REFUND: &str = "mutation($account: UUID!, $amount: Money, $method: PaymentMethod!, $shift: UUID!, $key: String!) {
  refundBalance(input: { accountId: $account, amount: $amount, method: $method, shiftId: $shift, idempotencyKey: $key }) {
    id amount method receiptNo account { balance refunded }
  }
}";
pub const CLOSE_ACCOUNT: &str = "mutation($account: UUID!, $key: String!) {
  closeAccount(input: { accountId: $account, idempotencyKey: $key }) { id status balance }
}";
pub const CLOSE_SHIFT: &str = "mutation($shift: UUID!, $counted: Money!) {
  closeShift(input: { shiftId: $shift, countedCash: $counted }) {
    id status expectedCash countedCash variance transactionCount
    received { method amount } paidOut { method amount }
  }
}";
pub const ACCOUNT: &str = "query($id: UUID!) {
  account(id: $id) { id status balance deposited deducted reversed refunded inArrears revision }
}";

/// Opens a shift for `cashier` and returns its id.
pub async fn open_shift(server: &Server, cashier: &StaffMember, float: &str) -> String {
    let data = server
        .ok(
            &cashier.token,
            OPEN_SHIFT,
            json!({ "window": "W1", "float": float, "key": format!("shift-{}", uuid()) }),
        )
        .await;
    data["openShift"]["id"]
        .as_str()
        .expect("shift id")
        .to_owned()
}

/// Opens an outpatient card and returns its id.
pub async fn open_card(server: &Server, cashier: &StaffMember, card: &str) -> String {
    let data = server
        .ok(&cashier.token, OPEN_ACCOUNT, json!({ "kind": "OUTPATIENT_CARD", "patient": format!("P-{card}"), "card": card, "key": format!("open-{card}") }))
        .await;
    data["openAccount"]["id"]
        .as_str()
        .expect("account id")
        .to_owned()
}

/// Deposits and returns the answer's `deposit`.
pub async fn deposit(
    server: &Server,
    cashier: &StaffMember,
    account: &str,
    shift: &str,
    amount: &str,
) -> Value {
    let variables = json!({ "account": account, "amount": amount, "method": "CASH", "shift": shift, "key": format!("dep-{}", uuid()) });
    server.ok(&cashier.token, DEPOSIT, variables).await["deposit"].clone()
}

/// A fresh unique string.
pub fn uuid() -> String {
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

/// A fixed-offset time zone ("Etc/GMT-8" is UTC+8) in which the local hour now is about
/// `hour`, and today's local date there: tests of daily reports then never straddle midnight.
pub fn zone_with_local_hour(hour: i64) -> (String, String) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64;
    let utc_hour = (now / 3600) % 24;
    let mut offset = (hour - utc_hour).rem_euclid(24);
    if offset > 14 {
        offset -= 24;
    }
    let zone = match offset {
        0 => "Etc/GMT".to_owned(),
        o if o > 0 => format!("Etc/GMT-{o}"),
        o => format!("Etc/GMT+{}", -o),
    };
    let local_days = (now + offset * 3600).div_euclid(86_400);
    (zone, civil_date(local_days))
}

/// The proleptic Gregorian date of a day number since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Now plus `offset_secs`, as an RFC 3339 UTC instant.
pub fn utc_in(offset_secs: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64;
    let t = now + offset_secs;
    let secs = t.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        civil_date(t.div_euclid(86_400)),
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Runs a `yika` command that must end by itself (a refusal to start, say) and returns its
/// output; fails the test, killing it, when it runs for a minute (a server that started).
pub fn output_of_ending(mut command: Command) -> std::process::Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("yika starts");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().expect("waitable").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let output = child.wait_with_output().expect("its output");
            panic!(
                "{command:?} did not end: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.wait_with_output().expect("its output")
}

/// Debian's headless Chromium loading `url` with a profile in `profile` (and `extra` flags);
/// its output, the page's DOM on stdout (`--dump-dom`).
pub fn chromium_dom(url: &str, profile: &Path, extra: &[&str]) -> std::process::Output {
    Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            &format!("--user-data-dir={}", profile.display()),
            "--dump-dom",
        ])
        .args(extra)
        .arg(url)
        .output()
        .expect("chromium runs")
}
