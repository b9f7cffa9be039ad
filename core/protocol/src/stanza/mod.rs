//! Typed stanza builders and parsers: pure request/response specs, no I/O (protocol.md §6–§10).
