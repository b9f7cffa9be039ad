//! Webhook management at OpenWA's paths: per-session CRUD and test, the delivery log, dead
//! letters and their redrive.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing::get, routing::post};
use serde::Deserialize;
use serde_json::json;

use crate::extract::{Body, Q};
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
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/sessions/{id}/webhooks", post(create).get(list))
        .route("/api/sessions/{id}/webhooks/deliveries", get(deliveries))
        .route(
            "/api/sessions/{id}/webhooks/{hook}",
            get(show).put(update).delete(remove),
        )
        .route("/api/sessions/{id}/webhooks/{hook}/test", post(test))
        .route("/api/webhooks", get(list_all))
        .route("/api/webhooks/delivery-failures", get(failures))
        .route(
            "/api/webhooks/delivery-failures/{delivery}/redrive",
            post(redrive),
        )
}

#[derive(Debug, Deserialize)]
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

#[derive(Debug, Deserialize)]
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

async fn list(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let (row, _) = sessions::resolve(&state, &id).await?;
    let hooks = store::list(&state.db, Some(&row.id)).await?;
    Ok(Json(hooks.iter().map(Webhook::to_json).collect::<Vec<_>>()).into_response())
}

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

async fn show(
    State(state): State<AppState>,
    Path((id, hook)): Path<(String, String)>,
) -> ApiResult<Response> {
    Ok(Json(find(&state, &id, &hook).await?.to_json()).into_response())
}

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

async fn remove(
    State(state): State<AppState>,
    Path((id, hook)): Path<(String, String)>,
) -> ApiResult<Response> {
    let hook = find(&state, &id, &hook).await?;
    store::delete(&state.db, &hook.id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Sends one `webhook.test` event now (not through the outbox): `{success, statusCode}`.
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

#[derive(Debug, Deserialize)]
struct DeliveryQuery {
    status: Option<String>,
    limit: Option<i64>,
}

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
