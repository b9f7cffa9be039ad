//! The public media types: what a caller sends ([`OutgoingMedia`]) and the metadata a received
//! or stored media message carries ([`MediaFile`]). Bytes travel as base64 in JSON.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Which kind of media message to send. The kind decides the message part, the encryption
/// label, the upload path and which MIME types fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum MediaKind {
    /// A picture (`image/*`, default `image/jpeg`), with an optional caption.
    Image,
    /// A video (`video/*`, default `video/mp4`), with an optional caption.
    Video,
    /// A GIF as WhatsApp plays it: an MP4 video that loops silently (`video/*`, default
    /// `video/mp4`; convert real GIF files to MP4 first).
    Gif,
    /// An audio file (`audio/*`, default `audio/mpeg`).
    Audio,
    /// A voice note (push-to-talk; `audio/*`, default `audio/ogg; codecs=opus`), with an
    /// optional duration and waveform.
    Voice,
    /// Any file (any MIME type, default `application/octet-stream`), with a file name and an
    /// optional caption.
    Document,
    /// A sticker (`image/webp`), static or animated.
    Sticker,
}

impl MediaKind {
    /// Every kind.
    pub const ALL: [MediaKind; 7] = [
        MediaKind::Image,
        MediaKind::Video,
        MediaKind::Gif,
        MediaKind::Audio,
        MediaKind::Voice,
        MediaKind::Document,
        MediaKind::Sticker,
    ];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Video => "video",
            MediaKind::Gif => "gif",
            MediaKind::Audio => "audio",
            MediaKind::Voice => "voice",
            MediaKind::Document => "document",
            MediaKind::Sticker => "sticker",
        }
    }

    /// The MIME type used when the caller gives none.
    pub fn default_mimetype(self) -> &'static str {
        match self {
            MediaKind::Image => "image/jpeg",
            MediaKind::Video | MediaKind::Gif => "video/mp4",
            MediaKind::Audio => "audio/mpeg",
            MediaKind::Voice => "audio/ogg; codecs=opus",
            MediaKind::Document => "application/octet-stream",
            MediaKind::Sticker => "image/webp",
        }
    }
}

/// Where the bytes to send come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum MediaSource {
    /// The file's bytes, in memory.
    Bytes {
        /// The bytes.
        #[serde(with = "b64")]
        data: Vec<u8>,
    },
    /// A file on disk, read (and encrypted) in pieces, so its size does not matter for memory.
    File {
        /// Its path.
        path: PathBuf,
    },
}

/// A media message to send with `Session::send_media`. Only `kind` and `source` are required;
/// every other field is optional and is refused (`invalid_argument`) on a kind that has no such
/// field: a caption on audio, voice or stickers, a waveform on anything but voice, a file name
/// on anything but documents, `animated` on anything but stickers, `view_once` on anything but
/// images and videos.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct OutgoingMedia {
    /// What it is.
    pub kind: MediaKind,
    /// The file.
    pub source: MediaSource,
    /// MIME type (`type/subtype[; params]`); must fit the kind. Default: the kind's.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub mimetype: Option<String>,
    /// Caption (images, videos, GIFs, documents).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub caption: Option<String>,
    /// File name shown for a document.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub file_name: Option<String>,
    /// A small JPEG preview (images, videos, GIFs, documents), at most 256 KiB.
    #[serde(default, with = "b64_opt")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub thumbnail: Option<Vec<u8>>,
    /// Width in pixels (images, videos, GIFs, stickers).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub width: Option<u32>,
    /// Height in pixels (images, videos, GIFs, stickers).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub height: Option<u32>,
    /// Duration in seconds (videos, GIFs, audio, voice notes).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub seconds: Option<u32>,
    /// Voice-note waveform: up to 64 samples, each 0..=100.
    #[serde(default, with = "b64_opt")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub waveform: Option<Vec<u8>>,
    /// An animated sticker.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub animated: bool,
    /// View once (images and videos): the recipient's app shows it once and keeps no copy.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub view_once: bool,
}

impl OutgoingMedia {
    /// Media of `kind` from `source`, every optional field empty.
    pub fn new(kind: MediaKind, source: MediaSource) -> OutgoingMedia {
        OutgoingMedia {
            kind,
            source,
            mimetype: None,
            caption: None,
            file_name: None,
            thumbnail: None,
            width: None,
            height: None,
            seconds: None,
            waveform: None,
            animated: false,
            view_once: false,
        }
    }
}

/// The file of a media message as the message describes it: enough to download, decrypt and
/// verify it (`Session::download_media`). Absent fields were absent in the message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct MediaFile {
    /// MIME type.
    pub mimetype: Option<String>,
    /// Size of the (decrypted) file in bytes.
    pub file_length: Option<u64>,
    /// SHA-256 of the decrypted file.
    #[serde(default, with = "b64_opt")]
    pub file_sha256: Option<Vec<u8>>,
    /// SHA-256 of the encrypted blob on the media host.
    #[serde(default, with = "b64_opt")]
    pub file_enc_sha256: Option<Vec<u8>>,
    /// The 32-byte key the file is encrypted with.
    #[serde(default, with = "b64_opt")]
    pub media_key: Option<Vec<u8>>,
    /// Path of the blob on any media host.
    pub direct_path: Option<String>,
    /// Full URL of the blob.
    pub url: Option<String>,
    /// When the media key was made, seconds since the epoch.
    pub media_key_timestamp: Option<i64>,
}

/// `Vec<u8>` as standard base64.
pub(crate) mod b64 {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD
            .decode(text.trim())
            .map_err(|e| serde::de::Error::custom(format!("not base64: {e}")))
    }
}

/// `Option<Vec<u8>>` as standard base64 or null.
pub(crate) mod b64_opt {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(
        bytes: &Option<Vec<u8>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(bytes) => s.serialize_str(&STANDARD.encode(bytes)),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Vec<u8>>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| {
                STANDARD
                    .decode(text.trim())
                    .map_err(|e| serde::de::Error::custom(format!("not base64: {e}")))
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outgoing_media_reads_from_json_with_base64_bytes() {
        let json = serde_json::json!({
            "kind": "voice",
            "source": {"source": "bytes", "data": "AAEC"},
            "seconds": 3,
            "waveform": "AGQ="
        });
        let media: OutgoingMedia = serde_json::from_value(json).unwrap();
        assert_eq!(media.kind, MediaKind::Voice);
        assert_eq!(
            media.source,
            MediaSource::Bytes {
                data: vec![0, 1, 2]
            }
        );
        assert_eq!(media.waveform, Some(vec![0, 100]));
        let back = serde_json::to_value(&media).unwrap();
        assert_eq!(back["source"]["data"], "AAEC");
        assert_eq!(back["thumbnail"], serde_json::Value::Null);
        let file: MediaSource =
            serde_json::from_value(serde_json::json!({"source": "file", "path": "/tmp/x"}))
                .unwrap();
        assert_eq!(
            file,
            MediaSource::File {
                path: "/tmp/x".into()
            }
        );
        assert!(
            serde_json::from_value::<MediaSource>(
                serde_json::json!({"source": "bytes", "data": "!!"})
            )
            .is_err()
        );
    }
}
