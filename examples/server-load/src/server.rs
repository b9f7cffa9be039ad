//! `openwa-server` as a child process pointed at an `openwa-sim` process, and the few API calls
//! the load phases need (create a session, link it through the simulator, register a webhook).

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use openwa_simulator::process::SimProcess;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::Failure;

/// A running server, killed on drop.
#[derive(Debug)]
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The master key.
    pub key: String,
    /// Keep-alive client for the setup calls.
    pub http: reqwest::Client,
}

impl Server {
    /// Starts `binary` on a free port with a fresh SQLite data dir in `dir`, sessions pointed
    /// at `sim`, no rate limits and webhooks to loopback allowed.
    pub async fn start(binary: &Path, dir: &Path, sim: &SimProcess) -> Result<Server, Failure> {
        let key = format!("load-master-key-{}", std::process::id());
        let mut child = Command::new(binary)
            .env("DATA_DIR", dir)
            .env("API_KEY", &key)
            .env("HOST", "127.0.0.1")
            .env("PORT", "0")
            .env("OPENWA_WHATSAPP_URL", &sim.ready.ws_url)
            .env("OPENWA_WHATSAPP_TRUST_ROOT", &sim.ready.root_public_key)
            .env("OPENWA_WHATSAPP_TLS_CERT", &sim.ready.tls_cert_path)
            .env("RATE_LIMIT_ENABLED", "false")
            .env("WEBHOOK_ALLOW_PRIVATE", "true")
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let url = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await? {
                if let Some(url) = line.strip_prefix("OpenWA server listening on ") {
                    return Ok::<_, std::io::Error>(Some(url.trim().to_owned()));
                }
            }
            Ok(None)
        })
        .await??
        .ok_or("openwa-server exited before listening")?;
        // Keep reading its output so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Server {
            child,
            url,
            key,
            http: reqwest::Client::new(),
        })
    }

    /// Stops the server (SIGTERM, then waits for it).
    pub async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status();
        }
        let _ = tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await;
    }

    /// The server's process id.
    pub fn pid(&self) -> Result<u32, Failure> {
        Ok(self.child.id().ok_or("openwa-server is gone")?)
    }

    /// One API call with the master key; a non-2xx answer is an error.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, Failure> {
        let method = reqwest::Method::from_bytes(method.as_bytes())?;
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.url))
            .header("X-API-Key", &self.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            return Err(format!("{method} {path}: {status}: {text}").into());
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Creates session `name`, links it to the simulated phone `phone` by QR code and waits
    /// until it is ready.
    pub async fn link(&self, sim: &SimProcess, name: &str, phone: &str) -> Result<(), Failure> {
        self.call("POST", "/api/sessions", Some(json!({ "name": name })))
            .await?;
        self.call("POST", &format!("/api/sessions/{name}/start"), None)
            .await?;
        let qr = self
            .poll(&format!("linking {name}: a QR code"), || async {
                let raw = self
                    .call("GET", &format!("/api/sessions/{name}/qr?format=raw"), None)
                    .await
                    .ok()?;
                raw["value"].as_str().map(str::to_owned)
            })
            .await?;
        sim.admin_ok(
            "POST",
            &format!("/admin/accounts/{phone}/link"),
            Some(&json!({ "qr": qr })),
        )
        .await?;
        self.poll(&format!("linking {name}: ready"), || async {
            let session = self
                .call("GET", &format!("/api/sessions/{name}"), None)
                .await
                .ok()?;
            (session["status"] == "ready").then_some(())
        })
        .await
    }

    /// Calls `check` every 50 ms until it gives a value (at most two minutes).
    pub async fn poll<T, F, Fut>(&self, what: &str, mut check: F) -> Result<T, Failure>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        for _ in 0..2400 {
            if let Some(value) = check().await {
                return Ok(value);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(format!("timed out waiting for {what}").into())
    }
}
