//! Getting stanzas to devices: the offline queue, live sends, and the stanzas every feature
//! pushes the same way (device-list changes, `device_removed`).

use openwa_protocol::{Jid, Node};

use super::Hub;
use crate::conn::registry::Command;
use crate::device::DeviceRef;
use crate::state::{PendingStanza, device_key};
use crate::util::now_secs;

/// Most stanzas queued per device; the oldest are dropped beyond it.
pub const MAX_QUEUED: usize = 10_000;

impl Hub {
    /// Puts a stanza in a device's queue and, if the device is online and active, sends it.
    /// Device 0 is the simulated phone, which receives it at once.
    pub fn deliver(&self, phone: &str, device: u16, node: Node) {
        if device == 0 {
            match self.phone() {
                Some(handler) => handler.receive(self, phone, &node),
                None => {
                    tracing::debug!(%phone, tag = %node.tag, "no phone registered; stanza dropped")
                }
            }
            return;
        }
        let id = node.attr_str("id").unwrap_or_default();
        let pending = PendingStanza {
            id,
            class: node.tag.to_string(),
            node: (&node).into(),
        };
        let live = self.write(|state| {
            state.enqueue(phone, device, pending);
            if let Some(queue) = state.pending.get_mut(&device_key(phone, device)) {
                while queue.len() > MAX_QUEUED {
                    queue.pop_front();
                    tracing::warn!(%phone, device, "offline queue full; dropped the oldest stanza");
                }
            }
            self.registry.active_device(phone, device)
        });
        if let Some(conn) = live {
            conn.send(Command::Send(node));
        }
    }

    /// Sends a stanza to a device only if it is online and active now (nothing is queued).
    pub fn send_live(&self, phone: &str, device: u16, node: Node) {
        if let Some(conn) = self.registry.active_device(phone, device) {
            conn.send(Command::Send(node));
        }
    }

    /// Marks a connection active and returns the stanzas queued for its device, atomically with
    /// respect to [`Hub::deliver`] (nothing is sent twice or lost in between).
    pub fn activate(&self, conn: u64, me: &DeviceRef) -> Vec<Node> {
        self.read(|state| {
            self.registry.set_active(conn, true);
            state
                .pending_for(&me.phone, me.device)
                .iter()
                .map(|p| p.node.to_node())
                .collect()
        })
    }

    /// The client acknowledged a stanza.
    pub fn client_ack(&self, me: &DeviceRef, id: &str, class: Option<&str>) {
        self.write(|s| s.acknowledge(&me.phone, me.device, id, class));
    }

    /// Tells the companions that keep `phone`'s device list (its own, and those of the accounts
    /// that asked for it or chat with it) that it changed.
    pub fn device_list_changed(&self, phone: &str) {
        let (targets, lid) = self.read(|s| {
            let watchers = s.watchers.get(phone);
            let targets: Vec<(String, u16)> = std::iter::once(phone)
                .chain(watchers.into_iter().flatten().map(String::as_str))
                .filter_map(|p| s.accounts.get(p))
                .flat_map(|a| {
                    a.devices
                        .keys()
                        .filter(|d| **d != 0)
                        .map(|d| (a.phone.clone(), *d))
                })
                .collect();
            (targets, s.accounts.get(phone).map(|a| a.lid.clone()))
        });
        for (target, device) in targets {
            let node = Node::new("notification")
                .attr("from", Jid::pn(phone))
                .attr_opt("lid", lid.as_ref().map(|l| Jid::lid(l.clone())))
                .attr("id", self.next_stanza_id())
                .attr("type", "devices")
                .attr("t", now_secs().to_string())
                .child(Node::new("update").attr("hash", "openwa-sim"));
            self.deliver(&target, device, node);
        }
    }
}

/// `<stream:error code="401"><conflict type="device_removed"/></stream:error>`.
pub fn device_removed() -> Node {
    Node::new("stream:error")
        .attr("code", "401")
        .child(Node::new("conflict").attr("type", "device_removed"))
}
