//! The body of `POST /admin/accounts/{phone}/messages` and its validation.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

use super::AdminError;
use crate::phone::details::{ContactRef, LocationRef};
use crate::phone::polls::NewPoll;
use crate::phone::send::Reply;
use crate::phone::{Body, MediaBody};

/// A media body of `kind` (the phone's media type names).
fn media_body(kind: &str, m: MediaJson) -> Result<Body, AdminError> {
    let decode = |field: &str, text: &str| {
        STANDARD
            .decode(text.trim())
            .map_err(|e| AdminError::BadRequest(format!("{field} is not base64: {e}")))
    };
    let data = decode("data", &m.data)?;
    let waveform = m
        .waveform
        .as_deref()
        .map(|w| decode("waveform", w))
        .transpose()?;
    Ok(Body::Media(MediaBody {
        kind: kind.to_owned(),
        data,
        mimetype: m
            .mimetype
            .unwrap_or_else(|| default_mimetype(kind).to_owned()),
        caption: m.caption,
        file_name: m.file_name,
        seconds: m.seconds,
        width: m.width,
        height: m.height,
        animated: m.animated,
        waveform,
        view_once: m.view_once.unwrap_or(false),
    }))
}

/// `{"to", "text" | "image" | "video" | "gif" | "audio" | "voice" | "document" | "sticker" |
/// "reaction" | "location" | "contacts" | "poll" | "vote" | "edit" | "revoke", "quoted"?,
/// "mentions"?}`: exactly
/// one content field.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SendMessage {
    to: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    image: Option<MediaJson>,
    #[serde(default)]
    video: Option<MediaJson>,
    #[serde(default)]
    gif: Option<MediaJson>,
    #[serde(default)]
    audio: Option<MediaJson>,
    #[serde(default)]
    voice: Option<MediaJson>,
    #[serde(default)]
    document: Option<MediaJson>,
    #[serde(default)]
    sticker: Option<MediaJson>,
    #[serde(default)]
    reaction: Option<ReactionBody>,
    #[serde(default)]
    location: Option<LocationRef>,
    #[serde(default)]
    contacts: Option<Vec<ContactRef>>,
    #[serde(default)]
    edit: Option<EditBody>,
    #[serde(default)]
    revoke: Option<RevokeBody>,
    #[serde(default)]
    poll: Option<NewPoll>,
    #[serde(default)]
    vote: Option<VoteBody>,
    /// The id of a message of the chat this one replies to.
    #[serde(default)]
    quoted: Option<String>,
    /// Users it mentions (JIDs).
    #[serde(default)]
    mentions: Vec<String>,
}

/// `{"id", "text"}`: the phone's own message `id` now says `text`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EditBody {
    id: String,
    text: String,
}

/// `{"id", "options"}`: a vote on the poll `id` of the chat (no options: withdrawn).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VoteBody {
    id: String,
    options: Vec<String>,
}

/// `{"id"}`: the phone's own message `id` is deleted for everyone.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeBody {
    id: String,
}

/// A media file: base64 `data`, optional `mimetype` (default by kind), `caption`, `file_name`,
/// `seconds`, `width`, `height`, `animated` (stickers), base64 `waveform` (voice notes) and
/// `view_once` (images and videos).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MediaJson {
    data: String,
    #[serde(default)]
    mimetype: Option<String>,
    #[serde(default)]
    caption: Option<String>,
    #[serde(default)]
    file_name: Option<String>,
    #[serde(default)]
    seconds: Option<u32>,
    #[serde(default)]
    width: Option<u32>,
    #[serde(default)]
    height: Option<u32>,
    #[serde(default)]
    animated: Option<bool>,
    #[serde(default)]
    waveform: Option<String>,
    #[serde(default)]
    view_once: Option<bool>,
}

/// The default MIME type of each media kind.
fn default_mimetype(kind: &str) -> &'static str {
    match kind {
        "video" | "gif" => "video/mp4",
        "audio" => "audio/mpeg",
        "ptt" => "audio/ogg; codecs=opus",
        "document" => "application/octet-stream",
        "sticker" => "image/webp",
        _ => "image/jpeg",
    }
}

/// `{"id", "emoji"}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReactionBody {
    id: String,
    emoji: String,
}

impl SendMessage {
    /// The recipient, the content to send and what it replies to.
    pub(super) fn into_body(self) -> Result<(String, Body, Reply), AdminError> {
        if self.to.trim().is_empty() {
            return Err(AdminError::BadRequest("to must not be empty".into()));
        }
        let media = [
            ("image", self.image),
            ("video", self.video),
            ("gif", self.gif),
            ("audio", self.audio),
            ("ptt", self.voice),
            ("document", self.document),
            ("sticker", self.sticker),
        ];
        let reply = Reply {
            quoted: self.quoted,
            mentions: self.mentions,
        };
        let mut bodies: Vec<Body> = Vec::new();
        if let Some(text) = self.text {
            bodies.push(Body::Text(text));
        }
        if let Some(location) = self.location {
            bodies.push(Body::Location(location));
        }
        if let Some(contacts) = self.contacts {
            bodies.push(Body::Contacts(contacts));
        }
        if let Some(edit) = self.edit {
            bodies.push(Body::Edit {
                id: edit.id,
                text: edit.text,
            });
        }
        if let Some(revoke) = self.revoke {
            bodies.push(Body::Revoke { id: revoke.id });
        }
        if let Some(poll) = self.poll {
            bodies.push(Body::Poll(poll));
        }
        if let Some(vote) = self.vote {
            bodies.push(Body::Vote {
                id: vote.id,
                options: vote.options,
            });
        }
        if let Some(reaction) = self.reaction {
            bodies.push(Body::Reaction {
                id: reaction.id,
                emoji: reaction.emoji,
            });
        }
        for (kind, given) in media {
            if let Some(m) = given {
                bodies.push(media_body(kind, m)?);
            }
        }
        if bodies.len() != 1 {
            return Err(AdminError::BadRequest(
                "give exactly one of text, image, video, gif, audio, voice, document, sticker, \
                 reaction, location, contacts, poll, vote, edit, revoke"
                    .into(),
            ));
        }
        let Some(body) = bodies.pop() else {
            return Err(AdminError::BadRequest("nothing to send".into()));
        };
        Ok((self.to, body, reply))
    }
}
