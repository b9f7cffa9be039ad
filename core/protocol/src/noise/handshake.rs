//! Noise `XX_25519_AESGCM_SHA256` as WhatsApp runs it (docs/PROTOCOL.md, Noise handshake): symmetric state,
//! and the initiator (client) and responder (server) state machines. Each state is a type; a
//! method consumes it and returns the next one, so steps cannot be run out of order.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use prost::Message;

use super::NoiseError;
use super::cert::{TrustRoot, verify_cert_chain};
use super::frame::WA_INTRO;
use super::transport::{Transport, nonce};
use crate::crypto::KeyPair;
use crate::crypto::kdf::{hkdf_sha256, sha256};
use crate::proto::wa6::HandshakeMessage;
use crate::proto::wa6::handshake_message::{ClientFinish, ClientHello, ServerHello};

/// The protocol name padded with four NULs to 32 bytes; it is used directly as `h0` and `ck0`.
pub const NOISE_PROTOCOL_NAME: &[u8; 32] = b"Noise_XX_25519_AESGCM_SHA256\0\0\0\0";

/// `h`, `ck`, and the single handshake key `k` with its counter (docs/PROTOCOL.md, Noise handshake).
#[derive(Clone)]
pub(crate) struct SymmetricState {
    pub(crate) h: [u8; 32],
    pub(crate) ck: [u8; 32],
    pub(crate) k: [u8; 32],
    pub(crate) n: u32,
}

impl SymmetricState {
    /// `h = ck = k = h0`, then `MixHash(prologue)`.
    pub(crate) fn new(prologue: &[u8]) -> Self {
        let mut state = SymmetricState {
            h: *NOISE_PROTOCOL_NAME,
            ck: *NOISE_PROTOCOL_NAME,
            k: *NOISE_PROTOCOL_NAME,
            n: 0,
        };
        state.mix_hash(prologue);
        state
    }

    pub(crate) fn mix_hash(&mut self, data: &[u8]) {
        self.h = sha256(&[&self.h, data]);
    }

    /// HKDF(salt = ck, ikm) → ck ‖ k, and the counter restarts at 0.
    pub(crate) fn mix_key(&mut self, ikm: &[u8]) {
        let out: [u8; 64] = hkdf_sha256(ikm, Some(&self.ck), &[]);
        let (ck, k) = out.split_at(32);
        self.ck.copy_from_slice(ck);
        self.k.copy_from_slice(k);
        self.n = 0;
    }

    fn mix_dh(
        &mut self,
        ours: &KeyPair,
        theirs: &[u8; 32],
        what: &'static str,
    ) -> Result<(), NoiseError> {
        let shared = ours.dh(theirs);
        if shared == [0u8; 32] {
            return Err(NoiseError::WeakKey(what));
        }
        self.mix_key(&shared);
        Ok(())
    }

    fn next_nonce(&mut self) -> Result<[u8; 12], NoiseError> {
        let n = self.n;
        self.n = n.checked_add(1).ok_or(NoiseError::CounterExhausted)?;
        Ok(nonce(n))
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&self.k))
    }

    /// AES-GCM(k, n, aad = h), then `MixHash(ciphertext)`.
    pub(crate) fn encrypt_and_hash(&mut self, plaintext: &[u8]) -> Result<Vec<u8>, NoiseError> {
        let iv = self.next_nonce()?;
        let ciphertext = self
            .cipher()
            .encrypt(
                Nonce::from_slice(&iv),
                Payload {
                    msg: plaintext,
                    aad: &self.h,
                },
            )
            .map_err(|_| NoiseError::EncryptFailed)?;
        self.mix_hash(&ciphertext);
        Ok(ciphertext)
    }

    /// Inverse of [`Self::encrypt_and_hash`].
    pub(crate) fn decrypt_and_hash(
        &mut self,
        ciphertext: &[u8],
        stage: &'static str,
    ) -> Result<Vec<u8>, NoiseError> {
        let iv = self.next_nonce()?;
        let plaintext = self
            .cipher()
            .decrypt(
                Nonce::from_slice(&iv),
                Payload {
                    msg: ciphertext,
                    aad: &self.h,
                },
            )
            .map_err(|_| NoiseError::Decrypt { stage })?;
        self.mix_hash(ciphertext);
        Ok(plaintext)
    }

    /// HKDF(salt = ck, empty) → (k1 client→server, k2 server→client).
    pub(crate) fn split(&self) -> ([u8; 32], [u8; 32]) {
        let out: [u8; 64] = hkdf_sha256(&[], Some(&self.ck), &[]);
        let mut k1 = [0u8; 32];
        let mut k2 = [0u8; 32];
        k1.copy_from_slice(&out[..32]);
        k2.copy_from_slice(&out[32..]);
        (k1, k2)
    }
}

fn key32(bytes: &[u8], field: &'static str) -> Result<[u8; 32], NoiseError> {
    <[u8; 32]>::try_from(bytes).map_err(|_| NoiseError::KeyLength {
        field,
        len: bytes.len(),
    })
}

fn decode_message(bytes: &[u8], what: &'static str) -> Result<HandshakeMessage, NoiseError> {
    HandshakeMessage::decode(bytes).map_err(|e| NoiseError::Protobuf {
        what,
        reason: e.to_string(),
    })
}

fn required<'a>(field: &'a Option<Vec<u8>>, name: &'static str) -> Result<&'a [u8], NoiseError> {
    field.as_deref().ok_or(NoiseError::MissingField(name))
}

/// Client side after sending the ClientHello; next: [`Initiator::read_server_hello`].
pub struct Initiator {
    state: SymmetricState,
    ephemeral: KeyPair,
}

impl std::fmt::Debug for Initiator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Initiator").finish_non_exhaustive()
    }
}

impl Initiator {
    /// Starts a handshake with the prologue `57 41 06 03` and the given ephemeral key pair;
    /// returns the serialized `HandshakeMessage { clientHello }` to frame and send.
    pub fn start(ephemeral: KeyPair) -> (Self, Vec<u8>) {
        Self::start_with_prologue(&WA_INTRO, ephemeral)
    }

    /// [`Initiator::start`] with another prologue: the intro header the client's frame encoder
    /// sends (e.g. [`intro_header`](super::intro_header)`(Dictionary::V2)` = `57 41 06 02`).
    pub fn start_with_prologue(prologue: &[u8], ephemeral: KeyPair) -> (Self, Vec<u8>) {
        let mut state = SymmetricState::new(prologue);
        state.mix_hash(&ephemeral.public);
        let message = HandshakeMessage {
            client_hello: Some(ClientHello {
                ephemeral: Some(ephemeral.public.to_vec()),
                ..Default::default()
            }),
            ..Default::default()
        }
        .encode_to_vec();
        (Initiator { state, ephemeral }, message)
    }

    /// Processes the server's `HandshakeMessage { serverHello }`: decrypts the server static key
    /// and certificate chain and verifies the chain against `root` at `now` (Unix seconds).
    pub fn read_server_hello(
        mut self,
        message: &[u8],
        root: &TrustRoot,
        now: u64,
    ) -> Result<InitiatorReady, NoiseError> {
        let hello = decode_message(message, "ServerHello")?
            .server_hello
            .ok_or(NoiseError::MissingField("serverHello"))?;
        let ServerHello {
            ephemeral,
            r#static,
            payload,
            ..
        } = hello;
        let server_ephemeral = key32(
            required(&ephemeral, "serverHello.ephemeral")?,
            "serverHello.ephemeral",
        )?;
        let static_ct = required(&r#static, "serverHello.static")?;
        let payload_ct = required(&payload, "serverHello.payload")?;

        let state = &mut self.state;
        state.mix_hash(&server_ephemeral);
        state.mix_dh(&self.ephemeral, &server_ephemeral, "server ephemeral")?;
        let server_static = state.decrypt_and_hash(static_ct, "server static key")?;
        let server_static = key32(&server_static, "server static key")?;
        state.mix_dh(&self.ephemeral, &server_static, "server static key")?;
        let cert_chain = state.decrypt_and_hash(payload_ct, "certificate chain")?;
        verify_cert_chain(&cert_chain, &server_static, root, now)?;
        Ok(InitiatorReady {
            state: self.state,
            server_ephemeral,
            server_static,
            cert_chain,
        })
    }
}

/// Client side after a verified ServerHello; next: [`InitiatorReady::finish`].
pub struct InitiatorReady {
    state: SymmetricState,
    server_ephemeral: [u8; 32],
    server_static: [u8; 32],
    cert_chain: Vec<u8>,
}

impl std::fmt::Debug for InitiatorReady {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InitiatorReady")
            .field("server_static", &self.server_static)
            .finish_non_exhaustive()
    }
}

impl InitiatorReady {
    /// The server's (verified) static public key.
    pub fn server_static(&self) -> &[u8; 32] {
        &self.server_static
    }

    /// The decrypted, verified certificate chain (serialized `CertChain`).
    pub fn cert_chain(&self) -> &[u8] {
        &self.cert_chain
    }

    /// Sends the client's noise static key and `client_payload` (a serialized `ClientPayload`);
    /// returns the serialized `HandshakeMessage { clientFinish }` and the transport.
    pub fn finish(
        mut self,
        static_key: &KeyPair,
        client_payload: &[u8],
    ) -> Result<(Vec<u8>, Transport), NoiseError> {
        let state = &mut self.state;
        let static_ct = state.encrypt_and_hash(&static_key.public)?;
        state.mix_dh(static_key, &self.server_ephemeral, "server ephemeral")?;
        let payload_ct = state.encrypt_and_hash(client_payload)?;
        let message = HandshakeMessage {
            client_finish: Some(ClientFinish {
                r#static: Some(static_ct),
                payload: Some(payload_ct),
                ..Default::default()
            }),
            ..Default::default()
        }
        .encode_to_vec();
        let (client_to_server, server_to_client) = state.split();
        Ok((
            message,
            Transport::from_keys(&client_to_server, &server_to_client),
        ))
    }
}

/// Server side after a ClientHello; next: [`Responder::write_server_hello`].
pub struct Responder {
    state: SymmetricState,
    client_ephemeral: [u8; 32],
}

impl std::fmt::Debug for Responder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Responder").finish_non_exhaustive()
    }
}

impl Responder {
    /// Reads the client's `HandshakeMessage { clientHello }`. `prologue` is the 4-byte intro the
    /// client sent (`57 41 06 <dict version>`, see [`super::Intro`]). Extra ClientHello fields
    /// (Noise IK attempts) are ignored.
    pub fn read_client_hello(prologue: &[u8], message: &[u8]) -> Result<Self, NoiseError> {
        let hello = decode_message(message, "ClientHello")?
            .client_hello
            .ok_or(NoiseError::MissingField("clientHello"))?;
        let client_ephemeral = key32(
            required(&hello.ephemeral, "clientHello.ephemeral")?,
            "clientHello.ephemeral",
        )?;
        let mut state = SymmetricState::new(prologue);
        state.mix_hash(&client_ephemeral);
        Ok(Responder {
            state,
            client_ephemeral,
        })
    }

    /// The client's ephemeral public key.
    pub fn client_ephemeral(&self) -> &[u8; 32] {
        &self.client_ephemeral
    }

    /// Builds the `HandshakeMessage { serverHello }` carrying `ephemeral`, the encrypted
    /// `server_static` public key and the encrypted `cert_chain` (see [`super::build_cert_chain`]).
    pub fn write_server_hello(
        mut self,
        server_static: &KeyPair,
        cert_chain: &[u8],
        ephemeral: KeyPair,
    ) -> Result<(ResponderAwaitingFinish, Vec<u8>), NoiseError> {
        let state = &mut self.state;
        state.mix_hash(&ephemeral.public);
        state.mix_dh(&ephemeral, &self.client_ephemeral, "client ephemeral")?;
        let static_ct = state.encrypt_and_hash(&server_static.public)?;
        state.mix_dh(server_static, &self.client_ephemeral, "client ephemeral")?;
        let payload_ct = state.encrypt_and_hash(cert_chain)?;
        let message = HandshakeMessage {
            server_hello: Some(ServerHello {
                ephemeral: Some(ephemeral.public.to_vec()),
                r#static: Some(static_ct),
                payload: Some(payload_ct),
                ..Default::default()
            }),
            ..Default::default()
        }
        .encode_to_vec();
        Ok((
            ResponderAwaitingFinish {
                state: self.state,
                ephemeral,
            },
            message,
        ))
    }
}

/// Server side after sending the ServerHello; next: [`ResponderAwaitingFinish::read_client_finish`].
pub struct ResponderAwaitingFinish {
    state: SymmetricState,
    ephemeral: KeyPair,
}

impl std::fmt::Debug for ResponderAwaitingFinish {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponderAwaitingFinish")
            .finish_non_exhaustive()
    }
}

/// What the server learns from a completed handshake.
#[derive(Debug)]
pub struct ClientFinished {
    /// The client's noise static public key (identifies the device).
    pub client_static: [u8; 32],
    /// The decrypted `ClientPayload` bytes (see [`crate::payload::classify`]).
    pub client_payload: Vec<u8>,
    /// The server's transport (sends with k2, receives with k1).
    pub transport: Transport,
}

impl ResponderAwaitingFinish {
    /// Reads the client's `HandshakeMessage { clientFinish }` and completes the handshake.
    pub fn read_client_finish(mut self, message: &[u8]) -> Result<ClientFinished, NoiseError> {
        let finish = decode_message(message, "ClientFinish")?
            .client_finish
            .ok_or(NoiseError::MissingField("clientFinish"))?;
        let static_ct = required(&finish.r#static, "clientFinish.static")?;
        let payload_ct = required(&finish.payload, "clientFinish.payload")?;
        let state = &mut self.state;
        let client_static = state.decrypt_and_hash(static_ct, "client static key")?;
        let client_static = key32(&client_static, "client static key")?;
        state.mix_dh(&self.ephemeral, &client_static, "client static key")?;
        let client_payload = state.decrypt_and_hash(payload_ct, "client payload")?;
        let (client_to_server, server_to_client) = state.split();
        Ok(ClientFinished {
            client_static,
            client_payload,
            transport: Transport::from_keys(&server_to_client, &client_to_server),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::noise::cert::{CertError, CertValidity, build_cert_chain};
    use crate::noise::frame::FrameEncoder;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    const NOW: u64 = 1_780_000_000;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    /// docs/PROTOCOL.md, Noise handshake, test vector, step by step, on both sides.
    #[test]
    fn protocol_md_test_vector() {
        let e_c = KeyPair::from_private([0x11; 32]);
        let e_s = KeyPair::from_private([0x33; 32]);
        let s_s = KeyPair::from_private([0x44; 32]);
        assert_eq!(
            e_s.public.to_vec(),
            h("7b0d47d93427f8311160781c7c733fd89f88970aef490d8aa0ee19a4cb8a1b14")
        );

        let mut st = SymmetricState::new(&WA_INTRO);
        assert_eq!(
            &NOISE_PROTOCOL_NAME[..],
            &h("4e6f6973655f58585f32353531395f41455347434d5f53484132353600000000")[..]
        );
        assert_eq!(
            st.h.to_vec(),
            h("ffff0c9267310966f1311170c04b38c79504285bf5edf763e5c946492a50a755")
        );
        assert_eq!(st.ck, *NOISE_PROTOCOL_NAME);
        st.mix_hash(&e_c.public);
        assert_eq!(
            st.h.to_vec(),
            h("6c9ea30317f933b43ebefedd04d07fa1428b9530c67179ef1189ce3a91089bae")
        );
        st.mix_hash(&e_s.public);
        assert_eq!(
            st.h.to_vec(),
            h("92c8be6744a8aaa91dc8695e55f8f98776ef57afa30487873c9bf0753c374092")
        );
        st.n = 7; // MixKey must reset the counter
        st.mix_key(&e_s.dh(&e_c.public));
        assert_eq!(st.n, 0);
        assert_eq!(
            st.ck.to_vec(),
            h("75255525cb2271af63579e9ad8df40b244dd97349e0d87536a7ac429e72987a3")
        );
        assert_eq!(
            st.k.to_vec(),
            h("391d80f93aae00271f1bbc372936ce96d4d0158bf814f1736afd7e28b45ee153")
        );
        let enc_s = st.encrypt_and_hash(&s_s.public).unwrap();
        assert_eq!(
            enc_s,
            h(
                "76c390387466635d58f0323bdcbe69099601a1a274074852c87a5a56adbc2200326ad89abf7d0428235760e33dfb7358"
            )
        );
        assert_eq!(st.n, 1);
        assert_eq!(
            st.h.to_vec(),
            h("9d6f29508ae70d0bfe892850311cf00a3269657718c83d9ebffceb50249f5352")
        );
        st.mix_key(&s_s.dh(&e_c.public));
        assert_eq!(
            st.ck.to_vec(),
            h("30c5726908e5ce436d8ddaf962bc0a9bd2d9b16bc930f6e15299064db43c82c9")
        );

        // The state machines produce the same values on the wire.
        let (initiator, hello) = Initiator::start(e_c.clone());
        let first = FrameEncoder::client().encode(&hello).unwrap();
        let mut expected = h("5741060300002412220a20");
        expected.extend_from_slice(&e_c.public);
        assert_eq!(first, expected);
        assert_eq!(
            initiator.state.h.to_vec(),
            h("6c9ea30317f933b43ebefedd04d07fa1428b9530c67179ef1189ce3a91089bae")
        );

        let responder = Responder::read_client_hello(&WA_INTRO, &hello).unwrap();
        let (_, server_hello) = responder
            .write_server_hello(&s_s, b"chain", e_s.clone())
            .unwrap();
        let msg = HandshakeMessage::decode(&server_hello[..]).unwrap();
        let sh = msg.server_hello.unwrap();
        assert_eq!(sh.ephemeral.unwrap(), e_s.public.to_vec());
        assert_eq!(sh.r#static.unwrap(), enc_s);
    }

    struct Setup {
        root: KeyPair,
        server_static: KeyPair,
        client_static: KeyPair,
        chain: Vec<u8>,
        rng: StdRng,
    }

    fn setup() -> Setup {
        let mut rng = StdRng::seed_from_u64(42);
        let root = KeyPair::generate(&mut rng);
        let inter = KeyPair::generate(&mut rng);
        let server_static = KeyPair::generate(&mut rng);
        let client_static = KeyPair::generate(&mut rng);
        let chain = build_cert_chain(
            &root,
            &inter,
            &server_static.public,
            CertValidity::around(NOW, 86_400),
            &mut rng,
        );
        Setup {
            root,
            server_static,
            client_static,
            chain,
            rng,
        }
    }

    #[test]
    fn full_handshake_then_transport_both_ways() {
        let mut s = setup();
        let (initiator, hello) = Initiator::start(KeyPair::generate(&mut s.rng));
        let responder = Responder::read_client_hello(&WA_INTRO, &hello).unwrap();
        let (responder, server_hello) = responder
            .write_server_hello(&s.server_static, &s.chain, KeyPair::generate(&mut s.rng))
            .unwrap();
        let ready = initiator
            .read_server_hello(&server_hello, &TrustRoot::new(s.root.public), NOW)
            .unwrap();
        assert_eq!(ready.server_static(), &s.server_static.public);
        assert_eq!(ready.cert_chain(), &s.chain[..]);
        let (finish, mut client) = ready.finish(&s.client_static, b"payload").unwrap();
        let done = responder.read_client_finish(&finish).unwrap();
        assert_eq!(done.client_static, s.client_static.public);
        assert_eq!(done.client_payload, b"payload");
        let mut server = done.transport;
        for i in 0..4u8 {
            let up = client.encrypt(&[i, 1, 2]).unwrap();
            assert_eq!(server.decrypt(&up).unwrap(), [i, 1, 2]);
            let down = server.encrypt(&[i; 100]).unwrap();
            assert_eq!(client.decrypt(&down).unwrap(), [i; 100]);
        }
        // k1 and k2 differ: a frame cannot be reflected back to its sender.
        let up = client.encrypt(b"x").unwrap();
        assert!(client.decrypt(&up).is_err());
    }

    /// The prologue is the intro the client sent: a `WA 06 02` client completes the handshake
    /// with a responder that uses the received header, and fails against one that assumes 03.
    #[test]
    fn prologue_is_the_intro_the_client_sent() {
        use crate::binary::Dictionary;
        use crate::noise::frame::{FrameDecoder, intro_header};

        let mut s = setup();
        let v2 = intro_header(Dictionary::V2);
        assert_eq!(v2, [0x57, 0x41, 0x06, 0x02]);
        let (initiator, hello) = Initiator::start_with_prologue(&v2, KeyPair::generate(&mut s.rng));
        let mut first = FrameEncoder::client_with(2, None).unwrap();
        let mut decoder = FrameDecoder::server();
        decoder.push(&first.encode(&hello).unwrap());
        assert_eq!(decoder.next_frame().unwrap(), Some(hello.clone()));
        let intro = decoder.intro().unwrap();
        assert_eq!(intro.dictionary(), Some(Dictionary::V2));
        let prologue = intro.header();
        assert_eq!(prologue, v2);

        let wrong = Responder::read_client_hello(&WA_INTRO, &hello).unwrap();
        let (_, wrong_hello) = wrong
            .write_server_hello(&s.server_static, &s.chain, KeyPair::generate(&mut s.rng))
            .unwrap();
        let (retry, _) = Initiator::start_with_prologue(&v2, initiator.ephemeral.clone());
        assert!(
            retry
                .read_server_hello(&wrong_hello, &TrustRoot::new(s.root.public), NOW)
                .is_err()
        );

        let responder = Responder::read_client_hello(&prologue, &hello).unwrap();
        let (responder, server_hello) = responder
            .write_server_hello(&s.server_static, &s.chain, KeyPair::generate(&mut s.rng))
            .unwrap();
        let ready = initiator
            .read_server_hello(&server_hello, &TrustRoot::new(s.root.public), NOW)
            .unwrap();
        let (finish, mut client) = ready.finish(&s.client_static, b"v2").unwrap();
        let done = responder.read_client_finish(&finish).unwrap();
        assert_eq!(done.client_payload, b"v2");
        let mut server = done.transport;
        let up = client.encrypt(b"ping").unwrap();
        assert_eq!(server.decrypt(&up).unwrap(), b"ping");
    }

    #[test]
    fn nonce_counters_follow_the_spec() {
        // c1: n=0, c2: n=0 (after MixKey es), c3: n=1, c4: n=0 (after MixKey se).
        let mut s = setup();
        let (initiator, hello) = Initiator::start(KeyPair::generate(&mut s.rng));
        let responder = Responder::read_client_hello(&WA_INTRO, &hello).unwrap();
        let (responder, server_hello) = responder
            .write_server_hello(&s.server_static, &s.chain, KeyPair::generate(&mut s.rng))
            .unwrap();
        assert_eq!(responder.state.n, 1);
        let ready = initiator
            .read_server_hello(&server_hello, &TrustRoot::new(s.root.public), NOW)
            .unwrap();
        assert_eq!(ready.state.n, 1);
        let mut probe = ready.state.clone();
        let c3 = probe.encrypt_and_hash(&s.client_static.public).unwrap();
        assert_eq!(probe.n, 2);
        let (finish, _) = ready.finish(&s.client_static, b"p").unwrap();
        let cf = HandshakeMessage::decode(&finish[..])
            .unwrap()
            .client_finish
            .unwrap();
        assert_eq!(cf.r#static.unwrap(), c3);
        let done = responder.read_client_finish(&finish).unwrap();
        assert_eq!(done.client_payload, b"p");
    }

    #[test]
    fn wrong_root_expired_and_wrong_leaf_are_typed_errors() {
        let mut s = setup();
        let run = |s: &mut Setup, chain: &[u8], root: TrustRoot, now: u64| {
            let (initiator, hello) = Initiator::start(KeyPair::generate(&mut s.rng));
            let responder = Responder::read_client_hello(&WA_INTRO, &hello).unwrap();
            let (_, server_hello) = responder
                .write_server_hello(&s.server_static, chain, KeyPair::generate(&mut s.rng))
                .unwrap();
            initiator
                .read_server_hello(&server_hello, &root, now)
                .map(|_| ())
        };
        let chain = s.chain.clone();
        let root = TrustRoot::new(s.root.public);
        assert_eq!(run(&mut s, &chain, root, NOW), Ok(()));
        assert!(matches!(
            run(&mut s, &chain, TrustRoot::default(), NOW),
            Err(NoiseError::Cert(CertError::BadSignature(_)))
        ));
        assert!(matches!(
            run(&mut s, &chain, root, NOW + 86_401),
            Err(NoiseError::Cert(CertError::OutsideValidity { .. }))
        ));
        let other = KeyPair::generate(&mut s.rng);
        let inter = KeyPair::generate(&mut s.rng);
        let wrong_leaf = build_cert_chain(
            &s.root,
            &inter,
            &other.public,
            CertValidity::around(NOW, 60),
            &mut s.rng,
        );
        assert_eq!(
            run(&mut s, &wrong_leaf, root, NOW),
            Err(NoiseError::Cert(CertError::LeafKeyMismatch))
        );
    }

    #[test]
    fn tampered_handshake_messages_fail_with_typed_errors() {
        let mut s = setup();
        let root = TrustRoot::new(s.root.public);
        let (initiator, hello) = Initiator::start(KeyPair::generate(&mut s.rng));
        let responder = Responder::read_client_hello(&WA_INTRO, &hello).unwrap();
        let (responder, server_hello) = responder
            .write_server_hello(&s.server_static, &s.chain, KeyPair::generate(&mut s.rng))
            .unwrap();

        let mut msg = HandshakeMessage::decode(&server_hello[..]).unwrap();
        msg.server_hello.as_mut().unwrap().payload.as_mut().unwrap()[3] ^= 1;
        let (i2, _) = Initiator::start(initiator.ephemeral.clone());
        assert_eq!(
            i2.read_server_hello(&msg.encode_to_vec(), &root, NOW)
                .unwrap_err(),
            NoiseError::Decrypt {
                stage: "certificate chain"
            }
        );
        let mut msg = HandshakeMessage::decode(&server_hello[..]).unwrap();
        msg.server_hello
            .as_mut()
            .unwrap()
            .r#static
            .as_mut()
            .unwrap()[0] ^= 1;
        let (i2, _) = Initiator::start(initiator.ephemeral.clone());
        assert_eq!(
            i2.read_server_hello(&msg.encode_to_vec(), &root, NOW)
                .unwrap_err(),
            NoiseError::Decrypt {
                stage: "server static key"
            }
        );
        let (i2, _) = Initiator::start(initiator.ephemeral.clone());
        assert!(matches!(
            i2.read_server_hello(&[0x1a, 0x05], &root, NOW),
            Err(NoiseError::Protobuf { .. })
        ));
        let (i2, _) = Initiator::start(initiator.ephemeral.clone());
        assert_eq!(
            i2.read_server_hello(&hello, &root, NOW).unwrap_err(),
            NoiseError::MissingField("serverHello")
        );

        let ready = initiator
            .read_server_hello(&server_hello, &root, NOW)
            .unwrap();
        let (finish, _) = ready.finish(&s.client_static, b"payload").unwrap();
        let mut msg = HandshakeMessage::decode(&finish[..]).unwrap();
        let last = msg
            .client_finish
            .as_ref()
            .unwrap()
            .payload
            .as_ref()
            .unwrap()
            .len()
            - 1;
        msg.client_finish
            .as_mut()
            .unwrap()
            .payload
            .as_mut()
            .unwrap()[last] ^= 1;
        assert_eq!(
            responder
                .read_client_finish(&msg.encode_to_vec())
                .unwrap_err(),
            NoiseError::Decrypt {
                stage: "client payload"
            }
        );
    }

    #[test]
    fn malformed_client_hello() {
        assert!(matches!(
            Responder::read_client_hello(&WA_INTRO, &[0xff]),
            Err(NoiseError::Protobuf { .. })
        ));
        assert_eq!(
            Responder::read_client_hello(&WA_INTRO, &[]).unwrap_err(),
            NoiseError::MissingField("clientHello")
        );
        let short = HandshakeMessage {
            client_hello: Some(ClientHello {
                ephemeral: Some(vec![1; 31]),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(
            Responder::read_client_hello(&WA_INTRO, &short.encode_to_vec()).unwrap_err(),
            NoiseError::KeyLength {
                field: "clientHello.ephemeral",
                len: 31
            }
        );
        // A low-order point as ephemeral (the all-zero u-coordinate) is refused.
        let zero = HandshakeMessage {
            client_hello: Some(ClientHello {
                ephemeral: Some(vec![0; 32]),
                ..Default::default()
            }),
            ..Default::default()
        };
        let responder = Responder::read_client_hello(&WA_INTRO, &zero.encode_to_vec()).unwrap();
        let server_static = KeyPair::from_private([4; 32]);
        assert_eq!(
            responder
                .write_server_hello(&server_static, b"c", KeyPair::from_private([5; 32]))
                .unwrap_err(),
            NoiseError::WeakKey("client ephemeral")
        );
    }
}
