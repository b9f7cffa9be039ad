//! The protobufs of the content kinds we send besides text (locations, contact cards,
//! reactions, edits, revokes) and the context a send adds (the message it replies to, the
//! users it mentions), each with the checks that keep bad input from being sent.

use openwa_protocol::Jid;
use openwa_protocol::content::{self as protocol, ContentKind};
use openwa_protocol::proto::e2e;
use openwa_store::MessageRecord;
use prost::Message as _;

use crate::error::{Error, ErrorCode};
use crate::event::{ContactCard, Location};
use openwa_protocol::actions::{self, context_info, context_info_mut};

/// Most contact cards in one message.
pub const MAX_CONTACT_CARDS: usize = 256;
/// Longest vCard, in bytes.
pub const MAX_VCARD_LEN: usize = 64 * 1024;

/// A location message. Coordinates must be finite and in range; live locations are not sent.
pub(crate) fn location(location: &Location) -> Result<e2e::Message, Error> {
    let (lat, lon) = (location.latitude, location.longitude);
    if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
        return Err(Error::invalid_argument(format!(
            "latitude must be -90..=90, not {lat}"
        )));
    }
    if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
        return Err(Error::invalid_argument(format!(
            "longitude must be -180..=180, not {lon}"
        )));
    }
    if location.live {
        return Err(Error::new(
            ErrorCode::Unsupported,
            "sending live locations is not supported",
        ));
    }
    Ok(e2e::Message {
        location_message: Some(Box::new(e2e::LocationMessage {
            degrees_latitude: Some(lat),
            degrees_longitude: Some(lon),
            name: location.name.clone(),
            address: location.address.clone(),
            url: location.url.clone(),
            comment: location.comment.clone(),
            accuracy_in_meters: location.accuracy_m,
            ..Default::default()
        })),
        ..Default::default()
    })
}

/// A contact-card message: one card as a `contactMessage`, several as a
/// `contactsArrayMessage`. Each card needs a name and a vCard that begins with `BEGIN:VCARD`
/// and ends with `END:VCARD`.
pub(crate) fn contacts(cards: &[ContactCard]) -> Result<e2e::Message, Error> {
    if cards.is_empty() || cards.len() > MAX_CONTACT_CARDS {
        return Err(Error::invalid_argument(format!(
            "send 1-{MAX_CONTACT_CARDS} contact cards, not {}",
            cards.len()
        )));
    }
    for (i, card) in cards.iter().enumerate() {
        check_card(card).map_err(|why| {
            Error::invalid_argument(format!("contact card {i} is not valid: {why}"))
        })?;
    }
    let pairs: Vec<(String, String)> = cards
        .iter()
        .map(|c| (c.display_name.clone(), c.vcard.clone()))
        .collect();
    Ok(protocol::contacts_message(&pairs))
}

fn check_card(card: &ContactCard) -> Result<(), String> {
    if card.display_name.trim().is_empty() {
        return Err("the display name is empty".into());
    }
    if card.vcard.len() > MAX_VCARD_LEN {
        return Err(format!("the vCard is over {MAX_VCARD_LEN} bytes"));
    }
    let lines: Vec<&str> = card
        .vcard
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let first = lines.first().copied().unwrap_or_default();
    let last = lines.last().copied().unwrap_or_default();
    if !first.eq_ignore_ascii_case("BEGIN:VCARD") || !last.eq_ignore_ascii_case("END:VCARD") {
        return Err("a vCard begins with BEGIN:VCARD and ends with END:VCARD".into());
    }
    if !lines
        .iter()
        .any(|l| l.len() >= 8 && l[..8].eq_ignore_ascii_case("VERSION:"))
    {
        return Err("the vCard has no VERSION line".into());
    }
    Ok(())
}

/// A poll asking `name` with `options` (2-12 distinct, non-empty names), of which a voter may
/// choose `selectable_count` (0: any number), with a fresh random secret.
pub(crate) fn poll(
    name: &str,
    options: &[String],
    selectable_count: u32,
) -> Result<e2e::Message, Error> {
    use openwa_protocol::poll::{self as polls, MAX_OPTIONS, SECRET_LEN};
    if name.trim().is_empty() || name.chars().count() > 255 {
        return Err(Error::invalid_argument(
            "a poll's question is 1-255 characters",
        ));
    }
    if !(2..=MAX_OPTIONS).contains(&options.len()) {
        return Err(Error::invalid_argument(format!(
            "a poll has 2-{MAX_OPTIONS} options, not {}",
            options.len()
        )));
    }
    for (i, option) in options.iter().enumerate() {
        if option.trim().is_empty() || option.chars().count() > 100 {
            return Err(Error::invalid_argument(format!(
                "poll option {} is empty or longer than 100 characters",
                i + 1
            )));
        }
        if options[..i].contains(option) {
            return Err(Error::invalid_argument(format!(
                "poll option {option:?} appears twice"
            )));
        }
    }
    if usize::try_from(selectable_count).map_or(true, |n| n > options.len()) {
        return Err(Error::invalid_argument(format!(
            "selectable_count is 0 (any number) to {}, not {selectable_count}",
            options.len()
        )));
    }
    let mut secret = [0u8; SECRET_LEN];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut secret);
    Ok(polls::creation_message(
        name,
        options,
        selectable_count,
        secret,
    ))
}

/// The key that names the stored message `target` of `chat` in a reaction, edit, revoke or
/// vote.
pub(crate) fn key_of(target: &MessageRecord, chat: &Jid) -> e2e::MessageKey {
    e2e::MessageKey {
        remote_jid: Some(chat.to_string()),
        from_me: Some(target.from_me),
        id: Some(target.id.clone()),
        participant: (chat.is_group() && !target.from_me).then(|| target.sender.clone()),
    }
}

/// A reaction to `target` (an empty emoji removes ours).
pub(crate) fn reaction(target: e2e::MessageKey, emoji: &str, now_ms: i64) -> e2e::Message {
    e2e::Message {
        reaction_message: Some(e2e::ReactionMessage {
            key: Some(target),
            text: Some(emoji.to_owned()),
            grouping_key: None,
            sender_timestamp_ms: Some(now_ms),
        }),
        ..Default::default()
    }
}

/// An edit of our message `target`: its new text.
pub(crate) fn edit(target: e2e::MessageKey, text: &str, now_ms: i64) -> e2e::Message {
    actions::edit_message(target, protocol::text_message(text), now_ms)
}

/// A revoke (delete for everyone) of `target`.
pub(crate) fn revoke(target: e2e::MessageKey) -> e2e::Message {
    actions::revoke_message(target)
}

/// The message that forwards the stored message `source`: its content, marked forwarded with
/// a forwarding score one higher, without the reply and mentions it had; `None` for what
/// cannot be forwarded (reactions, edits, revoked messages, content never stored).
pub(crate) fn forwarded(source: &MessageRecord) -> Option<e2e::Message> {
    let decoded = e2e::Message::decode(source.payload.as_deref()?).ok()?;
    let mut message = protocol::unwrap(decoded).message;
    message.message_context_info = None;
    message.sender_key_distribution_message = None;
    let forwardable = matches!(
        ContentKind::of(&message),
        ContentKind::Text
            | ContentKind::Image
            | ContentKind::Video
            | ContentKind::Audio
            | ContentKind::Document
            | ContentKind::Sticker
            | ContentKind::Location
            | ContentKind::Contact
    );
    if !forwardable {
        return None;
    }
    let score = context_info(&message)
        .and_then(|c| c.forwarding_score)
        .unwrap_or(0);
    let context = context_info_mut(&mut message)?;
    *context = e2e::ContextInfo {
        is_forwarded: Some(true),
        forwarding_score: Some(score.saturating_add(1)),
        ..e2e::ContextInfo::default()
    };
    Some(message)
}

/// Adds a reply to `quoted` (a stored message of `chat`) and `mentions` to `message`.
/// Reactions, edits and revokes carry no context: asking for one is `invalid_argument`.
pub(crate) fn add_context(
    message: &mut e2e::Message,
    chat: &Jid,
    quoted: Option<&MessageRecord>,
    mentions: &[Jid],
) -> Result<(), Error> {
    let Some(context) = context_info_mut(message) else {
        return Err(Error::invalid_argument(
            "this kind of message cannot reply to or mention anyone",
        ));
    };
    if let Some(quoted) = quoted {
        context.stanza_id = Some(quoted.id.clone());
        context.participant = Some(quoted.sender.clone());
        context.quoted_message = Some(Box::new(quoted_content(quoted)));
        if chat.is_group() {
            context.remote_jid = Some(chat.to_string());
        }
    }
    context.mentioned_jid = mentions.iter().map(Jid::to_string).collect();
    Ok(())
}

/// What a reply carries of the message it quotes: its content without its own context (no
/// quote of a quote), or its text when no payload was stored.
fn quoted_content(quoted: &MessageRecord) -> e2e::Message {
    let decoded = quoted
        .payload
        .as_deref()
        .and_then(|bytes| e2e::Message::decode(bytes).ok());
    match decoded {
        Some(message) if ContentKind::of(&message) != ContentKind::Protocol => {
            let mut message = protocol::unwrap(message).message;
            // (A plain `conversation` has no context, and stays as it is.)
            if context_info(&message).is_some()
                && let Some(context) = context_info_mut(&mut message)
            {
                *context = e2e::ContextInfo::default();
            }
            message
        }
        _ => protocol::text_message(quoted.body.as_deref().unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(vcard: &str) -> ContactCard {
        ContactCard {
            display_name: "Ann".into(),
            vcard: vcard.into(),
        }
    }

    const VCARD: &str =
        "BEGIN:VCARD\nVERSION:3.0\nFN:Ann\nTEL;type=CELL;waid=15550001:+1 555 0001\nEND:VCARD";

    #[test]
    fn locations_out_of_range_are_rejected() {
        let ok = Location {
            latitude: 52.37,
            longitude: 4.89,
            ..Location::default()
        };
        assert!(location(&ok).unwrap().location_message.is_some());
        for (lat, lon) in [
            (91.0, 0.0),
            (0.0, -181.0),
            (f64::NAN, 0.0),
            (0.0, f64::INFINITY),
        ] {
            let bad = Location {
                latitude: lat,
                longitude: lon,
                ..Location::default()
            };
            assert_eq!(location(&bad).unwrap_err().code, ErrorCode::InvalidArgument);
        }
        let live = Location { live: true, ..ok };
        assert_eq!(location(&live).unwrap_err().code, ErrorCode::Unsupported);
    }

    #[test]
    fn contact_cards_are_checked_and_one_or_many_shaped() {
        let one = contacts(&[card(VCARD)]).unwrap();
        assert!(one.contact_message.is_some() && one.contacts_array_message.is_none());
        let two = contacts(&[card(VCARD), card(VCARD)]).unwrap();
        assert_eq!(two.contacts_array_message.unwrap().contacts.len(), 2);
        for bad in [
            vec![],
            vec![card("hello")],
            vec![card("BEGIN:VCARD\nFN:Ann\nEND:VCARD")],
            vec![ContactCard {
                display_name: " ".into(),
                vcard: VCARD.into(),
            }],
        ] {
            assert_eq!(contacts(&bad).unwrap_err().code, ErrorCode::InvalidArgument);
        }
    }

    #[test]
    fn forwards_mark_the_content_and_drop_the_reply() {
        let mut reply = protocol::text_message("see above");
        let context = context_info_mut(&mut reply).unwrap();
        context.stanza_id = Some("Q".into());
        context.forwarding_score = Some(4);
        let record = MessageRecord {
            session_id: "s".into(),
            chat: "1@s.whatsapp.net".into(),
            id: "3EB0FF".into(),
            sender: "1@s.whatsapp.net".into(),
            from_me: false,
            timestamp: 1,
            msg_type: "text".into(),
            body: Some("see above".into()),
            payload: Some(reply.encode_to_vec()),
            status: openwa_store::MessageStatus::Delivered,
        };
        let copy = forwarded(&record).unwrap();
        let context = context_info(&copy).unwrap();
        assert_eq!(
            (context.is_forwarded, context.forwarding_score),
            (Some(true), Some(5))
        );
        assert_eq!(context.stanza_id, None);
        assert_eq!(protocol::text(&copy).as_deref(), Some("see above"));
        let reaction = MessageRecord {
            payload: Some(reaction(e2e::MessageKey::default(), "👍", 1).encode_to_vec()),
            ..record.clone()
        };
        assert!(forwarded(&reaction).is_none());
        assert!(
            forwarded(&MessageRecord {
                payload: None,
                ..record
            })
            .is_none()
        );
    }

    #[test]
    fn a_reply_quotes_the_stored_content_and_mentions_turn_text_extended() {
        let chat = Jid::pn("15550000002");
        let quoted = MessageRecord {
            session_id: "s".into(),
            chat: chat.to_string(),
            id: "3EB0QQ".into(),
            sender: chat.to_string(),
            from_me: false,
            timestamp: 1,
            msg_type: "text".into(),
            body: Some("question?".into()),
            payload: Some(protocol::text_message("question?").encode_to_vec()),
            status: openwa_store::MessageStatus::Delivered,
        };
        let mut message = protocol::text_message("answer @15550000003");
        let mention = Jid::pn("15550000003");
        add_context(&mut message, &chat, Some(&quoted), &[mention]).unwrap();
        assert!(message.conversation.is_none());
        let context = message
            .extended_text_message
            .as_ref()
            .unwrap()
            .context_info
            .as_ref()
            .unwrap();
        assert_eq!(context.stanza_id.as_deref(), Some("3EB0QQ"));
        assert_eq!(
            context.participant.as_deref(),
            Some("15550000002@s.whatsapp.net")
        );
        assert_eq!(
            context
                .quoted_message
                .as_ref()
                .unwrap()
                .conversation
                .as_deref(),
            Some("question?")
        );
        assert_eq!(context.mentioned_jid, vec!["15550000003@s.whatsapp.net"]);
        let described = crate::content::describe(&message, ContentKind::of(&message));
        assert_eq!(described.quoted.unwrap().text.as_deref(), Some("question?"));
        assert_eq!(described.text.as_deref(), Some("answer @15550000003"));

        let mut reaction = reaction(e2e::MessageKey::default(), "👍", 1);
        assert_eq!(
            add_context(&mut reaction, &chat, Some(&quoted), &[])
                .unwrap_err()
                .code,
            ErrorCode::InvalidArgument
        );
    }
}
