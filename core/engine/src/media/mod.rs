//! Media messages: sending files (check, encrypt, upload, message) and downloading the files
//! of received or stored messages (fetch, verify, decrypt), both streaming.
//!
//! | module | job |
//! |---|---|
//! | `types` | the public types: [`OutgoingMedia`] (what to send), [`MediaFile`] (what a message carries) |
//! | `outgoing` | checks an outgoing media against its kind and the size limit; builds the message part |
//! | `conn` | the `media_conn` IQ (upload token and hosts), cached in memory until its TTL |
//! | `http` | a small HTTPS client over the session's proxy and TLS trust, streaming bodies |
//! | `upload` | encrypts while hashing (into memory or an anonymous temporary file), uploads the blob |
//! | `download` | fetches, verifies and decrypts into memory or `<path>.part` → `<path>` |
//! | `retry` | re-upload requests to our phone when the media host no longer has a blob (`mediaretry` notifications) |
//! | `send` | `send_media`: check, encrypt, upload, then the ordinary send path |
//! | `content` | media parts of a `Message` protobuf → typed `MessageContent` |
//! | `api` | the `Session` methods |

mod api;
pub(crate) mod conn;
pub(crate) mod content;
pub(crate) mod download;
pub(crate) mod http;
pub(crate) mod outgoing;
pub(crate) mod retry;
mod send;
pub(crate) mod types;
pub(crate) mod upload;

pub use types::{MediaFile, MediaKind, MediaSource, OutgoingMedia};

use crate::error::Error;

/// The error for a file over the configured limit (`invalid_argument`, details `too_large`):
/// one error for a send's check, its upload and a download.
pub(crate) fn too_large(max_bytes: u64) -> Error {
    Error::invalid_argument(format!(
        "the media file is larger than the limit of {max_bytes} bytes (max_media_bytes)"
    ))
    .with_details("too_large")
}
