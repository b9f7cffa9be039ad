//! The app-state methods of `Session`: chat settings, stars, contact names and labels, kept on
//! every device of the account. Thin delegates; results are the engine's JSON, camelCase.

use napi::Env;
use napi::bindgen_prelude::PromiseRaw;
use napi_derive::napi;
use serde_json::Value;

use crate::convert::{promise, to_js, to_js_list};
use crate::session::Session;

#[napi]
impl Session {
    /// Archives (default) or unarchives a chat.
    #[napi]
    pub fn archive_chat<'env>(
        &self,
        env: &'env Env,
        chat: String,
        archived: Option<bool>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        let archived = archived.unwrap_or(true);
        promise(
            env,
            async move { inner.archive_chat(&chat, archived).await },
            Ok,
        )
    }

    /// Deletes a chat on every device of the account (its messages, stars and labels too).
    #[napi]
    pub fn delete_chat<'env>(
        &self,
        env: &'env Env,
        chat: String,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        promise(env, async move { inner.delete_chat(&chat).await }, Ok)
    }

    /// Clears a chat on every device of the account: its messages go (its starred messages too
    /// unless `keepStarred`), the chat stays.
    #[napi]
    pub fn clear_chat<'env>(
        &self,
        env: &'env Env,
        chat: String,
        keep_starred: Option<bool>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        let keep = keep_starred.unwrap_or(false);
        promise(env, async move { inner.clear_chat(&chat, keep).await }, Ok)
    }

    /// Pins (default) or unpins a chat.
    #[napi]
    pub fn pin_chat<'env>(
        &self,
        env: &'env Env,
        chat: String,
        pinned: Option<bool>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        let pinned = pinned.unwrap_or(true);
        promise(env, async move { inner.pin_chat(&chat, pinned).await }, Ok)
    }

    /// Mutes a chat until `until` (seconds since the epoch; `Infinity` or a negative number for
    /// ever), or unmutes it (`null`).
    #[napi]
    pub fn mute_chat<'env>(
        &self,
        env: &'env Env,
        chat: String,
        until: Option<f64>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        let until = until.map(|t| {
            if t.is_finite() && t >= 0.0 {
                // Saturating: a JS number past u64 is for ever anyway.
                t as u64
            } else {
                u64::MAX
            }
        });
        promise(env, async move { inner.mute_chat(&chat, until).await }, Ok)
    }

    /// Marks a chat unread (default) or read again.
    #[napi]
    pub fn mark_chat_unread<'env>(
        &self,
        env: &'env Env,
        chat: String,
        unread: Option<bool>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        let unread = unread.unwrap_or(true);
        promise(
            env,
            async move { inner.mark_chat_unread(&chat, unread).await },
            Ok,
        )
    }

    /// Stars (default) or unstars a message.
    #[napi]
    pub fn star_message<'env>(
        &self,
        env: &'env Env,
        chat: String,
        message_id: String,
        starred: Option<bool>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        let starred = starred.unwrap_or(true);
        promise(
            env,
            async move { inner.star_message(&chat, &message_id, starred).await },
            Ok,
        )
    }

    /// Saves a contact's address-book name.
    #[napi]
    pub fn set_contact_name<'env>(
        &self,
        env: &'env Env,
        contact: String,
        full_name: String,
        first_name: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        promise(
            env,
            async move {
                inner
                    .set_contact_name(&contact, &full_name, first_name)
                    .await
            },
            Ok,
        )
    }

    /// Makes a label with the next free id (resolves with the `Label`).
    #[napi]
    pub fn create_label<'env>(
        &self,
        env: &'env Env,
        name: String,
        color: Option<i32>,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let inner = self.inner.clone();
        let color = color.unwrap_or(0);
        promise(
            env,
            async move { inner.create_label(&name, color).await },
            |label| to_js(&label),
        )
    }

    /// Renames or recolours a label.
    #[napi]
    pub fn edit_label<'env>(
        &self,
        env: &'env Env,
        id: String,
        name: String,
        color: Option<i32>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        let color = color.unwrap_or(0);
        promise(
            env,
            async move { inner.edit_label(&id, &name, color).await },
            Ok,
        )
    }

    /// Deletes a label.
    #[napi]
    pub fn delete_label<'env>(
        &self,
        env: &'env Env,
        id: String,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        promise(env, async move { inner.delete_label(&id).await }, Ok)
    }

    /// Puts a chat on a label.
    #[napi]
    pub fn label_chat<'env>(
        &self,
        env: &'env Env,
        label: String,
        chat: String,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        promise(
            env,
            async move { inner.label_chat(&label, &chat).await },
            Ok,
        )
    }

    /// Takes a chat off a label.
    #[napi]
    pub fn unlabel_chat<'env>(
        &self,
        env: &'env Env,
        label: String,
        chat: String,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        promise(
            env,
            async move { inner.unlabel_chat(&label, &chat).await },
            Ok,
        )
    }

    /// Puts a message on a label (default) or takes it off.
    #[napi]
    pub fn label_message<'env>(
        &self,
        env: &'env Env,
        label: String,
        chat: String,
        message_id: String,
        labeled: Option<bool>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        let labeled = labeled.unwrap_or(true);
        promise(
            env,
            async move {
                inner
                    .label_message(&label, &chat, &message_id, labeled)
                    .await
            },
            Ok,
        )
    }

    /// The account's labels (`Label[]`).
    #[napi]
    pub fn list_labels<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, Value>> {
        let inner = self.inner.clone();
        promise(env, async move { inner.list_labels().await }, |labels| {
            to_js_list(&labels)
        })
    }

    /// A page of starred messages, most recently starred first (`StarredMessage[]`).
    #[napi]
    pub fn list_starred<'env>(
        &self,
        env: &'env Env,
        limit: Option<i64>,
        offset: Option<i64>,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        self.list(env, limit, offset, |s, limit, offset| async move {
            s.list_starred(limit, offset).await
        })
    }
}
