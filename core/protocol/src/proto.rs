//! Protobuf types generated at build time from `proto/*.proto` (docs/PROTOCOL.md, Protobuf).
//!
//! proto2 presence is kept: every `optional` field is an `Option`, so a field set to zero is
//! still written on the wire where peers check for it.

#![allow(
    missing_docs,
    clippy::all,
    clippy::pedantic,
    missing_debug_implementations
)]

/// Noise handshake messages, `ClientPayload`, `DeviceProps`.
pub mod wa6 {
    include!(concat!(env!("OUT_DIR"), "/wa6.rs"));
}

/// Noise server certificate chain.
pub mod cert {
    include!(concat!(env!("OUT_DIR"), "/cert.rs"));
}

/// Companion pairing (ADV) identities.
pub mod adv {
    include!(concat!(env!("OUT_DIR"), "/adv.rs"));
}

/// Signal wire messages (the protobuf part between version byte and MAC/signature).
pub mod signal {
    include!(concat!(env!("OUT_DIR"), "/signal.rs"));
}

/// OpenWA's storage records for Signal sessions, sender keys and prekeys.
pub mod signal_records {
    include!(concat!(env!("OUT_DIR"), "/signal_records.rs"));
}

/// End-to-end message content.
pub mod e2e {
    include!(concat!(env!("OUT_DIR"), "/e2e.rs"));
}

/// App-state sync: patches, snapshots, records and the decrypted action values.
pub mod syncd {
    include!(concat!(env!("OUT_DIR"), "/syncd.rs"));
}
