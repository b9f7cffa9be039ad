//! Chats (the session's conversations, newest first) and contacts (the names users go by).

use crate::backend::{Row, args};
use crate::tx::{StoreTx, limit, to_u32};
use crate::{ChatRecord, ContactRecord, StoreError, now_millis};

const CHAT_COLUMNS: &str = "SELECT chat, alt, name, last_message_id, last_message_at, \
                            unread_count, archived, pinned, muted_until, marked_unread, created_at, \
                            updated_at FROM chats";

fn decode_chat(row: &Row) -> Result<ChatRecord, StoreError> {
    Ok(ChatRecord {
        chat: row.text("chat")?,
        alt: row.opt_text("alt")?,
        name: row.opt_text("name")?,
        last_message_id: row.opt_text("last_message_id")?,
        last_message_at: row.int("last_message_at")?,
        unread_count: to_u32("chats", row.int("unread_count")?)?,
        archived: row.int("archived")? != 0,
        pinned: row.int("pinned")? != 0,
        muted_until: row.int("muted_until")?,
        marked_unread: row.int("marked_unread")? != 0,
        created_at: row.int("created_at")?,
        updated_at: row.int("updated_at")?,
    })
}

fn decode_contact(row: &Row) -> Result<ContactRecord, StoreError> {
    Ok(ContactRecord {
        jid: row.text("jid")?,
        push_name: row.opt_text("push_name")?,
        full_name: row.opt_text("full_name")?,
        updated_at: row.int("updated_at")?,
    })
}

/// `SET` clause parts that keep the newest message of a chat on an upsert.
/// The start of a `CASE` that takes the new value when the description is at least as new as
/// the row (its newest message no older).
const AS_NEW: &str = "CASE WHEN excluded.last_message_at >= chats.last_message_at THEN ";

/// The start of a `CASE` that takes a flag from a description at least as new as the row, when
/// the description sets it: history sync sets flags, only app-state sync clears them (a chunk
/// that says nothing of a flag must not undo what app state said).
const SETS: &str = "CASE WHEN excluded.last_message_at >= chats.last_message_at AND ";

const NEWEST: &str = "last_message_id = CASE WHEN excluded.last_message_at >= chats.last_message_at \
     THEN COALESCE(excluded.last_message_id, chats.last_message_id) \
     ELSE chats.last_message_id END, \
     last_message_at = CASE WHEN excluded.last_message_at > chats.last_message_at \
     THEN excluded.last_message_at ELSE chats.last_message_at END";

impl StoreTx {
    /// Notes a newly stored message of `chat` (sent at `at`, Unix seconds): the chat exists,
    /// its newest message is the newer of the two, and an `unread` (incoming) message adds one
    /// to its unread count. Call it once per stored message, not for a redelivery.
    pub async fn note_chat_message(
        &mut self,
        session_id: &str,
        chat: &str,
        message_id: &str,
        at: i64,
        unread: bool,
    ) -> Result<(), StoreError> {
        let (target, alt) = self.chat_row(session_id, chat, None).await?;
        let now = now_millis();
        let sql = format!(
            "INSERT INTO chats (session_id, chat, alt, last_message_id, last_message_at, \
             unread_count, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
             ON CONFLICT (session_id, chat) DO UPDATE SET {NEWEST}, \
             alt = COALESCE(chats.alt, excluded.alt), \
             unread_count = chats.unread_count + excluded.unread_count, \
             updated_at = excluded.updated_at"
        );
        self.execute(
            &sql,
            args![
                session_id,
                &target,
                alt.as_deref(),
                message_id,
                at,
                i64::from(unread),
                now
            ],
        )
        .await?;
        Ok(())
    }

    /// The row a chat's data goes to, and the other form to note on it: one row per user, so
    /// a chat stored already under its other form (`alt`, else the stored PN↔LID mapping) is
    /// that row.
    pub(crate) async fn chat_row(
        &mut self,
        session_id: &str,
        chat: &str,
        alt: Option<&str>,
    ) -> Result<(String, Option<String>), StoreError> {
        let alt = match alt {
            Some(alt) => Some(alt.to_owned()),
            None => self.other_form(session_id, chat).await?,
        };
        let target = match &alt {
            Some(alt)
                if self.get_chat(session_id, chat).await?.is_none()
                    && self.get_chat(session_id, alt).await?.is_some() =>
            {
                alt.clone()
            }
            _ => chat.to_owned(),
        };
        let alt = alt
            .filter(|a| *a != target)
            .or_else(|| (target != chat).then(|| chat.to_owned()));
        Ok((target, alt))
    }

    /// The other form of a user chat JID (`…@s.whatsapp.net` ⇄ `…@lid`) from the stored PN↔LID
    /// mappings, when known.
    async fn other_form(
        &mut self,
        session_id: &str,
        chat: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(match chat.split_once('@') {
            Some((user, "s.whatsapp.net")) => self
                .lid_for_pn(session_id, user)
                .await?
                .map(|lid| format!("{lid}@lid")),
            Some((user, "lid")) => self
                .pn_for_lid(session_id, user)
                .await?
                .map(|pn| format!("{pn}@s.whatsapp.net")),
            _ => None,
        })
    }

    /// Stores a chat as history sync describes it: inserted, or merged into the row there is
    /// (under its id or its other form; the newest message wins, a name or other form given replaces the stored one, the unread
    /// count is taken when the description is at least as new as the row, and so are the flags
    /// it sets — a flag it leaves unset stays as stored).
    pub async fn put_chat(
        &mut self,
        session_id: &str,
        chat: &ChatRecord,
    ) -> Result<(), StoreError> {
        let (target, alt) = self
            .chat_row(session_id, &chat.chat, chat.alt.as_deref())
            .await?;
        let now = now_millis();
        let sql = format!(
            "INSERT INTO chats (session_id, chat, alt, name, last_message_id, last_message_at, \
             unread_count, archived, pinned, muted_until, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) \
             ON CONFLICT (session_id, chat) DO UPDATE SET \
             alt = COALESCE(excluded.alt, chats.alt), name = COALESCE(excluded.name, chats.name), \
             unread_count = {AS_NEW}excluded.unread_count ELSE chats.unread_count END, \
             archived = {SETS}excluded.archived <> 0 THEN excluded.archived ELSE chats.archived END, \
             pinned = {SETS}excluded.pinned <> 0 THEN excluded.pinned ELSE chats.pinned END, \
             muted_until = {SETS}excluded.muted_until <> 0 THEN excluded.muted_until \
             ELSE chats.muted_until END, \
             {NEWEST}, updated_at = excluded.updated_at"
        );
        self.execute(
            &sql,
            args![
                session_id,
                &target,
                alt.as_deref(),
                chat.name.as_deref(),
                chat.last_message_id.as_deref(),
                chat.last_message_at,
                i64::from(chat.unread_count),
                i64::from(chat.archived),
                i64::from(chat.pinned),
                chat.muted_until,
                now,
            ],
        )
        .await?;
        Ok(())
    }

    /// Sets a chat's unread count to zero (it was read). Returns whether the chat is stored.
    pub async fn mark_chat_read(
        &mut self,
        session_id: &str,
        chat: &str,
    ) -> Result<bool, StoreError> {
        let n = self
            .execute(
                "UPDATE chats SET unread_count = 0, updated_at = $1 \
                 WHERE session_id = $2 AND chat = $3",
                args![now_millis(), session_id, chat],
            )
            .await?;
        Ok(n > 0)
    }

    /// One chat.
    pub async fn get_chat(
        &mut self,
        session_id: &str,
        chat: &str,
    ) -> Result<Option<ChatRecord>, StoreError> {
        let sql = format!("{CHAT_COLUMNS} WHERE session_id = $1 AND chat = $2");
        self.fetch_optional(&sql, args![session_id, chat])
            .await?
            .as_ref()
            .map(decode_chat)
            .transpose()
    }

    /// Every form a chat is stored under: itself, its other form (stored mapping) and the
    /// other form noted on its row.
    async fn chat_forms(
        &mut self,
        session_id: &str,
        chat: &str,
    ) -> Result<Vec<String>, StoreError> {
        let mut forms = vec![chat.to_owned()];
        if let Some(other) = self.other_form(session_id, chat).await? {
            forms.push(other);
        }
        let rows = self
            .fetch_all(
                "SELECT chat, alt FROM chats WHERE session_id = $1 AND (chat = $2 OR alt = $2)",
                args![session_id, chat],
            )
            .await?;
        for row in &rows {
            forms.push(row.text("chat")?);
            forms.extend(row.opt_text("alt")?);
        }
        forms.sort();
        forms.dedup();
        Ok(forms)
    }

    /// Deletes a chat as WhatsApp's "delete chat" does, up to its message at `up_to` (Unix
    /// seconds; `None`: all of it): those messages go, and when nothing newer is stored, the
    /// chat's row (under either form of a user), poll votes, starred messages and label
    /// associations too (a newer message keeps the chat, as it does on the phone). Returns
    /// whether anything was stored.
    pub async fn delete_chat(
        &mut self,
        session_id: &str,
        chat: &str,
        up_to: Option<i64>,
    ) -> Result<bool, StoreError> {
        let up_to = up_to.unwrap_or(i64::MAX);
        let forms = self.chat_forms(session_id, chat).await?;
        let mut n = 0;
        let mut newer = false;
        for form in &forms {
            n += self
                .execute(
                    "DELETE FROM messages WHERE session_id = $1 AND chat = $2 AND sent_at <= $3",
                    args![session_id, form, up_to],
                )
                .await?;
            newer |= self
                .fetch_optional(
                    "SELECT 1 AS one FROM chats WHERE session_id = $1 AND chat = $2 \
                     AND last_message_at > $3",
                    args![session_id, form, up_to],
                )
                .await?
                .is_some();
        }
        if newer {
            return Ok(n > 0);
        }
        for form in &forms {
            for sql in [
                "DELETE FROM poll_votes WHERE session_id = $1 AND chat = $2",
                "DELETE FROM starred_messages WHERE session_id = $1 AND chat = $2",
                "DELETE FROM label_associations WHERE session_id = $1 AND chat = $2",
                "DELETE FROM chats WHERE session_id = $1 AND chat = $2",
            ] {
                n += self.execute(sql, args![session_id, form]).await?;
            }
        }
        Ok(n > 0)
    }

    /// Clears a chat as WhatsApp's "clear chat" does, up to its message at `up_to` (Unix
    /// seconds; `None`: all of it): those messages and the votes on polls no longer stored go
    /// (its starred messages too when `starred`); the chat stays, with no newest message and
    /// nothing unread unless a newer message is stored. Returns whether a message went or the
    /// chat was reset.
    pub async fn clear_chat(
        &mut self,
        session_id: &str,
        chat: &str,
        starred: bool,
        up_to: Option<i64>,
    ) -> Result<bool, StoreError> {
        let up_to = up_to.unwrap_or(i64::MAX);
        let mut n = 0;
        for form in self.chat_forms(session_id, chat).await? {
            n += self
                .execute(
                    "DELETE FROM messages WHERE session_id = $1 AND chat = $2 AND sent_at <= $3",
                    args![session_id, &form, up_to],
                )
                .await?;
            self.execute(
                "DELETE FROM poll_votes WHERE session_id = $1 AND chat = $2 AND poll_id NOT IN \
                 (SELECT id FROM messages WHERE session_id = $1 AND chat = $2)",
                args![session_id, &form],
            )
            .await?;
            if starred {
                self.execute(
                    "DELETE FROM starred_messages WHERE session_id = $1 AND chat = $2",
                    args![session_id, &form],
                )
                .await?;
            }
            n += self
                .execute(
                    "UPDATE chats SET last_message_id = NULL, unread_count = 0, updated_at = $4 \
                     WHERE session_id = $1 AND chat = $2 AND last_message_at <= $3",
                    args![session_id, &form, up_to, now_millis()],
                )
                .await?;
        }
        Ok(n > 0)
    }

    /// A page of the session's chats, newest message first.
    pub async fn chat_page(
        &mut self,
        session_id: &str,
        page_size: u32,
        offset: u32,
    ) -> Result<Vec<ChatRecord>, StoreError> {
        let sql = format!(
            "{CHAT_COLUMNS} WHERE session_id = $1 \
             ORDER BY last_message_at DESC, chat DESC LIMIT $2 OFFSET $3"
        );
        let rows = self
            .fetch_all(
                &sql,
                args![session_id, limit(page_size)?, i64::from(offset)],
            )
            .await?;
        rows.iter().map(decode_chat).collect()
    }

    /// Records the push name of user `jid` (insert or replace).
    pub async fn put_push_name(
        &mut self,
        session_id: &str,
        jid: &str,
        push_name: &str,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO contacts (session_id, jid, push_name, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (session_id, jid) DO UPDATE SET push_name = excluded.push_name, \
             updated_at = excluded.updated_at",
            args![session_id, jid, push_name, now_millis()],
        )
        .await?;
        Ok(())
    }

    /// One contact.
    pub async fn get_contact(
        &mut self,
        session_id: &str,
        jid: &str,
    ) -> Result<Option<ContactRecord>, StoreError> {
        self.fetch_optional(
            "SELECT jid, push_name, full_name, updated_at FROM contacts \
             WHERE session_id = $1 AND jid = $2",
            args![session_id, jid],
        )
        .await?
        .as_ref()
        .map(decode_contact)
        .transpose()
    }

    /// A page of the session's contacts, by JID.
    pub async fn contact_page(
        &mut self,
        session_id: &str,
        page_size: u32,
        offset: u32,
    ) -> Result<Vec<ContactRecord>, StoreError> {
        let rows = self
            .fetch_all(
                "SELECT jid, push_name, full_name, updated_at FROM contacts \
                 WHERE session_id = $1 ORDER BY jid LIMIT $2 OFFSET $3",
                args![session_id, limit(page_size)?, i64::from(offset)],
            )
            .await?;
        rows.iter().map(decode_contact).collect()
    }
}
