//! `w:gp2` notifications (docs/PROTOCOL.md, Groups): after every group change, one notification to every
//! device of every member (the actor's own devices included, as WhatsApp does), queued for
//! offline devices like any other stanza.

use openwa_protocol::stanza::{
    AddressingMode, GroupChange, GroupNotification, Notification, NotificationBody,
};

use super::member_devices;
use super::view::{member_jids, mode};
use crate::hub::Hub;
use crate::util::now_secs;

/// Who made a change: their phone and push name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The actor's phone number.
    pub phone: String,
    /// Push name (`notify`).
    pub push_name: Option<String>,
}

/// Tells the members of group `group_id` (and the accounts in `also`, e.g. removed members)
/// about `change` made by `actor`.
pub fn notify(hub: &Hub, group_id: &str, actor: &Actor, change: GroupChange, also: &[String]) {
    let prepared = hub.read(|state| {
        let group = state.group(group_id).ok()?;
        let mut targets = member_devices(state, group);
        for phone in also {
            if let Some(account) = state.accounts.get(phone) {
                targets.extend(account.devices.keys().map(|d| (phone.clone(), *d)));
            }
        }
        targets.sort();
        targets.dedup();
        let jids = member_jids(state, group, &actor.phone);
        Some((group.jid(), targets, jids, mode(group)))
    });
    let Some((group, targets, jids, mode)) = prepared else {
        return;
    };
    let (actor_jid, other) = jids.unzip();
    // `participant_pn` accompanies a LID actor only.
    let actor_pn = other.filter(|_| mode == AddressingMode::Lid);
    let notification = Notification {
        id: hub.next_stanza_id(),
        from: group,
        t: Some(now_secs()),
        body: NotificationBody::Group(GroupNotification {
            participant: actor_jid,
            participant_pn: actor_pn,
            addressing_mode: Some(mode),
            notify: actor.push_name.clone(),
            change,
        }),
    };
    let node = notification.to_node();
    for (phone, device) in targets {
        hub.deliver(&phone, device, node.clone());
    }
}
