//! Client connections: WebSocket accept at `/ws/chat` (plain or TLS), the Noise handshake, and
//! dispatch to the registering ([`registering`]) or logged-in ([`session`]) loop.

pub mod registering;
pub mod registry;
pub mod session;
pub mod wire;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use openwa_protocol::binary::Dictionary;
use openwa_protocol::crypto::KeyPair;
use openwa_protocol::noise::Responder;
use openwa_protocol::payload::{self, ClientKind};
use rand_core::OsRng;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::sim::Sim;
use registry::{Command, ConnHandle};
use wire::{ConnError, Wire};

/// The only WebSocket path clients may use.
pub const WS_PATH: &str = "/ws/chat";
/// Largest WebSocket message accepted (frames are at most 2^24 bytes plus headers).
pub const MAX_WS_MESSAGE: usize = (1 << 24) + 64;
/// How long a client may take to upgrade and complete the Noise handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the server waits after a dictionary-v2 client's ClientFinish before its first node.
///
/// Baileys 6 (the v2 client in use) switches its Noise state to transport mode only after the
/// WebSocket write of its ClientFinish has completed; a node that arrives earlier is taken for a
/// handshake frame and every later frame fails to decrypt. Real servers are a network round trip
/// away, so it never sees that; over loopback it does. The pause stands in for that round trip.
pub const V2_FIRST_NODE_DELAY: Duration = Duration::from_millis(100);

#[allow(clippy::result_large_err)] // the signature tungstenite requires
fn check_path(request: &Request, response: Response) -> Result<Response, ErrorResponse> {
    if request.uri().path() == WS_PATH {
        return Ok(response);
    }
    let mut error = ErrorResponse::new(Some(format!("not found; use {WS_PATH}")));
    *error.status_mut() = StatusCode::NOT_FOUND;
    Err(error)
}

/// Bytes read from a socket at a time. tungstenite's default (128 KiB) is allocated per
/// connection and dominates an idle connection's memory; stanzas are far smaller, and larger
/// messages still arrive whole, in several reads.
pub const WS_READ_BUFFER: usize = 8 * 1024;

fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(WS_READ_BUFFER)
        .max_message_size(Some(MAX_WS_MESSAGE))
        .max_frame_size(Some(MAX_WS_MESSAGE))
}

/// A connection after a successful handshake: its pipe, identity and command queue.
#[derive(Debug)]
pub struct Conn<S> {
    /// The byte pipe.
    pub wire: Wire<S>,
    /// Registry handle.
    pub handle: ConnHandle,
    /// Commands from the rest of the simulator.
    pub commands: mpsc::Receiver<Command>,
    /// The client's Noise static key.
    pub client_static: [u8; 32],
    /// Remote address (for logs).
    pub peer: SocketAddr,
}

/// Serves one accepted TCP (or TLS) stream until it closes. Never panics; every abnormal end is
/// logged with the connection id and the reason.
pub async fn serve<S>(sim: Arc<Sim>, stream: S, peer: SocketAddr)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (handle, commands) = sim.registry.open();
    let id = handle.id;
    let result = run(&sim, stream, peer, handle, commands).await;
    match result {
        Ok(()) => tracing::debug!(conn = id, %peer, "connection closed"),
        Err(e) => tracing::info!(conn = id, %peer, error = %e, "connection closed on error"),
    }
    sim.registry.close(id);
    sim.forget_pairing(id);
}

async fn run<S>(
    sim: &Arc<Sim>,
    stream: S,
    peer: SocketAddr,
    handle: ConnHandle,
    mut commands: mpsc::Receiver<Command>,
) -> Result<(), ConnError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let handshake = async {
        let ws =
            tokio_tungstenite::accept_hdr_async_with_config(stream, check_path, Some(ws_config()))
                .await?;
        let mut wire = Wire::new(ws);
        let handshaken = handshake(sim, &mut wire).await?;
        Ok::<_, ConnError>((wire, handshaken))
    };
    let (mut wire, (finished, dictionary)) = tokio::select! {
        result = tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake) => match result {
            Ok(result) => result?,
            Err(_) => return Err(ConnError::Timeout("the Noise handshake")),
        },
        Some(Command::Drop) = commands.recv() => return Ok(()),
    };
    let kind = payload::parse_client_payload(&finished.client_payload)?;
    wire.set_transport(finished.transport, dictionary);
    if dictionary == Dictionary::V2 {
        tokio::time::sleep(V2_FIRST_NODE_DELAY).await;
    }
    let conn = Conn {
        wire,
        handle,
        commands,
        client_static: finished.client_static,
        peer,
    };
    match kind {
        ClientKind::Registration(registration) => registering::run(sim, conn, *registration).await,
        ClientKind::Login(login) => session::run(sim, conn, login).await,
    }
}

/// Runs the Noise XX responder (docs/PROTOCOL.md, Noise handshake) with the simulator's certificate chain. The
/// prologue is the intro header the client sent; its version (2 or 3) picks the dictionary the
/// connection's nodes use.
async fn handshake<S>(
    sim: &Sim,
    wire: &mut Wire<S>,
) -> Result<(openwa_protocol::noise::ClientFinished, Dictionary), ConnError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let hello = wire
        .next_frame()
        .await?
        .ok_or_else(|| ConnError::Protocol("closed before ClientHello".into()))?;
    let intro = wire
        .decoder()
        .intro()
        .cloned()
        .ok_or_else(|| ConnError::Protocol("no intro header".into()))?;
    let dictionary = intro.dictionary().ok_or_else(|| {
        ConnError::Protocol(format!(
            "unsupported dictionary version {} (this simulator speaks 2 and 3)",
            intro.dict_version
        ))
    })?;
    let responder = Responder::read_client_hello(&intro.header(), &hello)?;
    let (awaiting, server_hello) = responder.write_server_hello(
        &sim.noise_static,
        &sim.cert_chain,
        KeyPair::generate(&mut OsRng),
    )?;
    wire.send_frame(&server_hello).await?;
    let finish = wire
        .next_frame()
        .await?
        .ok_or_else(|| ConnError::Protocol("closed before ClientFinish".into()))?;
    Ok((awaiting.read_client_finish(&finish)?, dictionary))
}

/// How long the server waits for a client to close its side after a stream error.
pub const STREAM_END_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// What a connection loop does with one command; `true` means "close now".
pub async fn apply_common_command<S>(
    sim: &Sim,
    wire: &mut Wire<S>,
    command: Command,
) -> Result<bool, ConnError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    match command {
        Command::Send(node) => {
            if let Some(delay) = sim.faults.delay() {
                tokio::time::sleep(delay).await;
            }
            wire.queue_node(&node).await?;
            Ok(false)
        }
        Command::SendAndClose(node) => {
            wire.send_node(&node).await?;
            wire.linger(STREAM_END_GRACE).await;
            Ok(true)
        }
        Command::Drop => Ok(true),
        Command::Pair(request) => {
            let _ = request
                .done
                .send(Err("the connection is not waiting to be paired".into()));
            Ok(false)
        }
    }
}
