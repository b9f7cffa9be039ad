//! Contacts: which phone numbers are on WhatsApp, asked in one usync `contact` query for many
//! numbers (docs/PROTOCOL.md, Device lists), with the account's JID and, when the server tells,
//! its LID (the mapping is kept, as for device lists).

use openwa_protocol::stanza::usync::{UsyncContext, UsyncMode, UsyncProtocols, UsyncUser};
use openwa_protocol::stanza::{IqSpec, UsyncQuery};
use serde::{Deserialize, Serialize};

use crate::context::SessionContext;
use crate::error::{Error, ErrorCode};
use crate::event::ConnectionState;
use crate::session::Session;

/// Most numbers one `check_numbers` call takes.
pub const MAX_NUMBERS_PER_CHECK: usize = 100;

/// Whether a phone number is on WhatsApp.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NumberStatus {
    /// The number as given.
    pub input: String,
    /// Whether it is on WhatsApp.
    pub exists: bool,
    /// Its account's JID (`15551234567@s.whatsapp.net`), when on WhatsApp.
    pub jid: Option<String>,
    /// Its LID, when on WhatsApp and the server told.
    pub lid: Option<String>,
}

/// The digits of a phone number given bare (`+1 555 123 4567`) or as a PN JID
/// (`15551234567@c.us`, `…@s.whatsapp.net`).
fn phone_digits(input: &str) -> Result<String, Error> {
    if input.contains('@') {
        let jid = crate::ids::parse_chat_id(input)?;
        if jid.is_pn() {
            return crate::ids::parse_phone_number(&jid.user);
        }
        return Err(Error::invalid_argument(format!(
            "{input} is not a phone number"
        )));
    }
    crate::ids::parse_phone_number(input)
}

/// Asks the server which of `numbers` are on WhatsApp; the answer is in the order given.
pub(crate) async fn check_numbers(
    shared: &SessionContext,
    numbers: &[String],
) -> Result<Vec<NumberStatus>, Error> {
    if numbers.is_empty() || numbers.len() > MAX_NUMBERS_PER_CHECK {
        return Err(Error::invalid_argument(format!(
            "check 1-{MAX_NUMBERS_PER_CHECK} numbers, not {}",
            numbers.len()
        )));
    }
    let digits = numbers
        .iter()
        .map(|n| phone_digits(n))
        .collect::<Result<Vec<_>, _>>()?;
    if shared.state() != ConnectionState::Connected {
        return Err(Error::new(
            ErrorCode::NotConnected,
            "the session is not connected",
        ));
    }
    let query = UsyncQuery {
        sid: crate::messaging::now_secs().to_string(),
        mode: UsyncMode::Query,
        context: UsyncContext::Interactive,
        protocols: UsyncProtocols {
            devices: false,
            lid: true,
            contact: true,
        },
        users: digits
            .iter()
            .map(|d| UsyncUser::phone(format!("+{d}")))
            .collect(),
    };
    let answer = shared.iq(query.request()).await?;
    let results = UsyncQuery::parse_response(&answer)
        .map_err(|e| Error::new(ErrorCode::Protocol, e.to_string()))?;
    let signal = shared.signal_store();
    let mut statuses = Vec::with_capacity(numbers.len());
    for (input, digits) in numbers.iter().zip(&digits) {
        // Each answer names its number (echoed) or, when registered, the account's JID.
        let found = results.iter().find(|r| {
            let echoed = r.contact.as_ref().and_then(|c| c.number.as_deref());
            echoed.map(|n| n.trim_start_matches('+')) == Some(digits.as_str())
                || (r.jid.is_pn() && r.jid.user == *digits)
        });
        let registered = found.filter(|r| r.contact.as_ref().is_some_and(|c| c.registered));
        if let Some(result) = registered
            && let Some(lid) = &result.lid
            && let Err(err) = signal.learn_mapping(&result.jid.user, &lid.user).await
        {
            tracing::warn!(session = %shared.id, %err, "PN/LID mapping not stored");
        }
        statuses.push(NumberStatus {
            input: input.clone(),
            exists: registered.is_some(),
            jid: registered.map(|r| r.jid.to_non_ad().to_string()),
            lid: registered
                .and_then(|r| r.lid.as_ref())
                .map(|l| l.to_non_ad().to_string()),
        });
    }
    Ok(statuses)
}

impl Session {
    /// Which of `numbers` (phone numbers in any common notation, 1 to 100) are on WhatsApp, in
    /// the order given, with each account's JID and LID. One query for all of them; a number
    /// that is not a phone number is `invalid_argument` before anything is asked.
    pub async fn check_numbers(&self, numbers: Vec<String>) -> Result<Vec<NumberStatus>, Error> {
        self.on_runtime(move |s| async move { check_numbers(s.shared(), &numbers).await })
            .await
    }
}
