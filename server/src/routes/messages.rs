//! `/api/sessions/:id/messages…` and `/chats/read`: send-text (idempotent, with mentions and
//! replies), history, message by id, mark read, and the one idempotent-send helper every send
//! route uses (the media routes are in `media`, what the engine cannot serve yet in
//! `unsupported`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use openwa::{ChatKind, SendOptions};
use serde::Deserialize;
use serde_json::json;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::extract::{Body, Q};
use crate::idempotency::{self, Remembered};
use crate::openapi::{ChatMessagePath, Problems, SendHeaders, SendResponses, SessionPath, Success};
use crate::payload;
use crate::problem::{ApiError, ApiResult};
use crate::sessions;
use crate::state::AppState;

/// Longest text OpenWA accepts.
const MAX_TEXT_CHARS: usize = 4096;

/// The routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(send_text))
        .routes(routes!(history))
        .routes(routes!(chat_history))
        .routes(routes!(one))
        .routes(routes!(mark_read))
}

/// A user-typed chat id in canonical form (a user or a group); channels and status are refused
/// as 501.
pub(super) fn direct_chat(chat_id: &str) -> ApiResult<String> {
    let chat = openwa::normalize_chat_id(chat_id)?;
    match openwa::chat_kind_of(&chat)? {
        ChatKind::User | ChatKind::Lid | ChatKind::Group => Ok(chat),
        ChatKind::Newsletter => Err(ApiError::unsupported("sending to channels")),
        ChatKind::Status => Err(ApiError::unsupported("status posts")),
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SendText {
    chat_id: String,
    text: String,
    #[serde(default)]
    mentions: Vec<String>,
    #[serde(default)]
    quoted_message_id: Option<String>,
    /// Accepted; the engine sends no preview (WhatsApp shows the plain link).
    #[serde(default)]
    #[allow(dead_code)]
    link_preview: Option<bool>,
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/messages/send-text",
    operation_id = "messages_send_text",
    tag = "Messages",
    summary = "Send a text",
    params(SessionPath, SendHeaders),
    request_body = SendText,
    responses(SendResponses, Problems)
)]
async fn send_text(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body<SendText>,
) -> ApiResult<Response> {
    let chat = direct_chat(&body.chat_id)?;
    check_text(&body.text, "text")?;
    let mut hash = vec!["send-text", &chat, &body.text];
    hash.extend(body.mentions.iter().map(String::as_str));
    hash.push(body.quoted_message_id.as_deref().unwrap_or_default());
    let hash = idempotency::request_hash(&hash);
    let SendText {
        text,
        mentions,
        quoted_message_id,
        ..
    } = body;
    idempotent_send(
        &state,
        &id,
        &headers,
        hash,
        move |session, mut options| async move {
            options.mentions = mentions;
            options.quoted = quoted_message_id;
            session.send_text(&chat, &text, options).await
        },
    )
    .await
}

/// A text of 1..=4096 characters, or a 400 naming `field`.
pub(super) fn check_text(text: &str, field: &str) -> ApiResult<()> {
    if text.is_empty() || text.chars().count() > MAX_TEXT_CHARS {
        return Err(ApiError::bad_request(format!(
            "{field} must be 1-{MAX_TEXT_CHARS} characters"
        )));
    }
    Ok(())
}

/// Runs one send with OpenWA's `Idempotency-Key` semantics: a key seen before with the same
/// request answers the first
/// send again (`Idempotent-Replayed: true`), with another request 422 (`hash`: the
/// [`idempotency::request_hash`] of the route and every field that shapes the message); a new key is passed to the
/// engine too, so a crash between the send and this answer still sends once. Answers 201
/// `{messageId, timestamp}` once WhatsApp acknowledged the message, or, with
/// `Prefer: respond-async`, 202 once the engine durably queued it (its outcome follows as
/// `message.sent` / `message.ack` / `message.failed` webhooks and events).
pub(super) async fn idempotent_send<F, Fut>(
    state: &AppState,
    session_id: &str,
    headers: &HeaderMap,
    hash: String,
    send: F,
) -> ApiResult<Response>
where
    F: FnOnce(std::sync::Arc<openwa::Session>, SendOptions) -> Fut,
    Fut: std::future::Future<Output = Result<openwa::Message, openwa::Error>>,
{
    let (row, session) = sessions::resolve(state, session_id).await?;
    let key = idempotency_key(headers)?;
    let earlier = match &key {
        Some(key) => idempotency::lookup(&state.db, &row.id, key).await?,
        None => None,
    };
    if let Some(earlier) = earlier {
        if earlier.request_hash != hash {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_argument",
                "this Idempotency-Key was used with a different request",
            ));
        }
        return Ok(sent(&earlier, true));
    }
    let queued = respond_async(headers);
    let options = SendOptions {
        idempotency_key: key.clone(),
        queued,
        ..SendOptions::default()
    };
    let message = send(session, options).await?;
    let answer = Remembered {
        request_hash: hash,
        message_id: message.id,
        timestamp: i64::try_from(message.timestamp).unwrap_or(i64::MAX),
    };
    if let Some(key) = &key {
        idempotency::remember(&state.db, &row.id, key, &answer).await?;
    }
    if queued {
        return Ok(accepted(&answer));
    }
    Ok(sent(&answer, false))
}

/// Whether the request asks to be answered once the send is queued (`Prefer: respond-async`,
/// RFC 7240) rather than once WhatsApp acknowledged it.
fn respond_async(headers: &HeaderMap) -> bool {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|pref| pref.trim().eq_ignore_ascii_case("respond-async"))
}

/// 202 for a queued send: `{messageId, timestamp, status: "pending"}`, and
/// `Preference-Applied: respond-async`.
fn accepted(answer: &Remembered) -> Response {
    let body = json!({
        "messageId": answer.message_id,
        "timestamp": answer.timestamp,
        "status": "pending",
    });
    let mut response = (StatusCode::ACCEPTED, Json(body)).into_response();
    response.headers_mut().insert(
        "preference-applied",
        HeaderValue::from_static("respond-async"),
    );
    response
}

pub(super) fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<String>> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .map_err(|_| ApiError::bad_request("Idempotency-Key must be visible ASCII"))?;
    if key.is_empty() || key.len() > openwa::MAX_IDEMPOTENCY_KEY_LEN {
        return Err(ApiError::bad_request(format!(
            "Idempotency-Key must be 1-{} bytes",
            openwa::MAX_IDEMPOTENCY_KEY_LEN
        )));
    }
    Ok(Some(key.to_owned()))
}

pub(super) fn sent(answer: &Remembered, replayed: bool) -> Response {
    let body = json!({ "messageId": answer.message_id, "timestamp": answer.timestamp });
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    if replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
struct HistoryQuery {
    chat_id: Option<String>,
    message_id: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

/// `?chatId=…[&limit≤100][&cursor=…]` → `{messages, total, nextCursor}` newest first (`total`:
/// the chat's whole stored history);
/// `?chatId=…&messageId=…` → that message.
#[utoipa::path(
    get,
    path = "/api/sessions/{id}/messages",
    operation_id = "messages_history",
    tag = "Messages",
    summary = "Message history of a chat, newest first",
    params(SessionPath, HistoryQuery),
    responses((status = 200, description = "`{messages, total, nextCursor}`, or one message with `messageId`", body = Object), Problems)
)]
async fn history(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Q(query): Q<HistoryQuery>,
) -> ApiResult<Response> {
    let (row, session) = sessions::resolve(&state, &id).await?;
    let Some(chat_id) = query.chat_id else {
        return Err(ApiError::bad_request(
            "chatId is required (the engine keeps history per chat)",
        ));
    };
    if let Some(message_id) = query.message_id {
        let message = session.message(&chat_id, &message_id).await?;
        return Ok(Json(payload::message(&row.id, &message)).into_response());
    }
    let (messages, next_cursor) =
        history_page(&session, &row.id, &chat_id, query.cursor, query.limit).await?;
    let total = session.message_count(&chat_id).await?;
    Ok(Json(json!({
        "messages": messages,
        "total": total,
        "nextCursor": next_cursor,
    }))
    .into_response())
}

/// A page of `chat`'s history as OpenWA messages, newest first (`limit`: 50 unless given, at
/// most 100), and the cursor of the next page.
async fn history_page(
    session: &openwa::Session,
    session_id: &str,
    chat: &str,
    cursor: Option<String>,
    limit: Option<u32>,
) -> ApiResult<(Vec<serde_json::Value>, Option<String>)> {
    let limit = limit.unwrap_or(50).clamp(1, 100);
    let page = session.messages(chat, cursor, limit).await?;
    let messages = page
        .messages
        .iter()
        .map(|m| payload::message(session_id, m))
        .collect();
    Ok((messages, page.next_cursor))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ChatHistoryQuery {
    /// At most this many messages (default 50, at most 100).
    limit: Option<u32>,
}

/// OpenWA's `GET S/messages/:chatId/history`: the chat's latest messages, newest first, as a
/// list (the paged form with a cursor is `GET S/messages?chatId=`).
#[utoipa::path(
    get,
    path = "/api/sessions/{id}/messages/{chat}/history",
    operation_id = "messages_chat_history",
    tag = "Messages",
    summary = "The latest messages of a chat",
    params(SessionPath, ("chat" = String, Path, description = "The chat id (a number, …@c.us, …@s.whatsapp.net, …@lid or …@g.us)"), ChatHistoryQuery),
    responses((status = 200, description = "The messages, newest first", body = [Object]), Problems)
)]
async fn chat_history(
    State(state): State<AppState>,
    Path((id, chat)): Path<(String, String)>,
    Q(query): Q<ChatHistoryQuery>,
) -> ApiResult<Response> {
    let (row, session) = sessions::resolve(&state, &id).await?;
    let (messages, _) = history_page(&session, &row.id, &chat, None, query.limit).await?;
    Ok(Json(messages).into_response())
}

#[utoipa::path(
    get,
    path = "/api/sessions/{id}/messages/{chat}/{message}",
    operation_id = "messages_one",
    tag = "Messages",
    summary = "One message",
    params(ChatMessagePath),
    responses((status = 200, description = "The message", body = Object), Problems)
)]
async fn one(
    State(state): State<AppState>,
    Path((id, chat, message_id)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    let (row, session) = sessions::resolve(&state, &id).await?;
    let message = session.message(&chat, &message_id).await?;
    Ok(Json(payload::message(&row.id, &message)).into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct MarkRead {
    chat_id: String,
    message_ids: Vec<String>,
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/chats/read",
    operation_id = "messages_mark_read",
    tag = "Messages",
    summary = "Mark messages read",
    params(SessionPath),
    request_body = MarkRead,
    responses((status = 200, description = "Done", body = Success), Problems)
)]
async fn mark_read(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<MarkRead>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    if body.message_ids.is_empty() {
        return Err(ApiError::bad_request("messageIds must not be empty"));
    }
    session.mark_read(&body.chat_id, body.message_ids).await?;
    Ok(Json(json!({ "success": true })).into_response())
}
