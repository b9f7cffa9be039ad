//! The client's address: the TCP peer, or — when the peer is one of `TRUSTED_PROXIES` — the
//! nearest address in `X-Forwarded-For` that is not a trusted proxy. Key IP scopes, the rate
//! limiter and the audit log use it.

use std::net::IpAddr;

use crate::scope::in_any;

/// The client address of a request (absent only without connection info, e.g. in unit
/// tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// The client address given the peer, the trusted proxies and the `X-Forwarded-For` values.
pub fn resolve(peer: IpAddr, trusted: &[String], forwarded: &[&str]) -> IpAddr {
    if !in_any(peer, trusted) {
        return peer;
    }
    let hops = forwarded
        .iter()
        .flat_map(|v| v.split(','))
        .filter_map(|hop| hop.trim().parse::<IpAddr>().ok())
        .collect::<Vec<_>>();
    let mut client = peer;
    for hop in hops.iter().rev() {
        client = *hop;
        if !in_any(*hop, trusted) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::resolve;

    #[test]
    fn forwarded_only_through_trusted_proxies() {
        let ip = |s: &str| s.parse().unwrap();
        let trusted = vec!["10.0.0.0/8".to_owned()];
        // An untrusted peer's header is ignored.
        assert_eq!(
            resolve(ip("1.2.3.4"), &trusted, &["9.9.9.9"]),
            ip("1.2.3.4")
        );
        // Through one proxy.
        assert_eq!(
            resolve(ip("10.0.0.5"), &trusted, &["9.9.9.9"]),
            ip("9.9.9.9")
        );
        // Spoofed left part, two trusted hops: the nearest untrusted one counts.
        assert_eq!(
            resolve(ip("10.0.0.5"), &trusted, &["6.6.6.6, 8.8.8.8, 10.1.1.1"]),
            ip("8.8.8.8")
        );
        // No header: the proxy itself.
        assert_eq!(resolve(ip("10.0.0.5"), &trusted, &[]), ip("10.0.0.5"));
    }
}
