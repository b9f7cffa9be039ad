//! What every handler shares.

use std::sync::Arc;

use openwa::SessionManager;
use tokio::sync::Notify;

use crate::board::SessionBoard;
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
    /// What the live events told about each session (QR code, connection, last error).
    pub board: Arc<SessionBoard>,
    /// Wakes the webhook worker when the outbox got rows.
    pub outbox_wake: Arc<Notify>,
    /// Counters for `/api/metrics`.
    pub metrics: Arc<Metrics>,
    /// The per-client rate limiter.
    pub limiter: Arc<Limiter<std::net::IpAddr>>,
    /// The per-key rate limiter (by key id; `master` for `API_KEY`).
    pub key_limiter: Arc<Limiter<String>>,
    /// Turns `true` when the server shuts down, so endless responses (event streams) end and
    /// the graceful shutdown does not wait for them forever.
    pub shutdown: Arc<tokio::sync::watch::Sender<bool>>,
}
