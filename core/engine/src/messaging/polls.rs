//! Polls: the votes we cast, the votes others cast (opened with the poll's secret and stored
//! as each voter's latest choice, with a `PollVote` event), and the tally.

use std::sync::Arc;

use openwa_protocol::Jid;
use openwa_protocol::poll::{self as polls, PollError};
use openwa_protocol::proto::e2e;
use openwa_store::{MessageRecord, PollVoteRecord, SessionTx, StoreError};
use prost::Message as _;
use serde::{Deserialize, Serialize};

use super::compose;
use super::origin::Origin;
use super::send::{Own, SendOptions, send_content};
use super::target::{no_context, now_ms, target};
use crate::context::SessionContext;
use crate::error::Error;
use crate::event::{Event, EventKind, Message};
use crate::persist::{PendingEvent, write_unit};

/// The votes on a poll, as this session knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PollResults {
    /// The poll's chat.
    pub chat: String,
    /// The poll's message id.
    pub poll_id: String,
    /// The question.
    pub name: String,
    /// How many options a voter may choose; 0 means any number.
    pub selectable_count: u32,
    /// Each option with the voters who chose it, in the poll's order.
    pub options: Vec<PollOptionVotes>,
}

/// One option of a poll and who chose it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PollOptionVotes {
    /// The option's name.
    pub name: String,
    /// The voters who chose it (phone-number JIDs when known, else LIDs), sorted.
    pub voters: Vec<String>,
}

/// A stored poll: its question and options, and its secret.
struct StoredPoll {
    creation: e2e::PollCreationMessage,
    secret: [u8; polls::SECRET_LEN],
}

impl StoredPoll {
    fn of(record: &MessageRecord) -> Option<StoredPoll> {
        let message = e2e::Message::decode(record.payload.as_deref()?).ok()?;
        let creation = polls::creation(&message)?.clone();
        let secret = polls::secret(&message)?;
        Some(StoredPoll { creation, secret })
    }
}

/// Votes `selected` (option names; empty withdraws our vote) on the poll `poll_id` of `chat`.
pub(crate) async fn vote(
    shared: &Arc<SessionContext>,
    chat: &str,
    poll_id: &str,
    selected: &[String],
    options: SendOptions,
) -> Result<Message, Error> {
    no_context(&options)?;
    let (jid, record) = target(shared, chat, poll_id).await?;
    let poll = StoredPoll::of(&record).ok_or_else(|| {
        Error::invalid_argument(format!(
            "message {poll_id} is not a poll this session can vote on"
        ))
    })?;
    let creation = &poll.creation;
    let names = polls::option_names(creation);
    for (i, choice) in selected.iter().enumerate() {
        if !names.contains(choice) {
            return Err(Error::invalid_argument(format!(
                "{choice:?} is not an option of the poll (options: {names:?})"
            )));
        }
        if selected[..i].contains(choice) {
            return Err(Error::invalid_argument(format!(
                "{choice:?} is chosen twice"
            )));
        }
    }
    let allowed = creation.selectable_options_count.unwrap_or(0);
    if allowed > 0 && selected.len() > usize::try_from(allowed).unwrap_or(usize::MAX) {
        return Err(Error::invalid_argument(format!(
            "the poll allows {allowed} choice(s), not {}",
            selected.len()
        )));
    }
    let own = Own::of(shared)?;
    let voter_jid = own.user_for(&jid);
    let voter = voter_jid.to_string();
    // Both JIDs in the key are in one namespace, the chat's: the author in the voter's.
    let creator = same_namespace(shared, &record.sender, &voter_jid).await;
    let hashes: Vec<[u8; 32]> = selected.iter().map(|s| polls::option_hash(s)).collect();
    let mut iv = [0u8; 12];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut iv);
    let sealed = polls::encrypt_vote(&poll.secret, poll_id, &creator, &voter, &hashes, iv);
    let voted_at_ms = now_ms();
    let proto = polls::vote_message(compose::key_of(&record, &jid), sealed, voted_at_ms);
    let sent = send_content(shared, chat, proto, options).await?;

    let (voter, voter_alt) = phone_first(
        voter,
        own.alt_of(&own.user_for(&jid)).map(|j| j.to_string()),
    );
    let vote = Arc::new(Vote {
        record: PollVoteRecord {
            chat: record.chat.clone(),
            poll_id: poll_id.to_owned(),
            voter,
            selected: ordered(&names, selected),
            voted_at_ms,
        },
        voter_alt,
        timestamp: sent.timestamp,
    });
    write_unit(
        shared.store(),
        Some(shared.bus().publisher()),
        move |mut tx| {
            let vote = Arc::clone(&vote);
            Box::pin(async move { Ok(((), vote.store(&mut tx).await?)) })
        },
    )
    .await?;
    Ok(sent)
}

/// The votes on the poll `poll_id` of `chat`.
pub(crate) async fn results(
    shared: &Arc<SessionContext>,
    chat: &str,
    poll_id: &str,
) -> Result<PollResults, Error> {
    let (_, record) = target(shared, chat, poll_id).await?;
    let poll = StoredPoll::of(&record)
        .ok_or_else(|| Error::invalid_argument(format!("message {poll_id} is not a poll")))?;
    let creation = &poll.creation;
    let votes = shared.store().poll_votes(&record.chat, poll_id).await?;
    let options = polls::option_names(creation)
        .into_iter()
        .map(|name| PollOptionVotes {
            voters: votes
                .iter()
                .filter(|v| v.selected.contains(&name))
                .map(|v| v.voter.clone())
                .collect(),
            name,
        })
        .collect();
    Ok(PollResults {
        chat: record.chat,
        poll_id: poll_id.to_owned(),
        name: creation.name.clone().unwrap_or_default(),
        selectable_count: creation.selectable_options_count.unwrap_or(0),
        options,
    })
}

/// A decrypted vote to store, with what its event needs.
struct Vote {
    record: PollVoteRecord,
    voter_alt: Option<String>,
    timestamp: u64,
}

impl Vote {
    /// Stores the vote and logs its event, unless a newer vote of the voter is stored.
    async fn store(&self, tx: &mut SessionTx<'_>) -> Result<Option<Event>, StoreError> {
        if !tx.put_poll_vote(&self.record).await? {
            return Ok(None);
        }
        let kind = EventKind::PollVote {
            chat: self.record.chat.clone(),
            poll_id: self.record.poll_id.clone(),
            voter: self.record.voter.clone(),
            voter_alt: self.voter_alt.clone(),
            selected: self.record.selected.clone(),
            timestamp: self.timestamp,
        };
        let event =
            PendingEvent::new(kind).map_err(|e| StoreError::InvalidArgument(e.to_string()))?;
        Ok(Some(event.append(tx).await?))
    }
}

/// Applies a received vote (inside the unit that commits its Signal state): opens it with the
/// stored poll's secret, trying each known form (PN, LID) of the poll's author and of the voter,
/// then stores it with its event. A vote on an unknown poll, or one that does not open, is
/// logged and dropped: nothing else could read it.
pub(crate) async fn apply_vote(
    tx: &mut SessionTx<'_>,
    origin: &Origin,
    poll_id: &str,
    poll_key: &e2e::MessageKey,
    sealed: &e2e::PollEncValue,
    voted_at_ms: i64,
) -> Result<Option<Event>, StoreError> {
    let Some(record) = tx.get_message_across(&origin.chats, poll_id).await? else {
        tracing::info!(poll = %poll_id, voter = %origin.sender, "vote on a poll this session does not have");
        return Ok(None);
    };
    let Some(poll) = StoredPoll::of(&record) else {
        tracing::info!(poll = %poll_id, "vote on a message that is not a poll");
        return Ok(None);
    };
    let mut creators = vec![record.sender.clone()];
    if let Some(alt) = other_form(tx, &record.sender).await? {
        creators.push(alt);
    }
    // The voter's own view of the author: themselves, or the key's participant (groups) or
    // chat (1:1).
    let named = if poll_key.from_me == Some(true) {
        Some(origin.sender.clone())
    } else {
        poll_key
            .participant
            .clone()
            .or_else(|| poll_key.remote_jid.clone())
    };
    creators.extend(named.filter(|n| !n.ends_with("@g.us")));
    let mut voters = vec![origin.sender.clone()];
    voters.extend(origin.sender_alt.clone());
    let mut opened = Err(PollError::Undecryptable);
    'search: for creator in &creators {
        for voter in &voters {
            opened = polls::decrypt_vote(&poll.secret, poll_id, creator, voter, sealed);
            if opened.is_ok() {
                break 'search;
            }
        }
    }
    let hashes = match opened {
        Ok(hashes) => hashes,
        Err(err) => {
            tracing::info!(poll = %poll_id, voter = %origin.sender, %err, "poll vote not readable");
            return Ok(None);
        }
    };
    let selected = polls::selected_names(&poll.creation, &hashes);
    let voted_at_ms = if voted_at_ms > 0 {
        voted_at_ms
    } else {
        i64::try_from(origin.timestamp.saturating_mul(1000)).unwrap_or(i64::MAX)
    };
    let (voter, voter_alt) = phone_first(origin.sender.clone(), origin.sender_alt.clone());
    let vote = Vote {
        record: PollVoteRecord {
            chat: record.chat,
            poll_id: poll_id.to_owned(),
            voter,
            selected,
            voted_at_ms,
        },
        voter_alt,
        timestamp: origin.timestamp,
    };
    vote.store(tx).await
}

/// The other form (LID or phone number) of a device-less user JID, when the mapping is known.
async fn other_form(tx: &mut SessionTx<'_>, user: &str) -> Result<Option<String>, StoreError> {
    let Ok(jid) = user.parse::<Jid>() else {
        return Ok(None);
    };
    let other = if jid.is_lid() {
        tx.pn_for_lid(&jid.user).await?.map(Jid::pn)
    } else if jid.is_pn() {
        tx.lid_for_pn(&jid.user).await?.map(Jid::lid)
    } else {
        None
    };
    Ok(other.map(|j| j.to_string()))
}

/// `user` in the namespace (phone number or LID) of `like`, when it is not already and the
/// mapping is known; else `user` as it is.
async fn same_namespace(shared: &SessionContext, user: &str, like: &Jid) -> String {
    let Ok(jid) = user.parse::<Jid>() else {
        return user.to_owned();
    };
    if jid.is_lid() == like.is_lid() {
        return user.to_owned();
    }
    match super::addressing::alt_chat(shared, &jid).await {
        Some(alt) => alt.to_string(),
        None => user.to_owned(),
    }
}

/// A user's two forms with the phone number first when known, so a voter is stored under one
/// name whichever form their vote came with.
fn phone_first(user: String, alt: Option<String>) -> (String, Option<String>) {
    match alt {
        Some(alt) if user.ends_with("@lid") && alt.ends_with("@s.whatsapp.net") => {
            (alt, Some(user))
        }
        alt => (user, alt),
    }
}

/// `selected` in the poll's order.
fn ordered(names: &[String], selected: &[String]) -> Vec<String> {
    names
        .iter()
        .filter(|n| selected.contains(n))
        .cloned()
        .collect()
}
