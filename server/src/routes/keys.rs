//! `/api/auth/api-keys` (admin): create (the key is shown once), list, get, revoke, delete;
//! `/api/auth/validate`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::extract::Body;
use crate::keys::{self, Role};
use crate::openapi::{Problems, Success};
use crate::problem::{ApiError, ApiResult};
use crate::scope::{self, Scope};
use crate::state::AppState;
use crate::util::{now_ms, parse_iso};

/// The routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(show, remove))
        .routes(routes!(revoke))
        .routes(routes!(validate))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateKey {
    name: String,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    allowed_ips: Option<Vec<String>>,
    #[serde(default)]
    allowed_sessions: Option<Vec<String>>,
    #[serde(default)]
    allowed_chats: Option<Vec<String>>,
    #[serde(default)]
    expires_at: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/auth/api-keys",
    operation_id = "keys_create",
    tag = "Auth",
    summary = "Create an API key (shown once)",
    request_body = CreateKey,
    responses((status = 201, description = "The key, with its secret this once", body = Object), Problems)
)]
async fn create(State(state): State<AppState>, Body(body): Body<CreateKey>) -> ApiResult<Response> {
    if !(3..=100).contains(&body.name.chars().count()) {
        return Err(ApiError::bad_request("name must be 3-100 characters"));
    }
    if body.allowed_chats.as_ref().is_some_and(|l| !l.is_empty()) {
        return Err(ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            "unsupported",
            "allowedChats is not supported yet",
        ));
    }
    let expires_at = match body.expires_at.as_deref() {
        None => None,
        Some(text) => match parse_iso(text) {
            Some(at) if at > now_ms() => Some(at),
            Some(_) => return Err(ApiError::bad_request("expiresAt must be in the future")),
            None => {
                return Err(ApiError::bad_request(
                    "expiresAt must be an ISO 8601 time such as 2027-01-31T12:00:00Z",
                ));
            }
        },
    };
    let scope = Scope {
        sessions: body.allowed_sessions.unwrap_or_default(),
        ips: body.allowed_ips.unwrap_or_default(),
    };
    if let Some(bad) = scope.ips.iter().find(|ip| !scope::valid_block(ip)) {
        return Err(ApiError::bad_request(format!(
            "allowedIps: {bad:?} is not an IP address or CIDR block"
        )));
    }
    let role = match body.role.as_deref() {
        None => Role::Operator,
        Some(name) => Role::parse(name)
            .ok_or_else(|| ApiError::bad_request("role must be one of admin, operator, viewer"))?,
    };
    let (shown, _) = keys::create(&state.db, &body.name, role, &scope, expires_at).await?;
    Ok((StatusCode::CREATED, Json(shown)).into_response())
}

#[utoipa::path(
    get,
    path = "/api/auth/api-keys",
    operation_id = "keys_list",
    tag = "Auth",
    summary = "API keys",
    responses((status = 200, description = "The keys (never their secrets)", body = [Object]), Problems)
)]
async fn list(State(state): State<AppState>) -> ApiResult<Response> {
    Ok(Json(keys::list_all(&state.db).await?).into_response())
}

#[utoipa::path(
    get,
    path = "/api/auth/api-keys/{key}",
    operation_id = "keys_show",
    tag = "Auth",
    summary = "One API key",
    params(("key" = String, Path, description = "The API key id")),
    responses((status = 200, description = "The key", body = Object), Problems)
)]
async fn show(State(state): State<AppState>, Path(key): Path<String>) -> ApiResult<Response> {
    match keys::get(&state.db, &key).await? {
        Some(shown) => Ok(Json(shown).into_response()),
        None => Err(ApiError::not_found(format!("API key {key:?} not found"))),
    }
}

#[utoipa::path(
    delete,
    path = "/api/auth/api-keys/{key}",
    operation_id = "keys_remove",
    tag = "Auth",
    summary = "Delete an API key",
    params(("key" = String, Path, description = "The API key id")),
    responses((status = 204, description = "Deleted"), Problems)
)]
async fn remove(State(state): State<AppState>, Path(key): Path<String>) -> ApiResult<Response> {
    if keys::is_last_admin(&state.db, &key).await? {
        return Err(ApiError::bad_request("cannot remove the last admin key"));
    }
    if !keys::delete(&state.db, &key).await? {
        return Err(ApiError::not_found(format!("API key {key:?} not found")));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(
    post,
    path = "/api/auth/api-keys/{key}/revoke",
    operation_id = "keys_revoke",
    tag = "Auth",
    summary = "Revoke an API key",
    params(("key" = String, Path, description = "The API key id")),
    responses((status = 200, description = "Done", body = Success), Problems)
)]
async fn revoke(State(state): State<AppState>, Path(key): Path<String>) -> ApiResult<Response> {
    if keys::is_last_admin(&state.db, &key).await? {
        return Err(ApiError::bad_request("cannot revoke the last admin key"));
    }
    if !keys::revoke(&state.db, &key).await? {
        return Err(ApiError::not_found(format!("API key {key:?} not found")));
    }
    Ok(Json(json!({ "success": true })).into_response())
}

/// Reached only with a valid key (the guard ran first).
#[utoipa::path(
    post,
    path = "/api/auth/validate",
    operation_id = "keys_validate",
    tag = "Auth",
    summary = "Check the presented key",
    responses((status = 200, description = "`{valid: true}`", body = Object), Problems)
)]
async fn validate() -> Response {
    Json(json!({ "valid": true })).into_response()
}
