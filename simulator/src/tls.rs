//! The self-signed TLS identity of the simulator (for `wss://` and the HTTPS media host) and a
//! TLS listener that axum can serve on.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// How long a TLS handshake may take before the connection is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the TLS identity could not be made or loaded.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// Certificate generation failed.
    #[error("generating the self-signed certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// A PEM file could not be read or parsed.
    #[error("{path}: {message}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// rustls refused the certificate or key.
    #[error("TLS configuration: {0}")]
    Config(#[from] rustls::Error),
    /// Writing the PEM files failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// A certificate (for `localhost`, `127.0.0.1`, `::1`) and its key.
#[derive(Debug, Clone)]
pub struct TlsIdentity {
    /// The certificate in PEM form.
    pub cert_pem: String,
    /// The private key in PEM form.
    pub key_pem: String,
    /// Lowercase hex SHA-256 of the certificate's DER.
    pub fingerprint: String,
    /// Where the certificate PEM was written.
    pub cert_path: PathBuf,
}

/// File names inside the state directory.
const CERT_FILE: &str = "tls-cert.pem";
const KEY_FILE: &str = "tls-key.pem";

impl TlsIdentity {
    /// Loads the identity from `dir`, or generates one and writes it there.
    pub fn load_or_create(dir: &Path) -> Result<Self, TlsError> {
        let cert_path = dir.join(CERT_FILE);
        let key_path = dir.join(KEY_FILE);
        if cert_path.exists() && key_path.exists() {
            let read = |path: &Path| {
                std::fs::read_to_string(path).map_err(|source| TlsError::Io {
                    path: path.to_owned(),
                    source,
                })
            };
            let cert_pem = read(&cert_path)?;
            let key_pem = read(&key_path)?;
            return Self::from_pem(cert_pem, key_pem, cert_path);
        }
        let identity = Self::generate(cert_path.clone())?;
        let write = |path: &Path, text: &str| {
            std::fs::create_dir_all(dir)
                .and_then(|()| std::fs::write(path, text))
                .map_err(|source| TlsError::Io {
                    path: path.to_owned(),
                    source,
                })
        };
        write(&key_path, &identity.key_pem)?;
        write(&cert_path, &identity.cert_pem)?;
        Ok(identity)
    }

    /// A fresh self-signed identity; `cert_path` is where the caller will keep the PEM.
    pub fn generate(cert_path: PathBuf) -> Result<Self, TlsError> {
        let names = vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            "::1".to_owned(),
        ];
        let certified = rcgen::generate_simple_self_signed(names)?;
        let cert_pem = certified.cert.pem();
        let key_pem = certified.signing_key.serialize_pem();
        Self::from_pem(cert_pem, key_pem, cert_path)
    }

    fn from_pem(cert_pem: String, key_pem: String, cert_path: PathBuf) -> Result<Self, TlsError> {
        let cert =
            CertificateDer::from_pem_slice(cert_pem.as_bytes()).map_err(|e| TlsError::Pem {
                path: cert_path.clone(),
                message: e.to_string(),
            })?;
        let fingerprint = hex::encode(Sha256::digest(cert.as_ref()));
        Ok(TlsIdentity {
            cert_pem,
            key_pem,
            fingerprint,
            cert_path,
        })
    }

    /// Writes the certificate PEM to `cert_path` (used when there is no state directory).
    pub fn write_cert(&self) -> Result<(), TlsError> {
        std::fs::write(&self.cert_path, &self.cert_pem).map_err(|source| TlsError::Io {
            path: self.cert_path.clone(),
            source,
        })
    }

    /// The certificate in DER form.
    pub fn cert_der(&self) -> Result<CertificateDer<'static>, TlsError> {
        CertificateDer::from_pem_slice(self.cert_pem.as_bytes()).map_err(|e| TlsError::Pem {
            path: self.cert_path.clone(),
            message: e.to_string(),
        })
    }

    /// A rustls server configuration; `alpn` lists the protocols to offer (e.g. `http/1.1`).
    pub fn server_config(&self, alpn: &[&[u8]]) -> Result<Arc<rustls::ServerConfig>, TlsError> {
        let key =
            PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes()).map_err(|e| TlsError::Pem {
                path: self.cert_path.with_file_name(KEY_FILE),
                message: e.to_string(),
            })?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(vec![self.cert_der()?], key)?;
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(Arc::new(config))
    }
}

/// A TCP listener that completes TLS handshakes in background tasks and yields finished streams,
/// so one slow or bad client never blocks the others.
#[derive(Debug)]
pub struct TlsListener {
    streams: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local_addr: SocketAddr,
}

impl TlsListener {
    /// Starts accepting on `listener`.
    pub fn new(listener: TcpListener, config: Arc<rustls::ServerConfig>) -> std::io::Result<Self> {
        let local_addr = listener.local_addr()?;
        let (tx, streams) = mpsc::channel(64);
        let acceptor = TlsAcceptor::from(config);
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    () = tx.closed() => break,
                    accepted = listener.accept() => accepted,
                };
                let (tcp, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        tracing::warn!(error = %e, "TLS listener accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let acceptor = acceptor.clone();
                let sender = tx.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                        Ok(Ok(stream)) => {
                            let _ = sender.send((stream, peer)).await;
                        }
                        Ok(Err(e)) => tracing::info!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::info!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(TlsListener {
            streams,
            local_addr,
        })
    }

    /// The next established TLS stream (`None` once the accept task is gone).
    pub async fn next(&mut self) -> Option<(TlsStream<TcpStream>, SocketAddr)> {
        self.streams.recv().await
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.streams.recv().await {
            Some(accepted) => accepted,
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local_addr)
    }
}
