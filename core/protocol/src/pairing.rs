//! Companion pairing: ADV identities, the QR string and pairing-code crypto (protocol.md §6).
