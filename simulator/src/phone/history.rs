//! A phone's seeded history (`POST /admin/accounts/{phone}/history`): generated chats with
//! contacts that are not accounts of the simulator, their push names and LIDs, and messages,
//! kept with the account (so `--state` keeps them) and sent to every companion the phone links
//! as history sync ([`super::history_sync`]), together with the phone's own timeline.

use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};

use super::PhoneError;
use crate::state::State;

/// Most chats one seed request makes.
pub const MAX_SEED_CHATS: u32 = 10_000;
/// Most messages one seed request makes in all.
pub const MAX_SEED_MESSAGES: u64 = 1_000_000;
/// First LID of the seeded contacts (far from the accounts' LIDs).
const FIRST_CONTACT_LID: u64 = 200_000_000_000_000;

/// A chat of the seeded history: a contact and the messages exchanged with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeededChat {
    /// The contact's phone number (PN user part).
    pub phone: String,
    /// The contact's LID user part.
    pub lid: String,
    /// The contact's push name.
    pub push_name: String,
    /// Incoming messages the phone has not read (the newest ones).
    pub unread: u32,
    /// The messages, oldest first.
    pub messages: Vec<SeededMessage>,
}

/// A text message of the seeded history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeededMessage {
    /// Message id.
    pub id: String,
    /// Whether the phone's account sent it.
    pub from_me: bool,
    /// The text.
    pub text: String,
    /// Unix time.
    pub timestamp: u64,
}

/// What to seed: `chats` chats of `messages_per_chat` messages each, the newest `unread` of the
/// incoming ones unread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedRequest {
    /// Chats to add.
    pub chats: u32,
    /// Messages per chat.
    pub messages_per_chat: u32,
    /// Unread incoming messages per chat (default 0).
    #[serde(default)]
    pub unread: u32,
}

/// What a seed added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SeedSummary {
    /// Chats added.
    pub chats: u32,
    /// Messages added.
    pub messages: u64,
    /// Chats the phone's seeded history now holds.
    pub total_chats: usize,
}

/// Adds generated chats to the seeded history of `phone`'s account. Chat `i`'s messages end
/// `i + 1` minutes before `now`, one a second, alternating incoming and outgoing.
pub fn seed(
    state: &mut State,
    phone: &str,
    request: SeedRequest,
    now: u64,
) -> Result<SeedSummary, PhoneError> {
    let total = u64::from(request.chats) * u64::from(request.messages_per_chat);
    if request.chats == 0 || request.chats > MAX_SEED_CHATS || total > MAX_SEED_MESSAGES {
        return Err(PhoneError::BadRequest(format!(
            "seed 1 to {MAX_SEED_CHATS} chats and at most {MAX_SEED_MESSAGES} messages"
        )));
    }
    let account = state.account_mut(phone)?;
    let base = u64::from(OsRng.next_u32() % 90_000_000);
    let prefix = format!("{:08X}", OsRng.next_u32());
    let per_chat = u64::from(request.messages_per_chat);
    for i in 0..u64::from(request.chats) {
        let number = base + i;
        let end = now.saturating_sub((i + 1) * 60);
        let messages = (0..per_chat)
            .map(|j| SeededMessage {
                id: format!("3EB0{prefix}{i:06X}{j:06X}"),
                from_me: j % 2 == 1,
                text: format!("message {j} of chat {i}"),
                timestamp: end.saturating_sub(per_chat - 1 - j),
            })
            .collect();
        account.history.push(SeededChat {
            phone: format!("1888{number:08}"),
            lid: (FIRST_CONTACT_LID + number).to_string(),
            push_name: format!("Contact {number}"),
            unread: request.unread.min(request.messages_per_chat / 2),
            messages,
        });
    }
    Ok(SeedSummary {
        chats: request.chats,
        messages: total,
        total_chats: account.history.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeding_adds_chats_and_refuses_silly_sizes() {
        let mut state = State::new(&mut OsRng);
        state
            .create_account("15550000001", "Alice", 1, &mut OsRng)
            .unwrap();
        let request = SeedRequest {
            chats: 3,
            messages_per_chat: 4,
            unread: 1,
        };
        let summary = seed(&mut state, "15550000001", request, 10_000).unwrap();
        assert_eq!(
            (summary.chats, summary.messages, summary.total_chats),
            (3, 12, 3)
        );
        let history = &state.account("15550000001").unwrap().history;
        assert_eq!(history[1].messages.last().unwrap().timestamp, 10_000 - 120);
        assert!(
            history[0]
                .messages
                .windows(2)
                .all(|w| w[0].timestamp < w[1].timestamp)
        );
        let zero = SeedRequest {
            chats: 0,
            ..request
        };
        assert!(seed(&mut state, "15550000001", zero, 1).is_err());
        assert!(seed(&mut state, "15559999999", request, 1).is_err());
    }
}
