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

/// Session options pointing at `sim` over `ws://`, trusting its TLS certificate (for the
/// HTTPS media host).
pub fn sim_options(sim: &SimulatorHandle) -> SessionOptions {
    SessionOptions {
        server_url: sim.info.ws_url.clone(),
        trust_root: sim.root_public_key().to_vec(),
        tls_extra_roots_pem: Some(sim.tls_cert_pem().to_owned()),
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

/// The simulated phone of account `phone` sends `body` (the admin API's message body: `to` and
/// one content field, e.g. `{"to": …, "image": {"data": base64, …}}`); answers the message id.
pub async fn phone_sends_json(
    sim: &SimulatorHandle,
    phone: &str,
    body: serde_json::Value,
) -> String {
    let path = format!("/admin/accounts/{phone}/messages");
    let sent = http(&sim.info.admin_url, "POST", &path, Some(body)).await;
    assert!(
        sent.status == 200 || sent.status == 201,
        "the phone's send answered {}: {}",
        sent.status,
        String::from_utf8_lossy(&sent.body)
    );
    match sent.json()["id"].as_str() {
        Some(id) => id.to_owned(),
        None => panic!("the phone's send answered no id"),
    }
}

/// The decrypted media of message `id` on `phone`'s simulated phone (admin API); panics
/// unless the phone has it.
pub async fn phone_media(sim: &SimulatorHandle, phone: &str, id: &str) -> Vec<u8> {
    let path = format!("/admin/accounts/{phone}/messages/{id}/media");
    let got = http(&sim.info.admin_url, "GET", &path, None).await;
    assert_eq!(
        got.status,
        200,
        "media of {id} on {phone}: {}",
        String::from_utf8_lossy(&got.body)
    );
    got.body
}
