//! One client's byte pipe: WebSocket messages → frames (intro stripped) → Noise transport →
//! binary nodes, and back. Nodes are read and written with the dictionary version the client
//! announced in its intro header.

use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use openwa_protocol::binary::Dictionary;
use openwa_protocol::noise::{FrameDecoder, FrameEncoder, FrameError, NoiseError, Transport};
use openwa_protocol::{Node, binary};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::{self, Message};

/// Why a connection ended abnormally.
#[derive(Debug, thiserror::Error)]
pub enum ConnError {
    /// The WebSocket failed.
    #[error("websocket: {0}")]
    Ws(#[from] tungstenite::Error),
    /// The byte stream is not a valid intro + frame sequence.
    #[error("framing: {0}")]
    Frame(#[from] FrameError),
    /// The Noise handshake or transport failed.
    #[error("noise: {0}")]
    Noise(#[from] NoiseError),
    /// A decrypted frame is not a valid binary node.
    #[error("binary node: {0}")]
    Decode(#[from] binary::DecodeError),
    /// An outgoing node cannot be serialized (past a format limit).
    #[error("binary node: {0}")]
    Encode(#[from] binary::EncodeError),
    /// The ClientPayload was rejected.
    #[error("client payload: {0}")]
    Payload(#[from] openwa_protocol::payload::PayloadError),
    /// The client broke the protocol in another way.
    #[error("protocol: {0}")]
    Protocol(String),
    /// The client sent a text WebSocket message.
    #[error("text WebSocket message (only binary is allowed)")]
    TextMessage,
    /// The client took too long.
    #[error("timed out waiting for {0}")]
    Timeout(&'static str),
    /// An outgoing frame was too large.
    #[error("outgoing frame too large")]
    FrameTooLarge,
}

/// The WebSocket halves plus the frame codec and (after the handshake) the transport.
pub struct Wire<S> {
    sink: SplitSink<WebSocketStream<S>, Message>,
    source: SplitStream<WebSocketStream<S>>,
    decoder: FrameDecoder,
    encoder: FrameEncoder,
    transport: Option<Transport>,
    dictionary: Dictionary,
    /// Frames were queued with [`Wire::queue_node`] and not flushed yet.
    unflushed: bool,
}

impl<S> std::fmt::Debug for Wire<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wire").finish_non_exhaustive()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Wire<S> {
    /// Wraps an accepted WebSocket.
    pub fn new(ws: WebSocketStream<S>) -> Self {
        let (sink, source) = ws.split();
        Wire {
            sink,
            source,
            decoder: FrameDecoder::server(),
            encoder: FrameEncoder::server(),
            transport: None,
            dictionary: Dictionary::V3,
            unflushed: false,
        }
    }

    /// The decoder (for the intro the client sent).
    pub fn decoder(&self) -> &FrameDecoder {
        &self.decoder
    }

    /// Installs the transport once the handshake is complete, with the dictionary version the
    /// client's intro announced.
    pub fn set_transport(&mut self, transport: Transport, dictionary: Dictionary) {
        self.transport = Some(transport);
        self.dictionary = dictionary;
    }

    /// The dictionary version nodes are read and written with.
    pub fn dictionary(&self) -> Dictionary {
        self.dictionary
    }

    /// The next frame payload; `None` when the client closed the socket. Cancel-safe.
    pub async fn next_frame(&mut self) -> Result<Option<Vec<u8>>, ConnError> {
        loop {
            if let Some(frame) = self.decoder.next_frame()? {
                return Ok(Some(frame));
            }
            // About to wait for the client: what was queued goes out first, in one write.
            if self.unflushed {
                self.sink.flush().await?;
                self.unflushed = false;
            }
            match self.source.next().await {
                None | Some(Ok(Message::Close(_))) => return Ok(None),
                Some(Err(e)) => return Err(e.into()),
                Some(Ok(Message::Binary(bytes))) => self.decoder.push(&bytes),
                Some(Ok(Message::Text(_))) => return Err(ConnError::TextMessage),
                Some(Ok(Message::Ping(payload))) => {
                    self.sink.send(Message::Pong(payload)).await?;
                }
                Some(Ok(_)) => {}
            }
        }
    }

    /// Sends one frame (handshake message or ciphertext).
    pub async fn send_frame(&mut self, payload: &[u8]) -> Result<(), ConnError> {
        let framed = self.frame(payload)?;
        self.sink.send(Message::Binary(framed.into())).await?;
        self.unflushed = false;
        Ok(())
    }

    /// Decrypts and decodes one transport frame into a node.
    pub fn open(&mut self, frame: &[u8]) -> Result<Node, ConnError> {
        let transport = self
            .transport
            .as_mut()
            .ok_or_else(|| ConnError::Protocol("node before handshake".into()))?;
        let plaintext = transport.decrypt(frame)?;
        Ok(binary::decode_with(&plaintext, self.dictionary)?)
    }

    /// Encodes, encrypts and sends one node (with everything queued before it).
    pub async fn send_node(&mut self, node: &Node) -> Result<(), ConnError> {
        let ciphertext = self.seal(node)?;
        self.send_frame(&ciphertext).await
    }

    /// Encodes and encrypts one node and queues it without writing: queued nodes go out
    /// together when the connection next waits for the client ([`Wire::next_frame`]) or sends
    /// with [`Wire::send_node`]. Several stanzas routed to a busy connection then cost one
    /// write instead of one each.
    pub async fn queue_node(&mut self, node: &Node) -> Result<(), ConnError> {
        let ciphertext = self.seal(node)?;
        let framed = self.frame(&ciphertext)?;
        self.sink.feed(Message::Binary(framed.into())).await?;
        self.unflushed = true;
        Ok(())
    }

    /// Encodes and encrypts one node (the transport frame's payload).
    fn seal(&mut self, node: &Node) -> Result<Vec<u8>, ConnError> {
        let transport = self
            .transport
            .as_mut()
            .ok_or_else(|| ConnError::Protocol("node before handshake".into()))?;
        Ok(transport.encrypt(&binary::encode_with(node, self.dictionary)?)?)
    }

    /// Adds the length header (and, first, the intro) to one frame payload.
    fn frame(&mut self, payload: &[u8]) -> Result<Vec<u8>, ConnError> {
        self.encoder
            .encode(payload)
            .map_err(|_| ConnError::FrameTooLarge)
    }

    /// Ends the stream after a final node (a stream error): waits up to `grace` for the client
    /// to close its side, discarding whatever it still sends, then closes ours.
    ///
    /// Clients handle the stream error asynchronously; dropping the socket right after it lets
    /// the close overtake the error (Baileys then reports 428 "connection terminated" instead of
    /// 515 or 401), which WhatsApp's server does not provoke.
    pub async fn linger(&mut self, grace: Duration) {
        let _ = tokio::time::timeout(grace, async {
            while let Ok(Some(_)) = self.next_frame().await {}
        })
        .await;
        let _ = self.sink.close().await;
    }

    /// Closes the WebSocket politely (errors ignored: the peer may be gone).
    pub async fn close(mut self) {
        let _ = self.sink.close().await;
    }
}
