//! What to do when a connection ends: the new state, whether credentials survive, and when to
//! reconnect. One table, so "a transient error never deletes credentials" is checked in one place.

use std::time::Duration;

use openwa_protocol::stanza::{Failure, StreamError};
use rand::Rng;

use crate::event::{ConnectionState, StateReason};
use crate::transport::TransportError;

/// Why a connection ended.
#[derive(Debug)]
pub(crate) enum Disconnect {
    /// The application called `disconnect()` (or the session is being deleted).
    Requested,
    /// The application logged out; credentials are gone.
    LoggedOut,
    /// The server sent `<stream:error>`.
    Stream(StreamError),
    /// The server rejected the login with `<failure>`.
    Failure(Failure),
    /// The server ended the stream (`<xmlstreamend/>`).
    StreamEnd,
    /// The network or the Noise channel failed.
    Transport(TransportError),
    /// Pings went unanswered.
    KeepaliveTimeout,
    /// Every QR ref expired unscanned.
    QrTimeout,
    /// The pairing data from the server did not verify.
    PairingFailed(String),
}

/// When to try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// Reconnect now (stream restart).
    Immediately,
    /// Reconnect after an exponential backoff.
    AfterBackoff,
    /// Stay disconnected until the application calls `connect()`.
    Stop,
}

/// The consequence of a [`Disconnect`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verdict {
    /// State to report.
    pub state: ConnectionState,
    /// Reason to report.
    pub reason: StateReason,
    /// Detail to report.
    pub detail: Option<String>,
    /// Reconnect policy.
    pub next: Next,
    /// Whether the device's credentials must be deleted (only when the server says the device
    /// is gone).
    pub delete_credentials: bool,
}

impl Disconnect {
    /// Classifies the end of a connection.
    pub(crate) fn verdict(&self) -> Verdict {
        let v = |state, reason, detail: Option<String>, next| Verdict {
            state,
            reason,
            detail,
            next,
            delete_credentials: false,
        };
        use ConnectionState::{Connecting, Disconnected, LoggedOut};
        match self {
            Disconnect::Requested => v(Disconnected, StateReason::Requested, None, Next::Stop),
            Disconnect::LoggedOut => Verdict {
                delete_credentials: true,
                ..v(LoggedOut, StateReason::Requested, None, Next::Stop)
            },
            Disconnect::Stream(err) => match err {
                StreamError::RestartRequired => v(
                    Connecting,
                    StateReason::StreamRestart,
                    Some("515".into()),
                    Next::Immediately,
                ),
                StreamError::ServiceUnavailable => v(
                    Disconnected,
                    StateReason::ServerUnavailable,
                    Some("503".into()),
                    Next::AfterBackoff,
                ),
                StreamError::DeviceRemoved => Verdict {
                    delete_credentials: true,
                    ..v(
                        LoggedOut,
                        StateReason::DeviceRemoved,
                        Some("401 device_removed".into()),
                        Next::Stop,
                    )
                },
                StreamError::Replaced => v(
                    Disconnected,
                    StateReason::Replaced,
                    Some("conflict replaced".into()),
                    Next::Stop,
                ),
                StreamError::Other { code, conflict } => v(
                    Disconnected,
                    StateReason::ServerError,
                    Some(format!(
                        "stream error code={} conflict={}",
                        code.map_or("-".into(), |c| c.to_string()),
                        conflict.as_deref().unwrap_or("-")
                    )),
                    Next::AfterBackoff,
                ),
            },
            Disconnect::Failure(failure) => classify_failure(failure),
            Disconnect::StreamEnd => v(
                Disconnected,
                StateReason::NetworkError,
                Some("stream ended by the server".into()),
                Next::AfterBackoff,
            ),
            Disconnect::Transport(
                err @ (TransportError::Noise(_) | TransportError::UntrustedCertificate(_)),
            ) => v(
                Disconnected,
                StateReason::HandshakeFailed,
                Some(err.to_string()),
                Next::Stop,
            ),
            Disconnect::Transport(err) => v(
                Disconnected,
                StateReason::NetworkError,
                Some(err.to_string()),
                Next::AfterBackoff,
            ),
            Disconnect::KeepaliveTimeout => v(
                Disconnected,
                StateReason::KeepaliveTimeout,
                None,
                Next::AfterBackoff,
            ),
            Disconnect::QrTimeout => v(Disconnected, StateReason::QrTimeout, None, Next::Stop),
            Disconnect::PairingFailed(why) => v(
                Disconnected,
                StateReason::PairingFailed,
                Some(format!("pairing failed: {why}")),
                Next::Stop,
            ),
        }
    }
}

fn classify_failure(failure: &Failure) -> Verdict {
    let detail = Some(match (failure.code, failure.expire) {
        (Some(code), Some(expire)) => {
            format!("failure {} code={code} expire={expire}", failure.reason)
        }
        _ => format!("failure {}", failure.reason),
    });
    let verdict = |state, reason, next| Verdict {
        state,
        reason,
        detail: detail.clone(),
        next,
        delete_credentials: false,
    };
    match failure.reason {
        _ if failure.is_logged_out() => Verdict {
            delete_credentials: true,
            ..verdict(
                ConnectionState::LoggedOut,
                StateReason::LoginRejected,
                Next::Stop,
            )
        },
        Failure::TEMP_BANNED | Failure::BANNED => verdict(
            ConnectionState::Disconnected,
            StateReason::Banned,
            Next::Stop,
        ),
        Failure::CLIENT_OUTDATED | Failure::BAD_USER_AGENT => verdict(
            ConnectionState::Disconnected,
            StateReason::ClientOutdated,
            Next::Stop,
        ),
        _ => verdict(
            ConnectionState::Disconnected,
            StateReason::ServerError,
            Next::AfterBackoff,
        ),
    }
}

/// Exponential backoff with jitter: attempt 0 waits about `base`, each further attempt doubles
/// it up to `max`; the actual delay is uniformly drawn from the upper half of that value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Backoff {
    /// First delay.
    pub base: Duration,
    /// Largest delay.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_secs(1),
            max: Duration::from_secs(60),
        }
    }
}

impl Backoff {
    /// This backoff with the first delay of `policy`; the default policy keeps this one (the
    /// manager's, which tests shorten).
    pub(crate) fn for_policy(self, policy: &crate::config::ReconnectPolicy) -> Backoff {
        if *policy == crate::config::ReconnectPolicy::default() {
            return self;
        }
        let base = Duration::from_millis(u64::from(policy.base_delay_ms));
        Backoff {
            base,
            max: self.max.max(base),
        }
    }

    /// The delay before reconnect attempt number `attempt` (0-based).
    pub(crate) fn delay(&self, attempt: u32, rng: &mut impl Rng) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX))
            .min(self.max);
        let half = ceiling / 2;
        let jitter_ms = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        half + Duration::from_millis(rng.gen_range(0..=jitter_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_disconnects() -> Vec<Disconnect> {
        let mut list = vec![
            Disconnect::Requested,
            Disconnect::LoggedOut,
            Disconnect::Stream(StreamError::RestartRequired),
            Disconnect::Stream(StreamError::ServiceUnavailable),
            Disconnect::Stream(StreamError::DeviceRemoved),
            Disconnect::Stream(StreamError::Replaced),
            Disconnect::Stream(StreamError::Other {
                code: Some(500),
                conflict: None,
            }),
            Disconnect::StreamEnd,
            Disconnect::Transport(TransportError::Closed),
            Disconnect::Transport(TransportError::Timeout("connect")),
            Disconnect::Transport(TransportError::UntrustedCertificate("x".into())),
            Disconnect::Transport(TransportError::Noise(
                openwa_protocol::noise::NoiseError::Decrypt { stage: "x" },
            )),
            Disconnect::KeepaliveTimeout,
            Disconnect::QrTimeout,
            Disconnect::PairingFailed("hmac".into()),
        ];
        for reason in [400, 401, 402, 403, 405, 406, 409, 415, 419, 500, 501, 503] {
            list.push(Disconnect::Failure(Failure::new(reason)));
        }
        list
    }

    #[test]
    fn only_logout_signals_delete_credentials() {
        for d in all_disconnects() {
            let verdict = d.verdict();
            let gone = matches!(
                &d,
                Disconnect::LoggedOut | Disconnect::Stream(StreamError::DeviceRemoved)
            ) || matches!(&d, Disconnect::Failure(f) if matches!(f.reason, 401 | 403 | 419));
            assert_eq!(verdict.delete_credentials, gone, "{d:?}");
            assert_eq!(verdict.state == ConnectionState::LoggedOut, gone, "{d:?}");
            if verdict.next != Next::Stop {
                assert!(!verdict.delete_credentials, "retried yet deleted: {d:?}");
            }
        }
    }

    #[test]
    fn the_documented_classifications() {
        let restart = Disconnect::Stream(StreamError::RestartRequired).verdict();
        assert_eq!(
            (restart.state, restart.reason, restart.next),
            (
                ConnectionState::Connecting,
                StateReason::StreamRestart,
                Next::Immediately
            )
        );
        let unavailable = Disconnect::Stream(StreamError::ServiceUnavailable).verdict();
        assert_eq!(unavailable.next, Next::AfterBackoff);
        assert_eq!(unavailable.reason, StateReason::ServerUnavailable);
        let replaced = Disconnect::Stream(StreamError::Replaced).verdict();
        assert_eq!(
            (replaced.reason, replaced.next),
            (StateReason::Replaced, Next::Stop)
        );
        let removed = Disconnect::Stream(StreamError::DeviceRemoved).verdict();
        assert_eq!(removed.reason, StateReason::DeviceRemoved);
        let mut ban = Failure::new(402);
        ban.code = Some(101);
        ban.expire = Some(3600);
        let banned = Disconnect::Failure(ban).verdict();
        assert_eq!(
            (banned.reason, banned.next),
            (StateReason::Banned, Next::Stop)
        );
        assert_eq!(
            banned.detail.as_deref(),
            Some("failure 402 code=101 expire=3600")
        );
        let outdated = Disconnect::Failure(Failure::new(405)).verdict();
        assert_eq!(outdated.reason, StateReason::ClientOutdated);
        let network = Disconnect::Transport(TransportError::Closed).verdict();
        assert_eq!(
            (network.reason, network.next),
            (StateReason::NetworkError, Next::AfterBackoff)
        );
        let cert = Disconnect::Transport(TransportError::Noise(
            openwa_protocol::noise::NoiseError::MissingField("x"),
        ))
        .verdict();
        assert_eq!(
            (cert.reason, cert.next),
            (StateReason::HandshakeFailed, Next::Stop)
        );
        let tls =
            Disconnect::Transport(TransportError::UntrustedCertificate("UnknownIssuer".into()))
                .verdict();
        assert_eq!(
            (tls.reason, tls.next, tls.delete_credentials),
            (StateReason::HandshakeFailed, Next::Stop, false)
        );
        assert!(tls.detail.unwrap().contains("TLS certificate not trusted"));
    }

    #[test]
    fn backoff_grows_with_jitter_and_caps() {
        let backoff = Backoff {
            base: Duration::from_secs(1),
            max: Duration::from_secs(60),
        };
        let mut rng = rand::rngs::OsRng;
        for attempt in 0..40 {
            let ceiling = Duration::from_secs(1u64 << attempt.min(6)).min(Duration::from_secs(60));
            for _ in 0..20 {
                let delay = backoff.delay(attempt, &mut rng);
                assert!(
                    delay >= ceiling / 2 && delay <= ceiling,
                    "{attempt}: {delay:?}"
                );
            }
        }
        // Jitter: delays of one attempt are not all equal.
        let delays: std::collections::HashSet<_> =
            (0..50).map(|_| backoff.delay(5, &mut rng)).collect();
        assert!(delays.len() > 1);
    }
}
