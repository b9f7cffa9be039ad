//! OpenWA's chat and contact listings the engine serves: `GET S/chats`, `GET S/contacts`,
//! `GET S/contacts/:contactId` (by phone number, `…@c.us`, `…@s.whatsapp.net` or `…@lid`).
//! Both come from history sync and from the messages the session sent and received.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use openwa::{Chat, ChatKind, Contact};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::extract::Q;
use crate::openapi::{Problems, SessionPath};
use crate::problem::ApiResult;
use crate::sessions;
use crate::state::AppState;
use crate::util::openwa_id;

/// The routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_chats))
        .routes(routes!(list_contacts))
        .routes(routes!(one_contact, name_contact))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct Page {
    limit: Option<u32>,
    offset: Option<u32>,
}

impl Page {
    /// `limit` (default 100, at most the engine's page) and `offset` (default 0).
    fn bounds(&self) -> (u32, u32) {
        let limit = self.limit.unwrap_or(100).clamp(1, openwa::MAX_LIST_PAGE);
        (limit, self.offset.unwrap_or(0))
    }
}

/// The neutral id of a user: `…@c.us` when the phone number is known, else the LID.
fn user_id(pn: Option<&str>, lid: Option<&str>, stored: &str) -> String {
    pn.or(lid).map_or_else(|| openwa_id(stored), openwa_id)
}

fn kind_name(kind: ChatKind) -> &'static str {
    match kind {
        ChatKind::User | ChatKind::Lid => "user",
        ChatKind::Group => "group",
        ChatKind::Newsletter => "newsletter",
        ChatKind::Status => "status",
    }
}

pub(super) fn chat_json(session_id: &str, chat: &Chat) -> Value {
    let id = match chat.kind {
        ChatKind::User | ChatKind::Lid => {
            user_id(chat.pn.as_deref(), chat.lid.as_deref(), &chat.id)
        }
        _ => chat.id.clone(),
    };
    json!({
        "id": id,
        "name": chat.name,
        "kind": kind_name(chat.kind),
        "isGroup": chat.kind == ChatKind::Group,
        "unreadCount": chat.unread_count,
        "timestamp": chat.last_message_at,
        "lastMessage": chat.last_message.as_ref().and_then(|m| m.text.clone()),
        "lastMessageId": chat.last_message.as_ref().map(|m| &m.id),
        "lastMessageData": chat
            .last_message
            .as_ref()
            .map(|m| crate::payload::message(session_id, m)),
        "archived": chat.archived,
        "pinned": chat.pinned,
        "muted": chat.muted_until.is_some(),
        "muteUntil": chat.muted_until,
        "phone": chat.pn.as_deref().and_then(crate::util::phone_of),
        "lid": chat.lid,
        "markedUnread": chat.marked_unread,
        "labels": chat.labels,
    })
}

fn contact_json(contact: &Contact) -> Value {
    json!({
        "id": user_id(contact.pn.as_deref(), contact.lid.as_deref(), &contact.id),
        "name": contact.name,
        "pushName": contact.push_name,
        "number": contact.phone,
        "lid": contact.lid,
        "isMyContact": contact.name.is_some(),
        "isBlocked": false,
    })
}

/// `?limit&offset` → the chats, newest message first.
#[utoipa::path(
    get,
    path = "/api/sessions/{id}/chats",
    operation_id = "chats_list_chats",
    tag = "Chats",
    summary = "Chats, newest message first",
    params(SessionPath, Page),
    responses((status = 200, description = "The chats", body = [Object]), Problems)
)]
async fn list_chats(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Q(page): Q<Page>,
) -> ApiResult<Response> {
    let (row, session) = sessions::resolve(&state, &id).await?;
    let (limit, offset) = page.bounds();
    let chats = session.list_chats(limit, offset).await?;
    let body: Vec<Value> = chats.iter().map(|c| chat_json(&row.id, c)).collect();
    Ok(Json(body).into_response())
}

/// `?limit&offset` → the contacts.
#[utoipa::path(
    get,
    path = "/api/sessions/{id}/contacts",
    operation_id = "chats_list_contacts",
    tag = "Chats",
    summary = "Contacts",
    params(SessionPath, Page),
    responses((status = 200, description = "The contacts", body = [Object]), Problems)
)]
async fn list_contacts(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Q(page): Q<Page>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    let (limit, offset) = page.bounds();
    let contacts = session.list_contacts(limit, offset).await?;
    let body: Vec<Value> = contacts.iter().map(contact_json).collect();
    Ok(Json(body).into_response())
}

/// One contact, by any of its ids.
#[utoipa::path(
    get,
    path = "/api/sessions/{id}/contacts/{contact}",
    operation_id = "chats_one_contact",
    tag = "Chats",
    summary = "One contact, by any of its ids",
    params(SessionPath, ("contact" = String, Path, description = "A phone number, …@c.us, …@s.whatsapp.net or …@lid")),
    responses((status = 200, description = "The contact", body = Object), Problems)
)]
async fn one_contact(
    State(state): State<AppState>,
    Path((id, contact)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    let contact = session.get_contact(&contact).await?;
    Ok(Json(contact_json(&contact)).into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ContactName {
    first_name: String,
    #[serde(default)]
    last_name: Option<String>,
}

/// Saves the contact's address-book name (app-state sync) and answers the contact.
#[utoipa::path(
    put,
    path = "/api/sessions/{id}/contacts/{contact}",
    operation_id = "chats_name_contact",
    tag = "Chats",
    summary = "Save a contact's address-book name",
    params(SessionPath, ("contact" = String, Path, description = "A phone number, …@c.us, …@s.whatsapp.net or …@lid")),
    request_body = ContactName,
    responses((status = 200, description = "The contact", body = Object), Problems)
)]
async fn name_contact(
    State(state): State<AppState>,
    Path((id, contact)): Path<(String, String)>,
    crate::extract::Body(body): crate::extract::Body<ContactName>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    let full = match body.last_name.as_deref().filter(|l| !l.is_empty()) {
        Some(last) => format!("{} {last}", body.first_name),
        None => body.first_name.clone(),
    };
    session
        .set_contact_name(&contact, &full, Some(body.first_name))
        .await?;
    let contact = session.get_contact(&contact).await?;
    Ok(Json(contact_json(&contact)).into_response())
}
