//! Test support for this crate and the crates built on it: throw-away PostgreSQL databases
//! (a random name on the server of [`pg_admin_url`], dropped at the end), a temporary place for
//! one test's store on either backend ([`TempStore`]), and [`on_both_backends!`](crate::on_both_backends),
//! which runs each test body once on SQLite and once on PostgreSQL and cleans up even when the
//! body panics.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use rand_core::{OsRng, RngCore};
use sqlx::Connection;

use crate::error::StoreError;

/// Admin URL of the PostgreSQL server tests use: `OPENWA_TEST_PG_URL`, or
/// `postgres://postgres@127.0.0.1:5432/postgres` (trust auth).
pub fn pg_admin_url() -> String {
    std::env::var("OPENWA_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

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

async fn execute(sql: &str) -> Result<(), StoreError> {
    let mut admin = admin().await?;
    sqlx::query(sql)
        .execute(&mut admin)
        .await
        .map_err(StoreError::from)?;
    let _ = admin.close().await;
    Ok(())
}

/// A PostgreSQL database created for one test; [`TempPgDatabase::drop_database`] removes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TempPgDatabase {
    /// The database name.
    pub name: String,
    /// Its connection URL.
    pub url: String,
}

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

/// The database a two-backend test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in the test's temporary directory.
    Sqlite,
    /// A fresh PostgreSQL database ([`TempPgDatabase`]).
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
    /// The PostgreSQL database (`None` on SQLite).
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
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(TempPgDatabase::create(prefix, &suffix).await?),
        };
        Ok(TempStore { backend, dir, pg })
    }

    /// The database URL: the SQLite file `file` in the directory, or the PostgreSQL database.
    pub fn url(&self, file: &str) -> String {
        match &self.pg {
            Some(pg) => pg.url.clone(),
            None => format!("sqlite://{}", self.dir.join(file).display()),
        }
    }

    /// Drops the PostgreSQL database and removes the directory.
    pub async fn destroy(&self) -> Result<(), StoreError> {
        if let Some(pg) = &self.pg {
            pg.drop_database().await?;
        }
        // Already gone is fine: the directory is only scratch space.
        let _ = std::fs::remove_dir_all(&self.dir);
        Ok(())
    }
}

/// What a two-backend test body receives: created before the body runs, destroyed after it
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

/// Instantiates each listed `async fn NAME(Arc<F>)` (in the calling module, `F` a [`Fixture`])
/// once per backend as the tests `sqlite::NAME` and `postgres::NAME`. The calling crate needs
/// `tokio` (with the `macros` feature).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::testing::run_on($crate::testing::Backend::Sqlite, super::$name).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::testing::run_on($crate::testing::Backend::Postgres, super::$name)
                        .await;
                }
            )*
        }
    };
}
