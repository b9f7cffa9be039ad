//! Checking an [`OutgoingMedia`] before anything is read, encrypted or uploaded, and building
//! the message part once the file is on the media host.

use openwa_protocol::media::MediaType;
use openwa_protocol::proto::e2e;

use super::too_large;
use super::types::{MediaKind, MediaSource, OutgoingMedia};
use super::upload::Uploaded;
use crate::error::Error;

/// Largest accepted thumbnail.
pub(crate) const MAX_THUMBNAIL: usize = 256 * 1024;
/// Most samples in a voice-note waveform.
pub(crate) const MAX_WAVEFORM: usize = 64;
/// Longest caption, in bytes.
pub(crate) const MAX_CAPTION: usize = 64 * 1024;

/// A checked media send: everything but the file's bytes.
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    pub kind: MediaKind,
    pub mimetype: String,
    pub caption: Option<String>,
    pub file_name: Option<String>,
    pub thumbnail: Option<Vec<u8>>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub seconds: Option<u32>,
    pub waveform: Option<Vec<u8>>,
    pub animated: bool,
    pub view_once: bool,
}

impl MediaKind {
    /// The encryption label and upload path of this kind.
    pub(crate) fn media_type(self) -> MediaType {
        match self {
            MediaKind::Image => MediaType::Image,
            MediaKind::Video => MediaType::Video,
            MediaKind::Gif => MediaType::Gif,
            MediaKind::Audio => MediaType::Audio,
            MediaKind::Voice => MediaType::Ptt,
            MediaKind::Document => MediaType::Document,
            MediaKind::Sticker => MediaType::Sticker,
        }
    }

    /// Whether `mimetype` (already syntax-checked, lowercase essence) fits this kind.
    fn accepts(self, essence: &str) -> bool {
        match self {
            MediaKind::Image => essence.starts_with("image/"),
            MediaKind::Video | MediaKind::Gif => essence.starts_with("video/"),
            MediaKind::Audio | MediaKind::Voice => essence.starts_with("audio/"),
            MediaKind::Document => true,
            MediaKind::Sticker => essence == "image/webp",
        }
    }
}

/// `type/subtype` of a MIME type, lowercased, if it is well formed (RFC 6838 token characters).
fn essence(mimetype: &str) -> Option<String> {
    let essence = mimetype.split(';').next()?.trim().to_ascii_lowercase();
    let (kind, subtype) = essence.split_once('/')?;
    let token = |t: &str| {
        !t.is_empty()
            && t.len() <= 127
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    (token(kind) && token(subtype)).then_some(essence)
}

/// Checks every field of `media` against its kind and the size limit `max_bytes` (the file's
/// size is checked here for in-memory bytes and for files on disk, and again while reading).
/// Nothing is read beyond the file's metadata.
pub(crate) fn check(media: &OutgoingMedia, max_bytes: u64) -> Result<Checked, Error> {
    let kind = media.kind;
    let name = kind.as_str();
    let refuse = |field: &str| {
        Err(Error::invalid_argument(format!(
            "{field} is not a field of {name} messages"
        )))
    };
    let size = match &media.source {
        MediaSource::Bytes { data } => data.len() as u64,
        MediaSource::File { path } => std::fs::metadata(path)
            .ok()
            .filter(std::fs::Metadata::is_file)
            .map(|m| m.len())
            .ok_or_else(|| {
                Error::invalid_argument(format!("{} is not a readable file", path.display()))
            })?,
    };
    if size == 0 {
        return Err(Error::invalid_argument("the media file is empty"));
    }
    if size > max_bytes {
        return Err(too_large(max_bytes));
    }
    let mimetype = media
        .mimetype
        .clone()
        .unwrap_or_else(|| kind.default_mimetype().to_owned());
    let essence = essence(&mimetype).ok_or_else(|| {
        Error::invalid_argument(format!("{mimetype:?} is not a MIME type (type/subtype)"))
    })?;
    if !kind.accepts(&essence) {
        let hint = match kind {
            MediaKind::Gif if essence == "image/gif" => ": send GIFs as MP4 video",
            MediaKind::Sticker => ": stickers are image/webp",
            _ => "",
        };
        return Err(Error::invalid_argument(format!(
            "{mimetype:?} does not fit a {name} message{hint}"
        )));
    }
    let captioned = matches!(
        kind,
        MediaKind::Image | MediaKind::Video | MediaKind::Gif | MediaKind::Document
    );
    if media.caption.is_some() && !captioned {
        return refuse("a caption");
    }
    if media
        .caption
        .as_ref()
        .is_some_and(|c| c.len() > MAX_CAPTION)
    {
        return Err(Error::invalid_argument(format!(
            "the caption is over {MAX_CAPTION} bytes"
        )));
    }
    if media.thumbnail.is_some() && !captioned {
        return refuse("a thumbnail");
    }
    if let Some(thumbnail) = &media.thumbnail
        && (thumbnail.is_empty() || thumbnail.len() > MAX_THUMBNAIL)
    {
        return Err(Error::invalid_argument(format!(
            "a thumbnail is 1..={MAX_THUMBNAIL} bytes of JPEG"
        )));
    }
    if media.file_name.is_some() && kind != MediaKind::Document {
        return refuse("a file name");
    }
    if media
        .file_name
        .as_ref()
        .is_some_and(|n| n.is_empty() || n.len() > 255 || n.contains(['/', '\0']))
    {
        return Err(Error::invalid_argument(
            "a file name is 1-255 bytes without '/'",
        ));
    }
    let sized = matches!(
        kind,
        MediaKind::Image | MediaKind::Video | MediaKind::Gif | MediaKind::Sticker
    );
    if (media.width.is_some() || media.height.is_some()) && !sized {
        return refuse("width or height");
    }
    let timed = matches!(
        kind,
        MediaKind::Video | MediaKind::Gif | MediaKind::Audio | MediaKind::Voice
    );
    if media.seconds.is_some() && !timed {
        return refuse("a duration");
    }
    if media.waveform.is_some() && kind != MediaKind::Voice {
        return refuse("a waveform");
    }
    if let Some(waveform) = &media.waveform
        && (waveform.is_empty()
            || waveform.len() > MAX_WAVEFORM
            || waveform.iter().any(|&s| s > 100))
    {
        return Err(Error::invalid_argument(format!(
            "a waveform is 1..={MAX_WAVEFORM} samples of 0..=100"
        )));
    }
    if media.animated && kind != MediaKind::Sticker {
        return refuse("animated");
    }
    if media.view_once && !matches!(kind, MediaKind::Image | MediaKind::Video) {
        return refuse("view once");
    }
    Ok(Checked {
        kind,
        mimetype,
        caption: media.caption.clone().filter(|c| !c.is_empty()),
        file_name: media.file_name.clone(),
        thumbnail: media.thumbnail.clone(),
        width: media.width,
        height: media.height,
        seconds: media.seconds,
        waveform: media.waveform.clone(),
        animated: media.animated,
        view_once: media.view_once,
    })
}

/// The message for checked media whose file was uploaded.
pub(crate) fn message(media: &Checked, up: &Uploaded) -> e2e::Message {
    let file = &up.info;
    let url = Some(up.url.clone());
    let direct_path = Some(up.direct_path.clone());
    let sha = Some(file.file_sha256.to_vec());
    let enc_sha = Some(file.file_enc_sha256.to_vec());
    let key = Some(up.media_key.to_vec());
    let length = Some(file.file_length);
    let mimetype = Some(media.mimetype.clone());
    let ts = Some(up.media_key_timestamp);
    let mut message = e2e::Message::default();
    match media.kind {
        MediaKind::Image => {
            message.image_message = Some(Box::new(e2e::ImageMessage {
                url,
                mimetype,
                caption: media.caption.clone(),
                file_sha256: sha,
                file_length: length,
                height: media.height,
                width: media.width,
                media_key: key,
                file_enc_sha256: enc_sha,
                direct_path,
                media_key_timestamp: ts,
                jpeg_thumbnail: media.thumbnail.clone(),
                ..Default::default()
            }));
        }
        MediaKind::Video | MediaKind::Gif => {
            message.video_message = Some(Box::new(e2e::VideoMessage {
                url,
                mimetype,
                file_sha256: sha,
                file_length: length,
                seconds: media.seconds,
                media_key: key,
                caption: media.caption.clone(),
                gif_playback: (media.kind == MediaKind::Gif).then_some(true),
                height: media.height,
                width: media.width,
                file_enc_sha256: enc_sha,
                direct_path,
                media_key_timestamp: ts,
                jpeg_thumbnail: media.thumbnail.clone(),
                ..Default::default()
            }));
        }
        MediaKind::Audio | MediaKind::Voice => {
            message.audio_message = Some(Box::new(e2e::AudioMessage {
                url,
                mimetype,
                file_sha256: sha,
                file_length: length,
                seconds: media.seconds,
                ptt: Some(media.kind == MediaKind::Voice),
                media_key: key,
                file_enc_sha256: enc_sha,
                direct_path,
                media_key_timestamp: ts,
                waveform: media.waveform.clone(),
                ..Default::default()
            }));
        }
        MediaKind::Document => {
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
                jpeg_thumbnail: media.thumbnail.clone(),
                caption: media.caption.clone(),
                ..Default::default()
            }));
        }
        MediaKind::Sticker => {
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
                is_animated: Some(media.animated),
                ..Default::default()
            }));
        }
    }
    if media.view_once {
        return openwa_protocol::content::view_once(message);
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn bytes(kind: MediaKind) -> OutgoingMedia {
        OutgoingMedia::new(kind, MediaSource::Bytes { data: vec![1; 10] })
    }

    fn refused(media: OutgoingMedia, max: u64) -> String {
        let err = check(&media, max).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidArgument, "{err}");
        err.message
    }

    #[test]
    fn every_kind_has_a_fitting_default_mimetype() {
        for kind in MediaKind::ALL {
            let checked = check(&bytes(kind), 10).unwrap();
            assert_eq!(checked.mimetype, kind.default_mimetype());
        }
    }

    #[test]
    fn bad_input_is_refused_before_anything_is_read() {
        let empty = OutgoingMedia::new(MediaKind::Image, MediaSource::Bytes { data: vec![] });
        assert!(refused(empty, 10).contains("empty"));
        let err = check(&bytes(MediaKind::Image), 9).unwrap_err();
        assert_eq!(err.details.as_deref(), Some("too_large"));
        let missing = OutgoingMedia::new(
            MediaKind::Document,
            MediaSource::File {
                path: "/nonexistent/openwa".into(),
            },
        );
        assert!(refused(missing, 10).contains("not a readable file"));
        let dir = OutgoingMedia::new(
            MediaKind::Document,
            MediaSource::File {
                path: std::env::temp_dir(),
            },
        );
        assert!(refused(dir, 10).contains("not a readable file"));

        let with = |kind, f: fn(&mut OutgoingMedia)| {
            let mut media = bytes(kind);
            f(&mut media);
            media
        };
        let wrong_type = with(MediaKind::Image, |m| m.mimetype = Some("video/mp4".into()));
        assert!(refused(wrong_type, 10).contains("does not fit"));
        let gif = with(MediaKind::Gif, |m| m.mimetype = Some("image/gif".into()));
        assert!(refused(gif, 10).contains("MP4"));
        let png_sticker = with(MediaKind::Sticker, |m| {
            m.mimetype = Some("image/png".into())
        });
        assert!(refused(png_sticker, 10).contains("webp"));
        let garbage = with(MediaKind::Document, |m| m.mimetype = Some("pdf".into()));
        assert!(refused(garbage, 10).contains("not a MIME type"));
        let spaces = with(MediaKind::Document, |m| m.mimetype = Some("a b/c".into()));
        assert!(refused(spaces, 10).contains("not a MIME type"));
        let voice_caption = with(MediaKind::Voice, |m| m.caption = Some("hi".into()));
        assert!(refused(voice_caption, 10).contains("caption"));
        let image_waveform = with(MediaKind::Image, |m| m.waveform = Some(vec![1]));
        assert!(refused(image_waveform, 10).contains("waveform"));
        let loud = with(MediaKind::Voice, |m| m.waveform = Some(vec![101]));
        assert!(refused(loud, 10).contains("0..=100"));
        let once_sticker = with(MediaKind::Sticker, |m| m.view_once = true);
        assert!(refused(once_sticker, 10).contains("view once"));
        let named_image = with(MediaKind::Image, |m| m.file_name = Some("a.jpg".into()));
        assert!(refused(named_image, 10).contains("file name"));
        let slash = with(MediaKind::Document, |m| m.file_name = Some("a/b".into()));
        assert!(refused(slash, 10).contains("without '/'"));
        let animated_image = with(MediaKind::Image, |m| m.animated = true);
        assert!(refused(animated_image, 10).contains("animated"));
        let timed_doc = with(MediaKind::Document, |m| m.seconds = Some(1));
        assert!(refused(timed_doc, 10).contains("duration"));
        let sized_audio = with(MediaKind::Audio, |m| m.width = Some(1));
        assert!(refused(sized_audio, 10).contains("width"));
        let big_thumb = with(MediaKind::Image, |m| {
            m.thumbnail = Some(vec![0; MAX_THUMBNAIL + 1]);
        });
        assert!(refused(big_thumb, 10).contains("thumbnail"));
        // Parameters and case are fine.
        let opus = with(MediaKind::Voice, |m| {
            m.mimetype = Some("Audio/OGG; codecs=opus".into());
        });
        assert!(check(&opus, 10).is_ok());
    }
}
