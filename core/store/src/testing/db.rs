//! [`TestDb`]: the fixture of the store's own test suite (and of the engine's store-adapter unit
//! tests): a fresh database on one backend with its at-rest key, and [`Raw`] connections that
//! bypass the store. The same test body runs against a memory store, SQLite (a temp dir) and
//! PostgreSQL (a fresh database with a random name, dropped afterwards even when the test
//! fails).
//!
//! Test code: it panics with a message on anything unexpected.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Mutex;

#[cfg(feature = "postgres")]
use sqlx::Connection;

use super::{Backend, Fixture, TempStore, memory_uri};
use crate::{Database, KeySource, Store, StoreConfig, StoreKey};

/// A fresh database for one test, with its at-rest key.
#[derive(Debug)]
pub struct TestDb {
    /// The backend.
    pub kind: Backend,
    /// The database URL (`memory:`, `sqlite://…` or `postgres://…`).
    pub url: String,
    /// The at-rest key of [`TestDb::config`].
    pub key: StoreKey,
    /// The temporary directory and database.
    pub temp: TempStore,
    /// On the memory backend, the database of the store [`TestDb::open`] opened last (what
    /// [`TestDb::raw`] connects to).
    pub memory: Mutex<Option<String>>,
}

impl TestDb {
    /// A fresh database on `kind` (panics when it cannot be made, e.g. PostgreSQL is down).
    pub async fn create(kind: Backend) -> TestDb {
        let temp = TempStore::create(kind, "openwa_test")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        TestDb {
            kind,
            url: temp.url("store.db"),
            key: StoreKey::generate(),
            temp,
            memory: Mutex::new(None),
        }
    }

    /// The store configuration with [`TestDb::key`].
    pub fn config(&self) -> StoreConfig {
        self.config_with_key(self.key.clone())
    }

    /// The store configuration with another key.
    pub fn config_with_key(&self, key: StoreKey) -> StoreConfig {
        StoreConfig::new(Database::from_url(&self.url).unwrap(), KeySource::Key(key))
    }

    /// Opens the store (remembering a memory store's database for [`TestDb::raw`]).
    pub async fn open(&self) -> Store {
        let store = Store::open(self.config()).await.unwrap();
        *self.memory.lock().unwrap() = memory_uri(&store);
        store
    }

    /// A direct connection to the database, bypassing the store (to read and damage raw rows).
    /// On the memory backend, to the database of the store last opened by [`TestDb::open`],
    /// which must still be open.
    pub async fn raw(&self) -> Raw {
        match self.kind {
            Backend::Memory => {
                let uri = self
                    .memory
                    .lock()
                    .unwrap()
                    .clone()
                    .expect("no memory store");
                let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE
                    | rusqlite::OpenFlags::SQLITE_OPEN_URI;
                let conn = rusqlite::Connection::open_with_flags(uri, flags).unwrap();
                conn.busy_timeout(std::time::Duration::from_secs(10))
                    .unwrap();
                Raw::Sqlite(conn)
            }
            Backend::Sqlite => {
                let path = self.url.trim_start_matches("sqlite://");
                let conn = rusqlite::Connection::open(path).unwrap();
                conn.busy_timeout(std::time::Duration::from_secs(10))
                    .unwrap();
                Raw::Sqlite(conn)
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres => {
                Raw::Postgres(sqlx::PgConnection::connect(&self.url).await.unwrap())
            }
        }
    }
}

impl Fixture for TestDb {
    async fn create(backend: Backend) -> TestDb {
        TestDb::create(backend).await
    }

    async fn destroy(&self) {
        self.temp.destroy().await.unwrap();
    }
}

/// A boxed `Send` future (keeps the test futures' `Send` proofs simple).
pub type Boxed<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// A raw connection of either backend: SQLite through rusqlite, PostgreSQL through sqlx.
#[derive(Debug)]
pub enum Raw {
    /// A SQLite connection (memory or file).
    Sqlite(rusqlite::Connection),
    /// A PostgreSQL connection.
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgConnection),
}

/// SQLite numbers `$N` parameters by first appearance; `?N` binds exactly parameter N.
fn lite_sql(sql: &str) -> String {
    (1..=9).rev().fold(sql.to_owned(), |sql, n| {
        sql.replace(&format!("${n}"), &format!("?{n}"))
    })
}

impl Raw {
    /// Runs a query returning one bytes value; `$1..` are bound to `args`.
    pub fn blob<'a>(&'a mut self, sql: &'a str, args: &'a [&'a str]) -> Boxed<'a, Vec<u8>> {
        Box::pin(async move {
            match self {
                Raw::Sqlite(c) => c
                    .query_row(&lite_sql(sql), rusqlite::params_from_iter(args), |r| {
                        r.get(0)
                    })
                    .unwrap(),
                #[cfg(feature = "postgres")]
                Raw::Postgres(c) => {
                    let mut q = sqlx::query_scalar::<_, Vec<u8>>(sql);
                    for a in args {
                        q = q.bind(*a);
                    }
                    q.fetch_one(c).await.unwrap()
                }
            }
        })
    }

    /// Runs a query returning one text value.
    pub fn text<'a>(&'a mut self, sql: &'a str, args: &'a [&'a str]) -> Boxed<'a, String> {
        Box::pin(async move {
            match self {
                Raw::Sqlite(c) => c
                    .query_row(&lite_sql(sql), rusqlite::params_from_iter(args), |r| {
                        r.get(0)
                    })
                    .unwrap(),
                #[cfg(feature = "postgres")]
                Raw::Postgres(c) => {
                    let mut q = sqlx::query_scalar::<_, String>(sql);
                    for a in args {
                        q = q.bind(*a);
                    }
                    q.fetch_one(c).await.unwrap()
                }
            }
        })
    }

    /// Runs a statement with `$1` bound to `blob` and `$2..` to `args`.
    pub fn exec<'a>(
        &'a mut self,
        sql: &'a str,
        blob: Option<&'a [u8]>,
        args: &'a [&'a str],
    ) -> Boxed<'a, u64> {
        Box::pin(async move {
            match self {
                Raw::Sqlite(c) => {
                    let mut values: Vec<rusqlite::types::Value> = Vec::new();
                    if let Some(b) = blob {
                        values.push(b.to_vec().into());
                    }
                    values.extend(
                        args.iter()
                            .map(|a| rusqlite::types::Value::from(a.to_string())),
                    );
                    c.execute(&lite_sql(sql), rusqlite::params_from_iter(values))
                        .unwrap() as u64
                }
                #[cfg(feature = "postgres")]
                Raw::Postgres(c) => {
                    let mut q = sqlx::query(sql);
                    if let Some(b) = blob {
                        q = q.bind(b);
                    }
                    for a in args {
                        q = q.bind(*a);
                    }
                    q.execute(c).await.unwrap().rows_affected()
                }
            }
        })
    }

    /// Closes the connection.
    pub async fn close(self) {
        match self {
            Raw::Sqlite(c) => c.close().map_err(|(_, e)| e).unwrap(),
            #[cfg(feature = "postgres")]
            Raw::Postgres(c) => c.close().await.unwrap(),
        }
    }
}
