//! Message plaintext helpers: padding, message ids, registration ids (protocol.md §8.3, §7.6).
