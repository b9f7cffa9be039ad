//! SQLite through `rusqlite`: one writer connection, a pool of read-only readers, and statement
//! execution with [`Arg`] parameters.
//!
//! A statement runs on the calling thread (SQLite is an in-process library; a cached prepared
//! statement costs a few microseconds), so there is no hand-off to a driver thread per
//! statement. The writer connection sits behind an async mutex: the group-commit thread
//! ([`crate::writer`]) and [`crate::Store::begin`] take turns on it.
//!
//! The memory backend ([`Lite::memory`]) is the same code on a database that lives only in this
//! process's memory: SQLite's `memdb` VFS under a random name starting with `/` (a name the VFS
//! would share among the connections of this process that open it; a new random name per
//! store keeps two memory stores apart). Nothing goes to disk: memdb keeps the rollback journal
//! in memory, and temporary tables go to memory too. The database is freed when its last
//! connection closes, i.e. when the store is closed or dropped.
//!
//! A memory store reads on its writer connection, between write transactions, instead of
//! through reader connections: memdb cannot do WAL, and its locks refuse a reader (`SQLITE_BUSY`)
//! for as long as any write transaction is open, which the group commit keeps open most of the
//! time under load. Reader connections would spend that time in SQLite's busy handler, sleeping
//! on the calling (runtime) thread; a read on the writer instead awaits its turn on the async
//! mutex, like [`crate::Store::begin`]. The consequence: on a memory store, a task holding a
//! [`crate::StoreTx`] must not read through [`crate::Store`] until it commits (it would wait for
//! itself); read through the transaction instead.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rand_core::{OsRng, RngCore};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, Statement};
use tokio::sync::{OwnedMutexGuard, OwnedSemaphorePermit, Semaphore};

use crate::StoreError;
use crate::backend::{Arg, Row};
use crate::error::BackendError;

/// How long a statement waits for a lock held by another connection (another process on the
/// same file, or a checkpoint) before failing as busy.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Prepared statements kept per connection: more than the store has distinct statements.
const STATEMENT_CACHE: usize = 128;

/// The SQLite side of a store. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Lite {
    writer: Arc<tokio::sync::Mutex<Option<Connection>>>,
    readers: Arc<Readers>,
}

#[derive(Debug)]
pub(crate) struct Readers {
    /// What the readers open: the file's path, or the memory database's URI.
    target: PathBuf,
    /// How they open it (read-only).
    flags: OpenFlags,
    /// Statements each new reader runs first.
    setup: &'static str,
    /// Reads run on the writer connection (a memory store; see the module docs).
    on_writer: bool,
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
}

fn closed() -> StoreError {
    StoreError::Unavailable(BackendError::message("the store is closed"))
}

impl Lite {
    /// Opens (creating if missing) the database file and its writer connection, in WAL mode with
    /// `synchronous=FULL`; readers are opened on first use, at most `max_readers`.
    pub(crate) fn open(path: &Path, max_readers: u32) -> Result<Lite, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::Config(format!("cannot create {}: {e}", parent.display()))
            })?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let writer = connect(path, flags)?;
        // FULL: a commit is on disk before it returns, so "persist, then ack" holds across power
        // loss too, not only process crashes.
        // The writer's page cache (up to 32 MiB) keeps the pages every group rewrites (table and
        // index tails, Signal sessions) in memory; a checkpoint every 10,000 WAL pages (≈ 40 MB)
        // copies a page that many groups rewrote once. Measured: ≈ +6 % messages/s under load.
        writer.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
             PRAGMA cache_size = -32768; PRAGMA wal_autocheckpoint = 10000;",
        )?;
        Ok(Lite::new(
            writer,
            Readers {
                on_writer: false,
                ..Readers::new(
                    path.to_owned(),
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                    "",
                    max_readers,
                )
            },
        ))
    }

    /// Creates a fresh database in this process's memory, under a new random name (see the
    /// module docs), with its writer connection; readers are opened on first use.
    pub(crate) fn memory(max_readers: u32) -> Result<Lite, StoreError> {
        let uri = format!(
            "file:/openwa-mem-{:016x}{:016x}?vfs=memdb",
            OsRng.next_u64(),
            OsRng.next_u64()
        );
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let writer = connect(Path::new(&uri), flags)?;
        // memdb forces the rollback journal into memory; say so, and keep temporary tables and
        // indices (sorts) in memory too, so that no statement ever creates a file.
        writer.execute_batch(
            "PRAGMA journal_mode = MEMORY; PRAGMA temp_store = MEMORY; \
             PRAGMA foreign_keys = ON; PRAGMA cache_size = -32768;",
        )?;
        // No reader connections: reads take turns on the writer (see the module docs). The
        // reader settings stay right should that change.
        Ok(Lite::new(
            writer,
            Readers {
                on_writer: true,
                ..Readers::new(
                    PathBuf::from(uri),
                    OpenFlags::SQLITE_OPEN_READ_ONLY
                        | OpenFlags::SQLITE_OPEN_URI
                        | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                    // Sorts and temporary indices in memory too.
                    "PRAGMA temp_store = MEMORY;",
                    max_readers,
                )
            },
        ))
    }

    fn new(writer: Connection, readers: Readers) -> Lite {
        Lite {
            writer: Arc::new(tokio::sync::Mutex::new(Some(writer))),
            readers: Arc::new(readers),
        }
    }

    /// What the connections open: the database file's path, or a memory database's URI.
    #[cfg(feature = "testing")]
    pub(crate) fn target(&self) -> &Path {
        &self.readers.target
    }

    /// Whether this is a memory database.
    #[cfg(feature = "testing")]
    pub(crate) fn is_memory(&self) -> bool {
        self.readers.flags.contains(OpenFlags::SQLITE_OPEN_URI)
    }

    /// Starts a write transaction on the writer connection, waiting for its turn.
    pub(crate) async fn begin(&self) -> Result<LiteTx, StoreError> {
        let mut guard = Arc::clone(&self.writer).lock_owned().await;
        let conn = guard.as_mut().ok_or_else(closed)?;
        // IMMEDIATE: take the database's write lock now (another process may share the file),
        // so a statement never fails half-way for want of it.
        conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(LiteTx { guard })
    }

    /// A reader connection from the pool (for a memory store, the writer connection once no
    /// write transaction holds it).
    pub(crate) async fn read(&self) -> Result<LiteRead, StoreError> {
        if self.readers.on_writer {
            let guard = Arc::clone(&self.writer).lock_owned().await;
            if guard.is_none() {
                return Err(closed());
            }
            return Ok(LiteRead::Writer(guard));
        }
        let permit = Arc::clone(&self.readers.permits)
            .acquire_owned()
            .await
            .map_err(|_| closed())?;
        let idle = self
            .readers
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match idle {
            Some(conn) => conn,
            None => {
                let conn = connect(&self.readers.target, self.readers.flags)?;
                conn.execute_batch(self.readers.setup)?;
                conn
            }
        };
        Ok(LiteRead::Pooled {
            conn: Some(conn),
            readers: Arc::clone(&self.readers),
            _permit: permit,
        })
    }

    /// Closes every connection once the writer's current transaction is over.
    pub(crate) async fn close(&self) {
        self.readers.permits.close();
        self.readers
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        self.writer.lock().await.take();
    }
}

fn connect(target: &Path, flags: OpenFlags) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(target, flags).map_err(|e| {
        StoreError::Unavailable(BackendError::message(&format!(
            "cannot open {}: {e}",
            target.display()
        )))
    })?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

impl Readers {
    fn new(target: PathBuf, flags: OpenFlags, setup: &'static str, max: u32) -> Readers {
        let permits = usize::try_from(max).unwrap_or(1).max(1);
        Readers {
            target,
            flags,
            setup,
            on_writer: false,
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(permits)),
        }
    }
}

/// A write transaction on the writer connection; rolled back if dropped before its commit.
#[derive(Debug)]
pub(crate) struct LiteTx {
    guard: OwnedMutexGuard<Option<Connection>>,
}

impl LiteTx {
    pub(crate) fn conn(&mut self) -> Result<&mut Connection, StoreError> {
        self.guard.as_mut().ok_or_else(closed)
    }

    pub(crate) fn commit(mut self) -> Result<(), StoreError> {
        // A failed COMMIT leaves the transaction open; `drop` rolls it back.
        self.conn()?.execute_batch("COMMIT")?;
        Ok(())
    }

    pub(crate) fn rollback(mut self) -> Result<(), StoreError> {
        self.conn()?.execute_batch("ROLLBACK")?;
        Ok(())
    }
}

impl Drop for LiteTx {
    fn drop(&mut self) {
        if let Some(conn) = self.guard.as_mut()
            && !conn.is_autocommit()
        {
            // Nothing to report to: the transaction is abandoned either way.
            let _ = conn.execute_batch("ROLLBACK");
        }
    }
}

/// A connection for reads: a pooled read-only connection (back to the pool when dropped), or a
/// memory store's writer connection outside any transaction.
#[derive(Debug)]
pub(crate) enum LiteRead {
    Pooled {
        conn: Option<Connection>,
        readers: Arc<Readers>,
        _permit: OwnedSemaphorePermit,
    },
    Writer(OwnedMutexGuard<Option<Connection>>),
}

impl LiteRead {
    pub(crate) fn conn(&mut self) -> Result<&mut Connection, StoreError> {
        match self {
            LiteRead::Pooled { conn, .. } => conn.as_mut().ok_or_else(closed),
            LiteRead::Writer(guard) => guard.as_mut().ok_or_else(closed),
        }
    }
}

impl Drop for LiteRead {
    fn drop(&mut self) {
        if let LiteRead::Pooled { conn, readers, .. } = self
            && let Some(conn) = conn.take()
            && !readers.permits.is_closed()
        {
            readers
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(conn);
        }
    }
}

/// Binds `$N` parameters by their number, as PostgreSQL does (SQLite itself would number named
/// parameters by first appearance).
fn bind(stmt: &mut Statement<'_>, args: &[Arg<'_>]) -> Result<(), StoreError> {
    for index in 1..=stmt.parameter_count() {
        let arg = stmt
            .parameter_name(index)
            .and_then(|name| name.strip_prefix('$'))
            .and_then(|number| number.parse::<usize>().ok())
            .and_then(|number| number.checked_sub(1))
            .and_then(|at| args.get(at))
            .copied()
            .ok_or_else(|| {
                StoreError::InvalidArgument(format!("SQL parameter {index} has no value"))
            })?;
        match arg {
            Arg::Int(value) => stmt.raw_bind_parameter(index, value)?,
            Arg::Text(value) => stmt.raw_bind_parameter(index, value)?,
            Arg::Bytes(value) => stmt.raw_bind_parameter(index, value)?,
        }
    }
    Ok(())
}

pub(crate) fn execute(
    conn: &mut Connection,
    sql: &str,
    args: &[Arg<'_>],
) -> Result<u64, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    bind(&mut stmt, args)?;
    let changed = stmt.raw_execute()?;
    Ok(u64::try_from(changed).unwrap_or(u64::MAX))
}

/// Runs a query and reads up to `max` rows.
pub(crate) fn fetch(
    conn: &mut Connection,
    sql: &str,
    args: &[Arg<'_>],
    max: usize,
) -> Result<Vec<Row>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    bind(&mut stmt, args)?;
    let names: Arc<[String]> = stmt.column_names().map(str::to_owned).collect();
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while out.len() < max {
        let Some(row) = rows.next()? else { break };
        let values = (0..names.len())
            .map(|i| Ok(Value::read(row.get_ref(i)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        out.push(Row::Sqlite(LiteRow {
            names: Arc::clone(&names),
            values,
        }));
    }
    Ok(out)
}

pub(crate) fn execute_batch(conn: &mut Connection, sql: &str) -> Result<(), StoreError> {
    Ok(conn.execute_batch(sql)?)
}

/// A column value as read.
#[derive(Debug)]
enum Value {
    Null,
    Int(i64),
    Real,
    Text(Vec<u8>),
    Blob(Vec<u8>),
}

impl Value {
    fn read(value: ValueRef<'_>) -> Value {
        match value {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(n) => Value::Int(n),
            ValueRef::Real(_) => Value::Real,
            ValueRef::Text(text) => Value::Text(text.to_vec()),
            ValueRef::Blob(bytes) => Value::Blob(bytes.to_vec()),
        }
    }
}

/// One SQLite result row.
#[derive(Debug)]
pub(crate) struct LiteRow {
    names: Arc<[String]>,
    values: Vec<Value>,
}

fn wrong_type(col: &str, want: &str) -> StoreError {
    StoreError::corrupt("?", format!("column {col} is not {want}"))
}

impl LiteRow {
    fn get(&self, col: &str) -> Result<&Value, StoreError> {
        self.names
            .iter()
            .position(|name| name == col)
            .and_then(|i| self.values.get(i))
            .ok_or_else(|| StoreError::corrupt("?", format!("no column {col}")))
    }

    pub(crate) fn int(&self, col: &str) -> Result<i64, StoreError> {
        match self.get(col)? {
            Value::Int(n) => Ok(*n),
            _ => Err(wrong_type(col, "an integer")),
        }
    }

    pub(crate) fn opt_text(&self, col: &str) -> Result<Option<String>, StoreError> {
        match self.get(col)? {
            Value::Null => Ok(None),
            Value::Text(bytes) => String::from_utf8(bytes.clone())
                .map(Some)
                .map_err(|_| wrong_type(col, "valid UTF-8")),
            _ => Err(wrong_type(col, "text")),
        }
    }

    pub(crate) fn text(&self, col: &str) -> Result<String, StoreError> {
        self.opt_text(col)?.ok_or_else(|| wrong_type(col, "text"))
    }

    pub(crate) fn opt_bytes(&self, col: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match self.get(col)? {
            Value::Null => Ok(None),
            Value::Blob(bytes) => Ok(Some(bytes.clone())),
            _ => Err(wrong_type(col, "bytes")),
        }
    }

    pub(crate) fn bytes(&self, col: &str) -> Result<Vec<u8>, StoreError> {
        self.opt_bytes(col)?.ok_or_else(|| wrong_type(col, "bytes"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(conn: &Connection, sql: &str) -> String {
        conn.query_row(sql, [], |row| row.get(0)).unwrap()
    }

    #[tokio::test]
    async fn memory_databases_keep_their_journal_in_memory_and_refuse_wal() {
        let lite = Lite::memory(4).unwrap();
        let mut tx = lite.begin().await.unwrap();
        let conn = tx.conn().unwrap();
        assert_eq!(text(conn, "PRAGMA journal_mode"), "memory");
        conn.execute_batch("CREATE TABLE t (x BIGINT)").unwrap();
        tx.commit().unwrap();
        let mut read = lite.read().await.unwrap();
        let conn = read.conn().unwrap();
        // memdb has no shared memory for a WAL index: the mode stays.
        assert_eq!(text(conn, "PRAGMA journal_mode = WAL"), "memory");
        let temp_store: i64 = conn
            .query_row("PRAGMA temp_store", [], |row| row.get(0))
            .unwrap();
        assert_eq!(temp_store, 2, "temp_store = MEMORY");
        drop(read);
        lite.close().await;
    }

    #[tokio::test]
    async fn memory_databases_are_private_and_freed_at_close() {
        let one = Lite::memory(1).unwrap();
        let two = Lite::memory(1).unwrap();
        assert_ne!(one.readers.target, two.readers.target);
        let mut tx = one.begin().await.unwrap();
        tx.conn()
            .unwrap()
            .execute_batch("CREATE TABLE t (x BIGINT)")
            .unwrap();
        tx.commit().unwrap();
        let count = |lite: &Lite| {
            let conn = connect(
                &lite.readers.target,
                OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_CREATE
                    | OpenFlags::SQLITE_OPEN_URI,
            )
            .unwrap();
            text(&conn, "SELECT CAST(COUNT(*) AS TEXT) FROM sqlite_master")
        };
        assert_eq!(count(&one), "1");
        assert_eq!(count(&two), "0");
        one.close().await;
        assert_eq!(count(&one), "0");
        assert!(matches!(one.read().await, Err(StoreError::Unavailable(_))));
        two.close().await;
    }
}
