//! The read store and its queries. Money comes out as [`Money`], never as a float.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyConnection, AnyPool, Row};
use tokio::sync::watch;
use uuid::Uuid;
use yika_domain::{AccountId, Money, PaymentMethod, ShiftId, StaffId};

use crate::ProjectionError;

use crate::sql::Backend;

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite/read");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres/read");

/// The largest page any list query returns.
pub const MAX_PAGE: usize = 200;

/// The read store: the view tables (in a SQLite file or a PostgreSQL database, through one
/// code path), plus the position the views have reached.
#[derive(Clone)]
pub struct ReadStore {
    pool: AnyPool,
    /// The SQLite read store's writer thread (the runner's batches go there).
    sqlite: Option<Arc<crate::sqlite_writer::SqliteWriter>>,
    /// Why the views stopped applying the log, while they are stopped.
    stalled: Arc<std::sync::Mutex<Option<String>>>,
    backend: Backend,
    applied: Arc<watch::Sender<u64>>,
}

/// A page of rows and whether more follow.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The rows, each with its cursor.
    pub rows: Vec<(T, String)>,
    /// More rows follow the last one.
    pub has_next_page: bool,
    /// Rows matching the filter in all pages.
    pub total_count: i64,
}

pub(crate) fn parse_uuid(text: &str) -> Result<Uuid, ProjectionError> {
    Uuid::from_str(text).map_err(|e| ProjectionError::Corrupt(format!("uuid {text:?}: {e}")))
}

pub(crate) fn parse_time(text: &str) -> Result<DateTime<Utc>, ProjectionError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| ProjectionError::Corrupt(format!("time {text:?}: {e}")))
}

pub(crate) fn parse_enum<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, ProjectionError> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|e| ProjectionError::Corrupt(format!("enum {text:?}: {e}")))
}

/// A staff member as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRow {
    /// Id.
    pub staff_id: StaffId,
    /// Staff number.
    pub staff_no: String,
    /// Name.
    pub name: String,
    /// Role.
    pub role: yika_domain::Role,
    /// Department (DEPARTMENT role only).
    pub department: Option<String>,
}

impl StaffRow {
    fn from_row(row: &AnyRow) -> Result<StaffRow, ProjectionError> {
        Ok(StaffRow {
            staff_id: StaffId(parse_uuid(&row.try_get::<String, _>("staff_id")?)?),
            staff_no: row.try_get("staff_no")?,
            name: row.try_get("name")?,
            role: parse_enum(&row.try_get::<String, _>("role")?)?,
            department: row.try_get("department")?,
        })
    }
}

/// One row of the balances view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    /// Id.
    pub account_id: AccountId,
    /// Kind.
    pub kind: yika_domain::AccountKind,
    /// "OPEN" or "CLOSED".
    pub closed: bool,
    /// Patient id.
    pub patient_id: String,
    /// Card number.
    pub card_no: String,
    /// Insurance scheme.
    pub insurance_scheme: yika_domain::InsuranceScheme,
    /// Balance.
    pub balance: Money,
    /// Deposited.
    pub deposited: Money,
    /// Deducted.
    pub deducted: Money,
    /// Reversed.
    pub reversed: Money,
    /// Refunded.
    pub refunded: Money,
    /// Last event on the account.
    pub last_activity_at: Option<DateTime<Utc>>,
    /// The account stream's revision.
    pub revision: i64,
}

impl AccountRow {
    fn from_row(row: &AnyRow) -> Result<AccountRow, ProjectionError> {
        let last: Option<String> = row.try_get("last_activity_at")?;
        Ok(AccountRow {
            account_id: AccountId(parse_uuid(&row.try_get::<String, _>("account_id")?)?),
            kind: parse_enum(&row.try_get::<String, _>("kind")?)?,
            closed: row.try_get::<String, _>("status")? == "CLOSED",
            patient_id: row.try_get("patient_id")?,
            card_no: row.try_get("card_no")?,
            insurance_scheme: parse_enum(&row.try_get::<String, _>("insurance_scheme")?)?,
            balance: Money::from_fen(row.try_get("balance_fen")?),
            deposited: Money::from_fen(row.try_get("deposited_fen")?),
            deducted: Money::from_fen(row.try_get("deducted_fen")?),
            reversed: Money::from_fen(row.try_get("reversed_fen")?),
            refunded: Money::from_fen(row.try_get("refunded_fen")?),
            last_activity_at: last.as_deref().map(parse_time).transpose()?,
            revision: row.try_get("revision")?,
        })
    }
}

/// One deduction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeductionRow {
    /// Id (the ChargeDeducted event's id).
    pub deduction_id: Uuid,
    /// Account.
    pub account_id: AccountId,
    /// Amount.
    pub amount: Money,
    /// Reversed so far.
    pub reversed: Money,
    /// Executing department.
    pub department: String,
    /// Order id.
    pub order_id: String,
    /// Item code.
    pub item_code: String,
    /// Who executed it.
    pub executor_id: Option<StaffId>,
    /// When.
    pub recorded_at: DateTime<Utc>,
}

/// Per-method totals of a shift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodTotals {
    /// Method.
    pub method: PaymentMethod,
    /// Received.
    pub received: Money,
    /// Paid out.
    pub paid_out: Money,
    /// Counted at close (blind count), if any.
    pub counted: Option<Money>,
    /// Declared by the cashier at the hand-over, if any.
    pub declared: Option<Money>,
}

/// One shift report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftRow {
    /// Id.
    pub shift_id: ShiftId,
    /// The cashier.
    pub cashier_id: StaffId,
    /// Window.
    pub window: String,
    /// OPEN, CLOSED.
    pub status: String,
    /// Opened at.
    pub opened_at: DateTime<Utc>,
    /// Closed at.
    pub closed_at: Option<DateTime<Utc>>,
    /// Float.
    pub opening_float: Money,
    /// Counted cash at close.
    pub counted_cash: Option<Money>,
    /// Deposits and refunds recorded in it.
    pub transaction_count: i64,
    /// Receipts issued.
    pub receipts_issued: i64,
    /// Receipt numbers voided.
    pub receipts_voided: i64,
    /// Receipt numbers missing between the shift's first and last used number.
    pub receipt_gaps: Vec<String>,
    /// Cash handed over to finance.
    pub handed_over: Option<Money>,
    /// The controller who received it.
    pub handed_over_to: Option<StaffId>,
    /// When finance received it.
    pub handed_over_at: Option<DateTime<Utc>>,
    /// The cash the cashier declared they hand over.
    pub declared_cash: Option<Money>,
    /// How the cash variance was resolved (CASHIER_REPAYS, WRITTEN_OFF, FOUND), if it was.
    pub variance_resolution: Option<String>,
    /// The controller's note on the resolution.
    pub variance_note: Option<String>,
    /// Counts of the drawer, oldest first.
    pub cash_counts: Vec<CashCountRow>,
    /// Totals per method, in [`PaymentMethod::ALL`] order.
    pub methods: Vec<MethodTotals>,
}

impl ShiftRow {
    /// Float + cash received − cash paid out.
    #[must_use]
    pub fn expected_cash(&self) -> Money {
        let cash = self
            .methods
            .iter()
            .find(|m| m.method == PaymentMethod::Cash);
        self.opening_float + cash.map_or(Money::ZERO, |m| m.received - m.paid_out)
    }

    /// Counted − expected at close: negative is short (短款), positive is over (长款).
    #[must_use]
    pub fn variance(&self) -> Option<Money> {
        self.counted_cash
            .map(|counted| counted - self.expected_cash())
    }
}

/// One count of a drawer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashCountRow {
    /// When.
    pub at: DateTime<Utc>,
    /// Counted cash.
    pub counted: Money,
    /// What the drawer should have held.
    pub expected: Money,
    /// Who counted.
    pub counted_by: StaffId,
    /// A surprise count by an auditor (else a routine count by the cashier).
    pub surprise: bool,
    /// The counter's note.
    pub note: Option<String>,
}

/// Filters of the `shifts` list.
#[derive(Debug, Clone, Default)]
pub struct ShiftFilter {
    /// The cashier.
    pub cashier_id: Option<StaffId>,
    /// The window.
    pub window: Option<String>,
    /// OPEN or CLOSED.
    pub status: Option<String>,
    /// Opened in `[from, to)`.
    pub opened_between: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

/// Filters of the `accounts` list.
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    /// Kind.
    pub kind: Option<yika_domain::AccountKind>,
    /// Closed (true) or open (false).
    pub closed: Option<bool>,
    /// Patient id.
    pub patient_id: Option<String>,
    /// Balance below zero.
    pub in_arrears: Option<bool>,
}

/// A `sqlite://` URL for a file path (absolute, with the characters URLs reserve escaped).
fn sqlite_url(path: &Path) -> Result<String, ProjectionError> {
    let absolute = std::path::absolute(path).map_err(|e| {
        ProjectionError::Corrupt(format!("read store path {}: {e}", path.display()))
    })?;
    let text = absolute.to_str().ok_or_else(|| {
        ProjectionError::Corrupt(format!("read store path {} is not UTF-8", path.display()))
    })?;
    let escaped = text
        .replace('%', "%25")
        .replace('?', "%3F")
        .replace('#', "%23")
        .replace(' ', "%20");
    Ok(format!("sqlite://{escaped}"))
}

impl ReadStore {
    /// Opens (creating if needed) a SQLite read store file and applies its migrations.
    pub async fn open(path: &Path) -> Result<ReadStore, ProjectionError> {
        ReadStore::connect(&sqlite_url(path)?).await
    }

    /// Opens the read store at `url`: `sqlite://…` (the file is created, as the event store's
    /// is, unless the URL names another `mode`) or `postgres://…` (`postgresql://…`), and
    /// applies its migrations (on PostgreSQL tracked in `_yika_read_migrations`, so the event
    /// store may share the database).
    pub async fn connect(url: &str) -> Result<ReadStore, ProjectionError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(ProjectionError::Corrupt(format!(
                "a read store URL starts with sqlite:// or postgres://, got {url:?}"
            )));
        };
        let url = match backend {
            Backend::Sqlite => match url.split_once('?') {
                None => format!("{url}?mode=rwc"),
                Some((_, query)) if !query.contains("mode=") => format!("{url}&mode=rwc"),
                Some(_) => url.to_owned(),
            },
            _ => url.to_owned(),
        };
        let pool = ReadStore::pool_of(backend, &url, 8, "-8192").await?;
        match backend {
            Backend::Sqlite => SQLITE_MIGRATOR.run(&pool).await?,
            Backend::Postgres => {
                let mut migrator = sqlx::migrate::Migrator {
                    migrations: POSTGRES_MIGRATOR.migrations.clone(),
                    ..sqlx::migrate::Migrator::DEFAULT
                };
                migrator.dangerous_set_table_name("_yika_read_migrations");
                migrator.run(&pool).await?;
            }
        }
        let mut conn = pool.acquire().await?;
        let checkpoint = ReadStore::checkpoint_in(&mut conn, crate::runner::PROJECTION).await?;
        drop(conn);
        let (applied, _) = watch::channel(checkpoint);
        let sqlite = match backend {
            Backend::Sqlite => {
                let path = crate::sqlite_writer::sqlite_path(&url).ok_or_else(|| {
                    ProjectionError::Corrupt(format!("a read store URL names no file: {url:?}"))
                })?;
                Some(Arc::new(crate::sqlite_writer::SqliteWriter::open(&path)?))
            }
            Backend::Postgres => None,
        };
        Ok(ReadStore {
            pool,
            sqlite,
            stalled: Arc::default(),
            backend,
            applied: Arc::new(applied),
        })
    }

    /// A pool of `connections` to `url`; on SQLite each connection gets `cache_size` (negative:
    /// KiB) of page cache, and checkpoints the WAL every ~40 MiB (the views are rebuilt from the
    /// log after a crash, so NORMAL synchronization is enough here).
    async fn pool_of(
        backend: Backend,
        url: &str,
        connections: u32,
        cache_size: &'static str,
    ) -> Result<AnyPool, ProjectionError> {
        let options = AnyPoolOptions::new().max_connections(connections);
        let options = match backend {
            Backend::Sqlite => options.after_connect(move |conn, _| {
                Box::pin(async move {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                         PRAGMA busy_timeout = 10000; PRAGMA cache_size = {cache_size}; \
                         PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 10000;"
                    )))
                    .execute(conn)
                    .await
                    .map(|_| ())
                })
            }),
            Backend::Postgres => options,
        };
        Ok(options.connect(url).await?)
    }

    /// Which database this is.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A transaction that reads one snapshot of the views (REPEATABLE READ on PostgreSQL; a
    /// SQLite transaction is a snapshot from its first read).
    pub async fn snapshot(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, ProjectionError> {
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }

    /// The pool, for reads.
    #[must_use]
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Before a rebuild from zero into a new SQLite read store (`yika replay --into`): drops
    /// the secondary indexes, answering the statements that make them again
    /// ([`ReadStore::create_indexes`], once the views are built). Rows are then written into
    /// their tables' primary keys alone, and each index is built once, sorted, at the end
    /// (docs/performance.md). Nothing is dropped from views already built or on PostgreSQL.
    pub async fn drop_secondary_indexes(&self) -> Result<Vec<String>, ProjectionError> {
        if self.backend != Backend::Sqlite || self.position() != 0 {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
             AND sql NOT LIKE 'CREATE UNIQUE%' ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut made = Vec::with_capacity(rows.len());
        for row in &rows {
            let name: String = row.try_get("name")?;
            let sql: String = row.try_get("sql")?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP INDEX \"{}\"",
                name.replace('"', "\"\"")
            )))
            .execute(&self.pool)
            .await?;
            made.push(sql);
        }
        Ok(made)
    }

    /// Makes the indexes [`ReadStore::drop_secondary_indexes`] dropped.
    pub async fn create_indexes(&self, statements: &[String]) -> Result<(), ProjectionError> {
        if statements.is_empty() {
            return Ok(());
        }
        // One connection, its schema brought up to date first: SQLite checks a new index's name
        // against the connection's cached schema when the statement is prepared, so a pooled
        // connection idle since before the indexes were dropped (on another connection) would
        // refuse them as "already exists". Reading `sqlite_master` reloads a stale schema.
        let mut conn = self.pool.acquire().await?;
        sqlx::query("SELECT COUNT(*) FROM sqlite_master")
            .execute(&mut *conn)
            .await?;
        for sql in statements {
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }

    /// The SQLite read store's writer thread.
    pub(crate) fn sqlite_writer(&self) -> Option<&crate::sqlite_writer::SqliteWriter> {
        self.sqlite.as_deref()
    }

    /// Closes the file.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub(crate) async fn checkpoint_in(
        conn: &mut AnyConnection,
        projection: &str,
    ) -> Result<u64, ProjectionError> {
        let position: Option<i64> =
            sqlx::query_scalar("SELECT position FROM checkpoints WHERE projection = $1")
                .bind(projection)
                .fetch_optional(conn)
                .await?;
        Ok(u64::try_from(position.unwrap_or(0)).expect("checkpoints are not negative"))
    }

    /// The checkpoint, locked until the transaction ends where the backend allows several
    /// runners (PostgreSQL: `FOR UPDATE`; one process owns a SQLite read store).
    pub(crate) async fn lock_checkpoint(
        &self,
        conn: &mut AnyConnection,
        projection: &str,
    ) -> Result<u64, ProjectionError> {
        if self.backend == Backend::Sqlite {
            return ReadStore::checkpoint_in(conn, projection).await;
        }
        let position: Option<i64> =
            sqlx::query_scalar("SELECT position FROM checkpoints WHERE projection = $1 FOR UPDATE")
                .bind(projection)
                .fetch_optional(conn)
                .await?;
        Ok(u64::try_from(position.unwrap_or(0)).expect("checkpoints are not negative"))
    }

    pub(crate) fn applied_to(&self, position: u64) {
        self.applied.send_replace(position);
    }

    /// The position the views have reached.
    #[must_use]
    pub fn position(&self) -> u64 {
        *self.applied.borrow()
    }

    /// A signal carrying the position the views have reached: live subscriptions wait on it, so
    /// whatever they then read from the views includes the change.
    #[must_use]
    pub fn applied(&self) -> watch::Receiver<u64> {
        self.applied.subscribe()
    }

    /// Why the views stopped applying the log (an event a view cannot apply, the read store
    /// failing), while they are stopped; the runner keeps retrying.
    #[must_use]
    pub fn stalled(&self) -> Option<String> {
        self.stalled.lock().expect("never poisoned").clone()
    }

    pub(crate) fn set_stalled(&self, why: Option<String>) {
        *self.stalled.lock().expect("never poisoned") = why;
    }

    /// Waits until the views include `position` (read your own writes); false on timeout, and
    /// at once while the views are stalled.
    pub async fn wait_for(&self, position: u64, timeout: Duration) -> bool {
        if self.position() < position && self.stalled().is_some() {
            return false;
        }
        let mut applied = self.applied.subscribe();
        tokio::time::timeout(timeout, applied.wait_for(|p| *p >= position))
            .await
            .is_ok()
    }

    /// The staff member holding a token, by the token's SHA-256.
    pub async fn staff_by_token_hash(
        &self,
        token_sha256: &str,
    ) -> Result<Option<StaffRow>, ProjectionError> {
        let row = sqlx::query("SELECT * FROM staff WHERE token_sha256 = $1")
            .bind(token_sha256)
            .fetch_optional(&self.pool)
            .await?;
        if row.is_some() {
            return row.as_ref().map(StaffRow::from_row).transpose();
        }
        let row = sqlx::query(
            "SELECT s.* FROM staff_tokens t JOIN staff s ON s.staff_id = t.staff_id \
             WHERE t.token_sha256 = $1",
        )
        .bind(token_sha256)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(StaffRow::from_row).transpose()
    }

    /// A staff member by id.
    pub async fn staff(&self, staff_id: StaffId) -> Result<Option<StaffRow>, ProjectionError> {
        let row = sqlx::query("SELECT * FROM staff WHERE staff_id = $1")
            .bind(staff_id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(StaffRow::from_row).transpose()
    }

    /// An account by id.
    pub async fn account(
        &self,
        account_id: AccountId,
    ) -> Result<Option<AccountRow>, ProjectionError> {
        let row = sqlx::query("SELECT * FROM accounts WHERE account_id = $1")
            .bind(account_id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(AccountRow::from_row).transpose()
    }

    /// The account holding a card number: the open one, else the most recently opened.
    pub async fn account_by_card_no(
        &self,
        card_no: &str,
    ) -> Result<Option<AccountRow>, ProjectionError> {
        let row = sqlx::query(
            "SELECT * FROM accounts WHERE card_no = $1 ORDER BY status = 'OPEN' DESC, opened_position DESC LIMIT 1",
        )
        .bind(card_no)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(AccountRow::from_row).transpose()
    }

    /// One page of `table` in the order its rows were opened (`opened_position`, the cursor),
    /// filtered by `filter` (which starts the WHERE clause): at most `first` rows after `after`,
    /// whether more follow, and how many match in all.
    async fn page_rows(
        &self,
        table: &'static str,
        columns: &'static str,
        filter: impl Fn(&mut crate::sql::Sql),
        first: usize,
        after: Option<i64>,
    ) -> Result<(Vec<AnyRow>, bool, i64), ProjectionError> {
        let mut count = crate::sql::Sql::new(format!("SELECT COUNT(*) FROM {table}"));
        filter(&mut count);
        let total_count: i64 = count.build_query_scalar().fetch_one(&self.pool).await?;
        let mut query = crate::sql::Sql::new(format!("SELECT {columns} FROM {table}"));
        filter(&mut query);
        if let Some(after) = after {
            query.push(" AND opened_position > ").push_bind(after);
        }
        query
            .push(" ORDER BY opened_position LIMIT ")
            .push_bind(i64::try_from(first + 1).expect("small"));
        let mut rows = query.build().fetch_all(&self.pool).await?;
        let has_next_page = rows.len() > first;
        rows.truncate(first);
        Ok((rows, has_next_page, total_count))
    }

    /// A page of accounts in the order they were opened. `after` is a cursor from a prior page.
    pub async fn accounts(
        &self,
        filter: &AccountFilter,
        first: usize,
        after: Option<i64>,
    ) -> Result<Page<AccountRow>, ProjectionError> {
        assert!(first <= MAX_PAGE, "callers check the page size");
        fn push_filter(query: &mut crate::sql::Sql, filter: &AccountFilter) {
            query.push(" WHERE 1 = 1");
            if let Some(kind) = filter.kind {
                query
                    .push(" AND kind = ")
                    .push_bind(crate::views_enum(&kind));
            }
            if let Some(closed) = filter.closed {
                query
                    .push(" AND status = ")
                    .push_bind(if closed { "CLOSED" } else { "OPEN" });
            }
            if let Some(patient_id) = &filter.patient_id {
                query
                    .push(" AND patient_id = ")
                    .push_bind(patient_id.clone());
            }
            match filter.in_arrears {
                Some(true) => {
                    query.push(" AND balance_fen < 0");
                }
                Some(false) => {
                    query.push(" AND balance_fen >= 0");
                }
                None => {}
            }
        }
        let (rows, has_next_page, total_count) = self
            .page_rows("accounts", "*", |q| push_filter(q, filter), first, after)
            .await?;
        let mut page = Vec::with_capacity(first);
        for row in &rows {
            let cursor: i64 = row.try_get("opened_position")?;
            page.push((AccountRow::from_row(row)?, cursor.to_string()));
        }
        Ok(Page {
            rows: page,
            has_next_page,
            total_count,
        })
    }

    /// A deduction by id.
    pub async fn deduction(
        &self,
        deduction_id: Uuid,
    ) -> Result<Option<DeductionRow>, ProjectionError> {
        let row = sqlx::query("SELECT * FROM deductions WHERE deduction_id = $1")
            .bind(deduction_id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let executor: Option<String> = row.try_get("executor_id")?;
        Ok(Some(DeductionRow {
            deduction_id: parse_uuid(&row.try_get::<String, _>("deduction_id")?)?,
            account_id: AccountId(parse_uuid(&row.try_get::<String, _>("account_id")?)?),
            amount: Money::from_fen(row.try_get("amount_fen")?),
            reversed: Money::from_fen(row.try_get("reversed_fen")?),
            department: row.try_get("department")?,
            order_id: row.try_get("order_id")?,
            item_code: row.try_get("item_code")?,
            executor_id: executor
                .as_deref()
                .map(parse_uuid)
                .transpose()?
                .map(StaffId),
            recorded_at: parse_time(&row.try_get::<String, _>("recorded_at")?)?,
        }))
    }

    /// A shift report by id.
    pub async fn shift(&self, shift_id: ShiftId) -> Result<Option<ShiftRow>, ProjectionError> {
        let row = sqlx::query("SELECT * FROM shifts WHERE shift_id = $1")
            .bind(shift_id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let method_rows = sqlx::query("SELECT * FROM shift_methods WHERE shift_id = $1")
            .bind(shift_id.to_string())
            .fetch_all(&self.pool)
            .await?;
        let mut methods = Vec::new();
        for method in PaymentMethod::ALL {
            if let Some(m) = method_rows
                .iter()
                .find(|r| r.try_get::<String, _>("method").ok().as_deref() == Some(method.as_str()))
            {
                let counted: Option<i64> = m.try_get("counted_fen")?;
                let declared: Option<i64> = m.try_get("declared_fen")?;
                methods.push(MethodTotals {
                    method,
                    received: Money::from_fen(m.try_get("received_fen")?),
                    paid_out: Money::from_fen(m.try_get("paid_out_fen")?),
                    counted: counted.map(Money::from_fen),
                    declared: declared.map(Money::from_fen),
                });
            }
        }
        let closed_at: Option<String> = row.try_get("closed_at")?;
        let counted: Option<i64> = row.try_get("counted_cash_fen")?;
        let handed_over: Option<i64> = row.try_get("handed_over_fen")?;
        let handed_over_to: Option<String> = row.try_get("handed_over_to")?;
        let handed_over_at: Option<String> = row.try_get("handed_over_at")?;
        let declared: Option<i64> = row.try_get("declared_cash_fen")?;
        let counts = sqlx::query("SELECT * FROM cash_counts WHERE shift_id = $1 ORDER BY position")
            .bind(shift_id.to_string())
            .fetch_all(&self.pool)
            .await?;
        let mut cash_counts = Vec::with_capacity(counts.len());
        for count in &counts {
            cash_counts.push(CashCountRow {
                at: parse_time(&count.try_get::<String, _>("counted_at")?)?,
                counted: Money::from_fen(count.try_get("counted_fen")?),
                expected: Money::from_fen(count.try_get("expected_fen")?),
                counted_by: StaffId(parse_uuid(&count.try_get::<String, _>("counted_by")?)?),
                surprise: count.try_get::<i64, _>("surprise")? != 0,
                note: count.try_get("note")?,
            });
        }
        let receipts = sqlx::query(
            "SELECT sequence, receipt_no FROM receipts WHERE shift_id = $1 ORDER BY sequence",
        )
        .bind(shift_id.to_string())
        .fetch_all(&self.pool)
        .await?;
        let mut receipt_gaps = Vec::new();
        for pair in receipts.windows(2) {
            let (a, b): (i64, i64) = (pair[0].try_get("sequence")?, pair[1].try_get("sequence")?);
            let number: String = pair[0].try_get("receipt_no")?;
            let series = number.rsplit_once('-').map_or("", |(series, _)| series);
            for missing in (a + 1)..b.min(a + 1 + MAX_PAGE as i64) {
                receipt_gaps.push(format!("{series}-{missing:08}"));
            }
        }
        Ok(Some(ShiftRow {
            shift_id,
            cashier_id: StaffId(parse_uuid(&row.try_get::<String, _>("cashier_id")?)?),
            window: row.try_get("window")?,
            status: row.try_get("status")?,
            opened_at: parse_time(&row.try_get::<String, _>("opened_at")?)?,
            closed_at: closed_at.as_deref().map(parse_time).transpose()?,
            opening_float: Money::from_fen(row.try_get("opening_float_fen")?),
            counted_cash: counted.map(Money::from_fen),
            transaction_count: row.try_get("transaction_count")?,
            receipts_issued: row.try_get("receipts_issued")?,
            receipts_voided: row.try_get("receipts_voided")?,
            receipt_gaps,
            handed_over: handed_over.map(Money::from_fen),
            handed_over_to: handed_over_to
                .as_deref()
                .map(parse_uuid)
                .transpose()?
                .map(StaffId),
            handed_over_at: handed_over_at.as_deref().map(parse_time).transpose()?,
            declared_cash: declared.map(Money::from_fen),
            variance_resolution: row.try_get("variance_resolution")?,
            variance_note: row.try_get("variance_note")?,
            cash_counts,
            methods,
        }))
    }

    /// A page of shift reports in the order they were opened.
    pub async fn shifts(
        &self,
        filter: &ShiftFilter,
        first: usize,
        after: Option<i64>,
    ) -> Result<Page<ShiftRow>, ProjectionError> {
        assert!(first <= MAX_PAGE, "callers check the page size");
        fn push_filter(query: &mut crate::sql::Sql, filter: &ShiftFilter) {
            query.push(" WHERE 1 = 1");
            if let Some(cashier) = filter.cashier_id {
                query
                    .push(" AND cashier_id = ")
                    .push_bind(cashier.to_string());
            }
            if let Some(window) = &filter.window {
                query.push(" AND \"window\" = ").push_bind(window.clone());
            }
            if let Some(status) = &filter.status {
                query.push(" AND status = ").push_bind(status.clone());
            }
            if let Some((from, to)) = filter.opened_between {
                query
                    .push(" AND opened_at >= ")
                    .push_bind(yika_store::time::format_time(from));
                query
                    .push(" AND opened_at < ")
                    .push_bind(yika_store::time::format_time(to));
            }
        }
        let (rows, has_next_page, total_count) = self
            .page_rows(
                "shifts",
                "shift_id, opened_position",
                |q| push_filter(q, filter),
                first,
                after,
            )
            .await?;
        let mut page = Vec::with_capacity(first);
        for row in &rows {
            let id = ShiftId(parse_uuid(&row.try_get::<String, _>("shift_id")?)?);
            let cursor: i64 = row.try_get("opened_position")?;
            let shift = self
                .shift(id)
                .await?
                .ok_or_else(|| ProjectionError::Corrupt(format!("shift {id} vanished")))?;
            page.push((shift, cursor.to_string()));
        }
        Ok(Page {
            rows: page,
            has_next_page,
            total_count,
        })
    }

    /// Other cashiers' shifts whose open interval overlaps `[from, to)` (`to` = now for an
    /// open shift): a shift with none at night was worked alone.
    pub async fn overlapping_shifts(
        &self,
        shift: &ShiftRow,
        to: DateTime<Utc>,
    ) -> Result<i64, ProjectionError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM shifts WHERE cashier_id <> $1 AND opened_at < $2 \
             AND (closed_at IS NULL OR closed_at > $3)",
        )
        .bind(shift.cashier_id.to_string())
        .bind(yika_store::time::format_time(to))
        .bind(yika_store::time::format_time(shift.opened_at))
        .fetch_one(&self.pool)
        .await?;
        Ok(count)
    }
}
