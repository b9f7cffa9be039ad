//! One unmodified Baileys client (npm `baileys@7.0.0-rc14` as `baileys7`, or `baileys@6.17.16` as
//! `baileys`), driven line by line through `tests/interop/baileys-client.mjs` (run by
//! [`crate::node`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use openwa_simulator::testing::http;
use serde_json::{Value, json};
use tokio::time::timeout;

use crate::node::{AsyncNodeProcess, NodeScript, require_packages};

/// How long one driver step (an event, an admin call) may take.
pub const STEP: Duration = Duration::from_secs(40);

/// npm package name of Baileys 6.17.16 (see `tests/interop/baileys-pkg.mjs`).
pub const BAILEYS6: &str = "baileys";
/// npm package name (alias) of Baileys 7.0.0-rc14.
pub const BAILEYS7: &str = "baileys7";

/// Fails with the install command when the interop node packages (both Baileys) are missing.
pub fn require_node_modules() {
    require_packages(&[BAILEYS6, BAILEYS7]);
}

/// A fresh directory for one client's Baileys credentials.
pub fn temp_auth_dir(tag: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!(
        "openwa-baileys-{tag}-{}-{}",
        std::process::id(),
        rand::random::<u64>()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

/// A directory of the temp dir, removed with its contents when dropped (also when the test
/// fails). Derefs to its path.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Whether a driver event reports status `status` (3 delivered, 4 read) for message `id`: a
/// `messages.update`, or the sender's own upsert when Baileys folded the update into it.
pub fn has_status(event: &Value, id: &Value, status: u64) -> bool {
    let kind = &event["event"];
    let own_upsert = kind == "message" && event["from_me"] == true;
    (kind == "receipt" || own_upsert) && event["id"] == *id && event["status"] == status
}

/// Whether a driver event is an `app_state` report (`BAILEYS_APP_STATE=1`) of `kind`
/// (`chats.update`, `contacts.upsert`, `labels.edit`, `labels.association`, `star`…) with an item
/// matching `pred`.
pub fn reports_app_state(event: &Value, kind: &str, pred: impl Fn(&Value) -> bool) -> bool {
    event["event"] == "app_state"
        && event["kind"] == kind
        && match event["data"].as_array() {
            Some(items) => items.iter().any(&pred),
            None => pred(&event["data"]),
        }
}

/// One Baileys client process, killed on drop.
#[derive(Debug)]
pub struct Baileys {
    process: AsyncNodeProcess,
    seen: Vec<Value>,
    /// Its credentials directory, when this client owns it (see [`Baileys::owning`]).
    auth: Option<TempDir>,
}

impl Baileys {
    /// Starts the driver with Baileys package `pkg` against `ws_url`, keeping credentials in
    /// `auth_dir`.
    pub async fn start(pkg: &str, ws_url: &str, auth_dir: &Path) -> Self {
        Self::start_with_env(pkg, ws_url, auth_dir, &[]).await
    }

    /// [`Baileys::start`] with extra environment variables for the driver (e.g.
    /// `NODE_EXTRA_CA_CERTS` = the simulator's certificate, for media downloads).
    pub async fn start_with_env(
        pkg: &str,
        ws_url: &str,
        auth_dir: &Path,
        env: &[(&str, &str)],
    ) -> Self {
        let process = NodeScript::new("baileys-client.mjs")
            .env("BAILEYS_PKG", pkg)
            .envs(env.iter().copied())
            .arg(ws_url)
            .arg(auth_dir)
            .spawn_async();
        Self {
            process,
            seen: Vec::new(),
            auth: None,
        }
    }

    /// Keeps `dir` (this client's credentials directory) until the client quits or is dropped,
    /// for helpers that return the client but not the directory.
    pub fn owning(mut self, dir: TempDir) -> Self {
        self.auth = Some(dir);
        self
    }

    /// Sends one driver command (see the head of `baileys-client.mjs`).
    pub async fn send(&mut self, command: Value) {
        self.process.send(&command).await;
    }

    /// Waits for the first event matching `pred`, failing on driver errors.
    pub async fn wait_for(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + STEP;
        loop {
            let line = tokio::time::timeout_at(deadline, self.process.recv_line())
                .await
                .unwrap_or_else(|_| panic!("timed out waiting for {what}; saw {:?}", self.seen))
                .unwrap_or_else(|| panic!("driver exited waiting for {what}; saw {:?}", self.seen));
            let event: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("driver printed non-JSON ({e}): {line}"));
            assert_ne!(
                event["event"], "error",
                "driver error waiting for {what}: {event}"
            );
            self.seen.push(event.clone());
            if pred(&event) {
                return event;
            }
        }
    }

    /// Waits for the next event named `name`.
    pub async fn wait_event(&mut self, name: &str) -> Value {
        self.wait_for(name, |e| e["event"] == name).await
    }

    /// Sends a text to `to` (a user or group JID); returns the message id Baileys gave it.
    pub async fn send_text(&mut self, to: &str, text: &str) -> String {
        self.send(json!({"cmd": "send_text", "to": to, "text": text}))
            .await;
        let sent = self.wait_event("sent").await;
        sent["id"].as_str().unwrap().to_owned()
    }

    /// Waits for a received (not own) message with id `id`; returns the event.
    pub async fn wait_message(&mut self, id: &str) -> Value {
        self.wait_for(&format!("message {id}"), |e| {
            e["event"] == "message" && e["id"] == id && e["from_me"] != true
        })
        .await
    }

    /// Calls one of Baileys' group functions and returns its result.
    pub async fn group(&mut self, op: &str, args: Value) -> Value {
        self.send(json!({"cmd": "group", "op": op, "args": args}))
            .await;
        self.wait_for(op, |e| e["event"] == "group" && e["op"] == op)
            .await["result"]
            .clone()
    }

    /// Every event seen so far, oldest first.
    pub fn seen(&self) -> &[Value] {
        &self.seen
    }

    /// Closes the socket and waits for the driver to exit.
    pub async fn quit(mut self) {
        self.send(json!({"cmd": "quit"})).await;
        let _ = timeout(STEP, self.process.wait()).await;
    }
}

/// Pairs a fresh Baileys (package `pkg`) by QR with the simulator account `phone` (the phone
/// scans through the admin API at `admin_url`); returns the running client and the linked
/// device's JIDs from the admin answer (`jid`, `lid`).
pub async fn pair_by_qr(
    ws_url: &str,
    admin_url: &str,
    pkg: &str,
    phone: &str,
    auth: &Path,
) -> (Baileys, Value) {
    pair_by_qr_with_env(ws_url, admin_url, pkg, phone, auth, &[]).await
}

/// [`pair_by_qr`] with extra environment variables for the driver.
pub async fn pair_by_qr_with_env(
    ws_url: &str,
    admin_url: &str,
    pkg: &str,
    phone: &str,
    auth: &Path,
    env: &[(&str, &str)],
) -> (Baileys, Value) {
    let mut client = Baileys::start_with_env(pkg, ws_url, auth, env).await;
    let qr = client.wait_event("qr").await;
    let qr = qr["qr"].as_str().unwrap().to_owned();
    // Baileys 7 wraps the QR data in a wa.me link; Baileys 6 shows it bare.
    let data = qr
        .strip_prefix("https://wa.me/settings/linked_devices#")
        .unwrap_or(&qr);
    assert!(
        data.starts_with("2@") && data.split(',').count() >= 4,
        "{qr}"
    );
    let path = format!("/admin/accounts/{phone}/link");
    let response = timeout(
        STEP,
        http(admin_url, "POST", &path, Some(json!({"qr": qr}))),
    )
    .await
    .expect("link request in time");
    let linked = response.json();
    assert_eq!(response.status, 200, "{linked}");
    let restart = client
        .wait_for("close 515", |e| e["event"] == "close")
        .await;
    assert_eq!(restart["status"], 515, "{restart}");
    let open = client.wait_event("open").await;
    assert_eq!(open["jid"], linked["jid"], "{open}");
    // Baileys 6 learns its LID only at the next login.
    if !open["lid"].is_null() || pkg != BAILEYS6 {
        assert_eq!(open["lid"], linked["lid"], "{open}");
    }
    (client, linked)
}
