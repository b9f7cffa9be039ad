//! Encrypting a file while hashing it, then uploading the blob to a media host.
//!
//! The upload path names the blob's SHA-256, which is known only once the whole file is
//! encrypted: small files are encrypted into memory, larger ones into an anonymous temporary
//! file that is then streamed to the host, so memory stays bounded whatever the file's size.

use std::io::{BufWriter, Read, Seek, Write};

use bytes::Bytes;
use openwa_protocol::media::{MediaEncryptor, MediaInfo, MediaType, upload_token};
use rand_core::RngCore;
use serde::Deserialize;

use super::conn::{MediaConnCache, media_conn};
use super::http::{HttpsUrl, MediaHttp, query_escape};
use super::too_large;
use super::types::MediaSource;
use crate::context::SessionContext;
use crate::error::{Error, ErrorCode};

/// Files up to this size are encrypted into memory; larger ones into a temporary file.
const IN_MEMORY_MAX: u64 = 8 * 1024 * 1024;
/// Size of the pieces a file is read and encrypted in.
const PIECE: usize = 256 * 1024;

/// The encrypted blob, in memory or in an anonymous temporary file (gone when dropped).
#[derive(Debug)]
pub(crate) enum Blob {
    /// Small blobs.
    Memory(Bytes),
    /// Large blobs.
    File(std::fs::File),
}

/// An encrypted file, ready to upload.
#[derive(Debug)]
pub(crate) struct Encrypted {
    /// The blob (`ciphertext ‖ mac`).
    pub blob: Blob,
    /// Its length.
    pub blob_len: u64,
    /// Hashes and plaintext length.
    pub info: MediaInfo,
    /// The random key.
    pub media_key: [u8; 32],
}

/// An uploaded file: what the message needs.
#[derive(Debug, Clone)]
pub(crate) struct Uploaded {
    /// Full URL on the media host.
    pub url: String,
    /// Host-independent path.
    pub direct_path: String,
    /// Hashes and plaintext length.
    pub info: MediaInfo,
    /// The key.
    pub media_key: [u8; 32],
    /// When the key was made (seconds).
    pub media_key_timestamp: i64,
}

fn local_io(what: &str, err: std::io::Error) -> Error {
    Error::new(ErrorCode::Store, format!("{what}: {err}"))
}

/// Encrypts `source` with a fresh key (on a blocking thread); a file that turns out empty or
/// over `max_bytes` while being read is refused.
pub(crate) async fn encrypt(
    source: MediaSource,
    media_type: MediaType,
    max_bytes: u64,
) -> Result<Encrypted, Error> {
    tokio::task::spawn_blocking(move || match source {
        MediaSource::Bytes { data } => {
            let len = data.len() as u64;
            encrypt_blocking(data.as_slice(), len, media_type, max_bytes)
        }
        MediaSource::File { path } => {
            let file = std::fs::File::open(&path).map_err(|e| {
                Error::invalid_argument(format!("cannot read {}: {e}", path.display()))
            })?;
            let len = file.metadata().map(|m| m.len()).unwrap_or(u64::MAX);
            encrypt_blocking(file, len, media_type, max_bytes)
        }
    })
    .await
    .map_err(|e| Error::internal(format!("media encryption task: {e}")))?
}

/// Where ciphertext goes while it is made.
enum Sink {
    Memory(Vec<u8>),
    File(BufWriter<std::fs::File>),
}

impl Sink {
    fn write(&mut self, bytes: &[u8]) -> Result<(), Error> {
        match self {
            Sink::Memory(buffer) => {
                buffer.extend_from_slice(bytes);
                Ok(())
            }
            Sink::File(file) => file
                .write_all(bytes)
                .map_err(|e| local_io("writing the encrypted temporary file", e)),
        }
    }

    fn finish(self) -> Result<Blob, Error> {
        match self {
            Sink::Memory(buffer) => Ok(Blob::Memory(Bytes::from(buffer))),
            Sink::File(file) => {
                let mut file = file.into_inner().map_err(|e| {
                    local_io("flushing the encrypted temporary file", e.into_error())
                })?;
                file.rewind()
                    .map_err(|e| local_io("rewinding the encrypted temporary file", e))?;
                Ok(Blob::File(file))
            }
        }
    }
}

fn encrypt_blocking(
    mut input: impl Read,
    len_hint: u64,
    media_type: MediaType,
    max_bytes: u64,
) -> Result<Encrypted, Error> {
    let mut media_key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut media_key);
    let mut encryptor = MediaEncryptor::new(&media_key, media_type);
    let mut sink = if len_hint <= IN_MEMORY_MAX {
        Sink::Memory(Vec::with_capacity(
            usize::try_from(len_hint).unwrap_or(0) + 32,
        ))
    } else {
        let file = tempfile::tempfile().map_err(|e| local_io("creating a temporary file", e))?;
        Sink::File(BufWriter::with_capacity(PIECE, file))
    };
    let mut piece = vec![0u8; PIECE];
    let mut out = Vec::with_capacity(PIECE + 32);
    let mut total: u64 = 0;
    loop {
        let n = input
            .read(&mut piece)
            .map_err(|e| Error::invalid_argument(format!("reading the media file: {e}")))?;
        if n == 0 {
            break;
        }
        total += n as u64;
        if total > max_bytes {
            return Err(too_large(max_bytes));
        }
        encryptor.update(piece.get(..n).unwrap_or_default(), &mut out);
        sink.write(&out)?;
        out.clear();
    }
    if total == 0 {
        return Err(Error::invalid_argument("the media file is empty"));
    }
    let info = encryptor.finish(&mut out);
    sink.write(&out)?;
    // Plaintext padded to whole blocks (at least one byte of padding) plus the MAC.
    let blob_len = (total / 16 + 1) * 16 + openwa_protocol::media::MAC_LEN as u64;
    Ok(Encrypted {
        blob: sink.finish()?,
        blob_len,
        info,
        media_key,
    })
}

/// The media host's answer to an upload.
#[derive(Debug, Deserialize)]
struct UploadAnswer {
    url: Option<String>,
    direct_path: Option<String>,
}

/// Uploads `encrypted` as `media_type` to the first media host that takes it.
pub(crate) async fn upload(
    shared: &SessionContext,
    http: &MediaHttp,
    encrypted: Encrypted,
    media_type: MediaType,
    now_secs: u64,
) -> Result<Uploaded, Error> {
    let conn = media_conn(shared).await?;
    let token = upload_token(&encrypted.info.file_enc_sha256, false);
    let path = format!(
        "{}/{token}?auth={}&token={token}",
        media_type.upload_path(),
        query_escape(&conn.auth)
    );
    let mut last_error = Error::new(ErrorCode::ServerError, "no media host to upload to");
    for host in &conn.hosts {
        if host
            .max_content_length
            .is_some_and(|max| encrypted.blob_len > max)
        {
            last_error = too_large(host.max_content_length.unwrap_or_default());
            continue;
        }
        let url = HttpsUrl::on_host(&host.hostname, &path)?;
        let answer = match &encrypted.blob {
            Blob::Memory(bytes) => {
                let reader = std::io::Cursor::new(bytes.clone());
                http.post(&url, reader, encrypted.blob_len).await
            }
            Blob::File(file) => {
                let mut file = file
                    .try_clone()
                    .map_err(|e| local_io("reopening the encrypted temporary file", e))?;
                file.rewind()
                    .map_err(|e| local_io("rewinding the encrypted temporary file", e))?;
                http.post(&url, tokio::fs::File::from_std(file), encrypted.blob_len)
                    .await
            }
        };
        let (status, body) = match answer {
            Ok(answer) => answer,
            Err(err) => {
                tracing::debug!(host = %host.hostname, error = %err, "media upload failed");
                last_error = err;
                continue;
            }
        };
        if status.as_u16() == 401 || status.as_u16() == 403 {
            // The token expired early: the next send fetches a new one.
            shared.feature::<MediaConnCache>().invalidate();
            return Err(Error::new(
                ErrorCode::ServerError,
                format!("the media host refused the upload token ({status})"),
            )
            .with_retryable(true));
        }
        if !status.is_success() {
            last_error = Error::new(
                ErrorCode::ServerError,
                format!("the media host answered the upload with {status}"),
            )
            .with_details(status.as_u16().to_string())
            .with_retryable(status.is_server_error());
            continue;
        }
        let answer: UploadAnswer = serde_json::from_slice(&body).map_err(|e| {
            Error::new(
                ErrorCode::Protocol,
                format!("the media host's upload answer is not JSON: {e}"),
            )
        })?;
        let direct_path = answer
            .direct_path
            .or_else(|| answer.url.as_deref().and_then(path_of))
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::Protocol,
                    "the media host's upload answer has no url nor direct_path",
                )
            })?;
        let url = answer
            .url
            .unwrap_or_else(|| format!("https://{}{direct_path}", host.hostname));
        return Ok(Uploaded {
            url,
            direct_path,
            info: encrypted.info,
            media_key: encrypted.media_key,
            media_key_timestamp: i64::try_from(now_secs).unwrap_or(i64::MAX),
        });
    }
    Err(last_error)
}

/// The path (and query) of an `https://host/path` URL.
fn path_of(url: &str) -> Option<String> {
    HttpsUrl::parse(url).ok().map(|u| u.path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use openwa_protocol::media::{ExpectedDigests, decrypt};

    fn blob_bytes(blob: Blob) -> Vec<u8> {
        match blob {
            Blob::Memory(bytes) => bytes.to_vec(),
            Blob::File(mut file) => {
                let mut out = Vec::new();
                file.read_to_end(&mut out).unwrap();
                out
            }
        }
    }

    #[test]
    fn small_and_large_files_encrypt_the_same_way() {
        for len in [1usize, 16, 1000, IN_MEMORY_MAX as usize + 17] {
            let plain: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let encrypted =
                encrypt_blocking(plain.as_slice(), len as u64, MediaType::Document, u64::MAX)
                    .unwrap();
            assert_eq!(
                matches!(encrypted.blob, Blob::File(_)),
                len as u64 > IN_MEMORY_MAX
            );
            let key = encrypted.media_key;
            let expected = ExpectedDigests {
                file_sha256: Some(encrypted.info.file_sha256),
                file_enc_sha256: Some(encrypted.info.file_enc_sha256),
            };
            let blob_len = encrypted.blob_len;
            let blob = blob_bytes(encrypted.blob);
            assert_eq!(blob.len() as u64, blob_len);
            let back = decrypt(&key, MediaType::Document, &blob, expected, len as u64).unwrap();
            assert_eq!(back, plain);
        }
    }

    #[test]
    fn a_file_growing_past_the_limit_or_empty_is_refused() {
        let err = encrypt_blocking(&[1u8; 100][..], 10, MediaType::Image, 99).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidArgument);
        assert_eq!(err.details.as_deref(), Some("too_large"));
        let err = encrypt_blocking(&[][..], 0, MediaType::Image, 99).unwrap_err();
        assert!(err.message.contains("empty"), "{err}");
    }

    #[test]
    fn upload_answers_give_a_direct_path() {
        assert_eq!(
            path_of("https://mmg.example/v/t62/x?a=1").as_deref(),
            Some("/v/t62/x?a=1")
        );
    }
}
