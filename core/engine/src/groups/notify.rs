//! `w:gp2` notifications (already acked by the driver): each becomes one group event; the
//! group's cached metadata is dropped (or, for `create`, filled); when members left or were
//! removed, the record of who holds our sender key is cleared, so the next send starts a
//! fresh key and distributes it to the remaining members only.

use std::sync::Arc;

use openwa_protocol::stanza::{
    GroupChange as WireChange, GroupNotification, MembershipChange as WireMembership, Notification,
    NotificationBody,
};
use openwa_protocol::{Jid, Node};

use super::cache::GroupCache;
use super::convert;
use crate::context::SessionContext;
use crate::event::EventKind;
use crate::group_types::{GroupChange, GroupSetting, MemberAddMode, MembershipChange};

/// Handles one `w:gp2` notification.
pub(crate) async fn on_group_notification(shared: &Arc<SessionContext>, node: &Node) {
    let notification = match Notification::from_node(node) {
        Ok(n) => n,
        Err(err) => {
            tracing::debug!(session = %shared.id, %err, "unparsable group notification");
            return;
        }
    };
    let NotificationBody::Group(body) = notification.body else {
        return;
    };
    let group = notification.from.to_non_ad();
    let cache = shared.feature::<GroupCache>();
    match &body.change {
        WireChange::Create { info, .. } => cache.put(info),
        _ => cache.forget(&group),
    }
    if let WireChange::Membership {
        change: WireMembership::Remove | WireMembership::Leave,
        ..
    } = &body.change
    {
        // Our current sender key is known to the members who left: replace it before the next
        // send (see `send`).
        if let Err(err) = shared
            .store()
            .clear_sender_key_holders(&group.to_string())
            .await
        {
            tracing::warn!(session = %shared.id, %err, %group, "sender key rotation not recorded");
        }
    }
    if let Some(kind) = event_of(&group, &body) {
        // Queued now (events keep stanza order); the driver does not wait for the commit.
        shared.spawn(shared.emit(kind));
    }
}

/// The event a group notification becomes.
pub(crate) fn event_of(group: &Jid, body: &GroupNotification) -> Option<EventKind> {
    let actor = body.participant.as_ref().map(|j| j.to_non_ad().to_string());
    let actor_pn = body
        .participant_pn
        .as_ref()
        .map(|j| j.to_non_ad().to_string());
    let updated = |change: GroupChange| EventKind::GroupUpdated {
        group: group.to_string(),
        actor: actor.clone(),
        actor_pn: actor_pn.clone(),
        change,
    };
    let setting = |setting: GroupSetting| updated(GroupChange::Setting { setting });
    Some(match &body.change {
        WireChange::Create { info, reason, .. } => EventKind::GroupJoined {
            group: Box::new(convert::group_info(info)),
            reason: reason.clone(),
        },
        WireChange::Membership {
            change,
            reason,
            participants,
        } => EventKind::GroupParticipants {
            group: group.to_string(),
            actor: actor.clone(),
            actor_pn: actor_pn.clone(),
            change: match change {
                WireMembership::Add => MembershipChange::Added,
                WireMembership::Remove => MembershipChange::Removed,
                WireMembership::Promote => MembershipChange::Promoted,
                WireMembership::Demote => MembershipChange::Demoted,
                WireMembership::Leave => MembershipChange::Left,
                WireMembership::Other(name) => {
                    return Some(updated(GroupChange::Other { name: name.clone() }));
                }
            },
            participants: participants.iter().map(convert::participant).collect(),
            reason: reason.clone(),
        },
        WireChange::Subject { subject, .. } => updated(GroupChange::Subject {
            subject: subject.clone(),
        }),
        WireChange::Description { body, .. } => updated(GroupChange::Description {
            description: body.clone(),
        }),
        WireChange::Announcement { on, .. } => setting(GroupSetting::Announcement(*on)),
        WireChange::Locked(on) => setting(GroupSetting::Locked(*on)),
        WireChange::Ephemeral(secs) => setting(GroupSetting::Ephemeral(*secs)),
        WireChange::MemberAddMode(mode) => {
            setting(GroupSetting::MemberAddMode(MemberAddMode::from_wire(mode)))
        }
        WireChange::MembershipApproval(on) => setting(GroupSetting::JoinApproval(*on)),
        WireChange::Invite { .. } => updated(GroupChange::InviteLinkReset),
        WireChange::Other(node) => updated(GroupChange::Other {
            name: node.tag.to_string(),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use openwa_protocol::stanza::GroupParticipant;

    fn body(change: WireChange) -> GroupNotification {
        GroupNotification {
            participant: Some("100000000000001:2@lid".parse().unwrap()),
            participant_pn: Some(Jid::pn("15550000001")),
            addressing_mode: None,
            notify: None,
            change,
        }
    }

    #[test]
    fn membership_and_settings_become_events() {
        let group: Jid = "120363000000000001@g.us".parse().unwrap();
        let removed = body(WireChange::Membership {
            change: WireMembership::Remove,
            reason: None,
            participants: vec![GroupParticipant {
                phone_number: Some(Jid::pn("15550000002")),
                ..GroupParticipant::member(Jid::lid("200000000000002"))
            }],
        });
        match event_of(&group, &removed) {
            Some(EventKind::GroupParticipants {
                change,
                participants,
                actor,
                actor_pn,
                ..
            }) => {
                assert_eq!(change, MembershipChange::Removed);
                assert_eq!(actor.as_deref(), Some("100000000000001@lid"));
                assert_eq!(actor_pn.as_deref(), Some("15550000001@s.whatsapp.net"));
                assert_eq!(
                    participants[0].phone_number.as_deref(),
                    Some("15550000002@s.whatsapp.net")
                );
            }
            other => panic!("{other:?}"),
        }
        let locked = event_of(&group, &body(WireChange::Locked(true)));
        assert!(matches!(
            locked,
            Some(EventKind::GroupUpdated {
                change: GroupChange::Setting {
                    setting: GroupSetting::Locked(true)
                },
                ..
            })
        ));
        let other = event_of(&group, &body(WireChange::Other(Node::new("parent"))));
        assert!(matches!(
            other,
            Some(EventKind::GroupUpdated { change: GroupChange::Other { name }, .. }) if name == "parent"
        ));
    }
}
