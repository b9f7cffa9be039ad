//! A logged-in protocol client for integration tests that keeps what it received while it waits
//! for something else, with IQ round trips and notification helpers.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::VecDeque;

use openwa_protocol::stanza::{Ack, GroupNotification, IqSpec, Notification, NotificationBody};
use openwa_protocol::{Jid, Node};
use openwa_simulator::client::Client;
use tokio::net::TcpStream;

use super::session::within;

/// A logged-in device that keeps what it received while waiting for something else.
pub struct Dev {
    pub client: Client<TcpStream>,
    backlog: VecDeque<Node>,
    next_id: u32,
}

impl Dev {
    pub fn new(client: Client<TcpStream>, queued: Vec<Node>) -> Self {
        Dev {
            client,
            backlog: queued.into(),
            next_id: 0,
        }
    }

    /// Sends a request built by `spec` and returns the answer.
    pub async fn ask<S: IqSpec>(&mut self, spec: &S) -> Node {
        self.next_id += 1;
        let id = format!("g{}", self.next_id);
        self.ask_node(spec.request_with_id(&id)).await
    }

    pub async fn ask_node(&mut self, request: Node) -> Node {
        let id = request.attr_str("id").unwrap();
        self.client.send(&request).await.unwrap();
        self.next(|n| n.tag == "iq" && n.attr_str("id").as_deref() == Some(id.as_str()))
            .await
    }

    /// The next node matching `want` (earlier non-matching ones stay in the backlog).
    pub async fn next(&mut self, want: impl Fn(&Node) -> bool) -> Node {
        if let Some(i) = self.backlog.iter().position(&want) {
            return self.backlog.remove(i).unwrap();
        }
        loop {
            let node = within("node", self.client.recv())
                .await
                .unwrap()
                .expect("closed");
            if want(&node) {
                return node;
            }
            self.backlog.push_back(node);
        }
    }

    /// The next `w:gp2` notification, acknowledged.
    pub async fn gp2(&mut self) -> (Jid, GroupNotification) {
        let node = self
            .next(|n| n.tag == "notification" && n.attr_str("type").as_deref() == Some("w:gp2"))
            .await;
        self.client
            .send(&Ack::for_stanza(&node).unwrap().to_node())
            .await
            .unwrap();
        let notification = Notification::from_node(&node).unwrap();
        assert!(notification.t.is_some(), "whatsmeow requires t: {node}");
        match notification.body {
            NotificationBody::Group(group) => (notification.from, group),
            other => panic!("not a group notification: {other:?}"),
        }
    }

    /// Everything received before the answer to a ping (flushes what is in flight).
    pub async fn drain(&mut self) -> Vec<Node> {
        self.next_id += 1;
        let ping = Node::new("iq")
            .attr("id", format!("p{}", self.next_id))
            .attr("to", Jid::server())
            .attr("type", "get")
            .attr("xmlns", "w:p")
            .child(Node::new("ping"));
        self.ask_node(ping).await;
        self.backlog.drain(..).collect()
    }
}

pub fn error_code(reply: &Node) -> Option<String> {
    assert_eq!(reply.attr_str("type").as_deref(), Some("error"), "{reply}");
    reply.get_child("error").and_then(|e| e.attr_str("code"))
}

pub fn is_result(reply: &Node) {
    assert_eq!(reply.attr_str("type").as_deref(), Some("result"), "{reply}");
}
