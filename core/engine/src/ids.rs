//! Ids as users type them, checked at the API boundary.
//!
//! Accepted: a bare phone number (`15551234567`, `+1 555-123 4567`), a phone-number JID
//! (`…@s.whatsapp.net`, also legacy `…@c.us`), a LID (`…@lid`), a group (`…@g.us`), a channel
//! (`…@newsletter`) and `status@broadcast`. Everything else is an [`ErrorCode::InvalidArgument`].

use openwa_protocol::Jid;
use openwa_protocol::jid::{
    BROADCAST_SERVER, DEFAULT_USER_SERVER, GROUP_SERVER, HIDDEN_USER_SERVER, LEGACY_USER_SERVER,
    NEWSLETTER_SERVER,
};

use crate::error::{Error, ErrorCode};

/// What kind of chat an id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum ChatKind {
    /// A person by phone number (`@s.whatsapp.net`).
    User,
    /// A person by linked identity (`@lid`).
    Lid,
    /// A group (`@g.us`).
    Group,
    /// A channel (`@newsletter`).
    Newsletter,
    /// `status@broadcast`.
    Status,
}

/// Parses a chat id typed by a user into a canonical, device-less JID.
///
/// Device suffixes (`:3`) are rejected: a chat is addressed at user level and the engine picks
/// the devices itself.
pub(crate) fn parse_chat_id(input: &str) -> Result<Jid, Error> {
    let jid = Jid::parse_user_input(input).map_err(|err| bad_id(input, &err.to_string()))?;
    if jid.user.is_empty() {
        return Err(bad_id(input, "a chat id needs a user part before '@'"));
    }
    if jid.device != 0 || jid.agent != 0 {
        return Err(bad_id(input, "a chat id must not name a device"));
    }
    let digits = |s: &str| !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit());
    match jid.server.as_str() {
        DEFAULT_USER_SERVER | LEGACY_USER_SERVER if digits(&jid.user) => Ok(Jid::pn(jid.user)),
        HIDDEN_USER_SERVER if digits(&jid.user) => Ok(jid),
        NEWSLETTER_SERVER if digits(&jid.user) => Ok(jid),
        GROUP_SERVER if is_group_user(&jid.user) => Ok(jid),
        BROADCAST_SERVER if jid.user == "status" => Ok(jid),
        DEFAULT_USER_SERVER | LEGACY_USER_SERVER | HIDDEN_USER_SERVER | NEWSLETTER_SERVER => {
            Err(bad_id(input, "the user part must be digits"))
        }
        GROUP_SERVER => Err(bad_id(
            input,
            "a group id is digits, or creator-timestamp digits",
        )),
        BROADCAST_SERVER => Err(bad_id(input, "only status@broadcast is supported")),
        other => Err(bad_id(input, &format!("unsupported server {other:?}"))),
    }
}

/// Parses a user id typed by a user (a phone number, a PN or a LID JID) into a device-less
/// JID; groups, channels and broadcasts are `invalid_argument`.
pub(crate) fn parse_user_id(input: &str) -> Result<Jid, Error> {
    let jid = parse_chat_id(input)?;
    if jid.is_pn() || jid.is_lid() {
        Ok(jid)
    } else {
        Err(bad_id(
            input,
            "expected a user (phone number, PN or LID JID)",
        ))
    }
}

/// The canonical form of a chat id typed by a user (`+1 555 123 4567` →
/// `15551234567@s.whatsapp.net`, `…@c.us` → `…@s.whatsapp.net`); anything that is not a chat
/// id is `invalid_argument`.
pub fn normalize_chat_id(input: &str) -> Result<String, Error> {
    parse_chat_id(input).map(|jid| jid.to_string())
}

/// What kind of chat an id typed by a user names (`invalid_argument` if it names none).
pub fn chat_kind_of(input: &str) -> Result<ChatKind, Error> {
    let jid = parse_chat_id(input)?;
    chat_kind(&jid).ok_or_else(|| bad_id(input, "not a chat id"))
}

/// Parses a phone number (for pairing by code): digits only after removing `+`, spaces,
/// dashes and parentheses; 7 to 15 digits (E.164).
pub fn parse_phone_number(input: &str) -> Result<String, Error> {
    let jid = Jid::parse_user_input(input).map_err(|err| bad_id(input, &err.to_string()))?;
    if jid.server != DEFAULT_USER_SERVER || jid.device != 0 || jid.agent != 0 {
        return Err(bad_id(input, "expected a phone number"));
    }
    if !(7..=15).contains(&jid.user.len()) || !jid.user.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad_id(input, "a phone number has 7 to 15 digits"));
    }
    Ok(jid.user.into())
}

/// The kind of chat a parsed id names.
pub(crate) fn chat_kind(jid: &Jid) -> Option<ChatKind> {
    match jid.server.as_str() {
        DEFAULT_USER_SERVER => Some(ChatKind::User),
        HIDDEN_USER_SERVER => Some(ChatKind::Lid),
        GROUP_SERVER => Some(ChatKind::Group),
        NEWSLETTER_SERVER => Some(ChatKind::Newsletter),
        BROADCAST_SERVER if jid.user == "status" => Some(ChatKind::Status),
        _ => None,
    }
}

fn is_group_user(user: &str) -> bool {
    let mut parts = user.split('-');
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match (parts.next(), parts.next(), parts.next()) {
        (Some(id), None, None) => all_digits(id),
        (Some(creator), Some(ts), None) => all_digits(creator) && all_digits(ts),
        _ => false,
    }
}

fn bad_id(input: &str, why: &str) -> Error {
    Error::new(
        ErrorCode::InvalidArgument,
        format!("invalid chat id {input:?}: {why}"),
    )
    .with_details(input.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_documented_form() {
        let cases = [
            ("15551234567", "15551234567@s.whatsapp.net", ChatKind::User),
            (
                "+1 (555) 123-4567",
                "15551234567@s.whatsapp.net",
                ChatKind::User,
            ),
            (
                "15551234567@s.whatsapp.net",
                "15551234567@s.whatsapp.net",
                ChatKind::User,
            ),
            (
                "15551234567@c.us",
                "15551234567@s.whatsapp.net",
                ChatKind::User,
            ),
            ("987654321@lid", "987654321@lid", ChatKind::Lid),
            (
                "120363001234567890@g.us",
                "120363001234567890@g.us",
                ChatKind::Group,
            ),
            (
                "15551234567-1600000000@g.us",
                "15551234567-1600000000@g.us",
                ChatKind::Group,
            ),
            (
                "120363000000000001@newsletter",
                "120363000000000001@newsletter",
                ChatKind::Newsletter,
            ),
            ("status@broadcast", "status@broadcast", ChatKind::Status),
            ("  987654321@lid ", "987654321@lid", ChatKind::Lid),
        ];
        for (input, canonical, kind) in cases {
            let jid = parse_chat_id(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(jid.to_string(), canonical, "{input}");
            assert_eq!(chat_kind(&jid), Some(kind), "{input}");
        }
    }

    #[test]
    fn rejects_bad_ids_with_invalid_argument() {
        for input in [
            "",
            "   ",
            "abc",
            "12ab34",
            "@s.whatsapp.net",
            "s.whatsapp.net",
            "bob@s.whatsapp.net",
            "15551234567:2@s.whatsapp.net",
            "15551234567.1@s.whatsapp.net",
            "alice@lid",
            "1-2-3@g.us",
            "abc@g.us",
            "-1@g.us",
            "x@newsletter",
            "list@broadcast",
            "1@example.com",
            "a@b@c",
            "1:x@lid",
            "123456789012345678901234567890",
        ] {
            let err = parse_chat_id(input).expect_err(input);
            assert_eq!(err.code, ErrorCode::InvalidArgument, "{input}");
            assert!(!err.retryable);
            assert_eq!(err.details.as_deref(), Some(input));
        }
    }

    #[test]
    fn phone_numbers_for_pairing() {
        assert_eq!(
            parse_phone_number("+1 555 123 4567").unwrap(),
            "15551234567"
        );
        assert_eq!(
            parse_phone_number("15551234567@s.whatsapp.net").unwrap(),
            "15551234567"
        );
        for bad in ["123", "1234567890123456", "1@lid", "12ab567890", ""] {
            let err = parse_phone_number(bad).expect_err(bad);
            assert_eq!(err.code, ErrorCode::InvalidArgument, "{bad}");
        }
    }
}
