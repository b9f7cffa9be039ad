//! Message content as the phone's timeline shows it ([`describe`], on top of
//! [`openwa_protocol::content`], which unwraps and classifies), and the reaction and media
//! messages the phone sends.

use openwa_protocol::content::{self, ContentKind};
use openwa_protocol::media::MediaType;
use openwa_protocol::proto::e2e;
use serde::{Deserialize, Serialize};

/// Media attached to a timeline entry: the message fields needed to fetch and decrypt it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaRef {
    /// `image`, `video`, `gif`, `audio`, `ptt` (voice note), `document` or `sticker` (also the
    /// stanza's `mediatype`).
    pub media_type: String,
    /// MIME type.
    pub mimetype: Option<String>,
    /// File name (documents).
    pub file_name: Option<String>,
    /// Plaintext length.
    pub file_length: Option<u64>,
    /// Hex SHA-256 of the plaintext.
    pub file_sha256: Option<String>,
    /// Hex SHA-256 of the encrypted blob.
    pub file_enc_sha256: Option<String>,
    /// Hex media key.
    pub media_key: Option<String>,
    /// Direct path on the media host.
    pub direct_path: Option<String>,
    /// Full URL.
    pub url: Option<String>,
    /// Duration in seconds (video, GIF, audio, voice note).
    #[serde(default)]
    pub seconds: Option<u32>,
    /// Width and height in pixels (image, video, GIF, sticker).
    #[serde(default)]
    pub width: Option<u32>,
    /// Height in pixels.
    #[serde(default)]
    pub height: Option<u32>,
    /// Whether a sticker is animated.
    #[serde(default)]
    pub animated: Option<bool>,
    /// Hex voice-note waveform.
    #[serde(default)]
    pub waveform: Option<String>,
    /// A view-once image or video.
    #[serde(default)]
    pub view_once: Option<bool>,
}

impl MediaRef {
    /// The encryption label of this media.
    pub fn crypto_type(&self) -> MediaType {
        match self.media_type.as_str() {
            "video" => MediaType::Video,
            "gif" => MediaType::Gif,
            "audio" => MediaType::Audio,
            "ptt" => MediaType::Ptt,
            "document" => MediaType::Document,
            "sticker" => MediaType::Sticker,
            _ => MediaType::Image,
        }
    }
}

/// A reaction: the message reacted to and the emoji (empty = reaction removed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReactionRef {
    /// Id of the message reacted to.
    pub id: String,
    /// The emoji.
    pub emoji: String,
}

/// What a message says, as the timeline shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    /// What the message is.
    pub kind: ContentKind,
    /// Text, caption or reaction emoji.
    pub text: Option<String>,
    /// Media fields.
    pub media: Option<MediaRef>,
    /// Reaction target.
    pub reaction: Option<ReactionRef>,
    /// Location, contact cards, reply and mentions.
    pub details: super::details::Details,
}

/// The [`MediaRef`] of a media message part (the same field names on all of them).
macro_rules! media_ref {
    ($media_type:expr, $part:expr, $file_name:expr) => {
        MediaRef {
            media_type: $media_type.into(),
            mimetype: $part.mimetype.clone(),
            file_name: $file_name,
            file_length: $part.file_length,
            file_sha256: hex_opt($part.file_sha256.as_ref()),
            file_enc_sha256: hex_opt($part.file_enc_sha256.as_ref()),
            media_key: hex_opt($part.media_key.as_ref()),
            direct_path: $part.direct_path.clone(),
            url: $part.url.clone(),
            seconds: None,
            width: None,
            height: None,
            animated: None,
            waveform: None,
            view_once: None,
        }
    };
}

fn hex_opt(bytes: Option<&Vec<u8>>) -> Option<String> {
    bytes.map(hex::encode)
}

/// Describes an (unwrapped) message; `None` when it carries no user content (a protocol
/// message, a bare sender key distribution, nothing but context info).
pub fn describe(message: &e2e::Message) -> Option<Content> {
    let kind = ContentKind::of(message);
    let mut described = Content {
        text: content::text(message),
        kind,
        media: None,
        reaction: None,
        details: super::details::Details::of(message),
    };
    match &described.kind {
        // A vote changes its poll's tally (`polls`), it is no entry of its own.
        ContentKind::Protocol | ContentKind::SenderKeyDistribution | ContentKind::PollVote => {
            return None;
        }
        ContentKind::Unknown(_) if message.message_context_info.is_some() => return None,
        ContentKind::Image => {
            described.media = message.image_message.as_deref().map(|p| MediaRef {
                width: p.width,
                height: p.height,
                view_once: p.view_once,
                ..media_ref!("image", p, None)
            });
        }
        ContentKind::Video => {
            described.media = message.video_message.as_deref().map(|p| {
                let kind = if p.gif_playback == Some(true) {
                    "gif"
                } else {
                    "video"
                };
                MediaRef {
                    seconds: p.seconds,
                    width: p.width,
                    height: p.height,
                    view_once: p.view_once,
                    ..media_ref!(kind, p, None)
                }
            });
        }
        ContentKind::Audio => {
            described.media = message.audio_message.as_deref().map(|p| {
                let kind = if p.ptt == Some(true) { "ptt" } else { "audio" };
                MediaRef {
                    seconds: p.seconds,
                    waveform: p.waveform.as_ref().map(hex::encode),
                    ..media_ref!(kind, p, None)
                }
            });
        }
        ContentKind::Sticker => {
            described.media = message.sticker_message.as_deref().map(|p| MediaRef {
                width: p.width,
                height: p.height,
                animated: p.is_animated,
                ..media_ref!("sticker", p, None)
            });
        }
        ContentKind::Document => {
            described.media = message
                .document_message
                .as_deref()
                .map(|document| media_ref!("document", document, document.file_name.clone()));
        }
        ContentKind::Reaction => {
            if let Some(reaction) = &message.reaction_message {
                described.text = reaction.text.clone();
                described.reaction = Some(ReactionRef {
                    id: reaction
                        .key
                        .as_ref()
                        .and_then(|k| k.id.clone())
                        .unwrap_or_default(),
                    emoji: reaction.text.clone().unwrap_or_default(),
                });
            }
        }
        _ => {}
    }
    Some(described)
}

/// A reaction to message `id` in `chat` (sent by `from_me` or by `participant`).
pub fn reaction(
    chat: &str,
    id: &str,
    from_me: bool,
    participant: Option<String>,
    emoji: &str,
    now_ms: i64,
) -> e2e::Message {
    e2e::Message {
        reaction_message: Some(e2e::ReactionMessage {
            key: Some(e2e::MessageKey {
                remote_jid: Some(chat.to_owned()),
                from_me: Some(from_me),
                id: Some(id.to_owned()),
                participant,
            }),
            text: Some(emoji.to_owned()),
            grouping_key: None,
            sender_timestamp_ms: Some(now_ms),
        }),
        ..Default::default()
    }
}

/// A media message from uploaded media fields (the kind is `media.media_type`), with an
/// optional caption (images, videos, GIFs, documents).
pub fn media(media: &MediaRef, caption: Option<String>, media_key_timestamp: i64) -> e2e::Message {
    let bytes = |hex_text: &Option<String>| hex_text.as_ref().and_then(|h| hex::decode(h).ok());
    let (url, mimetype, direct_path) = (
        media.url.clone(),
        media.mimetype.clone(),
        media.direct_path.clone(),
    );
    let (sha, enc_sha, key) = (
        bytes(&media.file_sha256),
        bytes(&media.file_enc_sha256),
        bytes(&media.media_key),
    );
    let (length, ts) = (media.file_length, Some(media_key_timestamp));
    let mut message = e2e::Message::default();
    match media.media_type.as_str() {
        "document" => {
            message.document_message = Some(Box::new(e2e::DocumentMessage {
                url,
                mimetype,
                title: media.file_name.clone(),
                file_sha256: sha,
                file_length: length,
                media_key: key,
                file_name: media.file_name.clone(),
                file_enc_sha256: enc_sha,
                direct_path,
                media_key_timestamp: ts,
                caption,
                ..Default::default()
            }));
        }
        "video" | "gif" => {
            message.video_message = Some(Box::new(e2e::VideoMessage {
                url,
                mimetype,
                file_sha256: sha,
                file_length: length,
                seconds: media.seconds,
                media_key: key,
                caption,
                gif_playback: (media.media_type == "gif").then_some(true),
                height: media.height,
                width: media.width,
                file_enc_sha256: enc_sha,
                direct_path,
                media_key_timestamp: ts,
                ..Default::default()
            }));
        }
        "audio" | "ptt" => {
            message.audio_message = Some(Box::new(e2e::AudioMessage {
                url,
                mimetype,
                file_sha256: sha,
                file_length: length,
                seconds: media.seconds,
                ptt: Some(media.media_type == "ptt"),
                media_key: key,
                file_enc_sha256: enc_sha,
                direct_path,
                media_key_timestamp: ts,
                waveform: bytes(&media.waveform),
                ..Default::default()
            }));
        }
        "sticker" => {
            message.sticker_message = Some(Box::new(e2e::StickerMessage {
                url,
                file_sha256: sha,
                file_enc_sha256: enc_sha,
                media_key: key,
                mimetype,
                height: media.height,
                width: media.width,
                direct_path,
                file_length: length,
                media_key_timestamp: ts,
                is_animated: media.animated,
                ..Default::default()
            }));
        }
        _ => {
            message.image_message = Some(Box::new(e2e::ImageMessage {
                url,
                mimetype,
                caption,
                file_sha256: sha,
                file_length: length,
                height: media.height,
                width: media.width,
                media_key: key,
                file_enc_sha256: enc_sha,
                direct_path,
                media_key_timestamp: ts,
                ..Default::default()
            }));
        }
    }
    if media.view_once == Some(true) {
        return content::view_once(message);
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use openwa_protocol::content::{text_message, unwrap};

    #[test]
    fn wrappers_are_removed_and_the_destination_kept() {
        let inner = text_message("hello");
        let wrapped = e2e::Message {
            device_sent_message: Some(Box::new(e2e::DeviceSentMessage {
                destination_jid: Some("1555@s.whatsapp.net".into()),
                message: Some(Box::new(e2e::Message {
                    ephemeral_message: Some(Box::new(e2e::FutureProofMessage {
                        message: Some(Box::new(inner.clone())),
                    })),
                    ..Default::default()
                })),
                phash: None,
            })),
            ..Default::default()
        };
        let unwrapped = unwrap(wrapped);
        assert_eq!(unwrapped.message, inner);
        assert_eq!(
            unwrapped.device_sent_to.as_deref(),
            Some("1555@s.whatsapp.net")
        );
        let content = describe(&unwrapped.message).unwrap();
        assert_eq!(
            (content.kind, content.text.as_deref()),
            (ContentKind::Text, Some("hello"))
        );
    }

    #[test]
    fn key_only_messages_have_no_content() {
        let skdm = e2e::Message {
            sender_key_distribution_message: Some(e2e::SenderKeyDistributionMessage {
                group_id: Some("1@g.us".into()),
                axolotl_sender_key_distribution_message: Some(vec![1]),
            }),
            ..Default::default()
        };
        assert_eq!(describe(&skdm), None);
        let reacted = reaction("1@g.us", "ID", false, None, "👍", 5);
        let content = describe(&reacted).unwrap();
        assert_eq!(content.kind, ContentKind::Reaction);
        assert_eq!(content.reaction.unwrap().id, "ID");
    }
}
