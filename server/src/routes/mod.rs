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
pub(crate) mod session_config;
mod sessions;
mod unsupported;
mod webhooks;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;

use crate::problem::ApiError;
use crate::state::AppState;

/// The whole API, with its OpenAPI document at `/api/openapi.json` and the docs page.
pub fn router(state: AppState) -> Router {
    let limit = state.config.max_body_bytes;
    let (api, document) = documented_routes(state.config.max_media_body_bytes).split_for_parts();
    api.merge(crate::openapi::router(&document))
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
            crate::middleware::rate_limit_key,
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

/// The OpenAPI document of [`router`].
pub fn document() -> utoipa::openapi::OpenApi {
    documented_routes(0).split_for_parts().1
}

/// Every route with its `#[utoipa::path]` description.
fn documented_routes(max_media_body_bytes: usize) -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(crate::openapi::ApiDoc::openapi())
        .merge(health::router())
        .merge(events::router())
        .merge(keys::router())
        .merge(sessions::router())
        .merge(session_config::router())
        .merge(messages::router())
        .merge(groups::router())
        .merge(media::router(max_media_body_bytes))
        .merge(actions::router())
        .merge(polls::router())
        .merge(presence::router())
        .merge(contacts::router())
        .merge(chats::router())
        .merge(chat_settings::router())
        .merge(webhooks::router())
        .merge(crate::audit::router())
        .merge(metrics::router())
        .merge(unsupported::router())
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
