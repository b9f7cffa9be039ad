//! Poll votes: each voter's latest decrypted vote on a poll (the `poll_votes` migration).

use crate::backend::args;
use crate::tx::StoreTx;
use crate::{PollVoteRecord, StoreError, now_millis};

impl StoreTx {
    /// Records `vote` unless the stored vote of the same voter on the same poll is newer (by
    /// the voter's clock). Returns whether it was recorded. An unknown session is a
    /// foreign-key failure.
    pub async fn put_poll_vote(
        &mut self,
        session_id: &str,
        vote: &PollVoteRecord,
    ) -> Result<bool, StoreError> {
        let selected = serde_json::to_string(&vote.selected)
            .map_err(|e| StoreError::InvalidArgument(format!("poll vote: {e}")))?;
        let n = self
            .execute(
                "INSERT INTO poll_votes (session_id, chat, poll_id, voter, selected, voted_at, \
                 updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (session_id, chat, poll_id, voter) DO UPDATE \
                 SET selected = excluded.selected, voted_at = excluded.voted_at, \
                 updated_at = excluded.updated_at \
                 WHERE poll_votes.voted_at <= excluded.voted_at",
                args![
                    session_id,
                    &vote.chat,
                    &vote.poll_id,
                    &vote.voter,
                    selected.as_str(),
                    vote.voted_at_ms,
                    now_millis(),
                ],
            )
            .await?;
        Ok(n > 0)
    }

    /// The latest vote of every voter on poll `poll_id` of `chat`, by voter.
    pub async fn poll_votes(
        &mut self,
        session_id: &str,
        chat: &str,
        poll_id: &str,
    ) -> Result<Vec<PollVoteRecord>, StoreError> {
        self.fetch_all(
            "SELECT chat, poll_id, voter, selected, voted_at FROM poll_votes \
             WHERE session_id = $1 AND chat = $2 AND poll_id = $3 ORDER BY voter",
            args![session_id, chat, poll_id],
        )
        .await?
        .iter()
        .map(|row| {
            let selected = row.text("selected")?;
            Ok(PollVoteRecord {
                chat: row.text("chat")?,
                poll_id: row.text("poll_id")?,
                voter: row.text("voter")?,
                selected: serde_json::from_str(&selected)
                    .map_err(|e| StoreError::corrupt("poll_votes", e.to_string()))?,
                voted_at_ms: row.int("voted_at")?,
            })
        })
        .collect()
    }
}
