//! Configuration from environment variables (OpenWA's names where it has them).

use std::net::SocketAddr;
use std::path::PathBuf;

use openwa::SessionOptions;

/// Everything the server reads from its environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// Listen address: `HOST` (default `0.0.0.0`) and `PORT` (default 2785; 0 picks a free one).
    pub listen: SocketAddr,
    /// `DATA_DIR` (default `./data`): SQLite database, at-rest key, `.api-key`.
    pub data_dir: PathBuf,
    /// `DATABASE_URL`: `postgres://…` selects PostgreSQL; otherwise SQLite in the data dir.
    pub database_url: Option<String>,
    /// Network of new sessions: `OPENWA_WHATSAPP_URL`, `OPENWA_WHATSAPP_TRUST_ROOT` (64 hex),
    /// `OPENWA_WHATSAPP_TLS_CERT` (a PEM file, or PEM text); WhatsApp itself by default.
    pub session_options: SessionOptions,
    /// `API_KEY`: a master key accepted with the admin role (never stored).
    pub master_key: Option<String>,
    /// `WEBHOOK_RETRY_DELAY` (ms, default 5000): first retry delay, doubled per attempt.
    pub webhook_retry_delay_ms: u64,
    /// `WEBHOOK_TIMEOUT` (ms, default 10000): one delivery attempt's deadline.
    pub webhook_timeout_ms: u64,
    /// `WEBHOOK_ALLOW_PRIVATE` (`true`/`1`): allow loopback, private and link-local targets.
    pub webhook_allow_private: bool,
    /// `MAX_BODY_BYTES` (default 1 MiB): largest request body.
    pub max_body_bytes: usize,
    /// `MAX_MEDIA_BODY_BYTES` (default 36 MiB: 25 MiB of file as base64): largest body of the
    /// media send routes.
    pub max_media_body_bytes: usize,
    /// `METRICS_TOKEN`: a bearer token that may read `/api/metrics` (any API key may too).
    pub metrics_token: Option<String>,
    /// Rate limit tiers per client IP: `RATE_LIMIT_SHORT` (`10/1`), `RATE_LIMIT_MEDIUM`
    /// (`100/60`), `RATE_LIMIT_LONG` (`1000/3600`), as `requests/seconds`; none with
    /// `RATE_LIMIT_ENABLED=false`.
    pub rate_limits: Vec<crate::ratelimit::Tier>,
    /// Rate limit tiers per API key: `RATE_LIMIT_KEY_SHORT` (`50/1`), `RATE_LIMIT_KEY_MEDIUM`
    /// (`1000/60`), `RATE_LIMIT_KEY_LONG` (`20000/3600`); none with `RATE_LIMIT_ENABLED=false`.
    pub key_rate_limits: Vec<crate::ratelimit::Tier>,
    /// `TRUSTED_PROXIES`: comma-separated addresses or CIDR blocks whose `X-Forwarded-For`
    /// is believed.
    pub trusted_proxies: Vec<String>,
}

/// A configuration value that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `get` (an environment lookup).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let host = get("HOST").unwrap_or_else(|| "0.0.0.0".into());
        let port: u16 = parse(&get, "PORT", 2785)?;
        let listen = format!("{host}:{port}")
            .parse()
            .map_err(|_| ConfigError(format!("HOST {host:?} is not an IP address")))?;
        let mut session_options = SessionOptions::default();
        if let Some(url) = get("OPENWA_WHATSAPP_URL") {
            session_options.server_url = url;
        }
        if let Some(root) = get("OPENWA_WHATSAPP_TRUST_ROOT") {
            let bytes = hex::decode(root.trim())
                .ok()
                .filter(|b| b.len() == 32)
                .ok_or_else(|| {
                    ConfigError("OPENWA_WHATSAPP_TRUST_ROOT must be 64 hex digits".into())
                })?;
            session_options.trust_root = bytes;
        }
        if let Some(cert) = get("OPENWA_WHATSAPP_TLS_CERT") {
            session_options.tls_extra_roots_pem = Some(read_pem(&cert)?);
        }
        Ok(Config {
            listen,
            data_dir: PathBuf::from(get("DATA_DIR").unwrap_or_else(|| "./data".into())),
            database_url: get("DATABASE_URL").filter(|u| !u.is_empty()),
            session_options,
            master_key: get("API_KEY").filter(|k| !k.is_empty()),
            webhook_retry_delay_ms: parse(&get, "WEBHOOK_RETRY_DELAY", 5000)?,
            webhook_timeout_ms: parse(&get, "WEBHOOK_TIMEOUT", 10_000)?,
            webhook_allow_private: matches!(
                get("WEBHOOK_ALLOW_PRIVATE").as_deref(),
                Some("1" | "true" | "yes")
            ),
            max_body_bytes: parse(&get, "MAX_BODY_BYTES", 1 << 20)?,
            max_media_body_bytes: parse(&get, "MAX_MEDIA_BODY_BYTES", 36 << 20)?,
            metrics_token: get("METRICS_TOKEN").filter(|t| !t.is_empty()),
            rate_limits: rate_limits(
                &get,
                [
                    ("RATE_LIMIT_SHORT", "10/1"),
                    ("RATE_LIMIT_MEDIUM", "100/60"),
                    ("RATE_LIMIT_LONG", "1000/3600"),
                ],
            )?,
            key_rate_limits: rate_limits(
                &get,
                [
                    ("RATE_LIMIT_KEY_SHORT", "50/1"),
                    ("RATE_LIMIT_KEY_MEDIUM", "1000/60"),
                    ("RATE_LIMIT_KEY_LONG", "20000/3600"),
                ],
            )?,
            trusted_proxies: trusted_proxies(&get)?,
        })
    }
}

fn parse<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: T,
) -> Result<T, ConfigError> {
    match get(name) {
        None => Ok(default),
        Some(text) => text
            .trim()
            .parse()
            .map_err(|_| ConfigError(format!("{name} {text:?} is not a valid number"))),
    }
}

fn trusted_proxies(get: &impl Fn(&str) -> Option<String>) -> Result<Vec<String>, ConfigError> {
    let list: Vec<String> = get("TRUSTED_PROXIES")
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    match list.iter().find(|b| !crate::scope::valid_block(b)) {
        Some(bad) => Err(ConfigError(format!(
            "TRUSTED_PROXIES: {bad:?} is not an IP address or CIDR block"
        ))),
        None => Ok(list),
    }
}

/// The `tiers` (variable, default), unless `RATE_LIMIT_ENABLED` is off.
fn rate_limits(
    get: &impl Fn(&str) -> Option<String>,
    tiers: [(&str, &str); 3],
) -> Result<Vec<crate::ratelimit::Tier>, ConfigError> {
    if matches!(
        get("RATE_LIMIT_ENABLED").as_deref(),
        Some("false" | "0" | "no")
    ) {
        return Ok(vec![]);
    }
    tiers
        .iter()
        .map(|(name, default)| {
            let text = get(name).unwrap_or_else(|| (*default).to_owned());
            crate::ratelimit::Tier::parse(&text).ok_or_else(|| {
                ConfigError(format!(
                    "{name} {text:?} is not requests/seconds (e.g. 10/1)"
                ))
            })
        })
        .collect()
}

fn read_pem(value: &str) -> Result<String, ConfigError> {
    if value.contains("-----BEGIN") {
        return Ok(value.to_owned());
    }
    std::fs::read_to_string(value)
        .map_err(|e| ConfigError(format!("OPENWA_WHATSAPP_TLS_CERT {value}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_errors() {
        let config = Config::from_lookup(|_| None).unwrap();
        assert_eq!(config.listen.port(), 2785);
        assert_eq!(
            config.session_options.server_url,
            openwa::DEFAULT_SERVER_URL
        );
        let bad = Config::from_lookup(|n| (n == "PORT").then(|| "x".to_owned()));
        assert!(bad.is_err());
        let bad = Config::from_lookup(|n| (n == "OPENWA_WHATSAPP_TRUST_ROOT").then(|| "ab".into()));
        assert!(bad.is_err());
    }
}
