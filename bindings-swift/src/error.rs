//! `OpenWaError`: the engine's one `Error` as a UniFFI error enum with a case per `ErrorCode`
//! (a Swift `enum` case per code, a Python exception subclass per code), each carrying the
//! engine's `message`, `details` and `retryable`. The case of the `protocol` code is
//! `ProtocolError`: Swift refuses a type member named `Protocol` (it would clash with the
//! `T.Protocol` metatype), and UniFFI does not escape it.

use std::fmt;

/// Declares the enum, its conversion from the engine error and the engine code of each case,
/// from one list of (case, engine code) pairs.
macro_rules! error_cases {
    ($($(#[doc = $doc:literal])+ $case:ident => $code:ident,)+) => {
        /// A failed engine call: one case per engine error code.
        #[derive(Debug, Clone, PartialEq, Eq, uniffi::Error)]
        pub enum OpenWaError {
            $(
                $(#[doc = $doc])+
                $case {
                    /// What went wrong, for people.
                    message: String,
                    /// More context (a server code, the offending value), if any.
                    details: Option<String>,
                    /// Whether the same call may succeed if simply retried later.
                    retryable: bool,
                },
            )+
        }

        impl From<openwa::Error> for OpenWaError {
            fn from(err: openwa::Error) -> Self {
                let openwa::Error { code, message, details, retryable } = err;
                match code {
                    $(openwa::ErrorCode::$code => OpenWaError::$case { message, details, retryable },)+
                    // A code added to the engine after this list: still an error, never a panic.
                    other => OpenWaError::Internal {
                        message: format!("{other}: {message}"),
                        details,
                        retryable,
                    },
                }
            }
        }

        impl OpenWaError {
            /// The engine's code of this error.
            pub fn code(&self) -> openwa::ErrorCode {
                match self {
                    $(OpenWaError::$case { .. } => openwa::ErrorCode::$code,)+
                }
            }

            /// The message of this error.
            pub fn message(&self) -> &str {
                match self {
                    $(OpenWaError::$case { message, .. } => message,)+
                }
            }
        }
    };
}

error_cases! {
    /// Malformed input: a bad id, an empty name, a bad URL or phone number.
    InvalidArgument => InvalidArgument,
    /// The named session, message or chat does not exist.
    NotFound => NotFound,
    /// A session with that id already exists.
    AlreadyExists => AlreadyExists,
    /// The session is not connected; connect and retry.
    NotConnected => NotConnected,
    /// The session has no credentials yet (pair it first).
    NotPaired => NotPaired,
    /// The device was logged out; it must be paired again.
    LoggedOut => LoggedOut,
    /// The server did not answer in time.
    Timeout => Timeout,
    /// DNS, TCP, TLS, proxy or WebSocket failure.
    Network => Network,
    /// The peer sent something not understood.
    ProtocolError => Protocol,
    /// A cryptographic check failed.
    Crypto => Crypto,
    /// The persistent store failed (I/O, database, wrong at-rest key, or in use).
    Store => Store,
    /// Rate-limited; retry later.
    RateLimited => RateLimited,
    /// The server answered with an error (`details`: its code).
    ServerError => ServerError,
    /// The account is banned (`details`: the server code).
    Banned => Banned,
    /// Cancelled by a disconnect or delete, or refused by a closed manager.
    Cancelled => Cancelled,
    /// Not available in this build or for this kind of chat.
    Unsupported => Unsupported,
    /// A bug in OpenWA (or a code newer than this library).
    Internal => Internal,
    /// Not a member or admin, or the group lets only admins do this.
    PermissionDenied => PermissionDenied,
    /// Downloaded media failed a check, or its fields are unusable.
    MediaInvalid => MediaInvalid,
    /// The media host no longer has the file.
    MediaExpired => MediaExpired,
}

impl fmt::Display for OpenWaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for OpenWaError {}

/// The result of every fallible call of this library.
pub(crate) type Result<T> = std::result::Result<T, OpenWaError>;
