//! The audit log: every mutating call (POST, PUT, PATCH, DELETE) that passed the key guard —
//! who (key id), what (method, path, status), when, from where — in `server_audit`, and
//! `GET /api/audit` (admin) to read it, newest first.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::auth::Caller;
use crate::extract::Q;
use crate::openapi::Problems;
use crate::problem::ApiResult;
use crate::state::AppState;
use crate::util::{iso, now_ms};

/// Middleware: records the call once it has been answered.
pub async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mutating = matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    let caller = request.extensions().get::<Caller>().cloned();
    let (method, path) = (
        request.method().as_str().to_owned(),
        request.uri().path().to_owned(),
    );
    let response = next.run(request).await;
    if let (true, Some(caller)) = (mutating, caller) {
        let status = i64::from(response.status().as_u16());
        let db = state.db.clone();
        tokio::spawn(async move {
            let written = db
                .exec(
                    "INSERT INTO server_audit (at, key_id, method, path, status, ip) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    vec![
                        now_ms().into(),
                        caller.key_id.into(),
                        method.into(),
                        path.into(),
                        status.into(),
                        caller.peer.map(|ip| ip.to_string()).into(),
                    ],
                )
                .await;
            if let Err(e) = written {
                tracing::warn!("writing the audit log: {e}");
            }
        });
    }
    response
}

/// The route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    limit: Option<i64>,
    offset: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/api/audit",
    operation_id = "audit_list",
    tag = "Operations",
    summary = "The audit log of mutating calls, newest first",
    params(AuditQuery),
    responses((status = 200, description = "Entries", body = [Object]), Problems)
)]
async fn list(State(state): State<AppState>, Q(query): Q<AuditQuery>) -> ApiResult<Response> {
    let rows = state
        .db
        .query(
            "SELECT id, at, key_id, method, path, status, ip FROM server_audit \
             ORDER BY id DESC LIMIT $1 OFFSET $2",
            vec![
                query.limit.unwrap_or(100).clamp(1, 1000).into(),
                query.offset.unwrap_or(0).max(0).into(),
            ],
        )
        .await?;
    let entries: Vec<_> = rows
        .iter()
        .map(|r| {
            json!({
                "id": r[0].int().to_string(),
                "at": iso(r[1].int()),
                "apiKeyId": r[2].opt_text(),
                "method": r[3].text(),
                "path": r[4].text(),
                "statusCode": r[5].int(),
                "ip": r[6].opt_text(),
            })
        })
        .collect();
    Ok(Json(entries).into_response())
}
