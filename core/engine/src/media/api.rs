//! The media methods of [`Session`].

use std::path::PathBuf;

use openwa_protocol::proto::e2e;
use prost::Message as _;

use super::download::{self, MediaRef};
use super::http::MediaHttp;
use super::retry::{self, StoredMessage};
use crate::context::SessionContext;
use crate::error::{Error, ErrorCode};
use crate::session::Session;

/// The media of stored message `id` in `chat`, and the message.
async fn stored_media(
    shared: &SessionContext,
    chat: &str,
    id: &str,
) -> Result<(MediaRef, StoredMessage), Error> {
    let chat = crate::ids::parse_chat_id(chat)?;
    let chats = crate::messaging::addressing::chat_keys(shared, &chat).await;
    let record = shared
        .store()
        .get_message_across(&chats, id)
        .await?
        .ok_or_else(|| Error::new(ErrorCode::NotFound, format!("no message {id} in {chat}")))?;
    let payload = record.payload.unwrap_or_default();
    let message = e2e::Message::decode(payload.as_slice())
        .map_err(|e| Error::internal(format!("stored message {id} does not decode: {e}")))?;
    let stored = StoredMessage {
        id: record.id,
        chat: record.chat.parse().unwrap_or(chat),
        from_me: record.from_me,
        sender: record.sender.parse().ok(),
    };
    Ok((MediaRef::of(&message)?, stored))
}

/// The same media at the direct path our phone re-uploaded it to.
async fn reuploaded(
    shared: &SessionContext,
    media: &MediaRef,
    message: &StoredMessage,
) -> Result<MediaRef, Error> {
    let path = retry::request_reupload(shared, media, message).await?;
    Ok(MediaRef {
        url: None,
        direct_path: Some(path),
        ..media.clone()
    })
}

impl Session {
    /// Sends a media message (image, video, GIF, audio, voice note, document, sticker) to a 1:1
    /// chat and returns it once the server acknowledged it, like `send_text`.
    ///
    /// The input is checked first, before the file is read: an empty file, one over
    /// `max_media_bytes`, a MIME type that does not fit the kind, or a field the kind does not
    /// have is `invalid_argument` and nothing is uploaded or sent. Then the file is encrypted
    /// with a fresh key while it is hashed (large files through an anonymous temporary file, so
    /// memory stays bounded), uploaded to a media host (`media_conn` credentials, cached until
    /// their TTL), and the message with the keys, hashes and the caller's metadata is sent.
    /// With `options.idempotency_key`, a repeated send answers the first one's message and
    /// uploads nothing.
    pub async fn send_media(
        &self,
        chat: &str,
        media: super::types::OutgoingMedia,
        options: crate::messaging::send::SendOptions,
    ) -> Result<crate::event::Message, Error> {
        let chat = chat.to_owned();
        self.on_runtime(move |s| async move {
            super::send::send_media(s.shared(), &chat, media, options).await
        })
        .await
    }

    /// Downloads the file of a stored media message (received, or sent by us) and answers its
    /// bytes, once the blob's SHA-256, its MAC and the file's SHA-256 all checked out.
    ///
    /// When the media host no longer has the file (404/410), the session asks its own phone to
    /// upload it again (a media re-upload request) and downloads it from the new location.
    ///
    /// Errors: `not_found` (no such message, or it has no media), `media_expired` (the media
    /// host no longer has it and the phone could not upload it again), `media_invalid` (a check
    /// failed), `invalid_argument` with details `too_large` (over `max_media_bytes`),
    /// `network` / `timeout` / `server_error`. Works while disconnected when the message
    /// carries a URL (but a re-upload needs the connection).
    pub async fn download_media(&self, chat: &str, message_id: &str) -> Result<Vec<u8>, Error> {
        let (chat, id) = (chat.to_owned(), message_id.to_owned());
        self.on_runtime(move |s| async move {
            let shared = s.shared();
            let (media, message) = stored_media(shared, &chat, &id).await?;
            let http = MediaHttp::new(&shared.options)?;
            let max = shared.options.max_media_bytes;
            let mut bytes = Vec::new();
            match download::download(shared, &http, &media, max, &mut bytes).await {
                Err(err) if err.code == ErrorCode::MediaExpired => {
                    let media = reuploaded(shared, &media, &message).await?;
                    bytes.clear();
                    download::download(shared, &http, &media, max, &mut bytes).await?;
                }
                other => {
                    other?;
                }
            }
            Ok(bytes)
        })
        .await
    }

    /// Like [`download_media`](Self::download_media), but streams the file to `path` (written
    /// as `<path>.part`, renamed to `path` once verified; an existing file is replaced). A
    /// failed download leaves nothing behind. Answers the file's size.
    pub async fn download_media_to_file(
        &self,
        chat: &str,
        message_id: &str,
        path: PathBuf,
    ) -> Result<u64, Error> {
        let (chat, id) = (chat.to_owned(), message_id.to_owned());
        self.on_runtime(move |s| async move {
            let shared = s.shared();
            let (media, message) = stored_media(shared, &chat, &id).await?;
            let http = MediaHttp::new(&shared.options)?;
            let max = shared.options.max_media_bytes;
            match download::download_to_file(shared, &http, &media, max, &path).await {
                Err(err) if err.code == ErrorCode::MediaExpired => {
                    let media = reuploaded(shared, &media, &message).await?;
                    download::download_to_file(shared, &http, &media, max, &path).await
                }
                other => other,
            }
        })
        .await
    }
}
