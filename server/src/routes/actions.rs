//! OpenWA's message action routes: send-location, send-contact, reply, react, edit, delete
//! (for everyone) and forward, each an idempotent send through [`super::messages::idempotent_send`].

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

use super::messages::{check_text, direct_chat, idempotent_send};
use crate::extract::Body;
use crate::idempotency::request_hash;
use crate::openapi::{Problems, SendHeaders, SendResponses, SessionPath};
use crate::problem::{ApiError, ApiResult};
use crate::state::AppState;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Longest location description or address OpenWA accepts.
const MAX_PLACE_CHARS: usize = 1024;

/// The routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(send_location))
        .routes(routes!(send_contact))
        .routes(routes!(reply))
        .routes(routes!(react))
        .routes(routes!(edit))
        .routes(routes!(delete))
        .routes(routes!(forward))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SendLocation {
    chat_id: String,
    latitude: f64,
    longitude: f64,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    address: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/messages/send-location",
    operation_id = "actions_send_location",
    tag = "Messages",
    summary = "Send a location",
    params(SessionPath, SendHeaders),
    request_body = SendLocation,
    responses(SendResponses, Problems)
)]
async fn send_location(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body<SendLocation>,
) -> ApiResult<Response> {
    let chat = direct_chat(&body.chat_id)?;
    for (field, value) in [
        ("description", &body.description),
        ("address", &body.address),
    ] {
        if value
            .as_ref()
            .is_some_and(|v| v.chars().count() > MAX_PLACE_CHARS)
        {
            return Err(ApiError::bad_request(format!(
                "{field} must be at most {MAX_PLACE_CHARS} characters"
            )));
        }
    }
    let location = openwa::Location {
        latitude: body.latitude,
        longitude: body.longitude,
        name: body.description,
        address: body.address,
        ..openwa::Location::default()
    };
    let (lat, lon) = (
        location.latitude.to_string(),
        location.longitude.to_string(),
    );
    let hash = request_hash(&[
        "send-location",
        chat.as_str(),
        &lat,
        &lon,
        location.name.as_deref().unwrap_or_default(),
        location.address.as_deref().unwrap_or_default(),
    ]);
    idempotent_send(&state, &id, &headers, hash, move |session, options| async move {
        session.send_location(&chat, location, options).await
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SendContact {
    chat_id: String,
    contact_name: String,
    contact_number: String,
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/messages/send-contact",
    operation_id = "actions_send_contact",
    tag = "Messages",
    summary = "Send a contact card",
    params(SessionPath, SendHeaders),
    request_body = SendContact,
    responses(SendResponses, Problems)
)]
async fn send_contact(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body<SendContact>,
) -> ApiResult<Response> {
    let chat = direct_chat(&body.chat_id)?;
    let name = body.contact_name.trim();
    if name.is_empty() || name.chars().count() > 255 || name.contains(['\r', '\n']) {
        return Err(ApiError::bad_request(
            "contactName must be 1-255 characters on one line",
        ));
    }
    let number = openwa::parse_phone_number(&body.contact_number)
        .map_err(|_| ApiError::bad_request("contactNumber must be a phone number (7-15 digits)"))?;
    let card = openwa::ContactCard {
        display_name: name.to_owned(),
        vcard: vcard(name, &number),
    };
    let hash = request_hash(&["send-contact", chat.as_str(), name, &number]);
    idempotent_send(&state, &id, &headers, hash, move |session, options| async move {
        session.send_contacts(&chat, vec![card], options).await
    })
    .await
}

/// A vCard 3.0 for `name` with the WhatsApp number `number` (digits), which WhatsApp shows
/// with a "Message" button.
fn vcard(name: &str, number: &str) -> String {
    let escaped = name
        .replace('\\', "\\\\")
        .replace(',', "\\,")
        .replace(';', "\\;");
    format!(
        "BEGIN:VCARD\nVERSION:3.0\nFN:{escaped}\nTEL;type=CELL;type=VOICE;waid={number}:+{number}\nEND:VCARD"
    )
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Reply {
    chat_id: String,
    quoted_message_id: String,
    text: String,
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/messages/reply",
    operation_id = "actions_reply",
    tag = "Messages",
    summary = "Reply to a message",
    params(SessionPath, SendHeaders),
    request_body = Reply,
    responses(SendResponses, Problems)
)]
async fn reply(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body<Reply>,
) -> ApiResult<Response> {
    let chat = direct_chat(&body.chat_id)?;
    check_text(&body.text, "text")?;
    let hash = request_hash(&["reply", chat.as_str(), &body.quoted_message_id, &body.text]);
    let Reply {
        quoted_message_id,
        text,
        ..
    } = body;
    idempotent_send(
        &state,
        &id,
        &headers,
        hash,
        move |session, mut options| async move {
            options.quoted = Some(quoted_message_id);
            session.send_text(&chat, &text, options).await
        },
    )
    .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct React {
    chat_id: String,
    message_id: String,
    emoji: String,
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/messages/react",
    operation_id = "actions_react",
    tag = "Messages",
    summary = "React to a message (empty emoji removes)",
    params(SessionPath, SendHeaders),
    request_body = React,
    responses(SendResponses, Problems)
)]
async fn react(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body<React>,
) -> ApiResult<Response> {
    let chat = direct_chat(&body.chat_id)?;
    if body.emoji.chars().count() > 32 {
        return Err(ApiError::bad_request("emoji must be at most 32 characters"));
    }
    let hash = request_hash(&["react", chat.as_str(), &body.message_id, &body.emoji]);
    let React {
        message_id, emoji, ..
    } = body;
    idempotent_send(&state, &id, &headers, hash, move |session, options| async move {
        session.react(&chat, &message_id, &emoji, options).await
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Edit {
    chat_id: String,
    message_id: String,
    body: String,
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/messages/edit",
    operation_id = "actions_edit",
    tag = "Messages",
    summary = "Edit a sent text",
    params(SessionPath, SendHeaders),
    request_body = Edit,
    responses(SendResponses, Problems)
)]
async fn edit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body<Edit>,
) -> ApiResult<Response> {
    let chat = direct_chat(&body.chat_id)?;
    check_text(&body.body, "body")?;
    let hash = request_hash(&["edit", chat.as_str(), &body.message_id, &body.body]);
    let Edit {
        message_id, body, ..
    } = body;
    idempotent_send(
        &state,
        &id,
        &headers,
        hash,
        move |session, options| async move {
            session
                .edit_message(&chat, &message_id, &body, options)
                .await
        },
    )
    .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Delete {
    chat_id: String,
    message_id: String,
    #[serde(default)]
    for_everyone: Option<bool>,
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/messages/delete",
    operation_id = "actions_delete",
    tag = "Messages",
    summary = "Delete a message for everyone",
    params(SessionPath, SendHeaders),
    request_body = Delete,
    responses(SendResponses, Problems)
)]
async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body<Delete>,
) -> ApiResult<Response> {
    let chat = direct_chat(&body.chat_id)?;
    if body.for_everyone == Some(false) {
        // Deleting for this account's devices only is an app-state mutation.
        return Err(ApiError::unsupported("deleting a message for me only"));
    }
    let hash = request_hash(&["delete", chat.as_str(), &body.message_id]);
    let message_id = body.message_id;
    idempotent_send(&state, &id, &headers, hash, move |session, options| async move {
        session.revoke_message(&chat, &message_id, options).await
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Forward {
    from_chat_id: String,
    to_chat_id: String,
    message_id: String,
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/messages/forward",
    operation_id = "actions_forward",
    tag = "Messages",
    summary = "Forward a message",
    params(SessionPath, SendHeaders),
    request_body = Forward,
    responses(SendResponses, Problems)
)]
async fn forward(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body<Forward>,
) -> ApiResult<Response> {
    let to = direct_chat(&body.to_chat_id)?;
    let from = openwa::normalize_chat_id(&body.from_chat_id)?;
    let hash = request_hash(&["forward", &from, &to, &body.message_id]);
    let message_id = body.message_id;
    idempotent_send(
        &state,
        &id,
        &headers,
        hash,
        move |session, options| async move {
            session
                .forward_message(&to, &from, &message_id, options)
                .await
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vcards_escape_the_name() {
        let card = vcard("Doe, Jane; Dr", "15550001");
        assert!(card.contains("FN:Doe\\, Jane\\; Dr\n"), "{card}");
        assert!(card.contains("waid=15550001:+15550001"), "{card}");
        assert!(card.starts_with("BEGIN:VCARD\nVERSION:3.0\n") && card.ends_with("END:VCARD"));
    }
}
