//! Polls: the creation message, and votes encrypted with the poll's message secret.
//!
//! A poll carries a random 32-byte secret in `messageContextInfo.messageSecret`. A vote is a
//! `PollVoteMessage` (the SHA-256 of each chosen option's name) sealed with AES-256-GCM under a
//! key only the poll's recipients can derive: HKDF-SHA256 of the secret (zero salt) with the
//! poll id, the poll creator's JID, the voter's JID and `"Poll Vote"` as info; the associated
//! data is `poll id ‖ 0x00 ‖ voter JID`. JIDs are device-less. A later vote replaces the
//! voter's earlier one; an empty selection withdraws it.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use prost::Message as _;
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::content::ContentKind;
use crate::crypto::kdf::hkdf_sha256;
use crate::node::Node;
use crate::proto::e2e;

/// Length of a poll's message secret.
pub const SECRET_LEN: usize = 32;
/// Most options a poll may have (WhatsApp's limit).
pub const MAX_OPTIONS: usize = 12;

/// Why a vote could not be opened.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PollError {
    /// The vote has no encrypted payload or IV, or the IV is not 12 bytes.
    #[error("the vote is incomplete")]
    Incomplete,
    /// Authentication failed: another key (wrong secret or JIDs) or tampered bytes.
    #[error("the vote does not decrypt with this poll's secret")]
    Undecryptable,
    /// The plaintext is not a `PollVoteMessage`.
    #[error("the vote's plaintext is malformed")]
    Malformed,
}

/// The poll a message is (versions 1 to 3), if any.
pub fn creation(m: &e2e::Message) -> Option<&e2e::PollCreationMessage> {
    m.poll_creation_message
        .as_deref()
        .or(m.poll_creation_message_v2.as_deref())
        .or(m.poll_creation_message_v3.as_deref())
}

/// [`creation`], mutable.
pub fn creation_mut(m: &mut e2e::Message) -> Option<&mut e2e::PollCreationMessage> {
    if m.poll_creation_message.is_some() {
        m.poll_creation_message.as_deref_mut()
    } else if m.poll_creation_message_v2.is_some() {
        m.poll_creation_message_v2.as_deref_mut()
    } else {
        m.poll_creation_message_v3.as_deref_mut()
    }
}

/// The secret of a poll message, if it carries one of the right length.
pub fn secret(m: &e2e::Message) -> Option<[u8; SECRET_LEN]> {
    let bytes = m.message_context_info.as_ref()?.message_secret.as_deref()?;
    bytes.try_into().ok()
}

/// The option names of a poll, in order.
pub fn option_names(poll: &e2e::PollCreationMessage) -> Vec<String> {
    poll.options
        .iter()
        .map(|o| o.option_name.clone().unwrap_or_default())
        .collect()
}

/// A poll asking `name` with `options`; `selectable` is how many options a voter may choose
/// (0: any number). Single-choice polls go as version 3, as WhatsApp's apps send them.
pub fn creation_message(
    name: &str,
    options: &[String],
    selectable: u32,
    secret: [u8; SECRET_LEN],
) -> e2e::Message {
    let poll = e2e::PollCreationMessage {
        enc_key: None,
        name: Some(name.to_owned()),
        options: options
            .iter()
            .map(|o| e2e::poll_creation_message::Option {
                option_name: Some(o.clone()),
            })
            .collect(),
        selectable_options_count: Some(selectable),
        context_info: None,
    };
    let mut message = e2e::Message {
        message_context_info: Some(e2e::MessageContextInfo {
            message_secret: Some(secret.to_vec()),
            ..Default::default()
        }),
        ..Default::default()
    };
    if selectable == 1 {
        message.poll_creation_message_v3 = Some(Box::new(poll));
    } else {
        message.poll_creation_message = Some(Box::new(poll));
    }
    message
}

/// The `<meta polltype>` child a poll (`creation`) or a vote (`vote`) stanza carries.
pub fn stanza_meta(kind: &ContentKind) -> Option<Node> {
    let polltype = match kind {
        ContentKind::Poll => "creation",
        ContentKind::PollVote => "vote",
        _ => return None,
    };
    Some(Node::new("meta").attr("polltype", polltype))
}

/// The hash a vote carries for the option named `name`.
pub fn option_hash(name: &str) -> [u8; 32] {
    Sha256::digest(name.as_bytes()).into()
}

/// The AES-256-GCM key and associated data of a vote by `voter` on poll `poll_id` made by
/// `creator` (device-less JIDs, as strings).
fn vote_key(
    secret: &[u8; SECRET_LEN],
    poll_id: &str,
    creator: &str,
    voter: &str,
) -> ([u8; 32], Vec<u8>) {
    let info = [
        poll_id.as_bytes(),
        creator.as_bytes(),
        voter.as_bytes(),
        b"Poll Vote",
    ]
    .concat();
    let key = hkdf_sha256::<32>(secret, None, &info);
    let aad = [poll_id.as_bytes(), &[0], voter.as_bytes()].concat();
    (key, aad)
}

/// Seals the choice of the options hashed as `selected` (see [`option_hash`]) with `iv`.
pub fn encrypt_vote(
    secret: &[u8; SECRET_LEN],
    poll_id: &str,
    creator: &str,
    voter: &str,
    selected: &[[u8; 32]],
    iv: [u8; 12],
) -> e2e::PollEncValue {
    let plaintext = e2e::PollVoteMessage {
        selected_options: selected.iter().map(|h| h.to_vec()).collect(),
    }
    .encode_to_vec();
    let (key, aad) = vote_key(secret, poll_id, creator, voter);
    let cipher = Aes256Gcm::new(&key.into());
    let payload = Payload {
        msg: &plaintext,
        aad: &aad,
    };
    // AES-GCM fails only for inputs beyond 64 GiB; a vote is a few hundred bytes.
    let sealed = cipher
        .encrypt(Nonce::from_slice(&iv), payload)
        .unwrap_or_default();
    e2e::PollEncValue {
        enc_payload: Some(sealed),
        enc_iv: Some(iv.to_vec()),
    }
}

/// Opens a vote: the hashes of the chosen options.
pub fn decrypt_vote(
    secret: &[u8; SECRET_LEN],
    poll_id: &str,
    creator: &str,
    voter: &str,
    vote: &e2e::PollEncValue,
) -> Result<Vec<Vec<u8>>, PollError> {
    let (Some(sealed), Some(iv)) = (vote.enc_payload.as_deref(), vote.enc_iv.as_deref()) else {
        return Err(PollError::Incomplete);
    };
    if iv.len() != 12 {
        return Err(PollError::Incomplete);
    }
    let (key, aad) = vote_key(secret, poll_id, creator, voter);
    let cipher = Aes256Gcm::new(&key.into());
    let plaintext = cipher
        .decrypt(
            Nonce::from_slice(iv),
            Payload {
                msg: sealed,
                aad: &aad,
            },
        )
        .map_err(|_| PollError::Undecryptable)?;
    let vote =
        e2e::PollVoteMessage::decode(plaintext.as_slice()).map_err(|_| PollError::Malformed)?;
    Ok(vote.selected_options)
}

/// A vote message on the poll `poll_key` (its key as the voter addresses it).
pub fn vote_message(
    poll_key: e2e::MessageKey,
    vote: e2e::PollEncValue,
    now_ms: i64,
) -> e2e::Message {
    e2e::Message {
        poll_update_message: Some(e2e::PollUpdateMessage {
            poll_creation_message_key: Some(poll_key),
            vote: Some(vote),
            metadata: Some(e2e::PollUpdateMessageMetadata {}),
            sender_timestamp_ms: Some(now_ms),
        }),
        ..Default::default()
    }
}

/// The names of the options of `poll` whose hashes are in `selected`, in the poll's order;
/// unknown hashes are left out.
pub fn selected_names(poll: &e2e::PollCreationMessage, selected: &[Vec<u8>]) -> Vec<String> {
    option_names(poll)
        .into_iter()
        .filter(|name| selected.iter().any(|h| h.as_slice() == option_hash(name)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLL: &str = "3EB0C0FFEE";
    const CREATOR: &str = "15550001111@s.whatsapp.net";
    const VOTER: &str = "15550002222@s.whatsapp.net";

    fn options() -> Vec<String> {
        vec!["Tea".into(), "Coffee".into(), "Water".into()]
    }

    #[test]
    fn a_vote_opens_with_the_same_poll_and_voter_only() {
        let secret = [7u8; SECRET_LEN];
        let chosen = [option_hash("Coffee")];
        let vote = encrypt_vote(&secret, POLL, CREATOR, VOTER, &chosen, [1; 12]);
        let opened = decrypt_vote(&secret, POLL, CREATOR, VOTER, &vote).unwrap();
        let poll = creation_message("Drink?", &options(), 0, secret);
        let names = selected_names(creation(&poll).unwrap(), &opened);
        assert_eq!(names, ["Coffee"]);
        for (creator, voter) in [(VOTER, VOTER), (CREATOR, CREATOR)] {
            assert_eq!(
                decrypt_vote(&secret, POLL, creator, voter, &vote),
                Err(PollError::Undecryptable)
            );
        }
        assert_eq!(
            decrypt_vote(&[8; SECRET_LEN], POLL, CREATOR, VOTER, &vote),
            Err(PollError::Undecryptable)
        );
        let mut tampered = vote.clone();
        tampered.enc_iv = Some(vec![1; 11]);
        assert_eq!(
            decrypt_vote(&secret, POLL, CREATOR, VOTER, &tampered),
            Err(PollError::Incomplete)
        );
    }

    #[test]
    fn the_key_follows_the_documented_derivation() {
        // HKDF-SHA256(secret, zero salt, id ‖ creator ‖ voter ‖ "Poll Vote"), computed here
        // from its definition with HMAC so a change to `vote_key` shows.
        let secret = [3u8; SECRET_LEN];
        let prk = crate::crypto::kdf::hmac_sha256(&[0u8; 32], &[&secret]);
        let info = format!("{POLL}{CREATOR}{VOTER}Poll Vote");
        let okm = crate::crypto::kdf::hmac_sha256(&prk, &[info.as_bytes(), &[1]]);
        let (key, aad) = vote_key(&secret, POLL, CREATOR, VOTER);
        assert_eq!(key, okm);
        assert_eq!(aad, format!("{POLL}\0{VOTER}").into_bytes());
    }

    #[test]
    fn single_choice_polls_are_version_3_and_all_versions_read_alike() {
        let single = creation_message("Q", &options(), 1, [0; SECRET_LEN]);
        assert!(single.poll_creation_message_v3.is_some());
        let multi = creation_message("Q", &options(), 0, [0; SECRET_LEN]);
        assert!(multi.poll_creation_message.is_some());
        for m in [&single, &multi] {
            assert_eq!(ContentKind::of(m), ContentKind::Poll);
            assert_eq!(option_names(creation(m).unwrap()), options());
            assert_eq!(secret(m), Some([0; SECRET_LEN]));
        }
        let vote = vote_message(e2e::MessageKey::default(), e2e::PollEncValue::default(), 1);
        assert_eq!(ContentKind::of(&vote), ContentKind::PollVote);
    }
}
