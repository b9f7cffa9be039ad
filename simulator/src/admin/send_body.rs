//! The body of `POST /admin/accounts/{phone}/messages` and its validation.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

use super::AdminError;
use crate::phone::Body;
use crate::phone::details::{ContactRef, LocationRef};
use crate::phone::send::Reply;

/// `{"to", "text" | "image" | "document" | "reaction" | "location" | "contacts" | "edit" |
/// "revoke", "quoted"?, "mentions"?}`: exactly one content field.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SendMessage {
    to: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    image: Option<MediaBody>,
    #[serde(default)]
    document: Option<MediaBody>,
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

/// `{"id"}`: the phone's own message `id` is deleted for everyone.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeBody {
    id: String,
}

/// An image or document: base64 `data`, `mimetype`, optional `caption` and `file_name`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MediaBody {
    data: String,
    #[serde(default)]
    mimetype: Option<String>,
    #[serde(default)]
    caption: Option<String>,
    #[serde(default)]
    file_name: Option<String>,
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
        let given = [
            self.text.is_some(),
            self.image.is_some(),
            self.document.is_some(),
            self.reaction.is_some(),
            self.location.is_some(),
            self.contacts.is_some(),
            self.edit.is_some(),
            self.revoke.is_some(),
        ]
        .iter()
        .filter(|g| **g)
        .count();
        if given != 1 {
            return Err(AdminError::BadRequest(
                "give exactly one of text, image, document, reaction, location, contacts, edit, revoke"
                    .into(),
            ));
        }
        let reply = Reply {
            quoted: self.quoted,
            mentions: self.mentions,
        };
        let other = match (self.location, self.contacts, self.edit, self.revoke) {
            (Some(location), ..) => Some(Body::Location(location)),
            (_, Some(contacts), ..) => Some(Body::Contacts(contacts)),
            (_, _, Some(edit), _) => Some(Body::Edit {
                id: edit.id,
                text: edit.text,
            }),
            (_, _, _, Some(revoke)) => Some(Body::Revoke { id: revoke.id }),
            _ => None,
        };
        if let Some(body) = other {
            return Ok((self.to, body, reply));
        }
        if self.to.trim().is_empty() {
            return Err(AdminError::BadRequest("to must not be empty".into()));
        }
        let media = |m: MediaBody, document: bool| -> Result<Body, AdminError> {
            let data = STANDARD
                .decode(m.data.trim())
                .map_err(|e| AdminError::BadRequest(format!("data is not base64: {e}")))?;
            let default_type = if document {
                "application/octet-stream"
            } else {
                "image/jpeg"
            };
            Ok(Body::Media {
                document,
                data,
                mimetype: m.mimetype.unwrap_or_else(|| default_type.to_owned()),
                caption: m.caption,
                file_name: m.file_name,
            })
        };
        let body = match (self.text, self.image, self.document, self.reaction) {
            (Some(text), ..) => Body::Text(text),
            (_, Some(image), ..) => media(image, false)?,
            (_, _, Some(document), _) => media(document, true)?,
            (_, _, _, Some(reaction)) => Body::Reaction {
                id: reaction.id,
                emoji: reaction.emoji,
            },
            (None, None, None, None) => {
                return Err(AdminError::BadRequest("nothing to send".into()));
            }
        };
        Ok((self.to, body, reply))
    }
}
