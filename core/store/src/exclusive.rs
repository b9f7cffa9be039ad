//! One owner per database: a lock an application (the engine's manager) holds for as long as it
//! has the database open, so a second one on the same database is refused instead of both
//! writing the same sessions. An SQLite file is locked with `flock` on the file itself (not the
//! POSIX locks SQLite uses, so the two never interfere); a PostgreSQL database with a
//! session-level advisory lock on a connection of its own. Either is released when the holder
//! ends, also by a crash or a kill -9 (the kernel drops the file lock, PostgreSQL the lock of a
//! closed connection). A memory database is private to its store and needs none.

use crate::StoreError;
use crate::backend::Database;

/// The advisory lock key of an OpenWA database on PostgreSQL ("OpenWA" in ASCII).
#[cfg(feature = "postgres")]
const PG_LOCK_KEY: i64 = 0x4f70_656e_5741;

/// Tries, 100 ms apart, before a PostgreSQL lock is reported in use.
#[cfg(feature = "postgres")]
const PG_LOCK_TRIES: usize = 30;

/// The held lock; dropping it releases it.
#[derive(Debug)]
pub struct ExclusiveLock(Held);

#[derive(Debug)]
enum Held {
    Nothing,
    File(#[allow(dead_code)] std::fs::File),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgConnection),
}

impl ExclusiveLock {
    /// Takes the lock of `database`, or [`StoreError::InUse`] when another holder has it.
    pub async fn acquire(database: &Database) -> Result<ExclusiveLock, StoreError> {
        match database {
            Database::Memory => Ok(ExclusiveLock(Held::Nothing)),
            Database::Sqlite(path) => {
                // As the store does on open: the file's directory is created if missing.
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        StoreError::Config(format!("cannot create {}: {e}", parent.display()))
                    })?;
                }
                let file = std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create(true)
                    .truncate(false)
                    .open(path)
                    .map_err(|e| StoreError::Config(format!("opening {}: {e}", path.display())))?;
                match file.try_lock() {
                    Ok(()) => Ok(ExclusiveLock(Held::File(file))),
                    Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::InUse(format!(
                        "{} is open in another process or manager",
                        path.display()
                    ))),
                    Err(std::fs::TryLockError::Error(e)) => Err(StoreError::Config(format!(
                        "locking {}: {e}",
                        path.display()
                    ))),
                }
            }
            #[cfg(feature = "postgres")]
            Database::Postgres(url) => {
                use sqlx::Connection as _;
                use std::str::FromStr as _;
                let options = sqlx::postgres::PgConnectOptions::from_str(url)
                    .map_err(|e| StoreError::Config(format!("bad PostgreSQL URL: {e}")))?;
                let mut conn = sqlx::PgConnection::connect_with(&options).await?;
                // A holder that just went away without unlocking (dropped, killed) frees the
                // lock when the server notices its connection closed, a moment later.
                for _ in 0..PG_LOCK_TRIES {
                    let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                        .bind(PG_LOCK_KEY)
                        .fetch_one(&mut conn)
                        .await?;
                    if locked {
                        return Ok(ExclusiveLock(Held::Postgres(conn)));
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                let _ = conn.close().await;
                Err(StoreError::InUse(
                    "this PostgreSQL database is open in another process or manager".into(),
                ))
            }
        }
    }

    /// Releases the lock now (dropping it does too; this also closes a PostgreSQL connection
    /// politely).
    pub async fn release(self) {
        match self.0 {
            Held::Nothing | Held::File(_) => {}
            #[cfg(feature = "postgres")]
            Held::Postgres(mut conn) => {
                use sqlx::Connection as _;
                // Unlocked before the close, so a manager opened right after finds it free.
                let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(PG_LOCK_KEY)
                    .execute(&mut conn)
                    .await;
                let _ = conn.close().await;
            }
        }
    }
}
