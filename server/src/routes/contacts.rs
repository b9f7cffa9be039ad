//! OpenWA's contact routes the engine serves: `GET S/contacts/check/:number` (is the number on
//! WhatsApp, operators only).

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::openapi::{Problems, SessionPath};
use crate::problem::{ApiError, ApiResult};
use crate::sessions;
use crate::state::AppState;
use crate::util::openwa_id;

/// The routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(check))
}

/// `{number, exists, whatsappId, lid}`: `number` as given, `whatsappId` in OpenWA's `…@c.us`
/// form, null when not on WhatsApp.
#[utoipa::path(
    get,
    path = "/api/sessions/{id}/contacts/check/{number}",
    operation_id = "contacts_check",
    tag = "Chats",
    summary = "Is a phone number on WhatsApp",
    params(SessionPath, ("number" = String, Path, description = "A phone number with country code")),
    responses((status = 200, description = "`{number, exists, whatsappId, lid}`", body = Object), Problems)
)]
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
        "number": status.input,
        "exists": status.exists,
        "whatsappId": status.jid.as_deref().map(openwa_id),
        "lid": status.lid,
    }))
    .into_response())
}
