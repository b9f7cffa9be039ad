//! `mark_read`: read receipts for received messages, one per sender (the group participant;
//! in 1:1 chats the chat itself), several ids in `<list>`.

use openwa_protocol::Jid;
use openwa_protocol::stanza::{Peer, Receipt, ReceiptType};

use crate::connection::command::Command;
use crate::context::SessionContext;
use crate::error::{Error, ErrorCode};

/// The read receipts for `messages` (id, group participant) of `chat`, grouped by sender in
/// first-seen order; the first id of each group is the `id` attribute, the rest go in `<list>`.
pub(crate) fn read_receipts(
    chat: &Jid,
    messages: &[(String, Option<Jid>)],
    t: u64,
) -> Vec<Receipt> {
    let mut groups: Vec<(Option<Jid>, Vec<String>)> = Vec::new();
    for (id, sender) in messages {
        match groups.iter_mut().find(|(s, _)| s == sender) {
            Some((_, ids)) => {
                if !ids.contains(id) {
                    ids.push(id.clone());
                }
            }
            None => groups.push((sender.clone(), vec![id.clone()])),
        }
    }
    groups
        .into_iter()
        .filter_map(|(sender, mut ids)| {
            if ids.is_empty() {
                return None;
            }
            let first = ids.remove(0);
            let mut receipt = Receipt::new(first, Peer::To(chat.clone()), ReceiptType::Read);
            receipt.participant = sender;
            receipt.t = Some(t);
            receipt.more_ids = ids;
            Some(receipt)
        })
        .collect()
}

/// Sends read receipts for `ids` of `chat` (canonical JID).
pub(crate) async fn mark_read(
    shared: &SessionContext,
    chat: &Jid,
    ids: &[String],
) -> Result<(), Error> {
    if ids.is_empty() || ids.iter().any(String::is_empty) {
        return Err(Error::invalid_argument("message ids must be non-empty"));
    }
    let commands = shared.commands()?;
    let chat_key = chat.to_string();
    let mut messages = Vec::with_capacity(ids.len());
    for id in ids {
        // In groups the receipt names the message's author: look it up in the store.
        let sender = if chat.is_group() {
            shared
                .store()
                .get_message(&chat_key, id)
                .await?
                .filter(|m| !m.from_me)
                .and_then(|m| m.sender.parse::<Jid>().ok())
        } else {
            None
        };
        messages.push((id.clone(), sender));
    }
    for receipt in read_receipts(chat, &messages, super::now_secs()) {
        commands
            .send(Command::SendNode(receipt.to_node()))
            .await
            .map_err(|_| Error::new(ErrorCode::NotConnected, "the connection closed"))?;
    }
    // Read: the chat has nothing unread any more, under any of its forms.
    for key in super::addressing::chat_keys(shared, chat).await {
        shared.store().mark_chat_read(&key).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_receipt_per_sender_with_a_list_for_the_rest() {
        let group: Jid = "120363000000000001@g.us".parse().unwrap();
        let alice = Jid::pn("111");
        let bob = Jid::pn("222");
        let receipts = read_receipts(
            &group,
            &[
                ("A1".into(), Some(alice.clone())),
                ("B1".into(), Some(bob.clone())),
                ("A2".into(), Some(alice.clone())),
                ("A2".into(), Some(alice.clone())),
            ],
            7,
        );
        assert_eq!(receipts.len(), 2);
        assert_eq!(receipts[0].id, "A1");
        assert_eq!(receipts[0].more_ids, vec!["A2".to_owned()]);
        assert_eq!(receipts[0].participant.as_ref(), Some(&alice));
        assert_eq!(receipts[1].id, "B1");
        assert!(receipts[1].more_ids.is_empty());
        let node = receipts[0].to_node();
        assert_eq!(node.attr_str("type").as_deref(), Some("read"));
        assert_eq!(
            node.attr_str("to").as_deref(),
            Some("120363000000000001@g.us")
        );
        assert!(node.get_child("list").is_some());
    }

    #[test]
    fn a_direct_chat_gets_one_receipt() {
        let chat = Jid::pn("222");
        let receipts = read_receipts(&chat, &[("X".into(), None), ("Y".into(), None)], 1);
        assert_eq!(receipts.len(), 1);
        assert_eq!(receipts[0].ids().collect::<Vec<_>>(), vec!["X", "Y"]);
        assert!(receipts[0].participant.is_none());
    }
}
