//! Admin routes of the phones' app state: what the collections say, changes made on the phone,
//! a new sync key (rotation), and the one-shot corruption of the next patch served.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::json;

use super::{AdminError, ApiResult, created, ok};
use crate::phone::app_state::{AppStateFault, changes, rotate_key, view};
use crate::phone::welcome::share_app_state_key;
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

/// Makes the phone rotate its sync key: a new key, shared with every companion, under which the
/// phone writes from now on (records under the old one still verify).
pub(super) async fn rotate(State(sim): State<Arc<Sim>>, Path(phone): Path<String>) -> ApiResult {
    let (key, companions) = sim
        .write(|s| {
            s.account_mut(&phone).map(|a| {
                let key = rotate_key(a);
                let companions: Vec<u16> = a.devices.keys().copied().filter(|d| *d != 0).collect();
                (key, companions)
            })
        })
        .map_err(AdminError::from)?;
    for device in companions {
        share_app_state_key(&sim, &phone, device)?;
    }
    ok(json!({"key_id": hex::encode(&key.key_id.0)}))
}
