//! The message phase: in each pair the sender keeps `window` messages in flight; the receiver
//! answers every message with a delivery receipt, which the simulator routes back to the sender,
//! who acknowledges it and sends the next one. Six stanzas pass the simulator per message.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use openwa_protocol::jid::DEFAULT_USER_SERVER;
use openwa_protocol::stanza::Ack;
use openwa_protocol::{Jid, Node};
use rand_core::{OsRng, RngCore};

use crate::Options;
use crate::setup::{Conn, phone};

/// How long a chatting client waits for its next stanza before it gives up.
const QUIET: Duration = Duration::from_secs(10);

/// What the message phase measured.
#[derive(Debug)]
pub struct Outcome {
    /// Messages the receivers got while the phase ran.
    pub delivered: u64,
    /// How long it ran.
    pub seconds: f64,
    /// Clients that failed, with why.
    pub errors: Vec<String>,
}

/// Runs the phase with `conns` as consecutive (sender, receiver) pairs.
pub async fn run(conns: Vec<Conn>, options: &Options) -> Result<Outcome, String> {
    let running = Arc::new(AtomicBool::new(true));
    let delivered = Arc::new(AtomicU64::new(0));
    let mut payload = vec![0u8; options.payload];
    OsRng.fill_bytes(&mut payload);
    let payload: Arc<[u8]> = payload.into();
    let mut tasks = Vec::new();
    let mut conns = conns.into_iter().enumerate();
    while let (Some((index, sender)), Some((_, receiver))) = (conns.next(), conns.next()) {
        let to = phone(index + 1);
        tasks.push(tokio::spawn(send_loop(
            sender,
            to,
            options.window,
            payload.clone(),
            running.clone(),
        )));
        tasks.push(tokio::spawn(receive_loop(
            receiver,
            running.clone(),
            delivered.clone(),
        )));
    }
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(options.seconds)).await;
    running.store(false, Ordering::SeqCst);
    let seconds = started.elapsed().as_secs_f64();
    let delivered = delivered.load(Ordering::SeqCst);
    let mut errors = Vec::new();
    for task in tasks {
        match task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => errors.push(e),
            Err(e) => errors.push(format!("task: {e}")),
        }
    }
    Ok(Outcome {
        delivered,
        seconds,
        errors,
    })
}

fn message(id: u64, to_phone: &str, payload: &[u8]) -> Node {
    let device = Jid::with_device(to_phone, DEFAULT_USER_SERVER, 1);
    let enc = Node::new("enc")
        .attr("v", "2")
        .attr("type", "msg")
        .bytes(payload.to_vec());
    Node::new("message")
        .attr("id", format!("LOAD{id:012X}"))
        .attr("to", Jid::pn(to_phone))
        .attr("type", "text")
        .child(Node::new("participants").child(Node::new("to").attr("jid", device).child(enc)))
}

async fn next(conn: &mut Conn) -> Result<Node, String> {
    tokio::time::timeout(QUIET, conn.recv())
        .await
        .map_err(|_| "no stanza for 10 s".to_owned())?
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "the simulator closed the connection".to_owned())
}

async fn send_loop(
    mut conn: Conn,
    to: String,
    window: usize,
    payload: Arc<[u8]>,
    running: Arc<AtomicBool>,
) -> Result<(), String> {
    let (mut sent, mut in_flight) = (0u64, 0usize);
    loop {
        while in_flight < window && running.load(Ordering::Relaxed) {
            conn.send(&message(sent, &to, &payload))
                .await
                .map_err(|e| e.to_string())?;
            sent += 1;
            in_flight += 1;
        }
        if in_flight == 0 {
            return Ok(());
        }
        let node = next(&mut conn).await?;
        if node.tag == "receipt" {
            let ack = Ack::for_stanza(&node).map_err(|e| e.to_string())?;
            conn.send(&ack.to_node()).await.map_err(|e| e.to_string())?;
            in_flight -= 1;
        }
    }
}

async fn receive_loop(
    mut conn: Conn,
    running: Arc<AtomicBool>,
    delivered: Arc<AtomicU64>,
) -> Result<(), String> {
    loop {
        let node = match tokio::time::timeout(Duration::from_secs(2), conn.recv()).await {
            Ok(Ok(Some(node))) => node,
            Ok(Ok(None)) => return Err("the simulator closed the connection".into()),
            Ok(Err(e)) => return Err(e.to_string()),
            // Quiet after the phase: every message was answered.
            Err(_) if !running.load(Ordering::Relaxed) => return Ok(()),
            Err(_) => continue,
        };
        if node.tag != "message" {
            continue;
        }
        if running.load(Ordering::Relaxed) {
            delivered.fetch_add(1, Ordering::Relaxed);
        }
        let id = node.attr_str("id").unwrap_or_default();
        let from = node.attr_jid("from").ok_or("message without from")?;
        let receipt = Node::new("receipt").attr("id", id).attr("to", from);
        conn.send(&receipt).await.map_err(|e| e.to_string())?;
    }
}
