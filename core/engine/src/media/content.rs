//! The typed content of a media message part: [`MessageContent`] media variants with the
//! file's metadata ([`MediaFile`]), built from the (unwrapped) `Message` protobuf.

use openwa_protocol::proto::e2e;

use super::types::MediaFile;
use crate::event::MessageContent;

macro_rules! file_of {
    ($part:expr) => {
        MediaFile {
            mimetype: $part.mimetype.clone(),
            file_length: $part.file_length,
            file_sha256: $part.file_sha256.clone(),
            file_enc_sha256: $part.file_enc_sha256.clone(),
            media_key: $part.media_key.clone(),
            direct_path: $part.direct_path.clone(),
            url: $part.url.clone(),
            media_key_timestamp: $part.media_key_timestamp,
        }
    };
}

/// The media content of `message`, if it has a media part (image, video, audio, document,
/// sticker, in that order).
pub(crate) fn media_content(message: &e2e::Message) -> Option<MessageContent> {
    if let Some(p) = &message.image_message {
        return Some(MessageContent::Image {
            media: file_of!(p),
            caption: p.caption.clone(),
            width: p.width,
            height: p.height,
            thumbnail: p.jpeg_thumbnail.clone(),
            view_once: p.view_once.unwrap_or(false),
        });
    }
    if let Some(p) = &message.video_message {
        return Some(MessageContent::Video {
            media: file_of!(p),
            caption: p.caption.clone(),
            width: p.width,
            height: p.height,
            seconds: p.seconds,
            gif_playback: p.gif_playback.unwrap_or(false),
            thumbnail: p.jpeg_thumbnail.clone(),
            view_once: p.view_once.unwrap_or(false),
        });
    }
    if let Some(p) = &message.audio_message {
        return Some(MessageContent::Audio {
            media: file_of!(p),
            seconds: p.seconds,
            ptt: p.ptt.unwrap_or(false),
            waveform: p.waveform.clone(),
        });
    }
    if let Some(p) = &message.document_message {
        return Some(MessageContent::Document {
            media: file_of!(p),
            file_name: p.file_name.clone(),
            title: p.title.clone(),
            caption: p.caption.clone(),
            page_count: p.page_count,
            thumbnail: p.jpeg_thumbnail.clone(),
        });
    }
    if let Some(p) = &message.sticker_message {
        return Some(MessageContent::Sticker {
            media: file_of!(p),
            width: p.width,
            height: p.height,
            animated: p.is_animated.unwrap_or(false),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_media_part_becomes_typed_content() {
        let voice = e2e::Message {
            audio_message: Some(Box::new(e2e::AudioMessage {
                mimetype: Some("audio/ogg; codecs=opus".into()),
                file_length: Some(9),
                seconds: Some(4),
                ptt: Some(true),
                media_key: Some(vec![1; 32]),
                waveform: Some(vec![0, 50, 100]),
                ..Default::default()
            })),
            ..Default::default()
        };
        let content = media_content(&voice).unwrap();
        let MessageContent::Audio {
            media,
            seconds,
            ptt,
            waveform,
        } = &content
        else {
            panic!("{content:?}")
        };
        assert_eq!(media.file_length, Some(9));
        assert_eq!(media.media_key.as_deref(), Some(&[1u8; 32][..]));
        assert_eq!((*seconds, *ptt), (Some(4), true));
        assert_eq!(waveform.as_deref(), Some(&[0u8, 50, 100][..]));
        let json = serde_json::to_value(&content).unwrap();
        assert_eq!(json["kind"], "audio");
        assert_eq!(json["waveform"], "ADJk");
        assert_eq!(
            json["media"]["media_key"],
            "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
        );
        assert_eq!(
            serde_json::from_value::<MessageContent>(json).unwrap(),
            content
        );

        let sticker = e2e::Message {
            sticker_message: Some(Box::new(e2e::StickerMessage {
                is_animated: Some(true),
                ..Default::default()
            })),
            ..Default::default()
        };
        assert!(matches!(
            media_content(&sticker),
            Some(MessageContent::Sticker { animated: true, .. })
        ));
        let document = e2e::Message {
            document_message: Some(Box::new(e2e::DocumentMessage {
                file_name: Some("a.pdf".into()),
                ..Default::default()
            })),
            ..Default::default()
        };
        assert!(matches!(
            media_content(&document),
            Some(MessageContent::Document { file_name: Some(n), .. }) if n == "a.pdf"
        ));
        assert_eq!(
            media_content(&openwa_protocol::content::text_message("hi")),
            None
        );
    }
}
