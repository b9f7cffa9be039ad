//! Starting the simulator process, linking companions through its admin API and logging them
//! in.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream;
use openwa_protocol::payload::ClientConfig;
use openwa_protocol::stanza::{IqSpec, Ping, SetPassive};
use openwa_protocol::{Jid, Node};
use openwa_simulator::client::{self, Client, CompanionKeys, Paired};
use openwa_simulator::http_client;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

/// How long one login, IQ or admin call may take.
const STEP: Duration = Duration::from_secs(60);

/// A logged-in companion.
pub type Conn = Client<TcpStream>;

/// The `openwa-sim` process, killed on drop.
#[derive(Debug)]
pub struct SimProcess {
    child: Child,
    pid: u32,
    /// `ws://…/ws/chat`.
    pub ws_url: String,
    /// `http://…` of the admin API.
    pub admin_url: String,
    /// The Noise trust root.
    pub root: [u8; 32],
}

fn sibling_sim() -> Result<PathBuf, String> {
    let me = std::env::current_exe().map_err(|e| format!("current exe: {e}"))?;
    Ok(me.with_file_name("openwa-sim"))
}

impl SimProcess {
    /// Starts `binary` (or the `openwa-sim` next to this executable) on loopback ports.
    pub async fn start(binary: Option<&Path>) -> Result<SimProcess, String> {
        let binary = match binary {
            Some(path) => path.to_owned(),
            None => sibling_sim()?,
        };
        let mut child = Command::new(&binary)
            .args(["--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("{}: {e}", binary.display()))?;
        let pid = child.id().ok_or("openwa-sim exited at once")?;
        let stdout = child.stdout.take().ok_or("no stdout from openwa-sim")?;
        let line = tokio::time::timeout(STEP, BufReader::new(stdout).lines().next_line())
            .await
            .map_err(|_| "openwa-sim did not print its ready line")?
            .map_err(|e| format!("reading openwa-sim: {e}"))?
            .ok_or("openwa-sim exited before its ready line")?;
        let ready: Value =
            serde_json::from_str(&line).map_err(|e| format!("ready line {line:?}: {e}"))?;
        let text = |key: &str| {
            ready[key]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("ready line has no {key}: {line}"))
        };
        let root = hex::decode(text("root_public_key")?)
            .ok()
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .ok_or("bad root_public_key")?;
        Ok(SimProcess {
            child,
            pid,
            ws_url: text("ws_url")?,
            admin_url: text("admin_url")?,
            root,
        })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    async fn admin(&self, method: &str, path: &str, body: &Value) -> Result<Value, String> {
        let response = tokio::time::timeout(
            STEP,
            http_client::request(&self.admin_url, method, path, Some(body)),
        )
        .await
        .map_err(|_| format!("{method} {path}: timed out"))?
        .map_err(|e| format!("{method} {path}: {e}"))?;
        if !(200..300).contains(&response.status) {
            return Err(format!(
                "{method} {path}: {} {}",
                response.status,
                String::from_utf8_lossy(&response.body)
            ));
        }
        serde_json::from_slice(&response.body).map_err(|e| format!("{method} {path}: {e}"))
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// The phone number of the `index`-th load account.
pub fn phone(index: usize) -> String {
    format!("1666{index:07}")
}

/// Creates `count` accounts and links one companion to each; returns them in order.
pub async fn provision(
    sim: &SimProcess,
    count: usize,
    parallel: usize,
) -> Result<Vec<Paired>, String> {
    let linked: Vec<Result<(usize, Paired), String>> = stream::iter(0..count)
        .map(|index| async move {
            let phone = phone(index);
            sim.admin("POST", "/admin/accounts", &json!({ "phone": phone }))
                .await?;
            let keys = CompanionKeys::generate();
            let body = serde_json::to_value(keys.provision_request()).map_err(|e| e.to_string())?;
            let device = sim
                .admin("POST", &format!("/admin/accounts/{phone}/devices"), &body)
                .await?;
            let parse = |key: &str| device[key].as_str().and_then(|j| j.parse::<Jid>().ok());
            let jid = parse("jid").ok_or_else(|| format!("bad device answer {device}"))?;
            Ok((
                index,
                Paired {
                    keys,
                    jid,
                    lid: parse("lid"),
                },
            ))
        })
        .buffer_unordered(parallel)
        .collect()
        .await;
    let mut linked = linked.into_iter().collect::<Result<Vec<_>, _>>()?;
    linked.sort_by_key(|(index, _)| *index);
    Ok(linked.into_iter().map(|(_, paired)| paired).collect())
}

/// Logs every companion in and marks it active; returns the connections in order.
pub async fn connect_all(
    sim: &SimProcess,
    devices: &[Paired],
    parallel: usize,
) -> Result<Vec<Conn>, String> {
    let config = ClientConfig::default();
    let connected: Vec<Result<(usize, Conn), String>> = stream::iter(devices.iter().enumerate())
        .map(|(index, paired)| {
            let config = &config;
            async move {
                let login = client::login(&sim.ws_url, sim.root, paired, config);
                let (mut conn, first) = tokio::time::timeout(STEP, login)
                    .await
                    .map_err(|_| format!("login of {} timed out", paired.jid))?
                    .map_err(|e| format!("login of {}: {e}", paired.jid))?;
                if first.tag != "success" {
                    return Err(format!("login of {} answered {first}", paired.jid));
                }
                let active = SetPassive { passive: false }.request_with_id("active");
                ask(&mut conn, active).await?;
                Ok((index, conn))
            }
        })
        .buffer_unordered(parallel)
        .collect()
        .await;
    let mut connected = connected.into_iter().collect::<Result<Vec<_>, _>>()?;
    connected.sort_by_key(|(index, _)| *index);
    Ok(connected.into_iter().map(|(_, conn)| conn).collect())
}

/// Pings every connection; returns how many answered.
pub async fn ping_all(conns: &mut [Conn], parallel: usize) -> usize {
    stream::iter(conns.iter_mut())
        .map(|conn| async move { ask(conn, Ping.request_with_id("idle-ping")).await.is_ok() })
        .buffer_unordered(parallel)
        .filter(|answered| std::future::ready(*answered))
        .count()
        .await
}

/// Sends an IQ and waits for its answer (other stanzas are skipped).
async fn ask(conn: &mut Conn, request: Node) -> Result<Node, String> {
    let id = request.attr_str("id").unwrap_or_default();
    conn.send(&request).await.map_err(|e| e.to_string())?;
    let answer = conn.recv_until(|n| n.tag == "iq" && n.attr_str("id").as_deref() == Some(&id));
    tokio::time::timeout(STEP, answer)
        .await
        .map_err(|_| format!("iq {id} timed out"))?
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("closed before iq {id} was answered"))
}
