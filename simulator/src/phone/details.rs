//! What the timeline shows of a message beyond its kind and text — a location, contact cards,
//! the message it replies to, the users it mentions, whether it was edited — and the location,
//! contact-card and reply messages the phone sends.

use openwa_protocol::actions::{context_info, context_info_mut};
use openwa_protocol::content;
use openwa_protocol::proto::e2e;
use serde::{Deserialize, Serialize};

/// A location, as the timeline shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocationRef {
    /// Latitude, degrees.
    pub latitude: serde_json::Number,
    /// Longitude, degrees.
    pub longitude: serde_json::Number,
    /// The place's name.
    #[serde(default)]
    pub name: Option<String>,
    /// The place's address.
    #[serde(default)]
    pub address: Option<String>,
}

/// A contact card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRef {
    /// The name shown.
    pub display_name: String,
    /// The vCard text.
    pub vcard: String,
}

/// The details of a timeline entry (each left out of its JSON when empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Details {
    /// A location message's place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<LocationRef>,
    /// A contact message's cards.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<ContactRef>,
    /// The id of the message it replies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quoted: Option<String>,
    /// The users it mentions (JIDs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<String>,
    /// Whether its author edited it since.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub edited: bool,
    /// A poll's question, options and tally.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll: Option<super::polls::PollRef>,
}

impl Details {
    /// The details of an (unwrapped) message.
    pub fn of(message: &e2e::Message) -> Details {
        let context = context_info(message);
        let location = message.location_message.as_deref().and_then(|l| {
            Some(LocationRef {
                latitude: serde_json::Number::from_f64(l.degrees_latitude?)?,
                longitude: serde_json::Number::from_f64(l.degrees_longitude?)?,
                name: l.name.clone(),
                address: l.address.clone(),
            })
        });
        let card = |c: &e2e::ContactMessage| ContactRef {
            display_name: c.display_name.clone().unwrap_or_default(),
            vcard: c.vcard.clone().unwrap_or_default(),
        };
        let contacts = match (&message.contact_message, &message.contacts_array_message) {
            (Some(one), _) => vec![card(one)],
            (None, Some(many)) => many.contacts.iter().map(card).collect(),
            (None, None) => Vec::new(),
        };
        Details {
            location,
            contacts,
            quoted: context.and_then(|c| c.stanza_id.clone()),
            mentions: context.map(|c| c.mentioned_jid.clone()).unwrap_or_default(),
            edited: false,
            poll: super::polls::PollRef::of(message),
        }
    }
}

/// A location message.
pub fn location_message(location: &LocationRef) -> e2e::Message {
    e2e::Message {
        location_message: Some(Box::new(e2e::LocationMessage {
            degrees_latitude: location.latitude.as_f64(),
            degrees_longitude: location.longitude.as_f64(),
            name: location.name.clone(),
            address: location.address.clone(),
            ..Default::default()
        })),
        ..Default::default()
    }
}

/// A contact-card message.
pub fn contacts_message(cards: &[ContactRef]) -> e2e::Message {
    let pairs: Vec<(String, String)> = cards
        .iter()
        .map(|c| (c.display_name.clone(), c.vcard.clone()))
        .collect();
    content::contacts_message(&pairs)
}

/// A reply to `quoted` (id, author, text) and `mentions`, added to `message`; false when the
/// message carries no context (a reaction, an edit).
pub fn add_context(
    message: &mut e2e::Message,
    quoted: Option<(&str, &str, Option<&str>)>,
    mentions: &[String],
) -> bool {
    let Some(context) = context_info_mut(message) else {
        return false;
    };
    if let Some((id, author, text)) = quoted {
        context.stanza_id = Some(id.to_owned());
        context.participant = Some(author.to_owned());
        context.quoted_message = Some(Box::new(content::text_message(text.unwrap_or_default())));
    }
    context.mentioned_jid = mentions.to_vec();
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_round_trip_through_the_messages_the_phone_sends() {
        let place = LocationRef {
            latitude: serde_json::Number::from_f64(52.37).unwrap(),
            longitude: serde_json::Number::from_f64(4.89).unwrap(),
            name: Some("Dam".into()),
            address: None,
        };
        let mut message = location_message(&place);
        let mentions = vec!["15550001@s.whatsapp.net".to_owned()];
        assert!(add_context(
            &mut message,
            Some(("Q", "15550002@s.whatsapp.net", Some("hi"))),
            &mentions
        ));
        let details = Details::of(&message);
        assert_eq!(details.location, Some(place));
        assert_eq!(details.quoted.as_deref(), Some("Q"));
        assert_eq!(details.mentions, mentions);
        let cards = vec![ContactRef {
            display_name: "Ann".into(),
            vcard: "BEGIN:VCARD\nVERSION:3.0\nFN:Ann\nEND:VCARD".into(),
        }];
        assert_eq!(Details::of(&contacts_message(&cards)).contacts, cards);
        let json = serde_json::to_value(Details::default()).unwrap();
        assert_eq!(json, serde_json::json!({}));
    }
}
