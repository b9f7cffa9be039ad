//! A minimal HTTP/1.1 client (one request per connection, `Connection: close`) for the admin API
//! and the media host: used by `openwa-sim-load` and by the test support. Not a general client:
//! no redirects, no keep-alive; chunked bodies are decoded.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// An HTTP response: status and body.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Body (de-chunked).
    pub body: Vec<u8>,
}

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The URL is not `scheme://host:port[/…]`.
    #[error("bad URL {0:?}")]
    BadUrl(String),
    /// Connecting, writing or reading failed.
    #[error("HTTP I/O: {0}")]
    Io(#[from] std::io::Error),
    /// The answer is not HTTP/1.1 as expected.
    #[error("malformed HTTP response: {0}")]
    Malformed(&'static str),
}

/// `host:port` of a `scheme://host:port[/…]` URL.
pub fn host_port(url: &str) -> Result<&str, HttpError> {
    url.split_once("://")
        .and_then(|(_, rest)| rest.split('/').next())
        .filter(|host| !host.is_empty())
        .ok_or_else(|| HttpError::BadUrl(url.to_owned()))
}

/// Sends one request with a JSON (or raw) body over `stream` and reads the whole answer.
pub async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    method: &str,
    host: &str,
    path: &str,
    body: &[u8],
) -> Result<HttpResponse, HttpError> {
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    stream.flush().await?;
    let mut raw = Vec::new();
    // A TLS peer may close without close_notify; keep what was read.
    let _ = stream.read_to_end(&mut raw).await;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or(HttpError::Malformed("no end of headers"))?;
    let (head, rest) = raw.split_at(split);
    let headers = String::from_utf8_lossy(head).to_ascii_lowercase();
    let status = headers
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or(HttpError::Malformed("no status code"))?;
    let body = rest.get(4..).unwrap_or_default();
    let body = if headers.contains("transfer-encoding: chunked") {
        dechunk(body)?
    } else {
        body.to_vec()
    };
    Ok(HttpResponse { status, body })
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, HttpError> {
    const BAD: HttpError = HttpError::Malformed("bad chunked body");
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").ok_or(BAD)?;
        let size_line = std::str::from_utf8(&data[..line_end]).map_err(|_| BAD)?;
        let size = usize::from_str_radix(size_line.trim(), 16).map_err(|_| BAD)?;
        if size == 0 {
            return Ok(out);
        }
        let chunk = data.get(line_end + 2..line_end + 2 + size).ok_or(BAD)?;
        out.extend_from_slice(chunk);
        data = data.get(line_end + 4 + size..).ok_or(BAD)?;
    }
}

/// A plain-HTTP request to `base_url` (`http://host:port`) with an optional JSON body.
pub async fn request(
    base_url: &str,
    method: &str,
    path: &str,
    body: Option<&serde_json::Value>,
) -> Result<HttpResponse, HttpError> {
    let host = host_port(base_url)?;
    let stream = TcpStream::connect(host).await?;
    let body = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
    exchange(stream, method, host, path, &body).await
}
