//! Configuration of a manager and of its sessions. Plain owned data with defaults that point at
//! the real WhatsApp service; tests and `--sandbox` point them at the simulator.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// WhatsApp's chat endpoint.
pub const DEFAULT_SERVER_URL: &str = "wss://web.whatsapp.com/ws/chat";

/// The `Origin` header WhatsApp Web sends.
pub(crate) const WEB_ORIGIN: &str = "https://web.whatsapp.com";

/// WhatsApp's Noise root public key ("WhatsAppLongTerm1", serial 0), docs/PROTOCOL.md, Certificate chain.
pub const WHATSAPP_TRUST_ROOT: [u8; 32] = [
    0x14, 0x23, 0x75, 0x57, 0x4d, 0x0a, 0x58, 0x71, 0x66, 0xaa, 0xe7, 0x1e, 0xbe, 0x51, 0x64, 0x37,
    0xc4, 0xa2, 0x8b, 0x73, 0xe3, 0x69, 0x5c, 0x6c, 0xe1, 0xf7, 0xf9, 0x54, 0x5d, 0xa8, 0xee, 0x6b,
];

/// Settings shared by every session of one manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ManagerConfig {
    /// Where sessions, keys, messages and the event log are kept.
    pub store: StoreConfig,
    /// Capacity of the event broadcast; a subscriber further behind gets `Lagged`.
    pub event_buffer: usize,
    /// How many persisted sessions are restored (connected) at once when the manager opens.
    pub restore_parallelism: usize,
    /// Options for sessions created without their own.
    pub default_session_options: SessionOptions,
    /// Worker threads of the engine's own runtime (0: one per core, at most 4).
    #[serde(default)]
    pub runtime_threads: usize,
}

impl Default for ManagerConfig {
    fn default() -> Self {
        ManagerConfig {
            store: StoreConfig::default(),
            event_buffer: 1024,
            restore_parallelism: 16,
            default_session_options: SessionOptions::default(),
            runtime_threads: 0,
        }
    }
}

impl ManagerConfig {
    /// Checks every field; bad values are `InvalidArgument`.
    pub fn validate(&self) -> Result<(), Error> {
        if self.event_buffer == 0 {
            return Err(Error::invalid_argument("event_buffer must be at least 1"));
        }
        if self.restore_parallelism == 0 {
            return Err(Error::invalid_argument(
                "restore_parallelism must be at least 1",
            ));
        }
        self.store.validate()?;
        self.default_session_options.validate()
    }
}

/// Which database backs the manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "backend", rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum StoreBackend {
    /// A database in process memory: everything is lost when the manager closes (tests,
    /// demos). Needs no at-rest key.
    #[default]
    Memory,
    /// One SQLite database file for the whole manager.
    Sqlite {
        /// Path of the database file (created if missing).
        path: PathBuf,
    },
    /// A PostgreSQL database.
    Postgres {
        /// Connection URL, `postgres://user:pass@host:port/db`.
        url: String,
    },
}

/// Where the at-rest encryption key comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum AtRestKey {
    /// A 32-byte AES-256 key given directly (e.g. from a secret manager).
    Bytes {
        /// The key.
        key: Vec<u8>,
    },
    /// A file holding the key; generated with mode 0600 if it does not exist.
    File {
        /// Path of the key file.
        path: PathBuf,
    },
}

/// The store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct StoreConfig {
    /// The database.
    pub backend: StoreBackend,
    /// Key encrypting every secret at rest (required for persistent backends).
    pub at_rest_key: Option<AtRestKey>,
}

impl StoreConfig {
    /// Checks the combination of backend and key.
    pub fn validate(&self) -> Result<(), Error> {
        if let Some(AtRestKey::Bytes { key }) = &self.at_rest_key
            && key.len() != 32
        {
            return Err(Error::invalid_argument(format!(
                "the at-rest key must be 32 bytes, got {}",
                key.len()
            )));
        }
        match &self.backend {
            StoreBackend::Memory => Ok(()),
            StoreBackend::Sqlite { path } if path.as_os_str().is_empty() => {
                Err(Error::invalid_argument("the SQLite path is empty"))
            }
            StoreBackend::Postgres { url }
                if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) =>
            {
                Err(Error::invalid_argument(
                    "the PostgreSQL URL must start with postgres://",
                ))
            }
            _ if self.at_rest_key.is_none() => Err(Error::invalid_argument(
                "a persistent store needs an at-rest key (bytes or key file)",
            )),
            _ => Ok(()),
        }
    }
}

/// How this device presents itself to WhatsApp (shown in the phone's linked-devices list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct BrowserInfo {
    /// Operating-system name, e.g. `Mac OS`.
    pub os: String,
    /// Browser name: `Chrome`, `Firefox`, `Safari`, `Edge`, `Opera`, `Desktop`…
    pub browser: String,
}

impl Default for BrowserInfo {
    fn default() -> Self {
        BrowserInfo {
            os: "Mac OS".into(),
            browser: "Chrome".into(),
        }
    }
}

impl BrowserInfo {
    /// The platform id used in QR strings and pair-code requests (docs/PROTOCOL.md, Pairing).
    pub fn platform_id(&self) -> &'static str {
        match self.browser.to_ascii_lowercase().as_str() {
            "chrome" => "1",
            "edge" => "2",
            "firefox" => "3",
            "ie" => "4",
            "opera" => "5",
            "safari" => "6",
            "electron" | "desktop" => "7",
            "uwp" => "8",
            _ => "9",
        }
    }

    /// The display string sent with pair-code requests, `Chrome (Mac OS)`.
    pub fn display(&self) -> String {
        format!("{} ({})", self.browser, self.os)
    }
}

/// Per-session settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SessionOptions {
    /// WebSocket URL of the chat server (`wss://…` or, for the simulator, `ws://…`).
    pub server_url: String,
    /// The Noise certificate root public key (32 bytes) the server's chain must lead to.
    pub trust_root: Vec<u8>,
    /// How the device presents itself.
    pub browser: BrowserInfo,
    /// Push name announced to contacts, if any.
    pub push_name: Option<String>,
    /// Extra certificates (PEM, one or more `CERTIFICATE` blocks) trusted for `wss://` in
    /// addition to the platform's roots: a private CA, or the simulator's self-signed
    /// certificate (`tls_cert_path` / `GET /admin/tls-cert`). `None`: platform roots only.
    #[serde(default)]
    pub tls_extra_roots_pem: Option<String>,
    /// Proxy URL: `http://[user:pass@]host:port` (HTTP CONNECT) or
    /// `socks5://[user:pass@]host:port` (SOCKS5, remote DNS).
    pub proxy: Option<String>,
    /// Seconds to wait for a WebSocket + Noise connection.
    pub connect_timeout_secs: u32,
    /// Seconds to wait for an IQ answer.
    pub request_timeout_secs: u32,
    /// Reconnect automatically after transient failures.
    pub auto_reconnect: bool,
    /// Largest media file sent or downloaded, in bytes (the decrypted size). Larger sends are
    /// refused before anything is read or uploaded; larger downloads stop at the limit.
    #[serde(default = "default_max_media_bytes")]
    pub max_media_bytes: u64,
    /// How much of the account's past to keep from history sync (default: recent).
    #[serde(default)]
    pub history: crate::history_types::HistoryPolicy,
    /// How fast the session sends (default: no pacing); changed at run time with
    /// [`crate::Session::set_send_pacing`].
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub send_pacing: SendPacing,
    /// How the session reconnects after a transient failure (with `auto_reconnect`); changed
    /// at run time with [`crate::Session::set_reconnect_policy`].
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub reconnect: ReconnectPolicy,
}

/// Reconnect backoff of a session: attempt `n` (0-based) waits a random time between half and
/// all of `base_delay_ms × 2ⁿ`, at most a minute (or `base_delay_ms` when that is longer).
/// After `max_attempts` failed attempts in a row the session stops reconnecting and ends
/// `disconnected` with reason `reconnect_limit` (`None`: it never gives up; `Some(0)`: it does
/// not reconnect).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ReconnectPolicy {
    /// First delay, in milliseconds: 100 to 300,000 (default 1,000).
    #[serde(default = "default_reconnect_base_ms")]
    #[cfg_attr(feature = "uniffi", uniffi(default = 1000))]
    pub base_delay_ms: u32,
    /// Failed attempts in a row before giving up (`None`: never).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub max_attempts: Option<u32>,
}

fn default_reconnect_base_ms() -> u32 {
    1000
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        ReconnectPolicy {
            base_delay_ms: default_reconnect_base_ms(),
            max_attempts: None,
        }
    }
}

impl ReconnectPolicy {
    /// Checks the fields; bad values are `InvalidArgument`.
    pub fn validate(&self) -> Result<(), Error> {
        if !(100..=300_000).contains(&self.base_delay_ms) {
            return Err(Error::invalid_argument(format!(
                "reconnect base_delay_ms must be 100-300000, got {}",
                self.base_delay_ms
            )));
        }
        Ok(())
    }
}

/// Pacing of a session's sends, so that bulk senders look less like bulk senders to WhatsApp.
/// Every send of the session (direct or queued) takes the next free slot: at least
/// `min_interval_ms` plus a random `0..=jitter_ms` after the one before. At most
/// `max_per_hour` sends leave in any hour (0: no cap): past the cap a direct send fails with
/// `rate_limited` (its `details` the seconds until a slot frees) and a queued send waits.
/// The hourly count is kept in memory: it starts again when the process does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SendPacing {
    /// Least time between two sends, in milliseconds (0: none).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub min_interval_ms: u32,
    /// Largest random delay added to `min_interval_ms`, in milliseconds.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub jitter_ms: u32,
    /// Most sends in any hour (0: no cap).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub max_per_hour: u32,
}

/// The longest [`SendPacing::min_interval_ms`] or [`SendPacing::jitter_ms`]: one hour.
pub const MAX_PACING_MS: u32 = 60 * 60 * 1000;

impl SendPacing {
    /// Checks the fields; bad values are `InvalidArgument`.
    pub fn validate(&self) -> Result<(), Error> {
        if self.min_interval_ms > MAX_PACING_MS || self.jitter_ms > MAX_PACING_MS {
            return Err(Error::invalid_argument(format!(
                "send pacing intervals are at most {MAX_PACING_MS} ms"
            )));
        }
        Ok(())
    }
}

/// The default [`SessionOptions::max_media_bytes`]: 100 MiB.
pub const DEFAULT_MAX_MEDIA_BYTES: u64 = 100 * 1024 * 1024;

fn default_max_media_bytes() -> u64 {
    DEFAULT_MAX_MEDIA_BYTES
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            server_url: DEFAULT_SERVER_URL.into(),
            trust_root: WHATSAPP_TRUST_ROOT.to_vec(),
            browser: BrowserInfo::default(),
            push_name: None,
            tls_extra_roots_pem: None,
            proxy: None,
            connect_timeout_secs: 20,
            request_timeout_secs: 60,
            auto_reconnect: true,
            max_media_bytes: DEFAULT_MAX_MEDIA_BYTES,
            history: crate::history_types::HistoryPolicy::default(),
            send_pacing: SendPacing::default(),
            reconnect: ReconnectPolicy::default(),
        }
    }
}

impl SessionOptions {
    /// Checks every field; bad values are `InvalidArgument`.
    pub fn validate(&self) -> Result<(), Error> {
        let url = self.server_url.as_str();
        if !(url.starts_with("wss://") || url.starts_with("ws://")) || url.len() <= "wss://".len() {
            return Err(Error::invalid_argument(format!(
                "server_url must be a ws:// or wss:// URL, got {url:?}"
            )));
        }
        self.trust_root_key()?;
        if let Some(pem) = &self.tls_extra_roots_pem {
            crate::transport::tls::parse_certificates(pem)
                .map_err(|why| Error::invalid_argument(format!("tls_extra_roots_pem: {why}")))?;
        }
        if let Some(proxy) = &self.proxy {
            ProxyConfig::parse(proxy)?;
        }
        if self.max_media_bytes == 0 {
            return Err(Error::invalid_argument(
                "max_media_bytes must be at least 1",
            ));
        }
        self.send_pacing.validate()?;
        self.reconnect.validate()?;
        if self.connect_timeout_secs == 0 || self.request_timeout_secs == 0 {
            return Err(Error::invalid_argument(
                "timeouts must be at least 1 second",
            ));
        }
        Ok(())
    }

    /// The trust root as a fixed-size key.
    pub fn trust_root_key(&self) -> Result<[u8; 32], Error> {
        <[u8; 32]>::try_from(self.trust_root.as_slice()).map_err(|_| {
            Error::invalid_argument(format!(
                "trust_root must be a 32-byte public key, got {} bytes",
                self.trust_root.len()
            ))
        })
    }

    /// The parsed proxy, if one is configured.
    pub fn proxy_config(&self) -> Result<Option<ProxyConfig>, Error> {
        self.proxy.as_deref().map(ProxyConfig::parse).transpose()
    }

    /// Connect timeout as a duration.
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(u64::from(self.connect_timeout_secs))
    }

    /// IQ timeout as a duration.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(u64::from(self.request_timeout_secs))
    }
}

/// Which proxy protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProxyKind {
    /// HTTP `CONNECT` tunnel.
    Http,
    /// SOCKS5 (RFC 1928) with optional username/password (RFC 1929).
    Socks5,
}

/// A parsed proxy URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProxyConfig {
    /// Protocol.
    pub kind: ProxyKind,
    /// Proxy host name or address.
    pub host: String,
    /// Proxy port.
    pub port: u16,
    /// Username and password, if the proxy needs them.
    pub credentials: Option<(String, String)>,
}

impl ProxyConfig {
    /// Parses `http://[user:pass@]host:port` or `socks5://[user:pass@]host:port` (`socks5h://`
    /// is accepted as a synonym; DNS is always resolved by the proxy).
    pub fn parse(url: &str) -> Result<ProxyConfig, Error> {
        let bad = |why: &str| Error::invalid_argument(format!("invalid proxy {url:?}: {why}"));
        let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("missing scheme"))?;
        let kind = match scheme.to_ascii_lowercase().as_str() {
            "http" => ProxyKind::Http,
            "socks5" | "socks5h" => ProxyKind::Socks5,
            _ => return Err(bad("scheme must be http, socks5 or socks5h")),
        };
        let authority = rest.trim_end_matches('/');
        if authority.contains('/') {
            return Err(bad("a proxy URL has no path"));
        }
        let (credentials, host_port) = match authority.rsplit_once('@') {
            Some((userinfo, host_port)) => {
                let (user, pass) = userinfo.split_once(':').unwrap_or((userinfo, ""));
                if user.is_empty() {
                    return Err(bad("empty user name"));
                }
                (Some((user.to_owned(), pass.to_owned())), host_port)
            }
            None => (None, authority),
        };
        let (host, port) = host_port
            .rsplit_once(':')
            .ok_or_else(|| bad("missing port"))?;
        let port: u16 = port.parse().map_err(|_| bad("bad port"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || port == 0 {
            return Err(bad("missing host or port"));
        }
        if let Some((user, pass)) = &credentials
            && kind == ProxyKind::Socks5
            && (user.len() > 255 || pass.len() > 255)
        {
            return Err(bad("SOCKS5 user name and password are at most 255 bytes"));
        }
        Ok(ProxyConfig {
            kind,
            host: host.to_owned(),
            port,
            credentials,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn defaults_point_at_whatsapp() {
        let options = SessionOptions::default();
        assert_eq!(options.server_url, "wss://web.whatsapp.com/ws/chat");
        assert_eq!(
            hex::encode(options.trust_root_key().unwrap()),
            "142375574d0a587166aae71ebe516437c4a28b73e3695c6ce1f7f9545da8ee6b"
        );
        options.validate().unwrap();
        ManagerConfig::default().validate().unwrap();
        assert_eq!(BrowserInfo::default().display(), "Chrome (Mac OS)");
        assert_eq!(BrowserInfo::default().platform_id(), "1");
    }

    #[test]
    fn bad_options_are_invalid_argument() {
        let cases: Vec<SessionOptions> = vec![
            SessionOptions {
                server_url: "https://web.whatsapp.com".into(),
                ..Default::default()
            },
            SessionOptions {
                trust_root: vec![1, 2, 3],
                ..Default::default()
            },
            SessionOptions {
                proxy: Some("ftp://x:1".into()),
                ..Default::default()
            },
            SessionOptions {
                request_timeout_secs: 0,
                ..Default::default()
            },
            SessionOptions {
                tls_extra_roots_pem: Some("not a certificate".into()),
                ..Default::default()
            },
        ];
        for options in cases {
            assert_eq!(
                options.validate().unwrap_err().code,
                ErrorCode::InvalidArgument
            );
        }
    }

    #[test]
    fn persistent_stores_need_a_key() {
        let sqlite = StoreConfig {
            backend: StoreBackend::Sqlite {
                path: "/tmp/x.db".into(),
            },
            at_rest_key: None,
        };
        assert_eq!(
            sqlite.validate().unwrap_err().code,
            ErrorCode::InvalidArgument
        );
        let keyed = StoreConfig {
            at_rest_key: Some(AtRestKey::Bytes { key: vec![7; 32] }),
            ..sqlite.clone()
        };
        keyed.validate().unwrap();
        let short = StoreConfig {
            at_rest_key: Some(AtRestKey::Bytes { key: vec![7; 31] }),
            ..sqlite
        };
        assert_eq!(
            short.validate().unwrap_err().code,
            ErrorCode::InvalidArgument
        );
        let pg = StoreConfig {
            backend: StoreBackend::Postgres {
                url: "mysql://x".into(),
            },
            at_rest_key: Some(AtRestKey::File {
                path: "/tmp/k".into(),
            }),
        };
        assert_eq!(pg.validate().unwrap_err().code, ErrorCode::InvalidArgument);
    }

    #[test]
    fn proxy_urls() {
        assert_eq!(
            ProxyConfig::parse("http://127.0.0.1:8080").unwrap(),
            ProxyConfig {
                kind: ProxyKind::Http,
                host: "127.0.0.1".into(),
                port: 8080,
                credentials: None
            }
        );
        assert_eq!(
            ProxyConfig::parse("socks5://bob:s3:cret@proxy.example:1080/").unwrap(),
            ProxyConfig {
                kind: ProxyKind::Socks5,
                host: "proxy.example".into(),
                port: 1080,
                credentials: Some(("bob".into(), "s3:cret".into()))
            }
        );
        assert_eq!(
            ProxyConfig::parse("socks5h://[::1]:9050").unwrap().host,
            "::1"
        );
        for bad in [
            "127.0.0.1:8080",
            "https://h:1",
            "http://h",
            "http://h:0",
            "http://h:99999",
            "http://:8080",
            "http://@h:1",
            "http://h:1/path",
        ] {
            assert_eq!(
                ProxyConfig::parse(bad).unwrap_err().code,
                ErrorCode::InvalidArgument,
                "{bad}"
            );
        }
    }
}
