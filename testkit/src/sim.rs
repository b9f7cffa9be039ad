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

/// The simulated phone of account `phone` sends `text` to `to` through the admin API; answers
/// the message id.
pub async fn phone_sends(sim: &SimulatorHandle, phone: &str, to: &str, text: &str) -> String {
    let path = format!("/admin/accounts/{phone}/messages");
    let body = serde_json::json!({ "to": to, "text": text });
    let sent = http(&sim.info.admin_url, "POST", &path, Some(body)).await;
    assert!(
        sent.status == 200 || sent.status == 201,
        "the phone's send answered {}",
        sent.status
    );
    match sent.json()["id"].as_str() {
        Some(id) => id.to_owned(),
        None => panic!("the phone's send answered no id"),
    }
}
