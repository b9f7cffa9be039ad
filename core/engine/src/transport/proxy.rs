//! Tunnels a TCP connection through an HTTP CONNECT or SOCKS5 proxy.

use base64::Engine as _;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::TransportError;
use crate::config::{ProxyConfig, ProxyKind};

/// Largest HTTP CONNECT response head we read.
const MAX_HTTP_HEAD: usize = 8 * 1024;

/// Opens a TCP connection to the proxy and asks it for a tunnel to `host:port`.
pub(crate) async fn connect_via_proxy(
    proxy: &ProxyConfig,
    host: &str,
    port: u16,
) -> Result<TcpStream, TransportError> {
    let mut stream = TcpStream::connect((proxy.host.as_str(), proxy.port))
        .await
        .map_err(|e| TransportError::Proxy(format!("cannot reach proxy: {e}")))?;
    stream.set_nodelay(true).ok();
    match proxy.kind {
        ProxyKind::Http => http_connect(&mut stream, proxy, host, port).await?,
        ProxyKind::Socks5 => socks5_connect(&mut stream, proxy, host, port).await?,
    }
    Ok(stream)
}

/// Sends `CONNECT host:port` and checks for a 2xx answer.
pub(crate) async fn http_connect<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    proxy: &ProxyConfig,
    host: &str,
    port: u16,
) -> Result<(), TransportError> {
    let target = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let mut request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
    if let Some((user, pass)) = &proxy.credentials {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        request.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await?;
    // Read byte by byte up to the blank line, so no tunnel byte is consumed.
    let mut head = Vec::with_capacity(256);
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() >= MAX_HTTP_HEAD {
            return Err(TransportError::Proxy("proxy response head too long".into()));
        }
        let byte = stream
            .read_u8()
            .await
            .map_err(|e| TransportError::Proxy(format!("proxy closed during CONNECT: {e}")))?;
        head.push(byte);
    }
    let head = String::from_utf8_lossy(&head);
    let status_line = head.lines().next().unwrap_or_default();
    let mut parts = status_line.split_whitespace();
    let version = parts.next().unwrap_or_default();
    let status: u16 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    if !version.starts_with("HTTP/1.") || !(200..300).contains(&status) {
        return Err(TransportError::Proxy(format!(
            "proxy refused CONNECT: {status_line}"
        )));
    }
    Ok(())
}

/// SOCKS5 handshake (RFC 1928, user/password auth RFC 1929), CONNECT by domain name or IP.
/// A connection the proxy breaks off mid-handshake (some proxies close instead of answering a
/// refused login) is a proxy error too.
pub(crate) async fn socks5_connect<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    proxy: &ProxyConfig,
    host: &str,
    port: u16,
) -> Result<(), TransportError> {
    socks5_handshake(stream, proxy, host, port)
        .await
        .map_err(|err| match err {
            TransportError::Io(e) => TransportError::Proxy(format!(
                "SOCKS5: connection broken during the handshake: {e}"
            )),
            other => other,
        })
}

async fn socks5_handshake<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    proxy: &ProxyConfig,
    host: &str,
    port: u16,
) -> Result<(), TransportError> {
    let bad = |why: String| TransportError::Proxy(format!("SOCKS5: {why}"));
    let greeting: &[u8] = if proxy.credentials.is_some() {
        &[5, 2, 0, 2]
    } else {
        &[5, 1, 0]
    };
    stream.write_all(greeting).await?;
    let mut choice = [0u8; 2];
    stream.read_exact(&mut choice).await?;
    match choice {
        [5, 0] => {}
        [5, 2] => {
            let Some((user, pass)) = &proxy.credentials else {
                return Err(bad("proxy wants a password and none is configured".into()));
            };
            let user_len = u8::try_from(user.len()).map_err(|_| bad("user too long".into()))?;
            let pass_len = u8::try_from(pass.len()).map_err(|_| bad("password too long".into()))?;
            let mut auth = vec![1, user_len];
            auth.extend_from_slice(user.as_bytes());
            auth.push(pass_len);
            auth.extend_from_slice(pass.as_bytes());
            stream.write_all(&auth).await?;
            let mut status = [0u8; 2];
            stream.read_exact(&mut status).await?;
            if status[1] != 0 {
                return Err(bad("authentication rejected".into()));
            }
        }
        [5, 0xff] => return Err(bad("no acceptable authentication method".into())),
        other => return Err(bad(format!("unexpected method reply {other:?}"))),
    }
    let mut request = vec![5, 1, 0];
    match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => {
            request.push(1);
            request.extend_from_slice(&ip.octets());
        }
        Ok(std::net::IpAddr::V6(ip)) => {
            request.push(4);
            request.extend_from_slice(&ip.octets());
        }
        Err(_) => {
            let len = u8::try_from(host.len()).map_err(|_| bad("host name too long".into()))?;
            request.push(3);
            request.push(len);
            request.extend_from_slice(host.as_bytes());
        }
    }
    request.extend_from_slice(&port.to_be_bytes());
    stream.write_all(&request).await?;
    let mut reply = [0u8; 4];
    stream.read_exact(&mut reply).await?;
    if reply[0] != 5 {
        return Err(bad(format!("bad reply version {}", reply[0])));
    }
    if reply[1] != 0 {
        return Err(bad(format!(
            "connect failed: {}",
            socks5_reply_text(reply[1])
        )));
    }
    // Skip the bound address.
    let address_len = match reply[3] {
        1 => 4,
        4 => 16,
        3 => usize::from(stream.read_u8().await?),
        other => return Err(bad(format!("bad address type {other}"))),
    };
    let mut skip = vec![0u8; address_len + 2];
    stream.read_exact(&mut skip).await?;
    Ok(())
}

fn socks5_reply_text(code: u8) -> &'static str {
    match code {
        1 => "general failure",
        2 => "not allowed by ruleset",
        3 => "network unreachable",
        4 => "host unreachable",
        5 => "connection refused",
        6 => "TTL expired",
        7 => "command not supported",
        8 => "address type not supported",
        _ => "unknown error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    /// A TCP echo server; returns its port.
    async fn echo_server() -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let (mut r, mut w) = socket.split();
                    let _ = tokio::io::copy(&mut r, &mut w).await;
                });
            }
        });
        port
    }

    /// A one-connection HTTP CONNECT proxy that records the request head and checks auth.
    async fn http_proxy(
        required_auth: Option<&'static str>,
    ) -> (u16, tokio::task::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let (mut client, _) = listener.accept().await.unwrap();
            let mut head = Vec::new();
            while !head.ends_with(b"\r\n\r\n") {
                head.push(client.read_u8().await.unwrap());
            }
            let head = String::from_utf8(head).unwrap();
            let target = head.split_whitespace().nth(1).unwrap().to_owned();
            let authorized = required_auth
                .is_none_or(|token| head.contains(&format!("Proxy-Authorization: Basic {token}")));
            if !authorized {
                client
                    .write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")
                    .await
                    .unwrap();
                return head;
            }
            let mut upstream = TcpStream::connect(target).await.unwrap();
            client
                .write_all(b"HTTP/1.1 200 Connection established\r\nX-Test: 1\r\n\r\n")
                .await
                .unwrap();
            let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            head
        });
        (port, task)
    }

    /// A one-connection SOCKS5 proxy (domain, IPv4) with optional user/password.
    async fn socks5_proxy(required: Option<(&'static str, &'static str)>) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (mut c, _) = listener.accept().await.unwrap();
            let mut head = [0u8; 2];
            c.read_exact(&mut head).await.unwrap();
            let mut methods = vec![0u8; usize::from(head[1])];
            c.read_exact(&mut methods).await.unwrap();
            match required {
                None => c.write_all(&[5, 0]).await.unwrap(),
                Some((user, pass)) => {
                    assert!(methods.contains(&2));
                    c.write_all(&[5, 2]).await.unwrap();
                    let ver = c.read_u8().await.unwrap();
                    assert_eq!(ver, 1);
                    let mut u = vec![0u8; usize::from(c.read_u8().await.unwrap())];
                    c.read_exact(&mut u).await.unwrap();
                    let mut p = vec![0u8; usize::from(c.read_u8().await.unwrap())];
                    c.read_exact(&mut p).await.unwrap();
                    let ok = u == user.as_bytes() && p == pass.as_bytes();
                    c.write_all(&[1, if ok { 0 } else { 1 }]).await.unwrap();
                    if !ok {
                        return;
                    }
                }
            }
            let mut req = [0u8; 4];
            c.read_exact(&mut req).await.unwrap();
            assert_eq!(&req[..3], &[5, 1, 0]);
            let host = match req[3] {
                1 => {
                    let mut ip = [0u8; 4];
                    c.read_exact(&mut ip).await.unwrap();
                    std::net::Ipv4Addr::from(ip).to_string()
                }
                3 => {
                    let mut name = vec![0u8; usize::from(c.read_u8().await.unwrap())];
                    c.read_exact(&mut name).await.unwrap();
                    String::from_utf8(name).unwrap()
                }
                other => panic!("address type {other}"),
            };
            let port = c.read_u16().await.unwrap();
            match TcpStream::connect((host.as_str(), port)).await {
                Ok(mut upstream) => {
                    // Bound address as a domain, to exercise that reply form.
                    c.write_all(&[5, 0, 0, 3, 4, b'b', b'o', b'u', b'n', 0, 80])
                        .await
                        .unwrap();
                    let _ = tokio::io::copy_bidirectional(&mut c, &mut upstream).await;
                }
                Err(_) => c.write_all(&[5, 5, 0, 1, 0, 0, 0, 0, 0, 0]).await.unwrap(),
            }
        });
        port
    }

    async fn assert_echoes(mut stream: TcpStream) {
        stream.write_all(b"ping through proxy").await.unwrap();
        let mut back = [0u8; 18];
        stream.read_exact(&mut back).await.unwrap();
        assert_eq!(&back, b"ping through proxy");
    }

    fn proxy(kind: ProxyKind, port: u16, credentials: Option<(&str, &str)>) -> ProxyConfig {
        ProxyConfig {
            kind,
            host: "127.0.0.1".into(),
            port,
            credentials: credentials.map(|(u, p)| (u.into(), p.into())),
        }
    }

    #[tokio::test]
    async fn http_connect_tunnels_with_basic_auth() {
        let echo = echo_server().await;
        // base64("bob:pw")
        let (port, head) = http_proxy(Some("Ym9iOnB3")).await;
        let stream = connect_via_proxy(
            &proxy(ProxyKind::Http, port, Some(("bob", "pw"))),
            "127.0.0.1",
            echo,
        )
        .await
        .unwrap();
        assert_echoes(stream).await;
        let head = head.await.unwrap();
        assert!(head.starts_with(&format!("CONNECT 127.0.0.1:{echo} HTTP/1.1\r\n")));
    }

    #[tokio::test]
    async fn http_connect_refusal_is_a_proxy_error() {
        let (port, _head) = http_proxy(Some("Ym9iOnB3")).await;
        let err = connect_via_proxy(&proxy(ProxyKind::Http, port, None), "127.0.0.1", 1)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, TransportError::Proxy(m) if m.contains("407")),
            "{err}"
        );
    }

    #[tokio::test]
    async fn socks5_tunnels_by_domain_and_by_ip() {
        let echo = echo_server().await;
        let port = socks5_proxy(None).await;
        let stream = connect_via_proxy(&proxy(ProxyKind::Socks5, port, None), "localhost", echo)
            .await
            .unwrap();
        assert_echoes(stream).await;

        let port = socks5_proxy(Some(("alice", "secret"))).await;
        let stream = connect_via_proxy(
            &proxy(ProxyKind::Socks5, port, Some(("alice", "secret"))),
            "127.0.0.1",
            echo,
        )
        .await
        .unwrap();
        assert_echoes(stream).await;
    }

    #[tokio::test]
    async fn socks5_failures_are_proxy_errors() {
        let port = socks5_proxy(Some(("alice", "secret"))).await;
        let err = connect_via_proxy(
            &proxy(ProxyKind::Socks5, port, Some(("alice", "wrong"))),
            "127.0.0.1",
            1,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&err, TransportError::Proxy(m) if m.contains("rejected")),
            "{err}"
        );

        // A closed port behind the proxy: the proxy answers "connection refused".
        let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let closed_port = closed.local_addr().unwrap().port();
        drop(closed);
        let port = socks5_proxy(None).await;
        let err = connect_via_proxy(
            &proxy(ProxyKind::Socks5, port, None),
            "127.0.0.1",
            closed_port,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&err, TransportError::Proxy(m) if m.contains("refused")),
            "{err}"
        );
    }

    #[tokio::test]
    async fn unreachable_proxy_is_an_error() {
        let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let err = connect_via_proxy(&proxy(ProxyKind::Http, port, None), "x", 1)
            .await
            .unwrap_err();
        assert!(matches!(err, TransportError::Proxy(_)));
    }
}
