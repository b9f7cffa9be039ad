//! The SSRF guard of webhook URLs: http(s) only, and no loopback, private, link-local or
//! unspecified address unless the configuration allows them — checked on the URL's literal
//! (and `localhost`) when a webhook is registered and before each delivery, and on every
//! address a host name resolves to when the delivery connects ([`client`]: a resolver that
//! drops private addresses, so a name that resolves, or later re-resolves, to one is refused),
//! with redirects not followed.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why a URL is refused, or `Ok`.
pub fn check(url: &str, allow_private: bool) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("url {url:?}: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("url must be http or https".into());
    }
    let host = parsed
        .host_str()
        .ok_or_else(|| "url has no host".to_owned())?;
    if allow_private {
        return Ok(());
    }
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let private = match host.parse::<IpAddr>() {
        Ok(ip) => is_private(ip),
        Err(_) => host == "localhost" || host.ends_with(".localhost"),
    };
    if private {
        return Err(format!(
            "url {url:?} points at a private or loopback address (set WEBHOOK_ALLOW_PRIVATE=true to allow it)"
        ));
    }
    Ok(())
}

/// The HTTP client of webhook deliveries: with `allow_private` false, host names resolving
/// only to private addresses fail to connect; redirects are never followed.
pub fn client(allow_private: bool) -> reqwest::Result<reqwest::Client> {
    let builder = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
    if allow_private {
        return builder.build();
    }
    builder.dns_resolver(Arc::new(PublicOnly)).build()
}

/// A resolver that keeps only public addresses.
#[derive(Debug)]
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> =
                found.into_iter().filter(|a| !is_private(a.ip())).collect();
            if public.is_empty() {
                let refused: Box<dyn std::error::Error + Send + Sync> = format!(
                    "{host} resolves to no public address (set WEBHOOK_ALLOW_PRIVATE=true to allow private ones)"
                )
                .into();
                return Err(refused);
            }
            let addrs: Addrs = Box::new(public.into_iter());
            Ok(addrs)
        })
    }
}

fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| is_private(IpAddr::V4(v4)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn refuses_private_targets() {
        assert!(check("https://example.com/hook", false).is_ok());
        assert!(check("http://127.0.0.1:9/x", false).is_err());
        assert!(check("http://10.1.2.3/x", false).is_err());
        assert!(check("http://[::1]/x", false).is_err());
        assert!(check("http://localhost/x", false).is_err());
        assert!(check("http://127.0.0.1:9/x", true).is_ok());
        assert!(check("ftp://example.com/x", true).is_err());
        assert!(check("not a url", true).is_err());
    }

    #[tokio::test]
    async fn names_that_resolve_to_private_addresses_do_not_connect() {
        // A name (any name, not only those the literal check knows) that resolves to
        // loopback: the delivery client does not connect.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let url = format!("http://localhost:{port}/hook");
        let refused = super::client(false).unwrap().post(&url).send().await;
        let err = refused.unwrap_err();
        assert!(err.is_connect() || err.is_request(), "{err:?}");
        assert!(format!("{err:?}").contains("no public address"), "{err:?}");
        // Allowed by configuration: it connects (and the server answers nothing useful).
        let server = tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = socket.read(&mut buf).await.unwrap();
                assert!(n > 0, "the request ended early");
                request.extend_from_slice(&buf[..n]);
            }
            socket
                .write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
                .await
                .unwrap();
        });
        let allowed = super::client(true)
            .unwrap()
            .post(&url)
            .send()
            .await
            .unwrap();
        assert_eq!(allowed.status(), 204);
        server.await.unwrap();
    }
}
