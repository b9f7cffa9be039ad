//! Stanzas between users: a device's `<message>` fanned out to the recipients' devices (to
//! groups and newsletters through their features), its `<receipt>` forwarded to the sender, its
//! `<chatstate>` forwarded to the peer's online devices.

use openwa_protocol::jid::{HIDDEN_USER_SERVER, NEWSLETTER_SERVER};
use openwa_protocol::stanza::{Ack, AckClass, Enc, IncomingMessage, OutgoingMessage, Receipt};
use openwa_protocol::{Jid, Node};

use crate::device::DeviceRef;
use crate::hub::Hub;
use crate::router::Router;
use crate::util::now_secs;

/// Serves `message`, `receipt` and `chatstate`.
pub fn register(router: &mut Router<Hub>) {
    router.on_stanza("message", |hub: &Hub, me: &DeviceRef, node: &Node| {
        Some(route_message(hub, me, node))
    });
    router.on_stanza("receipt", route_receipt);
    router.on_stanza("chatstate", |hub: &Hub, me: &DeviceRef, node: &Node| {
        route_chatstate(hub, me, node);
        None
    });
}

/// Fans a device's `<message>` out; returns the server ack for the sender.
pub fn route_message(hub: &Hub, me: &DeviceRef, node: &Node) -> Node {
    if node
        .attr_jid("to")
        .is_some_and(|to| to.server == NEWSLETTER_SERVER)
    {
        return crate::newsletters::posts::route(hub, me, node);
    }
    let id = node.attr_str("id").unwrap_or_default();
    let message = match OutgoingMessage::from_node(node) {
        Ok(message) => message,
        Err(e) => {
            tracing::info!(phone = %me.phone, device = me.device, error = %e, "invalid message stanza");
            let mut ack = Ack::new(id, AckClass::Message);
            ack.error = Some(479);
            return ack.to_node();
        }
    };
    let t = now_secs();
    let mut ack = Ack::message_accepted(message.id.clone(), message.to.clone(), t);
    if message.to.is_group() {
        ack.phash = crate::groups::route_group_message(hub, me, &message, t);
    } else {
        route_direct(hub, me, &message, t);
    }
    ack.to_node()
}

fn route_direct(hub: &Hub, me: &DeviceRef, message: &OutgoingMessage, t: u64) {
    let chat = message.to.to_non_ad();
    // Both sides of a chat keep each other's device lists from now on.
    hub.write(|s| {
        if let Some(peer) = s.account_for_jid(&chat).map(|a| a.phone.clone()) {
            s.add_watcher(&peer, &me.phone);
            s.add_watcher(&me.phone, &peer);
        }
    });
    let from = me.jid_like(&chat);
    let notify = me
        .push_name
        .clone()
        .or_else(|| hub.read(|s| s.accounts.get(&me.phone).map(|a| a.name.clone())));
    let mut targets: Vec<(Enc, Jid)> = message
        .participants
        .iter()
        .map(|p| (p.enc.clone(), p.jid.clone()))
        .collect();
    // A retry resend: no <participants>, one direct <enc>, `to` = the requesting device.
    if targets.is_empty()
        && let Some(enc) = message.direct.first()
    {
        targets.push((enc.clone(), message.to.clone()));
    }
    for (enc, target) in targets {
        let Some(phone) = hub.read(|s| {
            s.account_for_jid(&target)
                .filter(|a| a.devices.contains_key(&target.device))
                .map(|a| a.phone.clone())
        }) else {
            tracing::debug!(%target, "message for an unknown device dropped");
            continue;
        };
        if phone == me.phone && target.device == me.device {
            continue;
        }
        let mut incoming =
            IncomingMessage::new(message.id.clone(), from.clone(), t, message.kind.clone());
        if from.server == HIDDEN_USER_SERVER {
            incoming.sender_pn = Some(me.pn_jid());
        } else {
            incoming.sender_lid = Some(me.lid_jid());
        }
        if phone == me.phone {
            incoming.recipient = message.recipient.clone().or_else(|| Some(chat.clone()));
        }
        incoming.notify = notify.clone();
        incoming.category = message.category.clone();
        incoming.edit = message.edit.clone();
        incoming.encs = vec![enc];
        incoming.device_identity = message.device_identity.clone();
        hub.deliver(&phone, target.device, incoming.to_node());
    }
}

/// Forwards a device's `<receipt>` to the original sender; a receipt also acknowledges the
/// messages it names. Returns nothing to send back.
///
/// In 1:1 chats the forwarded receipt comes `from` the receiver's user JID without device:
/// Baileys keys the status update (`messages.update`) by that `from`, so a device JID there
/// would name a chat that does not exist. A receipt addressed to a user rather than one of
/// its devices (Baileys sends it to the chat) reaches the phone and every companion. An
/// `inactive` receipt (a client that is not marked available acknowledges delivery with it)
/// goes to the sender as a plain delivery receipt: the message was delivered, and Baileys
/// shows no status for the `inactive` type. Each device hears a message's status once, never
/// a lower one after a higher one ([`crate::hub::ForwardedStatuses`]).
pub fn route_receipt(hub: &Hub, me: &DeviceRef, node: &Node) -> Option<Node> {
    // A media re-upload request goes to the requester's own phone, which answers it.
    if node.attr_str("type").as_deref() == Some("server-error") {
        crate::phone::media_retry::answer(hub, me, node);
        return None;
    }
    let receipt = match Receipt::from_node(node) {
        Ok(receipt) => receipt,
        Err(e) => {
            tracing::debug!(error = %e, "invalid receipt ignored");
            return None;
        }
    };
    for id in receipt.ids() {
        hub.client_ack(me, id, Some("message"));
    }
    let to = receipt.peer.jid().clone();
    let mut forwarded = node.clone();
    forwarded.remove_attr("to");
    if receipt.kind.as_str() == "inactive" {
        forwarded.remove_attr("type");
    }
    let target = if to.is_group() {
        let sender = receipt.participant.clone()?;
        forwarded.set_attr("from", to.to_non_ad());
        forwarded.set_attr("participant", me.jid_like(&sender));
        sender
    } else {
        forwarded.set_attr("from", me.jid_like(&to).to_non_ad());
        // A retry receipt must name the device that failed to decrypt: the sender
        // re-encrypts for that device only (and builds its session from the keys inside).
        if receipt.kind.as_str() == "retry" {
            forwarded.set_attr("participant", me.jid_like(&to));
        }
        to
    };
    if forwarded.get_attr("t").is_none() {
        forwarded.set_attr("t", now_secs().to_string());
    }
    let (phone, companions) = hub.read(|s| {
        s.account_for_jid(&target).map(|a| {
            let companions: Vec<u16> = a.devices.keys().copied().filter(|d| *d != 0).collect();
            (a.phone.clone(), companions)
        })
    })?;
    let ids: Vec<&str> = receipt.ids().collect();
    // A status the device already has (another device's copy of it, or a lower one arriving
    // late) is not forwarded again: see `ForwardedStatuses`.
    let tells = |device: u16| {
        hub.statuses
            .advances(&phone, device, &forwarded, &receipt.kind, &ids)
    };
    if target.device != 0 {
        if tells(target.device) {
            hub.deliver(&phone, target.device, forwarded);
        }
        // The phone keeps the statuses of what its companions sent too.
        if let Some(handler) = hub.phone() {
            handler.record_status(hub, &phone, &receipt, me);
        }
        return None;
    }
    if let Some(handler) = hub.phone() {
        handler.receipt(hub, &phone, &receipt, me);
    }
    for device in companions {
        if (phone != me.phone || device != me.device) && tells(device) {
            hub.deliver(&phone, device, forwarded.clone());
        }
    }
    None
}

/// Forwards a `<chatstate>` to the target's online devices (not queued).
pub fn route_chatstate(hub: &Hub, me: &DeviceRef, node: &Node) {
    let Some(to) = node.attr_jid("to") else {
        return;
    };
    let Some(phone) = hub.read(|s| s.account_for_jid(&to).map(|a| a.phone.clone())) else {
        return;
    };
    let mut forwarded = node.clone();
    forwarded.remove_attr("to");
    forwarded.set_attr("from", me.jid_like(&to).to_non_ad());
    for device in hub.registry.online_devices(&phone) {
        hub.send_live(&phone, device, forwarded.clone());
    }
}
