//! Keeps the [`SessionBoard`] from the engine's live events (a replay would show stale QR
//! codes).

use openwa::{ConnectionState, Event, EventKind, SessionManager, StateReason};

use crate::board::{Live, SessionBoard};

/// Runs until the manager closes.
pub async fn run(manager: &SessionManager, board: &SessionBoard) {
    let events = manager.events();
    while let Some(event) = events.next().await {
        board.update(&event.session_id, |live| apply(live, &event));
    }
}

/// What one event changes.
fn apply(live: &mut Live, event: &Event) {
    match &event.kind {
        EventKind::Qr { code, .. } => live.qr = Some(code.clone()),
        EventKind::ConnectionState {
            state,
            reason,
            detail,
            will_reconnect,
        } => {
            if *state != ConnectionState::WaitingForQr {
                live.qr = None;
            }
            match state {
                ConnectionState::Connected => {
                    live.connected_at = i64::try_from(event.timestamp_ms).ok();
                    live.last_error = None;
                    live.failed = false;
                }
                ConnectionState::Disconnected | ConnectionState::LoggedOut => {
                    live.connected_at = None;
                    if *reason != StateReason::Requested {
                        let reason = serde_json::to_value(reason)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default();
                        live.last_error = Some(match detail {
                            Some(detail) => format!("{reason}: {detail}"),
                            None => reason,
                        });
                        live.failed = !will_reconnect && *state == ConnectionState::Disconnected;
                    } else {
                        live.failed = false;
                    }
                }
                _ => live.failed = false,
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(state: ConnectionState, reason: StateReason, will_reconnect: bool) -> Event {
        Event {
            session_id: "s".into(),
            seq: 1,
            timestamp_ms: 5,
            kind: EventKind::ConnectionState {
                state,
                reason,
                detail: Some("x".into()),
                will_reconnect,
            },
        }
    }

    #[test]
    fn failures_and_recoveries() {
        let mut live = Live::default();
        apply(
            &mut live,
            &state(ConnectionState::Connected, StateReason::LoggedIn, false),
        );
        assert_eq!(live.connected_at, Some(5));
        let down = state(
            ConnectionState::Disconnected,
            StateReason::HandshakeFailed,
            false,
        );
        apply(&mut live, &down);
        assert!(live.failed);
        assert_eq!(live.last_error.as_deref(), Some("handshake_failed: x"));
        apply(
            &mut live,
            &state(ConnectionState::Connecting, StateReason::Requested, true),
        );
        assert!(!live.failed);
        let asked = state(ConnectionState::Disconnected, StateReason::Requested, false);
        apply(&mut live, &asked);
        assert!(!live.failed);
    }
}
