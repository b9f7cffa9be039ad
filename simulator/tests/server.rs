//! The simulator as a server: media host over HTTPS, WebSocket endpoints (plain and TLS),
//! connection faults, persistence across restarts, and the `openwa-sim` binary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::BufRead;
use std::time::Duration;

use base64::Engine;
use common::{http, https, start, tls_connect};
use futures_util::StreamExt;
use openwa_simulator::{Simulator, SimulatorConfig};
use serde_json::json;
use sha2::Digest;
use tokio::net::TcpStream;

fn host_of(url: &str) -> String {
    url.split("://")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn media_upload_then_download_over_https() {
    let sim = start().await;
    let pem = sim.tls_cert_pem().to_owned();
    let blob = b"encrypted blob bytes".to_vec();
    let token =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(&blob));
    let path = format!("/mms/image/{token}?auth=tok&token={token}");
    let uploaded = https(&sim.info.media_url, &pem, "POST", &path, &blob).await;
    assert_eq!(
        uploaded.status,
        200,
        "{}",
        String::from_utf8_lossy(&uploaded.body)
    );
    let reply = uploaded.json();
    let direct_path = reply["direct_path"].as_str().unwrap().to_owned();
    assert!(direct_path.starts_with("/v/t62.7118-24/"));
    assert_eq!(reply["url"], format!("{}{direct_path}", sim.info.media_url));

    // whatsmeow appends query parameters to the direct path; they are ignored.
    let downloaded = https(
        &sim.info.media_url,
        &pem,
        "GET",
        &format!("{direct_path}&hash={token}&mms-type=image&__wa-mms="),
        &[],
    )
    .await;
    assert_eq!(downloaded.status, 200);
    assert_eq!(downloaded.body, blob);

    // A padded token (whatsmeow style) works too.
    let padded = base64::engine::general_purpose::URL_SAFE.encode(sha2::Sha256::digest(b"x"));
    let ok = https(
        &sim.info.media_url,
        &pem,
        "POST",
        &format!("/mms/document/{padded}?auth=a"),
        b"x",
    )
    .await;
    assert_eq!(ok.status, 200);

    let wrong = https(
        &sim.info.media_url,
        &pem,
        "POST",
        &format!("/mms/image/{token}?auth=a"),
        b"other",
    )
    .await;
    assert_eq!(wrong.status, 400);
    let no_auth = https(
        &sim.info.media_url,
        &pem,
        "POST",
        &format!("/mms/image/{token}"),
        &blob,
    )
    .await;
    assert_eq!(no_auth.status, 401);
    let missing = https(
        &sim.info.media_url,
        &pem,
        "GET",
        "/v/t62.7118-24/00?ccb=9-4",
        &[],
    )
    .await;
    assert_eq!(missing.status, 404);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn websocket_only_on_ws_chat_plain_and_tls() {
    let sim = start().await;
    let ws_host = host_of(&sim.info.ws_url);
    let tcp = TcpStream::connect(&ws_host).await.unwrap();
    let (_ws, response) = tokio_tungstenite::client_async(sim.info.ws_url.as_str(), tcp)
        .await
        .unwrap();
    assert_eq!(response.status(), 101);

    let tcp = TcpStream::connect(&ws_host).await.unwrap();
    let wrong = tokio_tungstenite::client_async(format!("ws://{ws_host}/other"), tcp).await;
    assert!(wrong.is_err(), "a path other than /ws/chat must be refused");

    let wss_url = sim.info.wss_url.clone().unwrap();
    let tls = tls_connect(&host_of(&wss_url), sim.tls_cert_pem()).await;
    let (_wss, response) = tokio_tungstenite::client_async(wss_url.as_str(), tls)
        .await
        .unwrap();
    assert_eq!(response.status(), 101);
    // Both connections are registered.
    tokio::time::sleep(Duration::from_millis(20)).await;
    for _ in 0..100 {
        if sim.sim().health().connections == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(sim.sim().health().connections, 2);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn drop_connections_fault_closes_open_sockets() {
    let sim = start().await;
    let tcp = TcpStream::connect(host_of(&sim.info.ws_url)).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(sim.info.ws_url.as_str(), tcp)
        .await
        .unwrap();
    for _ in 0..200 {
        if sim.sim().health().connections == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let outcome = http(
        &sim.info.admin_url,
        "POST",
        "/admin/faults",
        Some(json!({"kind": "drop_connections"})),
    )
    .await;
    assert_eq!(outcome.json()["affected"], 1);
    // The socket ends (close frame or EOF) within the test's own bounded wait.
    let end = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match ws.next().await {
                None | Some(Err(_)) => break,
                Some(Ok(m)) if m.is_close() => break,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(end.is_ok(), "connection was not dropped");
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn state_dir_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("openwa-sim-restart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = SimulatorConfig {
        state_dir: Some(dir.clone()),
        ..SimulatorConfig::default()
    };
    let first = Simulator::start(config.clone()).await.unwrap();
    first.create_account("15550000001", "A").unwrap();
    let group = first.sim().create_group("15550000001", "G", &[]).unwrap();
    first.sim().write(|s| {
        s.enqueue(
            "15550000001",
            0,
            openwa_simulator::state::PendingStanza {
                id: "m1".into(),
                class: "message".into(),
                node: (&openwa_protocol::Node::new("message").attr("id", "m1")).into(),
            },
        )
    });
    let root = first.info.root_public_key.clone();
    let fingerprint = first.info.tls_cert_sha256.clone();
    let before = first.sim().read(|s| s.clone());
    first.shutdown().await.unwrap();

    let second = Simulator::start(config).await.unwrap();
    assert_eq!(second.info.root_public_key, root);
    assert_eq!(second.info.tls_cert_sha256, fingerprint);
    assert_eq!(second.sim().read(|s| s.clone()), before);
    assert_eq!(
        second.sim().read(|s| s.pending_for("15550000001", 0).len()),
        1
    );
    assert_eq!(
        second
            .sim()
            .read(|s| s.group(&group.jid).map(|g| g.subject.clone())),
        Ok("G".to_owned())
    );
    second.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn binary_prints_one_ready_line_and_serves() {
    let dir = std::env::temp_dir().join(format!("openwa-sim-bin-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_openwa-sim"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--admin",
            "127.0.0.1:0",
            "--tls-listen",
            "127.0.0.1:0",
        ])
        .arg("--state")
        .arg(&dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let info: serde_json::Value = serde_json::from_str(&line).unwrap();
    for key in [
        "ws_url",
        "wss_url",
        "admin_url",
        "media_url",
        "root_public_key",
        "tls_cert_path",
        "tls_cert_sha256",
    ] {
        assert!(info[key].is_string(), "{key} missing in {line}");
    }
    assert_eq!(
        hex::decode(info["root_public_key"].as_str().unwrap())
            .unwrap()
            .len(),
        32
    );
    assert_eq!(
        info["tls_cert_path"],
        dir.join("tls-cert.pem").display().to_string()
    );
    let health = http(
        info["admin_url"].as_str().unwrap(),
        "GET",
        "/admin/health",
        None,
    )
    .await;
    assert_eq!(health.json()["status"], "ok");
    let created = http(
        info["admin_url"].as_str().unwrap(),
        "POST",
        "/admin/accounts",
        Some(json!({"phone": "15550000009"})),
    )
    .await;
    assert_eq!(created.status, 201);
    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn binary_rejects_bad_arguments() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_openwa-sim"))
        .args(["--listen", "not-an-address", "--admin", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--listen not-an-address"));
    let missing = std::process::Command::new(env!("CARGO_BIN_EXE_openwa-sim"))
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
}
