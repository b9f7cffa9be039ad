//! What app-state sync says about chats, contacts and messages: chat flags, address-book names,
//! labels and what is on them, starred messages.

use crate::backend::{Row, args};
use crate::tx::{StoreTx, limit};
use crate::{ChatFlag, LabelAssociationRecord, LabelRecord, StarredRecord, StoreError, now_millis};

fn decode_label(row: &Row) -> Result<LabelRecord, StoreError> {
    Ok(LabelRecord {
        id: row.text("id")?,
        name: row.text("name")?,
        color: row.int("color")?,
        deleted: row.int("deleted")? != 0,
        updated_at: row.int("updated_at")?,
    })
}

fn decode_association(row: &Row) -> Result<LabelAssociationRecord, StoreError> {
    let message = row.text("message_id")?;
    Ok(LabelAssociationRecord {
        label: row.text("label")?,
        chat: row.text("chat")?,
        message_id: (!message.is_empty()).then_some(message),
    })
}

fn decode_star(row: &Row) -> Result<StarredRecord, StoreError> {
    Ok(StarredRecord {
        chat: row.text("chat")?,
        message_id: row.text("message_id")?,
        from_me: row.int("from_me")? != 0,
        participant: row.opt_text("participant")?,
        starred_at: row.int("starred_at")?,
    })
}

impl StoreTx {
    /// Sets one app-state flag of a chat (the row is made if the chat is new here).
    pub async fn set_chat_flag(
        &mut self,
        session_id: &str,
        chat: &str,
        flag: ChatFlag,
    ) -> Result<(), StoreError> {
        let (column, value) = match flag {
            ChatFlag::Archived(on) => ("archived", i64::from(on)),
            ChatFlag::Pinned(on) => ("pinned", i64::from(on)),
            ChatFlag::MutedUntil(until) => ("muted_until", until),
            ChatFlag::MarkedUnread(on) => ("marked_unread", i64::from(on)),
        };
        let (target, alt) = self.chat_row(session_id, chat, None).await?;
        let now = now_millis();
        let sql = format!(
            "INSERT INTO chats (session_id, chat, alt, {column}, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (session_id, chat) DO UPDATE SET \
             {column} = excluded.{column}, alt = COALESCE(chats.alt, excluded.alt), \
             updated_at = excluded.updated_at"
        );
        self.execute(&sql, args![session_id, &target, alt.as_deref(), value, now])
            .await?;
        Ok(())
    }

    /// Forgets what a collection said (before its snapshot is stored, which says it all again):
    /// `regular_low` the archived, pinned and unread marks of every chat; `regular_high` mutes
    /// and stars; `regular` labels and what is on them; `critical_unblock_low` contact names.
    pub async fn clear_app_state_effects(
        &mut self,
        session_id: &str,
        collection: &str,
    ) -> Result<(), StoreError> {
        let statements: &[&str] = match collection {
            "regular_low" => &[
                "UPDATE chats SET archived = 0, pinned = 0, marked_unread = 0 WHERE session_id = $1",
            ],
            "regular_high" => &[
                "UPDATE chats SET muted_until = 0 WHERE session_id = $1",
                "DELETE FROM starred_messages WHERE session_id = $1",
            ],
            "regular" => &[
                "DELETE FROM label_associations WHERE session_id = $1",
                "DELETE FROM labels WHERE session_id = $1",
            ],
            "critical_unblock_low" => {
                &["UPDATE contacts SET full_name = NULL WHERE session_id = $1"]
            }
            _ => &[],
        };
        for sql in statements {
            self.execute(sql, args![session_id]).await?;
        }
        Ok(())
    }

    /// Records a contact's address-book name (`None` forgets it).
    pub async fn put_contact_name(
        &mut self,
        session_id: &str,
        jid: &str,
        full_name: Option<&str>,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO contacts (session_id, jid, full_name, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (session_id, jid) DO UPDATE SET full_name = excluded.full_name, \
             updated_at = excluded.updated_at",
            args![session_id, jid, full_name, now_millis()],
        )
        .await?;
        Ok(())
    }

    /// Stores a label (insert or replace).
    pub async fn put_label(
        &mut self,
        session_id: &str,
        label: &LabelRecord,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO labels (session_id, id, name, color, deleted, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (session_id, id) DO UPDATE SET \
             name = excluded.name, color = excluded.color, deleted = excluded.deleted, \
             updated_at = excluded.updated_at",
            args![
                session_id,
                &label.id,
                &label.name,
                label.color,
                i64::from(label.deleted),
                now_millis()
            ],
        )
        .await?;
        Ok(())
    }

    /// One label.
    pub async fn get_label(
        &mut self,
        session_id: &str,
        id: &str,
    ) -> Result<Option<LabelRecord>, StoreError> {
        self.fetch_optional(
            "SELECT id, name, color, deleted, updated_at FROM labels \
             WHERE session_id = $1 AND id = $2",
            args![session_id, id],
        )
        .await?
        .as_ref()
        .map(decode_label)
        .transpose()
    }

    /// Every label of the session (deleted ones too), by id.
    pub async fn labels(&mut self, session_id: &str) -> Result<Vec<LabelRecord>, StoreError> {
        let rows = self
            .fetch_all(
                "SELECT id, name, color, deleted, updated_at FROM labels \
                 WHERE session_id = $1 ORDER BY id",
                args![session_id],
            )
            .await?;
        rows.iter().map(decode_label).collect()
    }

    /// Puts a chat (or one of its messages) on a label, or takes it off.
    pub async fn set_label_association(
        &mut self,
        session_id: &str,
        association: &LabelAssociationRecord,
        labeled: bool,
    ) -> Result<(), StoreError> {
        let message = association.message_id.as_deref().unwrap_or("");
        if labeled {
            self.execute(
                "INSERT INTO label_associations (session_id, label, chat, message_id, \
                 updated_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (session_id, label, chat, message_id) DO NOTHING",
                args![
                    session_id,
                    &association.label,
                    &association.chat,
                    message,
                    now_millis()
                ],
            )
            .await?;
        } else {
            self.execute(
                "DELETE FROM label_associations WHERE session_id = $1 AND label = $2 \
                 AND chat = $3 AND message_id = $4",
                args![session_id, &association.label, &association.chat, message],
            )
            .await?;
        }
        Ok(())
    }

    /// What is on labels: every association of `chat` (its own and its messages'), or of the
    /// whole session when `None`.
    pub async fn label_associations(
        &mut self,
        session_id: &str,
        chat: Option<&str>,
    ) -> Result<Vec<LabelAssociationRecord>, StoreError> {
        let rows = match chat {
            Some(chat) => {
                self.fetch_all(
                    "SELECT label, chat, message_id FROM label_associations \
                     WHERE session_id = $1 AND chat = $2 ORDER BY label, message_id",
                    args![session_id, chat],
                )
                .await?
            }
            None => {
                self.fetch_all(
                    "SELECT label, chat, message_id FROM label_associations \
                     WHERE session_id = $1 ORDER BY label, chat, message_id",
                    args![session_id],
                )
                .await?
            }
        };
        rows.iter().map(decode_association).collect()
    }

    /// Stars (`true`) or unstars a message.
    pub async fn set_starred(
        &mut self,
        session_id: &str,
        star: &StarredRecord,
        starred: bool,
    ) -> Result<(), StoreError> {
        if starred {
            self.execute(
                "INSERT INTO starred_messages (session_id, chat, message_id, from_me, \
                 participant, starred_at) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (session_id, chat, message_id) DO UPDATE SET \
                 starred_at = excluded.starred_at",
                args![
                    session_id,
                    &star.chat,
                    &star.message_id,
                    i64::from(star.from_me),
                    star.participant.as_deref(),
                    star.starred_at
                ],
            )
            .await?;
        } else {
            self.execute(
                "DELETE FROM starred_messages WHERE session_id = $1 AND chat = $2 \
                 AND message_id = $3",
                args![session_id, &star.chat, &star.message_id],
            )
            .await?;
        }
        Ok(())
    }

    /// A page of starred messages, most recently starred first.
    pub async fn starred_page(
        &mut self,
        session_id: &str,
        page_size: u32,
        offset: u32,
    ) -> Result<Vec<StarredRecord>, StoreError> {
        let rows = self
            .fetch_all(
                "SELECT chat, message_id, from_me, participant, starred_at FROM starred_messages \
                 WHERE session_id = $1 ORDER BY starred_at DESC, chat, message_id \
                 LIMIT $2 OFFSET $3",
                args![session_id, limit(page_size)?, i64::from(offset)],
            )
            .await?;
        rows.iter().map(decode_star).collect()
    }
}
