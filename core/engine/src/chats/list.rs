//! Reading chats and contacts from the store into the API's types, with both forms (PN and
//! LID) of every user when the mapping is known.

use openwa_protocol::Jid;
use openwa_store::{ChatRecord, ContactRecord};

use super::types::{Chat, Contact, MAX_LIST_PAGE};
use crate::context::SessionContext;
use crate::error::{Error, ErrorCode};
use crate::messaging::addressing::alt_chat;

/// Checks a page size.
pub(crate) fn check_limit(limit: u32) -> Result<u32, Error> {
    if limit == 0 || limit > MAX_LIST_PAGE {
        return Err(Error::invalid_argument(format!(
            "limit must be between 1 and {MAX_LIST_PAGE}"
        )));
    }
    Ok(limit)
}

/// `(pn, lid)` of a user JID: itself and its other form.
async fn forms(
    shared: &SessionContext,
    jid: &Jid,
    alt: Option<&str>,
) -> (Option<Jid>, Option<Jid>) {
    let other = match alt.and_then(|a| a.parse::<Jid>().ok()) {
        Some(other) => Some(other),
        None => alt_chat(shared, jid).await,
    };
    if jid.is_pn() {
        (Some(jid.clone()), other.filter(Jid::is_lid))
    } else if jid.is_lid() {
        (other.filter(Jid::is_pn), Some(jid.clone()))
    } else {
        (None, None)
    }
}

/// The API form of a stored chat.
pub(crate) async fn to_chat(shared: &SessionContext, record: ChatRecord) -> Result<Chat, Error> {
    let jid: Jid = record
        .chat
        .parse()
        .map_err(|_| Error::new(ErrorCode::Store, format!("stored chat {:?}", record.chat)))?;
    let kind = crate::ids::chat_kind(&jid)
        .ok_or_else(|| Error::new(ErrorCode::Store, format!("stored chat {jid}")))?;
    let (pn, lid) = forms(shared, &jid, record.alt.as_deref()).await;
    let mut name = record.name;
    if name.is_none() {
        for form in [&pn, &lid].into_iter().flatten() {
            let contact = shared.store().get_contact(&form.to_string()).await?;
            if let Some(push_name) = contact.and_then(|c| c.push_name) {
                name = Some(push_name);
                break;
            }
        }
    }
    // A user's chat labelled under its PN and under its LID is one chat: both forms' labels.
    let mut keys = vec![record.chat.clone()];
    keys.extend([&pn, &lid].into_iter().flatten().map(ToString::to_string));
    keys.sort();
    keys.dedup();
    let mut labels: Vec<String> = Vec::new();
    for key in &keys {
        let on = shared.store().label_associations(Some(key)).await?;
        labels.extend(
            on.into_iter()
                .filter(|a| a.message_id.is_none())
                .map(|a| a.label),
        );
    }
    labels.sort();
    labels.dedup();
    let last_message = match &record.last_message_id {
        Some(id) => crate::messaging::history::lookup(shared, &jid, id).await?,
        None => None,
    };
    Ok(Chat {
        id: record.chat,
        kind,
        pn: pn.map(|j| j.to_string()),
        lid: lid.map(|j| j.to_string()),
        name,
        last_message,
        last_message_at: u64::try_from(record.last_message_at)
            .ok()
            .filter(|t| *t > 0),
        unread_count: record.unread_count,
        archived: record.archived,
        pinned: record.pinned,
        muted_until: match record.muted_until {
            until if until < 0 => Some(u64::MAX),
            until => u64::try_from(until).ok().filter(|t| *t > 0),
        },
        marked_unread: record.marked_unread,
        labels,
        updated_at_ms: u64::try_from(record.updated_at).unwrap_or(0),
    })
}

/// The API form of a stored contact.
pub(crate) async fn to_contact(shared: &SessionContext, record: ContactRecord) -> Contact {
    let jid = record.jid.parse::<Jid>().ok();
    let (pn, lid) = match &jid {
        Some(jid) => forms(shared, jid, None).await,
        None => (None, None),
    };
    Contact {
        id: record.jid,
        phone: pn.as_ref().map(|p| p.user.to_string()),
        pn: pn.map(|j| j.to_string()),
        lid: lid.map(|j| j.to_string()),
        push_name: record.push_name,
        name: record.full_name,
    }
}

/// The first row `get` finds under any form of `jid` (itself, then its other form).
async fn under_any_form<T, F, Fut>(
    shared: &SessionContext,
    jid: &Jid,
    get: F,
) -> Result<Option<T>, Error>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>, openwa_store::StoreError>>,
{
    for key in crate::messaging::addressing::chat_keys(shared, jid).await {
        if let Some(found) = get(key).await? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// The stored chat `chat` names, under any of its forms.
pub(crate) async fn find_chat(
    shared: &SessionContext,
    chat: &Jid,
) -> Result<Option<ChatRecord>, Error> {
    let store = shared.store();
    under_any_form(
        shared,
        chat,
        |key| async move { store.get_chat(&key).await },
    )
    .await
}

/// The stored contact `user` names, under any of its forms.
pub(crate) async fn find_contact(
    shared: &SessionContext,
    user: &Jid,
) -> Result<Option<ContactRecord>, Error> {
    let store = shared.store();
    under_any_form(
        shared,
        user,
        |key| async move { store.get_contact(&key).await },
    )
    .await
}
