//! Noise XX handshake (initiator and responder), framing and transport (protocol.md §1–§2).
