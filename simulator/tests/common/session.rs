//! Logged-in protocol clients for the integration tests: pairing through the admin API,
//! login with `<active/>`, IQ round trips, all bounded in time.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use openwa_protocol::binary::Dictionary;
use openwa_protocol::payload::ClientConfig;
use openwa_protocol::{Jid, Node};
use openwa_simulator::SimulatorHandle;
use openwa_simulator::client::{self, Client, CompanionKeys, Paired};
use serde_json::json;
use tokio::net::TcpStream;

use super::http;

/// Every wait in these tests is bounded so a bug fails instead of hanging.
pub const WAIT: Duration = Duration::from_secs(20);

pub async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, f)
        .await
        .unwrap_or_else(|_| panic!("timed out: {what}"))
}

pub fn root(sim: &SimulatorHandle) -> [u8; 32] {
    sim.root_public_key()
}

/// Registers a companion and links it to `phone` through the admin HTTP endpoint.
pub async fn pair(sim: &SimulatorHandle, phone: &str) -> Paired {
    pair_with(sim, phone, Dictionary::V3).await
}

/// [`pair`] with a client speaking `dictionary`.
pub async fn pair_with(sim: &SimulatorHandle, phone: &str, dictionary: Dictionary) -> Paired {
    let keys = CompanionKeys::generate();
    let config = ClientConfig::default();
    let (mut client, refs) =
        client::register_with(&sim.info.ws_url, root(sim), &keys, &config, dictionary)
            .await
            .unwrap();
    assert_eq!(refs.len(), 6);
    let qr = keys.qr(&refs[0]).unwrap();
    let admin = sim.info.admin_url.clone();
    let path = format!("/admin/accounts/{phone}/link");
    let link =
        tokio::spawn(async move { http(&admin, "POST", &path, Some(json!({"qr": qr}))).await });
    let paired = within(
        "pairing",
        client::complete_pairing(&mut client, &keys, &keys.adv_secret),
    )
    .await
    .unwrap();
    let response = within("link response", link).await.unwrap();
    assert_eq!(
        response.status,
        200,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    assert_eq!(response.json()["jid"], paired.jid.to_string());
    paired
}

/// Logs in and sends `<active/>`; returns the client after `<ib><offline/>` and the queued
/// stanzas delivered before it.
pub async fn online(sim: &SimulatorHandle, paired: &Paired) -> (Client<TcpStream>, Vec<Node>) {
    online_with(sim, paired, Dictionary::V3).await
}

/// [`online`] with a client speaking `dictionary`.
pub async fn online_with(
    sim: &SimulatorHandle,
    paired: &Paired,
    dictionary: Dictionary,
) -> (Client<TcpStream>, Vec<Node>) {
    let config = ClientConfig::default();
    let (mut client, first) =
        client::login_with(&sim.info.ws_url, root(sim), paired, &config, dictionary)
            .await
            .unwrap();
    assert_eq!(first.tag, "success", "{first}");
    client
        .send(&iq("active-1", "passive", "set", vec![Node::new("active")]))
        .await
        .unwrap();
    let mut queued = Vec::new();
    loop {
        let node = within("offline marker", client.recv())
            .await
            .unwrap()
            .expect("closed");
        match node.tag.as_str() {
            "iq" => assert_eq!(node.attr_str("type").as_deref(), Some("result")),
            "ib" => {
                let count: usize = node
                    .get_child("offline")
                    .unwrap()
                    .attr_u64("count")
                    .unwrap() as usize;
                assert_eq!(count, queued.len());
                return (client, queued);
            }
            _ => queued.push(node),
        }
    }
}

pub fn iq(id: &str, xmlns: &str, kind: &str, children: Vec<Node>) -> Node {
    Node::new("iq")
        .attr("id", id)
        .attr("to", Jid::server())
        .attr("type", kind)
        .attr("xmlns", xmlns)
        .children(children)
}

pub async fn ask(client: &mut Client<TcpStream>, request: Node) -> Node {
    let id = request.attr_str("id").unwrap();
    client.send(&request).await.unwrap();
    within(
        "iq answer",
        client.recv_until(|n| n.tag == "iq" && n.attr_str("id").as_deref() == Some(id.as_str())),
    )
    .await
    .unwrap()
    .expect("closed before the answer")
}
