//! What the sessions went through while a manager restored them: every connection-state change
//! logged since the restore began, counted by state and reason, and when the last session
//! connected. A restore that mostly waits shows up here as failed handshakes and back-offs.

use std::collections::BTreeMap;

use openwa::{ConnectionState, EventKind, MAX_REPLAY_PAGE, SessionManager};
use serde_json::{Value, json};

use crate::Failure;

/// Connection-state changes logged at or after `since_ms` (Unix milliseconds), as JSON:
/// `{"changes": {"connecting/…": n, …}, "sessions_connected_more_than_once": n}`.
pub async fn summarize(manager: &SessionManager, since_ms: u64) -> Result<Value, Failure> {
    let mut changes: BTreeMap<String, u64> = BTreeMap::new();
    let mut connected_per_session: BTreeMap<String, u64> = BTreeMap::new();
    let mut cursor = 0;
    loop {
        let page = manager.events_since(cursor, MAX_REPLAY_PAGE).await?;
        let Some(last) = page.last() else {
            break;
        };
        cursor = last.seq;
        for event in page.iter().filter(|e| e.timestamp_ms >= since_ms) {
            if let EventKind::ConnectionState { state, reason, .. } = &event.kind {
                let name = format!(
                    "{}/{}",
                    as_name(serde_json::to_value(state)),
                    as_name(serde_json::to_value(reason))
                );
                *changes.entry(name).or_default() += 1;
                if *state == ConnectionState::Connected {
                    *connected_per_session
                        .entry(event.session_id.clone())
                        .or_default() += 1;
                }
            }
        }
    }
    let reconnected = connected_per_session.values().filter(|n| **n > 1).count();
    Ok(json!({
        "changes": changes,
        "sessions_connected_more_than_once": reconnected,
    }))
}

/// The snake_case name serde gave a unit enum value.
fn as_name(value: Result<Value, serde_json::Error>) -> String {
    match value {
        Ok(Value::String(name)) => name,
        Ok(other) => other.to_string(),
        Err(_) => "?".to_owned(),
    }
}
