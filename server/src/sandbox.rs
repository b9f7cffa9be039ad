//! `--sandbox`: an embedded `openwa-sim` with two simulated accounts; new sessions use it.

use std::net::SocketAddr;

use openwa_simulator::{Simulator, SimulatorConfig, SimulatorHandle};

use crate::config::Config;

/// The simulated accounts: (phone, name).
pub const ACCOUNTS: &[(&str, &str)] = &[("15550000001", "Alice"), ("15550000002", "Bob")];

/// Starts the simulator (state under `data/sandbox-sim`; loopback ports `base` chat,
/// `base + 1` admin, `base + 2` media — fixed, so linked sessions find it again after a
/// restart; 0 picks free ones), creates the accounts, and points `config`'s sessions at it.
pub async fn start(config: &mut Config, base: u16) -> Result<SimulatorHandle, String> {
    let at = |offset: u16| {
        let port = if base == 0 {
            0
        } else {
            base.saturating_add(offset)
        };
        SocketAddr::from(([127, 0, 0, 1], port))
    };
    let handle = Simulator::start(SimulatorConfig {
        listen: at(0),
        tls_listen: None,
        admin: at(1),
        media: at(2),
        state_dir: Some(config.data_dir.join("sandbox-sim")),
        share_app_state_key: true,
        ..SimulatorConfig::default()
    })
    .await
    .map_err(|e| format!("starting the sandbox simulator: {e}"))?;
    for (phone, name) in ACCOUNTS {
        if let Err(e) = handle.create_account(phone, name) {
            tracing::debug!("sandbox account {phone}: {e}");
        }
    }
    config.session_options.server_url = handle.info.ws_url.clone();
    config.session_options.trust_root = handle.root_public_key().to_vec();
    config.session_options.tls_extra_roots_pem = None;
    Ok(handle)
}

/// How to try the sandbox, for the console.
pub fn instructions(api: &str, admin: &str) -> String {
    let (alice, bob) = (ACCOUNTS[0].0, ACCOUNTS[1].0);
    format!(
        "Sandbox simulator admin API: {admin}\n\
         Simulated accounts: {alice} (Alice), {bob} (Bob)\n\
         Link a session to {alice}:\n\
         \x20 curl -sX POST {api}/api/sessions -H \"X-API-Key: $KEY\" -H 'Content-Type: application/json' -d '{{\"name\":\"demo\"}}'\n\
         \x20 curl -sX POST {api}/api/sessions/demo/start -H \"X-API-Key: $KEY\"\n\
         \x20 QR=$(curl -s '{api}/api/sessions/demo/qr?format=raw' -H \"X-API-Key: $KEY\" | sed 's/.*\"value\":\"\\([^\"]*\\)\".*/\\1/')\n\
         \x20 curl -sX POST {admin}/admin/accounts/{alice}/link -H 'Content-Type: application/json' -d \"{{\\\"qr\\\":\\\"$QR\\\"}}\"\n\
         Then send to {bob}: POST {api}/api/sessions/demo/messages/send-text {{\"chatId\":\"{bob}@c.us\",\"text\":\"hi\"}}\n\
         and let {bob} answer: POST {admin}/admin/accounts/{bob}/messages {{\"to\":\"{alice}\",\"text\":\"hello\"}}"
    )
}
