//! `/api/health`, `/api/health/live`, `/api/health/ready` (public).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing::get};
use serde_json::json;

use crate::state::AppState;
use crate::util::{iso, now_ms};

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/health", get(health))
        .route("/api/health/live", get(live))
        .route("/api/health/ready", get(ready))
}

async fn health() -> Response {
    Json(json!({ "status": "ok", "timestamp": iso(now_ms()) })).into_response()
}

async fn live() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

/// Ready when the server's database answers.
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
