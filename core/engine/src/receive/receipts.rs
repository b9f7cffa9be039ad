//! The answers to a `<message>` (docs/PROTOCOL.md, IQs and acks, Receipts): the delivery receipt after the
//! message is stored, a retry receipt when it could not be decrypted, a plain ack otherwise.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use openwa_protocol::Node;
use openwa_protocol::stanza::IncomingMessage;
use openwa_protocol::stanza::{Ack, AckClass, Peer, Receipt, ReceiptType, RetryKeys, RetryRequest};

/// Retry receipts per message before the engine gives up (both reference clients stop at 5).
pub(super) const MAX_RETRIES: u32 = 5;

/// Messages whose retries are tracked at once; beyond that the oldest counts are dropped (a
/// flood of undecryptable messages must not grow memory without bound).
pub(super) const TRACKED_RETRIES: usize = 4096;

/// From this attempt on, a retry receipt carries our keys so the sender can start a fresh
/// session.
pub(super) const KEYS_FROM_RETRY: u32 = 2;

/// The delivery receipt for a stored message: plain delivery for messages of others,
/// `type="sender"` for copies of our own devices' messages, `peer_msg` for peer messages.
pub(super) fn delivery_receipt(message: &IncomingMessage, from_own_device: bool) -> Node {
    let kind = if message.category.as_deref() == Some("peer") {
        ReceiptType::PeerMsg
    } else if from_own_device {
        ReceiptType::Sender
    } else {
        ReceiptType::Delivery
    };
    let mut receipt = Receipt::new(message.id.clone(), Peer::To(message.from.clone()), kind);
    receipt.participant = message.participant.clone();
    receipt.recipient = message.recipient.clone();
    receipt.to_node()
}

/// A retry receipt (attempt `count`, starting at 1) asking the sender to encrypt again.
pub(super) fn retry_receipt(
    message: &IncomingMessage,
    count: u32,
    registration_id: u32,
    keys: Option<RetryKeys>,
) -> Node {
    let mut receipt = Receipt::new(
        message.id.clone(),
        Peer::To(message.from.clone()),
        ReceiptType::Retry,
    );
    receipt.participant = message.participant.clone();
    receipt.recipient = message.recipient.clone();
    receipt.category = message.category.clone();
    receipt.retry = Some(RetryRequest {
        count,
        id: message.id.clone(),
        t: Some(message.t),
        error: Some("0".into()),
        registration_id,
        keys,
    });
    receipt.to_node()
}

/// A plain `<ack>` of a message stanza, optionally with a nack `error` code.
pub(super) fn message_ack(stanza: &Node, error: Option<u16>) -> Option<Node> {
    let mut ack = match Ack::for_stanza(stanza) {
        Ok(ack) => ack,
        Err(_) => {
            // Without a parsable `from` we can still ack by id (the server routes it back).
            let id = stanza.attr_str("id")?;
            Ack::new(id, AckClass::Message)
        }
    };
    ack.error = error;
    Some(ack.to_node())
}

/// Retry attempts per message id (kept across reconnects, forgotten once the message decrypts).
#[derive(Debug, Default)]
pub(crate) struct RetryCounter {
    counts: Mutex<Retries>,
}

#[derive(Debug, Default)]
struct Retries {
    counts: HashMap<String, u32>,
    /// Ids in the order they were first seen, for dropping the oldest.
    order: VecDeque<String>,
}

impl RetryCounter {
    fn with<T>(&self, f: impl FnOnce(&mut Retries) -> T) -> T {
        match self.counts.lock() {
            Ok(mut counts) => f(&mut counts),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// The next attempt number for `id`, or `None` once [`MAX_RETRIES`] were sent.
    pub(crate) fn next(&self, id: &str) -> Option<u32> {
        self.with(|retries| {
            if !retries.counts.contains_key(id) {
                while retries.order.len() >= TRACKED_RETRIES {
                    if let Some(oldest) = retries.order.pop_front() {
                        retries.counts.remove(&oldest);
                    }
                }
                retries.order.push_back(id.to_owned());
            }
            let count = retries.counts.entry(id.to_owned()).or_insert(0);
            if *count >= MAX_RETRIES {
                return None;
            }
            *count += 1;
            Some(*count)
        })
    }

    /// Forgets `id` (it decrypted, or the sender gave up).
    pub(crate) fn forget(&self, id: &str) {
        self.with(|retries| {
            if retries.counts.remove(id).is_some() {
                retries.order.retain(|known| known != id);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openwa_protocol::Jid;
    use openwa_protocol::stanza::{MessageType, PreKey, SignedPreKey};

    fn incoming() -> IncomingMessage {
        IncomingMessage::new(
            "3EB0AA",
            "15550000002:3@s.whatsapp.net".parse::<Jid>().unwrap(),
            1_700_000_000,
            MessageType::from("text"),
        )
    }

    #[test]
    fn delivery_receipt_kinds() {
        let message = incoming();
        let node = delivery_receipt(&message, false);
        let receipt = Receipt::from_node(&node).unwrap();
        assert_eq!(receipt.kind, ReceiptType::Delivery);
        assert_eq!(node.attr_str("type"), None);
        assert_eq!(receipt.peer, Peer::To(message.from.clone()));

        let mut own = incoming();
        own.recipient = Some(Jid::pn("15550000009"));
        let node = delivery_receipt(&own, true);
        assert_eq!(node.attr_str("type").as_deref(), Some("sender"));
        assert_eq!(
            Receipt::from_node(&node).unwrap().recipient,
            Some(Jid::pn("15550000009"))
        );

        let mut peer = incoming();
        peer.category = Some("peer".into());
        let node = delivery_receipt(&peer, true);
        assert_eq!(node.attr_str("type").as_deref(), Some("peer_msg"));

        let mut group = incoming();
        group.from = "120363000000000001@g.us".parse().unwrap();
        group.participant = Some("200000000000002:1@lid".parse().unwrap());
        let receipt = Receipt::from_node(&delivery_receipt(&group, false)).unwrap();
        assert_eq!(receipt.participant, group.participant);
        assert_eq!(receipt.peer.jid(), &group.from);
    }

    #[test]
    fn retry_receipt_round_trips_with_and_without_keys() {
        let message = incoming();
        let node = retry_receipt(&message, 1, 4242, None);
        let receipt = Receipt::from_node(&node).unwrap();
        assert_eq!(receipt.kind, ReceiptType::Retry);
        let retry = receipt.retry.unwrap();
        assert_eq!(
            (
                retry.count,
                retry.id.as_str(),
                retry.t,
                retry.registration_id
            ),
            (1, "3EB0AA", Some(1_700_000_000), 4242)
        );
        assert!(retry.keys.is_none());
        assert_eq!(
            node.get_child("retry").unwrap().attr_str("v").as_deref(),
            Some("1")
        );

        let keys = RetryKeys {
            identity: [7; 32],
            prekey: Some(PreKey {
                id: 9,
                public: [8; 32],
            }),
            signed: SignedPreKey {
                id: 1,
                public: [5; 32],
                signature: [6; 64],
            },
            device_identity: Some(vec![1, 2, 3]),
        };
        let node = retry_receipt(&message, 2, 4242, Some(keys.clone()));
        let retry = Receipt::from_node(&node).unwrap().retry.unwrap();
        assert_eq!(retry.count, 2);
        assert_eq!(retry.keys, Some(keys));
    }

    #[test]
    fn retry_counter_stops_at_the_limit_and_forgets() {
        let counter = RetryCounter::default();
        let counts: Vec<Option<u32>> = (0..7).map(|_| counter.next("a")).collect();
        assert_eq!(
            counts,
            vec![Some(1), Some(2), Some(3), Some(4), Some(5), None, None]
        );
        assert_eq!(counter.next("b"), Some(1));
        counter.forget("a");
        assert_eq!(counter.next("a"), Some(1));
    }

    #[test]
    fn retry_counter_is_bounded() {
        let counter = RetryCounter::default();
        for i in 0..=TRACKED_RETRIES {
            assert_eq!(counter.next(&i.to_string()), Some(1));
        }
        // The oldest id was dropped (it starts over); the newest is still counted.
        assert_eq!(counter.next("0"), Some(1));
        assert_eq!(counter.next(&TRACKED_RETRIES.to_string()), Some(2));
        assert!(counter.with(|r| r.counts.len() <= TRACKED_RETRIES));
    }

    #[test]
    fn ack_copies_the_stanza() {
        let stanza = incoming().to_node();
        let ack = message_ack(&stanza, Some(500)).unwrap();
        let ack = Ack::from_node(&ack).unwrap();
        assert_eq!(ack.id, "3EB0AA");
        assert_eq!(ack.class, AckClass::Message);
        assert_eq!(ack.error, Some(500));
        assert_eq!(
            ack.to,
            Some("15550000002:3@s.whatsapp.net".parse().unwrap())
        );
    }
}
