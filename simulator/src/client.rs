//! A minimal client of the real protocol, built on `openwa-protocol`, for the simulator's own
//! tests and for load generation: Noise handshake, registration and QR pairing, login, and
//! sending/receiving nodes. It is not the engine (no Signal, no store).

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use openwa_protocol::binary::Dictionary;
use openwa_protocol::crypto::KeyPair;
use openwa_protocol::crypto::keys::with_type;
use openwa_protocol::noise::{
    FrameDecoder, FrameEncoder, Initiator, Transport, TrustRoot, intro_header,
};
use openwa_protocol::pairing::QrCode;
use openwa_protocol::pairing::adv;
use openwa_protocol::payload::{self, ClientConfig, RegistrationKeys};
use openwa_protocol::stanza::{IqSpec, PairDevice, PairDeviceSign, PairSuccess};
use openwa_protocol::{Jid, Node, binary};
use prost::Message as _;
use rand_core::{OsRng, RngCore};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use crate::conn::wire::ConnError;
use crate::util::now_secs;

/// A companion's long-term keys.
#[derive(Debug, Clone)]
pub struct CompanionKeys {
    /// Noise static key (the login credential).
    pub noise: KeyPair,
    /// Signal identity key.
    pub identity: KeyPair,
    /// Signed prekey.
    pub signed_prekey: KeyPair,
    /// Signal registration id.
    pub registration_id: u32,
    /// ADV secret put in the QR code.
    pub adv_secret: [u8; 32],
}

impl CompanionKeys {
    /// Fresh random keys.
    pub fn generate() -> Self {
        let mut adv_secret = [0u8; 32];
        OsRng.fill_bytes(&mut adv_secret);
        CompanionKeys {
            noise: KeyPair::generate(&mut OsRng),
            identity: KeyPair::generate(&mut OsRng),
            signed_prekey: KeyPair::generate(&mut OsRng),
            registration_id: (OsRng.next_u32() & 0x3fff).max(1),
            adv_secret,
        }
    }

    fn registration(&self) -> RegistrationKeys {
        RegistrationKeys {
            registration_id: self.registration_id,
            identity_key: self.identity.public,
            signed_prekey_id: 1,
            signed_prekey: self.signed_prekey.public,
            signed_prekey_signature: self
                .identity
                .sign(&with_type(&self.signed_prekey.public), &mut OsRng),
        }
    }

    /// The body of `POST /admin/accounts/{phone}/devices`, which links these keys without
    /// pairing.
    pub fn provision_request(&self) -> crate::provision::ProvisionRequest {
        let registration = self.registration();
        crate::provision::ProvisionRequest {
            noise_key: self.noise.public,
            identity_key: registration.identity_key,
            registration_id: registration.registration_id,
            signed_prekey: crate::state::SignedPreKey {
                id: registration.signed_prekey_id,
                public: registration.signed_prekey,
                signature: registration.signed_prekey_signature,
            },
            platform: None,
        }
    }

    /// The QR string for one of the refs of `pair-device`.
    pub fn qr(&self, reference: &str) -> Result<String, ConnError> {
        QrCode::new(
            reference,
            self.noise.public,
            self.identity.public,
            self.adv_secret,
            Some("1".into()),
        )
        .map(|qr| qr.encode())
        .map_err(|e| ConnError::Protocol(e.to_string()))
    }
}

/// A paired companion: its keys and the JIDs the phone assigned.
#[derive(Debug, Clone)]
pub struct Paired {
    /// Long-term keys.
    pub keys: CompanionKeys,
    /// Own PN device JID.
    pub jid: Jid,
    /// Own LID device JID.
    pub lid: Option<Jid>,
}

/// One client connection.
pub struct Client<S> {
    sink: SplitSink<WebSocketStream<S>, Message>,
    source: SplitStream<WebSocketStream<S>>,
    decoder: FrameDecoder,
    encoder: FrameEncoder,
    transport: Transport,
    dictionary: Dictionary,
}

impl<S> std::fmt::Debug for Client<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").finish_non_exhaustive()
    }
}

/// Opens a plain TCP WebSocket to `ws_url`.
pub async fn connect_ws(ws_url: &str) -> Result<WebSocketStream<TcpStream>, ConnError> {
    let host = crate::http_client::host_port(ws_url)
        .map_err(|_| ConnError::Protocol(format!("bad url {ws_url}")))?;
    let tcp = TcpStream::connect(host)
        .await
        .map_err(|e| ConnError::Protocol(format!("connect {host}: {e}")))?;
    let _ = tcp.set_nodelay(true);
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .read_buffer_size(crate::conn::WS_READ_BUFFER);
    let (ws, _) = tokio_tungstenite::client_async_with_config(ws_url, tcp, Some(config)).await?;
    Ok(ws)
}

impl<S: AsyncRead + AsyncWrite + Unpin> Client<S> {
    /// Runs the Noise handshake over `ws`, trusting `root`, sending `client_payload`, speaking
    /// `dictionary` (announced in the intro header, which is also the Noise prologue).
    pub async fn handshake(
        ws: WebSocketStream<S>,
        root: [u8; 32],
        noise: &KeyPair,
        client_payload: &[u8],
        dictionary: Dictionary,
    ) -> Result<Self, ConnError> {
        let (mut sink, mut source) = ws.split();
        let mut encoder = FrameEncoder::client_with(dictionary.version(), None)
            .map_err(|_| ConnError::FrameTooLarge)?;
        let mut decoder = FrameDecoder::client();
        let (initiator, hello) = Initiator::start_with_prologue(
            &intro_header(dictionary),
            KeyPair::generate(&mut OsRng),
        );
        let framed = encoder
            .encode(&hello)
            .map_err(|_| ConnError::FrameTooLarge)?;
        sink.send(Message::Binary(framed.into())).await?;
        let server_hello = next_frame(&mut source, &mut decoder)
            .await?
            .ok_or_else(|| ConnError::Protocol("closed before ServerHello".into()))?;
        let ready =
            initiator.read_server_hello(&server_hello, &TrustRoot::new(root), now_secs())?;
        let (finish, transport) = ready.finish(noise, client_payload)?;
        let framed = encoder
            .encode(&finish)
            .map_err(|_| ConnError::FrameTooLarge)?;
        sink.send(Message::Binary(framed.into())).await?;
        Ok(Client {
            sink,
            source,
            decoder,
            encoder,
            transport,
            dictionary,
        })
    }

    /// Sends one node.
    pub async fn send(&mut self, node: &Node) -> Result<(), ConnError> {
        let ciphertext = self
            .transport
            .encrypt(&binary::encode_with(node, self.dictionary)?)?;
        let framed = self
            .encoder
            .encode(&ciphertext)
            .map_err(|_| ConnError::FrameTooLarge)?;
        self.sink.send(Message::Binary(framed.into())).await?;
        Ok(())
    }

    /// Sends raw bytes as a WebSocket binary message (for bad-input tests).
    pub async fn send_raw(&mut self, bytes: Vec<u8>) -> Result<(), ConnError> {
        self.sink.send(Message::Binary(bytes.into())).await?;
        Ok(())
    }

    /// Encrypts and frames arbitrary plaintext (for bad-input tests: garbage "nodes").
    pub async fn send_plaintext(&mut self, plaintext: &[u8]) -> Result<(), ConnError> {
        let ciphertext = self.transport.encrypt(plaintext)?;
        let framed = self
            .encoder
            .encode(&ciphertext)
            .map_err(|_| ConnError::FrameTooLarge)?;
        self.sink.send(Message::Binary(framed.into())).await?;
        Ok(())
    }

    /// The next node from the server; `None` when it closed the connection.
    pub async fn recv(&mut self) -> Result<Option<Node>, ConnError> {
        let Some(frame) = next_frame(&mut self.source, &mut self.decoder).await? else {
            return Ok(None);
        };
        let plaintext = self.transport.decrypt(&frame)?;
        Ok(Some(binary::decode_with(&plaintext, self.dictionary)?))
    }

    /// Receives until a node matches `want` (others are discarded); `None` if the server closed.
    pub async fn recv_until(
        &mut self,
        mut want: impl FnMut(&Node) -> bool,
    ) -> Result<Option<Node>, ConnError> {
        while let Some(node) = self.recv().await? {
            if want(&node) {
                return Ok(Some(node));
            }
        }
        Ok(None)
    }
}

async fn next_frame<S: AsyncRead + AsyncWrite + Unpin>(
    source: &mut SplitStream<WebSocketStream<S>>,
    decoder: &mut FrameDecoder,
) -> Result<Option<Vec<u8>>, ConnError> {
    loop {
        if let Some(frame) = decoder.next_frame()? {
            return Ok(Some(frame));
        }
        match source.next().await {
            None | Some(Ok(Message::Close(_))) => return Ok(None),
            Some(Err(e)) => return Err(e.into()),
            Some(Ok(Message::Binary(bytes))) => decoder.push(&bytes),
            Some(Ok(_)) => {}
        }
    }
}

/// Connects as a new companion: returns the connection (after acking `pair-device`) and refs.
pub async fn register(
    ws_url: &str,
    root: [u8; 32],
    keys: &CompanionKeys,
    config: &ClientConfig,
) -> Result<(Client<TcpStream>, Vec<String>), ConnError> {
    register_with(ws_url, root, keys, config, Dictionary::V3).await
}

/// [`register`] speaking the given dictionary version.
pub async fn register_with(
    ws_url: &str,
    root: [u8; 32],
    keys: &CompanionKeys,
    config: &ClientConfig,
    dictionary: Dictionary,
) -> Result<(Client<TcpStream>, Vec<String>), ConnError> {
    let ws = connect_ws(ws_url).await?;
    let payload = payload::registration_payload(config, &keys.registration()).encode_to_vec();
    let mut client = Client::handshake(ws, root, &keys.noise, &payload, dictionary).await?;
    let iq = client
        .recv()
        .await?
        .ok_or_else(|| ConnError::Protocol("closed before pair-device".into()))?;
    let (header, pair_device) = PairDevice::parse_request(&iq)
        .map_err(|e| ConnError::Protocol(format!("expected pair-device, got {iq}: {e}")))?;
    client.send(&PairDevice::response(&header, &())).await?;
    let refs = pair_device
        .refs
        .into_iter()
        .map(|r| String::from_utf8_lossy(&r).into_owned())
        .collect();
    Ok((client, refs))
}

/// On a registering connection: waits for `pair-success`, verifies and countersigns it, and
/// waits for the 515 restart. Returns the companion's JIDs.
pub async fn complete_pairing<S: AsyncRead + AsyncWrite + Unpin>(
    client: &mut Client<S>,
    keys: &CompanionKeys,
    adv_secret: &[u8; 32],
) -> Result<Paired, ConnError> {
    let iq = client
        .recv_until(|n| n.get_child("pair-success").is_some())
        .await?
        .ok_or_else(|| ConnError::Protocol("closed before pair-success".into()))?;
    let (header, success) = PairSuccess::parse_request(&iq)
        .map_err(|e| ConnError::Protocol(format!("bad pair-success: {e}")))?;
    let accepted = adv::accept_pair_success(
        &success.device_identity,
        adv_secret,
        &keys.identity,
        None,
        &mut OsRng,
    )
    .map_err(|e| ConnError::Protocol(format!("pair-success rejected: {e}")))?;
    let sign = PairDeviceSign {
        key_index: accepted.key_index,
        device_identity: accepted.reply,
    };
    client.send(&PairSuccess::response(&header, &sign)).await?;
    let end = client
        .recv_until(|n| n.tag == "stream:error")
        .await?
        .ok_or_else(|| ConnError::Protocol("closed before 515".into()))?;
    if end.attr_str("code").as_deref() != Some("515") {
        return Err(ConnError::Protocol(format!("expected 515, got {end}")));
    }
    Ok(Paired {
        keys: keys.clone(),
        jid: success.device,
        lid: success.lid,
    })
}

/// Logs a paired companion in; returns the connection and the server's first node
/// (`<success>` or `<failure>`).
pub async fn login(
    ws_url: &str,
    root: [u8; 32],
    paired: &Paired,
    config: &ClientConfig,
) -> Result<(Client<TcpStream>, Node), ConnError> {
    login_with(ws_url, root, paired, config, Dictionary::V3).await
}

/// [`login`] speaking the given dictionary version.
pub async fn login_with(
    ws_url: &str,
    root: [u8; 32],
    paired: &Paired,
    config: &ClientConfig,
    dictionary: Dictionary,
) -> Result<(Client<TcpStream>, Node), ConnError> {
    let ws = connect_ws(ws_url).await?;
    let username: u64 = paired
        .jid
        .user
        .parse()
        .map_err(|_| ConnError::Protocol("non-numeric user".into()))?;
    let payload =
        payload::login_payload(config, username, u32::from(paired.jid.device)).encode_to_vec();
    let mut client = Client::handshake(ws, root, &paired.keys.noise, &payload, dictionary).await?;
    let first = client
        .recv()
        .await?
        .ok_or_else(|| ConnError::Protocol("closed before success/failure".into()))?;
    Ok((client, first))
}
