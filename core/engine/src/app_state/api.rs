//! The app-state methods of [`Session`]: our own changes (each a patch the server must accept
//! before anything changes here) and the lists of labels and starred messages.

use openwa_protocol::Jid;
use openwa_protocol::appstate::index::MessageRef;
use openwa_protocol::appstate::{Collection, Index, MutationInput, Operation};
use openwa_protocol::proto::e2e::MessageKey;
use openwa_protocol::proto::syncd::{
    ArchiveChatAction, ClearChatAction, ContactAction, DeleteChatAction, LabelAssociationAction,
    LabelEditAction, MarkChatAsReadAction, MuteAction, PinAction, StarAction, SyncActionMessage,
    SyncActionMessageRange, SyncActionValue,
};

use super::send;
use crate::app_state_types::{Label, StarredMessage};
use crate::chats::MAX_LIST_PAGE;
use crate::error::{Error, ErrorCode};
use crate::session::Session;

/// Most characters of a label name (WhatsApp's limit).
pub(crate) const MAX_LABEL_NAME_CHARS: usize = 100;

fn now_ms() -> i64 {
    i64::try_from(crate::bus::now_ms()).unwrap_or(i64::MAX)
}

fn value(fill: impl FnOnce(&mut SyncActionValue)) -> SyncActionValue {
    let mut value = SyncActionValue {
        timestamp: Some(now_ms()),
        ..Default::default()
    };
    fill(&mut value);
    value
}

fn set(index: Index, value: SyncActionValue) -> MutationInput {
    MutationInput {
        operation: Operation::Set,
        index,
        value,
    }
}

fn range() -> Option<SyncActionMessageRange> {
    Some(SyncActionMessageRange {
        last_message_timestamp: Some(now_ms() / 1000),
        ..Default::default()
    })
}

fn check_label_name(name: &str) -> Result<(), Error> {
    if name.trim().is_empty() || name.chars().count() > MAX_LABEL_NAME_CHARS {
        return Err(Error::invalid_argument(format!(
            "a label name has 1 to {MAX_LABEL_NAME_CHARS} characters"
        )));
    }
    Ok(())
}

fn check_color(color: i32) -> Result<(), Error> {
    if !(0..20).contains(&color) {
        return Err(Error::invalid_argument("a label colour is 0 to 19"));
    }
    Ok(())
}

impl Session {
    /// Writes one mutation of `collection` on the runtime.
    async fn write_app_state(&self, input: MutationInput) -> Result<(), Error> {
        let collection = input
            .index
            .collection()
            .ok_or_else(|| Error::new(ErrorCode::Internal, "no collection for this change"))?;
        self.write_app_state_in(collection, vec![input]).await
    }

    async fn write_app_state_in(
        &self,
        collection: Collection,
        inputs: Vec<MutationInput>,
    ) -> Result<(), Error> {
        self.on_runtime(move |s| async move { send::write(s.shared(), collection, inputs).await })
            .await
    }

    /// Archives or unarchives a chat on every device of the account (app-state sync). The
    /// chat's `archived` flag changes here, with a `ChatUpdated` event, once the server
    /// accepted the change.
    pub async fn archive_chat(&self, chat: &str, archived: bool) -> Result<(), Error> {
        let jid = crate::ids::parse_chat_id(chat)?.to_string();
        let v = value(|v| {
            v.archive_chat_action = Some(ArchiveChatAction {
                archived: Some(archived),
                message_range: range(),
            })
        });
        self.write_app_state(set(Index::Archive(jid), v)).await
    }

    /// The message range WhatsApp names when deleting or clearing a chat: its newest stored
    /// message and that message's time (now when nothing is stored).
    async fn newest_range(&self, jid: &Jid) -> Result<SyncActionMessageRange, Error> {
        let newest = self
            .on_runtime({
                let jid = jid.clone();
                move |s| async move {
                    let page = crate::messaging::history::page(s.shared(), &jid, None, 1).await?;
                    Ok(page.messages.into_iter().next())
                }
            })
            .await?;
        Ok(match newest {
            Some(m) => {
                let at = i64::try_from(m.timestamp).unwrap_or(i64::MAX);
                let participant = (jid.is_group() && !m.from_me).then_some(m.sender);
                SyncActionMessageRange {
                    last_message_timestamp: Some(at),
                    messages: vec![SyncActionMessage {
                        key: Some(MessageKey {
                            remote_jid: Some(jid.to_string()),
                            from_me: Some(m.from_me),
                            id: Some(m.id),
                            participant,
                        }),
                        timestamp: Some(at),
                    }],
                    ..Default::default()
                }
            }
            None => SyncActionMessageRange {
                last_message_timestamp: Some(now_ms() / 1000),
                ..Default::default()
            },
        })
    }

    /// Deletes a chat on every device of the account (app-state sync), up to its newest stored
    /// message (named in the change, as WhatsApp does). Once the server accepted it, the chat,
    /// its messages, stars, poll votes and labels are gone from the store here, with a
    /// `ChatDeleted` event. A chat with nothing stored is deleted all the same.
    pub async fn delete_chat(&self, chat: &str) -> Result<(), Error> {
        let jid = crate::ids::parse_chat_id(chat)?;
        let message_range = Some(self.newest_range(&jid).await?);
        let v = value(|v| v.delete_chat_action = Some(DeleteChatAction { message_range }));
        self.write_app_state(set(Index::DeleteChat(jid.to_string()), v))
            .await
    }

    /// Clears a chat on every device of the account (app-state sync): its messages up to the
    /// newest stored one go (its starred messages too unless `keep_starred`), the chat stays.
    /// Once the server accepted it the store has them no more, with a `ChatCleared` event.
    pub async fn clear_chat(&self, chat: &str, keep_starred: bool) -> Result<(), Error> {
        let jid = crate::ids::parse_chat_id(chat)?;
        let message_range = Some(self.newest_range(&jid).await?);
        let v = value(|v| v.clear_chat_action = Some(ClearChatAction { message_range }));
        let index = Index::ClearChat {
            chat: jid.to_string(),
            starred: !keep_starred,
        };
        self.write_app_state(set(index, v)).await
    }

    /// Pins or unpins a chat on every device of the account (app-state sync).
    pub async fn pin_chat(&self, chat: &str, pinned: bool) -> Result<(), Error> {
        let jid = crate::ids::parse_chat_id(chat)?.to_string();
        let v = value(|v| {
            v.pin_action = Some(PinAction {
                pinned: Some(pinned),
            })
        });
        self.write_app_state(set(Index::Pin(jid), v)).await
    }

    /// Mutes a chat until `until` (seconds since the epoch; `u64::MAX` for ever) or unmutes it
    /// (`None`), on every device of the account (app-state sync).
    pub async fn mute_chat(&self, chat: &str, until: Option<u64>) -> Result<(), Error> {
        let jid = crate::ids::parse_chat_id(chat)?.to_string();
        let end = until.map(|t| match i64::try_from(t) {
            Ok(secs) if t != u64::MAX => secs.saturating_mul(1000),
            _ => -1,
        });
        let v = value(|v| {
            v.mute_action = Some(MuteAction {
                muted: Some(until.is_some()),
                mute_end_timestamp: end,
                ..Default::default()
            })
        });
        self.write_app_state(set(Index::Mute(jid), v)).await
    }

    /// Marks a chat unread (or read again) on every device of the account (app-state sync).
    pub async fn mark_chat_unread(&self, chat: &str, unread: bool) -> Result<(), Error> {
        let jid = crate::ids::parse_chat_id(chat)?.to_string();
        let v = value(|v| {
            v.mark_chat_as_read_action = Some(MarkChatAsReadAction {
                read: Some(!unread),
                message_range: range(),
            })
        });
        self.write_app_state(set(Index::MarkChatAsRead(jid), v))
            .await
    }

    /// Stars or unstars a message of a chat (app-state sync). The message need not be stored
    /// here; when it is, whether we sent it and its group sender are taken from it.
    pub async fn star_message(
        &self,
        chat: &str,
        message_id: &str,
        starred: bool,
    ) -> Result<(), Error> {
        let jid = crate::ids::parse_chat_id(chat)?;
        if message_id.is_empty() {
            return Err(Error::invalid_argument("a message id is needed"));
        }
        let id = message_id.to_owned();
        let message = self
            .on_runtime({
                let (jid, id) = (jid.clone(), id.clone());
                move |s| async move { crate::messaging::history::lookup(s.shared(), &jid, &id).await }
            })
            .await?;
        let from_me = message.as_ref().is_some_and(|m| m.from_me);
        let participant = message
            .filter(|m| jid.is_group() && !m.from_me)
            .map(|m| m.sender);
        let index = Index::Star(MessageRef {
            chat: jid.to_string(),
            id,
            from_me,
            participant,
        });
        let v = value(|v| {
            v.star_action = Some(StarAction {
                starred: Some(starred),
            })
        });
        self.write_app_state(set(index, v)).await
    }

    /// Saves a contact's address-book name on every device of the account (app-state sync).
    pub async fn set_contact_name(
        &self,
        contact: &str,
        full_name: &str,
        first_name: Option<String>,
    ) -> Result<(), Error> {
        let jid: Jid = crate::ids::parse_user_id(contact)?;
        if full_name.trim().is_empty() {
            return Err(Error::invalid_argument("a contact name must not be empty"));
        }
        let full = full_name.to_owned();
        let v = value(|v| {
            v.contact_action = Some(ContactAction {
                full_name: Some(full),
                first_name,
                save_on_primary_addressbook: Some(true),
                ..Default::default()
            })
        });
        self.write_app_state(set(Index::Contact(jid.to_non_ad().to_string()), v))
            .await
    }

    /// Makes a label (app-state sync) and answers it, with the next free numeric id.
    pub async fn create_label(&self, name: &str, color: i32) -> Result<Label, Error> {
        check_label_name(name)?;
        check_color(color)?;
        let labels = self
            .on_runtime(|s| async move { Ok(s.shared().store().labels().await?) })
            .await?;
        let id = labels
            .iter()
            .filter_map(|l| l.id.parse::<u64>().ok())
            .max()
            .map_or(1, |n| n + 1)
            .to_string();
        self.edit_label(&id, name, color).await?;
        Ok(Label {
            id,
            name: name.to_owned(),
            color,
            deleted: false,
        })
    }

    /// Renames or recolours a label (or makes one with this id) (app-state sync).
    pub async fn edit_label(&self, id: &str, name: &str, color: i32) -> Result<(), Error> {
        check_label_name(name)?;
        check_color(color)?;
        if id.is_empty() {
            return Err(Error::invalid_argument("a label id is needed"));
        }
        let name = name.to_owned();
        let v = value(|v| {
            v.label_edit_action = Some(LabelEditAction {
                name: Some(name),
                color: Some(color),
                deleted: Some(false),
                ..Default::default()
            })
        });
        self.write_app_state(set(Index::LabelEdit(id.to_owned()), v))
            .await
    }

    /// Deletes a label (app-state sync); `not_found` for a label this session does not know.
    pub async fn delete_label(&self, id: &str) -> Result<(), Error> {
        let key = id.to_owned();
        let label = self
            .on_runtime(move |s| async move { Ok(s.shared().store().get_label(&key).await?) })
            .await?
            .ok_or_else(|| Error::new(ErrorCode::NotFound, format!("no label {id}")))?;
        let v = value(|v| {
            v.label_edit_action = Some(LabelEditAction {
                name: Some(label.name.clone()),
                color: i32::try_from(label.color).ok(),
                deleted: Some(true),
                ..Default::default()
            })
        });
        self.write_app_state(set(Index::LabelEdit(id.to_owned()), v))
            .await
    }

    /// Puts a chat on a label (app-state sync).
    pub async fn label_chat(&self, label: &str, chat: &str) -> Result<(), Error> {
        self.associate(label, chat, None, true).await
    }

    /// Takes a chat off a label (app-state sync).
    pub async fn unlabel_chat(&self, label: &str, chat: &str) -> Result<(), Error> {
        self.associate(label, chat, None, false).await
    }

    /// Puts a message on a label, or takes it off (app-state sync).
    pub async fn label_message(
        &self,
        label: &str,
        chat: &str,
        message_id: &str,
        labeled: bool,
    ) -> Result<(), Error> {
        if message_id.is_empty() {
            return Err(Error::invalid_argument("a message id is needed"));
        }
        self.associate(label, chat, Some(message_id), labeled).await
    }

    async fn associate(
        &self,
        label: &str,
        chat: &str,
        message_id: Option<&str>,
        labeled: bool,
    ) -> Result<(), Error> {
        if label.is_empty() {
            return Err(Error::invalid_argument("a label id is needed"));
        }
        let chat = crate::ids::parse_chat_id(chat)?.to_string();
        let index = match message_id {
            None => Index::LabelChat {
                label: label.to_owned(),
                chat,
            },
            Some(id) => Index::LabelMessage {
                label: label.to_owned(),
                message: MessageRef {
                    chat,
                    id: id.to_owned(),
                    from_me: false,
                    participant: None,
                },
            },
        };
        let v = value(|v| {
            v.label_association_action = Some(LabelAssociationAction {
                labeled: Some(labeled),
            })
        });
        self.write_app_state(set(index, v)).await
    }

    /// The account's labels (deleted ones left out), by id.
    pub async fn list_labels(&self) -> Result<Vec<Label>, Error> {
        self.on_runtime(|s| async move {
            let labels = s.shared().store().labels().await?;
            Ok(labels
                .into_iter()
                .filter(|l| !l.deleted)
                .map(|l| Label {
                    id: l.id,
                    name: l.name,
                    color: i32::try_from(l.color).unwrap_or(0),
                    deleted: false,
                })
                .collect())
        })
        .await
    }

    /// A page of starred messages, most recently starred first: `limit` (1 to 500) after
    /// skipping `offset`.
    pub async fn list_starred(
        &self,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<StarredMessage>, Error> {
        if limit == 0 || limit > MAX_LIST_PAGE {
            return Err(Error::invalid_argument(format!(
                "limit must be between 1 and {MAX_LIST_PAGE}"
            )));
        }
        self.on_runtime(move |s| async move {
            let page = s.shared().store().starred_page(limit, offset).await?;
            Ok(page
                .into_iter()
                .map(|r| StarredMessage {
                    chat: r.chat,
                    message_id: r.message_id,
                    from_me: r.from_me,
                    participant: r.participant,
                    starred_at_ms: u64::try_from(r.starred_at).unwrap_or(0),
                })
                .collect())
        })
        .await
    }
}
