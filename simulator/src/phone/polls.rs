//! Polls on a phone: the poll a timeline entry shows (its question, options, secret and tally),
//! the votes the phone casts, and the votes it opens. Votes never become timeline entries of
//! their own: they change the poll's tally, keyed by the voter's phone-number JID.

use std::collections::BTreeMap;

use openwa_protocol::Jid;
use openwa_protocol::poll as polls;
use openwa_protocol::proto::e2e;
use rand::RngCore as _;
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};

use super::PhoneError;
use crate::hub::Hub;

/// A poll, as the timeline shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollRef {
    /// The question.
    pub name: String,
    /// The options, in order.
    pub options: Vec<String>,
    /// How many options a voter may choose (0: any number).
    pub selectable_count: u32,
    /// The poll's message secret, hex (kept so the phone can open and cast votes).
    pub secret: String,
    /// Each voter's latest choice, by phone-number JID (an empty list: withdrawn).
    #[serde(default)]
    pub votes: BTreeMap<String, Vec<String>>,
}

impl PollRef {
    /// The poll an (unwrapped) message is, if any.
    pub fn of(message: &e2e::Message) -> Option<PollRef> {
        let poll = polls::creation(message)?;
        Some(PollRef {
            name: poll.name.clone().unwrap_or_default(),
            options: polls::option_names(poll),
            selectable_count: poll.selectable_options_count.unwrap_or(0),
            secret: hex::encode(polls::secret(message)?),
            votes: BTreeMap::new(),
        })
    }

    fn secret(&self) -> Option<[u8; polls::SECRET_LEN]> {
        hex::decode(&self.secret).ok()?.try_into().ok()
    }
}

/// The admin API's poll: `{"name", "options", "selectable_count"?}` (default 1).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPoll {
    /// The question.
    pub name: String,
    /// The options.
    pub options: Vec<String>,
    /// How many a voter may choose (0: any number).
    #[serde(default = "one")]
    pub selectable_count: u32,
}

fn one() -> u32 {
    1
}

/// A new poll with a fresh secret.
pub fn poll_message(poll: &NewPoll) -> Result<e2e::Message, PhoneError> {
    let count = poll.options.len();
    if poll.name.is_empty() || !(2..=polls::MAX_OPTIONS).contains(&count) {
        return Err(PhoneError::BadRequest(
            "a poll needs a name and 2-12 options".to_owned(),
        ));
    }
    let mut secret = [0u8; polls::SECRET_LEN];
    OsRng.fill_bytes(&mut secret);
    Ok(polls::creation_message(
        &poll.name,
        &poll.options,
        poll.selectable_count,
        secret,
    ))
}

/// The user JIDs (device-less) of account `phone` in the namespace of `chat`: its LID in a
/// LID-addressed group, else its phone number.
fn user_in_chat(hub: &Hub, phone: &str, chat: &Jid) -> Result<String, PhoneError> {
    let lid_group =
        chat.is_group() && hub.read(|s| s.group(&chat.user).is_ok_and(|g| !g.pn_addressing));
    if lid_group {
        let lid = hub.read(|s| s.account(phone).map(|a| a.lid.clone()))?;
        Ok(Jid::lid(lid).to_string())
    } else {
        Ok(Jid::pn(phone).to_string())
    }
}

/// The vote of `phone` choosing `options` on the poll `id` of `chat`; the phone's own tally
/// counts it at once.
pub fn vote_message(
    hub: &Hub,
    phone: &str,
    chat: &Jid,
    id: &str,
    options: Vec<String>,
    now_ms: i64,
) -> Result<e2e::Message, PhoneError> {
    let found = hub.read(|s| {
        s.account(phone).map(|a| {
            a.timeline
                .find(id, |m| m.chat == chat.to_string())
                .and_then(|m| Some((m.details.poll.clone()?, m.from_me, m.sender.clone())))
        })
    })?;
    let (poll, from_me, sender) = found.ok_or_else(|| {
        PhoneError::NotFound(format!("no poll {id} in {chat} on {phone}'s timeline"))
    })?;
    if let Some(bad) = options.iter().find(|o| !poll.options.contains(o)) {
        return Err(PhoneError::BadRequest(format!("{bad:?} is not an option")));
    }
    let secret = poll
        .secret()
        .ok_or_else(|| PhoneError::BadRequest(format!("poll {id} has no secret")))?;
    let author = sender
        .split(['@', ':'])
        .next()
        .unwrap_or_default()
        .to_owned();
    let creator = user_in_chat(hub, &author, chat)?;
    let voter = user_in_chat(hub, phone, chat)?;
    let hashes: Vec<[u8; 32]> = options.iter().map(|o| polls::option_hash(o)).collect();
    let mut iv = [0u8; 12];
    OsRng.fill_bytes(&mut iv);
    let sealed = polls::encrypt_vote(&secret, id, &creator, &voter, &hashes, iv);
    let key = e2e::MessageKey {
        remote_jid: Some(chat.to_string()),
        from_me: Some(from_me),
        id: Some(id.to_owned()),
        participant: (chat.is_group() && !from_me).then(|| creator.clone()),
    };
    record(
        hub,
        phone,
        &chat.to_string(),
        id,
        &Jid::pn(phone).to_string(),
        options,
    );
    Ok(polls::vote_message(key, sealed, now_ms))
}

/// Opens a vote by account `voter` on the poll `id` of `chat` and records it in the tally of
/// `phone`'s timeline. False when the poll is unknown or the vote does not open.
pub fn apply_vote(
    hub: &Hub,
    phone: &str,
    chat: &str,
    id: &str,
    voter: &str,
    sealed: &e2e::PollEncValue,
) -> bool {
    let found = hub.read(|s| {
        s.account(phone).ok().and_then(|a| {
            a.timeline
                .find(id, |m| m.chat == chat)
                .and_then(|m| Some((m.details.poll.clone()?, m.sender.clone())))
        })
    });
    let Some((poll, sender)) = found else {
        return false;
    };
    let Some(secret) = poll.secret() else {
        return false;
    };
    let forms = |account: &str| {
        let lid = hub.read(|s| s.account(account).map(|a| a.lid.clone()).ok());
        let mut out = vec![Jid::pn(account).to_string()];
        out.extend(lid.map(|l| Jid::lid(l).to_string()));
        out
    };
    let author = sender
        .split(['@', ':'])
        .next()
        .unwrap_or_default()
        .to_owned();
    for creator in forms(&author) {
        for voter_jid in forms(voter) {
            if let Ok(hashes) = polls::decrypt_vote(&secret, id, &creator, &voter_jid, sealed) {
                let chosen = poll
                    .options
                    .iter()
                    .filter(|o| hashes.iter().any(|h| h.as_slice() == polls::option_hash(o)))
                    .cloned()
                    .collect();
                record(hub, phone, chat, id, &Jid::pn(voter).to_string(), chosen);
                return true;
            }
        }
    }
    false
}

/// Sets `voter`'s choice in the tally of poll `id` of `chat` on `phone`'s timeline.
fn record(hub: &Hub, phone: &str, chat: &str, id: &str, voter: &str, chosen: Vec<String>) {
    hub.write(|s| {
        if let Ok(account) = s.account_mut(phone)
            && let Some(entry) = account.timeline.find_mut(id, |m| m.chat == chat)
            && let Some(poll) = entry.details.poll.as_mut()
        {
            poll.votes.insert(voter.to_owned(), chosen);
        }
    });
}
