//! Webhook management at OpenWA's paths: per-session CRUD and test, the delivery log, dead
//! letters and their redrive.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::extract::{Body, Q};
use crate::openapi::{Problems, SessionPath};
use crate::problem::{ApiError, ApiResult};
use crate::sessions;
use crate::state::AppState;
use crate::util::{iso, now_ms, random_hex};
use crate::webhooks::filters::{self, Filters};
use crate::webhooks::store::{self, Webhook};
use crate::webhooks::{EVENT_NAMES, guard, worker};

/// Most webhooks per session (OpenWA's limit).
const MAX_PER_SESSION: usize = 16;

/// The routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(deliveries))
        .routes(routes!(show, update, remove))
        .routes(routes!(test))
        .routes(routes!(list_all))
        .routes(routes!(failures))
        .routes(routes!(redrive))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateWebhook {
    url: String,
    #[serde(default)]
    events: Option<Vec<String>>,
    #[serde(default)]
    secret: Option<String>,
    #[serde(default)]
    headers: Option<BTreeMap<String, String>>,
    #[serde(default)]
    retry_count: Option<i64>,
    #[serde(default)]
    filters: Option<Filters>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct UpdateWebhook {
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    events: Option<Vec<String>>,
    #[serde(default)]
    secret: Option<String>,
    #[serde(default)]
    headers: Option<BTreeMap<String, String>>,
    #[serde(default)]
    active: Option<bool>,
    #[serde(default)]
    retry_count: Option<i64>,
    #[serde(default)]
    filters: Option<Filters>,
}

fn check_url(state: &AppState, url: &str) -> ApiResult<()> {
    guard::check(url, state.config.webhook_allow_private).map_err(ApiError::bad_request)
}

fn check_events(events: &[String]) -> ApiResult<()> {
    if events.is_empty() {
        return Err(ApiError::bad_request("events must not be empty"));
    }
    match events
        .iter()
        .find(|e| *e != "*" && !EVENT_NAMES.contains(&e.as_str()))
    {
        Some(bad) => Err(ApiError::bad_request(format!(
            "unknown event {bad:?}; known: * {}",
            EVENT_NAMES.join(" ")
        ))),
        None => Ok(()),
    }
}

fn check_secret(secret: &str) -> ApiResult<()> {
    if (16..=255).contains(&secret.len()) {
        Ok(())
    } else {
        Err(ApiError::bad_request("secret must be 16-255 characters"))
    }
}

fn check_retry(retry: i64) -> ApiResult<()> {
    if (0..=5).contains(&retry) {
        Ok(())
    } else {
        Err(ApiError::bad_request("retryCount must be 0-5"))
    }
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/webhooks",
    operation_id = "webhooks_create",
    tag = "Webhooks",
    summary = "Register a webhook",
    params(SessionPath),
    request_body = CreateWebhook,
    responses((status = 201, description = "The webhook (secret never returned)", body = Object), Problems)
)]
async fn create(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<CreateWebhook>,
) -> ApiResult<Response> {
    let (row, _) = sessions::resolve(&state, &id).await?;
    if let Some(filters) = &body.filters {
        filters::validate(filters).map_err(ApiError::bad_request)?;
    }
    check_url(&state, &body.url)?;
    let events = body.events.unwrap_or_else(|| vec!["*".into()]);
    check_events(&events)?;
    if let Some(secret) = &body.secret {
        check_secret(secret)?;
    }
    let retry_count = body.retry_count.unwrap_or(3);
    check_retry(retry_count)?;
    if store::list(&state.db, Some(&row.id)).await?.len() >= MAX_PER_SESSION {
        return Err(ApiError::bad_request(format!(
            "a session has at most {MAX_PER_SESSION} webhooks"
        )));
    }
    let hook = store::insert(
        &state.db,
        Webhook {
            id: String::new(),
            session_id: row.id,
            url: body.url,
            events,
            secret: body.secret,
            headers: body.headers.unwrap_or_default(),
            active: true,
            retry_count,
            filters: body.filters,
            last_triggered_at: None,
            created_at: 0,
            updated_at: 0,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(hook.to_json())).into_response())
}

#[utoipa::path(
    get,
    path = "/api/sessions/{id}/webhooks",
    operation_id = "webhooks_list",
    tag = "Webhooks",
    summary = "The session's webhooks",
    params(SessionPath),
    responses((status = 200, description = "The webhooks", body = [Object]), Problems)
)]
async fn list(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let (row, _) = sessions::resolve(&state, &id).await?;
    let hooks = store::list(&state.db, Some(&row.id)).await?;
    Ok(Json(hooks.iter().map(Webhook::to_json).collect::<Vec<_>>()).into_response())
}

#[utoipa::path(
    get,
    path = "/api/webhooks",
    operation_id = "webhooks_list_all",
    tag = "Webhooks",
    summary = "Every webhook the key may see",
    responses((status = 200, description = "The webhooks", body = [Object]), Problems)
)]
async fn list_all(State(state): State<AppState>) -> ApiResult<Response> {
    let hooks = store::list(&state.db, None).await?;
    Ok(Json(hooks.iter().map(Webhook::to_json).collect::<Vec<_>>()).into_response())
}

/// The webhook `hook` of session `id`, or 404.
async fn find(state: &AppState, id: &str, hook: &str) -> ApiResult<Webhook> {
    let (row, _) = sessions::resolve(state, id).await?;
    match store::get(&state.db, hook).await? {
        Some(h) if h.session_id == row.id => Ok(h),
        _ => Err(ApiError::not_found(format!("webhook {hook:?} not found"))),
    }
}

#[utoipa::path(
    get,
    path = "/api/sessions/{id}/webhooks/{hook}",
    operation_id = "webhooks_show",
    tag = "Webhooks",
    summary = "One webhook",
    params(SessionPath, ("hook" = String, Path, description = "The webhook id")),
    responses((status = 200, description = "The webhook", body = Object), Problems)
)]
async fn show(
    State(state): State<AppState>,
    Path((id, hook)): Path<(String, String)>,
) -> ApiResult<Response> {
    Ok(Json(find(&state, &id, &hook).await?.to_json()).into_response())
}

#[utoipa::path(
    put,
    path = "/api/sessions/{id}/webhooks/{hook}",
    operation_id = "webhooks_update",
    tag = "Webhooks",
    summary = "Change a webhook",
    params(SessionPath, ("hook" = String, Path, description = "The webhook id")),
    request_body = UpdateWebhook,
    responses((status = 200, description = "The webhook", body = Object), Problems)
)]
async fn update(
    State(state): State<AppState>,
    Path((id, hook)): Path<(String, String)>,
    Body(body): Body<UpdateWebhook>,
) -> ApiResult<Response> {
    let mut hook = find(&state, &id, &hook).await?;
    if let Some(url) = body.url {
        check_url(&state, &url)?;
        hook.url = url;
    }
    if let Some(events) = body.events {
        check_events(&events)?;
        hook.events = events;
    }
    if let Some(secret) = body.secret {
        check_secret(&secret)?;
        hook.secret = Some(secret);
    }
    if let Some(headers) = body.headers {
        hook.headers = headers;
    }
    if let Some(active) = body.active {
        hook.active = active;
    }
    if let Some(retry) = body.retry_count {
        check_retry(retry)?;
        hook.retry_count = retry;
    }
    if let Some(filters) = body.filters {
        filters::validate(&filters).map_err(ApiError::bad_request)?;
        hook.filters = (!filters.conditions.is_empty()).then_some(filters);
    }
    store::update(&state.db, &hook).await?;
    let hook = store::get(&state.db, &hook.id).await?.unwrap_or(hook);
    Ok(Json(hook.to_json()).into_response())
}

#[utoipa::path(
    delete,
    path = "/api/sessions/{id}/webhooks/{hook}",
    operation_id = "webhooks_remove",
    tag = "Webhooks",
    summary = "Delete a webhook",
    params(SessionPath, ("hook" = String, Path, description = "The webhook id")),
    responses((status = 204, description = "Deleted"), Problems)
)]
async fn remove(
    State(state): State<AppState>,
    Path((id, hook)): Path<(String, String)>,
) -> ApiResult<Response> {
    let hook = find(&state, &id, &hook).await?;
    store::delete(&state.db, &hook.id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Sends one `webhook.test` event now (not through the outbox): `{success, statusCode}`.
#[utoipa::path(
    post,
    path = "/api/sessions/{id}/webhooks/{hook}/test",
    operation_id = "webhooks_test",
    tag = "Webhooks",
    summary = "Send a `webhook.test` event now",
    params(SessionPath, ("hook" = String, Path, description = "The webhook id")),
    responses((status = 200, description = "`{success, statusCode}`", body = Object), Problems)
)]
async fn test(
    State(state): State<AppState>,
    Path((id, hook)): Path<(String, String)>,
) -> ApiResult<Response> {
    let hook = find(&state, &id, &hook).await?;
    let delivery_id = format!("dlv_{}", random_hex(16));
    let key = format!("test_{delivery_id}_{}", hook.id);
    let body = json!({
        "event": "webhook.test",
        "timestamp": iso(now_ms()),
        "sessionId": hook.session_id,
        "idempotencyKey": key,
        "deliveryId": delivery_id,
        "data": { "message": "OpenWA webhook test" },
    })
    .to_string();
    let client = guard::client(state.config.webhook_allow_private)
        .map_err(|e| ApiError::internal(format!("HTTP client: {e}")))?;
    let attempt = worker::post(
        &client,
        &hook,
        "webhook.test",
        &key,
        &delivery_id,
        0,
        body.as_bytes(),
        state.config.webhook_timeout_ms,
    )
    .await;
    Ok(Json(json!({
        "success": attempt.error.is_none(),
        "statusCode": attempt.status,
        "error": attempt.error,
    }))
    .into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct DeliveryQuery {
    status: Option<String>,
    limit: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/api/sessions/{id}/webhooks/deliveries",
    operation_id = "webhooks_deliveries",
    tag = "Webhooks",
    summary = "The session's delivery log",
    params(SessionPath, DeliveryQuery),
    responses((status = 200, description = "Deliveries", body = [Object]), Problems)
)]
async fn deliveries(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Q(query): Q<DeliveryQuery>,
) -> ApiResult<Response> {
    let (row, _) = sessions::resolve(&state, &id).await?;
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let rows = store::deliveries(&state.db, Some(&row.id), query.status.as_deref(), limit).await?;
    Ok(Json(
        rows.iter()
            .map(store::Delivery::to_json)
            .collect::<Vec<_>>(),
    )
    .into_response())
}

#[utoipa::path(
    get,
    path = "/api/webhooks/delivery-failures",
    operation_id = "webhooks_failures",
    tag = "Webhooks",
    summary = "Dead letters",
    params(DeliveryQuery),
    responses((status = 200, description = "Deliveries", body = [Object]), Problems)
)]
async fn failures(
    State(state): State<AppState>,
    Q(query): Q<DeliveryQuery>,
) -> ApiResult<Response> {
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let rows = store::deliveries(&state.db, None, Some("dead"), limit).await?;
    Ok(Json(
        rows.iter()
            .map(store::Delivery::to_json)
            .collect::<Vec<_>>(),
    )
    .into_response())
}

#[utoipa::path(
    post,
    path = "/api/webhooks/delivery-failures/{delivery}/redrive",
    operation_id = "webhooks_redrive",
    tag = "Webhooks",
    summary = "Deliver a dead letter again",
    params(("delivery" = String, Path, description = "The delivery id")),
    responses((status = 200, description = "`{success, id}`", body = Object), Problems)
)]
async fn redrive(
    State(state): State<AppState>,
    Path(delivery): Path<String>,
) -> ApiResult<Response> {
    let id: i64 = delivery
        .parse()
        .map_err(|_| ApiError::bad_request(format!("delivery id {delivery:?} is not a number")))?;
    if !store::redrive(&state.db, id).await? {
        return Err(ApiError::not_found(format!("no dead delivery {id}")));
    }
    state.outbox_wake.notify_one();
    Ok(Json(json!({ "success": true, "id": delivery })).into_response())
}
