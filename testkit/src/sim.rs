//! The simulator for tests: in-process on plain `ws://` ([`simulator`]) with session options
//! pointing at it ([`sim_options`]), or the `openwa-sim` binary as a child process
//! ([`SimProcess`]); and the HTTP helpers for its admin API and media host.

use openwa::SessionOptions;
use openwa_simulator::{Simulator, SimulatorConfig, SimulatorHandle};

pub use openwa_simulator::process::SimProcess;
pub use openwa_simulator::testing::{HttpResponse, http, https, tls_client_config, tls_connect};

/// The in-process simulator with its plain `ws://` endpoint only.
pub async fn simulator() -> SimulatorHandle {
    Simulator::start(SimulatorConfig {
        tls_listen: None,
        ..SimulatorConfig::default()
    })
    .await
    .unwrap()
}

/// Session options pointing at `sim` over `ws://`.
pub fn sim_options(sim: &SimulatorHandle) -> SessionOptions {
    SessionOptions {
        server_url: sim.info.ws_url.clone(),
        trust_root: sim.root_public_key().to_vec(),
        ..SessionOptions::default()
    }
}
