//! Noise XX handshake (initiator and responder), framing and transport (docs/PROTOCOL.md, Transport and Noise handshake).
//!
//! Sans-io: every function takes bytes and returns bytes; keys, time and randomness come from the
//! caller. A client runs [`FrameEncoder::client`] + [`Initiator`]; a server runs
//! [`FrameDecoder::server`] + [`Responder`] with a chain from [`build_cert_chain`]. Both end with
//! a [`Transport`].

pub mod cert;
pub mod frame;
pub mod handshake;
pub mod transport;

pub use cert::{
    CertError, CertKind, CertValidity, TrustRoot, WA_ROOT_PUBLIC_KEY, build_cert_chain,
    verify_cert_chain,
};
pub use frame::{
    DICT_VERSION, FrameDecoder, FrameEncoder, FrameError, Intro, MAX_FRAME_LEN, PayloadTooLarge,
    WA_INTRO, intro_header,
};
pub use handshake::{
    ClientFinished, Initiator, InitiatorReady, NOISE_PROTOCOL_NAME, Responder,
    ResponderAwaitingFinish,
};
pub use transport::Transport;

/// Handshake and transport failures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoiseError {
    /// A handshake message is not a valid protobuf.
    #[error("{what} is not a valid protobuf: {reason}")]
    Protobuf {
        /// Which message failed to decode.
        what: &'static str,
        /// The decoder's message.
        reason: String,
    },
    /// A required handshake field is absent.
    #[error("handshake field {0} is missing")]
    MissingField(&'static str),
    /// A key has the wrong length.
    #[error("{field} is {len} bytes, expected 32")]
    KeyLength {
        /// Which field.
        field: &'static str,
        /// Actual length.
        len: usize,
    },
    /// AES-GCM authentication failed (tampered, truncated, reordered or wrongly keyed data).
    #[error("decryption failed: {stage}")]
    Decrypt {
        /// What was being decrypted.
        stage: &'static str,
    },
    /// A Diffie-Hellman result was all zeros (the peer sent a low-order point).
    #[error("{0} is a low-order point")]
    WeakKey(&'static str),
    /// The server certificate chain was rejected.
    #[error("server certificate rejected: {0}")]
    Cert(#[from] CertError),
    /// All 2^32 nonces of a direction have been used.
    #[error("nonce counter exhausted")]
    CounterExhausted,
    /// AES-GCM refused to encrypt (plaintext beyond its limit).
    #[error("encryption failed")]
    EncryptFailed,
}
