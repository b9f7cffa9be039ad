//! What the server learns about each session from the engine's live events and keeps in
//! memory: the pending QR code, when it connected, and why it last stopped.

use std::collections::HashMap;
use std::sync::Mutex;

/// One session's live facts.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Live {
    /// The QR string to scan now.
    pub qr: Option<String>,
    /// When the current connection logged in, Unix ms.
    pub connected_at: Option<i64>,
    /// Why the session last went down, unless the application asked for it.
    pub last_error: Option<String>,
    /// Whether it went down for good on an error (OpenWA's `failed`).
    pub failed: bool,
}

/// The live facts of every session.
#[derive(Debug, Default)]
pub struct SessionBoard(Mutex<HashMap<String, Live>>);

impl SessionBoard {
    /// Session `id`'s facts (defaults when none are known).
    pub fn get(&self, id: &str) -> Live {
        self.0
            .lock()
            .ok()
            .and_then(|map| map.get(id).cloned())
            .unwrap_or_default()
    }

    /// Changes session `id`'s facts.
    pub fn update(&self, id: &str, change: impl FnOnce(&mut Live)) {
        if let Ok(mut map) = self.0.lock() {
            change(map.entry(id.to_owned()).or_default());
        }
    }

    /// Forgets session `id`'s QR code (it was stopped or logged out).
    pub fn clear_qr(&self, id: &str) {
        self.update(id, |live| live.qr = None);
    }

    /// Forgets session `id` (deleted).
    pub fn forget(&self, id: &str) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(id);
        }
    }
}
