//! Companion pairing: ADV identities, the QR string and pairing-code crypto (docs/PROTOCOL.md, Pairing).
//!
//! Every exchange is implemented from both ends: the companion side (used by the engine) and the
//! primary-phone side (used by the simulator's simulated phones).

pub mod adv;
pub mod code;
pub mod qr;

pub use adv::{AcceptedPairing, AdvError, IssuedDeviceIdentity, VerifiedCompanion};
pub use code::{CodePairingError, PairCode};
pub use qr::{QrCode, QrError};
