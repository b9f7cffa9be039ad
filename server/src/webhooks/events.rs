//! Engine events as OpenWA webhook events: name, `data`, and the base of the idempotency key
//! (stable for one logical event, whichever delivery or retry carries it).

use base64::Engine as _;
use openwa::{
    ConnectionState, Event, EventKind, GroupParticipant, MembershipChange, MessageStatus,
};
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};

use crate::payload;
use crate::util::{account_id, openwa_id, phone_of};

pub use super::webhook_event::WebhookEvent;

fn state_name(state: ConnectionState) -> &'static str {
    match state {
        ConnectionState::Disconnected | ConnectionState::LoggedOut => "disconnected",
        ConnectionState::Connecting => "initializing",
        ConnectionState::WaitingForQr => "qr_ready",
        ConnectionState::Pairing => "authenticating",
        ConnectionState::Connected => "ready",
    }
}

fn snake(value: &impl serde::Serialize) -> Json {
    serde_json::to_value(value).unwrap_or(Json::Null)
}

/// The webhook events of one engine event (none for internal ones).
pub fn translate(event: &Event) -> Vec<WebhookEvent> {
    let sid = event.session_id.as_str();
    let seq = event.seq;
    match &event.kind {
        EventKind::MessageReceived { message } => {
            let name = match message.content {
                openwa::MessageContent::Reaction { .. } => "message.reaction",
                _ => "message.received",
            };
            vec![WebhookEvent {
                name,
                data: payload::message(sid, message),
                key: format!("msg_{sid}_{}", message.id),
            }]
        }
        EventKind::MessageEdited {
            chat,
            message_id,
            sender,
            text,
            timestamp,
            ..
        } => vec![WebhookEvent {
            name: "message.edited",
            data: json!({
                "sessionId": sid,
                "id": message_id,
                "messageId": message_id,
                "chatId": openwa_id(chat),
                "from": openwa_id(sender),
                "body": text,
                "timestamp": timestamp,
            }),
            key: format!("edit_{sid}_{message_id}_{seq}"),
        }],
        EventKind::PollVote {
            chat,
            poll_id,
            voter,
            voter_alt,
            selected,
            timestamp,
        } => vec![WebhookEvent {
            name: "message.poll_vote",
            data: json!({
                "sessionId": sid,
                "chatId": openwa_id(chat),
                "messageId": poll_id,
                "voter": openwa_id(voter),
                "voterAlt": voter_alt.as_deref().map(openwa_id),
                "selectedOptions": selected,
                "timestamp": timestamp,
            }),
            key: format!("vote_{sid}_{poll_id}_{seq}"),
        }],
        EventKind::Presence {
            user,
            available,
            last_seen,
            ..
        } => vec![WebhookEvent {
            name: "presence.update",
            data: json!({
                "sessionId": sid,
                "chatId": openwa_id(user),
                "participant": openwa_id(user),
                "presence": if *available { "online" } else { "offline" },
                "lastSeen": last_seen,
            }),
            key: format!("presence_{sid}_{seq}"),
        }],
        EventKind::ChatState {
            chat,
            sender,
            state,
        } => vec![WebhookEvent {
            name: "presence.update",
            data: json!({
                "sessionId": sid,
                "chatId": openwa_id(chat),
                "participant": openwa_id(sender),
                "presence": snake(state),
                "lastSeen": null,
            }),
            key: format!("presence_{sid}_{seq}"),
        }],
        EventKind::MessageRevoked {
            chat,
            message_id,
            sender,
            timestamp,
        } => vec![WebhookEvent {
            name: "message.revoked",
            data: json!({
                "sessionId": sid,
                "id": message_id,
                "messageId": message_id,
                "revokedId": message_id,
                "chatId": openwa_id(chat),
                "from": openwa_id(sender),
                "timestamp": timestamp,
            }),
            key: format!("revoke_{sid}_{message_id}"),
        }],
        EventKind::MessageSent { message } => vec![WebhookEvent {
            name: "message.sent",
            data: payload::message(sid, message),
            key: format!("msg_{sid}_{}", message.id),
        }],
        EventKind::MessageStatus {
            chat,
            message_id,
            status,
        } => {
            let name = if *status == MessageStatus::Failed {
                "message.failed"
            } else {
                "message.ack"
            };
            let status_name = payload::status_name(*status);
            vec![WebhookEvent {
                name,
                data: json!({
                    "sessionId": sid,
                    "id": message_id,
                    "messageId": message_id,
                    "chatId": openwa_id(chat),
                    "status": status_name,
                    "ack": payload::ack_number(*status),
                }),
                key: format!("ack_{sid}_{message_id}_{status_name}"),
            }]
        }
        EventKind::ConnectionState {
            state,
            reason,
            detail,
            will_reconnect,
        } => {
            let mut out = vec![WebhookEvent {
                name: "session.status",
                data: json!({
                    "sessionId": sid,
                    "status": state_name(*state),
                    "reason": snake(reason),
                    "detail": detail,
                    "willReconnect": will_reconnect,
                }),
                key: format!("sess_{sid}_{}_{seq}", state_name(*state)),
            }];
            if matches!(
                state,
                ConnectionState::Disconnected | ConnectionState::LoggedOut
            ) {
                out.push(WebhookEvent {
                    name: "session.disconnected",
                    data: json!({ "sessionId": sid, "reason": snake(reason) }),
                    key: format!("disc_{sid}_{seq}"),
                });
            }
            out
        }
        EventKind::Qr { code, .. } => {
            let qr_code = openwa::qr_png(code, 8).ok().map(|png| {
                format!(
                    "data:image/png;base64,{}",
                    base64::engine::general_purpose::STANDARD.encode(png)
                )
            });
            let hash = hex::encode(&Sha256::digest(code.as_bytes())[..6]);
            vec![WebhookEvent {
                name: "session.qr",
                data: json!({ "sessionId": sid, "qr": code, "qrCode": qr_code }),
                key: format!("qr_{sid}_{hash}"),
            }]
        }
        EventKind::Paired {
            jid,
            lid,
            business_name,
            ..
        } => vec![WebhookEvent {
            name: "session.authenticated",
            data: json!({
                "sessionId": sid,
                "phone": phone_of(jid),
                "pushName": business_name,
                "jid": account_id(jid),
                "lid": lid.as_deref().map(account_id),
            }),
            key: format!("auth_{sid}_{seq}"),
        }],
        EventKind::GroupJoined { group, reason } => vec![WebhookEvent {
            name: "group.join",
            data: json!({
                "sessionId": sid,
                "groupId": group.jid,
                "name": group.subject,
                "participants": group.participants.iter().map(member_id).collect::<Vec<_>>(),
                "reason": reason,
            }),
            key: format!("grp_{sid}_{seq}"),
        }],
        EventKind::GroupParticipants {
            group,
            actor,
            actor_pn,
            change,
            participants,
            reason,
        } => {
            let name = match change {
                MembershipChange::Added => "group.join",
                MembershipChange::Removed | MembershipChange::Left => "group.leave",
                _ => "group.update",
            };
            vec![WebhookEvent {
                name,
                data: json!({
                    "sessionId": sid,
                    "groupId": group,
                    "action": snake(change),
                    "participants": participants.iter().map(member_id).collect::<Vec<_>>(),
                    "by": actor_pn.as_deref().or(actor.as_deref()).map(openwa_id),
                    "reason": reason,
                }),
                key: format!("grp_{sid}_{seq}"),
            }]
        }
        EventKind::GroupUpdated {
            group,
            actor,
            actor_pn,
            change,
        } => vec![WebhookEvent {
            name: "group.update",
            data: json!({
                "sessionId": sid,
                "groupId": group,
                "changes": snake(change),
                "by": actor_pn.as_deref().or(actor.as_deref()).map(openwa_id),
            }),
            key: format!("grp_{sid}_{seq}"),
        }],
        other => super::app_state_events::translate(sid, seq, other)
            .into_iter()
            .collect(),
    }
}

/// A member in OpenWA's id form: the phone number when known, else the LID.
fn member_id(p: &GroupParticipant) -> String {
    openwa_id(p.phone_number.as_deref().unwrap_or(&p.jid))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: EventKind) -> Event {
        Event {
            session_id: "s".into(),
            seq: 9,
            timestamp_ms: 0,
            kind,
        }
    }

    #[test]
    fn group_events_become_openwa_group_events() {
        let removed = event(EventKind::GroupParticipants {
            group: "1203630@g.us".into(),
            actor: Some("1@lid".into()),
            actor_pn: Some("15550000001@s.whatsapp.net".into()),
            change: MembershipChange::Removed,
            participants: vec![GroupParticipant {
                jid: "2@lid".into(),
                phone_number: Some("15550000002@s.whatsapp.net".into()),
                lid: Some("2@lid".into()),
                role: openwa::ParticipantRole::Member,
            }],
            reason: None,
        });
        let out = translate(&removed);
        assert_eq!(out[0].name, "group.leave");
        assert_eq!(out[0].data["participants"], json!(["15550000002@c.us"]));
        assert_eq!(out[0].data["by"], "15550000001@c.us");
        let renamed = event(EventKind::GroupUpdated {
            group: "1203630@g.us".into(),
            actor: None,
            actor_pn: None,
            change: openwa::GroupChange::Subject {
                subject: "New".into(),
            },
        });
        let out = translate(&renamed);
        assert_eq!(out[0].name, "group.update");
        assert_eq!(out[0].data["changes"]["subject"], "New");
    }
}
