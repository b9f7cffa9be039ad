//! The one error type of the public API.
//!
//! Inside the crates errors are typed `thiserror` enums; at the API boundary they all become one
//! [`Error`] carrying a code from a closed list ([`ErrorCode`]). Bindings map the code to their own
//! idiom (Node `err.code`, a Python exception subclass, a Swift enum case, an HTTP problem type),
//! so codes are never removed or renamed — only added.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Every kind of failure the API reports. The string form ([`ErrorCode::as_str`]) is stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// The caller passed something malformed: a bad id, an empty session name, an invalid URL or
    /// proxy, a phone number that is not digits. Fix the input; retrying will not help.
    InvalidArgument,
    /// The named session (or message, chat…) does not exist.
    NotFound,
    /// A session with that id already exists.
    AlreadyExists,
    /// The operation needs a live connection and the session is not connected. Call
    /// `connect()` (or wait for the `connected` state) and retry.
    NotConnected,
    /// The operation needs a paired device (credentials) and the session has none yet.
    NotPaired,
    /// The device was logged out (by the user, by the phone, or by the server). Credentials are
    /// gone; the session must be paired again.
    LoggedOut,
    /// The server did not answer in time. Usually retryable.
    Timeout,
    /// The network failed: DNS, TCP, TLS, proxy or WebSocket. Usually retryable.
    Network,
    /// The peer spoke something we do not understand (bad frame, bad node, unexpected stanza).
    Protocol,
    /// A cryptographic check failed: Noise certificate, decryption, signature, HMAC.
    Crypto,
    /// The persistent store failed (I/O, database, wrong at-rest key).
    Store,
    /// The server rate-limited us, or we throttled ourselves. Retry later.
    RateLimited,
    /// The server answered with an error (an IQ `type="error"`, a nack, a login failure that is
    /// not a logout). `details` carries the server code.
    ServerError,
    /// The account is banned (temporarily or permanently); `details` has the server's code.
    Banned,
    /// The operation was cancelled because the session disconnected or was deleted meanwhile,
    /// or refused because the manager was closed (then not retryable).
    Cancelled,
    /// The feature is not available (yet) in this build or for this kind of chat.
    Unsupported,
    /// A bug in OpenWA. Please report it with `message` and `details`.
    Internal,
    /// The account may not do this: not a member of the group, not an admin of it, or the
    /// group lets only admins send or edit. Retrying will not help until that changes.
    PermissionDenied,
    /// Downloaded media failed a check (SHA-256 of the blob, MAC, padding, SHA-256 of the
    /// file), or a message's media fields are unusable (no key, no location). Nothing was
    /// written; retrying fetches the same bytes.
    MediaInvalid,
    /// The media host no longer has the file (it answered 404 or 410): media expires some
    /// time after it was sent.
    MediaExpired,
}

impl ErrorCode {
    /// Every code, in declaration order (for bindings that generate their class lists).
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::InvalidArgument,
        ErrorCode::NotFound,
        ErrorCode::AlreadyExists,
        ErrorCode::NotConnected,
        ErrorCode::NotPaired,
        ErrorCode::LoggedOut,
        ErrorCode::Timeout,
        ErrorCode::Network,
        ErrorCode::Protocol,
        ErrorCode::Crypto,
        ErrorCode::Store,
        ErrorCode::RateLimited,
        ErrorCode::ServerError,
        ErrorCode::Banned,
        ErrorCode::Cancelled,
        ErrorCode::Unsupported,
        ErrorCode::Internal,
        ErrorCode::PermissionDenied,
        ErrorCode::MediaInvalid,
        ErrorCode::MediaExpired,
    ];

    /// The stable snake_case name, e.g. `invalid_argument`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidArgument => "invalid_argument",
            ErrorCode::NotFound => "not_found",
            ErrorCode::AlreadyExists => "already_exists",
            ErrorCode::NotConnected => "not_connected",
            ErrorCode::NotPaired => "not_paired",
            ErrorCode::LoggedOut => "logged_out",
            ErrorCode::Timeout => "timeout",
            ErrorCode::Network => "network",
            ErrorCode::Protocol => "protocol",
            ErrorCode::Crypto => "crypto",
            ErrorCode::Store => "store",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::ServerError => "server_error",
            ErrorCode::Banned => "banned",
            ErrorCode::Cancelled => "cancelled",
            ErrorCode::Unsupported => "unsupported",
            ErrorCode::PermissionDenied => "permission_denied",
            ErrorCode::Internal => "internal",
            ErrorCode::MediaInvalid => "media_invalid",
            ErrorCode::MediaExpired => "media_expired",
        }
    }

    /// Whether the same call may succeed if simply retried later.
    pub fn default_retryable(self) -> bool {
        matches!(
            self,
            ErrorCode::NotConnected
                | ErrorCode::Timeout
                | ErrorCode::Network
                | ErrorCode::RateLimited
                | ErrorCode::Cancelled
        )
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error every public method returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Error {
    /// What kind of failure (stable, closed list).
    pub code: ErrorCode,
    /// A human-readable sentence.
    pub message: String,
    /// Extra machine-readable context (a server error code, the offending input…), if any.
    pub details: Option<String>,
    /// Whether retrying the same call later may succeed.
    pub retryable: bool,
}

impl Error {
    /// An error with the code's default retryability and no details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
            details: None,
            retryable: code.default_retryable(),
        }
    }

    /// Adds machine-readable details.
    pub fn with_details(mut self, details: impl Into<String>) -> Self {
        self.details = Some(details.into());
        self
    }

    /// Overrides the retryability.
    pub fn with_retryable(mut self, retryable: bool) -> Self {
        self.retryable = retryable;
        self
    }

    /// Shorthand for [`ErrorCode::InvalidArgument`].
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::InvalidArgument, message)
    }

    /// Shorthand for [`ErrorCode::Internal`].
    pub fn internal(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::Internal, message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if let Some(details) = &self.details {
            write!(f, " ({details})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

impl From<openwa_protocol::JidError> for Error {
    fn from(err: openwa_protocol::JidError) -> Self {
        Error::invalid_argument(format!("invalid id: {err}"))
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        let code = match err.kind() {
            std::io::ErrorKind::TimedOut => ErrorCode::Timeout,
            _ => ErrorCode::Network,
        };
        Error::new(code, err.to_string())
    }
}

impl From<serde_json::Error> for Error {
    fn from(err: serde_json::Error) -> Self {
        Error::new(ErrorCode::Store, format!("bad serialized data: {err}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_unique_stable_names() {
        let names: std::collections::HashSet<_> =
            ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), ErrorCode::ALL.len());
        for code in ErrorCode::ALL {
            // serde and as_str agree, so JSON payloads and bindings use the same spelling.
            let json = serde_json::to_string(code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn retryability_follows_the_code() {
        assert!(Error::new(ErrorCode::Timeout, "t").retryable);
        assert!(Error::new(ErrorCode::Network, "n").retryable);
        assert!(!Error::new(ErrorCode::InvalidArgument, "i").retryable);
        assert!(!Error::new(ErrorCode::LoggedOut, "l").retryable);
        assert!(
            Error::new(ErrorCode::ServerError, "s")
                .with_retryable(true)
                .retryable
        );
    }

    #[test]
    fn conversions_pick_the_right_code() {
        let err: Error = openwa_protocol::JidError::Empty.into();
        assert_eq!(err.code, ErrorCode::InvalidArgument);
        let err: Error = std::io::Error::new(std::io::ErrorKind::TimedOut, "slow").into();
        assert_eq!(err.code, ErrorCode::Timeout);
        let err: Error = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "no").into();
        assert_eq!(err.code, ErrorCode::Network);
        assert!(err.retryable);
    }

    #[test]
    fn display_includes_code_and_details() {
        let err = Error::new(ErrorCode::ServerError, "iq failed").with_details("code=404");
        assert_eq!(err.to_string(), "server_error: iq failed (code=404)");
    }
}
