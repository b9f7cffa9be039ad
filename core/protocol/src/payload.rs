//! The login / registration `ClientPayload` (protocol.md §3).
