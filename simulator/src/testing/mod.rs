//! Test support shared by the simulator's and the engine's integration tests (cargo feature
//! `testing`): a tiny HTTP/1.1 client for the admin API and media host, and a driver for an
//! unmodified Baileys client (`tests/interop/baileys-client.mjs`).
//!
//! Test code: it panics with a message on anything unexpected.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod baileys;
mod http;

pub use baileys::{
    BAILEYS6, BAILEYS7, Baileys, STEP, TempDir, has_status, interop_dir, pair_by_qr,
    pair_by_qr_with_env, require_node_modules, temp_auth_dir,
};
pub use http::{HttpResponse, http, https, tls_client_config, tls_connect};
