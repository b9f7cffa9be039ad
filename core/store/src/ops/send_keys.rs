//! Idempotency keys of sends: a caller-chosen key per session, bound to the message it was
//! first used for, for [`SEND_KEY_TTL_MS`].

use std::sync::atomic::{AtomicU64, Ordering};

use crate::backend::args;
use crate::tx::StoreTx;
use crate::{SendKeyClaim, StoreError, now_millis};

/// The longest idempotency key, in bytes.
pub const MAX_SEND_KEY_LEN: usize = 256;

/// How long a claimed key stays bound: 24 hours (OpenWA's window). An older key is free again.
pub const SEND_KEY_TTL_MS: i64 = 24 * 60 * 60 * 1000;

/// Every this many claims (in this process) also delete every expired key, so the table stays
/// as large as a day of keyed sends; the first claim after a start does it too.
const PRUNE_EVERY: u64 = 1024;

/// Claims made in this process, for [`PRUNE_EVERY`].
static CLAIMS: AtomicU64 = AtomicU64::new(0);

fn check_key(key: &str) -> Result<(), StoreError> {
    if key.is_empty() || key.len() > MAX_SEND_KEY_LEN {
        return Err(StoreError::InvalidArgument(format!(
            "a send key has 1 to {MAX_SEND_KEY_LEN} bytes, not {}",
            key.len()
        )));
    }
    Ok(())
}

impl StoreTx {
    /// Claims idempotency key `key` of a session for the message `message_id` in `chat`:
    /// [`SendKeyClaim::Claimed`] if the key was free or its claim expired ([`SEND_KEY_TTL_MS`];
    /// it is now bound to that message), or [`SendKeyClaim::Existing`] with the message it was
    /// bound to before (nothing changes).
    /// Claim it in the transaction (or write unit) that stores the outgoing message, so the
    /// message and its key commit together. A key has 1 to [`MAX_SEND_KEY_LEN`] bytes
    /// ([`StoreError::InvalidArgument`] otherwise); an unknown session is
    /// [`StoreError::NotFound`].
    pub async fn claim_send_key(
        &mut self,
        session_id: &str,
        key: &str,
        chat: &str,
        message_id: &str,
    ) -> Result<SendKeyClaim, StoreError> {
        check_key(key)?;
        let now = now_millis();
        let expired = now - SEND_KEY_TTL_MS;
        if CLAIMS
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(PRUNE_EVERY)
        {
            self.prune_send_keys(expired).await?;
        }
        // A free key is inserted; an expired claim of it is taken over in the same statement.
        let inserted = self
            .execute(
                "INSERT INTO send_keys (session_id, key, chat, message_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (session_id, key) DO UPDATE \
                 SET chat = excluded.chat, message_id = excluded.message_id, \
                 created_at = excluded.created_at WHERE send_keys.created_at < $6",
                args![session_id, key, chat, message_id, now, expired],
            )
            .await?;
        if inserted > 0 {
            return Ok(SendKeyClaim::Claimed);
        }
        match self.send_key(session_id, key).await? {
            Some((chat, message_id)) => Ok(SendKeyClaim::Existing { chat, message_id }),
            None => Err(StoreError::NotFound(format!("send key {key:?}"))),
        }
    }

    /// The `(chat, message id)` a session's idempotency key is bound to, if claimed less than
    /// [`SEND_KEY_TTL_MS`] ago.
    pub async fn send_key(
        &mut self,
        session_id: &str,
        key: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        check_key(key)?;
        let row = self
            .fetch_optional(
                "SELECT chat, message_id FROM send_keys \
                 WHERE session_id = $1 AND key = $2 AND created_at >= $3",
                args![session_id, key, now_millis() - SEND_KEY_TTL_MS],
            )
            .await?;
        row.map(|row| Ok((row.text("chat")?, row.text("message_id")?)))
            .transpose()
    }

    /// Deletes the idempotency keys (of every session) claimed before `older_than_ms` (Unix
    /// milliseconds). Returns how many.
    pub async fn prune_send_keys(&mut self, older_than_ms: i64) -> Result<u64, StoreError> {
        self.execute(
            "DELETE FROM send_keys WHERE created_at < $1",
            args![older_than_ms],
        )
        .await
    }
}
