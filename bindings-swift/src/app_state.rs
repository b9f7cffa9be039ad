//! The app-state methods of `Session`: chat settings, stars, contact names and labels, kept on
//! every device of the account. Thin delegates with the engine's types.

use openwa::{Label, StarredMessage};

use crate::error::Result;
use crate::session::Session;

#[uniffi::export]
impl Session {
    /// Archives or unarchives a chat.
    pub async fn archive_chat(&self, chat: String, archived: bool) -> Result<()> {
        Ok(self.inner.archive_chat(&chat, archived).await?)
    }

    /// Deletes a chat on every device of the account (its messages, stars and labels too).
    pub async fn delete_chat(&self, chat: String) -> Result<()> {
        Ok(self.inner.delete_chat(&chat).await?)
    }

    /// Clears a chat on every device of the account: its messages go (its starred messages too
    /// unless `keep_starred`), the chat stays.
    pub async fn clear_chat(&self, chat: String, keep_starred: bool) -> Result<()> {
        Ok(self.inner.clear_chat(&chat, keep_starred).await?)
    }

    /// Pins or unpins a chat.
    pub async fn pin_chat(&self, chat: String, pinned: bool) -> Result<()> {
        Ok(self.inner.pin_chat(&chat, pinned).await?)
    }

    /// Mutes a chat until `until` (seconds since the epoch; `UInt64.max` for ever), or unmutes
    /// it (`nil`).
    pub async fn mute_chat(&self, chat: String, until: Option<u64>) -> Result<()> {
        Ok(self.inner.mute_chat(&chat, until).await?)
    }

    /// Marks a chat unread or read again.
    pub async fn mark_chat_unread(&self, chat: String, unread: bool) -> Result<()> {
        Ok(self.inner.mark_chat_unread(&chat, unread).await?)
    }

    /// Stars or unstars a message.
    pub async fn star_message(
        &self,
        chat: String,
        message_id: String,
        starred: bool,
    ) -> Result<()> {
        Ok(self.inner.star_message(&chat, &message_id, starred).await?)
    }

    /// Saves a contact's address-book name.
    pub async fn set_contact_name(
        &self,
        contact: String,
        full_name: String,
        first_name: Option<String>,
    ) -> Result<()> {
        Ok(self
            .inner
            .set_contact_name(&contact, &full_name, first_name)
            .await?)
    }

    /// Makes a label with the next free id.
    pub async fn create_label(&self, name: String, color: i32) -> Result<Label> {
        Ok(self.inner.create_label(&name, color).await?)
    }

    /// Renames or recolours a label.
    pub async fn edit_label(&self, id: String, name: String, color: i32) -> Result<()> {
        Ok(self.inner.edit_label(&id, &name, color).await?)
    }

    /// Deletes a label.
    pub async fn delete_label(&self, id: String) -> Result<()> {
        Ok(self.inner.delete_label(&id).await?)
    }

    /// Puts a chat on a label.
    pub async fn label_chat(&self, label: String, chat: String) -> Result<()> {
        Ok(self.inner.label_chat(&label, &chat).await?)
    }

    /// Takes a chat off a label.
    pub async fn unlabel_chat(&self, label: String, chat: String) -> Result<()> {
        Ok(self.inner.unlabel_chat(&label, &chat).await?)
    }

    /// Puts a message on a label, or takes it off.
    pub async fn label_message(
        &self,
        label: String,
        chat: String,
        message_id: String,
        labeled: bool,
    ) -> Result<()> {
        Ok(self
            .inner
            .label_message(&label, &chat, &message_id, labeled)
            .await?)
    }

    /// The account's labels.
    pub async fn list_labels(&self) -> Result<Vec<Label>> {
        Ok(self.inner.list_labels().await?)
    }

    /// A page of starred messages, most recently starred first (`limit` 1-500).
    pub async fn list_starred(&self, limit: u32, offset: u32) -> Result<Vec<StarredMessage>> {
        Ok(self.inner.list_starred(limit, offset).await?)
    }
}
