//! Groups (protocol.md §10): message fan-out with sender keys. Groups are in LID addressing mode.

use openwa_protocol::Jid;
use openwa_protocol::jid::{DEFAULT_USER_SERVER, HIDDEN_USER_SERVER};
use openwa_protocol::stanza::{AddressingMode, IncomingMessage, OutgoingMessage};

use crate::sim::{DeviceRef, Sim};

/// Fans a group message out to every member device except the sender's: that device's own
/// `<enc>` from `<participants>` (the SKDM), if any, then the shared `skmsg`.
pub fn route_group_message(sim: &Sim, me: &DeviceRef, message: &OutgoingMessage, t: u64) {
    let group = message.to.to_non_ad();
    let members: Option<Vec<(String, String, Vec<u16>)>> = sim.read(|s| {
        let g = s.group(&group.user).ok()?;
        g.participant(&me.phone)?;
        Some(
            g.participants
                .iter()
                .filter_map(|p| {
                    let account = s.accounts.get(&p.phone)?;
                    Some((
                        account.phone.clone(),
                        account.lid.clone(),
                        account.devices.keys().copied().collect(),
                    ))
                })
                .collect(),
        )
    });
    let Some(members) = members else {
        tracing::info!(%group, phone = %me.phone, "group message from a non-member dropped");
        return;
    };
    let notify = me.push_name.clone();
    for (phone, lid, devices) in members {
        for device in devices {
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
            incoming.participant = Some(me.lid_jid());
            incoming.participant_pn = Some(me.pn_jid());
            incoming.addressing_mode = Some(AddressingMode::Lid);
            incoming.notify = notify.clone();
            incoming.edit = message.edit.clone();
            incoming.encs = encs;
            incoming.device_identity = message.device_identity.clone();
            sim.deliver(&phone, device, incoming.to_node());
        }
    }
}
