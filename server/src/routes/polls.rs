//! Polls: OpenWA's send-poll and vote-poll (idempotent sends through
//! [`super::messages::idempotent_send`]), and the tally of a poll's votes (an addition).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::messages::{direct_chat, idempotent_send};
use crate::extract::Body;
use crate::idempotency::request_hash;
use crate::openapi::{ChatMessagePath, Problems, SendHeaders, SendResponses, SessionPath, Success};
use crate::problem::ApiResult;
use crate::sessions;
use crate::state::AppState;
use crate::util::openwa_id;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(send_poll))
        .routes(routes!(vote_poll))
        .routes(routes!(results))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SendPoll {
    chat_id: String,
    name: String,
    options: Vec<String>,
    /// Voters may choose several options (OpenWA's default: one).
    #[serde(default)]
    allow_multiple_answers: bool,
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/messages/send-poll",
    operation_id = "polls_send_poll",
    tag = "Polls",
    summary = "Send a poll",
    params(SessionPath, SendHeaders),
    request_body = SendPoll,
    responses(SendResponses, Problems)
)]
async fn send_poll(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body<SendPoll>,
) -> ApiResult<Response> {
    let chat = direct_chat(&body.chat_id)?;
    let selectable = if body.allow_multiple_answers { 0 } else { 1 };
    let mut parts = vec!["send-poll", chat.as_str(), body.name.as_str()];
    parts.extend(body.options.iter().map(String::as_str));
    parts.push(if body.allow_multiple_answers {
        "multi"
    } else {
        "single"
    });
    let hash = request_hash(&parts);
    let SendPoll { name, options, .. } = body;
    idempotent_send(
        &state,
        &id,
        &headers,
        hash,
        move |session, send| async move {
            session
                .send_poll(&chat, &name, options, selectable, send)
                .await
        },
    )
    .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct VotePoll {
    chat_id: String,
    /// The poll's message id.
    message_id: String,
    /// The names of the chosen options; empty withdraws the vote.
    selected_options: Vec<String>,
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/messages/vote-poll",
    operation_id = "polls_vote_poll",
    tag = "Polls",
    summary = "Vote on a poll (an empty list withdraws)",
    params(SessionPath),
    request_body = VotePoll,
    responses((status = 200, description = "Done", body = Success), Problems)
)]
async fn vote_poll(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body<VotePoll>,
) -> ApiResult<Response> {
    let chat = direct_chat(&body.chat_id)?;
    let mut parts = vec!["vote-poll", chat.as_str(), body.message_id.as_str()];
    parts.extend(body.selected_options.iter().map(String::as_str));
    let hash = request_hash(&parts);
    let VotePoll {
        message_id,
        selected_options,
        ..
    } = body;
    idempotent_send(
        &state,
        &id,
        &headers,
        hash,
        move |session, send| async move {
            session
                .vote_poll(&chat, &message_id, selected_options, send)
                .await
        },
    )
    .await
}

#[utoipa::path(
    get,
    path = "/api/sessions/{id}/messages/{chat}/{message}/poll",
    operation_id = "polls_results",
    tag = "Polls",
    summary = "A poll and its votes",
    params(ChatMessagePath),
    responses((status = 200, description = "`{chatId, messageId, name, options, votes}`", body = Object), Problems)
)]
async fn results(
    State(state): State<AppState>,
    Path((id, chat, poll_id)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    let results = session.poll_results(&chat, &poll_id).await?;
    let options: Vec<_> = results
        .options
        .iter()
        .map(|o| {
            let voters: Vec<String> = o.voters.iter().map(|v| openwa_id(v)).collect();
            json!({ "name": o.name, "votes": voters.len(), "voters": voters })
        })
        .collect();
    Ok(Json(json!({
        "chatId": openwa_id(&results.chat),
        "messageId": results.poll_id,
        "name": results.name,
        "selectableCount": results.selectable_count,
        "allowMultipleAnswers": results.selectable_count != 1,
        "options": options,
    }))
    .into_response())
}
