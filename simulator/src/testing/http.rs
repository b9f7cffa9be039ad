//! A tiny HTTP/1.1 client (plain and TLS), enough for the admin API and the media host.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// An HTTP response: status and body.
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

fn host_port(url: &str) -> String {
    url.split("://")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned()
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    method: &str,
    host: &str,
    path: &str,
    body: &[u8],
) -> HttpResponse {
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    stream.flush().await.unwrap();
    let mut raw = Vec::new();
    // A TLS peer may close without close_notify; keep what was read.
    let _ = stream.read_to_end(&mut raw).await;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("no header end");
    let headers = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let status = headers.split_whitespace().nth(1).unwrap().parse().unwrap();
    let mut body = raw[split + 4..].to_vec();
    if headers.contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    HttpResponse { status, body }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..line_end]).unwrap().trim(), 16)
                .unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[line_end + 2..line_end + 2 + size]);
        data = &data[line_end + 4 + size..];
    }
}

/// Plain HTTP request to `base_url` (`http://host:port`).
pub async fn http(
    base_url: &str,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> HttpResponse {
    let host = host_port(base_url);
    let stream = TcpStream::connect(&host).await.unwrap();
    let body = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
    exchange(stream, method, &host, path, &body).await
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
    let host = host_port(base_url);
    let stream = tls_connect(&host, cert_pem).await;
    exchange(stream, method, &host, path, body).await
}
