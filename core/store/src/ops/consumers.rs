//! Durable consumers of the event log: a named position (the last seq processed) that only
//! moves forward, so a consumer resumes where it left off after a restart.

use crate::backend::args;
use crate::tx::StoreTx;
use crate::{StoreError, now_millis};

fn seq_arg(seq: u64) -> Result<i64, StoreError> {
    i64::try_from(seq).map_err(|_| StoreError::InvalidArgument(format!("seq {seq}")))
}

fn seq_of(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value)
        .map_err(|_| StoreError::corrupt("event_consumers", format!("position {value}")))
}

impl StoreTx {
    /// A consumer's scope (`None`: every session's events) and position, if it is registered.
    pub async fn consumer_position(
        &mut self,
        name: &str,
    ) -> Result<Option<(Option<String>, u64)>, StoreError> {
        let row = self
            .fetch_optional(
                "SELECT session_id, position FROM event_consumers WHERE name = $1",
                args![name],
            )
            .await?;
        row.map(|row| Ok((row.opt_text("session_id")?, seq_of(row.int("position")?)?)))
            .transpose()
    }

    /// Registers consumer `name` over one session's events (or every event, `None`) at position
    /// `start` (the last seq it has already processed; 0 for the beginning). Idempotent: a
    /// registered consumer keeps its position. Answers the consumer's position. Registering an
    /// existing name with another scope is [`StoreError::Conflict`].
    pub async fn register_consumer(
        &mut self,
        name: &str,
        session: Option<&str>,
        start: u64,
    ) -> Result<u64, StoreError> {
        let now = now_millis();
        self.execute(
            "INSERT INTO event_consumers (name, session_id, position, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
            args![name, session, seq_arg(start)?, now],
        )
        .await?;
        match self.consumer_position(name).await? {
            Some((scope, position)) if scope.as_deref() == session => Ok(position),
            Some((scope, _)) => Err(StoreError::Conflict(format!(
                "consumer {name:?} is registered for {scope:?}, not {session:?}"
            ))),
            None => Err(StoreError::NotFound(format!("consumer {name:?}"))),
        }
    }

    /// Moves a consumer's position forward to `seq` (a smaller or equal `seq` changes nothing)
    /// and answers its position. [`StoreError::NotFound`] if it is not registered.
    pub async fn ack_consumer(&mut self, name: &str, seq: u64) -> Result<u64, StoreError> {
        let now = now_millis();
        self.execute(
            "UPDATE event_consumers SET position = $2, updated_at = $3 \
             WHERE name = $1 AND position < $2",
            args![name, seq_arg(seq)?, now],
        )
        .await?;
        match self.consumer_position(name).await? {
            Some((_, position)) => Ok(position),
            None => Err(StoreError::NotFound(format!("consumer {name:?}"))),
        }
    }

    /// Deletes a consumer. Returns whether it existed.
    pub async fn delete_consumer(&mut self, name: &str) -> Result<bool, StoreError> {
        let n = self
            .execute("DELETE FROM event_consumers WHERE name = $1", args![name])
            .await?;
        Ok(n > 0)
    }
}
