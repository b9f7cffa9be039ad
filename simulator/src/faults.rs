//! Fault injection for reconnection tests (`POST /admin/faults`).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::util::lock;

/// One fault request, as posted to `/admin/faults`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultRequest {
    /// Close connections abruptly (no stream error): all, or only those of `phone`.
    DropConnections {
        /// Only this account's connections.
        #[serde(default)]
        phone: Option<String>,
    },
    /// Send `<stream:error code=CODE/>` and close: all connections, or only those of `phone`.
    StreamError {
        /// The code (default 503).
        #[serde(default = "default_stream_error_code")]
        code: u16,
        /// Only this account's connections.
        #[serde(default)]
        phone: Option<String>,
    },
    /// Delay every stanza the server sends by `ms` milliseconds (0 turns it off).
    DelayMs {
        /// The delay.
        ms: u64,
    },
    /// Answer logins with `<failure reason=REASON/>` while enabled (optionally only `count` times).
    RefuseLogins {
        /// On or off (default on).
        #[serde(default = "default_true")]
        enabled: bool,
        /// The failure reason (default 503).
        #[serde(default = "default_refuse_reason")]
        reason: u16,
        /// Refuse only this many logins, then turn off.
        #[serde(default)]
        count: Option<u32>,
    },
}

fn default_stream_error_code() -> u16 {
    503
}

fn default_refuse_reason() -> u16 {
    503
}

fn default_true() -> bool {
    true
}

/// The currently active persistent faults (what `GET /admin/faults` shows).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ActiveFaults {
    /// Delay applied to every outgoing stanza, in milliseconds.
    pub delay_ms: u64,
    /// Login refusal, if active.
    pub refuse_logins: Option<RefuseLogins>,
}

/// An active login refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefuseLogins {
    /// Failure reason sent to the client.
    pub reason: u16,
    /// Logins still to refuse (`None` = until turned off).
    pub remaining: Option<u32>,
}

/// The fault switches the connection code consults.
#[derive(Debug, Default)]
pub struct Faults {
    delay_ms: AtomicU64,
    refuse: Mutex<Option<RefuseLogins>>,
}

impl Faults {
    /// The delay to apply before each outgoing stanza.
    pub fn delay(&self) -> Option<Duration> {
        match self.delay_ms.load(Ordering::Relaxed) {
            0 => None,
            ms => Some(Duration::from_millis(ms)),
        }
    }

    /// Sets the outgoing delay.
    pub fn set_delay_ms(&self, ms: u64) {
        self.delay_ms.store(ms, Ordering::Relaxed);
    }

    /// Turns login refusal on or off.
    pub fn set_refuse_logins(&self, refuse: Option<RefuseLogins>) {
        *lock(&self.refuse) = refuse.filter(|r| r.remaining != Some(0));
    }

    /// Called for each login attempt: the failure reason if this login must be refused.
    pub fn take_login_refusal(&self) -> Option<u16> {
        let mut refuse = lock(&self.refuse);
        let active = refuse.as_mut()?;
        let reason = active.reason;
        if let Some(remaining) = active.remaining.as_mut() {
            *remaining = remaining.saturating_sub(1);
            if *remaining == 0 {
                *refuse = None;
            }
        }
        Some(reason)
    }

    /// A snapshot of the active faults.
    pub fn active(&self) -> ActiveFaults {
        ActiveFaults {
            delay_ms: self.delay_ms.load(Ordering::Relaxed),
            refuse_logins: lock(&self.refuse).clone(),
        }
    }

    /// Clears every persistent fault.
    pub fn clear(&self) {
        self.set_delay_ms(0);
        self.set_refuse_logins(None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kind_with_defaults() {
        let parse = |json: &str| serde_json::from_str::<FaultRequest>(json).unwrap();
        assert_eq!(
            parse(r#"{"kind":"drop_connections"}"#),
            FaultRequest::DropConnections { phone: None }
        );
        assert_eq!(
            parse(r#"{"kind":"stream_error","phone":"1555"}"#),
            FaultRequest::StreamError {
                code: 503,
                phone: Some("1555".into())
            }
        );
        assert_eq!(
            parse(r#"{"kind":"delay_ms","ms":20}"#),
            FaultRequest::DelayMs { ms: 20 }
        );
        assert_eq!(
            parse(r#"{"kind":"refuse_logins","count":2}"#),
            FaultRequest::RefuseLogins {
                enabled: true,
                reason: 503,
                count: Some(2)
            }
        );
        assert!(serde_json::from_str::<FaultRequest>(r#"{"kind":"explode"}"#).is_err());
        assert!(serde_json::from_str::<FaultRequest>(r#"{"kind":"delay_ms"}"#).is_err());
    }

    #[test]
    fn counted_refusal_runs_out() {
        let faults = Faults::default();
        assert_eq!(faults.take_login_refusal(), None);
        faults.set_refuse_logins(Some(RefuseLogins {
            reason: 401,
            remaining: Some(2),
        }));
        assert_eq!(faults.take_login_refusal(), Some(401));
        assert_eq!(faults.take_login_refusal(), Some(401));
        assert_eq!(faults.take_login_refusal(), None);
        faults.set_refuse_logins(Some(RefuseLogins {
            reason: 503,
            remaining: None,
        }));
        faults.set_delay_ms(5);
        assert_eq!(faults.delay(), Some(Duration::from_millis(5)));
        faults.clear();
        assert_eq!(faults.active(), ActiveFaults::default());
    }
}
