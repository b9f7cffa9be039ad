//! Test harness: a scripted chat server on 127.0.0.1 that speaks the real wire protocol
//! (WebSocket, WhatsApp framing, Noise XX responder with its own certificate chain, WABinary),
//! so the engine is tested end to end over sockets while the tests play the server's part.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use openwa_protocol::Node;
use openwa_protocol::crypto::KeyPair;
use openwa_protocol::noise::{
    CertValidity, FrameDecoder, FrameEncoder, Responder, Transport, WA_INTRO, build_cert_chain,
};
use openwa_protocol::payload::{ClientKind, parse_client_payload};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use crate::bus::EventStream;
use crate::event::{ConnectionState, Event, EventKind, StateReason};

/// A fake chat server.
pub(crate) struct FakeServer {
    /// `ws://127.0.0.1:PORT/ws/chat`.
    pub url: String,
    /// The Noise root public key to configure as trust root.
    pub root: [u8; 32],
    connections: mpsc::Receiver<ServerConn>,
}

/// One accepted, handshaken client connection.
pub(crate) struct ServerConn {
    ws: WebSocketStream<TcpStream>,
    encoder: FrameEncoder,
    decoder: FrameDecoder,
    transport: Transport,
    /// The client's noise static key.
    pub client_static: [u8; 32],
    /// What the client sent in its ClientPayload.
    pub kind: ClientKind,
}

const WAIT: Duration = Duration::from_secs(10);

impl FakeServer {
    /// Starts the server.
    pub(crate) async fn start() -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut rng = rand::rngs::OsRng;
        let root = KeyPair::generate(&mut rng);
        let intermediate = KeyPair::generate(&mut rng);
        let server_static = KeyPair::generate(&mut rng);
        let now = crate::bus::now_ms() / 1000;
        let chain = build_cert_chain(
            &root,
            &intermediate,
            &server_static.public,
            CertValidity::around(now, 3600),
            &mut rng,
        );
        let (tx, connections) = mpsc::channel(16);
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let tx = tx.clone();
                let chain = chain.clone();
                let server_static = server_static.clone();
                tokio::spawn(async move {
                    if let Some(conn) = accept(tcp, &server_static, &chain).await {
                        let _ = tx.send(conn).await;
                    }
                });
            }
        });
        FakeServer {
            url: format!("ws://127.0.0.1:{port}/ws/chat"),
            root: root.public,
            connections,
        }
    }

    /// The next handshaken connection.
    pub(crate) async fn next_conn(&mut self) -> ServerConn {
        tokio::time::timeout(WAIT, self.connections.recv())
            .await
            .expect("no client connected in time")
            .expect("server stopped")
    }
}

async fn accept(tcp: TcpStream, server_static: &KeyPair, chain: &[u8]) -> Option<ServerConn> {
    let mut ws = tokio_tungstenite::accept_async(tcp).await.ok()?;
    let mut decoder = FrameDecoder::server();
    let mut encoder = FrameEncoder::server();
    let hello = read_frame(&mut ws, &mut decoder).await?;
    let responder = Responder::read_client_hello(&WA_INTRO, &hello).ok()?;
    let (awaiting, server_hello) = responder
        .write_server_hello(
            server_static,
            chain,
            KeyPair::generate(&mut rand::rngs::OsRng),
        )
        .ok()?;
    ws.send(Message::binary(encoder.encode(&server_hello).ok()?))
        .await
        .ok()?;
    let finish = read_frame(&mut ws, &mut decoder).await?;
    let finished = awaiting.read_client_finish(&finish).ok()?;
    let kind = parse_client_payload(&finished.client_payload).ok()?;
    Some(ServerConn {
        ws,
        encoder,
        decoder,
        transport: finished.transport,
        client_static: finished.client_static,
        kind,
    })
}

async fn read_frame(
    ws: &mut WebSocketStream<TcpStream>,
    decoder: &mut FrameDecoder,
) -> Option<Vec<u8>> {
    loop {
        if let Some(frame) = decoder.next_frame().ok()? {
            return Some(frame);
        }
        match ws.next().await? {
            Ok(Message::Binary(bytes)) => decoder.push(&bytes),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

impl ServerConn {
    /// Sends a node to the client.
    pub(crate) async fn send(&mut self, node: &Node) {
        let mut bytes = openwa_protocol::binary::encode(node).unwrap();
        self.transport.encrypt_in_place(&mut bytes).unwrap();
        let frame = self.encoder.encode(&bytes).unwrap();
        self.ws.send(Message::binary(frame)).await.unwrap();
    }

    /// The next node from the client; `None` once it closed.
    pub(crate) async fn recv(&mut self) -> Option<Node> {
        loop {
            let mut frame = tokio::time::timeout(WAIT, read_frame(&mut self.ws, &mut self.decoder))
                .await
                .expect("client sent nothing in time")?;
            self.transport.decrypt_in_place(&mut frame).unwrap();
            let node = openwa_protocol::binary::decode(&frame).unwrap();
            // Prekey maintenance after login (`xmlns="encrypt"` count, upload, digest, rotate) is
            // not part of these scripts: it is left unanswered (the simulator tests cover it).
            // Bundle fetches (`<key>`) belong to sending and are returned.
            if node.tag == "iq"
                && node.attr_str("xmlns").as_deref() == Some("encrypt")
                && node.get_child("key").is_none()
            {
                continue;
            }
            return Some(node);
        }
    }

    /// The next node whose tag is `tag`, skipping others (pings are answered).
    pub(crate) async fn recv_tag(&mut self, tag: &str) -> Node {
        loop {
            let node = self.recv().await.expect("client closed");
            if node.tag == tag {
                return node;
            }
            self.answer_ping(&node).await;
        }
    }

    /// The next iq with a child `child`, answering pings meanwhile.
    pub(crate) async fn recv_iq_with(&mut self, child: &str) -> Node {
        loop {
            let node = self.recv_tag("iq").await;
            if node.get_child(child).is_some() {
                return node;
            }
            self.answer_ping(&node).await;
        }
    }

    async fn answer_ping(&mut self, node: &Node) {
        if node.tag == "iq" && node.attr_str("xmlns").as_deref() == Some("w:p") {
            let header = openwa_protocol::stanza::IqHeader::of(node).unwrap();
            self.send(&header.result(Vec::new())).await;
        }
    }

    /// Waits until the client closes the connection, answering pings.
    pub(crate) async fn closed(mut self) {
        while let Some(node) = self.recv().await {
            self.answer_ping(&node).await;
        }
    }
}

/// Waits for an event matching `pred` (skipping others).
pub(crate) async fn expect_event(
    events: &EventStream,
    what: &str,
    pred: impl Fn(&Event) -> bool,
) -> Event {
    let found = tokio::time::timeout(WAIT, async {
        loop {
            let event = events.next().await.expect("event stream closed");
            if pred(&event) {
                return event;
            }
        }
    })
    .await;
    found.unwrap_or_else(|_| panic!("no {what} event in time"))
}

/// Waits for a state change to `state` with `reason`.
pub(crate) async fn expect_state(
    events: &EventStream,
    state: ConnectionState,
    reason: StateReason,
) -> Event {
    expect_event(events, &format!("{state:?}/{reason:?}"), |e| {
        matches!(&e.kind, EventKind::ConnectionState { state: s, reason: r, .. } if *s == state && *r == reason)
    })
    .await
}
