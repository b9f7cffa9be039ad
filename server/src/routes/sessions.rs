//! `/api/sessions…`: create, list, get, start, stop, restart, logout, force-kill, delete, QR,
//! pairing code, proxy, stats.
//! Thin delegates to `SessionManager` / `Session`.

use std::collections::BTreeMap;

use axum::Extension;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use openwa::{ConnectionState, ProxyConfig};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::extract::{Body, Q};
use crate::openapi::{Binary, Problems, SessionPath};
use crate::problem::{ApiError, ApiResult};
use crate::scope::Scope;
use crate::sessions::{self, SessionBody, SessionRow};
use crate::state::AppState;
use crate::util::{new_id, now_ms};

/// The routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(show, remove))
        .routes(routes!(start))
        .routes(routes!(stop))
        .routes(routes!(restart))
        .routes(routes!(logout))
        .routes(routes!(force_kill))
        .routes(routes!(stats))
        .routes(routes!(qr))
        .routes(routes!(pairing_code))
        .routes(routes!(proxy, change_proxy))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateSession {
    name: String,
    #[serde(default)]
    config: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    proxy_url: Option<String>,
}

fn valid_name(name: &str) -> bool {
    (3..=50).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

#[utoipa::path(
    post,
    path = "/api/sessions",
    operation_id = "sessions_create",
    tag = "Sessions",
    summary = "Create a session",
    request_body = CreateSession,
    responses((status = 201, description = "The new session", body = SessionBody), Problems)
)]
async fn create(
    State(state): State<AppState>,
    Body(body): Body<CreateSession>,
) -> ApiResult<Response> {
    if !valid_name(&body.name) {
        return Err(ApiError::bad_request(
            "name must be 3-50 characters of A-Z, a-z, 0-9 and '-'",
        ));
    }
    if sessions::find(&state.db, &body.name).await?.is_some() {
        return Err(ApiError::conflict(format!(
            "session {:?} already exists",
            body.name
        )));
    }
    let mut options = state.config.session_options.clone();
    let config = body.config.unwrap_or_default();
    crate::routes::session_config::apply(
        &config,
        &mut options.reconnect,
        &mut options.send_pacing,
    )?;
    if let Some(proxy) = &body.proxy_url {
        ProxyConfig::parse(proxy)?;
        options.proxy = Some(proxy.clone());
    }
    let now = now_ms();
    let row = SessionRow {
        id: new_id(),
        name: body.name,
        config: serde_json::Value::Object(config).to_string(),
        proxy_url: body.proxy_url,
        created_at: now,
        updated_at: now,
    };
    let session = state.manager.create_session(&row.id, Some(options)).await?;
    if let Err(e) = sessions::insert(&state.db, &row).await {
        if let Err(undo) = state.manager.delete(&row.id).await {
            tracing::warn!("undoing session {}: {undo}", row.id);
        }
        // A concurrent create of the same name won the unique key.
        if sessions::find(&state.db, &row.name).await?.is_some() {
            return Err(ApiError::conflict(format!(
                "session {:?} already exists",
                row.name
            )));
        }
        return Err(e.into());
    }
    Ok((
        StatusCode::CREATED,
        Json(sessions::to_json(&row, &session, &state.board.get(&row.id))),
    )
        .into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    limit: Option<i64>,
    offset: Option<i64>,
    name: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/sessions",
    operation_id = "sessions_list",
    tag = "Sessions",
    summary = "List sessions",
    params(ListQuery),
    responses((status = 200, description = "The sessions the key may see", body = [SessionBody]), Problems)
)]
async fn list(
    State(state): State<AppState>,
    Extension(scope): Extension<Scope>,
    Q(query): Q<ListQuery>,
) -> ApiResult<Response> {
    if query.name.as_deref() == Some("") {
        return Err(ApiError::bad_request("name must be a non-empty value"));
    }
    let limit = query.limit.unwrap_or(1000).clamp(1, 1000);
    let offset = query.offset.unwrap_or(0).max(0);
    let rows = sessions::list(&state.db, query.name.as_deref(), limit, offset).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows.into_iter().filter(|r| scope.allows_session(&r.id)) {
        if let Ok(session) = state.manager.get(&row.id).await {
            out.push(sessions::to_json(&row, &session, &state.board.get(&row.id)));
        }
    }
    Ok(Json(out).into_response())
}

#[utoipa::path(
    get,
    path = "/api/sessions/{id}",
    operation_id = "sessions_show",
    tag = "Sessions",
    summary = "Get a session",
    params(SessionPath),
    responses((status = 200, description = "The session", body = SessionBody), Problems)
)]
async fn show(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let (row, session) = sessions::resolve(&state, &id).await?;
    Ok(Json(sessions::to_json(&row, &session, &state.board.get(&row.id))).into_response())
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/start",
    operation_id = "sessions_start",
    tag = "Sessions",
    summary = "Start (connect) a session",
    params(SessionPath),
    responses((status = 200, description = "The session", body = SessionBody), Problems)
)]
async fn start(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let (row, session) = sessions::resolve(&state, &id).await?;
    session.connect().await?;
    Ok(Json(sessions::to_json(&row, &session, &state.board.get(&row.id))).into_response())
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/stop",
    operation_id = "sessions_stop",
    tag = "Sessions",
    summary = "Stop (disconnect) a session",
    params(SessionPath),
    responses((status = 200, description = "The session", body = SessionBody), Problems)
)]
async fn stop(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let (row, session) = sessions::resolve(&state, &id).await?;
    session.disconnect().await?;
    state.board.clear_qr(&row.id);
    Ok(Json(sessions::to_json(&row, &session, &state.board.get(&row.id))).into_response())
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/restart",
    operation_id = "sessions_restart",
    tag = "Sessions",
    summary = "Restart a session",
    params(SessionPath),
    responses((status = 200, description = "The session", body = SessionBody), Problems)
)]
async fn restart(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let (row, session) = sessions::resolve(&state, &id).await?;
    session.disconnect().await?;
    state.board.clear_qr(&row.id);
    session.connect().await?;
    Ok(Json(sessions::to_json(&row, &session, &state.board.get(&row.id))).into_response())
}

/// Drops the connection at once, without the polite close `stop` makes (for a session that
/// seems stuck); the session keeps its link and can be started again.
#[utoipa::path(
    post,
    path = "/api/sessions/{id}/force-kill",
    operation_id = "sessions_force_kill",
    tag = "Sessions",
    summary = "Drop a session's connection at once",
    params(SessionPath),
    responses((status = 200, description = "The session", body = SessionBody), Problems)
)]
async fn force_kill(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let (row, session) = sessions::resolve(&state, &id).await?;
    session.disconnect().await?;
    state.board.clear_qr(&row.id);
    Ok(Json(sessions::to_json(&row, &session, &state.board.get(&row.id))).into_response())
}

/// How many sessions the key may see are in each status.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct StatsOverview {
    /// Every session.
    total: usize,
    /// Sessions not stopped: starting, waiting for a QR scan, linking or ready.
    active: usize,
    /// Sessions logged in and connected.
    ready: usize,
    /// Sessions `disconnected` or `failed`.
    disconnected: usize,
    /// The count per status name.
    by_status: BTreeMap<&'static str, usize>,
}

#[utoipa::path(
    get,
    path = "/api/sessions/stats/overview",
    operation_id = "sessions_stats",
    tag = "Sessions",
    summary = "Sessions per status",
    responses((status = 200, description = "The counts", body = StatsOverview), Problems)
)]
async fn stats(
    State(state): State<AppState>,
    Extension(scope): Extension<Scope>,
) -> ApiResult<Response> {
    let mut by_status: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut offset = 0;
    loop {
        let rows = sessions::list(&state.db, None, 1000, offset).await?;
        offset += 1000;
        for row in rows.iter().filter(|r| scope.allows_session(&r.id)) {
            if let Ok(session) = state.manager.get(&row.id).await {
                *by_status
                    .entry(sessions::status(&session, &state.board.get(&row.id)))
                    .or_default() += 1;
            }
        }
        if rows.len() < 1000 {
            break;
        }
    }
    let count = |names: &[&str]| -> usize { names.iter().filter_map(|n| by_status.get(n)).sum() };
    let total = by_status.values().sum();
    let overview = StatsOverview {
        total,
        active: count(&["initializing", "qr_ready", "authenticating", "ready"]),
        ready: count(&["ready"]),
        disconnected: count(&["disconnected", "failed"]),
        by_status,
    };
    Ok(Json(overview).into_response())
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/logout",
    operation_id = "sessions_logout",
    tag = "Sessions",
    summary = "Log a session out (unlink the device)",
    params(SessionPath),
    responses((status = 200, description = "The session", body = SessionBody), Problems)
)]
async fn logout(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let (row, session) = sessions::resolve(&state, &id).await?;
    session.logout().await?;
    state.board.clear_qr(&row.id);
    Ok(Json(sessions::to_json(&row, &session, &state.board.get(&row.id))).into_response())
}

#[utoipa::path(
    delete,
    path = "/api/sessions/{id}",
    operation_id = "sessions_remove",
    tag = "Sessions",
    summary = "Delete a session and its data",
    params(SessionPath),
    responses((status = 204, description = "Deleted"), Problems)
)]
async fn remove(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let (row, _) = sessions::resolve(&state, &id).await?;
    state.manager.delete(&row.id).await?;
    crate::webhooks::store::delete_for_session(&state.db, &row.id).await?;
    sessions::remove(&state.db, &row.id).await?;
    state.board.forget(&row.id);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `{qrCode: data URL, status}`; the PNG itself with `Accept: image/png`; the raw string with
/// `?format=raw` (`{value, status}`).
#[utoipa::path(
    get,
    path = "/api/sessions/{id}/qr",
    operation_id = "sessions_qr",
    tag = "Sessions",
    summary = "The QR code to link the session",
    params(SessionPath, QrQuery),
    responses((status = 200, description = "`{qrCode: data URL, status}`; `{value, status}` with `format=raw`; the PNG with `Accept: image/png`", content((Object = "application/json"), (inline(Binary) = "image/png"))), Problems)
)]
async fn qr(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Q(query): Q<QrQuery>,
) -> ApiResult<Response> {
    let (row, session) = sessions::resolve(&state, &id).await?;
    let status = sessions::status(&session, &state.board.get(&row.id));
    let code = match (session.state(), state.board.get(&row.id).qr) {
        (ConnectionState::WaitingForQr, Some(code)) => code,
        _ => {
            // OpenWA answers 400 here ("QR code not ready or session already authenticated").
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "not_available",
                format!(
                    "no QR code to scan: the session is {status} (start it and wait for qr_ready)"
                ),
            ));
        }
    };
    if query.format.as_deref() == Some("raw") {
        return Ok(Json(json!({ "value": code, "status": status })).into_response());
    }
    let png = openwa::qr_png(&code, 8)?;
    let wants_png = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("image/png"));
    if wants_png {
        return Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response());
    }
    let data_url = format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    );
    Ok(Json(json!({ "qrCode": data_url, "status": status })).into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct QrQuery {
    format: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PairingCodeRequest {
    phone_number: String,
}

/// Starts the session if needed, waits until it can link, and asks for a pairing code.
#[utoipa::path(
    post,
    path = "/api/sessions/{id}/pairing-code",
    operation_id = "sessions_pairing_code",
    tag = "Sessions",
    summary = "Link by phone number: get a pairing code",
    params(SessionPath),
    request_body = PairingCodeRequest,
    responses((status = 201, description = "`{pairingCode, status}`", body = Object), Problems)
)]
async fn pairing_code(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<PairingCodeRequest>,
) -> ApiResult<Response> {
    let (row, session) = sessions::resolve(&state, &id).await?;
    let phone = openwa::parse_phone_number(&body.phone_number)?;
    if session.is_paired() {
        return Err(ApiError::conflict("the session is linked already"));
    }
    if session.state() != ConnectionState::WaitingForQr {
        session.connect().await?;
        session
            .wait_for_state(ConnectionState::WaitingForQr, 30_000)
            .await?;
    }
    let code = session.pair_with_code(&phone).await?;
    let status = sessions::status(&session, &state.board.get(&row.id));
    Ok((
        StatusCode::CREATED,
        Json(json!({ "pairingCode": code, "status": status })),
    )
        .into_response())
}

/// `{enabled, proxyType, proxyHost, hasCredentials}`: the proxy the session was created with,
/// credentials never returned.
#[utoipa::path(
    get,
    path = "/api/sessions/{id}/proxy",
    operation_id = "sessions_proxy",
    tag = "Sessions",
    summary = "The session's proxy (credentials never returned)",
    params(SessionPath),
    responses((status = 200, description = "`{enabled, proxyType, proxyHost, hasCredentials}`", body = Object), Problems)
)]
async fn proxy(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let (row, _) = sessions::resolve(&state, &id).await?;
    let parsed = match &row.proxy_url {
        Some(url) => Some(ProxyConfig::parse(url)?),
        None => None,
    };
    let body = match parsed {
        Some(p) => json!({
            "enabled": true,
            "proxyType": match p.kind {
                openwa::ProxyKind::Http => "http",
                openwa::ProxyKind::Socks5 => "socks5",
            },
            "proxyHost": format!("{}:{}", p.host, p.port),
            "hasCredentials": p.credentials.is_some(),
        }),
        None => json!({
            "enabled": false,
            "proxyType": null,
            "proxyHost": null,
            "hasCredentials": false,
        }),
    };
    Ok(Json(body).into_response())
}

/// The engine keeps a session's network options from its creation.
#[utoipa::path(
    patch,
    path = "/api/sessions/{id}/proxy",
    operation_id = "sessions_change_proxy",
    tag = "Sessions",
    summary = "Change the proxy (not supported: answers 501)",
    params(SessionPath),
    responses(Problems)
)]
async fn change_proxy() -> ApiError {
    ApiError::unsupported("changing a session's proxy after creation (delete and create it again)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names() {
        assert!(valid_name("my-bot"));
        assert!(!valid_name("ab"));
        assert!(!valid_name("a b c"));
    }
}
