//! Downloading the media of a message: fetch the blob, then decrypt and verify it piece by
//! piece (blob SHA-256, MAC, padding, plaintext SHA-256) into memory or into `<path>.part`,
//! renamed to `<path>` only once everything checked out.

use std::path::{Path, PathBuf};

use openwa_protocol::media::{ExpectedDigests, MediaDecryptor, MediaError, MediaType};
use openwa_protocol::proto::e2e;
use tokio::io::AsyncWriteExt;

use super::conn::media_conn;
use super::http::{HttpsUrl, MediaHttp, query_escape};
use super::too_large;
use crate::context::SessionContext;
use crate::error::{Error, ErrorCode};

/// What a download needs, taken from a message's media part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MediaRef {
    pub media_type: MediaType,
    pub media_key: [u8; 32],
    pub expected: ExpectedDigests,
    pub file_length: Option<u64>,
    pub url: Option<String>,
    pub direct_path: Option<String>,
}

macro_rules! media_ref {
    ($part:expr, $media_type:expr) => {
        media_ref(
            $media_type,
            $part.media_key.as_deref(),
            $part.file_sha256.as_deref(),
            $part.file_enc_sha256.as_deref(),
            $part.file_length,
            &$part.url,
            &$part.direct_path,
        )
    };
}

impl MediaRef {
    /// The media of `message` (already unwrapped); `not_found` when it has none.
    pub(crate) fn of(message: &e2e::Message) -> Result<MediaRef, Error> {
        if let Some(p) = &message.image_message {
            return media_ref!(p, MediaType::Image);
        }
        if let Some(p) = &message.video_message {
            let kind = if p.gif_playback == Some(true) {
                MediaType::Gif
            } else {
                MediaType::Video
            };
            return media_ref!(p, kind);
        }
        if let Some(p) = &message.audio_message {
            let kind = if p.ptt == Some(true) {
                MediaType::Ptt
            } else {
                MediaType::Audio
            };
            return media_ref!(p, kind);
        }
        if let Some(p) = &message.document_message {
            return media_ref!(p, MediaType::Document);
        }
        if let Some(p) = &message.sticker_message {
            return media_ref!(p, MediaType::Sticker);
        }
        Err(Error::new(ErrorCode::NotFound, "the message has no media"))
    }
}

pub(crate) fn media_ref(
    media_type: MediaType,
    key: Option<&[u8]>,
    sha: Option<&[u8]>,
    enc_sha: Option<&[u8]>,
    file_length: Option<u64>,
    url: &Option<String>,
    direct_path: &Option<String>,
) -> Result<MediaRef, Error> {
    let media_key = key
        .and_then(|k| <[u8; 32]>::try_from(k).ok())
        .ok_or_else(|| invalid("the message has no 32-byte media key"))?;
    let expected =
        ExpectedDigests::from_fields(sha, enc_sha).map_err(|e| invalid(&e.to_string()))?;
    if url.is_none() && direct_path.is_none() {
        return Err(invalid("the message has neither a URL nor a direct path"));
    }
    Ok(MediaRef {
        media_type,
        media_key,
        expected,
        file_length,
        url: url.clone(),
        direct_path: direct_path.clone(),
    })
}

fn invalid(why: &str) -> Error {
    Error::new(ErrorCode::MediaInvalid, why.to_owned())
}

/// The typed error of a failed check.
fn check_error(err: MediaError, max_bytes: u64) -> Error {
    match err {
        MediaError::TooLarge { .. } => too_large(max_bytes),
        other => Error::new(
            ErrorCode::MediaInvalid,
            format!("the downloaded media does not verify: {other}"),
        ),
    }
}

/// Where decrypted bytes go.
pub(crate) trait Sink {
    /// Takes the next (still unauthenticated) plaintext piece.
    async fn put(&mut self, piece: &[u8]) -> Result<(), Error>;
}

impl Sink for Vec<u8> {
    async fn put(&mut self, piece: &[u8]) -> Result<(), Error> {
        self.extend_from_slice(piece);
        Ok(())
    }
}

/// The URLs to try: the message's URL, then its direct path on the session's media hosts.
async fn candidates(shared: &SessionContext, media: &MediaRef) -> Result<Vec<HttpsUrl>, Error> {
    let mut urls = Vec::new();
    if let Some(url) = media.url.as_deref().and_then(|u| HttpsUrl::parse(u).ok()) {
        urls.push(url);
    }
    if let Some(path) = &media.direct_path
        && path.starts_with('/')
    {
        // Only ask for hosts when the URL is missing or did not work out.
        if urls.is_empty()
            && let Ok(conn) = media_conn(shared).await
        {
            let hash = media
                .expected
                .file_enc_sha256
                .map(|h| openwa_protocol::media::upload_token(&h, true))
                .unwrap_or_default();
            let sep = if path.contains('?') { '&' } else { '?' };
            let full = format!(
                "{path}{sep}hash={}&mms-type={}&__wa-mms=",
                query_escape(&hash),
                media.media_type.mms_type()
            );
            for host in &conn.hosts {
                urls.push(HttpsUrl::on_host(&host.hostname, &full)?);
            }
        }
    }
    if urls.is_empty() {
        return Err(Error::new(
            ErrorCode::NotConnected,
            "the message has no URL and the media hosts are unknown while disconnected",
        ));
    }
    Ok(urls)
}

/// Downloads, decrypts and verifies `media` into `sink`; answers the plaintext length. On an
/// error the sink holds unauthenticated bytes the caller must discard.
pub(crate) async fn download(
    shared: &SessionContext,
    http: &MediaHttp,
    media: &MediaRef,
    max_bytes: u64,
    sink: &mut impl Sink,
) -> Result<u64, Error> {
    if media.file_length.is_some_and(|len| len > max_bytes) {
        return Err(too_large(max_bytes));
    }
    let mut last_error = Error::new(ErrorCode::Network, "no media host answered");
    for url in candidates(shared, media).await? {
        let response = match http.get(&url).await {
            Ok(response) => response,
            Err(err) => {
                last_error = err;
                continue;
            }
        };
        let status = response.status();
        if status.as_u16() == 404 || status.as_u16() == 410 {
            return Err(Error::new(
                ErrorCode::MediaExpired,
                format!("the media is no longer on the media host ({status})"),
            )
            .with_details(status.as_u16().to_string()));
        }
        if !status.is_success() {
            last_error = Error::new(
                ErrorCode::ServerError,
                format!("the media host answered the download with {status}"),
            )
            .with_details(status.as_u16().to_string())
            .with_retryable(status.is_server_error());
            continue;
        }
        let mut body = response.into_body();
        let mut decryptor = MediaDecryptor::new(
            &media.media_key,
            media.media_type,
            media.expected,
            max_bytes,
        );
        let mut plain = Vec::with_capacity(64 * 1024);
        while let Some(piece) = http.next_piece(&mut body).await? {
            decryptor
                .update(&piece, &mut plain)
                .map_err(|e| check_error(e, max_bytes))?;
            sink.put(&plain).await?;
            plain.clear();
        }
        let info = decryptor
            .finish(&mut plain)
            .map_err(|e| check_error(e, max_bytes))?;
        sink.put(&plain).await?;
        return Ok(info.file_length);
    }
    Err(last_error)
}

/// A file being written next to its destination.
pub(crate) struct PartFile {
    file: tokio::io::BufWriter<tokio::fs::File>,
    part: PathBuf,
}

impl Sink for PartFile {
    async fn put(&mut self, piece: &[u8]) -> Result<(), Error> {
        self.file.write_all(piece).await.map_err(|e| {
            Error::new(
                ErrorCode::Store,
                format!("writing {}: {e}", self.part.display()),
            )
        })
    }
}

/// `<path>.part`.
fn part_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".part");
    PathBuf::from(name)
}

/// Downloads `media` into the file `path` (through `<path>.part`, removed on any failure).
pub(crate) async fn download_to_file(
    shared: &SessionContext,
    http: &MediaHttp,
    media: &MediaRef,
    max_bytes: u64,
    path: &Path,
) -> Result<u64, Error> {
    if path.as_os_str().is_empty() || path.is_dir() {
        return Err(Error::invalid_argument(format!(
            "{} is not a file path",
            path.display()
        )));
    }
    let part = part_path(path);
    let file = tokio::fs::File::create(&part)
        .await
        .map_err(|e| Error::invalid_argument(format!("cannot create {}: {e}", part.display())))?;
    let mut sink = PartFile {
        file: tokio::io::BufWriter::with_capacity(256 * 1024, file),
        part: part.clone(),
    };
    let written = async {
        let len = download(shared, http, media, max_bytes, &mut sink).await?;
        let store = |e: std::io::Error| {
            Error::new(ErrorCode::Store, format!("writing {}: {e}", part.display()))
        };
        sink.file.flush().await.map_err(store)?;
        sink.file.get_ref().sync_all().await.map_err(store)?;
        tokio::fs::rename(&part, path).await.map_err(store)?;
        Ok(len)
    }
    .await;
    if written.is_err() {
        let _ = tokio::fs::remove_file(&part).await;
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_refs_come_from_every_media_part() {
        let key = Some(vec![7u8; 32]);
        let path = Some("/v/x?a=1".to_owned());
        let audio = e2e::Message {
            audio_message: Some(Box::new(e2e::AudioMessage {
                media_key: key.clone(),
                ptt: Some(true),
                direct_path: path.clone(),
                file_sha256: Some(vec![1; 32]),
                ..Default::default()
            })),
            ..Default::default()
        };
        let media = MediaRef::of(&audio).unwrap();
        assert_eq!(media.media_type, MediaType::Ptt);
        assert_eq!(media.expected.file_sha256, Some([1; 32]));
        let gif = e2e::Message {
            video_message: Some(Box::new(e2e::VideoMessage {
                media_key: key.clone(),
                gif_playback: Some(true),
                url: Some("https://h/x".into()),
                ..Default::default()
            })),
            ..Default::default()
        };
        assert_eq!(MediaRef::of(&gif).unwrap().media_type, MediaType::Gif);
        let text = openwa_protocol::content::text_message("hi");
        assert_eq!(MediaRef::of(&text).unwrap_err().code, ErrorCode::NotFound);
        let keyless = e2e::Message {
            sticker_message: Some(Box::new(e2e::StickerMessage {
                media_key: Some(vec![1; 31]),
                direct_path: path,
                ..Default::default()
            })),
            ..Default::default()
        };
        assert_eq!(
            MediaRef::of(&keyless).unwrap_err().code,
            ErrorCode::MediaInvalid
        );
        let nowhere = e2e::Message {
            document_message: Some(Box::new(e2e::DocumentMessage {
                media_key: key,
                ..Default::default()
            })),
            ..Default::default()
        };
        assert_eq!(
            MediaRef::of(&nowhere).unwrap_err().code,
            ErrorCode::MediaInvalid
        );
    }

    #[test]
    fn part_files_sit_next_to_the_destination() {
        assert_eq!(
            part_path(Path::new("/tmp/a.jpg")),
            PathBuf::from("/tmp/a.jpg.part")
        );
    }
}
