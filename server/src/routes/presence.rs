//! OpenWA's presence routes: own availability (`PUT S/presence`), a contact's presence
//! subscription (`POST S/presence/subscribe`) and typing indicators (`POST S/chats/typing`).
//! What contacts do arrives as `presence.update` webhooks and events.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::extract::Body;
use crate::openapi::{Problems, SessionPath, Success};
use crate::problem::{ApiError, ApiResult};
use crate::sessions;
use crate::state::AppState;

/// The routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(set_presence))
        .routes(routes!(subscribe))
        .routes(routes!(typing))
}

fn done(status: StatusCode) -> Response {
    (status, Json(json!({ "success": true }))).into_response()
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SetPresence {
    available: bool,
}

#[utoipa::path(
    put,
    path = "/api/sessions/{id}/presence",
    operation_id = "presence_set_presence",
    tag = "Presence",
    summary = "Set own presence",
    params(SessionPath),
    request_body = SetPresence,
    responses((status = 200, description = "Done", body = Success), Problems)
)]
async fn set_presence(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<SetPresence>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    session.set_presence(body.available).await?;
    Ok(done(StatusCode::OK))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Subscribe {
    chat_id: String,
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/presence/subscribe",
    operation_id = "presence_subscribe",
    tag = "Presence",
    summary = "Subscribe to a contact's presence",
    params(SessionPath),
    request_body = Subscribe,
    responses((status = 200, description = "Done", body = Success), Problems)
)]
async fn subscribe(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<Subscribe>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    session.subscribe_presence(&body.chat_id).await?;
    Ok(done(StatusCode::OK))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Typing {
    chat_id: String,
    state: String,
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/chats/typing",
    operation_id = "presence_typing",
    tag = "Presence",
    summary = "Show typing or recording in a chat",
    params(SessionPath),
    request_body = Typing,
    responses((status = 201, description = "Sent", body = Success), Problems)
)]
async fn typing(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<Typing>,
) -> ApiResult<Response> {
    let chat_state = match body.state.as_str() {
        "typing" | "composing" => openwa::ChatState::Typing,
        "recording" => openwa::ChatState::Recording,
        "paused" | "stop" => openwa::ChatState::Paused,
        other => {
            return Err(ApiError::bad_request(format!(
                "state must be typing, recording or paused, not {other:?}"
            )));
        }
    };
    let (_, session) = sessions::resolve(&state, &id).await?;
    session.send_chat_state(&body.chat_id, chat_state).await?;
    Ok(done(StatusCode::CREATED))
}
