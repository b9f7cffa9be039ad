//! One decoded history chunk → the records to store: chats, messages, push names and PN↔LID
//! pairs. Pure: no store, no network. Entries with a missing or bad id are skipped, never an
//! error (a phone's history is not ours to reject as a whole).

use openwa_protocol::Jid;
use openwa_protocol::content::unwrap;
use openwa_protocol::proto::e2e::{Conversation, HistorySync, WebMessageInfo, web_message_info};
use openwa_store::{ChatRecord, MessageRecord, MessageStatus};
use prost::Message as _;

/// What a chunk adds to the store.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    /// Chats, as history describes them.
    pub chats: Vec<ChatRecord>,
    /// Messages, stored once (a message stored already is kept as it is).
    pub messages: Vec<MessageRecord>,
    /// `(user JID, push name)`.
    pub push_names: Vec<(String, String)>,
    /// `(PN user, LID user)`: user parts, no server.
    pub mappings: Vec<(String, String)>,
}

/// The records of `sync` for session `session_id`, whose own account is `own` (a user JID).
/// Chats and messages only when `keep_messages`.
pub(crate) fn plan(session_id: &str, own: &Jid, sync: HistorySync, keep_messages: bool) -> Plan {
    let mut plan = Plan::default();
    for mapping in &sync.phone_number_to_lid_mappings {
        push_mapping(
            &mut plan,
            mapping.pn_jid.as_deref(),
            mapping.lid_jid.as_deref(),
        );
    }
    for name in sync.pushnames {
        if let (Some(jid), Some(push_name)) = (user_jid(name.id.as_deref()), name.pushname)
            && !push_name.is_empty()
        {
            plan.push_names.push((jid.to_string(), push_name));
        }
    }
    for conversation in sync.conversations {
        push_mapping(
            &mut plan,
            conversation.pn_jid.as_deref(),
            conversation.lid_jid.as_deref(),
        );
        if keep_messages {
            add_conversation(&mut plan, session_id, own, conversation);
        }
    }
    plan
}

/// A device-less user JID (PN or LID).
fn user_jid(text: Option<&str>) -> Option<Jid> {
    let jid = text?.parse::<Jid>().ok()?.to_non_ad();
    (jid.is_pn() || jid.is_lid()).then_some(jid)
}

fn push_mapping(plan: &mut Plan, pn: Option<&str>, lid: Option<&str>) {
    if let (Some(pn), Some(lid)) = (user_jid(pn), user_jid(lid))
        && pn.is_pn()
        && lid.is_lid()
    {
        plan.mappings
            .push((pn.user.to_string(), lid.user.to_string()));
    }
}

fn add_conversation(plan: &mut Plan, session_id: &str, own: &Jid, conversation: Conversation) {
    let Some(chat) = conversation
        .id
        .as_deref()
        .and_then(|id| id.parse::<Jid>().ok())
        .map(|jid| jid.to_non_ad())
        .filter(|jid| crate::ids::chat_kind(jid).is_some())
    else {
        return;
    };
    let key = chat.to_string();
    let alt = [
        conversation.lid_jid.as_deref(),
        conversation.pn_jid.as_deref(),
    ]
    .into_iter()
    .filter_map(user_jid)
    .map(|jid| jid.to_string())
    .find(|jid| *jid != key);
    let mut record = ChatRecord {
        chat: key.clone(),
        alt,
        name: conversation
            .name
            .clone()
            .or(conversation.display_name.clone())
            .filter(|n| !n.is_empty()),
        last_message_at: conversation
            .conversation_timestamp
            .or(conversation.last_msg_timestamp)
            .and_then(|t| i64::try_from(t).ok())
            .unwrap_or(0),
        unread_count: conversation.unread_count.unwrap_or(0),
        archived: conversation.archived.unwrap_or(false),
        pinned: conversation.pinned.unwrap_or(0) != 0,
        muted_until: conversation
            .mute_end_time
            .and_then(|t| i64::try_from(t).ok())
            .unwrap_or(0),
        ..ChatRecord::default()
    };
    for item in conversation.messages {
        let Some(message) = item
            .message
            .and_then(|info| to_record(session_id, own, &chat, info))
        else {
            continue;
        };
        if message.timestamp >= record.last_message_at || record.last_message_id.is_none() {
            record.last_message_at = record.last_message_at.max(message.timestamp);
            if message.timestamp >= record.last_message_at {
                record.last_message_id = Some(message.id.clone());
            }
        }
        plan.messages.push(message);
    }
    plan.chats.push(record);
}

/// A history message as a stored message; `None` for what is not chat content (protocol
/// messages, reactions, stubs without a message).
fn to_record(
    session_id: &str,
    own: &Jid,
    chat: &Jid,
    info: WebMessageInfo,
) -> Option<MessageRecord> {
    let key = info.key?;
    let id = key.id.filter(|id| !id.is_empty())?;
    let from_me = key.from_me.unwrap_or(false);
    let unwrapped = unwrap(info.message?);
    let message = &unwrapped.message;
    if message.protocol_message.is_some() || message.reaction_message.is_some() {
        return None;
    }
    let described = crate::content::describe(message, unwrapped.kind());
    let sender = if from_me {
        own.clone()
    } else if chat.is_group() {
        key.participant
            .or(info.participant)
            .and_then(|p| p.parse::<Jid>().ok())
            .map(|p| p.to_non_ad())?
    } else {
        chat.clone()
    };
    let status = info
        .status
        .and_then(|s| web_message_info::Status::try_from(s).ok());
    Some(MessageRecord {
        session_id: session_id.to_owned(),
        chat: chat.to_string(),
        sender: sender.to_string(),
        from_me,
        timestamp: info
            .message_timestamp
            .and_then(|t| i64::try_from(t).ok())
            .unwrap_or(0),
        msg_type: described.message_type.as_str().to_owned(),
        body: described.text,
        payload: Some(message.encode_to_vec()),
        status: store_status(status, from_me),
        id,
    })
}

fn store_status(status: Option<web_message_info::Status>, from_me: bool) -> MessageStatus {
    use web_message_info::Status as S;
    match status {
        Some(S::Read) => MessageStatus::Read,
        Some(S::Played) => MessageStatus::Played,
        Some(S::DeliveryAck) => MessageStatus::Delivered,
        Some(S::ServerAck) if from_me => MessageStatus::Sent,
        Some(S::Error) if from_me => MessageStatus::Failed,
        _ if from_me => MessageStatus::Sent,
        _ => MessageStatus::Delivered,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openwa_protocol::content::text_message;
    use openwa_protocol::proto::e2e::{
        HistorySyncMsg, MessageKey, PhoneNumberToLidMapping, Pushname,
    };

    fn info(chat: &str, id: &str, from_me: bool, t: u64) -> HistorySyncMsg {
        HistorySyncMsg {
            message: Some(WebMessageInfo {
                key: Some(MessageKey {
                    remote_jid: Some(chat.into()),
                    from_me: Some(from_me),
                    id: Some(id.into()),
                    participant: None,
                }),
                message: Some(text_message(id)),
                message_timestamp: Some(t),
                status: Some(web_message_info::Status::Read as i32),
                ..Default::default()
            }),
            msg_order_id: None,
        }
    }

    #[test]
    fn a_chunk_becomes_chats_messages_names_and_mappings() {
        let own = Jid::pn("15550000001");
        let sync = HistorySync {
            sync_type: Some(0),
            conversations: vec![
                Conversation {
                    id: Some("111@s.whatsapp.net".into()),
                    lid_jid: Some("999@lid".into()),
                    pn_jid: Some("111@s.whatsapp.net".into()),
                    unread_count: Some(2),
                    messages: vec![
                        info("111@s.whatsapp.net", "A", false, 10),
                        info("111@s.whatsapp.net", "B", true, 20),
                        info("111@s.whatsapp.net", "", true, 30),
                    ],
                    ..Default::default()
                },
                Conversation {
                    id: Some("not a jid".into()),
                    ..Default::default()
                },
            ],
            pushnames: vec![Pushname {
                id: Some("111@s.whatsapp.net".into()),
                pushname: Some("Ann".into()),
            }],
            phone_number_to_lid_mappings: vec![PhoneNumberToLidMapping {
                pn_jid: Some("222@s.whatsapp.net".into()),
                lid_jid: Some("888@lid".into()),
            }],
            ..Default::default()
        };
        let plan = plan("s", &own, sync.clone(), true);
        assert_eq!(plan.chats.len(), 1);
        let chat = &plan.chats[0];
        assert_eq!(chat.alt.as_deref(), Some("999@lid"));
        assert_eq!(
            (chat.last_message_id.as_deref(), chat.last_message_at),
            (Some("B"), 20)
        );
        assert_eq!(chat.unread_count, 2);
        assert_eq!(plan.messages.len(), 2);
        assert_eq!(plan.messages[0].sender, "111@s.whatsapp.net");
        assert_eq!(plan.messages[1].sender, "15550000001@s.whatsapp.net");
        assert_eq!(plan.messages[1].status, MessageStatus::Read);
        assert_eq!(
            plan.push_names,
            [("111@s.whatsapp.net".into(), "Ann".into())]
        );
        assert_eq!(
            plan.mappings,
            [("222".into(), "888".into()), ("111".into(), "999".into())]
        );
        let names_only = super::plan("s", &own, sync, false);
        assert!(names_only.chats.is_empty() && names_only.messages.is_empty());
        assert_eq!(names_only.mappings.len(), 2);
    }
}
