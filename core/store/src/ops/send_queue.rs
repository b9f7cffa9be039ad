//! The send queue: outgoing messages waiting for the server's ack, in the order they were
//! queued (the `send_queue` migration).

use std::sync::atomic::{AtomicI64, Ordering};

use crate::backend::args;
use crate::tx::{StoreTx, limit};
use crate::{QueuedSend, StoreError};

/// The last position handed out in this process. Positions are Unix microseconds, bumped past
/// the last one when two sends fall in the same microsecond; one process writes a database at a
/// time (its exclusive lock), so they grow across restarts too.
static LAST_POSITION: AtomicI64 = AtomicI64::new(0);

fn next_position() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
    let mut last = LAST_POSITION.load(Ordering::Relaxed);
    loop {
        let next = now.max(last.saturating_add(1));
        match LAST_POSITION.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed)
        {
            Ok(_) => return next,
            Err(seen) => last = seen,
        }
    }
}

impl StoreTx {
    /// Puts message `message_id` of `chat` at the end of a session's send queue; returns its
    /// position. The message itself is stored apart (in the same unit). Queuing a message
    /// twice is [`StoreError::Conflict`]; an unknown session is a foreign-key failure.
    pub async fn queue_send(
        &mut self,
        session_id: &str,
        chat: &str,
        message_id: &str,
    ) -> Result<i64, StoreError> {
        let position = next_position();
        self.execute(
            "INSERT INTO send_queue (session_id, position, chat, message_id) \
             VALUES ($1, $2, $3, $4)",
            args![session_id, position, chat, message_id],
        )
        .await
        .map_err(|err| match err {
            StoreError::Conflict(_) => {
                StoreError::Conflict(format!("message {message_id} of {chat} is already queued"))
            }
            other => other,
        })?;
        Ok(position)
    }

    /// Up to `max` queued sends of a session after position `after` (0: from the start), in
    /// queue order.
    pub async fn queued_sends(
        &mut self,
        session_id: &str,
        after: i64,
        max: u32,
    ) -> Result<Vec<QueuedSend>, StoreError> {
        let rows = self
            .fetch_all(
                "SELECT position, chat, message_id FROM send_queue \
                 WHERE session_id = $1 AND position > $2 ORDER BY position LIMIT $3",
                args![session_id, after, limit(max)?],
            )
            .await?;
        rows.iter()
            .map(|row| {
                Ok(QueuedSend {
                    position: row.int("position")?,
                    chat: row.text("chat")?,
                    message_id: row.text("message_id")?,
                })
            })
            .collect()
    }

    /// Takes message `message_id` of `chat` off a session's send queue; returns whether it was
    /// queued.
    pub async fn unqueue_send(
        &mut self,
        session_id: &str,
        chat: &str,
        message_id: &str,
    ) -> Result<bool, StoreError> {
        let n = self
            .execute(
                "DELETE FROM send_queue WHERE session_id = $1 AND chat = $2 AND message_id = $3",
                args![session_id, chat, message_id],
            )
            .await?;
        Ok(n > 0)
    }
}
