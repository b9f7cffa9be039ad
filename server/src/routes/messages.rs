//! `/api/sessions/:id/messages…` and `/chats/read`: send-text (idempotent, with mentions and
//! replies), history, message by id, mark read, and the one idempotent-send helper every send
//! route uses; send and action routes the engine cannot serve yet answer 501 naming what is
//! missing (the media routes are in `media`).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing::get, routing::post};
use openwa::{ChatKind, SendOptions};
use serde::Deserialize;
use serde_json::json;

use crate::extract::{Body, Q};
use crate::idempotency::{self, Remembered};
use crate::payload;
use crate::problem::{ApiError, ApiResult};
use crate::sessions;
use crate::state::AppState;

/// Longest text OpenWA accepts.
const MAX_TEXT_CHARS: usize = 4096;

/// Send and action routes the engine cannot serve yet, and what they need.
pub const UNSUPPORTED: &[(&str, &str)] =
    &[("pin", "pinned messages"), ("unpin", "pinned messages")];

/// The routes.
pub fn router() -> Router<AppState> {
    let mut router = Router::new()
        .route("/api/sessions/{id}/messages/send-text", post(send_text))
        .route("/api/sessions/{id}/messages", get(history))
        .route("/api/sessions/{id}/messages/{chat}/{message}", get(one))
        .route("/api/sessions/{id}/chats/read", post(mark_read));
    for (path, capability) in UNSUPPORTED {
        let capability: &'static str = capability;
        router = router.route(
            &format!("/api/sessions/{{id}}/messages/{path}"),
            post(move || async move { ApiError::unsupported(capability) }),
        );
    }
    router
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

#[derive(Debug, Deserialize)]
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
/// `{messageId, timestamp}`.
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
    let options = SendOptions {
        idempotency_key: key.clone(),
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
    Ok(sent(&answer, false))
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

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct HistoryQuery {
    chat_id: Option<String>,
    message_id: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

/// `?chatId=…[&limit≤100][&cursor=…]` → `{messages, total, nextCursor}` newest first;
/// `?chatId=…&messageId=…` → that message.
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
    let limit = query.limit.unwrap_or(50).clamp(1, 100);
    let page = session.messages(&chat_id, query.cursor, limit).await?;
    let messages: Vec<_> = page
        .messages
        .iter()
        .map(|m| payload::message(&row.id, m))
        .collect();
    Ok(Json(json!({
        "messages": messages,
        "total": messages.len(),
        "nextCursor": page.next_cursor,
    }))
    .into_response())
}

async fn one(
    State(state): State<AppState>,
    Path((id, chat, message_id)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    let (row, session) = sessions::resolve(&state, &id).await?;
    let message = session.message(&chat, &message_id).await?;
    Ok(Json(payload::message(&row.id, &message)).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct MarkRead {
    chat_id: String,
    message_ids: Vec<String>,
}

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
