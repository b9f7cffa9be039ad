//! App-state engine events as webhook events (our additions to OpenWA's names):
//! `chat.update` (archived, pinned, muted, marked unread), `chat.deleted`, `chat.cleared`,
//! `contact.update` (the
//! address-book name), `label.update`, `label.association` and `message.star`.

use openwa::EventKind;
use serde_json::json;

use super::webhook_event::WebhookEvent;
use crate::util::openwa_id;

/// The webhook event of an app-state engine event; `None` for any other event.
pub fn translate(sid: &str, seq: u64, kind: &EventKind) -> Option<WebhookEvent> {
    let (name, data, tag) = match kind {
        EventKind::ChatUpdated { chat, setting } => (
            "chat.update",
            json!({ "chatId": openwa_id(chat), "setting": setting }),
            "chat",
        ),
        EventKind::ChatDeleted { chat } => {
            ("chat.deleted", json!({ "chatId": openwa_id(chat) }), "chat")
        }
        EventKind::ChatCleared { chat } => {
            ("chat.cleared", json!({ "chatId": openwa_id(chat) }), "chat")
        }
        EventKind::ContactUpdated {
            jid,
            full_name,
            first_name,
        } => (
            "contact.update",
            json!({ "contactId": openwa_id(jid), "name": full_name, "firstName": first_name }),
            "contact",
        ),
        EventKind::LabelUpdated { label } => (
            "label.update",
            json!({
                "labelId": label.id,
                "name": label.name,
                "color": label.color,
                "deleted": label.deleted,
            }),
            "label",
        ),
        EventKind::LabelAssociation {
            label,
            chat,
            message_id,
            labeled,
        } => (
            "label.association",
            json!({
                "labelId": label,
                "chatId": openwa_id(chat),
                "messageId": message_id,
                "labeled": labeled,
            }),
            "label",
        ),
        EventKind::MessageStarred {
            chat,
            message_id,
            from_me,
            starred,
        } => (
            "message.star",
            json!({
                "chatId": openwa_id(chat),
                "messageId": message_id,
                "fromMe": from_me,
                "starred": starred,
            }),
            "star",
        ),
        _ => return None,
    };
    let mut data = data;
    data["sessionId"] = json!(sid);
    Some(WebhookEvent {
        name,
        data,
        key: format!("{tag}_{sid}_{seq}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_state_events_become_webhook_events() {
        let starred = EventKind::MessageStarred {
            chat: "15550000001@s.whatsapp.net".into(),
            message_id: "M1".into(),
            from_me: false,
            starred: true,
        };
        let out = translate("s", 3, &starred).unwrap();
        assert_eq!(out.name, "message.star");
        assert_eq!(out.data["chatId"], "15550000001@c.us");
        assert_eq!(out.key, "star_s_3");
        let muted = EventKind::ChatUpdated {
            chat: "15550000001@s.whatsapp.net".into(),
            setting: openwa::ChatSetting::Muted { until: None },
        };
        let out = translate("s", 4, &muted).unwrap();
        assert_eq!(out.data["setting"], json!({"kind": "muted", "until": null}));
        let deleted = EventKind::ChatDeleted {
            chat: "15550000001@s.whatsapp.net".into(),
        };
        let out = translate("s", 6, &deleted).unwrap();
        assert_eq!((out.name, out.key.as_str()), ("chat.deleted", "chat_s_6"));
        assert_eq!(out.data["chatId"], "15550000001@c.us");
        let cleared = EventKind::ChatCleared {
            chat: "15550000001@s.whatsapp.net".into(),
        };
        assert_eq!(translate("s", 7, &cleared).unwrap().name, "chat.cleared");
        assert!(translate("s", 5, &EventKind::Lagged { missed: 1 }).is_none());
    }
}
