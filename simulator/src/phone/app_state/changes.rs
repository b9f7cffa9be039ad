//! Changes made on the phone (the admin API): each becomes a one-mutation patch under the
//! phone's key, stored as the collection's next version and announced to every companion.

use openwa_protocol::Jid;
use openwa_protocol::appstate::index::MessageRef;
use openwa_protocol::appstate::{Collection, Index, MutationInput, Operation, encode_patch};
use openwa_protocol::proto::syncd::{
    ArchiveChatAction, ClearChatAction, ContactAction, DeleteChatAction, LabelAssociationAction,
    LabelEditAction, MarkChatAsReadAction, MuteAction, PinAction, PushNameSetting, StarAction,
    SyncActionMessageRange, SyncActionValue,
};
use rand_core::OsRng;
use serde::Deserialize;

use super::super::PhoneError;
use super::{all_keys, notify};
use crate::hub::Hub;
use crate::util::now_secs;

/// One change made on the phone (`POST /admin/accounts/{phone}/app-state`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Change {
    /// Adds or renames a contact.
    Contact {
        /// The contact (phone number or JID).
        jid: String,
        /// Full name.
        full_name: String,
        /// First name.
        #[serde(default)]
        first_name: Option<String>,
    },
    /// Removes a contact from the address book (a REMOVE of its record, as WhatsApp writes it).
    RemoveContact {
        /// The contact (phone number or JID).
        jid: String,
    },
    /// Archives or unarchives a chat.
    Archive {
        /// The chat.
        chat: String,
        /// Archived or not.
        archived: bool,
    },
    /// Pins or unpins a chat.
    Pin {
        /// The chat.
        chat: String,
        /// Pinned or not.
        pinned: bool,
    },
    /// Mutes a chat until a time (unix ms, -1 forever) or unmutes it (`null`).
    Mute {
        /// The chat.
        chat: String,
        /// Muted until (unix milliseconds; -1 forever), or not muted.
        #[serde(default)]
        until: Option<i64>,
    },
    /// Marks a chat unread or read.
    MarkUnread {
        /// The chat.
        chat: String,
        /// Unread or not.
        unread: bool,
    },
    /// Deletes a chat (everything in it up to now).
    DeleteChat {
        /// The chat.
        chat: String,
    },
    /// Sets the account's push name (the phone's profile name).
    PushName {
        /// The new name.
        name: String,
    },
    /// Clears a chat (its messages up to now; starred ones too unless kept).
    ClearChat {
        /// The chat.
        chat: String,
        /// Keeps its starred messages.
        #[serde(default)]
        keep_starred: bool,
    },
    /// Creates, edits or deletes a label.
    Label {
        /// Label id.
        id: String,
        /// Name.
        name: String,
        /// Color index.
        #[serde(default)]
        color: i32,
        /// Deleted.
        #[serde(default)]
        deleted: bool,
    },
    /// Puts a chat on a label or takes it off.
    LabelChat {
        /// Label id.
        label: String,
        /// The chat.
        chat: String,
        /// On the label or not.
        labeled: bool,
    },
    /// Puts a message on a label or takes it off.
    LabelMessage {
        /// Label id.
        label: String,
        /// The chat.
        chat: String,
        /// Message id.
        id: String,
        /// Sent by the phone.
        #[serde(default)]
        from_me: bool,
        /// On the label or not.
        labeled: bool,
    },
    /// Stars or unstars a message.
    Star {
        /// The chat.
        chat: String,
        /// Message id.
        id: String,
        /// Sent by the phone.
        #[serde(default)]
        from_me: bool,
        /// The sender in a group.
        #[serde(default)]
        participant: Option<String>,
        /// Starred or not.
        starred: bool,
    },
}

/// A phone number or JID as a JID string.
fn jid(value: &str) -> Result<String, PhoneError> {
    if value.contains('@') {
        value
            .parse::<Jid>()
            .map(|j| j.to_string())
            .map_err(|e| PhoneError::BadRequest(format!("bad JID {value:?}: {e}")))
    } else if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(Jid::pn(value.to_owned()).to_string())
    } else {
        Err(PhoneError::BadRequest(format!("bad chat {value:?}")))
    }
}

impl Change {
    /// The mutation this change writes.
    pub fn mutation(&self, now_ms: i64) -> Result<MutationInput, PhoneError> {
        let mut value = SyncActionValue {
            timestamp: Some(now_ms),
            ..Default::default()
        };
        let range = || {
            Some(SyncActionMessageRange {
                last_message_timestamp: Some(now_ms / 1000),
                ..Default::default()
            })
        };
        let message = |chat: &str, id: &str, from_me: bool, participant: Option<String>| {
            Ok::<_, PhoneError>(MessageRef {
                chat: jid(chat)?,
                id: id.to_owned(),
                from_me,
                participant,
            })
        };
        let mut operation = Operation::Set;
        let index = match self {
            Change::RemoveContact { jid: contact } => {
                operation = Operation::Remove;
                value.contact_action = Some(ContactAction::default());
                Index::Contact(jid(contact)?)
            }
            Change::Contact {
                jid: contact,
                full_name,
                first_name,
            } => {
                value.contact_action = Some(ContactAction {
                    full_name: Some(full_name.clone()),
                    first_name: first_name.clone(),
                    save_on_primary_addressbook: Some(true),
                    ..Default::default()
                });
                Index::Contact(jid(contact)?)
            }
            Change::Archive { chat, archived } => {
                value.archive_chat_action = Some(ArchiveChatAction {
                    archived: Some(*archived),
                    message_range: range(),
                });
                Index::Archive(jid(chat)?)
            }
            Change::Pin { chat, pinned } => {
                value.pin_action = Some(PinAction {
                    pinned: Some(*pinned),
                });
                Index::Pin(jid(chat)?)
            }
            Change::Mute { chat, until } => {
                value.mute_action = Some(MuteAction {
                    muted: Some(until.is_some()),
                    mute_end_timestamp: *until,
                    ..Default::default()
                });
                Index::Mute(jid(chat)?)
            }
            Change::MarkUnread { chat, unread } => {
                value.mark_chat_as_read_action = Some(MarkChatAsReadAction {
                    read: Some(!unread),
                    message_range: range(),
                });
                Index::MarkChatAsRead(jid(chat)?)
            }
            Change::DeleteChat { chat } => {
                value.delete_chat_action = Some(DeleteChatAction {
                    message_range: range(),
                });
                Index::DeleteChat(jid(chat)?)
            }
            Change::PushName { name } => {
                if name.trim().is_empty() {
                    return Err(PhoneError::BadRequest(
                        "a push name must not be empty".into(),
                    ));
                }
                value.push_name_setting = Some(PushNameSetting {
                    name: Some(name.clone()),
                });
                Index::PushName
            }
            Change::ClearChat { chat, keep_starred } => {
                value.clear_chat_action = Some(ClearChatAction {
                    message_range: range(),
                });
                Index::ClearChat {
                    chat: jid(chat)?,
                    starred: !keep_starred,
                }
            }
            Change::Label {
                id,
                name,
                color,
                deleted,
            } => {
                value.label_edit_action = Some(LabelEditAction {
                    name: Some(name.clone()),
                    color: Some(*color),
                    deleted: Some(*deleted),
                    ..Default::default()
                });
                Index::LabelEdit(id.clone())
            }
            Change::LabelChat {
                label,
                chat,
                labeled,
            } => {
                value.label_association_action = Some(LabelAssociationAction {
                    labeled: Some(*labeled),
                });
                Index::LabelChat {
                    label: label.clone(),
                    chat: jid(chat)?,
                }
            }
            Change::LabelMessage {
                label,
                chat,
                id,
                from_me,
                labeled,
            } => {
                value.label_association_action = Some(LabelAssociationAction {
                    labeled: Some(*labeled),
                });
                Index::LabelMessage {
                    label: label.clone(),
                    message: message(chat, id, *from_me, None)?,
                }
            }
            Change::Star {
                chat,
                id,
                from_me,
                participant,
                starred,
            } => {
                value.star_action = Some(StarAction {
                    starred: Some(*starred),
                });
                Index::Star(message(chat, id, *from_me, participant.clone())?)
            }
        };
        Ok(MutationInput {
            operation,
            index,
            value,
        })
    }
}

/// Makes `change` on the phone of `phone`: the collection's next patch, then `server_sync` to
/// every companion. Answers the collection and its new version.
pub fn apply(hub: &Hub, phone: &str, change: &Change) -> Result<(Collection, u64), PhoneError> {
    let now_ms = i64::try_from(now_secs().saturating_mul(1000)).unwrap_or(i64::MAX);
    let input = change.mutation(now_ms)?;
    let collection = input
        .index
        .collection()
        .ok_or_else(|| PhoneError::BadRequest("no collection for this change".to_owned()))?;
    let version = hub.write(|s| {
        let account = s.account_mut(phone)?;
        if let Change::PushName { name } = change {
            account.name.clone_from(name);
        }
        let all = all_keys(account);
        let Some(key) = all.first().cloned() else {
            return Err(PhoneError::NotFound("no app-state key".into()));
        };
        let keys = openwa_protocol::appstate::MutationKeys::expand(&key.key_data.0);
        let stored = account
            .app_state
            .collections
            .entry(collection.name().to_owned())
            .or_default();
        let (patch, _, _) = encode_patch(
            collection,
            &stored.state(),
            &key.key_id.0,
            &keys,
            std::slice::from_ref(&input),
            &mut |i| stored.value_mac(i),
            &mut OsRng,
        );
        stored
            .apply(collection, patch, &all)
            .map_err(|e| PhoneError::BadRequest(format!("the phone's own patch: {e}")))
    })?;
    notify(hub, phone, collection, version, None);
    Ok((collection, version))
}
