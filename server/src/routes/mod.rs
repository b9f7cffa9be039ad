//! The HTTP router: every route group, the key guard, the body limit, and problem bodies for
//! unknown routes and methods.

mod actions;
mod chat_settings;
mod chats;
mod contacts;
mod events;
mod groups;
mod health;
mod keys;
mod media;
mod messages;
mod metrics;
mod polls;
mod presence;
mod sessions;
mod webhooks;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::problem::ApiError;
use crate::state::AppState;

pub use messages::UNSUPPORTED;

/// The whole API.
pub fn router(state: AppState) -> Router {
    let limit = state.config.max_body_bytes;
    Router::new()
        .merge(health::router())
        .merge(events::router())
        .merge(keys::router())
        .merge(sessions::router())
        .merge(messages::router())
        .merge(groups::router())
        .merge(media::router(state.config.max_media_body_bytes))
        .merge(actions::router())
        .merge(polls::router())
        .merge(presence::router())
        .merge(contacts::router())
        .merge(chats::router())
        .merge(chat_settings::router())
        .merge(webhooks::router())
        .merge(crate::audit::router())
        .merge(metrics::router())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::middleware::track,
        ))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::audit::record,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::auth::guard,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::middleware::rate_limit,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::middleware::detect,
        ))
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::map_response(crate::problem::as_problem))
        .with_state(state)
}

async fn not_found() -> Response {
    ApiError::not_found("no such endpoint").into_response()
}

async fn method_not_allowed() -> Response {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that method",
    )
    .into_response()
}
