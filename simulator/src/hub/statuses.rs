//! The message statuses (delivered, read, played) already forwarded to each device, so that a
//! device hears each status of a message once and never a lower one after a higher one.
//!
//! Why: a 1:1 receipt reaches the sender `from` the recipient's user JID, without device, so
//! the delivery receipts of the recipient's phone and of each companion look the same; and a
//! busy phone's delivery receipt can arrive after the companion's read receipt. Forwarding it
//! tells the sender nothing new, and Baileys, which folds the updates it buffers into one
//! (last one wins), would then report "delivered" for a message that was read.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use openwa_protocol::Node;
use openwa_protocol::stanza::ReceiptType;

use crate::util::lock;

/// How many (device, message, sender) entries are remembered; the oldest go first. Receipts
/// that race each other arrive within moments, so a short memory is enough.
const REMEMBERED: usize = 32_768;

/// Where a forwarded status goes and what it is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    /// The receiving device, as `phone:device`.
    device: String,
    /// The forwarded receipt's `from` and `participant`.
    from: String,
    participant: String,
    message: String,
}

/// The highest status forwarded per key; the oldest keys are forgotten first.
#[derive(Debug, Default)]
pub struct ForwardedStatuses {
    inner: Mutex<Ledger>,
}

#[derive(Debug, Default)]
struct Ledger {
    ranks: HashMap<Key, u8>,
    order: VecDeque<Key>,
}

/// The order of the statuses a receipt type reports; `None` for receipts that are not a
/// status (retry, sender, peer…), which are always forwarded.
fn rank(kind: &ReceiptType) -> Option<u8> {
    match kind {
        ReceiptType::Delivery | ReceiptType::Inactive => Some(1),
        ReceiptType::Read | ReceiptType::ReadSelf => Some(2),
        ReceiptType::Played | ReceiptType::PlayedSelf => Some(3),
        _ => None,
    }
}

impl ForwardedStatuses {
    /// Whether `forwarded` (a receipt of type `kind` about `ids`) tells `phone:device`
    /// something new — a status higher than any it was sent for one of the ids — and, if so,
    /// records it.
    pub fn advances(
        &self,
        phone: &str,
        device: u16,
        forwarded: &Node,
        kind: &ReceiptType,
        ids: &[&str],
    ) -> bool {
        let Some(rank) = rank(kind) else {
            return true;
        };
        let device = format!("{phone}:{device}");
        let from = forwarded.attr_str("from").unwrap_or_default();
        let participant = forwarded.attr_str("participant").unwrap_or_default();
        let mut ledger = lock(&self.inner);
        let mut advanced = false;
        for id in ids {
            let key = Key {
                device: device.clone(),
                from: from.clone(),
                participant: participant.clone(),
                message: (*id).to_owned(),
            };
            match ledger.ranks.get_mut(&key) {
                Some(known) if *known >= rank => {}
                Some(known) => {
                    *known = rank;
                    advanced = true;
                }
                None => {
                    ledger.remember(key, rank);
                    advanced = true;
                }
            }
        }
        advanced
    }
}

impl Ledger {
    fn remember(&mut self, key: Key, rank: u8) {
        while self.order.len() >= REMEMBERED {
            if let Some(oldest) = self.order.pop_front() {
                self.ranks.remove(&oldest);
            }
        }
        self.order.push_back(key.clone());
        self.ranks.insert(key, rank);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt(from: &str) -> Node {
        Node::new("receipt").attr("from", from).attr("id", "M1")
    }

    #[test]
    fn each_status_once_and_never_backwards() {
        let statuses = ForwardedStatuses::default();
        let node = receipt("111@s.whatsapp.net");
        let once = |kind: ReceiptType| statuses.advances("222", 1, &node, &kind, &["M1"]);
        assert!(once(ReceiptType::Delivery));
        assert!(!once(ReceiptType::Delivery), "a second device's delivery");
        assert!(once(ReceiptType::Read));
        assert!(!once(ReceiptType::Delivery), "a late delivery after read");
        assert!(!once(ReceiptType::Read));
        assert!(once(ReceiptType::Retry), "not a status: always forwarded");
        assert!(once(ReceiptType::Retry));
    }

    #[test]
    fn keyed_by_device_sender_and_message() {
        let statuses = ForwardedStatuses::default();
        let read = ReceiptType::Read;
        let alice = receipt("111@s.whatsapp.net");
        let carol = receipt("333@s.whatsapp.net");
        assert!(statuses.advances("222", 1, &alice, &read, &["M1"]));
        assert!(statuses.advances("222", 2, &alice, &read, &["M1"]));
        assert!(statuses.advances("222", 1, &carol, &read, &["M1"]));
        assert!(statuses.advances("222", 1, &alice, &read, &["M1", "M2"]));
        assert!(!statuses.advances("222", 1, &alice, &read, &["M2"]));
    }

    #[test]
    fn memory_is_bounded() {
        let statuses = ForwardedStatuses::default();
        let node = receipt("111@s.whatsapp.net");
        for i in 0..REMEMBERED + 10 {
            let id = i.to_string();
            statuses.advances("222", 1, &node, &ReceiptType::Delivery, &[id.as_str()]);
        }
        let ledger = lock(&statuses.inner);
        assert_eq!(ledger.ranks.len(), REMEMBERED);
        assert_eq!(ledger.order.len(), REMEMBERED);
    }
}
