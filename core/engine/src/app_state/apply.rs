//! One verified step of a collection (a snapshot or a patch) into the store: the new version
//! and LT-hash, the value MAC of every index it touched, what its mutations mean for chats,
//! contacts, labels and stars, and an event for each — all in one commit. A record a full
//! resync brings back unchanged (the value MAC stored before it) is stored again silently.

use std::collections::HashMap;
use std::sync::Arc;

use openwa_protocol::appstate::patch::Mac32;
use openwa_protocol::appstate::{Collection, CollectionState, Index, Mutation, Operation};
use openwa_store::{
    AppStateVersion, ChatFlag, LabelAssociationRecord, LabelRecord, SessionTx, StarredRecord,
    StoreError,
};

use crate::app_state_types::{ChatSetting, Label};
use crate::context::SessionContext;
use crate::error::Error;
use crate::event::{Event, EventKind};
use crate::persist::{PendingEvent, write_unit};

/// What one mutation changes in the store.
#[derive(Debug, Clone)]
enum Effect {
    Flag(String, ChatFlag),
    ContactName(String, Option<String>),
    Label(LabelRecord),
    Association(LabelAssociationRecord, bool),
    Star(StarredRecord, bool),
    DeleteChat(String, Option<i64>),
    ClearChat(String, bool, Option<i64>),
    /// Our push name, and the session options (JSON) to store with it.
    PushName(String, Vec<u8>),
}

/// The value MACs a collection had before a full resync, by index MAC: a record that comes
/// back with the same one is unchanged, so reported no second time.
pub(crate) type Known = HashMap<Mac32, Mac32>;

/// A mutation's store change and the event reporting it (`None`: nothing OpenWA keeps).
fn meaning(shared: &SessionContext, m: &Mutation) -> Option<(Effect, EventKind)> {
    let set = m.operation == Operation::Set;
    let v = &m.value;
    let flag = |chat: &String, flag: ChatFlag, setting: ChatSetting| {
        Some((
            Effect::Flag(chat.clone(), flag),
            EventKind::ChatUpdated {
                chat: chat.clone(),
                setting,
            },
        ))
    };
    match &m.index {
        Index::Archive(chat) => {
            let archived = set && v.archive_chat_action.as_ref()?.archived.unwrap_or(false);
            flag(
                chat,
                ChatFlag::Archived(archived),
                ChatSetting::Archived { archived },
            )
        }
        Index::Pin(chat) => {
            let pinned = set && v.pin_action.as_ref()?.pinned.unwrap_or(false);
            flag(
                chat,
                ChatFlag::Pinned(pinned),
                ChatSetting::Pinned { pinned },
            )
        }
        Index::Mute(chat) => {
            let action = v.mute_action.as_ref()?;
            let muted = set && action.muted.unwrap_or(false);
            // WhatsApp writes milliseconds, -1 (or nothing) for ever.
            let end = action.mute_end_timestamp.unwrap_or(-1);
            let (stored, until) = match (muted, end) {
                (false, _) => (0, None),
                (true, end) if end <= 0 => (-1, Some(u64::MAX)),
                (true, end) => (end / 1000, u64::try_from(end / 1000).ok()),
            };
            flag(
                chat,
                ChatFlag::MutedUntil(stored),
                ChatSetting::Muted { until },
            )
        }
        Index::MarkChatAsRead(chat) => {
            let read = v.mark_chat_as_read_action.as_ref()?.read.unwrap_or(true);
            let unread = set && !read;
            flag(
                chat,
                ChatFlag::MarkedUnread(unread),
                ChatSetting::MarkedUnread { unread },
            )
        }
        Index::DeleteChat(chat) if set => Some((
            Effect::DeleteChat(
                chat.clone(),
                v.delete_chat_action
                    .as_ref()
                    .and_then(|a| a.message_range.as_ref()?.last_message_timestamp),
            ),
            EventKind::ChatDeleted { chat: chat.clone() },
        )),
        Index::ClearChat { chat, starred } if set => Some((
            Effect::ClearChat(
                chat.clone(),
                *starred,
                v.clear_chat_action
                    .as_ref()
                    .and_then(|a| a.message_range.as_ref()?.last_message_timestamp),
            ),
            EventKind::ChatCleared { chat: chat.clone() },
        )),
        Index::PushName if set => {
            let name = v.push_name_setting.as_ref()?.name.clone()?;
            if name.trim().is_empty() {
                return None;
            }
            let options = crate::config::SessionOptions {
                push_name: Some(name.clone()),
                ..shared.current_options()
            };
            let stored = serde_json::to_vec(&options).ok()?;
            Some((
                Effect::PushName(name.clone(), stored),
                EventKind::PushNameChanged { name },
            ))
        }
        Index::Contact(jid) => {
            let action = v.contact_action.as_ref().filter(|_| set);
            let full_name = action.and_then(|a| a.full_name.clone());
            Some((
                Effect::ContactName(jid.clone(), full_name.clone()),
                EventKind::ContactUpdated {
                    jid: jid.clone(),
                    full_name,
                    first_name: action.and_then(|a| a.first_name.clone()),
                },
            ))
        }
        Index::LabelEdit(id) => {
            let action = v.label_edit_action.as_ref()?;
            let record = LabelRecord {
                id: id.clone(),
                name: action.name.clone().unwrap_or_default(),
                color: i64::from(action.color.unwrap_or(0)),
                deleted: !set || action.deleted.unwrap_or(false),
                updated_at: 0,
            };
            let label = Label {
                id: id.clone(),
                name: record.name.clone(),
                color: action.color.unwrap_or(0),
                deleted: record.deleted,
            };
            Some((Effect::Label(record), EventKind::LabelUpdated { label }))
        }
        Index::LabelChat { label, chat } => {
            let labeled = set
                && v.label_association_action
                    .as_ref()?
                    .labeled
                    .unwrap_or(false);
            association(label, chat, None, labeled)
        }
        Index::LabelMessage { label, message } => {
            let labeled = set
                && v.label_association_action
                    .as_ref()?
                    .labeled
                    .unwrap_or(false);
            association(label, &message.chat, Some(message.id.clone()), labeled)
        }
        Index::Star(message) => {
            let starred = set && v.star_action.as_ref()?.starred.unwrap_or(false);
            let record = StarredRecord {
                chat: message.chat.clone(),
                message_id: message.id.clone(),
                from_me: message.from_me,
                participant: message.participant.clone(),
                starred_at: v.timestamp.unwrap_or(0),
            };
            Some((
                Effect::Star(record, starred),
                EventKind::MessageStarred {
                    chat: message.chat.clone(),
                    message_id: message.id.clone(),
                    from_me: message.from_me,
                    starred,
                },
            ))
        }
        _ => None,
    }
}

fn association(
    label: &str,
    chat: &str,
    message_id: Option<String>,
    labeled: bool,
) -> Option<(Effect, EventKind)> {
    let record = LabelAssociationRecord {
        label: label.to_owned(),
        chat: chat.to_owned(),
        message_id: message_id.clone(),
    };
    Some((
        Effect::Association(record, labeled),
        EventKind::LabelAssociation {
            label: label.to_owned(),
            chat: chat.to_owned(),
            message_id,
            labeled,
        },
    ))
}

/// Whether `m` sets its index to the value MAC `known` has for it.
fn is_unchanged(m: &Mutation, known: &Known) -> bool {
    m.operation == Operation::Set && known.get(&m.index_mac) == Some(&m.value_mac)
}

async fn write_effect(tx: &mut SessionTx<'_>, effect: &Effect) -> Result<(), StoreError> {
    match effect {
        Effect::Flag(chat, flag) => tx.set_chat_flag(chat, *flag).await,
        Effect::ContactName(jid, name) => tx.put_contact_name(jid, name.as_deref()).await,
        Effect::Label(label) => tx.put_label(label).await,
        Effect::Association(record, labeled) => tx.set_label_association(record, *labeled).await,
        Effect::Star(record, starred) => tx.set_starred(record, *starred).await,
        Effect::DeleteChat(chat, up_to) => tx.delete_chat(chat, *up_to).await.map(|_| ()),
        Effect::PushName(_, options) => tx.put_kv(crate::persist::OPTIONS_KEY, options).await,
        Effect::ClearChat(chat, starred, up_to) => {
            tx.clear_chat(chat, *starred, *up_to).await.map(|_| ())
        }
    }
}

/// Stores one verified step of `collection`: its new `state` and `mutations` (a snapshot
/// replaces what the collection had, and what it had said about chats, contacts, labels and
/// stars; what it says again is stored again). A record `known` with the same value MAC is
/// unchanged: not reported, and a deletion not done again; any other record is taken out of
/// `known`. Durable, and its events published, when this returns.
pub(crate) async fn commit(
    shared: &Arc<SessionContext>,
    collection: Collection,
    state: CollectionState,
    mutations: Vec<Mutation>,
    snapshot: bool,
    known: &mut Known,
) -> Result<(), Error> {
    let mut effects = Vec::new();
    let mut events = Vec::new();
    for m in &mutations {
        let unchanged = is_unchanged(m, known);
        if !unchanged {
            known.remove(&m.index_mac);
        }
        match meaning(shared, m) {
            Some((Effect::DeleteChat(..) | Effect::ClearChat(..), _)) if unchanged => {}
            Some((effect, kind)) => {
                effects.push(effect);
                if !unchanged {
                    events.push(PendingEvent::new(kind)?);
                }
            }
            None => {}
        }
    }
    let macs: Vec<([u8; 32], Option<[u8; 32]>)> = mutations
        .iter()
        .map(|m| {
            let value = (m.operation == Operation::Set).then_some(m.value_mac);
            (m.index_mac, value)
        })
        .collect();
    let version = AppStateVersion {
        version: state.version,
        hash: state.hash.0.to_vec(),
    };
    let named: Option<String> = effects.iter().rev().find_map(|e| match e {
        Effect::PushName(name, _) => Some(name.clone()),
        _ => None,
    });
    // Ours before the event is out (a failed commit is synced again, setting it again).
    if let Some(push_name) = &named {
        shared.set_push_name(push_name);
    }
    let work = Arc::new((effects, events, macs, version));
    let name = collection.name();
    write_unit(
        shared.store(),
        Some(shared.bus().publisher()),
        move |mut tx| {
            let work = Arc::clone(&work);
            Box::pin(async move {
                let (effects, events, macs, version) = &*work;
                if snapshot {
                    tx.reset_app_state(name).await?;
                    tx.clear_app_state_effects(name).await?;
                }
                for (index, value) in macs {
                    tx.put_app_state_mac(name, index, value.as_ref().map(|v| &v[..]))
                        .await?;
                }
                tx.put_app_state_version(name, version).await?;
                for effect in effects {
                    write_effect(&mut tx, effect).await?;
                }
                let mut logged: Vec<Event> = Vec::with_capacity(events.len());
                for event in events {
                    logged.push(event.clone().append(&mut tx).await?);
                }
                Ok(((), logged))
            })
        },
    )
    .await?;
    if named.is_some() {
        shared.persist_credentials().await;
    }
    Ok(())
}
