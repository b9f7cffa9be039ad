//! OpenWA's chat settings and labels, kept by app-state sync on every device of the account:
//! `POST S/chats/archive|unread|mute|pin|delete`, `DELETE S/chats/:chat/messages` (clear),
//! `POST S/messages/star`, `GET S/starred` (our
//! addition), `GET|POST S/labels` (POST is our addition: a label with the next free id),
//! `GET|PUT|DELETE S/labels/:labelId`, `GET|POST S/labels/chat/:chat`,
//! `DELETE S/labels/chat/:chat/:labelId`, `GET S/labels/:labelId/chats`, and `PUT S/contacts/:contact` (the address-book name).

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use openwa::Label;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::extract::{Body, Q};
use crate::openapi::{Problems, SessionPath, Success};
use crate::problem::{ApiError, ApiResult};
use crate::sessions;
use crate::state::AppState;

/// The routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(archive))
        .routes(routes!(unread))
        .routes(routes!(mute))
        .routes(routes!(pin))
        .routes(routes!(delete_chat))
        .routes(routes!(clear_chat))
        .routes(routes!(star))
        .routes(routes!(starred))
        .routes(routes!(labels, create_label))
        .routes(routes!(one_label, put_label, delete_label))
        .routes(routes!(label_chats))
        .routes(routes!(chat_labels, add_chat_label))
        .routes(routes!(remove_chat_label))
}

fn ok() -> ApiResult<Response> {
    Ok(Json(json!({ "success": true })).into_response())
}

fn label_json(label: &Label) -> Value {
    json!({ "id": label.id, "name": label.name, "color": label.color })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Archive {
    chat_id: String,
    #[serde(default = "yes")]
    archive: bool,
}

fn yes() -> bool {
    true
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/chats/archive",
    operation_id = "chat_settings_archive",
    tag = "Chats",
    summary = "Archive or unarchive a chat",
    params(SessionPath),
    request_body = Archive,
    responses((status = 200, description = "Done", body = Success), Problems)
)]
async fn archive(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<Archive>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    session.archive_chat(&body.chat_id, body.archive).await?;
    ok()
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct DeleteChat {
    chat_id: String,
}

/// Deletes the chat on every device of the account, up to its newest stored message: the
/// chat, its messages, stars and labels are gone from this session once the server accepted
/// it (webhook `chat.deleted`).
#[utoipa::path(
    post,
    path = "/api/sessions/{id}/chats/delete",
    operation_id = "chat_settings_delete",
    tag = "Chats",
    summary = "Delete a chat",
    params(SessionPath),
    request_body = DeleteChat,
    responses((status = 200, description = "Done", body = Success), Problems)
)]
async fn delete_chat(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<DeleteChat>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    session.delete_chat(&body.chat_id).await?;
    ok()
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
struct ClearQuery {
    /// Keep the chat's starred messages (default false: they go too).
    keep_starred: Option<bool>,
}

/// Clears the chat on every device of the account: its messages up to the newest stored one
/// go (its starred messages too unless `keepStarred`), the chat stays (webhook
/// `chat.cleared`).
#[utoipa::path(
    delete,
    path = "/api/sessions/{id}/chats/{chat}/messages",
    operation_id = "chat_settings_clear",
    tag = "Chats",
    summary = "Clear a chat's messages",
    params(SessionPath, ("chat" = String, Path, description = "The chat id"), ClearQuery),
    responses((status = 200, description = "Done", body = Success), Problems)
)]
async fn clear_chat(
    State(state): State<AppState>,
    Path((id, chat)): Path<(String, String)>,
    Q(query): Q<ClearQuery>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    session
        .clear_chat(&chat, query.keep_starred.unwrap_or(false))
        .await?;
    ok()
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Unread {
    chat_id: String,
    #[serde(default = "yes")]
    unread: bool,
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/chats/unread",
    operation_id = "chat_settings_unread",
    tag = "Chats",
    summary = "Mark a chat unread or read",
    params(SessionPath),
    request_body = Unread,
    responses((status = 200, description = "Done", body = Success), Problems)
)]
async fn unread(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<Unread>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    session.mark_chat_unread(&body.chat_id, body.unread).await?;
    ok()
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
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

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/chats/mute",
    operation_id = "chat_settings_mute",
    tag = "Chats",
    summary = "Mute or unmute a chat",
    params(SessionPath),
    request_body = Mute,
    responses((status = 200, description = "Done", body = Success), Problems)
)]
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

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Pin {
    chat_id: String,
    #[serde(default = "yes")]
    pin: bool,
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/chats/pin",
    operation_id = "chat_settings_pin",
    tag = "Chats",
    summary = "Pin or unpin a chat",
    params(SessionPath),
    request_body = Pin,
    responses((status = 200, description = "Done", body = Success), Problems)
)]
async fn pin(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<Pin>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    session.pin_chat(&body.chat_id, body.pin).await?;
    ok()
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Star {
    chat_id: String,
    message_id: String,
    #[serde(default = "yes")]
    star: bool,
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/messages/star",
    operation_id = "chat_settings_star",
    tag = "Chats",
    summary = "Star or unstar a message",
    params(SessionPath),
    request_body = Star,
    responses((status = 200, description = "Done", body = Success), Problems)
)]
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

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct Page {
    limit: Option<u32>,
    offset: Option<u32>,
}

#[utoipa::path(
    get,
    path = "/api/sessions/{id}/starred",
    operation_id = "chat_settings_starred",
    tag = "Chats",
    summary = "Starred messages (our addition)",
    params(SessionPath, Page),
    responses((status = 200, description = "`[{chatId, messageId, fromMe, participant, starredAt}]`", body = [Object]), Problems)
)]
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

#[utoipa::path(
    get,
    path = "/api/sessions/{id}/labels",
    operation_id = "chat_settings_labels",
    tag = "Labels",
    summary = "Labels",
    params(SessionPath),
    responses((status = 200, description = "`[{id, name, color}]`", body = [Object]), Problems)
)]
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

#[utoipa::path(
    get,
    path = "/api/sessions/{id}/labels/{label}",
    operation_id = "chat_settings_one_label",
    tag = "Labels",
    summary = "One label",
    params(SessionPath, ("label" = String, Path, description = "The label id")),
    responses((status = 200, description = "`{id, name, color}`", body = Object), Problems)
)]
async fn one_label(
    State(state): State<AppState>,
    Path((id, label)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    Ok(Json(label_json(&find_label(&session, &label).await?)).into_response())
}

#[utoipa::path(
    get,
    path = "/api/sessions/{id}/labels/{label}/chats",
    operation_id = "chat_settings_label_chats",
    tag = "Labels",
    summary = "Every chat carrying a label",
    params(SessionPath, ("label" = String, Path, description = "The label id")),
    responses((status = 200, description = "The chats, as `GET S/chats` lists them", body = [Object]), Problems)
)]
async fn label_chats(
    State(state): State<AppState>,
    Path((id, label)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (row, session) = sessions::resolve(&state, &id).await?;
    let label = find_label(&session, &label).await?;
    let mut carrying = Vec::new();
    let mut offset = 0;
    loop {
        let page = session.list_chats(openwa::MAX_LIST_PAGE, offset).await?;
        carrying.extend(
            page.iter()
                .filter(|chat| chat.labels.contains(&label.id))
                .map(|chat| super::chats::chat_json(&row.id, chat)),
        );
        if page.len() < openwa::MAX_LIST_PAGE as usize {
            break;
        }
        offset += openwa::MAX_LIST_PAGE;
    }
    Ok(Json(carrying).into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct LabelBody {
    name: String,
    #[serde(default)]
    color: i32,
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/labels",
    operation_id = "chat_settings_create_label",
    tag = "Labels",
    summary = "Create a label (our addition)",
    params(SessionPath),
    request_body = LabelBody,
    responses((status = 201, description = "`{id, name, color}`", body = Object), Problems)
)]
async fn create_label(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<LabelBody>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    let label = session.create_label(&body.name, body.color).await?;
    Ok((axum::http::StatusCode::CREATED, Json(label_json(&label))).into_response())
}

#[utoipa::path(
    put,
    path = "/api/sessions/{id}/labels/{label}",
    operation_id = "chat_settings_put_label",
    tag = "Labels",
    summary = "Rename or recolor a label",
    params(SessionPath, ("label" = String, Path, description = "The label id")),
    request_body = LabelBody,
    responses((status = 200, description = "`{id, name, color}`", body = Object), Problems)
)]
async fn put_label(
    State(state): State<AppState>,
    Path((id, label)): Path<(String, String)>,
    Body(body): Body<LabelBody>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    session.edit_label(&label, &body.name, body.color).await?;
    Ok(Json(label_json(&find_label(&session, &label).await?)).into_response())
}

#[utoipa::path(
    delete,
    path = "/api/sessions/{id}/labels/{label}",
    operation_id = "chat_settings_delete_label",
    tag = "Labels",
    summary = "Delete a label",
    params(SessionPath, ("label" = String, Path, description = "The label id")),
    responses((status = 200, description = "Done", body = Success), Problems)
)]
async fn delete_label(
    State(state): State<AppState>,
    Path((id, label)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    session.delete_label(&label).await?;
    ok()
}

#[utoipa::path(
    get,
    path = "/api/sessions/{id}/labels/chat/{chat}",
    operation_id = "chat_settings_chat_labels",
    tag = "Labels",
    summary = "A chat's labels",
    params(SessionPath, ("chat" = String, Path, description = "The chat id")),
    responses((status = 200, description = "`[{id, name, color}]`", body = [Object]), Problems)
)]
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

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ChatLabel {
    label_id: String,
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/labels/chat/{chat}",
    operation_id = "chat_settings_add_chat_label",
    tag = "Labels",
    summary = "Put a label on a chat",
    params(SessionPath, ("chat" = String, Path, description = "The chat id")),
    request_body = ChatLabel,
    responses((status = 200, description = "Done", body = Success), Problems)
)]
async fn add_chat_label(
    State(state): State<AppState>,
    Path((id, chat)): Path<(String, String)>,
    Body(body): Body<ChatLabel>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    session.label_chat(&body.label_id, &chat).await?;
    ok()
}

#[utoipa::path(
    delete,
    path = "/api/sessions/{id}/labels/chat/{chat}/{label}",
    operation_id = "chat_settings_remove_chat_label",
    tag = "Labels",
    summary = "Take a label off a chat",
    params(SessionPath, ("chat" = String, Path, description = "The chat id"), ("label" = String, Path, description = "The label id")),
    responses((status = 200, description = "Done", body = Success), Problems)
)]
async fn remove_chat_label(
    State(state): State<AppState>,
    Path((id, chat, label)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    session.unlabel_chat(&label, &chat).await?;
    ok()
}
