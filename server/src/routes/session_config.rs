//! `GET|PATCH /api/sessions/:id/config`: OpenWA's tunable session settings, applied to the
//! engine session at once and kept by it across restarts. OpenWA's keys
//! (`autoRejectCalls`, `maxReconnectAttempts`, `reconnectBaseDelay`) and ours (`sendPacing`).

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use openwa::{ReconnectPolicy, SendPacing};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::extract::Body;
use crate::openapi::{Problems, SessionPath};
use crate::problem::{ApiError, ApiResult};
use crate::sessions;
use crate::state::AppState;

/// The routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(show, change))
}

/// Send pacing as the API spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Pacing {
    /// Least time between two sends, in milliseconds (0: none; at most 3,600,000).
    #[serde(default)]
    min_interval_ms: u32,
    /// Largest random delay added to it, in milliseconds.
    #[serde(default)]
    jitter_ms: u32,
    /// Most sends in any hour (0: no cap). Past it `send-*` answers 429, a queued send waits.
    #[serde(default)]
    max_per_hour: u32,
}

impl From<SendPacing> for Pacing {
    fn from(p: SendPacing) -> Self {
        Pacing {
            min_interval_ms: p.min_interval_ms,
            jitter_ms: p.jitter_ms,
            max_per_hour: p.max_per_hour,
        }
    }
}

impl From<Pacing> for SendPacing {
    fn from(p: Pacing) -> Self {
        SendPacing {
            min_interval_ms: p.min_interval_ms,
            jitter_ms: p.jitter_ms,
            max_per_hour: p.max_per_hour,
        }
    }
}

/// The effective configuration of a session.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct SessionConfig {
    /// Always false: the engine does not handle calls yet.
    auto_reject_calls: bool,
    /// Failed reconnect attempts in a row before the session gives up (`null`: never).
    max_reconnect_attempts: Option<u32>,
    /// First reconnect delay in milliseconds (doubling per attempt, at most a minute).
    reconnect_base_delay: u32,
    /// Pacing of the session's sends.
    send_pacing: Pacing,
}

/// A change: each key left out stays, `null` goes back to its default.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)] // the schema of the body parsed by `Changes::parse`
struct ConfigChange {
    auto_reject_calls: Option<bool>,
    /// 0-20, or null for no limit.
    max_reconnect_attempts: Option<u32>,
    /// 1000-300000 ms.
    reconnect_base_delay: Option<u32>,
    send_pacing: Option<Pacing>,
}

/// Keys of a config: present with a value, present as `null` (back to the default), or absent.
struct Changes<'a>(&'a Map<String, Value>);

impl Changes<'_> {
    fn get<T: DeserializeOwned>(&self, key: &str) -> ApiResult<Option<Option<T>>> {
        match self.0.get(key) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(value) => serde_json::from_value(value.clone())
                .map(|v| Some(Some(v)))
                .map_err(|e| ApiError::bad_request(format!("{key}: {e}"))),
        }
    }
}

/// `config` (OpenWA's keys and ours) applied over `reconnect` and `pacing`; out-of-range values
/// are 400 and `autoRejectCalls: true` 501. Keys this server does not know are left alone.
pub fn apply(
    config: &Map<String, Value>,
    reconnect: &mut ReconnectPolicy,
    pacing: &mut SendPacing,
) -> ApiResult<()> {
    let changes = Changes(config);
    if let Some(Some(true)) = changes.get::<bool>("autoRejectCalls")? {
        return Err(ApiError::unsupported("rejecting calls (autoRejectCalls)"));
    }
    match changes.get::<u32>("maxReconnectAttempts")? {
        Some(Some(n)) if n > 20 => {
            return Err(ApiError::bad_request("maxReconnectAttempts must be 0-20"));
        }
        Some(max) => reconnect.max_attempts = max,
        None => {}
    }
    match changes.get::<u32>("reconnectBaseDelay")? {
        Some(Some(ms)) if !(1000..=300_000).contains(&ms) => {
            return Err(ApiError::bad_request(
                "reconnectBaseDelay must be 1000-300000 (ms)",
            ));
        }
        Some(ms) => {
            reconnect.base_delay_ms = ms.unwrap_or(ReconnectPolicy::default().base_delay_ms);
        }
        None => {}
    }
    if let Some(change) = changes.get::<Pacing>("sendPacing")? {
        let new: SendPacing = change.map(SendPacing::from).unwrap_or_default();
        new.validate()?;
        *pacing = new;
    }
    Ok(())
}

fn effective(session: &openwa::Session) -> SessionConfig {
    let reconnect = session.reconnect_policy();
    SessionConfig {
        auto_reject_calls: false,
        max_reconnect_attempts: reconnect.max_attempts,
        reconnect_base_delay: reconnect.base_delay_ms,
        send_pacing: session.send_pacing().into(),
    }
}

#[utoipa::path(
    get,
    path = "/api/sessions/{id}/config",
    operation_id = "sessions_config",
    tag = "Sessions",
    summary = "The session's effective configuration",
    params(SessionPath),
    responses((status = 200, description = "What the engine does now", body = SessionConfig), Problems)
)]
async fn show(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    Ok(Json(effective(&session)).into_response())
}

#[utoipa::path(
    patch,
    path = "/api/sessions/{id}/config",
    operation_id = "sessions_change_config",
    tag = "Sessions",
    summary = "Change the session's configuration (no restart)",
    description = "Merges the given keys: a key left out stays, `null` restores its default. \
        Pacing applies to the next send, the reconnect settings to the next reconnect; both \
        are kept across restarts.",
    params(SessionPath),
    request_body = ConfigChange,
    responses((status = 200, description = "The configuration now", body = SessionConfig), Problems)
)]
async fn change(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<Map<String, Value>>,
) -> ApiResult<Response> {
    const KNOWN: [&str; 4] = [
        "autoRejectCalls",
        "maxReconnectAttempts",
        "reconnectBaseDelay",
        "sendPacing",
    ];
    if let Some(unknown) = body.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(ApiError::bad_request(format!(
            "unknown config key {unknown:?} (known: {})",
            KNOWN.join(", ")
        )));
    }
    let (row, session) = sessions::resolve(&state, &id).await?;
    let (mut reconnect, mut pacing) = (session.reconnect_policy(), session.send_pacing());
    apply(&body, &mut reconnect, &mut pacing)?;
    session.set_reconnect_policy(reconnect).await?;
    session.set_send_pacing(pacing).await?;
    let mut stored: Map<String, Value> = serde_json::from_str(&row.config).unwrap_or_default();
    for (key, value) in body {
        if value.is_null() {
            stored.remove(&key);
        } else {
            stored.insert(key, value);
        }
    }
    sessions::set_config(&state.db, &row.id, &Value::Object(stored).to_string()).await?;
    Ok(Json(effective(&session)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn applied(config: Value) -> ApiResult<(ReconnectPolicy, SendPacing)> {
        let (mut reconnect, mut pacing) = (ReconnectPolicy::default(), SendPacing::default());
        let Value::Object(map) = config else {
            unreachable!()
        };
        apply(&map, &mut reconnect, &mut pacing)?;
        Ok((reconnect, pacing))
    }

    #[test]
    fn keys_change_clear_and_refuse() {
        let (r, p) = applied(json!({
            "maxReconnectAttempts": 5,
            "reconnectBaseDelay": 5000,
            "sendPacing": {"minIntervalMs": 200, "maxPerHour": 100},
            "somethingElse": 1,
        }))
        .unwrap();
        assert_eq!((r.max_attempts, r.base_delay_ms), (Some(5), 5000));
        assert_eq!(
            (p.min_interval_ms, p.jitter_ms, p.max_per_hour),
            (200, 0, 100)
        );
        let (r, p) = applied(json!({"maxReconnectAttempts": null, "sendPacing": null})).unwrap();
        assert_eq!(r.max_attempts, None);
        assert_eq!(p, SendPacing::default());
        for bad in [
            json!({"maxReconnectAttempts": 21}),
            json!({"reconnectBaseDelay": 10}),
            json!({"reconnectBaseDelay": "soon"}),
            json!({"sendPacing": {"minIntervalMs": 4_000_000}}),
            json!({"sendPacing": {"often": true}}),
        ] {
            assert_eq!(
                applied(bad.clone()).unwrap_err().status.as_u16(),
                400,
                "{bad}"
            );
        }
        assert_eq!(
            applied(json!({"autoRejectCalls": true}))
                .unwrap_err()
                .status
                .as_u16(),
            501
        );
        assert!(applied(json!({"autoRejectCalls": false})).is_ok());
    }
}
