//! [`StoreTx`]: a unit of work on the store. Every operation of the store is a method of it; the
//! [`crate::Store`] methods are one-operation transactions around the same code.

use std::sync::Arc;

use crate::StoreError;
use crate::backend::{Arg, Handle, Row};
use crate::crypto::Cipher;

/// A database transaction (or, internally, a read connection). Nothing it writes is visible to
/// others or durable until [`StoreTx::commit`] returns; dropping it rolls back.
///
/// "Persist, then ack": put the incoming message, the Signal state change it caused and its event
/// in one `StoreTx`, commit, and only then send the receipt.
///
/// On SQLite there is one writer connection: keep transactions short and never hold one across
/// network I/O, or other writers wait. A memory store also reads on that connection: while
/// holding a `StoreTx` of a memory store, read through the `StoreTx`, not through
/// [`crate::Store`] (which would wait for this transaction to end).
#[derive(Debug)]
pub struct StoreTx {
    pub(crate) handle: Handle,
    pub(crate) cipher: Arc<Cipher>,
    pub(crate) seqs: SeqCounter,
}

/// How a transaction takes event seqs from the `event_seq` counter row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SeqCounter {
    /// Every append increments the row (one-off transactions).
    PerAppend,
    /// A group commit that has not appended yet: its first append increments (and locks) the
    /// row, later ones count in memory, [`StoreTx::flush_seqs`] writes the last one back.
    Unread,
    /// A group commit's counter: the last seq handed out, and the value the row holds.
    Held { last: i64, stored: i64 },
}

impl StoreTx {
    /// A transaction on `handle`.
    pub(crate) fn new(handle: Handle, cipher: &Arc<Cipher>, seqs: SeqCounter) -> Self {
        StoreTx {
            handle,
            cipher: Arc::clone(cipher),
            seqs,
        }
    }

    /// Makes every write of this transaction durable and visible, atomically.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.handle.commit().await
    }

    /// Discards every write of this transaction.
    pub async fn rollback(self) -> Result<(), StoreError> {
        self.handle.rollback().await
    }

    /// Runs one statement; answers how many rows it changed.
    pub(crate) async fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64, StoreError> {
        self.handle.execute(sql, args).await
    }

    /// Runs one query; answers its first row, if any.
    pub(crate) async fn fetch_optional(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<Option<Row>, StoreError> {
        self.handle.fetch_optional(sql, args).await
    }

    /// Runs one query that always answers a row (an aggregate, a `RETURNING`).
    pub(crate) async fn fetch_one(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<Row, StoreError> {
        self.fetch_optional(sql, args)
            .await?
            .ok_or_else(|| StoreError::NotFound("row".to_owned()))
    }

    /// Runs one query; answers its rows.
    pub(crate) async fn fetch_all(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<Vec<Row>, StoreError> {
        self.handle.fetch_all(sql, args).await
    }

    /// Runs `;`-separated statements without parameters.
    pub(crate) async fn execute_batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.handle.execute_batch(sql).await
    }
}

/// Converts a stored integer back to `u32`, or reports the row as corrupt.
pub(crate) fn to_u32(table: &'static str, value: i64) -> Result<u32, StoreError> {
    u32::try_from(value)
        .map_err(|_| StoreError::corrupt(table, format!("{value} is not a valid u32")))
}

/// Converts a stored byte column to a fixed-size array, or reports the row as corrupt.
pub(crate) fn to_array<const N: usize>(
    table: &'static str,
    bytes: &[u8],
) -> Result<[u8; N], StoreError> {
    <[u8; N]>::try_from(bytes)
        .map_err(|_| StoreError::corrupt(table, format!("expected {N} bytes, got {}", bytes.len())))
}

/// Checks a caller-given page/batch limit and turns it into an SQL bind value.
pub(crate) fn limit(limit: u32) -> Result<i64, StoreError> {
    if limit == 0 {
        return Err(StoreError::InvalidArgument(
            "limit must be at least 1".to_owned(),
        ));
    }
    Ok(i64::from(limit))
}
