//! Group message fan-out with sender keys (docs/PROTOCOL.md, Groups): the server routes, the clients do
//! the sender-key crypto.

use openwa_protocol::Jid;
use openwa_protocol::jid::{DEFAULT_USER_SERVER, HIDDEN_USER_SERVER};
use openwa_protocol::stanza::{AddressingMode, IncomingMessage, OutgoingMessage, participant_hash};

use super::member_devices;
use crate::device::DeviceRef;
use crate::hub::Hub;

/// A member device: phone, LID user, device id.
type MemberDevice = (String, String, u16);

/// Fans a group message out to every current member device except the sender's (named by
/// LID, or by phone number in PN-addressed groups): that
/// device's own `<enc>` from `<participants>` (the SKDM), if any, then the shared `skmsg`.
/// Non-members' messages are dropped. Returns the server's participant hash (every member
/// device by LID, whatsmeow's form) when the sender sent a `phash`, for the ack: a client
/// whose hash differs refetches the group.
pub fn route_group_message(
    hub: &Hub,
    me: &DeviceRef,
    message: &OutgoingMessage,
    t: u64,
) -> Option<String> {
    let group = message.to.to_non_ad();
    let members: Option<(Vec<MemberDevice>, bool)> = hub.read(|s| {
        let g = s.group(&group.user).ok()?;
        g.participant(&me.phone)?;
        let members = member_devices(s, g)
            .into_iter()
            .filter_map(|(phone, device)| {
                let lid = s.accounts.get(&phone)?.lid.clone();
                Some((phone, lid, device))
            })
            .collect();
        Some((members, g.pn_addressing))
    });
    let Some((members, pn_mode)) = members else {
        tracing::info!(%group, phone = %me.phone, "group message from a non-member dropped");
        return None;
    };
    let phash = message.phash.as_ref().map(|_| {
        let devices: Vec<Jid> = members
            .iter()
            .map(|(_, lid, device)| Jid::with_device(lid, HIDDEN_USER_SERVER, *device))
            .collect();
        participant_hash(&devices)
    });
    let notify = me.push_name.clone();
    for (phone, lid, device) in members {
        if phone == me.phone && device == me.device {
            continue;
        }
        let lid_jid = Jid::with_device(&lid, HIDDEN_USER_SERVER, device);
        let pn_jid = Jid::with_device(&phone, DEFAULT_USER_SERVER, device);
        let mut encs: Vec<_> = message
            .participants
            .iter()
            .filter(|p| p.jid == lid_jid || p.jid == pn_jid)
            .map(|p| p.enc.clone())
            .collect();
        encs.extend(message.direct.iter().cloned());
        if encs.is_empty() {
            continue;
        }
        let mut incoming =
            IncomingMessage::new(message.id.clone(), group.clone(), t, message.kind.clone());
        if pn_mode {
            incoming.participant = Some(me.pn_jid());
            incoming.participant_lid = Some(me.lid_jid());
            incoming.addressing_mode = Some(AddressingMode::Pn);
        } else {
            incoming.participant = Some(me.lid_jid());
            incoming.participant_pn = Some(me.pn_jid());
            incoming.addressing_mode = Some(AddressingMode::Lid);
        }
        incoming.notify = notify.clone();
        incoming.edit = message.edit.clone();
        incoming.encs = encs;
        incoming.device_identity = message.device_identity.clone();
        hub.deliver(&phone, device, incoming.to_node());
    }
    phash
}
