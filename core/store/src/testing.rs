//! Throw-away PostgreSQL databases for the tests of this crate and of the crates built on it:
//! each test creates a database with a random name on the server of [`pg_admin_url`] and drops
//! it at the end.

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
        .map_err(StoreError::Backend)?;
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
