//! Sessions reach the simulator through an independent proxy (pproxy, a separate Python process,
//! installed by `.ci/run`): pairing, the 515 restart and the login all run over `wss://` tunnelled
//! through SOCKS5 and HTTP CONNECT with credentials, the proxy resolving the host name. Wrong
//! credentials are a typed proxy error, not a hang.
#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] functions

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use openwa::{ConnectionState, ManagerConfig, SessionManager, SessionOptions, StateReason};
use openwa_simulator::{Simulator, SimulatorConfig, SimulatorHandle};
use openwa_testkit::{link_by_qr, next_state};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio::sync::Mutex;

const USER: &str = "proxyuser";
const PASSWORD: &str = "s3cret";

/// A running pproxy serving HTTP CONNECT and SOCKS5 on one port, with the lines it logged.
struct Pproxy {
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
    _child: Child,
}

impl Pproxy {
    async fn start() -> Pproxy {
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        let mut child = Command::new("pproxy")
            .args([
                "-l",
                &format!("http+socks5://127.0.0.1:{port}#{USER}:{PASSWORD}"),
                "-v",
                // Check the credentials on every connection, not once per client address.
                "--auth",
                "0",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("pproxy must be installed (`pip install pproxy`, done by .ci/run): {e}")
            });
        let log = Arc::new(Mutex::new(Vec::new()));
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn tokio::io::AsyncRead + Send + Unpin>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let log = log.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stream).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    log.lock().await.push(line);
                }
            });
        }
        for _ in 0..200 {
            if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return Pproxy {
                    port,
                    log,
                    _child: child,
                };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("pproxy did not listen on {port}: {:?}", log.lock().await);
    }

    fn url(&self, scheme: &str, password: &str) -> String {
        format!("{scheme}://{USER}:{password}@127.0.0.1:{}", self.port)
    }

    /// Whether pproxy logged a tunnel opened with `scheme` (e.g. `socks5`) to `target`.
    async fn tunnelled(&self, scheme: &str, target: &str) -> bool {
        self.log
            .lock()
            .await
            .iter()
            .any(|line| line.trim_start().starts_with(scheme) && line.contains(target))
    }
}

/// Options reaching `sim` over `wss://localhost:…` (the proxy resolves the name) through `proxy`.
fn options_via(sim: &SimulatorHandle, proxy: String) -> SessionOptions {
    let wss = sim.info.wss_url.clone().unwrap();
    SessionOptions {
        server_url: wss.replace("127.0.0.1", "localhost"),
        trust_root: sim.root_public_key().to_vec(),
        tls_extra_roots_pem: Some(sim.tls_cert_pem().to_owned()),
        proxy: Some(proxy),
        ..SessionOptions::default()
    }
}

#[tokio::test]
async fn pairing_and_login_through_socks5_and_http_connect_proxies() {
    let proxy = Pproxy::start().await;
    let sim = Simulator::start(SimulatorConfig::default()).await.unwrap();
    let manager = SessionManager::open(ManagerConfig::default())
        .await
        .unwrap();
    let target = sim
        .info
        .wss_url
        .clone()
        .unwrap()
        .trim_start_matches("wss://")
        .split('/')
        .next()
        .unwrap()
        .replace("127.0.0.1", "localhost");

    for (i, scheme) in ["socks5", "http"].into_iter().enumerate() {
        let phone = format!("1555000010{i}");
        sim.create_account(&phone, scheme).unwrap();
        let session = manager
            .create_session(scheme, Some(options_via(&sim, proxy.url(scheme, PASSWORD))))
            .await
            .unwrap();
        let linked = link_by_qr(&sim, &session, &phone).await;
        assert_eq!(session.info().jid.as_deref(), Some(linked.jid.as_str()));
        assert!(
            proxy.tunnelled(scheme, &target).await,
            "{scheme}: no tunnel to {target} in pproxy's log: {:?}",
            proxy.log.lock().await
        );
    }

    // A wrong password: the proxy refuses, the session reports a proxy error.
    for scheme in ["socks5", "http"] {
        let id = format!("refused-{scheme}");
        let session = manager
            .create_session(&id, Some(options_via(&sim, proxy.url(scheme, "wrong"))))
            .await
            .unwrap();
        let events = session.events();
        session.connect().await.unwrap();
        let (reason, detail) = next_state(&events, ConnectionState::Disconnected).await;
        assert_eq!(reason, StateReason::NetworkError, "{scheme}");
        let detail = detail.unwrap_or_default();
        assert!(detail.starts_with("proxy:"), "{scheme}: {detail}");
        session.disconnect().await.unwrap();
    }
    manager.close().await.unwrap();
}
