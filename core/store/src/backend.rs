//! Connection pools of the two backends, and the one connection handle every query runs on.
//!
//! Every query is written once, with `$1`-style parameters that SQLite and PostgreSQL both accept,
//! and run through [`on_conn!`], which compiles the same body for each backend.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{PgPool, Postgres, Row, Sqlite, SqlitePool, Transaction};

use crate::StoreError;

/// Which database the store lives in.
#[derive(Clone)]
pub enum Database {
    /// An SQLite file (created if missing), opened in WAL mode.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL, e.g. `postgres://user@127.0.0.1:5432/openwa`.
    Postgres(String),
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
            // The URL may carry a password.
            Database::Postgres(_) => f.write_str("Postgres(<url>)"),
        }
    }
}

impl Database {
    /// Parses `sqlite://PATH` / `sqlite:PATH` or `postgres://…` / `postgresql://…`.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err(StoreError::Config("sqlite URL without a path".to_owned()));
            }
            Ok(Database::Sqlite(PathBuf::from(path)))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Database::Postgres(url.to_owned()))
        } else {
            Err(StoreError::Config(
                "database URL must start with sqlite:// or postgres://".to_owned(),
            ))
        }
    }

    /// The SQL dialect of this database.
    pub fn dialect(&self) -> Dialect {
        match self {
            Database::Sqlite(_) => Dialect::Sqlite,
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

/// The pools behind a store. SQLite gets one writer connection (so writers never race for the
/// database lock) and several read-only readers; PostgreSQL one pool for both.
#[derive(Debug, Clone)]
pub(crate) enum Pools {
    Sqlite {
        writer: SqlitePool,
        reader: SqlitePool,
    },
    Postgres(PgPool),
}

impl Pools {
    pub(crate) async fn connect(db: &Database, max_connections: u32) -> Result<Self, StoreError> {
        let max_connections = max_connections.max(1);
        match db {
            Database::Sqlite(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        StoreError::Config(format!("cannot create {}: {e}", parent.display()))
                    })?;
                }
                let base = SqliteConnectOptions::new()
                    .filename(path)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true);
                let writer_options = base
                    .clone()
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // FULL: a commit is on disk before it returns, so "persist, then ack" holds
                    // across power loss too, not only process crashes.
                    .synchronous(SqliteSynchronous::Full);
                let writer = SqlitePoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(writer_options)
                    .await
                    .map_err(StoreError::from)?;
                let reader = SqlitePoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(base.read_only(true))
                    .await
                    .map_err(StoreError::from)?;
                Ok(Pools::Sqlite { writer, reader })
            }
            Database::Postgres(url) => {
                let options = PgConnectOptions::from_str(url)
                    .map_err(|e| StoreError::Config(format!("bad PostgreSQL URL: {e}")))?;
                let pool = PgPoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(options)
                    .await
                    .map_err(StoreError::from)?;
                Ok(Pools::Postgres(pool))
            }
        }
    }

    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            Pools::Sqlite { .. } => Dialect::Sqlite,
            Pools::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Starts a write transaction.
    pub(crate) async fn begin(&self) -> Result<Handle, StoreError> {
        Ok(match self {
            Pools::Sqlite { writer, .. } => Handle::SqliteTx(writer.begin().await?),
            Pools::Postgres(pool) => Handle::PostgresTx(pool.begin().await?),
        })
    }

    /// A connection for reads (autocommit, no transaction).
    pub(crate) async fn read(&self) -> Result<Handle, StoreError> {
        Ok(match self {
            Pools::Sqlite { reader, .. } => Handle::SqliteRead(reader.acquire().await?),
            Pools::Postgres(pool) => Handle::PostgresRead(pool.acquire().await?),
        })
    }

    pub(crate) async fn close(&self) {
        match self {
            Pools::Sqlite { writer, reader } => {
                reader.close().await;
                writer.close().await;
            }
            Pools::Postgres(pool) => pool.close().await,
        }
    }
}

/// A pooled connection, inside a transaction or not.
#[derive(Debug)]
pub(crate) enum Handle {
    SqliteTx(Transaction<'static, Sqlite>),
    PostgresTx(Transaction<'static, Postgres>),
    SqliteRead(PoolConnection<Sqlite>),
    PostgresRead(PoolConnection<Postgres>),
}

impl Handle {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            Handle::SqliteTx(tx) => Conn::Sqlite(tx),
            Handle::PostgresTx(tx) => Conn::Postgres(tx),
            Handle::SqliteRead(c) => Conn::Sqlite(c),
            Handle::PostgresRead(c) => Conn::Postgres(c),
        }
    }

    /// Commits a transaction; a no-op for a read connection.
    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        match self {
            Handle::SqliteTx(tx) => tx.commit().await?,
            Handle::PostgresTx(tx) => tx.commit().await?,
            Handle::SqliteRead(_) | Handle::PostgresRead(_) => {}
        }
        Ok(())
    }

    /// Rolls a transaction back; a no-op for a read connection.
    pub(crate) async fn rollback(self) -> Result<(), StoreError> {
        match self {
            Handle::SqliteTx(tx) => tx.rollback().await?,
            Handle::PostgresTx(tx) => tx.rollback().await?,
            Handle::SqliteRead(_) | Handle::PostgresRead(_) => {}
        }
        Ok(())
    }
}

/// A borrowed connection of either backend.
#[derive(Debug)]
pub(crate) enum Conn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

/// Runs the same body against whichever backend `$conn` is; `$c` is the `&mut` connection.
macro_rules! on_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::backend::Conn::Sqlite($c) => $body,
            $crate::backend::Conn::Postgres($c) => $body,
        }
    };
}
pub(crate) use on_conn;

/// Typed column access shared by both backends' rows. Only the portable column types are used:
/// 64-bit integers, text and bytes.
pub(crate) trait RowExt {
    fn int(&self, col: &str) -> Result<i64, StoreError>;
    fn text(&self, col: &str) -> Result<String, StoreError>;
    fn opt_text(&self, col: &str) -> Result<Option<String>, StoreError>;
    fn bytes(&self, col: &str) -> Result<Vec<u8>, StoreError>;
    fn opt_bytes(&self, col: &str) -> Result<Option<Vec<u8>>, StoreError>;
}

macro_rules! impl_row_ext {
    ($row:ty) => {
        impl RowExt for $row {
            fn int(&self, col: &str) -> Result<i64, StoreError> {
                Ok(self.try_get::<i64, _>(col)?)
            }
            fn text(&self, col: &str) -> Result<String, StoreError> {
                Ok(self.try_get::<String, _>(col)?)
            }
            fn opt_text(&self, col: &str) -> Result<Option<String>, StoreError> {
                Ok(self.try_get::<Option<String>, _>(col)?)
            }
            fn bytes(&self, col: &str) -> Result<Vec<u8>, StoreError> {
                Ok(self.try_get::<Vec<u8>, _>(col)?)
            }
            fn opt_bytes(&self, col: &str) -> Result<Option<Vec<u8>>, StoreError> {
                Ok(self.try_get::<Option<Vec<u8>>, _>(col)?)
            }
        }
    };
}
impl_row_ext!(SqliteRow);
impl_row_ext!(PgRow);
