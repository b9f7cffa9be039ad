//! Test support for this crate and the crates built on it (compiled with the `testing` feature
//! only): throw-away PostgreSQL databases (a random name on the server of [`pg_admin_url`],
//! dropped at the end), a temporary place for one test's store on any backend ([`TempStore`]),
//! and [`on_every_backend!`](crate::on_every_backend), which runs each test body once per
//! backend (memory, SQLite, PostgreSQL) and cleans up even when the body panics; [`TestDb`], the
//! fixture of the store's own suite, with [`Raw`] connections that bypass the store.
//!
//! This is the store-level part of the test support: it lives here, not in `openwa-testkit`,
//! because the store's own tests (and the engine's unit tests) cannot use a crate built on the
//! store without getting a second copy of its types. `openwa-testkit` re-exports it.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use rand_core::{OsRng, RngCore};
#[cfg(feature = "postgres")]
use sqlx::Connection;

use crate::error::StoreError;

mod db;

pub use db::{Boxed, Raw, TestDb};

#[cfg(feature = "postgres")]
/// Admin URL of the PostgreSQL server tests use: `OPENWA_TEST_PG_URL`, or
/// `postgres://postgres@127.0.0.1:5432/postgres` (trust auth).
pub fn pg_admin_url() -> String {
    std::env::var("OPENWA_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

#[cfg(feature = "postgres")]
async fn admin() -> Result<sqlx::PgConnection, StoreError> {
    let url = pg_admin_url();
    sqlx::PgConnection::connect(&url).await.map_err(|e| {
        StoreError::Config(format!(
            "PostgreSQL is not reachable at {url}: {e}. The tests need it: start it with \
             `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` (or set \
             OPENWA_TEST_PG_URL to an admin URL with trust auth)."
        ))
    })
}

#[cfg(feature = "postgres")]
async fn execute(sql: &str) -> Result<(), StoreError> {
    let mut admin = admin().await?;
    sqlx::query(sql)
        .execute(&mut admin)
        .await
        .map_err(StoreError::from)?;
    let _ = admin.close().await;
    Ok(())
}

#[cfg(feature = "postgres")]
/// A PostgreSQL database created for one test; [`TempPgDatabase::drop_database`] removes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TempPgDatabase {
    /// The database name.
    pub name: String,
    /// Its connection URL.
    pub url: String,
}

#[cfg(feature = "postgres")]
impl TempPgDatabase {
    /// Creates `{prefix}_{suffix}`; `suffix` must be unique (process id and a random number).
    /// Both must be lowercase letters, digits and `_`.
    pub async fn create(prefix: &str, suffix: &str) -> Result<TempPgDatabase, StoreError> {
        let name = format!("{prefix}_{suffix}");
        if !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(StoreError::InvalidArgument(format!(
                "bad test database name {name:?}"
            )));
        }
        execute(&format!("CREATE DATABASE {name}")).await?;
        let admin_url = pg_admin_url();
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(b, _)| b);
        let url = format!("{base}/{name}");
        Ok(TempPgDatabase { name, url })
    }

    /// Drops the database, closing its remaining connections.
    pub async fn drop_database(&self) -> Result<(), StoreError> {
        execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .await
    }
}

/// Re-raises the panic of a test body that ran in its own task, once the caller's cleanup
/// (dropping the database) is done; a cancelled task becomes a panic too.
pub fn resume_panic<T>(result: Result<T, tokio::task::JoinError>) -> T {
    match result {
        Ok(value) => value,
        Err(err) => match err.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(err) => std::panic::resume_unwind(Box::new(format!("test task failed: {err}"))),
        },
    }
}

/// The database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A memory database ([`crate::Database::Memory`]).
    Memory,
    /// A SQLite file in the test's temporary directory.
    Sqlite,
    /// A fresh PostgreSQL database ([`TempPgDatabase`]; with the `postgres` feature).
    #[cfg(feature = "postgres")]
    Postgres,
}

/// A place for one test's store: a fresh temporary directory (for the SQLite file, key files,
/// anything else) and, on PostgreSQL, a fresh database. [`TempStore::destroy`] removes both.
#[derive(Debug)]
pub struct TempStore {
    /// The backend.
    pub backend: Backend,
    /// The temporary directory, created empty.
    pub dir: PathBuf,
    /// The PostgreSQL database (`None` on the other backends).
    #[cfg(feature = "postgres")]
    pub pg: Option<TempPgDatabase>,
}

impl TempStore {
    /// Creates the directory `{prefix}_{suffix}` under the system temp dir and, on PostgreSQL,
    /// the database of the same name; `prefix` is lowercase letters, digits and `_`, the suffix
    /// is the process id and a random number.
    pub async fn create(backend: Backend, prefix: &str) -> Result<TempStore, StoreError> {
        let suffix = format!("{}_{:016x}", std::process::id(), OsRng.next_u64());
        let dir = std::env::temp_dir().join(format!("{prefix}_{suffix}"));
        std::fs::create_dir_all(&dir).map_err(|e| {
            StoreError::Config(format!("cannot create test dir {}: {e}", dir.display()))
        })?;
        #[cfg(feature = "postgres")]
        let pg = match backend {
            Backend::Memory | Backend::Sqlite => None,
            Backend::Postgres => Some(TempPgDatabase::create(prefix, &suffix).await?),
        };
        Ok(TempStore {
            backend,
            dir,
            #[cfg(feature = "postgres")]
            pg,
        })
    }

    /// The database URL: `memory:`, the SQLite file `file` in the directory, or the PostgreSQL
    /// database.
    pub fn url(&self, file: &str) -> String {
        match self.backend {
            Backend::Memory => "memory:".to_owned(),
            Backend::Sqlite => format!("sqlite://{}", self.dir.join(file).display()),
            #[cfg(feature = "postgres")]
            Backend::Postgres => self
                .pg
                .as_ref()
                .map(|pg| pg.url.clone())
                .unwrap_or_default(),
        }
    }

    /// Drops the PostgreSQL database and removes the directory.
    pub async fn destroy(&self) -> Result<(), StoreError> {
        #[cfg(feature = "postgres")]
        if let Some(pg) = &self.pg {
            pg.drop_database().await?;
        }
        // Already gone is fine: the directory is only scratch space.
        let _ = std::fs::remove_dir_all(&self.dir);
        Ok(())
    }
}

/// The SQLite URI of a memory store's database (`None` for other backends), so a test can open
/// its own connection to it (with `SQLITE_OPEN_URI`) while the store is open, e.g. to read or
/// damage raw rows.
pub fn memory_uri(store: &crate::Store) -> Option<String> {
    store.memory_target()
}

/// What a test body receives: created before the body runs, destroyed after it
/// whatever happened (see [`run_on`]).
pub trait Fixture: Send + Sync + Sized + 'static {
    /// A fresh fixture on `backend`.
    fn create(backend: Backend) -> impl Future<Output = Self> + Send;
    /// Removes what [`Fixture::create`] made.
    fn destroy(&self) -> impl Future<Output = ()> + Send;
}

/// Runs `body` in its own task on a fresh fixture of `backend`, destroys the fixture, then
/// re-raises the body's panic, if any.
pub async fn run_on<F, B, Fut>(backend: Backend, body: B)
where
    F: Fixture,
    B: FnOnce(Arc<F>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let fixture = Arc::new(F::create(backend).await);
    let result = tokio::spawn(body(Arc::clone(&fixture))).await;
    fixture.destroy().await;
    resume_panic(result);
}

/// Instantiates test bodies `async fn NAME(Arc<F>)` (in the calling module, `F` a [`Fixture`])
/// as tests `memory::NAME`, `sqlite::NAME` and `postgres::NAME`:
///
/// ```ignore
/// on_every_backend! {
///     all: [a, b],        // on every backend
///     persistent: [c],    // SQLite and PostgreSQL only (e.g. data surviving a reopen)
///     memory: [d],        // the memory backend only
/// }
/// ```
///
/// Every section is optional. The calling crate needs `tokio` (with the `macros` feature).
#[macro_export]
macro_rules! on_every_backend {
    (
        $(all: [$($all:ident),* $(,)?] $(,)?)?
        $(persistent: [$($persistent:ident),* $(,)?] $(,)?)?
        $(memory: [$($memory:ident),* $(,)?] $(,)?)?
    ) => {
        mod memory {
            $($($crate::on_every_backend!(@test Memory $all);)*)?
            $($($crate::on_every_backend!(@test Memory $memory);)*)?
        }
        mod sqlite {
            $($($crate::on_every_backend!(@test Sqlite $all);)*)?
            $($($crate::on_every_backend!(@test Sqlite $persistent);)*)?
        }
        $crate::__on_postgres!($($($all)*)? $($($persistent)*)?);
    };
    (@test $backend:ident $name:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            $crate::testing::run_on($crate::testing::Backend::$backend, super::$name).await;
        }
    };
}

/// The `postgres` module of [`on_every_backend!`](crate::on_every_backend): present only when
/// this crate is built with PostgreSQL.
#[cfg(feature = "postgres")]
#[doc(hidden)]
#[macro_export]
macro_rules! __on_postgres {
    ($($name:ident)*) => {
        mod postgres {
            $($crate::on_every_backend!(@test Postgres $name);)*
        }
    };
}

/// The `postgres` module of [`on_every_backend!`](crate::on_every_backend): present only when
/// this crate is built with PostgreSQL.
#[cfg(not(feature = "postgres"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __on_postgres {
    ($($name:ident)*) => {};
}
