//! `send_media`: check, encrypt, upload, then the ordinary send path with the media message.

use std::sync::Arc;

use openwa_protocol::proto::e2e;
use prost::Message as _;

use super::http::MediaHttp;
use super::outgoing;
use super::types::OutgoingMedia;
use super::upload;
use crate::context::SessionContext;
use crate::error::Error;
use crate::event::Message;
use crate::messaging::send::{
    MAX_IDEMPOTENCY_KEY_LEN, Own, SendOptions, earlier_send, ensure_connected, send_chat,
    send_content,
};

/// Sends `media` to the 1:1 chat `chat`. Everything about the input is checked before the file
/// is read; a send whose idempotency key was used before answers (or re-sends) the stored
/// message without uploading again.
pub(crate) async fn send_media(
    shared: &Arc<SessionContext>,
    chat: &str,
    media: OutgoingMedia,
    options: SendOptions,
) -> Result<Message, Error> {
    let checked = outgoing::check(&media, shared.options.max_media_bytes)?;
    let jid = send_chat(chat)?;
    if let Some(key) = &options.idempotency_key
        && (key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY_LEN)
    {
        return Err(Error::invalid_argument(format!(
            "an idempotency key is 1-{MAX_IDEMPOTENCY_KEY_LEN} bytes"
        )));
    }
    if let Some(key) = options.idempotency_key.as_deref()
        && let Some(earlier) = earlier_send(shared, key).await?
    {
        let stored = e2e::Message::decode(earlier.payload.as_deref().unwrap_or_default())
            .map_err(|e| Error::internal(format!("stored message does not decode: {e}")))?;
        return send_content(shared, chat, stored, options).await;
    }
    let http = MediaHttp::new(&shared.options)?;
    // A session that is not connected fails before any work (cached upload credentials would
    // let the upload through, and then the send would fail).
    ensure_connected(shared)?;
    if jid.is_group() {
        // A group we may not send to (unknown, not a member, admins only) fails before the
        // upload, as it would after it.
        let info = crate::groups::cache::metadata(shared, &jid).await?;
        crate::messaging::group_send::group_self(&info, &Own::of(shared)?, true)?;
    }
    super::conn::media_conn(shared).await?;
    let media_type = checked.kind.media_type();
    let encrypted =
        upload::encrypt(media.source, media_type, shared.options.max_media_bytes).await?;
    let now = crate::messaging::now_secs();
    let uploaded = upload::upload(shared, &http, encrypted, media_type, now).await?;
    let message = outgoing::message(&checked, &uploaded);
    send_content(shared, chat, message, options).await
}
