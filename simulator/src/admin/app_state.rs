//! Admin routes of the phones' app state: what the collections say, changes made on the phone,
//! and the one-shot corruption of the next patch served.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::json;

use super::{AdminError, ApiResult, created, ok};
use crate::phone::app_state::{AppStateFault, changes, view};
use crate::sim::Sim;

pub(super) async fn get_state(State(sim): State<Arc<Sim>>, Path(phone): Path<String>) -> ApiResult {
    let value = sim.read(|s| s.account(&phone).map(view::view))?;
    ok(value)
}

pub(super) async fn change(
    State(sim): State<Arc<Sim>>,
    Path(phone): Path<String>,
    body: Result<Json<changes::Change>, JsonRejection>,
) -> ApiResult {
    let Json(change) = body?;
    let (collection, version) = changes::apply(&sim, &phone, &change)?;
    created(json!({"collection": collection.name(), "version": version}))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FaultBody {
    fault: AppStateFault,
}

pub(super) async fn fault(
    State(sim): State<Arc<Sim>>,
    Path(phone): Path<String>,
    body: Result<Json<FaultBody>, JsonRejection>,
) -> ApiResult {
    let Json(body) = body?;
    sim.write(|s| {
        s.account_mut(&phone)
            .map(|a| a.app_state.fault = Some(body.fault))
    })
    .map_err(AdminError::from)?;
    ok(json!({"fault": body.fault}))
}
