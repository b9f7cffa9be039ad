//! PostgreSQL through `sqlx`: pool, statement execution with [`Arg`] parameters, row access.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgArguments, PgConnectOptions, PgConnection, PgPoolOptions, PgRow};
use sqlx::query::Query;
use sqlx::{Decode, PgPool, Postgres, Row as _, Type};

use crate::StoreError;
use crate::backend::{Arg, Row};

/// Opens the pool.
pub(crate) async fn connect(url: &str, max_connections: u32) -> Result<PgPool, StoreError> {
    let options = PgConnectOptions::from_str(url)
        .map_err(|e| StoreError::Config(format!("bad PostgreSQL URL: {e}")))?;
    Ok(PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(options)
        .await?)
}

fn bind<'q>(sql: &'q str, args: &[Arg<'q>]) -> Query<'q, Postgres, PgArguments> {
    args.iter().fold(sqlx::query(sql), |query, arg| match *arg {
        Arg::Int(value) => query.bind(value),
        Arg::Text(value) => query.bind(value),
        Arg::Bytes(value) => query.bind(value),
    })
}

pub(crate) async fn execute(
    conn: &mut PgConnection,
    sql: &str,
    args: &[Arg<'_>],
) -> Result<u64, StoreError> {
    Ok(bind(sql, args).execute(conn).await?.rows_affected())
}

pub(crate) async fn fetch_all(
    conn: &mut PgConnection,
    sql: &str,
    args: &[Arg<'_>],
) -> Result<Vec<Row>, StoreError> {
    let rows = bind(sql, args).fetch_all(conn).await?;
    Ok(rows.into_iter().map(Row::Postgres).collect())
}

pub(crate) async fn fetch_optional(
    conn: &mut PgConnection,
    sql: &str,
    args: &[Arg<'_>],
) -> Result<Option<Row>, StoreError> {
    Ok(bind(sql, args)
        .fetch_optional(conn)
        .await?
        .map(Row::Postgres))
}

pub(crate) async fn execute_batch(conn: &mut PgConnection, sql: &str) -> Result<(), StoreError> {
    // Through the Executor trait (a boxed future): `RawSql::execute` returns an opaque future
    // whose `Send` proof fails for callers that spawn.
    sqlx::Executor::execute(conn, sqlx::raw_sql(sql)).await?;
    Ok(())
}

/// A typed column of a PostgreSQL row.
pub(crate) fn get<'r, T>(row: &'r PgRow, col: &str) -> Result<T, StoreError>
where
    T: Decode<'r, Postgres> + Type<Postgres>,
{
    Ok(row.try_get::<T, _>(col)?)
}
