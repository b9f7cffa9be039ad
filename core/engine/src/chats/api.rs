//! The chat and contact methods of [`Session`].

use super::list::{check_limit, find_chat, find_contact, to_chat, to_contact};
use super::types::{Chat, Contact};
use crate::error::{Error, ErrorCode};
use crate::session::Session;

impl Session {
    /// A page of the chats the session knows, newest message first: `limit` (1 to 500) chats
    /// after skipping `offset`. Chats come from history sync and from every message sent or
    /// received.
    pub async fn list_chats(&self, limit: u32, offset: u32) -> Result<Vec<Chat>, Error> {
        let limit = check_limit(limit)?;
        self.on_runtime(move |s| async move {
            let shared = s.shared();
            let records = shared.store().chat_page(limit, offset).await?;
            let mut chats = Vec::with_capacity(records.len());
            for record in records {
                chats.push(to_chat(shared, record).await?);
            }
            Ok(chats)
        })
        .await
    }

    /// One chat, by any of its ids (phone number, PN or LID JID, group); `not_found` when the
    /// session knows no such chat.
    pub async fn get_chat(&self, chat: &str) -> Result<Chat, Error> {
        let jid = crate::ids::parse_chat_id(chat)?;
        self.on_runtime(move |s| async move {
            let shared = s.shared();
            match find_chat(shared, &jid).await? {
                Some(record) => to_chat(shared, record).await,
                None => Err(Error::new(ErrorCode::NotFound, format!("no chat {jid}"))),
            }
        })
        .await
    }

    /// A page of the contacts the session knows (users with a push name from history sync or
    /// from their messages), by JID: `limit` (1 to 500) after skipping `offset`.
    pub async fn list_contacts(&self, limit: u32, offset: u32) -> Result<Vec<Contact>, Error> {
        let limit = check_limit(limit)?;
        self.on_runtime(move |s| async move {
            let shared = s.shared();
            let records = shared.store().contact_page(limit, offset).await?;
            let mut contacts = Vec::with_capacity(records.len());
            for record in records {
                contacts.push(to_contact(shared, record).await);
            }
            Ok(contacts)
        })
        .await
    }

    /// One contact, by phone number, PN or LID JID (either form finds it once the mapping is
    /// known); `not_found` when the session knows no such contact, `invalid_argument` for an
    /// id that names no user.
    pub async fn get_contact(&self, contact: &str) -> Result<Contact, Error> {
        let jid = crate::ids::parse_user_id(contact)?;
        self.on_runtime(move |s| async move {
            let shared = s.shared();
            match find_contact(shared, &jid).await? {
                Some(record) => Ok(to_contact(shared, record).await),
                None => Err(Error::new(ErrorCode::NotFound, format!("no contact {jid}"))),
            }
        })
        .await
    }
}
