//! The harness: the server binary as a child process, a webhook receiver, waiting helpers.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use openwa_simulator::SimulatorHandle;
use openwa_testkit::TestStore;
use reqwest::Response;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// How long any wait may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(120);

/// A running server process (killed on drop) and its data.
pub struct Server {
    child: Child,
    pub url: String,
    pub key: String,
    pub dir: PathBuf,
    pub http: reqwest::Client,
    env: Vec<(String, String)>,
}

impl Server {
    /// Starts the server on a fresh data dir (SQLite), pointed at `sim`.
    pub async fn start(sim: &SimulatorHandle) -> Server {
        Server::start_with(sim, None, &[]).await
    }

    /// Starts the server with `DATABASE_URL` set when given.
    pub async fn start_with(
        sim: &SimulatorHandle,
        database_url: Option<&str>,
        extra_env: &[(&str, &str)],
    ) -> Server {
        let dir =
            std::env::temp_dir().join(format!("openwa-server-test-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut env = vec![
            ("HOST", "127.0.0.1".to_owned()),
            ("PORT", "0".to_owned()),
            ("DATA_DIR", dir.display().to_string()),
            ("OPENWA_WHATSAPP_URL", sim.info.ws_url.clone()),
            (
                "OPENWA_WHATSAPP_TRUST_ROOT",
                hex::encode(sim.root_public_key()),
            ),
            // The simulator's certificate, for its HTTPS media host.
            ("OPENWA_WHATSAPP_TLS_CERT", sim.info.tls_cert_path.clone()),
            ("WEBHOOK_ALLOW_PRIVATE", "true".to_owned()),
            ("WEBHOOK_RETRY_DELAY", "100".to_owned()),
            ("MAX_BODY_BYTES", "65536".to_owned()),
            ("RATE_LIMIT_ENABLED", "false".to_owned()),
        ];
        if let Some(url) = database_url {
            env.push(("DATABASE_URL", url.to_owned()));
        }
        env.retain(|(k, _)| !extra_env.iter().any(|(e, _)| e == k));
        env.extend(extra_env.iter().map(|(k, v)| (*k, (*v).to_owned())));
        let env: Vec<(String, String)> = env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        let (child, url) = spawn(&env, &[]).await;
        let key = std::fs::read_to_string(dir.join(".api-key"))
            .unwrap()
            .trim()
            .to_owned();
        Server {
            child,
            url,
            key,
            dir,
            http: reqwest::Client::new(),
            env,
        }
    }

    /// SIGKILLs the process (start it again with [`Server::restart`]).
    pub async fn kill(&mut self) {
        self.child.start_kill().unwrap();
        self.child.wait().await.unwrap();
    }

    /// Sends SIGTERM and waits for the process to exit; answers whether it exited cleanly.
    pub async fn terminate(&mut self) -> bool {
        let pid = self.child.id().unwrap().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(sent.success());
        let status = tokio::time::timeout(DEADLINE, self.child.wait())
            .await
            .expect("the server did not exit after SIGTERM")
            .unwrap();
        status.success()
    }

    /// Starts the process again on the same data.
    pub async fn restart(&mut self) {
        let (child, url) = spawn(&self.env, &[]).await;
        self.child = child;
        self.url = url;
    }

    /// A request with the admin key.
    pub fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.url))
            .header("X-API-Key", &self.key)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.req(reqwest::Method::GET, path).send().await.unwrap()
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.req(reqwest::Method::POST, path)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// Creates session `name`; answers its id.
    pub async fn create_session(&self, name: &str) -> String {
        let created = self.post("/api/sessions", json!({ "name": name })).await;
        assert_eq!(created.status(), 201);
        let body: Value = created.json().await.unwrap();
        assert_eq!(body["status"], "created", "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    /// Starts session `id`, reads its QR code over the API, links it to `phone` in the
    /// simulator, and waits until the API shows it `ready`.
    pub async fn link(&self, sim: &SimulatorHandle, id: &str, phone: &str) {
        let started = self
            .post(&format!("/api/sessions/{id}/start"), json!({}))
            .await;
        assert_eq!(started.status(), 200);
        let qr = wait_for(|| async {
            let r = self.get(&format!("/api/sessions/{id}/qr?format=raw")).await;
            if r.status() != 200 {
                return None;
            }
            let body: Value = r.json().await.unwrap();
            body["value"].as_str().map(str::to_owned)
        })
        .await;
        // The same QR as a data URL and as PNG bytes (unless it just rotated or was scanned).
        let json = self.get(&format!("/api/sessions/{id}/qr")).await;
        if json.status() == 200 {
            let body: Value = json.json().await.unwrap();
            assert!(
                body["qrCode"]
                    .as_str()
                    .unwrap()
                    .starts_with("data:image/png;base64,")
            );
            assert_eq!(body["status"], "qr_ready");
        }
        let png = self
            .req(reqwest::Method::GET, &format!("/api/sessions/{id}/qr"))
            .header("accept", "image/png")
            .send()
            .await
            .unwrap();
        if png.status() == 200 {
            assert_eq!(png.headers()["content-type"], "image/png");
            assert!(png.bytes().await.unwrap().starts_with(b"\x89PNG"));
        }
        sim.sim().link_qr(phone, &qr).await.unwrap();
        self.wait_status(id, "ready").await;
    }

    /// Waits until session `id` has `status`.
    pub async fn wait_status(&self, id: &str, status: &str) {
        wait_for(|| async {
            let body: Value = self
                .get(&format!("/api/sessions/{id}"))
                .await
                .json()
                .await
                .ok()?;
            (body["status"] == status).then_some(())
        })
        .await;
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn spawn(env: &[(String, String)], args: &[&str]) -> (Child, String) {
    let (child, mut lines) = spawn_until(env, args, &["OpenWA server listening on "]).await;
    (child, lines.remove(0))
}

/// Starts the binary with `args` and reads its stdout until a line starting with each of
/// `prefixes` (in order) was seen; answers the rest of those lines.
pub async fn spawn_until(
    env: &[(String, String)],
    args: &[&str],
    prefixes: &[&str],
) -> (Child, Vec<String>) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_openwa-server"));
    command
        .args(args)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    let mut child = command.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let found = tokio::time::timeout(DEADLINE, async {
        let mut found = Vec::new();
        for prefix in prefixes {
            loop {
                let line = lines.next_line().await.unwrap().expect("the server exited");
                if let Some(rest) = line.strip_prefix(prefix) {
                    found.push(rest.to_owned());
                    break;
                }
            }
        }
        found
    })
    .await
    .expect("the server did not print its start-up lines");
    // Keep reading stdout so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, found)
}

/// Polls `probe` until it answers `Some` (panics after [`DEADLINE`]).
pub async fn wait_for<T, F, Fut>(probe: F) -> T
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    tokio::time::timeout(DEADLINE, async {
        loop {
            if let Some(value) = probe().await {
                return value;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("condition not met before the deadline")
}

/// A fresh simulator with accounts `phones`.
pub async fn sim_with(phones: &[&str]) -> SimulatorHandle {
    let sim = openwa_testkit::simulator().await;
    for phone in phones {
        sim.create_account(phone, &format!("Phone {phone}"))
            .unwrap();
    }
    sim
}

/// The URL of a temporary PostgreSQL store.
pub fn pg_url(store: &TestStore) -> String {
    match store.config().backend {
        openwa::StoreBackend::Postgres { url } => url,
        other => panic!("not PostgreSQL: {other:?}"),
    }
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }
}

#[derive(Default)]
struct ReceiverState {
    got: Vec<Received>,
    fail_next: usize,
}

/// A webhook receiver on 127.0.0.1: records every request; answers 500 to the next
/// `fail_next` `message.received` deliveries, 200 otherwise.
#[derive(Clone)]
pub struct Receiver {
    state: Arc<Mutex<ReceiverState>>,
    pub url: String,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let state = Arc::new(Mutex::new(ReceiverState::default()));
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { state, url }
    }

    pub fn fail_next(&self, n: usize) {
        self.state.lock().unwrap().fail_next = n;
    }

    /// Every request so far.
    pub fn got(&self) -> Vec<Received> {
        self.state.lock().unwrap().got.clone()
    }

    /// The requests of `event` so far.
    pub fn events(&self, event: &str) -> Vec<Received> {
        self.got()
            .into_iter()
            .filter(|r| r.header("x-openwa-event") == event)
            .collect()
    }
}

async fn receive(
    State(state): State<Arc<Mutex<ReceiverState>>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let mut state = state.lock().unwrap();
    let failable = headers
        .get("x-openwa-event")
        .is_some_and(|e| e == "message.received");
    state.got.push(Received { headers, body });
    if failable && state.fail_next > 0 {
        state.fail_next -= 1;
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    }
}

/// `sha256=<hex HMAC-SHA256(body, secret)>`, computed independently of the server.
pub fn expected_signature(secret: &str, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

impl Server {
    /// Makes every remembered `Idempotency-Key` (the server's answers and the engine's claims)
    /// `by_ms` older, in the server's SQLite file or PostgreSQL database.
    pub async fn age_idempotency_keys(&self, by_ms: i64) {
        let server = format!("UPDATE server_idempotency SET created_at = created_at - {by_ms}");
        let engine = format!("UPDATE send_keys SET created_at = created_at - {by_ms}");
        match self.env.iter().find(|(k, _)| k == "DATABASE_URL") {
            Some((_, url)) => {
                let pool = sqlx::PgPool::connect(url).await.unwrap();
                for sql in [&server, &engine] {
                    sqlx::query(sql).execute(&pool).await.unwrap();
                }
                pool.close().await;
            }
            None => {
                // The server's tables and the engine's are in two SQLite files.
                for (file, sql) in [
                    (openwa_server::app::SERVER_DB, &server),
                    ("openwa.db", &engine),
                ] {
                    let db = rusqlite::Connection::open(self.dir.join(file)).unwrap();
                    db.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
                    db.execute(sql, []).unwrap();
                }
            }
        }
    }
}
