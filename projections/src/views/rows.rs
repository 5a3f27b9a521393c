//! The rows of the view tables as the projectors build them: one record type per table (its
//! columns, in order, and how many of the first ones are its key), the rows a batch of events
//! adds or changes, loading the rows a batch needs, and writing back what it changed in a few
//! multi-row statements. The same rows folded in memory, without a database, are the replay that
//! `yika verify` compares the live views with.

use std::collections::{HashMap, HashSet};

use sqlx::any::AnyRow;

use crate::ProjectionError;
use crate::sql::{Backend, Sql};

/// One cell of a row: an integer or a text, either of which may be NULL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    /// An INTEGER (BIGINT) column.
    Int(Option<i64>),
    /// A TEXT column.
    Text(Option<String>),
}

/// Feeds one named cell of a row to `hasher` as a row's digest takes it: `name \0 value \0`,
/// the value written by `value` in its canonical form. The one layout of a hashed row, for
/// records, for rows read back from a read store and for cells already spelled out.
pub fn hash_named_cell(
    hasher: &mut sha2::Sha256,
    name: &str,
    value: impl FnOnce(&mut sha2::Sha256),
) {
    sha2::Digest::update(&mut *hasher, name.as_bytes());
    sha2::Digest::update(&mut *hasher, [0]);
    value(&mut *hasher);
    sha2::Digest::update(&mut *hasher, [0]);
}

/// A cell's value as a row's digest takes it, borrowed.
#[derive(Clone, Copy, Debug)]
pub enum CellRef<'a> {
    /// An integer, or NULL.
    Int(Option<i64>),
    /// A text, or NULL.
    Text(Option<&'a str>),
}

impl CellRef<'_> {
    /// Writes the cell as `yika verify` hashes it: `i<n>`, `t<len>:<text>` or `null`. The one
    /// spelling of a cell, whether written out or fed to a hash.
    ///
    /// Numbers are spelled by `itoa` (what `Display` spells, without the formatting machinery:
    /// `yika verify` spells every cell of every row it replays).
    fn write(self, out: &mut impl std::fmt::Write) -> std::fmt::Result {
        let mut digits = itoa::Buffer::new();
        match self {
            CellRef::Int(Some(n)) => {
                out.write_str("i")?;
                out.write_str(digits.format(n))
            }
            CellRef::Text(Some(t)) => {
                out.write_str("t")?;
                out.write_str(digits.format(t.len()))?;
                out.write_str(":")?;
                out.write_str(t)
            }
            CellRef::Int(None) | CellRef::Text(None) => out.write_str("null"),
        }
    }

    /// The cell as text.
    #[must_use]
    pub fn canonical(self) -> String {
        let mut text = String::new();
        self.write(&mut text)
            .expect("writing to a string does not fail");
        text
    }

    /// Feeds the cell to `hasher`, without building the text.
    pub fn hash_into(self, hasher: &mut sha2::Sha256) {
        self.write(&mut HashWriter(hasher))
            .expect("hashing does not fail");
    }
}

impl Cell {
    /// The cell as `yika verify` hashes it: `i<n>`, `t<len>:<text>` or `null`.
    #[must_use]
    pub fn canonical(&self) -> String {
        match self {
            Cell::Int(value) => CellRef::Int(*value),
            Cell::Text(value) => CellRef::Text(value.as_deref()),
        }
        .canonical()
    }

    fn bind(self, sql: &mut Sql) {
        match self {
            Cell::Int(value) => sql.push_bind(value),
            Cell::Text(value) => sql.push_bind(value),
        };
    }
}

impl rusqlite::ToSql for Cell {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Cell::Int(value) => value.to_sql(),
            Cell::Text(value) => value.to_sql(),
        }
    }
}

/// A Rust type a column holds.
pub trait Column: Sized {
    /// As a cell.
    fn cell(&self) -> Cell;
    /// Read from a row's column `index`.
    fn read(row: &AnyRow, index: usize) -> Result<Self, sqlx::Error>;
}

macro_rules! column {
    ($ty:ty, $variant:ident, $to:expr) => {
        impl Column for $ty {
            fn cell(&self) -> Cell {
                Cell::$variant($to(self))
            }
            fn read(row: &AnyRow, index: usize) -> Result<Self, sqlx::Error> {
                use sqlx::Row as _;
                row.try_get(index)
            }
        }
    };
}

/// A column's value written into a hash the way [`Cell::canonical`] spells it, without building
/// the text: `yika verify` hashes every row of a replay, so this is on its hot path.
pub trait Canonical {
    /// Feeds `i<n>`, `t<len>:<text>` or `null` to `hasher`.
    fn hash_into(&self, hasher: &mut sha2::Sha256);
}

/// Writes formatted text straight into a hash.
struct HashWriter<'a>(&'a mut sha2::Sha256);

impl std::fmt::Write for HashWriter<'_> {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        sha2::Digest::update(self.0, text.as_bytes());
        Ok(())
    }
}

impl Canonical for i64 {
    fn hash_into(&self, hasher: &mut sha2::Sha256) {
        CellRef::Int(Some(*self)).hash_into(hasher);
    }
}

impl Canonical for Option<i64> {
    fn hash_into(&self, hasher: &mut sha2::Sha256) {
        CellRef::Int(*self).hash_into(hasher);
    }
}

impl Canonical for String {
    fn hash_into(&self, hasher: &mut sha2::Sha256) {
        CellRef::Text(Some(self)).hash_into(hasher);
    }
}

impl Canonical for Option<String> {
    fn hash_into(&self, hasher: &mut sha2::Sha256) {
        CellRef::Text(self.as_deref()).hash_into(hasher);
    }
}

/// The indexes of `names` in byte order of the names (a record's columns as a row's digest
/// takes them), worked out when the program is compiled.
#[must_use]
pub const fn sorted_order<const N: usize>(names: [&str; N]) -> [usize; N] {
    const fn less(a: &str, b: &str) -> bool {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        let mut i = 0;
        while i < a.len() && i < b.len() {
            if a[i] != b[i] {
                return a[i] < b[i];
            }
            i += 1;
        }
        a.len() < b.len()
    }
    let mut order = [0; N];
    let mut i = 0;
    while i < N {
        order[i] = i;
        i += 1;
    }
    let mut i = 1;
    while i < N {
        let mut j = i;
        while j > 0 && less(names[order[j]], names[order[j - 1]]) {
            let earlier = order[j - 1];
            order[j - 1] = order[j];
            order[j] = earlier;
            j -= 1;
        }
        i += 1;
    }
    order
}

column!(i64, Int, |v: &i64| Some(*v));
column!(Option<i64>, Int, |v: &Option<i64>| *v);
column!(String, Text, |v: &String| Some(v.clone()));
column!(Option<String>, Text, |v: &Option<String>| v.clone());

/// The record of one table's row.
pub trait Record: Clone {
    /// The table.
    const TABLE: &'static str;
    /// Its columns, in order.
    const COLUMNS: &'static [&'static str];
    /// How many of the first columns make its primary key.
    const KEY_COLUMNS: usize;
    /// Its cells, in column order.
    fn cells(&self) -> Vec<Cell>;
    /// Feeds its cells to `hasher` as a row's digest takes them: by column name, each as
    /// `name \0 canonical value \0` (what hashing [`Record::cells`] sorted by name gives).
    fn hash_cells(&self, hasher: &mut sha2::Sha256);
    /// Reads it from a row that selected [`Record::COLUMNS`] in order.
    fn read(row: &AnyRow) -> Result<Self, sqlx::Error>;
    /// Reads it from a SQLite row that selected [`Record::COLUMNS`] in order.
    fn read_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self>;
    /// Binds its cells, in column order, to `statement`'s parameters `?1`, `?2`, ... in place
    /// (no owned copy of a text: the views' writer binds every row it writes).
    fn bind_sqlite(&self, statement: &mut rusqlite::Statement<'_>) -> rusqlite::Result<()>;
}

/// Declares a table's record: `Name = "table", key: N { column: Type, ... }`.
macro_rules! record {
    ($(#[$doc:meta])* $name:ident = $table:literal, key: $key:literal { $($column:ident: $ty:ty),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        #[allow(missing_docs)]
        pub struct $name {
            $(pub $column: $ty),+
        }

        impl $crate::views::rows::Record for $name {
            const TABLE: &'static str = $table;
            const COLUMNS: &'static [&'static str] = &[$(stringify!($column)),+];
            const KEY_COLUMNS: usize = $key;

            fn cells(&self) -> Vec<$crate::views::rows::Cell> {
                use $crate::views::rows::Column as _;
                vec![$(self.$column.cell()),+]
            }

            fn hash_cells(&self, hasher: &mut sha2::Sha256) {
                const NAMES: [&str; [$(stringify!($column)),+].len()] = [$(stringify!($column)),+];
                const ORDER: [usize; NAMES.len()] = $crate::views::rows::sorted_order(NAMES);
                let cells: [&dyn $crate::views::rows::Canonical; NAMES.len()] = [$(&self.$column),+];
                for index in ORDER {
                    $crate::views::rows::hash_named_cell(hasher, NAMES[index], |hasher| {
                        cells[index].hash_into(hasher)
                    });
                }
            }

            fn read(row: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
                use $crate::views::rows::Column as _;
                let mut index = 0..;
                Ok($name {
                    $($column: <$ty>::read(row, index.next().expect("a column index"))?),+
                })
            }

            fn read_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
                let mut index = 0..;
                Ok($name {
                    $($column: row.get(index.next().expect("a column index"))?),+
                })
            }

            fn bind_sqlite(&self, statement: &mut rusqlite::Statement<'_>) -> rusqlite::Result<()> {
                let mut index = 1..;
                $(statement.raw_bind_parameter(index.next().expect("a parameter index"), &self.$column)?;)+
                Ok(())
            }
        }
    };
}
pub(crate) use record;

/// Rows a batch adds to a table that events only ever add to.
#[derive(Debug)]
pub struct Added<R> {
    /// The new rows, in log order.
    pub rows: Vec<R>,
}

impl<R> Default for Added<R> {
    fn default() -> Self {
        Added { rows: Vec::new() }
    }
}

impl<R: Record> Added<R> {
    /// Adds a row.
    pub fn push(&mut self, row: R) {
        self.rows.push(row);
    }
}

/// Rows of a table that events change: those loaded from the read store and those created by
/// the batch, by key; the ones created or changed are written back.
#[derive(Debug)]
pub struct Changed<R> {
    rows: HashMap<String, (R, bool)>,
}

impl<R> Default for Changed<R> {
    fn default() -> Self {
        Changed {
            rows: HashMap::new(),
        }
    }
}

impl<R: Record> Changed<R> {
    /// The row with this key, if loaded or created.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&R> {
        self.rows.get(key).map(|(row, _)| row)
    }

    /// The row with this key, to change (it is written back).
    pub fn get_mut(&mut self, key: &str) -> Option<&mut R> {
        self.rows.get_mut(key).map(|(row, dirty)| {
            *dirty = true;
            row
        })
    }

    /// A new row (written back).
    pub fn insert(&mut self, key: String, row: R) {
        self.rows.insert(key, (row, true));
    }

    /// A row as the read store holds it (written back only if changed).
    fn loaded(&mut self, key: String, row: R) {
        self.rows.entry(key).or_insert((row, false));
    }

    /// Every row held, changed or not.
    pub fn all(&self) -> impl Iterator<Item = &R> {
        self.rows.values().map(|(row, _)| row)
    }

    /// The changed rows, marked written, borrowed.
    fn drain_changed(&mut self) -> impl Iterator<Item = &R> {
        self.rows
            .values_mut()
            .filter_map(|(row, dirty)| std::mem::replace(dirty, false).then_some(&*row))
    }

    /// The changed rows, marked written, owned.
    fn take_changed(&mut self) -> Vec<R> {
        self.drain_changed().cloned().collect()
    }
}

/// The keys of the rows a batch needs from the read store before it is folded.
#[derive(Debug, Default)]
pub struct Keys {
    /// Accounts.
    pub accounts: HashSet<String>,
    /// Deductions.
    pub deductions: HashSet<String>,
    /// Shifts (with their per-method rows).
    pub shifts: HashSet<String>,
}

/// The most parameters one statement binds (SQLite allows 32,766, PostgreSQL 65,535; a
/// statement's parse grows with its length, and a few thousand amortize the round trip).
const MAX_PARAMETERS: usize = 4_000;
/// The most keys one `IN (...)` list holds.
const MAX_IN_LIST: usize = 500;

/// Loads the rows of `table` whose key column is one of `keys`.
async fn load<R: Record>(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    key_column: &str,
    keys: &HashSet<String>,
) -> Result<Vec<R>, ProjectionError> {
    let keys: Vec<&String> = keys.iter().collect();
    let mut loaded = Vec::new();
    for chunk in keys.chunks(MAX_IN_LIST) {
        let mut sql = Sql::for_backend(
            backend,
            format!(
                "SELECT {} FROM {} WHERE \"{key_column}\" IN ",
                quoted(R::COLUMNS),
                R::TABLE
            ),
        );
        sql.push_bind_list(chunk.iter().map(|k| (*k).clone()));
        for row in sql.build().fetch_all(&mut *conn).await? {
            loaded.push(R::read(&row)?);
        }
    }
    Ok(loaded)
}

fn quoted(columns: &[&str]) -> String {
    columns
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes `rows` into their table in multi-row statements; `upsert` replaces the rows whose
/// key exists (every column but the key's).
async fn write<R: Record>(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    rows: Vec<R>,
    upsert: bool,
) -> Result<(), ProjectionError> {
    if rows.is_empty() {
        return Ok(());
    }
    let per_statement = (MAX_PARAMETERS / R::COLUMNS.len()).max(1);
    let head = format!("INSERT INTO {} ({}) VALUES ", R::TABLE, quoted(R::COLUMNS));
    let tail = if upsert {
        let key = quoted(&R::COLUMNS[..R::KEY_COLUMNS]);
        let set = R::COLUMNS[R::KEY_COLUMNS..]
            .iter()
            .map(|c| format!("\"{c}\" = excluded.\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        format!(" ON CONFLICT ({key}) DO UPDATE SET {set}")
    } else {
        String::new()
    };
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut sql = Sql::for_backend(backend, head.clone());
        for (n, row) in rows.by_ref().take(per_statement).enumerate() {
            sql.push(if n == 0 { "(" } else { ", (" });
            for (i, cell) in row.cells().into_iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                cell.bind(&mut sql);
            }
            sql.push(")");
        }
        sql.push(&tail);
        sql.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Loads the rows of `R`'s table whose `key_column` is one of `keys` (SQLite writer).
fn load_sqlite<R: Record>(
    conn: &rusqlite::Connection,
    key_column: &str,
    keys: &HashSet<String>,
) -> rusqlite::Result<Vec<R>> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {} FROM {} WHERE \"{key_column}\" = ?1",
        quoted(R::COLUMNS),
        R::TABLE
    ))?;
    let mut loaded = Vec::new();
    for key in keys {
        let mut rows = statement.query([key])?;
        while let Some(row) = rows.next()? {
            loaded.push(R::read_sqlite(row)?);
        }
    }
    Ok(loaded)
}

/// Writes `rows` one statement a row, the statement prepared once (SQLite writer).
fn write_sqlite<'a, R: Record + 'a>(
    conn: &rusqlite::Connection,
    rows: impl IntoIterator<Item = &'a R>,
    upsert: bool,
) -> rusqlite::Result<()> {
    let mut rows = rows.into_iter().peekable();
    if rows.peek().is_none() {
        return Ok(());
    }
    let placeholders = (1..=R::COLUMNS.len())
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut sql = format!(
        "INSERT INTO {} ({}) VALUES ({placeholders})",
        R::TABLE,
        quoted(R::COLUMNS)
    );
    if upsert {
        let key = quoted(&R::COLUMNS[..R::KEY_COLUMNS]);
        let set = R::COLUMNS[R::KEY_COLUMNS..]
            .iter()
            .map(|c| format!("\"{c}\" = excluded.\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        sql.push_str(&format!(" ON CONFLICT ({key}) DO UPDATE SET {set}"));
    }
    let mut statement = conn.prepare_cached(&sql)?;
    for row in rows {
        row.bind_sqlite(&mut statement)?;
        statement.raw_execute()?;
    }
    Ok(())
}

use super::tables::{
    AccountRecord, AuditRecord, CashCountRecord, CoefficientSetRecord, DayRecord, DeductionRecord,
    JournalRecord, MovementRecord, QualityDeductionRecord, ReceiptRecord, ShiftMethodRecord,
    ShiftRecord, StaffRecord, StaffTokenRecord, WorkloadActRecord,
};

/// The rows of every view that a batch of events adds or changes.
#[derive(Debug, Default)]
pub struct Rows {
    /// `staff`.
    pub staff: Added<StaffRecord>,
    /// `staff_tokens`.
    pub staff_tokens: Added<StaffTokenRecord>,
    /// `accounts`, by account id.
    pub accounts: Changed<AccountRecord>,
    /// `deductions`, by deduction id.
    pub deductions: Changed<DeductionRecord>,
    /// `shifts`, by shift id.
    pub shifts: Changed<ShiftRecord>,
    /// `shift_methods`, by "shift id/method".
    pub shift_methods: Changed<ShiftMethodRecord>,
    /// `receipts`.
    pub receipts: Added<ReceiptRecord>,
    /// `cash_counts`.
    pub cash_counts: Added<CashCountRecord>,
    /// `movements`.
    pub movements: Added<MovementRecord>,
    /// `journal`.
    pub journal: Added<JournalRecord>,
    /// `workload_acts`.
    pub workload_acts: Added<WorkloadActRecord>,
    /// `coefficient_sets`.
    pub coefficient_sets: Added<CoefficientSetRecord>,
    /// `quality_deductions`.
    pub quality_deductions: Added<QualityDeductionRecord>,
    /// `days`.
    pub days: Added<DayRecord>,
    /// `audit_index`.
    pub audit_index: Added<AuditRecord>,
}

/// The key of a shift's per-method row.
#[must_use]
pub fn shift_method_key(shift_id: &str, method: &str) -> String {
    format!("{shift_id}/{method}")
}

impl Rows {
    /// Loads the rows `keys` names from the read store.
    pub async fn load(
        &mut self,
        conn: &mut sqlx::AnyConnection,
        backend: Backend,
        keys: &Keys,
    ) -> Result<(), ProjectionError> {
        for row in load::<AccountRecord>(conn, backend, "account_id", &keys.accounts).await? {
            self.accounts.loaded(row.account_id.clone(), row);
        }
        for row in load::<DeductionRecord>(conn, backend, "deduction_id", &keys.deductions).await? {
            self.deductions.loaded(row.deduction_id.clone(), row);
        }
        for row in load::<ShiftRecord>(conn, backend, "shift_id", &keys.shifts).await? {
            self.shifts.loaded(row.shift_id.clone(), row);
        }
        for row in load::<ShiftMethodRecord>(conn, backend, "shift_id", &keys.shifts).await? {
            self.shift_methods
                .loaded(shift_method_key(&row.shift_id, &row.method), row);
        }
        Ok(())
    }

    /// Loads the rows `keys` names from a SQLite read store (the writer's connection).
    pub fn load_sqlite(
        &mut self,
        conn: &rusqlite::Connection,
        keys: &Keys,
    ) -> rusqlite::Result<()> {
        for row in load_sqlite::<AccountRecord>(conn, "account_id", &keys.accounts)? {
            self.accounts.loaded(row.account_id.clone(), row);
        }
        for row in load_sqlite::<DeductionRecord>(conn, "deduction_id", &keys.deductions)? {
            self.deductions.loaded(row.deduction_id.clone(), row);
        }
        for row in load_sqlite::<ShiftRecord>(conn, "shift_id", &keys.shifts)? {
            self.shifts.loaded(row.shift_id.clone(), row);
        }
        for row in load_sqlite::<ShiftMethodRecord>(conn, "shift_id", &keys.shifts)? {
            self.shift_methods
                .loaded(shift_method_key(&row.shift_id, &row.method), row);
        }
        Ok(())
    }

    /// Writes every added and changed row to a SQLite read store (the writer's connection).
    pub fn flush_sqlite(&mut self, conn: &rusqlite::Connection) -> rusqlite::Result<()> {
        write_sqlite(conn, &std::mem::take(&mut self.staff.rows), false)?;
        write_sqlite(conn, &std::mem::take(&mut self.staff_tokens.rows), false)?;
        write_sqlite(conn, self.accounts.drain_changed(), true)?;
        write_sqlite(conn, self.deductions.drain_changed(), true)?;
        write_sqlite(conn, self.shifts.drain_changed(), true)?;
        write_sqlite(conn, self.shift_methods.drain_changed(), true)?;
        write_sqlite(conn, &std::mem::take(&mut self.receipts.rows), false)?;
        write_sqlite(conn, &std::mem::take(&mut self.cash_counts.rows), false)?;
        write_sqlite(conn, &std::mem::take(&mut self.movements.rows), false)?;
        write_sqlite(conn, &std::mem::take(&mut self.journal.rows), false)?;
        write_sqlite(conn, &std::mem::take(&mut self.workload_acts.rows), false)?;
        write_sqlite(
            conn,
            &std::mem::take(&mut self.coefficient_sets.rows),
            false,
        )?;
        write_sqlite(
            conn,
            &std::mem::take(&mut self.quality_deductions.rows),
            false,
        )?;
        write_sqlite(conn, &std::mem::take(&mut self.days.rows), false)?;
        write_sqlite(conn, &std::mem::take(&mut self.audit_index.rows), false)?;
        Ok(())
    }

    /// Writes every added and changed row to the read store.
    pub async fn flush(
        &mut self,
        conn: &mut sqlx::AnyConnection,
        backend: Backend,
    ) -> Result<(), ProjectionError> {
        write(conn, backend, std::mem::take(&mut self.staff.rows), false).await?;
        write(
            conn,
            backend,
            std::mem::take(&mut self.staff_tokens.rows),
            false,
        )
        .await?;
        write(conn, backend, self.accounts.take_changed(), true).await?;
        write(conn, backend, self.deductions.take_changed(), true).await?;
        write(conn, backend, self.shifts.take_changed(), true).await?;
        write(conn, backend, self.shift_methods.take_changed(), true).await?;
        write(
            conn,
            backend,
            std::mem::take(&mut self.receipts.rows),
            false,
        )
        .await?;
        write(
            conn,
            backend,
            std::mem::take(&mut self.cash_counts.rows),
            false,
        )
        .await?;
        write(
            conn,
            backend,
            std::mem::take(&mut self.movements.rows),
            false,
        )
        .await?;
        write(conn, backend, std::mem::take(&mut self.journal.rows), false).await?;
        write(
            conn,
            backend,
            std::mem::take(&mut self.workload_acts.rows),
            false,
        )
        .await?;
        write(
            conn,
            backend,
            std::mem::take(&mut self.coefficient_sets.rows),
            false,
        )
        .await?;
        write(
            conn,
            backend,
            std::mem::take(&mut self.quality_deductions.rows),
            false,
        )
        .await?;
        write(conn, backend, std::mem::take(&mut self.days.rows), false).await?;
        write(
            conn,
            backend,
            std::mem::take(&mut self.audit_index.rows),
            false,
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use sha2::Digest as _;

    use super::CellRef;

    #[test]
    fn a_cell_is_spelled_one_way_whether_written_or_hashed() {
        // Goal: the spelling `yika verify` compares (`i<n>`, `t<bytes>:<text>`, `null`) is the
        // same written out and fed to a hash, for the extremes of each kind.
        let cases = [
            (CellRef::Int(Some(0)), "i0"),
            (CellRef::Int(Some(-1_250)), "i-1250"),
            (CellRef::Int(Some(i64::MIN)), "i-9223372036854775808"),
            (CellRef::Int(Some(i64::MAX)), "i9223372036854775807"),
            (CellRef::Int(None), "null"),
            (CellRef::Text(Some("")), "t0:"),
            (CellRef::Text(Some("门诊收费")), "t12:门诊收费"),
            (CellRef::Text(None), "null"),
        ];
        for (cell, spelled) in cases {
            assert_eq!(cell.canonical(), spelled);
            let mut hashed = sha2::Sha256::new();
            cell.hash_into(&mut hashed);
            assert_eq!(
                hashed.finalize(),
                sha2::Sha256::digest(spelled.as_bytes()),
                "{spelled}"
            );
        }
    }
}
