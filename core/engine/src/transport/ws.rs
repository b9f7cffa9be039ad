//! WebSocket client: `ws://` (simulator) or `wss://` with rustls and the platform's root
//! certificates (plus any extra trusted certificates, see [`super::tls`]), optionally through a
//! proxy, sending WhatsApp Web's `Origin` header.

use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::TransportError;
use super::proxy::connect_via_proxy;
use super::tls::{client_config, connect_tls};
use crate::config::{ProxyConfig, WEB_ORIGIN};

/// The WebSocket type the connection driver uses.
pub(crate) type WsStream = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Largest WebSocket message accepted (a Noise frame is at most 16 MiB plus its 3-byte header).
pub(crate) const MAX_MESSAGE_SIZE: usize = (1 << 24) + 16;

/// Bytes read from the socket at a time: tungstenite's default (128 KiB) is allocated per
/// connection and would be most of an idle session's memory; larger messages still arrive whole.
const READ_BUFFER: usize = 8 * 1024;

/// Opens the WebSocket to `url` (directly or through `proxy`). For `wss://`, the server's TLS
/// certificate must chain to a platform root or to one of the certificates of `extra_roots_pem`.
pub(crate) async fn connect_websocket(
    url: &str,
    proxy: Option<&ProxyConfig>,
    extra_roots_pem: Option<&str>,
) -> Result<WsStream, TransportError> {
    let mut request = url
        .into_client_request()
        .map_err(|e| TransportError::InvalidUrl(format!("{url}: {e}")))?;
    let uri = request.uri().clone();
    let secure = match uri.scheme_str() {
        Some("wss") => true,
        Some("ws") => false,
        _ => {
            return Err(TransportError::InvalidUrl(format!(
                "{url}: scheme must be ws or wss"
            )));
        }
    };
    let host = uri
        .host()
        .ok_or_else(|| TransportError::InvalidUrl(format!("{url}: no host")))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
    let headers = request.headers_mut();
    headers.insert("Origin", HeaderValue::from_static(WEB_ORIGIN));
    headers.insert("Cache-Control", HeaderValue::from_static("no-cache"));
    headers.insert("Pragma", HeaderValue::from_static("no-cache"));

    let tcp = match proxy {
        Some(proxy) => connect_via_proxy(proxy, &host, port).await?,
        None => TcpStream::connect((host.as_str(), port)).await?,
    };
    tcp.set_nodelay(true).ok();
    let stream = if secure {
        let tls = client_config(extra_roots_pem)?;
        MaybeTlsStream::Rustls(connect_tls(tcp, &host, tls).await?)
    } else {
        MaybeTlsStream::Plain(tcp)
    };
    let config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .max_message_size(Some(MAX_MESSAGE_SIZE))
        .max_frame_size(Some(MAX_MESSAGE_SIZE));
    let (stream, _response) =
        tokio_tungstenite::client_async_with_config(request, stream, Some(config))
            .await
            .map_err(|e| TransportError::WebSocket(e.to_string()))?;
    Ok(stream)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ProxyKind;
    use futures_util::{SinkExt, StreamExt};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

    /// A WebSocket echo server that reports the Origin header and path of its first client.
    #[allow(clippy::result_large_err)] // the handshake callback's error type is tungstenite's
    async fn ws_server() -> (u16, tokio::sync::oneshot::Receiver<(String, String)>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, rx) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            let mut seen = None;
            let mut ws =
                tokio_tungstenite::accept_hdr_async(socket, |req: &Request, resp: Response| {
                    let origin = req
                        .headers()
                        .get("Origin")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    seen = Some((origin, req.uri().path().to_owned()));
                    Ok(resp)
                })
                .await
                .unwrap();
            tx.send(seen.unwrap()).unwrap();
            while let Some(Ok(msg)) = ws.next().await {
                if msg.is_binary() {
                    ws.send(msg).await.unwrap();
                }
            }
        });
        (port, rx)
    }

    #[tokio::test]
    async fn plain_websocket_with_origin_header() {
        let (port, seen) = ws_server().await;
        let mut ws = connect_websocket(&format!("ws://127.0.0.1:{port}/ws/chat"), None, None)
            .await
            .unwrap();
        ws.send(Message::binary(vec![0x57, 0x41, 6, 3]))
            .await
            .unwrap();
        let back = ws.next().await.unwrap().unwrap();
        assert_eq!(back.into_data().as_ref(), &[0x57, 0x41, 6, 3]);
        assert_eq!(
            seen.await.unwrap(),
            ("https://web.whatsapp.com".to_owned(), "/ws/chat".to_owned())
        );
    }

    #[tokio::test]
    async fn websocket_through_an_http_proxy() {
        let (ws_port, _seen) = ws_server().await;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy_port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (mut client, _) = listener.accept().await.unwrap();
            let mut head = Vec::new();
            while !head.ends_with(b"\r\n\r\n") {
                head.push(client.read_u8().await.unwrap());
            }
            let head = String::from_utf8(head).unwrap();
            let target = head.split_whitespace().nth(1).unwrap().to_owned();
            let mut upstream = tokio::net::TcpStream::connect(target).await.unwrap();
            client.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await.unwrap();
            let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
        });
        let proxy = ProxyConfig {
            kind: ProxyKind::Http,
            host: "127.0.0.1".into(),
            port: proxy_port,
            credentials: None,
        };
        let mut ws = connect_websocket(
            &format!("ws://localhost:{ws_port}/ws/chat"),
            Some(&proxy),
            None,
        )
        .await
        .unwrap();
        ws.send(Message::binary(vec![1, 2, 3])).await.unwrap();
        assert_eq!(
            ws.next().await.unwrap().unwrap().into_data().as_ref(),
            &[1, 2, 3]
        );
    }

    #[tokio::test]
    async fn bad_urls_and_refused_connections() {
        assert!(matches!(
            connect_websocket("http://127.0.0.1:1/", None, None).await,
            Err(TransportError::InvalidUrl(_))
        ));
        assert!(matches!(
            connect_websocket("not a url", None, None).await,
            Err(TransportError::InvalidUrl(_))
        ));
        let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let err = connect_websocket(&format!("ws://127.0.0.1:{port}/ws/chat"), None, None)
            .await
            .unwrap_err();
        assert!(matches!(err, TransportError::Io(_)), "{err}");
        assert_eq!(crate::Error::from(err).code, crate::ErrorCode::Network);
    }

    #[tokio::test]
    async fn tls_to_a_non_tls_server_fails_cleanly() {
        // A plain TCP server that answers garbage: the TLS handshake must fail with an error.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let _ = socket.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        });
        let err = connect_websocket(&format!("wss://localhost:{port}/ws/chat"), None, None)
            .await
            .unwrap_err();
        assert!(matches!(err, TransportError::Tls(_)), "{err}");
    }
}
