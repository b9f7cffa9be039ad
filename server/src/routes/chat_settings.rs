//! OpenWA's chat settings and labels, kept by app-state sync on every device of the account:
//! `POST S/chats/archive|unread|mute|pin`, `POST S/messages/star`, `GET S/starred` (our
//! addition), `GET|POST S/labels` (POST is our addition: a label with the next free id),
//! `GET|PUT|DELETE S/labels/:labelId`, `GET|POST S/labels/chat/:chat`,
//! `DELETE S/labels/chat/:chat/:labelId`, and `PUT S/contacts/:contact` (the address-book name).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use openwa::Label;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::extract::{Body, Q};
use crate::problem::{ApiError, ApiResult};
use crate::sessions;
use crate::state::AppState;

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/sessions/{id}/chats/archive", post(archive))
        .route("/api/sessions/{id}/chats/unread", post(unread))
        .route("/api/sessions/{id}/chats/mute", post(mute))
        .route("/api/sessions/{id}/chats/pin", post(pin))
        .route("/api/sessions/{id}/messages/star", post(star))
        .route("/api/sessions/{id}/starred", get(starred))
        .route("/api/sessions/{id}/labels", get(labels).post(create_label))
        .route(
            "/api/sessions/{id}/labels/{label}",
            get(one_label).put(put_label).delete(delete_label),
        )
        .route(
            "/api/sessions/{id}/labels/chat/{chat}",
            get(chat_labels).post(add_chat_label),
        )
        .route(
            "/api/sessions/{id}/labels/chat/{chat}/{label}",
            delete(remove_chat_label),
        )
}

fn ok() -> ApiResult<Response> {
    Ok(Json(json!({ "success": true })).into_response())
}

fn label_json(label: &Label) -> Value {
    json!({ "id": label.id, "name": label.name, "color": label.color })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Archive {
    chat_id: String,
    #[serde(default = "yes")]
    archive: bool,
}

fn yes() -> bool {
    true
}

async fn archive(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<Archive>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    session.archive_chat(&body.chat_id, body.archive).await?;
    ok()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Unread {
    chat_id: String,
    #[serde(default = "yes")]
    unread: bool,
}

async fn unread(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<Unread>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    session.mark_chat_unread(&body.chat_id, body.unread).await?;
    ok()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Mute {
    chat_id: String,
    /// `false` unmutes.
    #[serde(default = "yes")]
    mute: bool,
    /// Muted until (seconds since the epoch); absent or null: for ever.
    #[serde(default)]
    mute_until: Option<u64>,
}

async fn mute(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<Mute>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    let until = body.mute.then(|| body.mute_until.unwrap_or(u64::MAX));
    session.mute_chat(&body.chat_id, until).await?;
    ok()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Pin {
    chat_id: String,
    #[serde(default = "yes")]
    pin: bool,
}

async fn pin(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<Pin>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    session.pin_chat(&body.chat_id, body.pin).await?;
    ok()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Star {
    chat_id: String,
    message_id: String,
    #[serde(default = "yes")]
    star: bool,
}

async fn star(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<Star>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    session
        .star_message(&body.chat_id, &body.message_id, body.star)
        .await?;
    ok()
}

#[derive(Debug, Deserialize)]
struct Page {
    limit: Option<u32>,
    offset: Option<u32>,
}

async fn starred(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Q(page): Q<Page>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    let limit = page.limit.unwrap_or(100).clamp(1, openwa::MAX_LIST_PAGE);
    let stars = session
        .list_starred(limit, page.offset.unwrap_or(0))
        .await?;
    let body: Vec<Value> = stars
        .iter()
        .map(|s| {
            json!({
                "chatId": crate::util::openwa_id(&s.chat),
                "messageId": s.message_id,
                "fromMe": s.from_me,
                "participant": s.participant,
                "starredAt": s.starred_at_ms,
            })
        })
        .collect();
    Ok(Json(body).into_response())
}

async fn labels(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    let labels = session.list_labels().await?;
    Ok(Json(labels.iter().map(label_json).collect::<Vec<_>>()).into_response())
}

async fn find_label(session: &openwa::Session, label: &str) -> ApiResult<Label> {
    session
        .list_labels()
        .await?
        .into_iter()
        .find(|l| l.id == label)
        .ok_or_else(|| ApiError::not_found(format!("no label {label}")))
}

async fn one_label(
    State(state): State<AppState>,
    Path((id, label)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    Ok(Json(label_json(&find_label(&session, &label).await?)).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LabelBody {
    name: String,
    #[serde(default)]
    color: i32,
}

async fn create_label(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<LabelBody>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    let label = session.create_label(&body.name, body.color).await?;
    Ok((axum::http::StatusCode::CREATED, Json(label_json(&label))).into_response())
}

async fn put_label(
    State(state): State<AppState>,
    Path((id, label)): Path<(String, String)>,
    Body(body): Body<LabelBody>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    session.edit_label(&label, &body.name, body.color).await?;
    Ok(Json(label_json(&find_label(&session, &label).await?)).into_response())
}

async fn delete_label(
    State(state): State<AppState>,
    Path((id, label)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    session.delete_label(&label).await?;
    ok()
}

async fn chat_labels(
    State(state): State<AppState>,
    Path((id, chat)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    let on_chat = session.get_chat(&chat).await?.labels;
    let labels: Vec<Value> = session
        .list_labels()
        .await?
        .iter()
        .filter(|l| on_chat.contains(&l.id))
        .map(label_json)
        .collect();
    Ok(Json(labels).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ChatLabel {
    label_id: String,
}

async fn add_chat_label(
    State(state): State<AppState>,
    Path((id, chat)): Path<(String, String)>,
    Body(body): Body<ChatLabel>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    session.label_chat(&body.label_id, &chat).await?;
    ok()
}

async fn remove_chat_label(
    State(state): State<AppState>,
    Path((id, chat, label)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    session.unlabel_chat(&label, &chat).await?;
    ok()
}
