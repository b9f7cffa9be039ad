//! History sync from a phone to a companion it just linked (docs/PROTOCOL.md, History sync):
//! the phone's conversations (its timeline and its seeded history) cut into `HistorySync`
//! chunks, each zlib-compressed, encrypted as media of type History, put on the media host and
//! announced by a `HISTORY_SYNC_NOTIFICATION` peer message, in the order phones send them:
//! initial bootstrap (every chat with its newest messages), push names, recent (the older
//! messages), then non-blocking data (the PN↔LID map).

use std::collections::BTreeMap;

use openwa_protocol::Jid;
use openwa_protocol::content::text_message;
use openwa_protocol::history::compress;
use openwa_protocol::media::{self, MediaType};
use openwa_protocol::proto::e2e::{
    self, Conversation, HistorySync, HistorySyncMsg, MessageKey, PhoneNumberToLidMapping, Pushname,
    WebMessageInfo, history_sync::HistorySyncType, web_message_info::Status,
};
use rand_core::{OsRng, RngCore};

use super::{PhoneError, content};
use crate::hub::Hub;
use crate::state::{Account, State};

/// Newest messages of each chat in the initial bootstrap; the rest go in recent chunks.
pub const BOOTSTRAP_MESSAGES: usize = 20;
/// Most messages in one chunk.
pub const CHUNK_MESSAGES: usize = 1_000;
/// Most push names or mappings in one chunk.
pub const CHUNK_ENTRIES: usize = 5_000;

/// One message of a conversation being synced.
struct Item {
    info: WebMessageInfo,
    timestamp: u64,
}

/// One conversation being synced: its description and its messages, oldest first.
struct Chat {
    conversation: Conversation,
    items: Vec<Item>,
}

/// Whether the phone of `phone` has anything to sync (a seeded history or a timeline).
pub fn has_history(state: &State, phone: &str) -> bool {
    state
        .account(phone)
        .is_ok_and(|a| !a.history.is_empty() || a.timeline.iter().next().is_some())
}

/// Every chunk the phone of `phone` sends a new companion, in order.
pub fn chunks(state: &State, phone: &str) -> Result<Vec<HistorySync>, PhoneError> {
    let account = state.account(phone)?;
    let mut chats = conversations(state, account);
    chats.sort_by_key(|c| std::cmp::Reverse(c.items.last().map_or(0, |i| i.timestamp)));
    let mut bootstrap = Vec::new();
    let mut recent = Vec::new();
    for chat in chats {
        let split = chat.items.len().saturating_sub(BOOTSTRAP_MESSAGES);
        let mut items = chat.items;
        let newest = items.split_off(split);
        if !items.is_empty() {
            recent.push(Chat {
                conversation: Conversation {
                    id: chat.conversation.id.clone(),
                    ..Default::default()
                },
                items,
            });
        }
        bootstrap.push(Chat {
            conversation: chat.conversation,
            items: newest,
        });
    }
    let (names, mappings) = contacts(state, account);
    let mut out = Vec::new();
    out.extend(message_chunks(HistorySyncType::InitialBootstrap, bootstrap));
    out.extend(entry_chunks(
        HistorySyncType::PushName,
        names,
        |sync, names| {
            sync.pushnames = names;
        },
    ));
    out.extend(message_chunks(HistorySyncType::Recent, recent));
    out.extend(entry_chunks(
        HistorySyncType::NonBlockingData,
        mappings,
        |sync, mappings| sync.phone_number_to_lid_mappings = mappings,
    ));
    Ok(out)
}

/// The phone's conversations: its seeded chats and its timeline grouped by chat.
fn conversations(state: &State, account: &Account) -> Vec<Chat> {
    let mut chats: Vec<Chat> = account
        .history
        .iter()
        .map(|seeded| {
            let jid = Jid::pn(seeded.phone.clone()).to_string();
            let items = seeded
                .messages
                .iter()
                .map(|m| Item {
                    timestamp: m.timestamp,
                    info: web_message(
                        &jid,
                        &m.id,
                        m.from_me,
                        None,
                        text_message(&m.text),
                        m.timestamp,
                    ),
                })
                .collect();
            let unread = seeded.unread;
            Chat {
                conversation: Conversation {
                    id: Some(jid.clone()),
                    pn_jid: Some(jid),
                    lid_jid: Some(Jid::lid(seeded.lid.clone()).to_string()),
                    unread_count: Some(unread),
                    ..Default::default()
                },
                items,
            }
        })
        .collect();
    let mut by_chat: BTreeMap<&str, Vec<Item>> = BTreeMap::new();
    for entry in account.timeline.iter() {
        let message = match (&entry.media, entry.kind.as_str(), &entry.text) {
            (Some(media), _, caption) => content::media(media, caption.clone(), 0),
            (None, "text", Some(text)) => text_message(text),
            _ => continue,
        };
        let group = entry.chat.ends_with("@g.us");
        let participant = (group && !entry.from_me).then(|| entry.sender.clone());
        by_chat.entry(&entry.chat).or_default().push(Item {
            timestamp: entry.timestamp,
            info: web_message(
                &entry.chat,
                &entry.id,
                entry.from_me,
                participant,
                message,
                entry.timestamp,
            ),
        });
    }
    for (chat, items) in by_chat {
        let jid: Option<Jid> = chat.parse().ok();
        let mut conversation = Conversation {
            id: Some(chat.to_owned()),
            ..Default::default()
        };
        if let Some(jid) = &jid {
            if jid.is_group() {
                conversation.name = state.group(&jid.user).ok().map(|g| g.subject.clone());
            } else if let Some(peer) = state.account_for_jid(jid) {
                conversation.pn_jid = Some(peer.pn_jid().to_string());
                conversation.lid_jid = Some(peer.lid_jid().to_string());
            }
        }
        chats.push(Chat {
            conversation,
            items,
        });
    }
    chats
}

/// A message as history sync carries it.
fn web_message(
    chat: &str,
    id: &str,
    from_me: bool,
    participant: Option<String>,
    message: e2e::Message,
    timestamp: u64,
) -> WebMessageInfo {
    WebMessageInfo {
        key: Some(MessageKey {
            remote_jid: Some(chat.to_owned()),
            from_me: Some(from_me),
            id: Some(id.to_owned()),
            participant: participant.clone(),
        }),
        message: Some(message),
        message_timestamp: Some(timestamp),
        status: Some(if from_me {
            Status::Read
        } else {
            Status::DeliveryAck
        } as i32),
        participant,
        push_name: None,
    }
}

/// The push names and PN↔LID mappings the phone knows: its seeded contacts and the accounts
/// it exchanged messages with.
fn contacts(state: &State, account: &Account) -> (Vec<Pushname>, Vec<PhoneNumberToLidMapping>) {
    let mut known: BTreeMap<String, (String, String)> = BTreeMap::new();
    for seeded in &account.history {
        known.insert(
            seeded.phone.clone(),
            (seeded.lid.clone(), seeded.push_name.clone()),
        );
    }
    for entry in account.timeline.iter() {
        for jid in [&entry.chat, &entry.sender] {
            let Ok(jid) = jid.parse::<Jid>() else {
                continue;
            };
            if let Some(peer) = state.account_for_jid(&jid)
                && peer.phone != account.phone
            {
                known.insert(peer.phone.clone(), (peer.lid.clone(), peer.name.clone()));
            }
        }
    }
    let names = known
        .iter()
        .map(|(phone, (_, name))| Pushname {
            id: Some(Jid::pn(phone.clone()).to_string()),
            pushname: Some(name.clone()),
        })
        .collect();
    let mappings = known
        .iter()
        .map(|(phone, (lid, _))| PhoneNumberToLidMapping {
            pn_jid: Some(Jid::pn(phone.clone()).to_string()),
            lid_jid: Some(Jid::lid(lid.clone()).to_string()),
        })
        .collect();
    (names, mappings)
}

/// Conversations cut into chunks of at most [`CHUNK_MESSAGES`] messages (a long chat spans
/// several chunks); at least one chunk, even with no chats.
fn message_chunks(kind: HistorySyncType, chats: Vec<Chat>) -> Vec<HistorySync> {
    let mut chunks: Vec<Vec<Conversation>> = vec![Vec::new()];
    let mut in_chunk = 0;
    for chat in chats {
        let mut items = chat.items.into_iter().peekable();
        loop {
            if in_chunk >= CHUNK_MESSAGES {
                chunks.push(Vec::new());
                in_chunk = 0;
            }
            let take = CHUNK_MESSAGES - in_chunk;
            let messages: Vec<HistorySyncMsg> = items
                .by_ref()
                .take(take)
                .map(|item| HistorySyncMsg {
                    message: Some(item.info),
                    msg_order_id: None,
                })
                .collect();
            in_chunk += messages.len();
            let mut conversation = chat.conversation.clone();
            conversation.last_msg_timestamp = messages
                .last()
                .and_then(|m| m.message.as_ref()?.message_timestamp);
            conversation.conversation_timestamp = conversation.last_msg_timestamp;
            conversation.messages = messages;
            if let Some(last) = chunks.last_mut() {
                last.push(conversation);
            }
            if items.peek().is_none() {
                break;
            }
        }
    }
    number(kind, chunks, |sync, conversations| {
        sync.conversations = conversations;
    })
}

/// Entries cut into chunks of at most [`CHUNK_ENTRIES`] (at least one chunk).
fn entry_chunks<T: Clone>(
    kind: HistorySyncType,
    entries: Vec<T>,
    fill: impl Fn(&mut HistorySync, Vec<T>),
) -> Vec<HistorySync> {
    let mut chunks: Vec<Vec<T>> = entries.chunks(CHUNK_ENTRIES).map(<[T]>::to_vec).collect();
    if chunks.is_empty() {
        chunks.push(Vec::new());
    }
    number(kind, chunks, fill)
}

/// Chunks of one kind with their order (from 1) and progress (percent done after each).
fn number<T>(
    kind: HistorySyncType,
    parts: Vec<T>,
    fill: impl Fn(&mut HistorySync, T),
) -> Vec<HistorySync> {
    let total = parts.len().max(1);
    parts
        .into_iter()
        .enumerate()
        .map(|(i, part)| {
            let mut sync = HistorySync {
                sync_type: Some(kind as i32),
                chunk_order: u32::try_from(i + 1).ok(),
                progress: u32::try_from((i + 1) * 100 / total).ok(),
                ..Default::default()
            };
            fill(&mut sync, part);
            sync
        })
        .collect()
}

/// Uploads one chunk like media of type History and answers its notification.
pub fn upload(hub: &Hub, sync: &HistorySync) -> Result<e2e::HistorySyncNotification, PhoneError> {
    let mut media_key = [0u8; 32];
    OsRng.fill_bytes(&mut media_key);
    let encrypted = media::encrypt(&media_key, MediaType::History, &compress(sync));
    let (_, direct_path) =
        crate::media_host::store_blob(hub, &encrypted.info.file_enc_sha256, encrypted.blob.into())
            .ok_or_else(|| PhoneError::Media("the media store is full".to_owned()))?;
    Ok(e2e::HistorySyncNotification {
        file_sha256: Some(encrypted.info.file_sha256.to_vec()),
        file_length: Some(encrypted.info.file_length),
        media_key: Some(media_key.to_vec()),
        file_enc_sha256: Some(encrypted.info.file_enc_sha256.to_vec()),
        direct_path: Some(direct_path),
        sync_type: sync.sync_type,
        chunk_order: sync.chunk_order,
        progress: sync.progress,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phone::history::{SeedRequest, seed};

    fn kinds(chunks: &[HistorySync]) -> Vec<(i32, u32, u32)> {
        chunks
            .iter()
            .map(|c| {
                (
                    c.sync_type.unwrap_or(-1),
                    c.chunk_order.unwrap_or(0),
                    c.progress.unwrap_or(0),
                )
            })
            .collect()
    }

    #[test]
    fn a_seeded_history_is_cut_into_ordered_chunks() {
        let mut state = State::new(&mut OsRng);
        state
            .create_account("15550000001", "Alice", 1, &mut OsRng)
            .unwrap();
        let request = SeedRequest {
            chats: 50,
            messages_per_chat: 100,
            unread: 3,
        };
        seed(&mut state, "15550000001", request, 1_000_000).unwrap();
        let chunks = chunks(&state, "15550000001").unwrap();
        let (boot, names, recent, data) = (0, 4, 3, 5);
        assert_eq!(
            kinds(&chunks),
            [
                (boot, 1, 100),
                (names, 1, 100),
                (recent, 1, 25),
                (recent, 2, 50),
                (recent, 3, 75),
                (recent, 4, 100),
                (data, 1, 100)
            ]
        );
        let messages: usize = chunks
            .iter()
            .flat_map(|c| &c.conversations)
            .map(|c| c.messages.len())
            .sum();
        assert_eq!(messages, 5_000);
        // The bootstrap has every chat, newest first, with its newest messages and its LID.
        let first = &chunks[0].conversations;
        assert_eq!(first.len(), 50);
        assert!(first.iter().all(|c| c.messages.len() == BOOTSTRAP_MESSAGES));
        assert!(first[0].conversation_timestamp > first[1].conversation_timestamp);
        assert!(
            first[0]
                .lid_jid
                .as_deref()
                .is_some_and(|l| l.ends_with("@lid"))
        );
        assert_eq!(first[0].unread_count, Some(3));
        assert_eq!(chunks[1].pushnames.len(), 50);
        assert_eq!(chunks[6].phone_number_to_lid_mappings.len(), 50);
        // A blob decodes back to its chunk.
        let back = openwa_protocol::history::decode(&compress(&chunks[2]), 1 << 26).unwrap();
        assert_eq!(back, chunks[2]);
    }

    #[test]
    fn a_phone_with_nothing_sends_empty_chunks_of_each_kind() {
        let mut state = State::new(&mut OsRng);
        state
            .create_account("15550000001", "Alice", 1, &mut OsRng)
            .unwrap();
        assert!(!has_history(&state, "15550000001"));
        let chunks = chunks(&state, "15550000001").unwrap();
        assert_eq!(
            kinds(&chunks),
            [(0, 1, 100), (4, 1, 100), (3, 1, 100), (5, 1, 100)]
        );
    }
}
