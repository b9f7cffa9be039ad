//! The request middlewares that need the application state: the client address, the rate
//! limit and the metrics of each request. (The key guard is the `auth` module, the audit log
//! the `audit` module.)

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::Caller;
use crate::client_ip::{ClientIp, resolve};
use crate::problem::ApiError;
use crate::state::AppState;

/// Puts [`ClientIp`] into the request.
pub async fn detect(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(peer) = peer {
        let forwarded: Vec<&str> = request
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let client = resolve(peer, &state.config.trusted_proxies, &forwarded);
        request.extensions_mut().insert(ClientIp(client));
    }
    next.run(request).await
}

/// Answers 429 to a client over a rate limit tier (health routes are exempt).
pub async fn rate_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let exempt = path == "/api/health" || path.starts_with("/api/health/");
    let peer = request.extensions().get::<ClientIp>().map(|c| c.0);
    let verdict = match (exempt, peer) {
        (false, Some(peer)) => state.limiter.check(peer).map_err(|after| (peer, after)),
        _ => Ok(()),
    };
    if let Err((peer, retry_after)) = verdict {
        return too_many(format!("too many requests from {peer}"), retry_after);
    }
    next.run(request).await
}

/// Rate limiting per API key (after the key guard, which names the key in the request).
pub async fn rate_limit_key(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let key_id = request
        .extensions()
        .get::<Caller>()
        .and_then(|c| c.key_id.clone());
    if let Some(key_id) = key_id
        && let Err(retry_after) = state.key_limiter.check(key_id)
    {
        return too_many(
            "too many requests with this API key".to_owned(),
            retry_after,
        );
    }
    next.run(request).await
}

/// 429 `rate_limited` with `Retry-After`.
fn too_many(what: String, retry_after: u64) -> Response {
    let mut response = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("{what}; retry in {retry_after} s"),
    )
    .into_response();
    if let Ok(value) = HeaderValue::from_str(&retry_after.to_string()) {
        response.headers_mut().insert("retry-after", value);
    }
    response
}

/// Counts and times every request by its route pattern.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let start = Instant::now();
    let response = next.run(request).await;
    state
        .metrics
        .request(&method, &route, response.status().as_u16(), start.elapsed());
    response
}
