//! `/api/health`, `/api/health/live`, `/api/health/ready` (public).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;
use crate::util::{iso, now_ms};

/// The routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(live))
        .routes(routes!(ready))
}

#[utoipa::path(
    get,
    path = "/api/health",
    operation_id = "health_health",
    tag = "Operations",
    summary = "Health and time",
    security(()),
    responses((status = 200, description = "`{status, timestamp}`", body = Object))
)]
async fn health() -> Response {
    Json(json!({ "status": "ok", "timestamp": iso(now_ms()) })).into_response()
}

#[utoipa::path(
    get,
    path = "/api/health/live",
    operation_id = "health_live",
    tag = "Operations",
    summary = "Liveness",
    security(()),
    responses((status = 200, description = "`{status}`", body = Object))
)]
async fn live() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

/// Ready when the server's database answers.
#[utoipa::path(
    get,
    path = "/api/health/ready",
    operation_id = "health_ready",
    tag = "Operations",
    summary = "Readiness (the database answers)",
    security(()),
    responses((status = 200, description = "`{status}`", body = Object), (status = 503, description = "`{status, error}`", body = Object))
)]
async fn ready(State(state): State<AppState>) -> Response {
    match state.db.query("SELECT 1", vec![]).await {
        Ok(_) => Json(json!({ "status": "ok" })).into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "error", "error": e.to_string() })),
        )
            .into_response(),
    }
}
