//! The admin HTTP JSON API (documented in `simulator/README.md` and served as OpenAPI at
//! `/admin/openapi.json`).

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::Deserialize;
use serde_json::json;

use crate::faults::FaultRequest;
use crate::phone::PhoneError;
use crate::provision::{ProvisionError, ProvisionRequest, provision};
use crate::sim::{LinkError, Sim};
use crate::state::StateError;

/// The OpenAPI 3 document describing this API.
pub const OPENAPI_JSON: &str = include_str!("openapi.json");

/// An admin API error: HTTP status plus a JSON body `{"error", "message"}`.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Invalid request (400).
    #[error("{0}")]
    BadRequest(String),
    /// Not found (404).
    #[error("{0}")]
    NotFound(String),
    /// Conflicts with the current state (409).
    #[error("{0}")]
    Conflict(String),
    /// The companion failed the pairing (422).
    #[error("{0}")]
    PairingFailed(String),
    /// The companion did not answer in time (504).
    #[error("{0}")]
    Timeout(String),
    /// The simulator failed (500), e.g. a phone could not encrypt.
    #[error("{0}")]
    Internal(String),
}

impl AdminError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            AdminError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            AdminError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            AdminError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            AdminError::PairingFailed(_) => (StatusCode::UNPROCESSABLE_ENTITY, "pairing_failed"),
            AdminError::Timeout(_) => (StatusCode::GATEWAY_TIMEOUT, "timeout"),
            AdminError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        (
            status,
            Json(json!({ "error": code, "message": self.to_string() })),
        )
            .into_response()
    }
}

impl From<StateError> for AdminError {
    fn from(e: StateError) -> Self {
        match e {
            StateError::InvalidPhone(_) | StateError::CannotRemovePhone => {
                AdminError::BadRequest(e.to_string())
            }
            StateError::AccountExists(_) | StateError::TooManyDevices(_) => {
                AdminError::Conflict(e.to_string())
            }
            StateError::NoSuchAccount(_)
            | StateError::NoSuchDevice { .. }
            | StateError::NoSuchGroup(_) => AdminError::NotFound(e.to_string()),
        }
    }
}

impl From<LinkError> for AdminError {
    fn from(e: LinkError) -> Self {
        match e {
            LinkError::BadInput(_) => AdminError::BadRequest(e.to_string()),
            LinkError::NotFound(_) => AdminError::NotFound(e.to_string()),
            LinkError::Failed(_) => AdminError::PairingFailed(e.to_string()),
            LinkError::Timeout(_) => AdminError::Timeout(e.to_string()),
        }
    }
}

impl From<PhoneError> for AdminError {
    fn from(e: PhoneError) -> Self {
        match e {
            PhoneError::State(state) => state.into(),
            PhoneError::UnknownRecipient(_) | PhoneError::NotFound(_) => {
                AdminError::NotFound(e.to_string())
            }
            PhoneError::BadRequest(_) => AdminError::BadRequest(e.to_string()),
            PhoneError::Signal(_)
            | PhoneError::Padding(_)
            | PhoneError::Protobuf(_)
            | PhoneError::Media(_) => AdminError::Internal(e.to_string()),
        }
    }
}

impl From<JsonRejection> for AdminError {
    fn from(e: JsonRejection) -> Self {
        AdminError::BadRequest(e.body_text())
    }
}

type ApiResult = Result<Response, AdminError>;

fn ok(value: impl serde::Serialize) -> ApiResult {
    Ok(Json(value).into_response())
}

fn created(value: impl serde::Serialize) -> ApiResult {
    Ok((StatusCode::CREATED, Json(value)).into_response())
}

/// The admin routes.
pub fn router(sim: Arc<Sim>, tls_cert_pem: String) -> Router {
    Router::new()
        .route("/admin/health", get(health))
        .route("/admin/openapi.json", get(openapi))
        .route(
            "/admin/tls-cert",
            get(move || async move {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/x-pem-file")],
                    tls_cert_pem,
                )
            }),
        )
        .route("/admin/accounts", post(create_account).get(list_accounts))
        .route("/admin/accounts/{phone}/link", post(link_qr))
        .route("/admin/accounts/{phone}/link-code", post(link_code))
        .route(
            "/admin/accounts/{phone}/devices",
            get(list_devices).post(provision_device),
        )
        .route(
            "/admin/accounts/{phone}/devices/{device}",
            delete(remove_device),
        )
        .route(
            "/admin/accounts/{phone}/messages",
            get(list_messages).post(send_message),
        )
        .route(
            "/admin/accounts/{phone}/messages/{id}/read",
            post(read_message),
        )
        .route(
            "/admin/accounts/{phone}/messages/{id}/media",
            get(message_media),
        )
        .route("/admin/accounts/{phone}/groups", post(create_group))
        .route("/admin/accounts/{phone}/history", post(seed_history))
        .route(
            "/admin/accounts/{phone}/app-state",
            get(app_state::get_state).post(app_state::change),
        )
        .route(
            "/admin/accounts/{phone}/app-state/fault",
            post(app_state::fault),
        )
        .route(
            "/admin/accounts/{phone}/app-state/key",
            post(app_state::rotate),
        )
        .route(
            "/admin/faults",
            post(apply_fault).get(active_faults).delete(clear_faults),
        )
        .fallback(|| async {
            AdminError::NotFound("no such admin endpoint; see /admin/openapi.json".into())
        })
        .with_state(sim)
}

async fn health(State(sim): State<Arc<Sim>>) -> ApiResult {
    ok(sim.health())
}

async fn openapi() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI_JSON,
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateAccount {
    phone: String,
    #[serde(default)]
    name: Option<String>,
}

async fn create_account(
    State(sim): State<Arc<Sim>>,
    body: Result<Json<CreateAccount>, JsonRejection>,
) -> ApiResult {
    let Json(body) = body?;
    let phone = body.phone.trim_start_matches('+');
    let name = body.name.unwrap_or_else(|| format!("Phone {phone}"));
    created(sim.create_account(phone, &name)?)
}

async fn list_accounts(State(sim): State<Arc<Sim>>) -> ApiResult {
    ok(sim.accounts())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkQr {
    qr: String,
}

async fn link_qr(
    State(sim): State<Arc<Sim>>,
    Path(phone): Path<String>,
    body: Result<Json<LinkQr>, JsonRejection>,
) -> ApiResult {
    let Json(body) = body?;
    ok(sim.link_qr(&phone, &body.qr).await?)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkCode {
    code: String,
}

async fn link_code(
    State(sim): State<Arc<Sim>>,
    Path(phone): Path<String>,
    body: Result<Json<LinkCode>, JsonRejection>,
) -> ApiResult {
    let Json(body) = body?;
    ok(sim.link_code(&phone, &body.code).await?)
}

async fn list_devices(State(sim): State<Arc<Sim>>, Path(phone): Path<String>) -> ApiResult {
    ok(sim.devices(&phone)?)
}

async fn provision_device(
    State(sim): State<Arc<Sim>>,
    Path(phone): Path<String>,
    body: Result<Json<ProvisionRequest>, JsonRejection>,
) -> ApiResult {
    let Json(body) = body?;
    match provision(&sim, &phone, body) {
        Ok(linked) => created(linked),
        Err(ProvisionError::BadSignature) => Err(AdminError::BadRequest(
            ProvisionError::BadSignature.to_string(),
        )),
        Err(ProvisionError::State(e)) => Err(e.into()),
    }
}

async fn remove_device(
    State(sim): State<Arc<Sim>>,
    Path((phone, device)): Path<(String, String)>,
) -> ApiResult {
    let device: u16 = device
        .parse()
        .map_err(|_| AdminError::BadRequest(format!("device {device:?} is not a number")))?;
    sim.remove_device(&phone, device)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Deserialize)]
struct SinceQuery {
    since: Option<u64>,
}

async fn list_messages(
    State(sim): State<Arc<Sim>>,
    Path(phone): Path<String>,
    Query(query): Query<SinceQuery>,
) -> ApiResult {
    let since = query.since.unwrap_or(0);
    let messages = sim.read(|state| {
        state.account(&phone).map(|account| {
            account
                .timeline
                .iter()
                .filter(|m| m.seq > since)
                .cloned()
                .collect::<Vec<_>>()
        })
    })?;
    ok(messages)
}

async fn send_message(
    State(sim): State<Arc<Sim>>,
    Path(phone): Path<String>,
    body: Result<Json<SendMessage>, JsonRejection>,
) -> ApiResult {
    let Json(body) = body?;
    let (to, content, reply) = body.into_body()?;
    let sim2 = sim.clone();
    let sent = tokio::task::spawn_blocking(move || {
        crate::phone::send::send_with(&sim2, &phone, &to, content, reply)
    })
    .await
    .map_err(|e| AdminError::Internal(format!("send task failed: {e}")))??;
    created(sent)
}

async fn read_message(
    State(sim): State<Arc<Sim>>,
    Path((phone, id)): Path<(String, String)>,
) -> ApiResult {
    ok(crate::phone::read::mark_read(&sim, &phone, &id)?)
}

async fn message_media(
    State(sim): State<Arc<Sim>>,
    Path((phone, id)): Path<(String, String)>,
) -> ApiResult {
    let (mimetype, bytes) = crate::phone::read::media(&sim, &phone, &id)?;
    let mimetype = mimetype.unwrap_or_else(|| "application/octet-stream".to_owned());
    Ok(([(axum::http::header::CONTENT_TYPE, mimetype)], bytes).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateGroup {
    subject: String,
    #[serde(default)]
    participants: Vec<String>,
    /// `lid` (default) or `pn`.
    #[serde(default)]
    addressing_mode: Option<String>,
}

async fn create_group(
    State(sim): State<Arc<Sim>>,
    Path(phone): Path<String>,
    body: Result<Json<CreateGroup>, JsonRejection>,
) -> ApiResult {
    let Json(body) = body?;
    if body.subject.trim().is_empty() {
        return Err(AdminError::BadRequest("subject must not be empty".into()));
    }
    let participants: Vec<String> = body
        .participants
        .iter()
        .map(|p| p.trim_start_matches('+').to_owned())
        .collect();
    let pn_addressing = match body.addressing_mode.as_deref() {
        None | Some("lid") => false,
        Some("pn") => true,
        Some(other) => {
            return Err(AdminError::BadRequest(format!(
                "addressing_mode {other:?} is neither \"lid\" nor \"pn\""
            )));
        }
    };
    created(sim.create_group_addressed(&phone, &body.subject, &participants, pn_addressing)?)
}

async fn seed_history(
    State(sim): State<Arc<Sim>>,
    Path(phone): Path<String>,
    body: Result<Json<crate::phone::history::SeedRequest>, JsonRejection>,
) -> ApiResult {
    let Json(request) = body?;
    let now = crate::util::now_secs();
    let summary = sim.write(|s| crate::phone::history::seed(s, &phone, request, now))?;
    created(summary)
}

mod app_state;
mod send_body;
use send_body::SendMessage;

async fn apply_fault(
    State(sim): State<Arc<Sim>>,
    body: Result<Json<FaultRequest>, JsonRejection>,
) -> ApiResult {
    let Json(fault) = body?;
    tracing::info!(?fault, "fault injected");
    ok(sim.apply_fault(fault))
}

async fn active_faults(State(sim): State<Arc<Sim>>) -> ApiResult {
    ok(sim.faults.active())
}

async fn clear_faults(State(sim): State<Arc<Sim>>) -> ApiResult {
    sim.faults.clear();
    ok(sim.faults.active())
}
