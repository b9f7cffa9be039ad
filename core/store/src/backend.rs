//! The two backends behind one small execution API.
//!
//! Every query is written once, with `$1`-style parameters, and run through [`Handle`]'s
//! `execute`/`fetch_*` methods with [`Arg`] values; rows come back as [`Row`]. SQLite runs on
//! `rusqlite` (see [`crate::lite`]): a statement is a direct call on the calling thread, with
//! no hop to a driver thread, so a group commit runs all its statements back to back on the
//! writer thread. PostgreSQL runs on `sqlx` (see [`crate::pg`]).

use std::path::PathBuf;

#[cfg(feature = "postgres")]
use sqlx::pool::PoolConnection;
#[cfg(feature = "postgres")]
use sqlx::postgres::{PgConnection, PgPool, PgRow};
#[cfg(feature = "postgres")]
use sqlx::{Postgres, Transaction};

use crate::lite::{Lite, LiteRead, LiteRow, LiteTx};
#[cfg(feature = "postgres")]
use crate::pg;
use crate::{StoreError, lite};

/// Which database the store lives in.
#[derive(Clone)]
pub enum Database {
    /// A database in this process's memory only (SQLite on an in-memory VFS): nothing touches
    /// the disk, everything is gone once the store is closed or dropped, and every store opened
    /// with it has its own database. Values are still encrypted under the store's key. Reads
    /// take turns with write transactions on one connection (see [`crate::StoreTx`]). SQLite
    /// caps such a database at 1 GiB; a write beyond that fails as
    /// [`StoreError::Unavailable`] (database full).
    Memory,
    /// An SQLite file (created if missing), opened in WAL mode.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL, e.g. `postgres://user@127.0.0.1:5432/openwa` (only in
    /// builds with the `postgres` feature).
    #[cfg(feature = "postgres")]
    Postgres(String),
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Memory => f.write_str("Memory"),
            Database::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
            // The URL may carry a password.
            #[cfg(feature = "postgres")]
            Database::Postgres(_) => f.write_str("Postgres(<url>)"),
        }
    }
}

impl Database {
    /// Parses `memory:` / `sqlite::memory:` (a memory database), `sqlite://PATH` /
    /// `sqlite:PATH`, or `postgres://…` / `postgresql://…`.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        if matches!(url, "memory:" | "sqlite::memory:" | "sqlite://:memory:") {
            Ok(Database::Memory)
        } else if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err(StoreError::Config("sqlite URL without a path".to_owned()));
            }
            Ok(Database::Sqlite(PathBuf::from(path)))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            #[cfg(feature = "postgres")]
            return Ok(Database::Postgres(url.to_owned()));
            #[cfg(not(feature = "postgres"))]
            return Err(StoreError::Config(
                "this build of openwa-store lacks PostgreSQL (the `postgres` feature); use \
                 sqlite:// or memory:"
                    .to_owned(),
            ));
        } else {
            Err(StoreError::Config(
                "database URL must be memory: or start with sqlite:// or postgres://".to_owned(),
            ))
        }
    }

    /// The SQL dialect of this database.
    pub fn dialect(&self) -> Dialect {
        match self {
            Database::Memory | Database::Sqlite(_) => Dialect::Sqlite,
            #[cfg(feature = "postgres")]
            Database::Postgres(_) => Dialect::Postgres,
        }
    }
}

/// SQL dialect, for the few places (DDL types, locks) where the two differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite 3.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// The connections behind a store. SQLite (file or memory) has one writer connection (so
/// writers never race for the database lock) and a pool of read-only readers; PostgreSQL one
/// pool for both.
#[derive(Debug, Clone)]
pub(crate) enum Pools {
    Sqlite(Lite),
    #[cfg(feature = "postgres")]
    Postgres(PgPool),
}

impl Pools {
    pub(crate) async fn connect(db: &Database, max_connections: u32) -> Result<Self, StoreError> {
        let max_connections = max_connections.max(1);
        Ok(match db {
            Database::Memory => Pools::Sqlite(Lite::memory(max_connections)?),
            Database::Sqlite(path) => Pools::Sqlite(Lite::open(path, max_connections)?),
            #[cfg(feature = "postgres")]
            Database::Postgres(url) => Pools::Postgres(pg::connect(url, max_connections).await?),
        })
    }

    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            Pools::Sqlite(_) => Dialect::Sqlite,
            #[cfg(feature = "postgres")]
            Pools::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Starts a write transaction.
    pub(crate) async fn begin(&self) -> Result<Handle, StoreError> {
        Ok(match self {
            Pools::Sqlite(lite) => Handle::SqliteTx(lite.begin().await?),
            #[cfg(feature = "postgres")]
            Pools::Postgres(pool) => Handle::PostgresTx(pool.begin().await?),
        })
    }

    /// A connection for reads (autocommit, no transaction).
    pub(crate) async fn read(&self) -> Result<Handle, StoreError> {
        Ok(match self {
            Pools::Sqlite(lite) => Handle::SqliteRead(lite.read().await?),
            #[cfg(feature = "postgres")]
            Pools::Postgres(pool) => Handle::PostgresRead(pool.acquire().await?),
        })
    }

    pub(crate) async fn close(&self) {
        match self {
            Pools::Sqlite(lite) => lite.close().await,
            #[cfg(feature = "postgres")]
            Pools::Postgres(pool) => pool.close().await,
        }
    }
}

/// A connection, inside a transaction or not.
#[derive(Debug)]
pub(crate) enum Handle {
    SqliteTx(LiteTx),
    #[cfg(feature = "postgres")]
    PostgresTx(Transaction<'static, Postgres>),
    SqliteRead(LiteRead),
    #[cfg(feature = "postgres")]
    PostgresRead(PoolConnection<Postgres>),
}

/// The connection under a handle, for one statement.
enum Target<'c> {
    Sqlite(&'c mut rusqlite::Connection),
    #[cfg(feature = "postgres")]
    Postgres(&'c mut PgConnection),
}

impl Handle {
    fn target(&mut self) -> Result<Target<'_>, StoreError> {
        Ok(match self {
            Handle::SqliteTx(tx) => Target::Sqlite(tx.conn()?),
            Handle::SqliteRead(read) => Target::Sqlite(read.conn()?),
            #[cfg(feature = "postgres")]
            Handle::PostgresTx(tx) => Target::Postgres(tx),
            #[cfg(feature = "postgres")]
            Handle::PostgresRead(conn) => Target::Postgres(conn),
        })
    }

    /// Runs one statement; answers how many rows it changed.
    pub(crate) async fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64, StoreError> {
        match self.target()? {
            Target::Sqlite(c) => lite::execute(c, sql, args),
            #[cfg(feature = "postgres")]
            Target::Postgres(c) => pg::execute(c, sql, args).await,
        }
    }

    /// Runs one query; answers its rows.
    pub(crate) async fn fetch_all(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<Vec<Row>, StoreError> {
        match self.target()? {
            Target::Sqlite(c) => lite::fetch(c, sql, args, usize::MAX),
            #[cfg(feature = "postgres")]
            Target::Postgres(c) => pg::fetch_all(c, sql, args).await,
        }
    }

    /// Runs one query; answers its first row, if any.
    pub(crate) async fn fetch_optional(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<Option<Row>, StoreError> {
        match self.target()? {
            Target::Sqlite(c) => Ok(lite::fetch(c, sql, args, 1)?.pop()),
            #[cfg(feature = "postgres")]
            Target::Postgres(c) => pg::fetch_optional(c, sql, args).await,
        }
    }

    /// Runs several `;`-separated statements without parameters (migrations, savepoints).
    pub(crate) async fn execute_batch(&mut self, sql: &str) -> Result<(), StoreError> {
        match self.target()? {
            Target::Sqlite(c) => lite::execute_batch(c, sql),
            #[cfg(feature = "postgres")]
            Target::Postgres(c) => pg::execute_batch(c, sql).await,
        }
    }

    /// Commits a transaction; a no-op for a read connection.
    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        match self {
            Handle::SqliteTx(tx) => tx.commit(),
            #[cfg(feature = "postgres")]
            Handle::PostgresTx(tx) => Ok(tx.commit().await?),
            Handle::SqliteRead(_) => Ok(()),
            #[cfg(feature = "postgres")]
            Handle::PostgresRead(_) => Ok(()),
        }
    }

    /// Rolls a transaction back; a no-op for a read connection.
    pub(crate) async fn rollback(self) -> Result<(), StoreError> {
        match self {
            Handle::SqliteTx(tx) => tx.rollback(),
            #[cfg(feature = "postgres")]
            Handle::PostgresTx(tx) => Ok(tx.rollback().await?),
            Handle::SqliteRead(_) => Ok(()),
            #[cfg(feature = "postgres")]
            Handle::PostgresRead(_) => Ok(()),
        }
    }
}

/// A statement parameter. Only the portable column types exist: 64-bit integers, text and bytes
/// (a `None` binds a NULL of that type).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'a> {
    Int(i64),
    Text(Option<&'a str>),
    Bytes(Option<&'a [u8]>),
}

impl From<i64> for Arg<'_> {
    fn from(value: i64) -> Self {
        Arg::Int(value)
    }
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(value: &'a str) -> Self {
        Arg::Text(Some(value))
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(value: &'a String) -> Self {
        Arg::Text(Some(value))
    }
}

impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(value: Option<&'a str>) -> Self {
        Arg::Text(value)
    }
}

impl<'a> From<&'a [u8]> for Arg<'a> {
    fn from(value: &'a [u8]) -> Self {
        Arg::Bytes(Some(value))
    }
}

impl<'a> From<&'a Vec<u8>> for Arg<'a> {
    fn from(value: &'a Vec<u8>) -> Self {
        Arg::Bytes(Some(value))
    }
}

impl<'a> From<Option<&'a [u8]>> for Arg<'a> {
    fn from(value: Option<&'a [u8]>) -> Self {
        Arg::Bytes(value)
    }
}

/// `args![a, b, …]`: a statement's parameters `$1, $2, …`, each converted with `Arg::from`.
macro_rules! args {
    ($($arg:expr),* $(,)?) => {
        &[$($crate::backend::Arg::from($arg)),*]
    };
}
pub(crate) use args;

/// One result row of either backend, read by column name.
#[derive(Debug)]
pub(crate) enum Row {
    Sqlite(LiteRow),
    #[cfg(feature = "postgres")]
    Postgres(PgRow),
}

impl Row {
    /// A non-NULL integer column.
    pub(crate) fn int(&self, col: &str) -> Result<i64, StoreError> {
        match self {
            Row::Sqlite(row) => row.int(col),
            #[cfg(feature = "postgres")]
            Row::Postgres(row) => pg::get(row, col),
        }
    }

    /// A non-NULL text column.
    pub(crate) fn text(&self, col: &str) -> Result<String, StoreError> {
        match self {
            Row::Sqlite(row) => row.text(col),
            #[cfg(feature = "postgres")]
            Row::Postgres(row) => pg::get(row, col),
        }
    }

    /// A nullable text column.
    pub(crate) fn opt_text(&self, col: &str) -> Result<Option<String>, StoreError> {
        match self {
            Row::Sqlite(row) => row.opt_text(col),
            #[cfg(feature = "postgres")]
            Row::Postgres(row) => pg::get(row, col),
        }
    }

    /// A non-NULL byte column.
    pub(crate) fn bytes(&self, col: &str) -> Result<Vec<u8>, StoreError> {
        match self {
            Row::Sqlite(row) => row.bytes(col),
            #[cfg(feature = "postgres")]
            Row::Postgres(row) => pg::get(row, col),
        }
    }

    /// A nullable byte column.
    pub(crate) fn opt_bytes(&self, col: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match self {
            Row::Sqlite(row) => row.opt_bytes(col),
            #[cfg(feature = "postgres")]
            Row::Postgres(row) => pg::get(row, col),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_to_their_backend() {
        for url in ["memory:", "sqlite::memory:", "sqlite://:memory:"] {
            assert!(
                matches!(Database::from_url(url), Ok(Database::Memory)),
                "{url}"
            );
        }
        assert!(matches!(
            Database::from_url("sqlite:///tmp/x.db"),
            Ok(Database::Sqlite(path)) if path == std::path::Path::new("/tmp/x.db")
        ));
        assert_eq!(Database::Memory.dialect(), Dialect::Sqlite);
        for url in ["sqlite://", "mysql://x", "memory"] {
            assert!(
                matches!(Database::from_url(url), Err(StoreError::Config(_))),
                "{url}"
            );
        }
    }

    #[cfg(feature = "postgres")]
    #[test]
    fn postgres_urls_parse_with_the_feature() {
        for url in ["postgres://u@h/db", "postgresql://u@h/db"] {
            let db = Database::from_url(url);
            assert!(matches!(db, Ok(Database::Postgres(_))), "{url}");
        }
    }

    #[cfg(not(feature = "postgres"))]
    #[test]
    fn postgres_urls_are_a_config_error_without_the_feature() {
        for url in ["postgres://u@h/db", "postgresql://u@h/db"] {
            match Database::from_url(url) {
                Err(StoreError::Config(message)) => assert!(message.contains("PostgreSQL")),
                other => panic!("{url}: {other:?}"),
            }
        }
    }
}
