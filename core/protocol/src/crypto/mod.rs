//! Cryptographic building blocks shared by Noise, Signal, pairing and media.

pub mod kdf;
pub mod keys;
pub mod xeddsa;

pub use keys::KeyPair;
