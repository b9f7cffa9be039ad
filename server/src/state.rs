//! What every handler shares.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use openwa::SessionManager;
use tokio::sync::Notify;

use crate::config::Config;
use crate::db::Db;
use crate::metrics::Metrics;
use crate::ratelimit::Limiter;

/// The application state (cheap to clone).
#[derive(Debug, Clone)]
pub struct AppState {
    /// The engine.
    pub manager: Arc<SessionManager>,
    /// The server's tables.
    pub db: Db,
    /// The configuration.
    pub config: Arc<Config>,
    /// The newest QR code of each session waiting for one.
    pub qr: Arc<QrBoard>,
    /// Wakes the webhook worker when the outbox got rows.
    pub outbox_wake: Arc<Notify>,
    /// Counters for `/api/metrics`.
    pub metrics: Arc<Metrics>,
    /// The per-client rate limiter.
    pub limiter: Arc<Limiter>,
}

/// The newest QR string per session, kept from the engine's live events.
#[derive(Debug, Default)]
pub struct QrBoard(Mutex<HashMap<String, String>>);

impl QrBoard {
    /// Records session `id`'s newest QR string.
    pub fn set(&self, id: &str, code: String) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(id.to_owned(), code);
        }
    }

    /// Forgets session `id`'s QR string.
    pub fn clear(&self, id: &str) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(id);
        }
    }

    /// Session `id`'s newest QR string.
    pub fn get(&self, id: &str) -> Option<String> {
        self.0.lock().ok().and_then(|map| map.get(id).cloned())
    }
}
