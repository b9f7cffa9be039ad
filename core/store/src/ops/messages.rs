//! Messages (incoming and outgoing, with status and per-chat history). An outgoing message's
//! `payload` (its serialized plaintext) is what the engine re-encrypts on a peer's retry receipt.

use crate::backend::{Arg, Row, args};
use crate::tx::{StoreTx, limit};
use crate::{
    InsertOutcome, MessageCursor, MessagePage, MessageRecord, MessageStatus, PageDirection,
    StoreError, now_millis,
};

const COLUMNS: &str = "SELECT session_id, chat, id, sender, from_me, sent_at, msg_type, body, \
                       payload, status FROM messages";

fn decode(row: &Row) -> Result<MessageRecord, StoreError> {
    let code = row.int("status")?;
    Ok(MessageRecord {
        session_id: row.text("session_id")?,
        chat: row.text("chat")?,
        id: row.text("id")?,
        sender: row.text("sender")?,
        from_me: row.int("from_me")? != 0,
        timestamp: row.int("sent_at")?,
        msg_type: row.text("msg_type")?,
        body: row.opt_text("body")?,
        payload: row.opt_bytes("payload")?,
        status: MessageStatus::from_code(code)
            .ok_or_else(|| StoreError::corrupt("messages", format!("status code {code}")))?,
    })
}

impl StoreTx {
    /// Stores a message. A message with the same `(session, chat, id)` is left untouched and
    /// [`InsertOutcome::Duplicate`] returned, so a redelivery is harmless.
    pub async fn insert_message(
        &mut self,
        message: &MessageRecord,
    ) -> Result<InsertOutcome, StoreError> {
        let now = now_millis();
        let n = self
            .execute(
                "INSERT INTO messages (session_id, chat, id, sender, from_me, sent_at, msg_type, \
                 body, payload, status, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                 ON CONFLICT (session_id, chat, id) DO NOTHING",
                args![
                    &message.session_id,
                    &message.chat,
                    &message.id,
                    &message.sender,
                    i64::from(message.from_me),
                    message.timestamp,
                    &message.msg_type,
                    message.body.as_deref(),
                    message.payload.as_deref(),
                    message.status.code(),
                    now,
                ],
            )
            .await?;
        Ok(if n > 0 {
            InsertOutcome::Inserted
        } else {
            InsertOutcome::Duplicate
        })
    }

    /// One message.
    pub async fn get_message(
        &mut self,
        session_id: &str,
        chat: &str,
        id: &str,
    ) -> Result<Option<MessageRecord>, StoreError> {
        self.get_message_across(session_id, &[chat.to_owned()], id)
            .await
    }

    /// One message stored under any of `chats` (the forms of one chat, e.g. a contact's PN and
    /// LID JIDs); the first listed chat wins if several hold the id.
    pub async fn get_message_across(
        &mut self,
        session_id: &str,
        chats: &[String],
        id: &str,
    ) -> Result<Option<MessageRecord>, StoreError> {
        let sql = format!("{COLUMNS} WHERE session_id = $1 AND chat = $2 AND id = $3");
        let mut found = None;
        for chat in chats {
            let row = self
                .fetch_optional(&sql, args![session_id, chat, id])
                .await?;
            found = row.as_ref().map(decode).transpose()?;
            if found.is_some() {
                break;
            }
        }
        Ok(found)
    }

    /// Moves a message's status forward: pending → sent → delivered → read → played, with
    /// failed reachable only from pending (and left again by any later success). A receipt that
    /// arrives late never moves a status back. Returns whether the status changed; `false` also
    /// when the message is unknown.
    pub async fn update_message_status(
        &mut self,
        session_id: &str,
        chat: &str,
        id: &str,
        status: MessageStatus,
    ) -> Result<bool, StoreError> {
        let allowed: Vec<String> = status
            .may_replace()
            .iter()
            .map(|s| s.code().to_string())
            .collect();
        if allowed.is_empty() {
            return Ok(false);
        }
        // The list holds the store's own integer codes, never caller text.
        let sql = format!(
            "UPDATE messages SET status = $1, updated_at = $2 \
             WHERE session_id = $3 AND chat = $4 AND id = $5 AND status IN ({})",
            allowed.join(", ")
        );
        let now = now_millis();
        let n = self
            .execute(&sql, args![status.code(), now, session_id, chat, id])
            .await?;
        Ok(n > 0)
    }

    /// Replaces what a stored message says (an edit, or a revoke that empties it): its type,
    /// text and protobuf payload. Sender, time and status stay. Returns whether the message
    /// was stored.
    pub async fn update_message_content(
        &mut self,
        session_id: &str,
        chat: &str,
        id: &str,
        msg_type: &str,
        body: Option<&str>,
        payload: Option<&[u8]>,
    ) -> Result<bool, StoreError> {
        let now = now_millis();
        let n = self
            .execute(
                "UPDATE messages SET msg_type = $1, body = $2, payload = $3, updated_at = $4 \
                 WHERE session_id = $5 AND chat = $6 AND id = $7",
                args![msg_type, body, payload, now, session_id, chat, id],
            )
            .await?;
        Ok(n > 0)
    }

    /// A page of a chat's history, ordered by `(timestamp, id)` in the direction asked.
    pub async fn message_page(
        &mut self,
        session_id: &str,
        chat: &str,
        direction: &PageDirection,
        page_size: u32,
    ) -> Result<MessagePage, StoreError> {
        self.message_page_across(session_id, &[chat.to_owned()], direction, page_size)
            .await
    }

    /// A page of the messages stored under any of `chats` (the forms of one chat, e.g. a
    /// contact's PN and LID JIDs) as one history, ordered by `(timestamp, id)` in the direction
    /// asked. Each chat is read through the history index and the pieces merged. Control
    /// messages (types `protocol` and `poll_vote`: edits, revokes and votes we sent, kept for
    /// retry receipts) are not part of a history.
    pub async fn message_page_across(
        &mut self,
        session_id: &str,
        chats: &[String],
        direction: &PageDirection,
        page_size: u32,
    ) -> Result<MessagePage, StoreError> {
        if chats.is_empty() {
            return Err(StoreError::InvalidArgument("no chat given".into()));
        }
        let fetch = limit(page_size)? + 1;
        let (cursor, cmp, order) = match direction {
            PageDirection::Older(cursor) => (cursor, "<", "DESC"),
            PageDirection::Newer(cursor) => (cursor, ">", "ASC"),
        };
        // $1 session, $2 row limit, $3/$4 cursor (when given), then one parameter per chat.
        let (after, first_chat) = match cursor {
            None => (String::new(), 3),
            Some(_) => (
                format!(" AND (sent_at {cmp} $3 OR (sent_at = $3 AND id {cmp} $4))"),
                5,
            ),
        };
        let ordered = format!("ORDER BY sent_at {order}, id {order} LIMIT $2");
        let pieces: Vec<String> = (0..chats.len())
            .map(|i| {
                format!(
                    "SELECT * FROM ({COLUMNS} WHERE session_id = $1 AND chat = ${}{after} \
                     AND msg_type NOT IN ('protocol', 'poll_vote') {ordered}) AS chat{i}",
                    first_chat + i
                )
            })
            .collect();
        let sql = format!("{} {ordered}", pieces.join(" UNION ALL "));
        let mut params: Vec<Arg<'_>> = vec![session_id.into(), fetch.into()];
        if let Some(at) = cursor {
            params.extend([Arg::from(at.timestamp), Arg::from(&at.id)]);
        }
        params.extend(chats.iter().map(Arg::from));
        let rows = self.fetch_all(&sql, &params).await?;
        let mut messages = rows.iter().map(decode).collect::<Result<Vec<_>, _>>()?;
        let more = messages.len() as i64 >= fetch;
        if more {
            messages.pop();
        }
        let next = if more {
            messages.last().map(|m| MessageCursor {
                timestamp: m.timestamp,
                id: m.id.clone(),
            })
        } else {
            None
        };
        // One message stored under two forms of the chat (say, once under the PN and once under
        // the LID) is listed once.
        let mut seen = std::collections::HashSet::new();
        messages.retain(|m| seen.insert((m.id.clone(), m.from_me)));
        Ok(MessagePage { messages, next })
    }

    /// How many messages a history of `chats` (the forms of one chat) holds: as
    /// [`StoreTx::message_page_across`] lists them, each message once.
    pub async fn message_count_across(
        &mut self,
        session_id: &str,
        chats: &[String],
    ) -> Result<u64, StoreError> {
        if chats.is_empty() {
            return Err(StoreError::InvalidArgument("no chat given".into()));
        }
        let placeholders: Vec<String> = (0..chats.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT COUNT(*) AS n FROM (SELECT DISTINCT id, from_me FROM messages \
             WHERE session_id = $1 AND chat IN ({}) \
             AND msg_type NOT IN ('protocol', 'poll_vote')) AS distinct_messages",
            placeholders.join(", ")
        );
        let mut params: Vec<Arg<'_>> = vec![session_id.into()];
        params.extend(chats.iter().map(Arg::from));
        let row = self.fetch_one(&sql, &params).await?;
        Ok(u64::try_from(row.int("n")?).unwrap_or(0))
    }

    /// Deletes a message. Returns whether it existed.
    pub async fn delete_message(
        &mut self,
        session_id: &str,
        chat: &str,
        id: &str,
    ) -> Result<bool, StoreError> {
        let n = self
            .execute(
                "DELETE FROM messages WHERE session_id = $1 AND chat = $2 AND id = $3",
                args![session_id, chat, id],
            )
            .await?;
        Ok(n > 0)
    }
}
