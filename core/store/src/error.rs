//! The store's one error type.

/// Everything that can go wrong in the store. The engine maps each variant to its public error code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The addressed row does not exist (e.g. the session of a session-scoped write).
    #[error("not found: {0}")]
    NotFound(String),
    /// A write collides with existing data (e.g. creating a session id that already exists).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The encryption key does not open this database (its key-check value fails to decrypt).
    #[error("wrong encryption key: it does not open this database")]
    WrongKey,
    /// A stored value fails to decrypt or decode: tampered, swapped between rows, or damaged.
    #[error("corrupt stored value in {table}: {reason}")]
    Corrupt {
        /// Table the value was read from.
        table: &'static str,
        /// What was wrong with it.
        reason: String,
    },
    /// A caller passed a value the store cannot hold (e.g. an out-of-range number).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The configuration is unusable (bad URL, bad key or key file).
    #[error("invalid store configuration: {0}")]
    Config(String),
    /// The database cannot be reached (connection refused, pool exhausted, I/O error).
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// A schema migration failed, or the database has a newer schema than this build knows.
    #[error("schema migration failed: {0}")]
    Migration(String),
    /// Reading or creating the key file failed.
    #[error("key file {path}: {source}")]
    KeyFile {
        /// Path of the key file.
        path: std::path::PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The group commit this write was part of failed as a whole (see [`crate::Store::write`]);
    /// none of the group's writes happened.
    #[error("group commit failed: {reason}")]
    GroupFailed {
        /// The error of the group's transaction.
        reason: String,
        /// Whether that error was transient.
        retryable: bool,
    },
    /// Any other database error.
    #[error("database error: {0}")]
    Backend(#[source] sqlx::Error),
}

impl StoreError {
    /// Whether retrying the same operation later may succeed (transient backend trouble).
    pub fn is_retryable(&self) -> bool {
        match self {
            StoreError::Unavailable(_) => true,
            StoreError::GroupFailed { retryable, .. } => *retryable,
            StoreError::Backend(sqlx::Error::Database(db)) => {
                // SQLite busy/locked, PostgreSQL serialization failure / deadlock.
                matches!(db.code().as_deref(), Some("5" | "6" | "40001" | "40P01"))
            }
            _ => false,
        }
    }

    pub(crate) fn corrupt(table: &'static str, reason: impl Into<String>) -> Self {
        StoreError::Corrupt {
            table,
            reason: reason.into(),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::RowNotFound => StoreError::NotFound("row".to_owned()),
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(err),
            sqlx::Error::Database(ref db) => match db.kind() {
                sqlx::error::ErrorKind::UniqueViolation => {
                    StoreError::Conflict(db.message().to_owned())
                }
                sqlx::error::ErrorKind::ForeignKeyViolation => StoreError::NotFound(format!(
                    "referenced row missing (create the session first): {}",
                    db.message()
                )),
                _ => StoreError::Backend(err),
            },
            sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => StoreError::Corrupt {
                table: "?",
                reason: err.to_string(),
            },
            other => StoreError::Backend(other),
        }
    }
}
