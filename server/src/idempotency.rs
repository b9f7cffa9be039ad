//! `Idempotency-Key` on sends: the server remembers each key's answer for 24 hours (OpenWA's
//! window, the same as the engine's, `openwa_store::SEND_KEY_TTL_MS`), so a repeat gets the
//! same answer with `Idempotent-Replayed: true`; the engine's own idempotent send guarantees a
//! single message even when the server crashed before it remembered. After 24 hours a key is
//! new again.

use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

use crate::db::{Db, DbError};
use crate::util::now_ms;

/// How long an answer is remembered: 24 hours.
pub const TTL_MS: i64 = 24 * 60 * 60 * 1000;

/// The answer remembered for a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remembered {
    /// Hash of the request it answered.
    pub request_hash: String,
    /// The message id.
    pub message_id: String,
    /// The message timestamp.
    pub timestamp: i64,
}

/// The hash of a send request's parts.
pub fn request_hash(parts: &[&str]) -> String {
    let mut digest = Sha256::new();
    for part in parts {
        digest.update((part.len() as u64).to_be_bytes());
        digest.update(part.as_bytes());
    }
    hex::encode(digest.finalize())
}

/// The remembered answer for `key` in session `session_id`, unless older than [`TTL_MS`].
pub async fn lookup(db: &Db, session_id: &str, key: &str) -> Result<Option<Remembered>, DbError> {
    let row = db
        .query_one(
            "SELECT request_hash, message_id, timestamp FROM server_idempotency \
             WHERE session_id = $1 AND idem_key = $2 AND created_at >= $3",
            vec![session_id.into(), key.into(), (now_ms() - TTL_MS).into()],
        )
        .await?;
    Ok(row.map(|r| Remembered {
        request_hash: r[0].text(),
        message_id: r[1].text(),
        timestamp: r[2].int(),
    }))
}

/// Every this many answers remembered (in this process) also forget every expired one; the
/// first after a start does too.
const PRUNE_EVERY: u64 = 1024;

/// Answers remembered in this process, for [`PRUNE_EVERY`].
static REMEMBERED: AtomicU64 = AtomicU64::new(0);

/// Remembers the answer for `key`: the first one stays, unless it expired ([`TTL_MS`]).
pub async fn remember(
    db: &Db,
    session_id: &str,
    key: &str,
    answer: &Remembered,
) -> Result<(), DbError> {
    let now = now_ms();
    if REMEMBERED
        .fetch_add(1, Ordering::Relaxed)
        .is_multiple_of(PRUNE_EVERY)
    {
        db.exec(
            "DELETE FROM server_idempotency WHERE created_at < $1",
            vec![(now - TTL_MS).into()],
        )
        .await?;
    }
    db.exec(
        "INSERT INTO server_idempotency (session_id, idem_key, request_hash, message_id, \
         timestamp, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (session_id, idem_key) DO UPDATE SET request_hash = excluded.request_hash, \
         message_id = excluded.message_id, timestamp = excluded.timestamp, \
         created_at = excluded.created_at WHERE server_idempotency.created_at < $7",
        vec![
            session_id.into(),
            key.into(),
            answer.request_hash.clone().into(),
            answer.message_id.clone().into(),
            answer.timestamp.into(),
            now.into(),
            (now - TTL_MS).into(),
        ],
    )
    .await?;
    Ok(())
}
