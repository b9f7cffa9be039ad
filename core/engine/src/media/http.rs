//! A small HTTPS client for the media hosts: one HTTP/1.1 request per connection, over the same
//! path as the chat connection (direct TCP or the session's proxy, then TLS trusting the
//! platform roots plus the session's extra certificates). Bodies stream both ways, so a large
//! upload or download never sits whole in memory.

use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Empty, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::{Request, Response, StatusCode, header};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::TcpStream;

use crate::config::{SessionOptions, WEB_ORIGIN};
use crate::error::{Error, ErrorCode};
use crate::transport::{TransportError, proxy, tls};

/// Size of the pieces a streamed upload body is read in.
const CHUNK: usize = 64 * 1024;

/// The slowest transfer rate tolerated before a transfer times out, bytes per second.
const MIN_RATE: u64 = 64 * 1024;

/// A request body: nothing, or a reader streamed in pieces.
pub(crate) type Body = UnsyncBoxBody<Bytes, std::io::Error>;

/// An `https://host[:port]/path?query` URL, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HttpsUrl {
    /// Host name or address (no brackets, no port).
    pub host: String,
    /// Port (443 when the URL has none).
    pub port: u16,
    /// `host[:port]` as given, for the `Host` header.
    pub authority: String,
    /// Path and query, starting with `/`.
    pub path: String,
}

impl HttpsUrl {
    /// Parses an `https://` URL; other schemes are refused (media is HTTPS only).
    pub(crate) fn parse(url: &str) -> Result<HttpsUrl, Error> {
        let bad = || Error::new(ErrorCode::Protocol, format!("not an https URL: {url:?}"));
        let rest = url.strip_prefix("https://").ok_or_else(bad)?;
        let (authority, path) = match rest.find(['/', '?']) {
            Some(at) => rest.split_at(at),
            None => (rest, "/"),
        };
        let path = if path.starts_with('?') {
            format!("/{path}")
        } else {
            path.to_owned()
        };
        let (host, port) = split_authority(authority).ok_or_else(bad)?;
        Ok(HttpsUrl {
            host,
            port,
            authority: authority.to_owned(),
            path,
        })
    }

    /// The URL on `authority` (`HOST[:PORT]`, as media_conn gives it) with `path`.
    pub(crate) fn on_host(authority: &str, path: &str) -> Result<HttpsUrl, Error> {
        HttpsUrl::parse(&format!("https://{authority}{path}"))
    }
}

/// `host[:port]` or `[v6]:port` → host and port (443 by default).
fn split_authority(authority: &str) -> Option<(String, u16)> {
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    if let Some(v6) = authority.strip_prefix('[') {
        let (host, rest) = v6.split_once(']')?;
        let port = match rest.strip_prefix(':') {
            Some(port) => port.parse().ok()?,
            None if rest.is_empty() => 443,
            None => return None,
        };
        return Some((host.to_owned(), port));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() => Some((host.to_owned(), port.parse().ok()?)),
        Some(_) => None,
        None => Some((authority.to_owned(), 443)),
    }
}

/// Percent-encodes a query value (everything but unreserved characters).
pub(crate) fn query_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The client: trust and proxy from the session's options.
#[derive(Debug, Clone)]
pub(crate) struct MediaHttp {
    tls: std::sync::Arc<rustls::ClientConfig>,
    proxy: Option<crate::config::ProxyConfig>,
    connect_timeout: Duration,
    idle_timeout: Duration,
}

impl MediaHttp {
    /// A client for a session with `options`.
    pub(crate) fn new(options: &SessionOptions) -> Result<MediaHttp, Error> {
        let tls = tls::client_config(options.tls_extra_roots_pem.as_deref())?;
        Ok(MediaHttp {
            tls,
            proxy: options.proxy_config()?,
            connect_timeout: options.connect_timeout(),
            idle_timeout: options.request_timeout(),
        })
    }

    /// How long a transfer of `len` bytes may take at the slowest tolerated rate.
    fn transfer_timeout(&self, len: u64) -> Duration {
        self.idle_timeout + Duration::from_secs(len / MIN_RATE)
    }

    async fn connect(
        &self,
        url: &HttpsUrl,
    ) -> Result<hyper::client::conn::http1::SendRequest<Body>, Error> {
        let open = async {
            let tcp = match &self.proxy {
                Some(proxy) => proxy::connect_via_proxy(proxy, &url.host, url.port).await?,
                None => TcpStream::connect((url.host.as_str(), url.port)).await?,
            };
            tcp.set_nodelay(true).ok();
            tls::connect_tls(tcp, &url.host, self.tls.clone()).await
        };
        let stream = tokio::time::timeout(self.connect_timeout, open)
            .await
            .map_err(|_| Error::from(TransportError::Timeout("media host connect")))??;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(http_error)?;
        tokio::spawn(async move {
            // The connection ends with the response; its error, if any, reached the request.
            let _ = connection.await;
        });
        Ok(sender)
    }

    /// Sends one request and returns the response head with its body still streaming.
    async fn request(
        &self,
        url: &HttpsUrl,
        method: &str,
        body: Body,
        content_length: Option<u64>,
    ) -> Result<Response<Incoming>, Error> {
        let mut sender = self.connect(url).await?;
        let mut request = Request::builder()
            .method(method)
            .uri(url.path.as_str())
            .header(header::HOST, url.authority.as_str())
            .header(header::ORIGIN, WEB_ORIGIN)
            .header(header::USER_AGENT, "openwa");
        if let Some(len) = content_length {
            request = request.header(header::CONTENT_LENGTH, len);
        }
        let request = request
            .body(body)
            .map_err(|e| Error::internal(format!("media request: {e}")))?;
        let timeout = self.transfer_timeout(content_length.unwrap_or(0));
        tokio::time::timeout(timeout, sender.send_request(request))
            .await
            .map_err(|_| Error::new(ErrorCode::Timeout, "the media host did not answer in time"))?
            .map_err(http_error)
    }

    /// `POST`s `len` bytes read from `reader`; answers the status and the (small) body.
    pub(crate) async fn post<R>(
        &self,
        url: &HttpsUrl,
        reader: R,
        len: u64,
    ) -> Result<(StatusCode, Vec<u8>), Error>
    where
        R: AsyncRead + Send + Sync + Unpin + 'static,
    {
        let response = self
            .request(url, "POST", streamed(reader), Some(len))
            .await?;
        let status = response.status();
        let mut body = Vec::new();
        let mut incoming = response.into_body();
        while let Some(piece) = self.next_piece(&mut incoming).await? {
            if body.len() + piece.len() > 1024 * 1024 {
                return Err(Error::new(
                    ErrorCode::Protocol,
                    "the media host's answer is over 1 MiB",
                ));
            }
            body.extend_from_slice(&piece);
        }
        Ok((status, body))
    }

    /// `GET`s `url`; answers the response with its body still streaming.
    pub(crate) async fn get(&self, url: &HttpsUrl) -> Result<Response<Incoming>, Error> {
        let empty = Empty::<Bytes>::new()
            .map_err(|never| match never {})
            .boxed_unsync();
        self.request(url, "GET", empty, None).await
    }

    /// The next data piece of a streaming body (`None` at its end), waiting at most the idle
    /// timeout for it.
    pub(crate) async fn next_piece(&self, body: &mut Incoming) -> Result<Option<Bytes>, Error> {
        loop {
            let frame = tokio::time::timeout(self.idle_timeout, body.frame())
                .await
                .map_err(|_| Error::new(ErrorCode::Timeout, "the media transfer stalled"))?;
            match frame {
                None => return Ok(None),
                Some(Err(e)) => return Err(http_error(e)),
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        return Ok(Some(data));
                    }
                }
            }
        }
    }
}

/// A body streaming `reader` in pieces of [`CHUNK`] bytes.
fn streamed<R>(reader: R) -> Body
where
    R: AsyncRead + Send + Sync + Unpin + 'static,
{
    let pieces = futures_util::stream::unfold(reader, |mut reader| async move {
        let mut buf = vec![0u8; CHUNK];
        match reader.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(Frame::data(Bytes::from(buf))), reader))
            }
            Err(e) => Some((Err(e), reader)),
        }
    });
    BodyExt::boxed_unsync(StreamBody::new(StreamExt::boxed(pieces)))
}

fn http_error(err: hyper::Error) -> Error {
    if err.is_timeout() {
        return Error::new(ErrorCode::Timeout, format!("media transfer: {err}"));
    }
    Error::new(ErrorCode::Network, format!("media transfer: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_host_port_and_path() {
        let url = HttpsUrl::parse("https://mmg.whatsapp.net/v/t62/abc?ccb=9-4&oh=x").unwrap();
        assert_eq!(url.host, "mmg.whatsapp.net");
        assert_eq!(url.port, 443);
        assert_eq!(url.authority, "mmg.whatsapp.net");
        assert_eq!(url.path, "/v/t62/abc?ccb=9-4&oh=x");
        let url = HttpsUrl::on_host("127.0.0.1:8443", "/mms/image/tok?auth=a").unwrap();
        assert_eq!((url.host.as_str(), url.port), ("127.0.0.1", 8443));
        let url = HttpsUrl::parse("https://[::1]:9/x").unwrap();
        assert_eq!((url.host.as_str(), url.port), ("::1", 9));
        assert_eq!(HttpsUrl::parse("https://h?q=1").unwrap().path, "/?q=1");
        for bad in [
            "http://h/x",
            "https://",
            "https://:80/x",
            "https://u@h/x",
            "https://h:x/",
        ] {
            assert_eq!(
                HttpsUrl::parse(bad).unwrap_err().code,
                ErrorCode::Protocol,
                "{bad}"
            );
        }
    }

    #[test]
    fn query_values_are_escaped() {
        assert_eq!(query_escape("a+b/c=="), "a%2Bb%2Fc%3D%3D");
        assert_eq!(query_escape("AZaz09-_.~"), "AZaz09-_.~");
    }
}
