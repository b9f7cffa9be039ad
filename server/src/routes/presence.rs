//! OpenWA's presence routes: own availability (`PUT S/presence`), a contact's presence
//! subscription (`POST S/presence/subscribe`) and typing indicators (`POST S/chats/typing`).
//! What contacts do arrives as `presence.update` webhooks and events.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing::post, routing::put};
use serde::Deserialize;
use serde_json::json;

use crate::extract::Body;
use crate::problem::{ApiError, ApiResult};
use crate::sessions;
use crate::state::AppState;

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/sessions/{id}/presence", put(set_presence))
        .route("/api/sessions/{id}/presence/subscribe", post(subscribe))
        .route("/api/sessions/{id}/chats/typing", post(typing))
}

fn done(status: StatusCode) -> Response {
    (status, Json(json!({ "success": true }))).into_response()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetPresence {
    available: bool,
}

async fn set_presence(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<SetPresence>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    session.set_presence(body.available).await?;
    Ok(done(StatusCode::OK))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Subscribe {
    chat_id: String,
}

async fn subscribe(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<Subscribe>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    session.subscribe_presence(&body.chat_id).await?;
    Ok(done(StatusCode::OK))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Typing {
    chat_id: String,
    state: String,
}

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
