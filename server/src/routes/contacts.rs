//! OpenWA's contact routes the engine serves: `GET S/contacts/check/:number` (is the number on
//! WhatsApp, operators only).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing::get};
use serde_json::json;

use crate::problem::{ApiError, ApiResult};
use crate::sessions;
use crate::state::AppState;
use crate::util::openwa_id;

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/sessions/{id}/contacts/check/{number}", get(check))
}

/// `{exists, whatsappId, lid}`; `whatsappId` in OpenWA's `…@c.us` form, null when not on
/// WhatsApp.
async fn check(
    State(state): State<AppState>,
    Path((id, number)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    let mut statuses = session.check_numbers(vec![number]).await?;
    let status = statuses
        .pop()
        .ok_or_else(|| ApiError::internal("the number check answered nothing"))?;
    Ok(Json(json!({
        "exists": status.exists,
        "whatsappId": status.jid.as_deref().map(openwa_id),
        "lid": status.lid,
    }))
    .into_response())
}
