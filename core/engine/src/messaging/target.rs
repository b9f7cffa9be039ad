//! What every send naming an earlier stored message of the chat (react, edit, revoke, vote)
//! shares: finding that message, refusing a reply or mentions, the sender's clock.

use openwa_protocol::Jid;
use openwa_store::MessageRecord;

use super::send::SendOptions;
use crate::context::SessionContext;
use crate::error::{Error, ErrorCode};

/// Refuses a reply or mentions on a send that names another message.
pub(super) fn no_context(options: &SendOptions) -> Result<(), Error> {
    if options.quoted.is_some() || !options.mentions.is_empty() {
        return Err(Error::invalid_argument(
            "reactions, edits, revokes and votes cannot reply to or mention anyone",
        ));
    }
    Ok(())
}

/// The chat and the stored message `message_id` of it (`not_found` when unknown).
pub(super) async fn target(
    shared: &SessionContext,
    chat: &str,
    message_id: &str,
) -> Result<(Jid, MessageRecord), Error> {
    let jid = crate::ids::parse_chat_id(chat)?;
    let record = super::history::lookup_record(shared, &jid, message_id)
        .await?
        .ok_or_else(|| {
            Error::new(
                ErrorCode::NotFound,
                format!("no message {message_id} in {jid}"),
            )
        })?;
    Ok((jid, record))
}

/// Now, Unix milliseconds (the sender timestamp such sends carry).
pub(super) fn now_ms() -> i64 {
    i64::try_from(crate::bus::now_ms()).unwrap_or(i64::MAX)
}
