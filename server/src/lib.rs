//! `openwa-server`: OpenWA's REST API over the `openwa` engine.
//!
//! Handlers are thin delegates to [`openwa::SessionManager`] and [`openwa::Session`]; the server
//! adds what belongs to an HTTP gateway: API keys, OpenWA's JSON shapes and status names,
//! problem bodies, idempotent sends and webhooks delivered through a durable outbox.

pub mod app;
pub mod audit;
pub mod auth;
pub mod board;
pub mod client_ip;
pub mod config;
pub mod db;
pub mod extract;
pub mod idempotency;
pub mod keys;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod payload;
pub mod problem;
pub mod ratelimit;
pub mod routes;
pub mod sandbox;
pub mod scope;
pub mod session_watch;
pub mod sessions;
pub mod state;
pub mod util;
pub mod webhooks;
