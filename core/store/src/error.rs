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
    /// The database is held by another owner (see [`crate::ExclusiveLock`]).
    #[error("database in use: {0}")]
    InUse(String),
    /// The configuration is unusable (bad URL, bad key or key file).
    #[error("invalid store configuration: {0}")]
    Config(String),
    /// The database cannot be reached (connection refused, pool exhausted, I/O error).
    #[error("database unavailable: {0}")]
    Unavailable(#[source] BackendError),
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
    Backend(#[source] BackendError),
}

impl StoreError {
    /// Whether retrying the same operation later may succeed (transient backend trouble).
    pub fn is_retryable(&self) -> bool {
        match self {
            StoreError::Unavailable(_) => true,
            StoreError::GroupFailed { retryable, .. } => *retryable,
            StoreError::Backend(err) => {
                // SQLite busy/locked, PostgreSQL serialization failure / deadlock.
                matches!(err.code(), Some("5" | "6" | "40001" | "40P01"))
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

#[cfg(feature = "postgres")]
impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::RowNotFound => StoreError::NotFound("row".to_owned()),
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(BackendError::new(err, None)),
            sqlx::Error::Database(ref db) => match db.kind() {
                sqlx::error::ErrorKind::UniqueViolation => {
                    StoreError::Conflict(db.message().to_owned())
                }
                sqlx::error::ErrorKind::ForeignKeyViolation => missing_reference(db.message()),
                _ => {
                    let code = db.code().map(|c| c.into_owned());
                    StoreError::Backend(BackendError::new(err, code))
                }
            },
            sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => StoreError::Corrupt {
                table: "?",
                reason: err.to_string(),
            },
            other => StoreError::Backend(BackendError::new(other, None)),
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        use rusqlite::ffi;
        match err {
            rusqlite::Error::SqliteFailure(code, ref message) => {
                let message = message.clone().unwrap_or_else(|| code.to_string());
                match code.extended_code {
                    ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                        StoreError::Conflict(message)
                    }
                    ffi::SQLITE_CONSTRAINT_FOREIGNKEY => missing_reference(&message),
                    extended => {
                        // The primary result code (the low byte), as sqlx reported it.
                        let primary = (extended & 0xff).to_string();
                        match code.code {
                            rusqlite::ErrorCode::CannotOpen
                            | rusqlite::ErrorCode::SystemIoFailure
                            | rusqlite::ErrorCode::DiskFull
                            | rusqlite::ErrorCode::PermissionDenied => {
                                StoreError::Unavailable(BackendError::new(err, Some(primary)))
                            }
                            _ => StoreError::Backend(BackendError::new(err, Some(primary))),
                        }
                    }
                }
            }
            rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::IntegralValueOutOfRange(..)
            | rusqlite::Error::Utf8Error(..)
            | rusqlite::Error::InvalidColumnType(..) => StoreError::Corrupt {
                table: "?",
                reason: err.to_string(),
            },
            other => StoreError::Backend(BackendError::new(other, None)),
        }
    }
}

fn missing_reference(message: &str) -> StoreError {
    StoreError::NotFound(format!(
        "referenced row missing (create the session first): {message}"
    ))
}

/// A database driver's own error (SQLite's or PostgreSQL's), with the database's error code
/// when it gave one.
#[derive(Debug)]
pub struct BackendError {
    code: Option<String>,
    source: Box<dyn std::error::Error + Send + Sync + 'static>,
}

impl BackendError {
    pub(crate) fn new(
        source: impl std::error::Error + Send + Sync + 'static,
        code: Option<String>,
    ) -> Self {
        BackendError {
            code,
            source: Box::new(source),
        }
    }

    /// An error with only a message (e.g. "the store is closed").
    pub(crate) fn message(text: &str) -> Self {
        BackendError {
            code: None,
            source: text.into(),
        }
    }

    /// The database's error code: SQLite's primary result code ("5" busy, "6" locked) or
    /// PostgreSQL's SQLSTATE ("40001", …).
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }
}

impl std::fmt::Display for BackendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.source.fmt(f)
    }
}

impl std::error::Error for BackendError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.source()
    }
}
