//! Starting the simulator process, linking companions through its admin API and logging them
//! in.

use std::path::Path;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream;
use openwa_protocol::payload::ClientConfig;
use openwa_protocol::stanza::{IqSpec, Ping, SetPassive};
use openwa_protocol::{Jid, Node};
use openwa_simulator::client::{self, Client, CompanionKeys, Paired};
use openwa_simulator::process::SimProcess;
use serde_json::{Value, json};
use tokio::net::TcpStream;

/// How long one login, IQ or admin call may take.
const STEP: Duration = Duration::from_secs(60);

/// A logged-in companion.
pub type Conn = Client<TcpStream>;

/// Starts `binary` (or the `openwa-sim` next to this executable).
pub async fn start_sim(binary: Option<&Path>) -> Result<SimProcess, String> {
    let binary = match binary {
        Some(path) => path.to_owned(),
        None => std::env::current_exe()
            .map_err(|e| format!("current exe: {e}"))?
            .with_file_name("openwa-sim"),
    };
    SimProcess::start(&binary, &[])
        .await
        .map_err(|e| e.to_string())
}

async fn admin(sim: &SimProcess, method: &str, path: &str, body: &Value) -> Result<Value, String> {
    tokio::time::timeout(STEP, sim.admin_ok(method, path, Some(body)))
        .await
        .map_err(|_| format!("{method} {path}: timed out"))?
        .map_err(|e| e.to_string())
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
            admin(sim, "POST", "/admin/accounts", &json!({ "phone": phone })).await?;
            let keys = CompanionKeys::generate();
            let body = serde_json::to_value(keys.provision_request()).map_err(|e| e.to_string())?;
            let path = format!("/admin/accounts/{phone}/devices");
            let device = admin(sim, "POST", &path, &body).await?;
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
    let root = sim.root_public_key().map_err(|e| e.to_string())?;
    let ws_url = sim.ready.ws_url.as_str();
    let connected: Vec<Result<(usize, Conn), String>> = stream::iter(devices.iter().enumerate())
        .map(|(index, paired)| {
            let config = &config;
            async move {
                let login = client::login(ws_url, root, paired, config);
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
