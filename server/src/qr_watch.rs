//! Keeps the newest QR code of each session from the engine's live events (a replay would show
//! stale codes).

use openwa::{ConnectionState, EventKind, SessionManager};

use crate::state::QrBoard;

/// Runs until the manager closes.
pub async fn run(manager: &SessionManager, board: &QrBoard) {
    let events = manager.events();
    while let Some(event) = events.next().await {
        match event.kind {
            EventKind::Qr { code, .. } => board.set(&event.session_id, code),
            EventKind::ConnectionState { state, .. } if state != ConnectionState::WaitingForQr => {
                board.clear(&event.session_id);
            }
            _ => {}
        }
    }
}
