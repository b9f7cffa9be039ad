//! Message history from the store: pages of a chat (newest first, opaque cursors) and single
//! messages; conversions between the store's records and the API's [`Message`].

use openwa_protocol::Jid;
use openwa_store::{MessageCursor as StoreCursor, MessageRecord, PageDirection};
use serde::{Deserialize, Serialize};

use crate::context::SessionContext;
use crate::error::Error;
use crate::event::{Message, MessageStatus};

use super::addressing::chat_keys;

/// Largest page `messages()` returns.
pub(crate) const MAX_PAGE: u32 = 500;

/// One page of a chat's history, newest message first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct MessagePage {
    /// The messages, newest first.
    pub messages: Vec<Message>,
    /// Pass it to `messages()` for the next (older) page; `None` at the oldest message.
    pub next_cursor: Option<String>,
}

/// The store's status of an API status.
pub(crate) fn to_store(status: MessageStatus) -> openwa_store::MessageStatus {
    use openwa_store::MessageStatus as S;
    match status {
        MessageStatus::Failed => S::Failed,
        MessageStatus::Pending => S::Pending,
        MessageStatus::Sent => S::Sent,
        MessageStatus::Delivered => S::Delivered,
        MessageStatus::Read => S::Read,
        MessageStatus::Played => S::Played,
    }
}

/// The API status of a stored status.
pub(crate) fn from_store(status: openwa_store::MessageStatus) -> MessageStatus {
    use openwa_store::MessageStatus as S;
    match status {
        S::Failed => MessageStatus::Failed,
        S::Pending => MessageStatus::Pending,
        S::Sent => MessageStatus::Sent,
        S::Delivered => MessageStatus::Delivered,
        S::Read => MessageStatus::Read,
        S::Played => MessageStatus::Played,
    }
}

/// The API form of a stored message.
pub(crate) fn to_message(record: MessageRecord) -> Message {
    let described = crate::content::describe_stored(
        record.payload.as_deref(),
        &record.msg_type,
        record.body.as_deref(),
    );
    Message {
        id: record.id,
        chat: record.chat,
        sender: record.sender,
        sender_alt: None,
        from_me: record.from_me,
        timestamp: u64::try_from(record.timestamp).unwrap_or(0),
        push_name: None,
        content: described.content,
        message_type: described.message_type,
        text: described.text,
        quoted: described.quoted,
        mentions: described.mentions,
        forwarded: described.forwarded,
        forwarding_score: described.forwarding_score,
        status: from_store(record.status),
    }
}

/// Cursor text: `<timestamp>:<id>`.
pub(crate) fn encode_cursor(cursor: &StoreCursor) -> String {
    format!("{}:{}", cursor.timestamp, cursor.id)
}

/// Parses a cursor made by [`encode_cursor`].
pub(crate) fn decode_cursor(text: &str) -> Result<StoreCursor, Error> {
    let bad = || Error::invalid_argument(format!("not a message cursor: {text}"));
    let (timestamp, id) = text.split_once(':').ok_or_else(bad)?;
    let timestamp = timestamp.parse::<i64>().map_err(|_| bad())?;
    if id.is_empty() {
        return Err(bad());
    }
    Ok(StoreCursor {
        timestamp,
        id: id.to_owned(),
    })
}

/// A page of `chat` older than `cursor`, at most `limit` messages. A contact's chat holds its
/// messages under both its PN and its LID JID when the mapping is known.
pub(crate) async fn page(
    shared: &SessionContext,
    chat: &Jid,
    cursor: Option<&str>,
    limit: u32,
) -> Result<MessagePage, Error> {
    if limit == 0 || limit > MAX_PAGE {
        return Err(Error::invalid_argument(format!(
            "limit must be 1..={MAX_PAGE}, not {limit}"
        )));
    }
    let cursor = cursor.map(decode_cursor).transpose()?;
    let chats = chat_keys(shared, chat).await;
    let page = shared
        .store()
        .message_page_across(&chats, &PageDirection::Older(cursor), limit)
        .await?;
    Ok(MessagePage {
        messages: page.messages.into_iter().map(to_message).collect(),
        next_cursor: page.next.as_ref().map(encode_cursor),
    })
}

/// How many messages the history of `chat` holds (under either form of a contact's chat).
pub(crate) async fn count(shared: &SessionContext, chat: &Jid) -> Result<u64, Error> {
    let chats = chat_keys(shared, chat).await;
    Ok(shared.store().message_count_across(&chats).await?)
}

/// One stored message of `chat` (under either form of a contact's chat), if known.
pub(crate) async fn lookup(
    shared: &SessionContext,
    chat: &Jid,
    id: &str,
) -> Result<Option<Message>, Error> {
    Ok(lookup_record(shared, chat, id).await?.map(to_message))
}

/// The stored record of a message of `chat` (under either form of a contact's chat).
pub(crate) async fn lookup_record(
    shared: &SessionContext,
    chat: &Jid,
    id: &str,
) -> Result<Option<MessageRecord>, Error> {
    let chats = chat_keys(shared, chat).await;
    Ok(shared.store().get_message_across(&chats, id).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn cursors_round_trip_and_bad_ones_are_invalid_arguments() {
        let cursor = StoreCursor {
            timestamp: 1_700_000_000,
            id: "3EB0:odd".into(),
        };
        assert_eq!(decode_cursor(&encode_cursor(&cursor)).unwrap(), cursor);
        for bad in ["", "abc", "12:", "x:3EB0"] {
            assert_eq!(
                decode_cursor(bad).unwrap_err().code,
                ErrorCode::InvalidArgument
            );
        }
    }

    #[test]
    fn statuses_convert_both_ways() {
        for status in [
            MessageStatus::Failed,
            MessageStatus::Pending,
            MessageStatus::Sent,
            MessageStatus::Delivered,
            MessageStatus::Read,
            MessageStatus::Played,
        ] {
            assert_eq!(from_store(to_store(status)), status);
        }
    }
}
