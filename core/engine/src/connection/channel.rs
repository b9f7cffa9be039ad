//! A duplex channel of binary nodes: the Noise-encrypted WebSocket in production, an in-memory
//! pair in tests. The connection driver only sees this trait.

use std::future::Future;

use futures_util::{SinkExt, StreamExt};
use openwa_protocol::Node;
use openwa_protocol::crypto::KeyPair;
use openwa_protocol::noise::{FrameDecoder, FrameEncoder, Initiator, Transport, TrustRoot};
use rand_core::CryptoRngCore;
use tokio_tungstenite::tungstenite::Message;

use crate::transport::TransportError;
use crate::transport::ws::WsStream;

/// Sends and receives whole binary nodes.
pub(crate) trait NodeChannel: Send + 'static {
    /// Sends one node.
    fn send(&mut self, node: &Node) -> impl Future<Output = Result<(), TransportError>> + Send;
    /// Receives the next node; [`TransportError::Closed`] when the peer closed. Cancel-safe.
    fn recv(&mut self) -> impl Future<Output = Result<Node, TransportError>> + Send;
    /// Closes the channel (best effort).
    fn close(&mut self) -> impl Future<Output = ()> + Send;
}

/// The production channel: WebSocket + WhatsApp framing + Noise transport + WABinary.
#[derive(Debug)]
pub(crate) struct NoiseChannel {
    ws: WsStream,
    encoder: FrameEncoder,
    decoder: FrameDecoder,
    transport: Transport,
}

/// Runs the Noise XX handshake as initiator over `ws`: ClientHello, verify the ServerHello's
/// certificate chain against `root` at `now` (Unix seconds), ClientFinish carrying `payload`
/// (a serialized ClientPayload).
pub(crate) async fn handshake(
    mut ws: WsStream,
    root: &TrustRoot,
    noise_key: &KeyPair,
    payload: &[u8],
    now: u64,
    rng: &mut (impl CryptoRngCore + Send),
) -> Result<NoiseChannel, TransportError> {
    let mut encoder = FrameEncoder::client();
    let mut decoder = FrameDecoder::client();
    let (initiator, hello) = Initiator::start(KeyPair::generate(rng));
    send_frame(&mut ws, &mut encoder, &hello).await?;
    let server_hello = recv_frame(&mut ws, &mut decoder).await?;
    let ready = initiator.read_server_hello(&server_hello, root, now)?;
    let (finish, transport) = ready.finish(noise_key, payload)?;
    send_frame(&mut ws, &mut encoder, &finish).await?;
    Ok(NoiseChannel {
        ws,
        encoder,
        decoder,
        transport,
    })
}

async fn send_frame(
    ws: &mut WsStream,
    encoder: &mut FrameEncoder,
    payload: &[u8],
) -> Result<(), TransportError> {
    let frame = encoder
        .encode(payload)
        .map_err(|e| TransportError::Protocol(e.to_string()))?;
    ws.send(Message::binary(frame))
        .await
        .map_err(|e| TransportError::WebSocket(e.to_string()))
}

/// Reads WebSocket messages until `decoder` yields a frame. Cancel-safe: bytes already read
/// stay in the decoder.
async fn recv_frame(
    ws: &mut WsStream,
    decoder: &mut FrameDecoder,
) -> Result<Vec<u8>, TransportError> {
    loop {
        if let Some(frame) = decoder
            .next_frame()
            .map_err(|e| TransportError::Protocol(e.to_string()))?
        {
            return Ok(frame);
        }
        match ws.next().await {
            Some(Ok(Message::Binary(bytes))) => decoder.push(&bytes),
            Some(Ok(Message::Close(_))) | None => return Err(TransportError::Closed),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(TransportError::WebSocket(e.to_string())),
        }
    }
}

impl NodeChannel for NoiseChannel {
    async fn send(&mut self, node: &Node) -> Result<(), TransportError> {
        let mut plaintext = openwa_protocol::binary::encode(node)
            .map_err(|e| TransportError::Encode(e.to_string()))?;
        self.transport.encrypt_in_place(&mut plaintext)?;
        send_frame(&mut self.ws, &mut self.encoder, &plaintext).await
    }

    async fn recv(&mut self) -> Result<Node, TransportError> {
        let mut frame = recv_frame(&mut self.ws, &mut self.decoder).await?;
        self.transport.decrypt_in_place(&mut frame)?;
        openwa_protocol::binary::decode(&frame).map_err(|e| TransportError::Protocol(e.to_string()))
    }

    async fn close(&mut self) {
        let _ = self.ws.close(None).await;
    }
}
