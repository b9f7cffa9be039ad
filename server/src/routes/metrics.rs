//! `GET /api/metrics`: the server's counters plus, read at scrape time, sessions by status
//! and the webhook outbox by status.

use std::fmt::Write as _;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::openapi::Problems;
use crate::state::AppState;

/// The route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(scrape))
}

/// `GET /api/metrics`.
#[utoipa::path(
    get,
    path = "/api/metrics",
    operation_id = "metrics_scrape",
    tag = "Operations",
    summary = "Prometheus metrics (API key or METRICS_TOKEN)",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"), Problems)
)]
async fn scrape(State(state): State<AppState>) -> Response {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP openwa_sessions Sessions by status.\n# TYPE openwa_sessions gauge"
    );
    let mut by_status: BTreeMap<&'static str, u64> = BTreeMap::new();
    if let Ok(rows) = crate::sessions::list(&state.db, None, i64::MAX, 0).await {
        for row in rows {
            if let Ok(session) = state.manager.get(&row.id).await {
                let status = crate::sessions::status(&session, &state.board.get(&row.id));
                *by_status.entry(status).or_default() += 1;
            }
        }
    }
    for (status, n) in by_status {
        let _ = writeln!(out, "openwa_sessions{{status=\"{status}\"}} {n}");
    }
    let _ = writeln!(
        out,
        "# HELP openwa_outbox_rows Webhook outbox rows by status.\n# TYPE openwa_outbox_rows gauge"
    );
    let depth = state
        .db
        .query(
            "SELECT status, COUNT(*) FROM server_outbox GROUP BY status ORDER BY status",
            vec![],
        )
        .await
        .unwrap_or_default();
    for row in depth {
        let _ = writeln!(
            out,
            "openwa_outbox_rows{{status=\"{}\"}} {}",
            row[0].text(),
            row[1].int()
        );
    }
    state.metrics.render(&mut out);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}
