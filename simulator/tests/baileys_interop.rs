//! Unmodified Baileys (npm `baileys@7.0.0-rc14` and `baileys@6.17.16`, run by
//! `tests/interop/sim-baileys.mjs`) against the `openwa-sim` binary as a separate process: QR
//! pairing through the admin API, restart and login with stored credentials, a text message to a
//! simulated phone, and the same message decrypted by a second (offline, then reconnecting)
//! Baileys client. With Baileys 6 the receiver is a Baileys 7 client: a dictionary-v2 and a v3
//! client talk to each other through the simulator.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::BufRead;
use std::process::{Child, Command, Stdio};

use openwa_testkit::node::{NodeScript, require_packages};
use openwa_testkit::{BAILEYS6, BAILEYS7};
use serde_json::{Value, json};

struct SimProcess(Child);

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs one scenario with Baileys package `pkg`; returns the JSON lines it printed. Panics if it
/// did not exit 0.
fn baileys(pkg: &str, scenario: &str, args: Value) -> Vec<Value> {
    let output = NodeScript::new("sim-baileys.mjs")
        .env("BAILEYS_PKG", pkg)
        .arg(scenario)
        .arg(args.to_string())
        .output();
    let lines: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(
        output.status.success(),
        "baileys {scenario} failed ({:?}): {lines:?}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    lines
}

#[tokio::test]
async fn baileys7_pairs_by_qr_logs_in_again_and_messages_a_phone() {
    pair_login_and_message(BAILEYS7, BAILEYS7).await;
}

#[tokio::test]
async fn baileys6_pairs_by_qr_logs_in_again_and_messages_a_phone_and_baileys7() {
    pair_login_and_message(BAILEYS6, BAILEYS7).await;
}

/// Alice runs Baileys package `alice_pkg`, Bob `bob_pkg`.
async fn pair_login_and_message(alice_pkg: &'static str, bob_pkg: &'static str) {
    require_packages(&[alice_pkg, bob_pkg]);
    let dir = std::env::temp_dir().join(format!("openwa-sim-{alice_pkg}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut child = Command::new(env!("CARGO_BIN_EXE_openwa-sim"))
        .args(["--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"])
        .arg("--state")
        .arg(dir.join("state"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _sim = SimProcess(child);
    let info: Value = serde_json::from_str(&line).unwrap();
    let ws = info["ws_url"].as_str().unwrap().to_owned();
    let admin = info["admin_url"].as_str().unwrap().to_owned();
    for (phone, name) in [("15550000001", "Alice"), ("15550000002", "Bob")] {
        let created = common::http(
            &admin,
            "POST",
            "/admin/accounts",
            Some(json!({"phone": phone, "name": name})),
        )
        .await;
        assert_eq!(created.status, 201);
    }
    let auth = dir.join("auth-alice").display().to_string();

    let admin_for_pair = admin.clone();
    let ws_for_pair = ws.clone();
    let auth_for_pair = auth.clone();
    let paired = tokio::task::spawn_blocking(move || {
        baileys(alice_pkg, "pair", json!({"ws": ws_for_pair, "admin": admin_for_pair, "phone": "15550000001", "auth": auth_for_pair}))
    })
    .await
    .unwrap();
    let linked = paired
        .iter()
        .find(|l| l["event"] == "linked")
        .expect("never linked");
    assert_eq!(linked["status"], 200);
    assert_eq!(linked["body"]["jid"], "15550000001:1@s.whatsapp.net");
    assert!(
        paired
            .iter()
            .any(|l| l["event"] == "close" && l["code"] == 515),
        "{paired:?}"
    );
    let open = paired
        .iter()
        .find(|l| l["event"] == "open")
        .expect("never opened");
    assert_eq!(open["id"], "15550000001:1@s.whatsapp.net");

    let ws_for_login = ws.clone();
    let auth_for_login = auth.clone();
    let login = tokio::task::spawn_blocking(move || {
        baileys(
            alice_pkg,
            "login",
            json!({"ws": ws_for_login, "auth": auth_for_login}),
        )
    })
    .await
    .unwrap();
    let open = login
        .iter()
        .find(|l| l["event"] == "open")
        .expect("login never opened");
    assert_eq!(open["lid"], "100000000000001@lid");

    // Bob links a Baileys companion too, then goes offline.
    let bob_auth = dir.join("auth-bob").display().to_string();
    let (ws_b, admin_b, auth_b) = (ws.clone(), admin.clone(), bob_auth.clone());
    let bob = tokio::task::spawn_blocking(move || {
        baileys(
            bob_pkg,
            "pair",
            json!({"ws": ws_b, "admin": admin_b, "phone": "15550000002", "auth": auth_b}),
        )
    })
    .await
    .unwrap();
    assert!(bob.iter().any(|l| l["event"] == "open"), "{bob:?}");

    let ws_for_send = ws.clone();
    let sent = tokio::task::spawn_blocking(move || {
        baileys(alice_pkg, "send", json!({"ws": ws_for_send, "auth": auth, "to": "15550000002@s.whatsapp.net", "text": "hello phone"}))
    })
    .await
    .unwrap();
    let id = sent
        .iter()
        .find(|l| l["event"] == "sent")
        .expect("not sent")["id"]
        .clone();
    let inbox = common::http(&admin, "GET", "/admin/accounts/15550000002/messages", None)
        .await
        .json();
    let received = inbox
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .expect("the phone did not receive it");
    assert_eq!(received["sender"], "15550000001:1@s.whatsapp.net");
    assert_eq!(received["chat"], "15550000001@s.whatsapp.net");

    // Bob's Baileys was offline: it gets the message from its queue on login and decrypts it
    // (end-to-end between two unmodified Baileys clients, through the simulator).
    let ws_for_receive = ws.clone();
    let got = tokio::task::spawn_blocking(move || {
        baileys(
            bob_pkg,
            "receive",
            json!({"ws": ws_for_receive, "auth": bob_auth, "text": "hello phone"}),
        )
    })
    .await
    .unwrap();
    let message = got
        .iter()
        .find(|l| l["event"] == "message" && l["text"] == "hello phone")
        .expect("Bob never decrypted it");
    assert_eq!(message["from"], "15550000001@s.whatsapp.net");
    std::fs::remove_dir_all(&dir).unwrap();
}
