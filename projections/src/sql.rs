//! One SQL dialect for both read-store backends.
//!
//! The read store runs on sqlx's `Any` driver, so the projectors and queries are one code path
//! for SQLite and PostgreSQL. The SQL they write sticks to what both understand: numbered
//! placeholders (`$1`, which sqlx maps by number on SQLite too), `ON CONFLICT … DO UPDATE`,
//! `CAST(SUM(…) AS BIGINT)` (PostgreSQL sums integers into NUMERIC, which `Any` cannot carry),
//! quoted identifiers where PostgreSQL has a keyword (`"window"`). sqlx's own `QueryBuilder`
//! writes `?` for `Any`, which PostgreSQL does not read; [`Sql`] numbers its placeholders.

use std::fmt::Write as _;

use sqlx::any::{Any, AnyArguments};
use sqlx::query::{Query, QueryScalar};
use sqlx::{Arguments as _, Decode, Encode, Type};

/// Which database a read store runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// A statement built piece by piece, with numbered placeholders.
#[derive(Default)]
pub struct Sql {
    text: String,
    arguments: AnyArguments,
    count: usize,
    /// Plain `?` placeholders (SQLite): SQLite treats `$N` as a parameter *name* and looks each
    /// one up among the statement's names, which is quadratic in a statement with thousands.
    positional: bool,
}

impl Sql {
    /// A statement starting with `text`.
    #[must_use]
    pub fn new(text: impl Into<String>) -> Sql {
        Sql {
            text: text.into(),
            ..Sql::default()
        }
    }

    /// A statement for `backend` starting with `text`: `?` placeholders on SQLite, `$N` on
    /// PostgreSQL. For statements with many parameters (the views' multi-row writes).
    #[must_use]
    pub fn for_backend(backend: Backend, text: impl Into<String>) -> Sql {
        Sql {
            positional: backend == Backend::Sqlite,
            ..Sql::new(text)
        }
    }

    /// Appends SQL text (never user input: values go through [`Sql::push_bind`]).
    pub fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends the next placeholder and binds `value` to it.
    pub fn push_bind<T>(&mut self, value: T) -> &mut Sql
    where
        T: Encode<'static, Any> + Type<Any>,
    {
        self.count += 1;
        if self.positional {
            self.text.push('?');
        } else {
            let _ = write!(self.text, "${}", self.count);
        }
        self.arguments
            .add(value)
            .expect("Any encodes every value Yika binds");
        self
    }

    /// Appends `(p1, p2, …)` binding each value.
    pub fn push_bind_list<T>(&mut self, values: impl IntoIterator<Item = T>) -> &mut Sql
    where
        T: Encode<'static, Any> + Type<Any>,
    {
        self.text.push('(');
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.push_bind(value);
        }
        self.text.push(')');
        self
    }

    /// The statement, ready to run.
    pub fn build(self) -> Query<'static, Any, AnyArguments> {
        sqlx::query_with(sqlx::AssertSqlSafe(self.text), self.arguments)
    }

    /// The statement, for a single-column answer.
    pub fn build_query_scalar<O>(self) -> QueryScalar<'static, Any, O, AnyArguments>
    where
        O: for<'r> Decode<'r, Any> + Type<Any>,
    {
        sqlx::query_scalar_with(sqlx::AssertSqlSafe(self.text), self.arguments)
    }
}
