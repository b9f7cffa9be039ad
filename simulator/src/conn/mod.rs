//! Client connections: WebSocket accept at `/ws/chat` (plain or TLS) and the per-connection task.

pub mod registry;

use std::net::SocketAddr;
use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::sim::Sim;
use registry::Command;

/// The only WebSocket path clients may use.
pub const WS_PATH: &str = "/ws/chat";
/// Largest WebSocket message accepted (frames are at most 2^24 bytes plus headers).
pub const MAX_WS_MESSAGE: usize = (1 << 24) + 64;

#[allow(clippy::result_large_err)] // the signature tungstenite requires
fn check_path(request: &Request, response: Response) -> Result<Response, ErrorResponse> {
    if request.uri().path() == WS_PATH {
        return Ok(response);
    }
    let mut error = ErrorResponse::new(Some(format!("not found; use {WS_PATH}")));
    *error.status_mut() = StatusCode::NOT_FOUND;
    Err(error)
}

fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(MAX_WS_MESSAGE))
        .max_frame_size(Some(MAX_WS_MESSAGE))
}

/// Serves one accepted TCP (or TLS) stream until it closes. Never panics; errors are logged.
pub async fn serve<S>(sim: Arc<Sim>, stream: S, peer: SocketAddr)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let ws = match tokio_tungstenite::accept_hdr_async_with_config(
        stream,
        check_path,
        Some(ws_config()),
    )
    .await
    {
        Ok(ws) => ws,
        Err(e) => {
            tracing::info!(%peer, error = %e, "WebSocket upgrade failed");
            return;
        }
    };
    let (handle, mut commands) = sim.registry.open();
    let conn = handle.id;
    tracing::debug!(%peer, conn, "client connected");
    let (mut sink, mut source) = ws.split();
    loop {
        tokio::select! {
            command = commands.recv() => match command {
                None | Some(Command::Drop) => {
                    tracing::info!(conn, "dropping connection (fault or shutdown)");
                    break;
                }
                Some(Command::Send(_) | Command::SendAndClose(_)) => {
                    tracing::warn!(conn, "no session to send a stanza on; closing");
                    break;
                }
            },
            message = source.next() => match message {
                None => break,
                Some(Err(e)) => {
                    tracing::info!(conn, error = %e, "WebSocket read failed; closing");
                    break;
                }
                Some(Ok(Message::Close(_))) => break,
                Some(Ok(Message::Ping(payload))) => {
                    if sink.send(Message::Pong(payload)).await.is_err() {
                        break;
                    }
                }
                Some(Ok(_)) => {}
            },
        }
    }
    let _ = sink.close().await;
    sim.registry.close(conn);
    tracing::debug!(conn, "connection closed");
}
