//! Test harness: the same test body runs against SQLite (a temp dir) and PostgreSQL (a fresh
//! database with a random name, dropped afterwards even when the test fails).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::Arc;

use openwa_store::testing::TempPgDatabase;
use openwa_store::{Database, KeySource, Store, StoreConfig, StoreKey};
use rand::Rng;
use sqlx::Connection;

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// A fresh database for one test.
#[derive(Debug)]
pub struct TestDb {
    pub kind: Kind,
    pub url: String,
    pub key: StoreKey,
    pub dir: PathBuf,
    pg: Option<TempPgDatabase>,
}

fn random_suffix() -> String {
    let n: u64 = rand::thread_rng().r#gen();
    format!("{}_{n:016x}", std::process::id())
}

impl TestDb {
    pub async fn create(kind: Kind) -> TestDb {
        let suffix = random_suffix();
        let dir = std::env::temp_dir().join(format!("openwa-store-test-{suffix}"));
        std::fs::create_dir_all(&dir).unwrap();
        let (url, pg) = match kind {
            Kind::Sqlite => (format!("sqlite://{}", dir.join("store.db").display()), None),
            Kind::Postgres => {
                let db = TempPgDatabase::create("openwa_test", &suffix)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                (db.url.clone(), Some(db))
            }
        };
        TestDb {
            kind,
            url,
            key: StoreKey::generate(),
            dir,
            pg,
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
            Kind::Sqlite => Raw::Sqlite(sqlx::SqliteConnection::connect(&self.url).await.unwrap()),
            Kind::Postgres => Raw::Postgres(sqlx::PgConnection::connect(&self.url).await.unwrap()),
        }
    }

    pub async fn destroy(&self) {
        if let Some(pg) = &self.pg {
            pg.drop_database().await.unwrap();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
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

/// Removes the test database whatever happened, then re-raises the test body's panic, if any.
pub async fn finish(db: Arc<TestDb>, result: Result<(), tokio::task::JoinError>) {
    db.destroy().await;
    openwa_store::testing::resume_panic(result);
}

/// Instantiates every listed case once per backend: `sqlite::NAME` and `postgres::NAME`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = std::sync::Arc::new(
                        $crate::common::TestDb::create($crate::common::Kind::Sqlite).await,
                    );
                    let body = tokio::spawn($crate::cases::$name(std::sync::Arc::clone(&db)));
                    $crate::common::finish(db, body.await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = std::sync::Arc::new(
                        $crate::common::TestDb::create($crate::common::Kind::Postgres).await,
                    );
                    let body = tokio::spawn($crate::cases::$name(std::sync::Arc::clone(&db)));
                    $crate::common::finish(db, body.await).await;
                }
            )*
        }
    };
}
