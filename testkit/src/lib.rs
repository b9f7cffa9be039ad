//! Test support of the OpenWA workspace, for integration tests only (a dev-dependency of the
//! other crates, never published):
//!
//! - [`node`]: the one runner of the node reference processes in `tests/interop` (Baileys
//!   oracles and clients): `node <script>` with the right working directory and environment,
//!   line-delimited JSON in and out, killed on drop, with a clear failure when
//!   `npm ci --prefix tests/interop` has not run. Dependency-free within the workspace, so that
//!   `openwa-protocol`'s tests can use it (`default-features = false`).
//! - [`sim`] (feature `engine`, the default): the in-process simulator on plain `ws://`, session
//!   options pointing at it, the `openwa-sim` child process and the admin-API HTTP helpers.
//! - [`events`]: waiting for engine events ([`events::next_matching`], [`events::next_qr`],
//!   [`events::next_state`], [`events::link_by_qr`]).
//! - [`store`]: temporary stores and managers on every backend ([`store::TestStore`]) and the
//!   store-level fixtures of `openwa_store::testing` re-exported. Those stay in the store crate
//!   (behind its `testing` feature) because the store's own test suite, and the engine's unit
//!   tests, cannot depend on a crate built on the store without getting a second copy of its
//!   types.
//! - `stanzas` (feature `protocol`): the realistic stanzas of the protocol's codec benchmark,
//!   shared by its bench and its differential test.
//! - [`baileys`]: a driver for one unmodified Baileys client (`tests/interop/baileys-client.mjs`).
//!
//! Unit tests inside `core/engine/src` keep the engine's crate-internal helpers
//! (`core/engine/src/testing.rs`) for the same reason.
//!
//! Test code: it panics with a message on anything unexpected.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod node;
#[cfg(feature = "protocol")]
pub mod stanzas;

#[cfg(feature = "engine")]
pub mod baileys;
#[cfg(feature = "engine")]
pub mod events;
#[cfg(feature = "engine")]
pub mod sim;
#[cfg(feature = "engine")]
pub mod store;

pub use node::{NodeProcess, NodeScript, interop_dir, require_packages};

#[cfg(feature = "engine")]
pub use baileys::{
    BAILEYS6, BAILEYS7, Baileys, STEP, TempDir, has_status, pair_by_qr, pair_by_qr_with_env,
    require_node_modules, temp_auth_dir,
};
#[cfg(feature = "engine")]
pub use events::{WAIT, link_by_qr, next_matching, next_qr, next_state};
#[cfg(feature = "engine")]
pub use sim::{
    HttpResponse, SimProcess, http, https, phone_media, phone_sends, phone_sends_json, sim_options,
    simulator, tls_client_config, tls_connect,
};
#[cfg(feature = "engine")]
pub use store::{Backend, TestStore, sqlite_manager, with_store};
