//! The server's own tables (sessions, API keys, webhooks, outbox, idempotency, audit log),
//! prefixed `server_`: in a SQLite file of their own beside the engine's (two writers on one
//! SQLite file wait for each other's lock), or in the engine's PostgreSQL database.
//!
//! Queries are written once with `$1…$n` placeholders and run on either backend; values are
//! integers, texts or NULL.

mod schema;

use std::path::Path;
use std::sync::{Arc, Mutex};

use sqlx::Row;
use sqlx::postgres::{PgPool, PgPoolOptions};

/// One SQL value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// NULL.
    Null,
    /// An integer.
    Int(i64),
    /// A text.
    Text(String),
}

impl Value {
    /// The integer, or 0.
    pub fn int(&self) -> i64 {
        match self {
            Value::Int(i) => *i,
            _ => 0,
        }
    }

    /// The text, or "".
    pub fn text(&self) -> String {
        match self {
            Value::Text(s) => s.clone(),
            _ => String::new(),
        }
    }

    /// The text, or `None` for NULL.
    pub fn opt_text(&self) -> Option<String> {
        match self {
            Value::Text(s) => Some(s.clone()),
            _ => None,
        }
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Text(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Text(s)
    }
}

impl From<Option<String>> for Value {
    fn from(s: Option<String>) -> Value {
        s.map_or(Value::Null, Value::Text)
    }
}

/// A row: its values in column order.
pub type Row2 = Vec<Value>;

/// A database failure.
#[derive(Debug, thiserror::Error)]
#[error("database: {0}")]
pub struct DbError(pub String);

impl From<DbError> for crate::problem::ApiError {
    fn from(e: DbError) -> Self {
        crate::problem::ApiError::internal(e.to_string())
    }
}

/// The server's database handle (cheap to clone).
#[derive(Debug, Clone)]
pub enum Db {
    /// A SQLite file, one connection used from blocking tasks.
    Sqlite(Arc<Mutex<rusqlite::Connection>>),
    /// A PostgreSQL pool.
    Postgres(PgPool),
}

impl Db {
    /// Opens the SQLite file at `path` and migrates it.
    pub async fn sqlite(path: &Path) -> Result<Db, DbError> {
        let path = path.to_owned();
        let conn = tokio::task::spawn_blocking(move || {
            let conn = rusqlite::Connection::open(&path).map_err(err)?;
            conn.busy_timeout(std::time::Duration::from_secs(10))
                .map_err(err)?;
            conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")
                .map_err(err)?;
            Ok::<_, DbError>(conn)
        })
        .await
        .map_err(err)??;
        let db = Db::Sqlite(Arc::new(Mutex::new(conn)));
        db.migrate().await?;
        Ok(db)
    }

    /// Connects to PostgreSQL at `url` and migrates it.
    pub async fn postgres(url: &str) -> Result<Db, DbError> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .connect(url)
            .await
            .map_err(err)?;
        let db = Db::Postgres(pool);
        db.migrate().await?;
        Ok(db)
    }

    /// Applies the migrations this database has not seen yet, each in one transaction with
    /// its row in `server_migrations`.
    async fn migrate(&self) -> Result<(), DbError> {
        self.exec(schema::MIGRATIONS_TABLE, vec![]).await?;
        let done = self
            .query("SELECT version FROM server_migrations", vec![])
            .await?;
        let done: Vec<i64> = done.iter().map(|r| r[0].int()).collect();
        let migrations = match self {
            Db::Sqlite(_) => schema::SQLITE,
            Db::Postgres(_) => schema::POSTGRES,
        };
        for (index, statements) in migrations.iter().enumerate() {
            let version = i64::try_from(index).unwrap_or(i64::MAX) + 1;
            if done.contains(&version) {
                continue;
            }
            let mut batch: Vec<(String, Vec<Value>)> = statements
                .iter()
                .map(|sql| ((*sql).to_owned(), vec![]))
                .collect();
            batch.push((
                "INSERT INTO server_migrations (version) VALUES ($1)".into(),
                vec![version.into()],
            ));
            self.exec_all(batch).await?;
        }
        Ok(())
    }

    /// Runs statements in one transaction: all of them or none.
    pub async fn exec_all(&self, statements: Vec<(String, Vec<Value>)>) -> Result<(), DbError> {
        match self {
            Db::Sqlite(conn) => {
                let conn = conn.clone();
                blocking(move || {
                    let mut conn = conn.lock().map_err(err)?;
                    let tx = conn.transaction().map_err(err)?;
                    for (sql, params) in &statements {
                        tx.execute(
                            &sqlite_sql(sql),
                            rusqlite::params_from_iter(params.iter().map(to_lite)),
                        )
                        .map_err(err)?;
                    }
                    tx.commit().map_err(err)
                })
                .await
            }
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await.map_err(err)?;
                for (sql, params) in statements {
                    bind_pg(sqlx::query(&sql), params)
                        .execute(&mut *tx)
                        .await
                        .map_err(err)?;
                }
                tx.commit().await.map_err(err)
            }
        }
    }

    /// Runs a statement; answers the number of rows it changed.
    pub async fn exec(&self, sql: &str, params: Vec<Value>) -> Result<u64, DbError> {
        match self {
            Db::Sqlite(conn) => {
                let (conn, sql) = (conn.clone(), sqlite_sql(sql));
                blocking(move || {
                    let conn = conn.lock().map_err(err)?;
                    let changed = conn
                        .execute(&sql, rusqlite::params_from_iter(params.iter().map(to_lite)))
                        .map_err(err)?;
                    Ok(changed as u64)
                })
                .await
            }
            Db::Postgres(pool) => {
                let done = bind_pg(sqlx::query(sql), params)
                    .execute(pool)
                    .await
                    .map_err(err)?;
                Ok(done.rows_affected())
            }
        }
    }

    /// Runs a query; answers its rows.
    pub async fn query(&self, sql: &str, params: Vec<Value>) -> Result<Vec<Row2>, DbError> {
        match self {
            Db::Sqlite(conn) => {
                let (conn, sql) = (conn.clone(), sqlite_sql(sql));
                blocking(move || {
                    let conn = conn.lock().map_err(err)?;
                    let mut stmt = conn.prepare_cached(&sql).map_err(err)?;
                    let columns = stmt.column_count();
                    let mut rows = stmt
                        .query(rusqlite::params_from_iter(params.iter().map(to_lite)))
                        .map_err(err)?;
                    let mut out = Vec::new();
                    while let Some(row) = rows.next().map_err(err)? {
                        let mut values = Vec::with_capacity(columns);
                        for i in 0..columns {
                            values.push(from_lite(row.get_ref(i).map_err(err)?));
                        }
                        out.push(values);
                    }
                    Ok(out)
                })
                .await
            }
            Db::Postgres(pool) => {
                let rows = bind_pg(sqlx::query(sql), params)
                    .fetch_all(pool)
                    .await
                    .map_err(err)?;
                Ok(rows.iter().map(from_pg).collect())
            }
        }
    }

    /// The first row of a query, if any.
    pub async fn query_one(&self, sql: &str, params: Vec<Value>) -> Result<Option<Row2>, DbError> {
        Ok(self.query(sql, params).await?.into_iter().next())
    }
}

fn err(e: impl std::fmt::Display) -> DbError {
    DbError(e.to_string())
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, DbError> + Send + 'static,
) -> Result<T, DbError> {
    tokio::task::spawn_blocking(work).await.map_err(err)?
}

/// `$n` placeholders as SQLite's numbered `?n`.
fn sqlite_sql(sql: &str) -> String {
    sql.replace('$', "?")
}

fn to_lite(value: &Value) -> rusqlite::types::Value {
    match value {
        Value::Null => rusqlite::types::Value::Null,
        Value::Int(i) => rusqlite::types::Value::Integer(*i),
        Value::Text(s) => rusqlite::types::Value::Text(s.clone()),
    }
}

fn from_lite(value: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef;
    match value {
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Text(t) | ValueRef::Blob(t) => Value::Text(String::from_utf8_lossy(t).into()),
        ValueRef::Real(r) => Value::Int(r as i64),
        ValueRef::Null => Value::Null,
    }
}

type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

fn bind_pg(mut query: PgQuery<'_>, params: Vec<Value>) -> PgQuery<'_> {
    for value in params {
        query = match value {
            Value::Null => query.bind(None::<String>),
            Value::Int(i) => query.bind(i),
            Value::Text(s) => query.bind(s),
        };
    }
    query
}

fn from_pg(row: &sqlx::postgres::PgRow) -> Row2 {
    (0..row.len())
        .map(|i| {
            if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
                return v.map_or(Value::Null, Value::Int);
            }
            if let Ok(v) = row.try_get::<Option<String>, _>(i) {
                return v.map_or(Value::Null, Value::Text);
            }
            Value::Null
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sqlite_round_trip() {
        let dir = std::env::temp_dir().join(format!("owa-db-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = Db::sqlite(&dir.join("t.db")).await.unwrap();
        db.exec(
            "INSERT INTO server_idempotency (session_id, idem_key, request_hash, message_id, \
             timestamp, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            vec![
                "s".into(),
                "k".into(),
                "h".into(),
                "m".into(),
                7.into(),
                1.into(),
            ],
        )
        .await
        .unwrap();
        let row = db
            .query_one(
                "SELECT message_id, timestamp FROM server_idempotency WHERE session_id = $1",
                vec!["s".into()],
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row, vec![Value::Text("m".into()), Value::Int(7)]);
        // Opening again applies no migration twice.
        let db = Db::sqlite(&dir.join("t.db")).await.unwrap();
        let applied = db
            .query("SELECT version FROM server_migrations", vec![])
            .await
            .unwrap();
        assert_eq!(applied.len(), schema::SQLITE.len());
        assert_eq!(schema::SQLITE.len(), schema::POSTGRES.len());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
