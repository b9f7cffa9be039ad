//! What a key may reach besides its role: `allowedSessions` (session ids, matched exactly
//! against the id in the path; a scoped key reaches no global route but the session list and
//! `validate`) and `allowedIps` (addresses or CIDR blocks of the client, see the `client_ip`
//! module). Empty lists allow all.

use std::net::IpAddr;

/// A key's scope.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Session ids it may act on (empty: every session).
    pub sessions: Vec<String>,
    /// Peer addresses or CIDR blocks it may come from (empty: anywhere).
    pub ips: Vec<String>,
}

impl Scope {
    /// Whether session `id` is in scope.
    pub fn allows_session(&self, id: &str) -> bool {
        self.sessions.is_empty() || self.sessions.iter().any(|s| s == id)
    }

    /// Whether a request from `peer` is in scope.
    pub fn allows_ip(&self, peer: Option<IpAddr>) -> bool {
        if self.ips.is_empty() {
            return true;
        }
        peer.is_some_and(|peer| self.ips.iter().any(|block| in_block(peer, block)))
    }

    /// Why a request to `path` is out of scope, if it is.
    pub fn refusal(&self, path: &str) -> Option<String> {
        if self.sessions.is_empty() {
            return None;
        }
        match path.strip_prefix("/api/sessions/") {
            Some(rest) => {
                let id = rest.split('/').next().unwrap_or(rest);
                (!self.allows_session(id))
                    .then(|| format!("this key may not act on session {id:?}"))
            }
            None if path == "/api/sessions" || path == "/api/auth/validate" => None,
            None => Some("a session-scoped key reaches only its sessions' routes".into()),
        }
    }
}

/// Whether `entry` is a valid address or CIDR block.
pub fn valid_block(entry: &str) -> bool {
    parse_block(entry).is_some()
}

fn parse_block(entry: &str) -> Option<(IpAddr, u32)> {
    let (addr, len) = match entry.split_once('/') {
        Some((addr, len)) => (addr, Some(len.parse::<u32>().ok()?)),
        None => (entry, None),
    };
    let addr: IpAddr = addr.trim().parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let len = len.unwrap_or(max);
    (len <= max).then_some((addr, len))
}

/// Whether `ip` is in one of `blocks` (addresses or CIDR blocks).
pub fn in_any(ip: IpAddr, blocks: &[String]) -> bool {
    blocks.iter().any(|block| in_block(ip, block))
}

fn in_block(peer: IpAddr, block: &str) -> bool {
    let Some((net, len)) = parse_block(block) else {
        return false;
    };
    let peer = match (peer, net) {
        (IpAddr::V6(v6), IpAddr::V4(_)) => v6.to_ipv4_mapped().map_or(peer, IpAddr::V4),
        _ => peer,
    };
    match (peer, net) {
        (IpAddr::V4(p), IpAddr::V4(n)) => {
            prefix_eq(u128::from(u32::from(p)), u128::from(u32::from(n)), 32, len)
        }
        (IpAddr::V6(p), IpAddr::V6(n)) => prefix_eq(u128::from(p), u128::from(n), 128, len),
        _ => false,
    }
}

fn prefix_eq(a: u128, b: u128, bits: u32, len: u32) -> bool {
    if len == 0 {
        return true;
    }
    let shift = bits - len;
    (a >> shift) == (b >> shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_blocks() {
        let scope = Scope {
            sessions: vec![],
            ips: vec!["10.0.0.0/8".into(), "::1".into(), "192.168.1.7".into()],
        };
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        assert!(scope.allows_ip(ip("10.200.3.4")));
        assert!(scope.allows_ip(ip("::1")));
        assert!(scope.allows_ip(ip("192.168.1.7")));
        assert!(scope.allows_ip(ip("::ffff:10.0.0.1")));
        assert!(!scope.allows_ip(ip("11.0.0.1")));
        assert!(!scope.allows_ip(ip("192.168.1.8")));
        assert!(!scope.allows_ip(None));
        assert!(Scope::default().allows_ip(None));
        assert!(valid_block("0.0.0.0/0") && !valid_block("10.0.0.0/33") && !valid_block("x"));
    }

    #[test]
    fn session_scope() {
        let scope = Scope {
            sessions: vec!["a".into()],
            ips: vec![],
        };
        assert_eq!(scope.refusal("/api/sessions/a/messages/send-text"), None);
        assert_eq!(scope.refusal("/api/sessions"), None);
        assert!(scope.refusal("/api/sessions/b").is_some());
        assert!(scope.refusal("/api/webhooks").is_some());
        assert_eq!(Scope::default().refusal("/api/webhooks"), None);
    }
}
