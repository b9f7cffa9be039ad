//! Runs the `echo-bot` binary against the simulator over `wss://`: linked by QR with one admin
//! API call, restarted (it logs in again without a QR), and linked by pairing code.
#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] functions

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use openwa_simulator::{Simulator, SimulatorConfig, SimulatorHandle};
use openwa_testkit::http;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

const WAIT: Duration = Duration::from_secs(60);

/// A running bot and its output lines.
struct Bot {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Bot {
    fn start(sim: &SimulatorHandle, db: &Path, extra: &[&str]) -> Bot {
        let mut child = Command::new(env!("CARGO_BIN_EXE_echo-bot"))
            .arg("--server")
            .arg(sim.info.wss_url.as_deref().unwrap())
            .arg("--trust-root")
            .arg(&sim.info.root_public_key)
            .arg("--tls-cert")
            .arg(&sim.info.tls_cert_path)
            .arg("--db")
            .arg(db)
            .args(extra)
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        Bot { child, lines }
    }

    /// Reads lines until one starts with `prefix`; returns the rest of it and the lines read
    /// before it.
    async fn expect(&mut self, prefix: &str) -> (String, Vec<String>) {
        let mut before = Vec::new();
        let found = tokio::time::timeout(WAIT, async {
            while let Some(line) = self.lines.next_line().await.unwrap() {
                if let Some(rest) = line.strip_prefix(prefix) {
                    return rest.to_owned();
                }
                before.push(line);
            }
            panic!("the bot exited before printing {prefix:?}; output: {before:?}")
        })
        .await
        .unwrap_or_else(|_| panic!("no {prefix:?} line in time"));
        (found, before)
    }

    async fn stop(mut self) {
        self.child.kill().await.unwrap();
    }
}

/// POSTs a JSON body to the simulator's admin API; returns the status and the body.
async fn admin_post(sim: &SimulatorHandle, path: &str, body: &serde_json::Value) -> (u16, String) {
    let response = http(&sim.info.admin_url, "POST", path, Some(body.clone())).await;
    let text = String::from_utf8_lossy(&response.body).into_owned();
    (response.status, text)
}

fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "openwa-echo-bot-test-{}-{:08x}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rand_suffix() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    nanos ^ std::process::id().rotate_left(16)
}

#[tokio::test]
async fn links_by_qr_over_wss_then_resumes_without_a_qr() {
    let sim = Simulator::start(SimulatorConfig::default()).await.unwrap();
    sim.create_account("15550002001", "Alice").unwrap();
    let dir = temp_dir();
    let db = dir.join("bot.db");

    let mut bot = Bot::start(&sim, &db, &[]);
    let (qr, _) = bot.expect("QR: ").await;
    let (status, body) = admin_post(
        &sim,
        "/admin/accounts/15550002001/link",
        &serde_json::json!({ "qr": qr }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let linked: serde_json::Value = serde_json::from_str(&body).unwrap();
    let (jid, _) = bot.expect("Connected as ").await;
    assert_eq!(jid, linked["jid"].as_str().unwrap());
    bot.stop().await;

    // Same database: the bot logs in by itself, as the same device, with no QR.
    let mut bot = Bot::start(&sim, &db, &[]);
    let (again, before) = bot.expect("Connected as ").await;
    assert_eq!(again, jid);
    assert!(!before.iter().any(|l| l.starts_with("QR: ")), "{before:?}");
    bot.stop().await;
    assert_eq!(sim.devices("15550002001").unwrap().len(), 2); // the phone + the bot
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn links_by_pairing_code() {
    let sim = Simulator::start(SimulatorConfig::default()).await.unwrap();
    sim.create_account("15550002002", "Bob").unwrap();
    let dir = temp_dir();
    let mut bot = Bot::start(&sim, &dir.join("bot.db"), &["--pair-code", "15550002002"]);
    let (code, before) = bot.expect("Pairing code: ").await;
    assert!(!before.iter().any(|l| l.starts_with("QR: ")), "{before:?}");
    let (status, body) = admin_post(
        &sim,
        "/admin/accounts/15550002002/link-code",
        &serde_json::json!({ "code": code }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (jid, _) = bot.expect("Connected as ").await;
    assert!(jid.starts_with("15550002002:"), "{jid}");
    bot.stop().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The bot answers every text with the same text: a simulated phone of another account writes to
/// the bot's account, and the echo lands on that phone's timeline.
#[tokio::test]
async fn answers_every_text_with_the_same_text() {
    let sim = Simulator::start(SimulatorConfig::default()).await.unwrap();
    sim.create_account("15550002003", "Bot").unwrap();
    sim.create_account("15550002004", "Carol").unwrap();
    let dir = temp_dir();
    let mut bot = Bot::start(&sim, &dir.join("bot.db"), &[]);
    let (qr, _) = bot.expect("QR: ").await;
    let (status, body) = admin_post(
        &sim,
        "/admin/accounts/15550002003/link",
        &serde_json::json!({ "qr": qr }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    bot.expect("Connected as ").await;

    for text in ["hello bot", "second message"] {
        let (status, body) = admin_post(
            &sim,
            "/admin/accounts/15550002004/messages",
            &serde_json::json!({ "to": "15550002003", "text": text }),
        )
        .await;
        assert!(status == 200 || status == 201, "{status} {body}");
        let (received, _) = bot.expect("Received from ").await;
        assert!(received.ends_with(&format!(": {text}")), "{received}");
        bot.expect("Echoed to ").await;
        // Carol's phone decrypts the echo.
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let timeline = http(
                &sim.info.admin_url,
                "GET",
                "/admin/accounts/15550002004/messages",
                None,
            )
            .await
            .json();
            let echoed = timeline.as_array().unwrap().iter().any(|m| {
                m["text"] == text
                    && m["from_me"] == false
                    && m["sender"]
                        .as_str()
                        .is_some_and(|s| s.starts_with("15550002003:"))
            });
            if echoed {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no echo of {text:?}: {timeline}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    bot.stop().await;
    std::fs::remove_dir_all(&dir).unwrap();
}
