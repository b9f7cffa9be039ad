//! Test harness: the same test body runs against SQLite (a temp dir) and PostgreSQL (a fresh
//! database with a random name, dropped afterwards even when the test fails).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use openwa_store::testing::{Fixture, TempStore};
use openwa_store::{Database, KeySource, Store, StoreConfig, StoreKey};
use sqlx::Connection;

pub use openwa_store::testing::Backend;

/// A fresh database for one test, with its at-rest key.
#[derive(Debug)]
pub struct TestDb {
    pub kind: Backend,
    pub url: String,
    pub key: StoreKey,
    pub temp: TempStore,
}

impl TestDb {
    pub async fn create(kind: Backend) -> TestDb {
        let temp = TempStore::create(kind, "openwa_test")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        TestDb {
            kind,
            url: temp.url("store.db"),
            key: StoreKey::generate(),
            temp,
        }
    }

    pub fn config(&self) -> StoreConfig {
        self.config_with_key(self.key.clone())
    }

    pub fn config_with_key(&self, key: StoreKey) -> StoreConfig {
        StoreConfig::new(Database::from_url(&self.url).unwrap(), KeySource::Key(key))
    }

    pub async fn open(&self) -> Store {
        Store::open(self.config()).await.unwrap()
    }

    /// A direct connection to the database, bypassing the store (to read and damage raw rows).
    pub async fn raw(&self) -> Raw {
        match self.kind {
            Backend::Sqlite => {
                Raw::Sqlite(sqlx::SqliteConnection::connect(&self.url).await.unwrap())
            }
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

/// A raw connection of either backend.
pub enum Raw {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl Raw {
    /// Runs a query returning one bytes value; `$1..` are bound to `args`.
    pub fn blob<'a>(&'a mut self, sql: &'a str, args: &'a [&'a str]) -> Boxed<'a, Vec<u8>> {
        Box::pin(async move {
            match self {
                Raw::Sqlite(c) => {
                    let mut q = sqlx::query_scalar::<_, Vec<u8>>(sql);
                    for a in args {
                        q = q.bind(*a);
                    }
                    q.fetch_one(c).await.unwrap()
                }
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
                Raw::Sqlite(c) => {
                    let mut q = sqlx::query_scalar::<_, String>(sql);
                    for a in args {
                        q = q.bind(*a);
                    }
                    q.fetch_one(c).await.unwrap()
                }
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
                    let mut q = sqlx::query(sql);
                    if let Some(b) = blob {
                        q = q.bind(b);
                    }
                    for a in args {
                        q = q.bind(*a);
                    }
                    q.execute(c).await.unwrap().rows_affected()
                }
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

    pub async fn close(self) {
        match self {
            Raw::Sqlite(c) => c.close().await.unwrap(),
            Raw::Postgres(c) => c.close().await.unwrap(),
        }
    }
}
