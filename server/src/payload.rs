//! The engine's plain types as OpenWA's JSON (messages, acks), for responses and webhooks.

use openwa::{Message, MessageContent, MessageStatus};
use serde_json::{Value as Json, json};

use crate::util::{openwa_id, phone_of};

/// OpenWA's status name of a message status.
pub fn status_name(status: MessageStatus) -> &'static str {
    match status {
        MessageStatus::Failed => "failed",
        MessageStatus::Pending => "pending",
        MessageStatus::Sent => "sent",
        MessageStatus::Delivered => "delivered",
        MessageStatus::Read => "read",
        MessageStatus::Played => "played",
    }
}

/// The legacy numeric `ack` (whatsapp-web.js: -1 error … 4 played).
pub fn ack_number(status: MessageStatus) -> i64 {
    match status {
        MessageStatus::Failed => -1,
        MessageStatus::Pending => 0,
        MessageStatus::Sent => 1,
        MessageStatus::Delivered => 2,
        MessageStatus::Read => 3,
        MessageStatus::Played => 4,
    }
}

/// A message: both the phone and the LID form of its sender when the engine knows them.
pub fn message(session_id: &str, m: &Message) -> Json {
    let forms = [Some(m.sender.as_str()), m.sender_alt.as_deref()];
    let lid = forms.iter().flatten().find(|j| j.ends_with("@lid"));
    let phone = forms.iter().flatten().find_map(|j| phone_of(j));
    json!({
        "id": m.id,
        "sessionId": session_id,
        "chatId": openwa_id(&m.chat),
        "from": openwa_id(&m.sender),
        "fromMe": m.from_me,
        "body": m.text,
        "type": m.message_type.as_str(),
        "timestamp": m.timestamp,
        "status": status_name(m.status),
        "ack": ack_number(m.status),
        "pushName": m.push_name,
        "senderPhone": phone,
        "senderLid": lid,
        "hasMedia": false,
        "quotedMessageId": m.quoted.as_ref().map(|q| &q.id),
        "mentionedIds": m.mentions.iter().map(|j| openwa_id(j)).collect::<Vec<_>>(),
        "isForwarded": m.forwarded,
        "location": location(&m.content),
        "vCards": vcards(&m.content),
        "reaction": reaction(&m.content),
        "poll": poll(&m.content),
        "content": m.content,
    })
}

fn location(content: &MessageContent) -> Json {
    match content {
        MessageContent::Location(l) => json!({
            "latitude": l.latitude,
            "longitude": l.longitude,
            "description": l.name,
            "address": l.address,
            "url": l.url,
            "live": l.live,
        }),
        _ => Json::Null,
    }
}

fn vcards(content: &MessageContent) -> Vec<&str> {
    match content {
        MessageContent::Contacts { contacts } => {
            contacts.iter().map(|c| c.vcard.as_str()).collect()
        }
        _ => Vec::new(),
    }
}

fn poll(content: &MessageContent) -> Json {
    match content {
        MessageContent::Poll {
            name,
            options,
            selectable_count,
        } => json!({
            "name": name,
            "options": options,
            "selectableCount": selectable_count,
            "allowMultipleAnswers": *selectable_count != 1,
        }),
        _ => Json::Null,
    }
}

fn reaction(content: &MessageContent) -> Json {
    match content {
        MessageContent::Reaction { message_id, emoji } => {
            json!({ "messageId": message_id, "emoji": emoji })
        }
        _ => Json::Null,
    }
}
