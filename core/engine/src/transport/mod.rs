//! The network path to the chat server: TCP (direct or through a proxy), TLS, WebSocket.

pub(crate) mod proxy;
pub(crate) mod tls;
pub(crate) mod ws;

use crate::error::{Error, ErrorCode};

/// Why the connection to the server could not be made or broke.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The server URL is malformed.
    #[error("invalid server URL: {0}")]
    InvalidUrl(String),
    /// A socket operation failed.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// The proxy refused or broke the tunnel.
    #[error("proxy: {0}")]
    Proxy(String),
    /// TLS setup or the TLS handshake failed (bad extra certificate, protocol error…).
    #[error("TLS: {0}")]
    Tls(String),
    /// The server's TLS certificate does not chain to a trusted root (platform roots plus the
    /// session's extra trusted certificates), or is expired or for another name.
    #[error("TLS certificate not trusted: {0}")]
    UntrustedCertificate(String),
    /// The WebSocket handshake or a WebSocket operation failed.
    #[error("WebSocket: {0}")]
    WebSocket(String),
    /// A step did not finish in time.
    #[error("timed out: {0}")]
    Timeout(&'static str),
    /// The server closed the connection.
    #[error("connection closed by the server")]
    Closed,
    /// The Noise handshake or transport failed (bad certificate, failed decryption).
    #[error("noise: {0}")]
    Noise(#[from] openwa_protocol::noise::NoiseError),
    /// The server sent bytes that are not a valid frame or node.
    #[error("protocol: {0}")]
    Protocol(String),
    /// A node to send cannot be serialized (past a format limit).
    #[error("cannot encode node: {0}")]
    Encode(String),
}

impl From<TransportError> for Error {
    fn from(err: TransportError) -> Self {
        let code = match &err {
            TransportError::InvalidUrl(_) => ErrorCode::InvalidArgument,
            TransportError::Timeout(_) => ErrorCode::Timeout,
            TransportError::Noise(_) | TransportError::UntrustedCertificate(_) => ErrorCode::Crypto,
            TransportError::Protocol(_) => ErrorCode::Protocol,
            TransportError::Encode(_) => ErrorCode::InvalidArgument,
            _ => ErrorCode::Network,
        };
        Error::new(code, err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Error, ErrorCode};

    #[test]
    fn an_untrusted_certificate_is_a_crypto_error() {
        let err = Error::from(TransportError::UntrustedCertificate("self-signed".into()));
        assert_eq!(err.code, ErrorCode::Crypto);
        assert!(err.message.contains("TLS certificate not trusted"), "{err}");
    }
}
