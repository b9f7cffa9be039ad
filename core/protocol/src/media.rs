//! Media encryption, decryption and verification (protocol.md §12).
