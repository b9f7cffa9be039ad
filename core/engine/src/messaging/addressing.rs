//! One chat per contact: a user is addressed by its phone number (PN) or by its LID, and once
//! the mapping between the two is known both JIDs name the same chat. Messages stay stored
//! under the JID they were addressed with (a mapping may be learned after they were stored);
//! lookups, history pages and status updates look under both forms.

use openwa_protocol::Jid;

use crate::context::SessionContext;

/// The other form of a user chat (PN ⇄ LID), when the mapping is known.
pub(crate) async fn alt_chat(shared: &SessionContext, chat: &Jid) -> Option<Jid> {
    let signal = shared.signal_store();
    let looked_up = if chat.is_pn() {
        signal.lid_for_pn(&chat.user).await.map(|u| u.map(Jid::lid))
    } else if chat.is_lid() {
        signal.pn_for_lid(&chat.user).await.map(|u| u.map(Jid::pn))
    } else {
        return None;
    };
    match looked_up {
        Ok(alt) => alt,
        Err(err) => {
            tracing::warn!(session = %shared.id, %err, "PN/LID mapping lookup failed");
            None
        }
    }
}

/// The store keys of `chat`: itself first, then its other form when known.
pub(crate) async fn chat_keys(shared: &SessionContext, chat: &Jid) -> Vec<String> {
    let mut keys = vec![chat.to_string()];
    if let Some(alt) = alt_chat(shared, chat).await {
        keys.push(alt.to_string());
    }
    keys
}
