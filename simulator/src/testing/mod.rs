//! Test support at the simulator level (cargo feature `testing`): a tiny HTTP/1.1 client for the
//! admin API and media host, built on the crate-private [`crate::http_client`]. The rest of the
//! test support (simulator start-up for the engine, the Baileys client driver, the node runner)
//! is in the `openwa-testkit` crate, which re-exports this module.
//!
//! Test code: it panics with a message on anything unexpected.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod http;

pub use http::{HttpResponse, http, https, tls_client_config, tls_connect};
