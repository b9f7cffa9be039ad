//! Helpers shared by the simulator's integration tests: the HTTP client of
//! `openwa_simulator::testing` and simulator start-up.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use openwa_simulator::{Simulator, SimulatorConfig, SimulatorHandle};

#[allow(unused_imports)] // each test binary uses its own subset
pub use openwa_simulator::testing::{HttpResponse, http, https, tls_client_config, tls_connect};

/// Starts an in-memory simulator on loopback ports.
pub async fn start() -> SimulatorHandle {
    Simulator::start(SimulatorConfig::default()).await.unwrap()
}
pub mod dev;
pub mod session;
