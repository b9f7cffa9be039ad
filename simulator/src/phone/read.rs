//! The phone marks received messages read, and hands out the decrypted media of its timeline.

use openwa_protocol::Jid;
use openwa_protocol::media::{self, ExpectedDigests};
use openwa_protocol::stanza::{Peer, Receipt, ReceiptType};

use super::{PhoneError, TimelineEntry, phone_ref};
use crate::hub::Hub;
use crate::util::now_secs;

/// Largest media the admin API decrypts (everything the media store can hold).
pub const MAX_MEDIA: u64 = crate::media_store::MAX_STORED as u64;

fn entry(hub: &Hub, phone: &str, id: &str) -> Result<TimelineEntry, PhoneError> {
    hub.read(|s| {
        s.account(phone)
            .map(|a| a.timeline.find(id, |_| true).cloned())
    })?
    .ok_or_else(|| PhoneError::NotFound(format!("no message {id} on {phone}'s timeline")))
}

fn parse(jid: &str) -> Result<Jid, PhoneError> {
    jid.parse()
        .map_err(|e| PhoneError::BadRequest(format!("stored JID {jid}: {e}")))
}

/// Sends a read receipt for a received message to its sender and notes it on the entry.
pub fn mark_read(hub: &Hub, phone: &str, id: &str) -> Result<TimelineEntry, PhoneError> {
    let found = entry(hub, phone, id)?;
    if found.from_me {
        return Err(PhoneError::BadRequest(format!(
            "{id} was sent by {phone}: only received messages are marked read"
        )));
    }
    let me = hub.read(|s| phone_ref(s, phone))?;
    let chat = parse(&found.chat)?;
    let sender = parse(&found.sender)?;
    let t = now_secs();
    let (peer, participant) = if chat.is_group() {
        (chat, Some(sender))
    } else {
        (sender.to_non_ad(), None)
    };
    let mut receipt = Receipt::new(id, Peer::To(peer), ReceiptType::Read);
    receipt.participant = participant;
    receipt.t = Some(t);
    hub.dispatch(&me, &receipt.to_node());
    let own = me.pn_jid().to_string();
    hub.write(|s| {
        if let Ok(account) = s.account_mut(phone)
            && let Some(m) = account.timeline.find_mut(id, |_| true)
        {
            m.receipts.insert(own, "read".to_owned());
        }
    });
    entry(hub, phone, id)
}

/// The decrypted media of a timeline entry and its MIME type.
pub fn media(hub: &Hub, phone: &str, id: &str) -> Result<(Option<String>, Vec<u8>), PhoneError> {
    let found = entry(hub, phone, id)?;
    let info = found
        .media
        .ok_or_else(|| PhoneError::NotFound(format!("message {id} has no media")))?;
    let path = info
        .direct_path
        .as_deref()
        .or(info.url.as_deref())
        .ok_or_else(|| PhoneError::Media("no direct path".to_owned()))?;
    let blob_id = path
        .split('?')
        .next()
        .and_then(|p| p.rsplit('/').next())
        .unwrap_or_default();
    let blob = hub
        .media
        .get(blob_id)
        .ok_or_else(|| PhoneError::NotFound(format!("media of {id} is not on the media host")))?;
    let key: [u8; 32] = info
        .media_key
        .as_deref()
        .and_then(|k| hex::decode(k).ok())
        .and_then(|k| k.try_into().ok())
        .ok_or_else(|| PhoneError::Media("no 32-byte media key".to_owned()))?;
    let digest = |h: &Option<String>| {
        h.as_deref()
            .and_then(|h| hex::decode(h).ok())
            .and_then(|d| <[u8; 32]>::try_from(d).ok())
    };
    let expected = ExpectedDigests {
        file_sha256: digest(&info.file_sha256),
        file_enc_sha256: digest(&info.file_enc_sha256),
    };
    let media_type = info.crypto_type();
    let plain = media::decrypt(&key, media_type, &blob, expected, MAX_MEDIA)
        .map_err(|e| PhoneError::Media(e.to_string()))?;
    Ok((info.mimetype, plain))
}
