//! The HTTP client of [`crate::http_client`] for tests: plain and TLS, panicking on failure.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;

pub use crate::http_client::HttpResponse;
use crate::http_client::{exchange, host_port};

impl HttpResponse {
    /// The body as JSON (panics when it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

/// Plain HTTP request to `base_url` (`http://host:port`).
pub async fn http(
    base_url: &str,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> HttpResponse {
    crate::http_client::request(base_url, method, path, body.as_ref())
        .await
        .unwrap_or_else(|e| panic!("{method} {base_url}{path}: {e}"))
}

/// A rustls client configuration trusting exactly `cert_pem`.
pub fn tls_client_config(cert_pem: &str) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(cert_pem.as_bytes()).unwrap())
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

/// A TLS connection to `host:port` (server name 127.0.0.1) trusting `cert_pem`.
pub async fn tls_connect(host: &str, cert_pem: &str) -> tokio_rustls::client::TlsStream<TcpStream> {
    let tcp = TcpStream::connect(host).await.unwrap();
    let connector = tokio_rustls::TlsConnector::from(tls_client_config(cert_pem));
    let name = ServerName::try_from("127.0.0.1").unwrap().to_owned();
    connector.connect(name, tcp).await.unwrap()
}

/// HTTPS request with raw body bytes to `base_url` (`https://host:port`).
pub async fn https(
    base_url: &str,
    cert_pem: &str,
    method: &str,
    path: &str,
    body: &[u8],
) -> HttpResponse {
    let host = host_port(base_url).unwrap();
    let stream = tls_connect(host, cert_pem).await;
    exchange(stream, method, host, path, body).await.unwrap()
}
